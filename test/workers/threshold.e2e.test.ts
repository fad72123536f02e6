// Per-stream thresholds (profiles): the task's threshold decides only which findings are
// reported. Absent and 0.5 give identical results; lower thresholds report a superset; the
// state, and so every later score, does not depend on the threshold; batch splits do not matter.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import score from '../../workers/score.js';
import type { Finding, ScoreInput, StreamType } from '../../workers/types.js';
import { runStream, task, textEvents, valueEvents } from './helpers.js';

const bglPath = join(packageRoot, '..', 'shared', 'datasets', 'logs', 'BGL', 'BGL_2k.log');

function run(type: StreamType, events: ScoreInput[], threshold: number | undefined, batch: number): { findings: Finding[]; state: string } {
  const { findings, state } = runStream(type, events, batch, threshold);
  return { findings, state: Buffer.from(state ?? new Uint8Array()).toString('base64') };
}

const key = (f: Finding): string => `${f.index}:${f.detector}`;

function checkProfiles(type: StreamType, events: ScoreInput[]): { sensitive: number; balanced: number; strict: number } {
  const absent = run(type, events, undefined, 500);
  const half = run(type, events, 0.5, 137);
  expect(half.findings).toEqual(absent.findings);
  expect(half.state).toBe(absent.state);
  const sensitive = run(type, events, 0.4, 500);
  const strict = run(type, events, 0.65, 333);
  // The state never depends on the threshold.
  expect(sensitive.state).toBe(absent.state);
  expect(strict.state).toBe(absent.state);
  // sensitive ⊇ balanced ⊇ strict, and each profile's findings are at or above its threshold.
  const sens = new Set(sensitive.findings.map(key));
  const bal = new Set(absent.findings.map(key));
  for (const f of absent.findings) expect(sens.has(key(f))).toBe(true);
  for (const f of strict.findings) expect(bal.has(key(f))).toBe(true);
  for (const f of sensitive.findings) expect(f.score).toBeGreaterThanOrEqual(0.4);
  for (const f of strict.findings) expect(f.score).toBeGreaterThanOrEqual(0.65);
  expect(strict.findings).toEqual(absent.findings.filter((f) => f.score >= 0.65));
  // Batch-split invariance with a non-default threshold.
  expect(run(type, events, 0.4, 71).findings).toEqual(sensitive.findings);
  return { sensitive: sensitive.findings.length, balanced: absent.findings.length, strict: strict.findings.length };
}

describe('task threshold (stream profiles)', () => {
  it('demo log: absent = 0.5, sensitive ⊇ balanced ⊇ strict, state independent of the threshold', () => {
    const { lines } = syntheticLog({ lines: 6_000, anomalies: 20 });
    const n = checkProfiles('logs', textEvents(lines));
    expect(n.balanced).toBeGreaterThan(0);
  });

  it.skipIf(!existsSync(bglPath))('BGL_2k: the sensitive profile reports more, the strict one fewer', () => {
    const lines = readFileSync(bglPath, 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
    const n = checkProfiles('logs', textEvents(lines));
    expect(n.sensitive).toBeGreaterThan(n.balanced);
    expect(n.strict).toBeLessThan(n.balanced);
  });

  it('metrics: the same nesting, and a sub-0.5 finding only on the sensitive profile', () => {
    const xs = Array.from({ length: 4_000 }, (_, i) => 100 + 10 * Math.sin(i / 50) + ((i * 7919) % 13) + (i === 3_000 ? 80 : 0) + (i > 3_500 ? 30 : 0));
    checkProfiles('metrics', valueEvents(xs));
    // A moderate bump: 0.4 ≤ score < 0.5.
    const ys = Array.from({ length: 1_200 }, (_, i) => 50 + ((i * 7919) % 11) + (i === 1_000 ? 40 : 0));
    const low = run('metrics', valueEvents(ys), 0.3, 1_200).findings.filter((f) => f.score < 0.5);
    for (const f of low) expect(f.details.below_default).toBe(true);
  });

  it('refuses a threshold outside (0, 1]', () => {
    for (const bad of [0, -0.1, 1.5, Number.NaN]) {
      const t = task('logs', textEvents(['a']));
      t.threshold = bad;
      const r = score(t);
      expect(r.ok).toBe(false);
    }
  });
});
