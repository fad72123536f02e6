// `driftwatch eval` as a user runs it: the compiled CLI in a child process (build first:
// npx tsc -p tsconfig.json), on the example pair in examples/ and on bad input.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { demoEventsPair } from '../../src/tools/eval/examples.js';

const cli = join(packageRoot, 'dist', 'bin', 'driftwatch.js');
const events = join(packageRoot, 'examples', 'demo-events.ndjson');
const labels = join(packageRoot, 'examples', 'demo-labels.json');
const tmp = mkdtempSync(join(tmpdir(), 'driftwatch-eval-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): { status: number | null; stdout: string; stderr: string } {
  if (!existsSync(join(packageRoot, 'dist', 'src', 'tools', 'eval', 'cli.js'))) throw new Error(`${cli} has no eval: build first (npx tsc -p tsconfig.json)`);
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: packageRoot });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('driftwatch eval (CLI)', () => {
  it('examples/ holds exactly what src/tools/eval/examples.ts generates from the synthetic log', () => {
    const pair = demoEventsPair();
    expect(readFileSync(events, 'utf8')).toBe(pair.ndjson);
    expect(readFileSync(labels, 'utf8')).toBe(pair.labels);
    expect(pair.ndjson.split('\n').length - 1).toBe(2000);
  });

  it('eval events on the example pair: a figures line and an incidents line on stdout, progress on stderr, the same figures in --json', () => {
    const out = join(tmp, 'events.json');
    const r = run(['eval', 'events', '--events', events, '--labels', labels, '--json', out]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    const inc = /^incidents: (\d+) of (\d+) found \(recall (\d\.\d{3})\)$/.exec(lines[1]);
    expect(inc, lines[1]).not.toBeNull();
    const m = /^events: precision (\d\.\d{3}) recall (\d\.\d{3}) f1 (\d\.\d{3}) false_alarms_per_1000 (\d+\.\d) \(2000 events, 1 stream, [\d.]+ s; tp (\d+), fp (\d+), fn (\d+)\)$/.exec(lines[0]);
    expect(m, lines[0]).not.toBeNull();
    expect(r.stderr).toMatch(/eval events: stream 1 of 1 logs:checkout/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as { events: Record<string, number> & { flagged: number[] } };
    expect(j.events.events).toBe(2000);
    expect(j.events.anomalous).toBe(20);
    expect(j.events.precision.toFixed(3)).toBe(m![1]);
    expect(j.events.recall.toFixed(3)).toBe(m![2]);
    expect(j.events.f1.toFixed(3)).toBe(m![3]);
    expect(j.events.false_alarms_per_1000.toFixed(1)).toBe(m![4]);
    expect([j.events.tp, j.events.fp, j.events.fn]).toEqual([Number(m![5]), Number(m![6]), Number(m![7])]);
    expect(j.events.flagged).toHaveLength(j.events.tp + j.events.fp);
    const ji = j.events.incidents as unknown as { found: number; incidents: number };
    expect([ji.found, ji.incidents]).toEqual([Number(inc![1]), Number(inc![2])]);
    // The demo log's injected lines are what the text detector is built to find (measured: 20/20, 0 false alarms).
    expect(j.events.recall).toBeGreaterThanOrEqual(0.9);
    expect(j.events.false_alarms_per_1000).toBeLessThanOrEqual(2);
  });

  it('eval --help describes the three modes', () => {
    const r = run(['eval', '--help']);
    expect(r.status).toBe(0);
    for (const w of ['nab', 'logs', 'events', '--data', '--events', '--labels', '--json']) expect(r.stdout).toContain(w);
    expect(run(['--help']).stdout).toMatch(/eval +score the detectors on labelled data/);
  });

  it('bad input exits 2 with a clear message', () => {
    const cases: [string[], RegExp][] = [
      [['eval', 'nab'], /eval nab needs --data/],
      [['eval', 'logs'], /eval logs needs --data/],
      [['eval', 'nab', '--data', tmp], /not in NAB's layout/],
      [['eval', 'nab', '--data', join(tmp, 'nowhere')], /no such directory/],
      [['eval', 'logs', '--data', tmp], /not a Loghub-layout folder/],
      [['eval'], /eval needs a mode/],
      [['eval', 'bogus'], /unknown eval mode "bogus"/],
      [['eval', 'events', '--events', events], /eval events needs --labels/],
      [['eval', 'events', '--data', tmp], /--data is not an option of eval events/],
      [['eval', 'nab', '--data', tmp, '--engine-port', '1'], /--engine-port is not an eval option/],
    ];
    for (const [args, re] of cases) {
      const r = run(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(re);
    }
    const bad = join(tmp, 'bad.ndjson');
    writeFileSync(bad, readFileSync(events, 'utf8').split('\n').slice(0, 5).join('\n') + '\n{"timestamp": 1}\n');
    let r = run(['eval', 'events', '--events', bad, '--labels', labels]);
    expect(r.status).toBe(2);
    // stream_type now defaults (logs), so the missing data is what this line lacks (issue 13's mapping).
    expect(r.stderr).toMatch(/bad.ndjson line 6 \(index 5\): data \(or message, msg, log, body\) is required/);
    const badLabels = join(tmp, 'bad-labels.json');
    writeFileSync(badLabels, '{"anomalous": [1, 99999]}');
    r = run(['eval', 'events', '--events', events, '--labels', badLabels]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/anomalous\[1\] = 99999 is not a line holding an event/);
  });
});
