// A pattern with a severity word on a schedule of event time: a metrics exporter denied a resource
// it was never granted, every 5 minutes (cloud generator: kube-state-metrics' 403, about 44 of the
// 244 false alarms of seed 201). Its decayed frequency never expects it within 500 events, so each
// return was a rare error's recurrence and reported. Once its incidents have begun at one spacing
// scheduleStarts times in a row, a return on the schedule is not news; the same error returning
// at irregular times is reported every time (fails on main: every return reported).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { TEXT_PARAMS } from '../../workers/detectors/text.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 2, 2, 4);
const ERROR = 'ERROR list verticalpodautoscalers.autoscaling.k8s.io is forbidden: User "system:serviceaccount:monitoring:kube-state-metrics" cannot list resource "verticalpodautoscalers" at the cluster scope (Failure)';

/** Ordinary lines every 0.2-0.6 s (about 750 between errors: rare by its decayed frequency); the error every 300 s ± 100 ms, or ± 30 s (`jitterMs`). */
function stream(jitterMs: number): { ev: ScoreInput[]; errors: number[] } {
  const r = seeded(13);
  const ev: ScoreInput[] = [];
  const errors: number[] = [];
  let next = T0 + 200_000;
  for (let t = T0; t < T0 + 3 * 3_600_000; t += 200 + r.int(0, 400)) {
    if (t >= next) {
      errors.push(ev.length);
      ev.push({ ts: t, text: ERROR });
      next = t + 300_000 + r.int(-jitterMs, jitterMs);
    }
    ev.push({ ts: t, text: `INFO lease ${r.pick(['kube-scheduler', 'kube-controller-manager', 'karpenter'])} renewed by node ip-10-30-${r.int(16, 31)}-${r.int(2, 250)} in ${r.int(1, 40)} ms` });
  }
  return { ev, errors };
}

const reported = (findings: { index: number; detector: string }[], i: number): boolean => findings.some((f) => f.index === i && f.detector === 'compression_surprise');

describe('a severe pattern on a schedule of event time', () => {
  it('is reported until its incidents have begun at one spacing scheduleStarts times in a row, then not', () => {
    expect(TEXT_PARAMS.scheduleStarts).toBe(4);
    const { ev, errors } = stream(100);
    const { findings } = runStream('logs', ev, 100);
    const flagged = errors.filter((i) => reported(findings, i));
    // The first, then its returns at the spacing's first 3 repetitions (4 spacings make a schedule).
    expect(flagged).toEqual(errors.slice(0, 4));
    expect(errors.length).toBeGreaterThan(30);
  }, 120_000);

  it('returning at irregular times (300 s ± 30 s), every return is still reported', () => {
    const { ev, errors } = stream(30_000);
    const { findings } = runStream('logs', ev, 100);
    expect(errors.filter((i) => !reported(findings, i))).toEqual([]);
  }, 120_000);
});

/**
 * The error on some runs of its 5-minute schedule only (another shape of it takes the others: a
 * list with `?limit=500` on two runs in three, `?resourceVersion=0` on the third), so its spacings
 * are whole numbers of periods but rarely the same one twice in a row (6, 4, 9, 3, 5 periods:
 * cloud seed 202). `gapsOf` draws the number of periods (or, for irregular returns, the ms) to the next.
 */
function sparse(gapMs: (r: ReturnType<typeof seeded>) => number): { ev: ScoreInput[]; errors: number[] } {
  const r = seeded(29);
  const ev: ScoreInput[] = [];
  const errors: number[] = [];
  let next = T0 + 200_000;
  for (let t = T0; t < T0 + 8 * 3_600_000; t += 200 + r.int(0, 400)) {
    if (t >= next) {
      errors.push(ev.length);
      ev.push({ ts: t, text: ERROR });
      next = t + gapMs(r);
    }
    ev.push({ ts: t, text: `INFO lease ${r.pick(['kube-scheduler', 'kube-controller-manager', 'karpenter'])} renewed by node ip-10-30-${r.int(16, 31)}-${r.int(2, 250)} in ${r.int(1, 40)} ms` });
  }
  return { ev, errors };
}

describe('a severe pattern on some runs of a schedule', () => {
  it('is learnt as on the schedule from the common period of its spacings (fails on main: most returns reported)', () => {
    // 1 to 9 periods of 300 s ± 100 ms, never the same number twice in a row.
    let last = 0;
    const { ev, errors } = sparse((r) => {
      let m = last;
      while (m === last) m = r.int(1, 9);
      last = m;
      return m * 300_000 + r.int(-100, 100);
    });
    const { findings } = runStream('logs', ev, 100);
    expect(errors.length).toBeGreaterThan(15);
    // Its first and the returns before 3 spacings agree on a period: then none.
    expect(errors.slice(4).filter((i) => reported(findings, i))).toEqual([]);
  }, 120_000);

  it('returning at random spacings of 1 to 45 minutes, every return is still reported', () => {
    const { ev, errors } = sparse((r) => r.int(60_000, 2_700_000));
    const { findings } = runStream('logs', ev, 100);
    expect(errors.length).toBeGreaterThan(15);
    expect(errors.filter((i) => !reported(findings, i))).toEqual([]);
  }, 120_000);
});
