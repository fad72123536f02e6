// A burst that recurs at one spacing is a habit from its third run (rate-period.ts steadyPair): a
// training job's checkpoint, 16 multipart uploads to the object store within 2 s and their 16
// completions a minute later, every 23 minutes, in an audit log whose reads come every 6 s. On main
// the schedule needed three past runs whose consecutive spacings were the period, and a template
// that bursts twice a run (an upload's start and its end) has none: every checkpoint was reported,
// and with it the burst of its access key's value (value-rate.ts), which a burst on schedule now
// carries. Irregular storms are still reported every time (rate-periodic.unit).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { onSchedule, steadyPair } from '../../workers/detectors/rate-period.js';
import { auditEvent as audit, runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const MIN = 60_000;

describe('a burst at one spacing', () => {
  it('two past starts at the spacing this one repeats make a schedule; an irregular third does not', () => {
    const P = 23 * MIN;
    expect(steadyPair([T0, T0 + P], T0 + 2 * P + 5_000)).toBe(true);
    expect(onSchedule([T0, T0 + P], T0 + 2 * P + 5_000)).toBe(true);
    // A run's start and its end a minute later: the pairs are any two of the last starts.
    expect(onSchedule([T0, T0 + MIN, T0 + P, T0 + P + MIN], T0 + 2 * P)).toBe(true);
    expect(onSchedule([T0, T0 + 7 * MIN], T0 + 31 * MIN)).toBe(false);
    expect(onSchedule([T0, T0 + P], T0 + P + 30 * MIN)).toBe(false);
  });

  it('a checkpoint every 23 minutes is reported at its first runs only, its access key\'s burst too', () => {
    const r = seeded(11);
    const ev: ScoreInput[] = [];
    for (let t = T0; t < T0 + 200 * MIN; t += 3_000 + r.int(0, 6_000)) ev.push(audit(r, t, 'GetObject', 'datasets', r.chance(0.7) ? 'svc-trainer' : 'svc-batch'));
    const first = T0 + 30 * MIN + 4321;
    const runs: number[] = [];
    for (let k = 0, t = first; k < 7; k++, t += 23 * MIN + r.int(-8_000, 8_000)) {
      runs.push(t);
      for (let j = 0; j < 16; j++) ev.push(audit(r, t + r.int(0, 2_000), 'NewMultipartUpload', 'ckpt-train', 'svc-trainer'));
      for (let j = 0; j < 16; j++) ev.push(audit(r, t + 55_000 + r.int(0, 7_000), 'CompleteMultipartUpload', 'ckpt-train', 'svc-trainer'));
    }
    ev.sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate');
    const inRun = (k: number) => rate.filter((f) => ev[f.index].ts >= runs[k] && ev[f.index].ts < runs[k] + 5 * MIN);
    expect(inRun(0).length).toBeGreaterThan(0);
    for (let k = 2; k < runs.length; k++) expect(inRun(k)).toEqual([]);
  }, 120_000);
});
