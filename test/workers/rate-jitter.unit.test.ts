// A schedule whose runs wander by a share of their period (rate-period.ts tol): a training job
// checkpoints every N steps, and N steps take 23 minutes give or take half a minute; its runs
// start 22:43 to 23:27 apart (ml generator). At 1% of the period (+ 2 s) a spacing that differed
// from the last by 20-45 s was off the schedule and the checkpoint's burst was reported again; at
// 3% it is on it. An irregular storm is still off it (rate-periodic.unit, rate-habit.unit).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { onSchedule, steadyPair } from '../../workers/detectors/rate-period.js';
import { auditEvent as audit, runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;
const SEC = 1_000;

describe('a schedule that wanders', () => {
  it('a spacing within 3% of the last one repeats it; a spacing a third longer does not', () => {
    const P = 23 * MIN;
    // Spacings 23:20 then 22:45: 35 s apart.
    expect(steadyPair([T0, T0 + P + 20 * SEC], T0 + 2 * P + 5 * SEC)).toBe(true);
    expect(onSchedule([T0, T0 + P + 20 * SEC], T0 + 2 * P + 5 * SEC)).toBe(true);
    expect(onSchedule([T0, T0 + P], T0 + P + 30 * MIN)).toBe(false);
    expect(onSchedule([T0, T0 + 7 * MIN, T0 + 16 * MIN], T0 + 27 * MIN)).toBe(false);
  });

  it('a checkpoint every 23 minutes, give or take 12 s (spacings 35-38 s apart), is reported at its first runs only', () => {
    const r = seeded(7);
    const ev: ScoreInput[] = [];
    for (let t = T0; t < T0 + 200 * MIN; t += 3_000 + r.int(0, 6_000)) ev.push(audit(r, t, 'GetObject', 'datasets', r.chance(0.7) ? 'svc-trainer' : 'svc-batch'));
    const first = T0 + 30 * MIN + 4321;
    // Each run's start off its slot on the 23-minute grid by these seconds.
    const off = [0, 12, -8, 10, -9, 8, -10];
    const runs = off.map((o, k) => first + k * 23 * MIN + o * SEC);
    for (const t of runs) {
      for (let j = 0; j < 16; j++) ev.push(audit(r, t + r.int(0, 2_000), 'NewMultipartUpload', 'ckpt-train', 'svc-trainer'));
      for (let j = 0; j < 16; j++) ev.push(audit(r, t + 55_000 + r.int(0, 7_000), 'CompleteMultipartUpload', 'ckpt-train', 'svc-trainer'));
    }
    ev.sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate');
    const inRun = (k: number) => rate.filter((f) => ev[f.index].ts >= runs[k] && ev[f.index].ts < runs[k] + 5 * MIN);
    expect(inRun(0).length).toBeGreaterThan(0);
    for (let k = 2; k < runs.length; k++) expect(inRun(k).length, `run ${k}`).toBe(0);
  }, 120_000);
});
