// A severe pattern's burst against its flow, in event time (TEXT_PARAMS.severeFlowMs, issue 11: a
// rare error stays rare after one long burst). Written failing-first: before severeFlowMs, the
// burst below was admitted as common after about 90 of its 200 lines (its recent share), and the
// rest of it was not reported.
import { describe, expect, it } from 'vitest';
import { TEXT_PARAMS } from '../../workers/detectors/text.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
/** Lines 100 ms apart (10 lines a second), as a busy service logs. */
const timed = (lines: string[]): ScoreInput[] => lines.map((text, i) => ({ ts: T0 + 100 * i, text }));
const err = (i: number): string => `ERROR payments gateway timeout talking to acquirer after 30000ms ref=${((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')}`;
const text = (f: { detector: string }): boolean => f.detector === 'compression_surprise';

describe('a severe burst against a severe flow (event time)', () => {
  it('a burst of an error shorter than severeFlowMs (200 lines over 60 s) is reported line by line, and it is not common afterwards', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const burst: number[] = [];
    for (let i = 1000; i < 1600; i += 3) {
      lines[i] = err(i);
      burst.push(i);
    }
    const later = [3500, 5200, 7100, 8800];
    for (const i of later) lines[i] = err(i);
    const { findings } = runStream('logs', timed(lines), 100);
    const on = new Set(findings.filter(text).map((f) => f.index));
    // Every line of the burst (the first one novel, the rest its incident).
    expect(burst.filter((i) => !on.has(i))).toEqual([]);
    const last = findings.find((f) => text(f) && f.index === burst.at(-1));
    expect(last?.details).toMatchObject({ kind: 'incident', admitted: false });
    expect(last?.details.recent_share).toBeGreaterThan(TEXT_PARAMS.commonShare);
    expect(last?.explanation).toMatch(/but not while its incident is a burst: 60 s of event time, under 300 s\)\.$/);
    // And its later lone lines: still rare.
    expect(later.filter((i) => !on.has(i))).toEqual([]);
  });

  it('an error that flows for longer than severeFlowMs becomes common then, and its lines are no longer reported', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    for (let i = 1000; i < 9000; i += 3) lines[i] = err(i);
    const { findings } = runStream('logs', timed(lines), 100);
    const flow = findings.filter((f) => text(f) && f.index >= 1000);
    // Reported for its first 300 s of event time (3,000 lines at 10 a second), admitted at once after.
    const admitted = flow.find((f) => f.details.admitted === true);
    expect(admitted?.index).toBeGreaterThanOrEqual(1000 + TEXT_PARAMS.severeFlowMs / 100);
    expect(admitted?.index).toBeLessThan(1000 + TEXT_PARAMS.severeFlowMs / 100 + 10);
    expect(flow.filter((f) => f.index > (admitted?.index ?? 0))).toEqual([]);
  });
});
