// The text detector's warm-up in event time (issue 11): a slow stream (a scheduler's line every
// 30 s) would spend its first 100 lines, 50 minutes, learning and miss its never-seen errors.
import { describe, expect, it } from 'vitest';
import { TEXT_DETECTOR, TEXT_PARAMS } from '../../workers/detectors/text.js';
import { runStream } from './helpers.js';

describe('a slow regular stream', () => {
  const t0 = Date.UTC(2026, 2, 1);
  const jobs = ['reindex', 'sitemap', 'abandoned-carts', 'exchange-rates'];
  // 16 distinct lines once normalised (4 jobs; created at one of two source lines, or completed
  // after 1- or 2-digit seconds), in a scrambled order.
  const line = (i: number): string => {
    const k = (i * 7 + (i >> 2)) % 16;
    const job = jobs[k % 4];
    return k < 8
      ? `I0301 00:00:00.000000       1 job_controller.go:${k < 4 ? 563 : 1041}] "Job created" cronjob="shop/${job}" job="shop/${job}-${29000000 + i * 7919}"`
      : `I0301 00:00:00.000000       1 job_controller.go:1228] "Job completed" job="shop/${job}-${29000000 + i * 7919}" duration="${k < 12 ? 2 + (i % 8) : 10 + (i % 80)}s"`;
  };
  const error = 'E0301 00:30:00.000000       1 job_controller.go:1604] "Job failed" err="BackoffLimitExceeded" job="shop/exchange-rates-29095607"';

  it('reports a never-seen error after 15 minutes of event time and 32 lines, before its 100th line', () => {
    const events = Array.from({ length: 60 }, (_, i) => ({ ts: t0 + i * 30_000, text: line(i) }));
    events.push({ ts: t0 + 60 * 30_000, text: error });
    expect(60 * 30_000).toBeGreaterThanOrEqual(TEXT_PARAMS.warmupMs);
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.detector === TEXT_DETECTOR).map((f) => f.index)).toEqual([60]);
  });

  it('a fast stream with as many lines is still learning (the line count decides there)', () => {
    const events = Array.from({ length: 60 }, (_, i) => ({ ts: t0 + i * 1000, text: line(i) }));
    events.push({ ts: t0 + 60 * 1000, text: error });
    const { findings } = runStream('logs', events, 100);
    expect(findings.filter((f) => f.detector === TEXT_DETECTOR)).toEqual([]);
  });
});
