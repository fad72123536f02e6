// A burst of ordinary lines is reported by its moments (workers/detectors/logs-fold.ts): the lines
// one event writes at once (a connection accepted, its client metadata and its authentication,
// 2 and 9 ms apart) are one moment of the burst, its first line reported and the others folded
// into it. The first and fourth tests fail on the code before branch burst15 (each of a
// connection's three lines was reported by the rate tests: a deploy's reconnect burst was three
// false alarms per connection on the db generator); the others hold on both (a line with a
// severity word or a warning level is never folded; the fold's state travels with the stream's).
// The burst comes from one app's three hosts (a client's connection storm, a user's searches):
// from as many addresses as connections it would be a fleet wave, reported once
// (test/workers/fleet-wave.unit.test.ts).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const BURST_DETECTORS = new Set(['template_rate', 'value_burst']);

/** One connection's three lines at `ts`, +2 ms and +9 ms (`level`: their level word; `storm`: from one of an app's three hosts, else any). */
function connection(ts: number, r: ReturnType<typeof seeded>, level = 'INFO', storm = false): ScoreInput[] {
  const conn = r.int(10_000, 99_999);
  const remote = `${storm ? `10.20.1.${r.int(2, 4)}` : `10.20.${r.int(1, 9)}.${r.int(2, 250)}`}:${r.int(32768, 60999)}`;
  return [
    { ts, text: `${level} NETWORK listener Connection accepted remote=${remote} connectionId=${conn}` },
    { ts: ts + 2, text: `${level} NETWORK conn${conn} client metadata remote=${remote} application=orders-api driver=nodejs` },
    { ts: ts + 9, text: `${level} ACCESS conn${conn} Successfully authenticated client=${remote} mechanism=SCRAM-SHA-256 user=orders_api` },
  ];
}

/** A log search's three JSON lines at `ts`, +2 ms and +9 ms: the level it searches for (ERROR) is its input, not its severity (`storm`: from one client, else any). */
function search(ts: number, r: ReturnType<typeof seeded>, storm = false): ScoreInput[] {
  const id = r.hex(12);
  const group = r.pick(['/ecs/orders', '/ecs/billing', '/ecs/auth']);
  const client = storm ? '10.30.1.7' : `10.30.${r.int(1, 9)}.${r.int(2, 250)}`;
  const rec = (msg: string, extra: Record<string, unknown>): string => JSON.stringify({ level: 'info', msg, requestId: id, client, logGroup: group, filterPattern: 'ERROR', ...extra });
  return [
    { ts, text: rec('search accepted', { user: r.pick(['alice', 'bob', 'carol']) }) },
    { ts: ts + 2, text: rec('query planned', { shards: r.int(2, 9) }) },
    { ts: ts + 9, text: rec('results returned', { hits: r.int(0, 400) }) },
  ];
}

/**
 * 40 minutes of a stream (a line about every second, a connection about every 30 s, `level` on
 * the connections' lines), then 40 connections 250 ms apart, then 5 quiet minutes. The burst's lines go to
 * `first` (each connection's first line) and `rest` (its other two).
 */
function stream(level: string, first: Set<number>, rest: Set<number>, lines: (ts: number, r: ReturnType<typeof seeded>, storm?: boolean) => ScoreInput[] = (ts, r, storm) => connection(ts, r, level, storm)): ScoreInput[] {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  const plain = (from: number, to: number): void => {
    let next = from + r.int(10_000, 50_000);
    for (let t = from; t < to; t += 500 + r.int(0, 1000)) {
      if (t >= next) {
        ev.push(...lines(t, r));
        next = t + r.int(10_000, 50_000);
      }
      ev.push({ ts: t + 20, text: r.int(0, 9) < 7 ? `INFO api GET /api/orders status=200 req=${r.hex(12)}` : `INFO auth login ok user=u${r.int(0, 999)}` });
    }
  };
  plain(T0, T0 + 2_400_000);
  const at = T0 + 2_401_000;
  for (let j = 0; j < 40; j++) {
    first.add(ev.length);
    rest.add(ev.length + 1);
    rest.add(ev.length + 2);
    ev.push(...lines(at + j * 250, r, true));
  }
  plain(at + 11_000, at + 311_000);
  return ev;
}

