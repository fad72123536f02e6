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
  // Off by default since 6 Dec 15:10 (its parameter in the comment there): it broke the Loghub guards of test/workers/detect.e2e.test.ts. Skipped until it is switched on again.
  it.skip('a burst of an error shorter than severeFlowMs (200 lines over 60 s) is reported line by line, and it is not common afterwards', () => {
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

  // Off by default since 6 Dec 15:10 (its parameter in the comment there): it broke the Loghub guards of test/workers/detect.e2e.test.ts. Skipped until it is switched on again.
  it.skip('an error that flows for longer than severeFlowMs becomes common then, and its lines are no longer reported', () => {
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
  // Off by default since 6 Dec 15:10 (its parameter in the comment there): it broke the Loghub guards of test/workers/detect.e2e.test.ts. Skipped until it is switched on again.
  it.skip('during an error burst, the same error from a new thread is part of it, not benign novelty (its thread slot is id-like)', () => {
    // Failing-first: before Quarantine.severeIncident, once the thread slot had shown more than 8
    // values, a line from a thread of a new shape (`scheduling-4` after `http-exec-17`) was a
    // known template's line with only an id-like slot new: normal, baselined, and every later line
    // of that shape was a known line, not reported (svc generator, seed 206: 54 of 62 lines).
    const lines = syntheticLog({ lines: 4000, anomalies: 0, seed: 12 }).lines;
    const shapes = ['http-exec-', 'kafka#0-C-', 'scheduling-', 'async-', 'pool-1-thread-', 'grpc-default-'];
    const burst: number[] = [];
    for (let k = 0; k < 150; k++) {
      const i = 1000 + 3 * k;
      const shape = k < 20 ? shapes[0] : shapes[k % shapes.length];
      lines[i] = `2026-07-30 07:13:35.650 ERROR 55 --- [${shape}${(k * 37) % 900}] c.e.shop.payment.PaymentClient : Payment gateway call failed for order ${1_000_000 + k * 7919}: java.net.SocketTimeoutException: Read timed out`;
      burst.push(i);
    }
    const { findings } = runStream('logs', timed(lines), 100);
    const on = new Set(findings.filter(text).map((f) => f.index));
    expect(burst.filter((i) => !on.has(i))).toEqual([]);
  });
});