const burstLines = (findings: Finding[], lines: Set<number>): Set<number> =>
  new Set(findings.filter((f) => BURST_DETECTORS.has(f.detector) && lines.has(f.index)).map((f) => f.index));

describe('a burst of ordinary lines, reported by its moments', () => {
  it('the lines one event writes at once are one moment: its first line is reported, the others folded', () => {
    const first = new Set<number>();
    const rest = new Set<number>();
    const ev = stream('INFO', first, rest);
    const { findings } = runStream('logs', ev, 100);
    // The burst is seen (the rate tests report it from its first few connections on)…
    expect(burstLines(findings, first).size).toBeGreaterThan(20);
    // …and of a connection's three lines (its metadata and authentication 2 and 9 ms after its
    // accept line) at most one is reported for the burst alone: the first of them a burst test
    // found (a line another detector reports, such as the mix drift the burst brings, is reported anyway).
    const other = new Set(findings.filter((f) => !BURST_DETECTORS.has(f.detector)).map((f) => f.index));
    const hit = new Set([...burstLines(findings, new Set([...first, ...rest]))].filter((i) => !other.has(i)));
    const perConnection = [...first].map((i) => [i, i + 1, i + 2].filter((j) => hit.has(j)).length);
    expect(Math.max(...perConnection)).toBe(1);
    expect([...burstLines(findings, rest)].filter((i) => !other.has(i)).length).toBeLessThan(5);
  });

  it.each(['ERROR', 'WARN'])('a line with a severity word or a warning level (%s) is never folded: an alert\'s burst is reported whole', (level) => {
    const first = new Set<number>();
    const rest = new Set<number>();
    const ev = stream(level, first, rest);
    const { findings } = runStream('logs', ev, 100);
    const all = new Set([...first, ...rest]);
    const hit = new Set(findings.filter((f) => all.has(f.index)).map((f) => f.index));
    expect(hit.size).toBeGreaterThan(0.75 * all.size);
    expect([...rest].filter((i) => hit.has(i)).length).toBeGreaterThan(0.75 * rest.size);
  });

  it('a level named in a JSON record\'s input field is no severity word: its burst is folded by moments too', () => {
    // The fold reads the severity words where logs.ts does (json-line.ts severityView); on the
    // whole line, `filterPattern=ERROR` made every line of a log search's burst a severe one, never folded.
    const first = new Set<number>();
    const rest = new Set<number>();
    const ev = stream('INFO', first, rest, search);
    const { findings } = runStream('logs', ev, 100);
    expect(burstLines(findings, first).size).toBeGreaterThan(20);
    const other = new Set(findings.filter((f) => !BURST_DETECTORS.has(f.detector)).map((f) => f.index));
    expect([...burstLines(findings, rest)].filter((i) => !other.has(i)).length).toBeLessThan(5);
  });

  it('a folded line keeps its finding under the default threshold, and says what it was folded into', () => {
    const first = new Set<number>();
    const rest = new Set<number>();
    const ev = stream('INFO', first, rest);
    const { findings } = runStream('logs', ev, 100, 0.2);
    const folded = findings.filter((f) => BURST_DETECTORS.has(f.detector) && rest.has(f.index) && /Folded into the burst line reported \d ms before it/.test(f.explanation));
    expect(folded.length).toBeGreaterThan(20);
    for (const f of folded) expect(f.score).toBeLessThan(0.5);
  });

  it('the same findings whatever the batch split (the fold\'s state travels with the stream\'s)', () => {
    const ev = stream('INFO', new Set(), new Set());
    const key = (fs: Finding[]): string[] => fs.map((f) => `${f.index} ${f.detector} ${f.score}`).sort();
    expect(key(runStream('logs', ev, 7).findings)).toEqual(key(runStream('logs', ev, 1000).findings));
  });
});
