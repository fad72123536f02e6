// A severe pattern's burst against its flow, in event time (TEXT_PARAMS.severeFlowMs, issue 11: a
// rare error stays rare after one long burst). Written failing-first: before severeFlowMs, the
// burst below was admitted as common after about 90 of its 200 lines (its recent share), and the
// rest of it was not reported.
import { describe, expect, it } from 'vitest';
import { TEXT_PARAMS, patternKey, skeleton } from '../../workers/detectors/text.js';
import { sameMessage } from '../../workers/detectors/text-quarantine.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
/** Lines 100 ms apart (10 lines a second), as a busy service logs. */
const timed = (lines: string[]): ScoreInput[] => lines.map((text, i) => ({ ts: T0 + 100 * i, text }));
const err = (i: number): string => `ERROR payments gateway timeout talking to acquirer after 30000ms ref=${((i * 2654435761) % 4294967296).toString(16).padStart(8, '0')}`;
const text = (f: { detector: string }): boolean => f.detector === 'compression_surprise';

/**
 * The stream's lines 100 ms apart, with `extra(k)` added after every `every`-th line from line
 * `at` on, k = 0..n-1, 50 ms after it: an alert's lines on top of the stream's own (it is louder).
 * Returns the events and the indices of the added lines.
 */
function louder(lines: string[], at: number, n: number, every: number, extra: (k: number) => string): { events: ScoreInput[]; added: number[] } {
  const events: ScoreInput[] = [];
  const added: number[] = [];
  let k = 0;
  lines.forEach((line, i) => {
    events.push({ ts: T0 + 100 * i, text: line });
    if (i >= at && k < n && (i - at) % every === 0) {
      added.push(events.length);
      events.push({ ts: T0 + 100 * i + 50, text: extra(k++) });
    }
  });
  return { events, added };
}

describe('a severe burst against a severe flow (event time)', () => {
  it('a burst of an error shorter than severeFlowMs (200 lines over 60 s, on top of the stream\'s own) is reported line by line, and it is not common afterwards', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const later = [3500, 5200, 7100, 8800];
    for (const i of later) lines[i] = err(i);
    const { events, added: burst } = louder(lines, 1000, 200, 3, (k) => err(100_000 + k));
    const { findings } = runStream('logs', events, 100);
    const on = new Set(findings.filter(text).map((f) => f.index));
    // Every line of the burst (the first one novel, the rest its incident).
    expect(burst.filter((i) => !on.has(i))).toEqual([]);
    const last = findings.find((f) => text(f) && f.index === burst.at(-1));
    expect(last?.details).toMatchObject({ kind: 'incident', admitted: false });
    expect(last?.details.recent_share).toBeGreaterThan(TEXT_PARAMS.commonShare);
    expect(last?.explanation).toMatch(/but not while its incident is a burst: 60 s of event time, under 300 s\)\.$/);
    // And its later lone lines (shifted by the 200 added lines): still rare.
    const shifted = later.map((i) => i + 200);
    expect(shifted.filter((i) => !on.has(i))).toEqual([]);
  });

  it('an error that flows for longer than severeFlowMs becomes common then, and its lines are no longer reported', () => {
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const { events, added } = louder(lines, 1000, 3000, 2, (k) => err(100_000 + k));
    const { findings } = runStream('logs', events, 100);
    const flow = findings.filter((f) => text(f) && f.index >= added[0]);
    // Reported for its first 300 s of event time (1,500 of its lines, one every 200 ms), admitted at once after.
    const admitted = flow.find((f) => f.details.admitted === true);
    const at = added.findIndex((i) => i === admitted?.index);
    expect(at).toBeGreaterThanOrEqual(TEXT_PARAMS.severeFlowMs / 200);
    expect(at).toBeLessThan(TEXT_PARAMS.severeFlowMs / 200 + 10);
    expect(flow.filter((f) => f.index > (admitted?.index ?? 0))).toEqual([]);
  });

  it('an error that takes turns with the stream\'s own lines (the stream no louder) is a flow: common by its share, as without event time', () => {
    // Failing-first: on branch batch12 (every severe incident younger than severeFlowMs a burst),
    // all 200 lines were reported: a supercomputer's routine hardware message naming node after
    // node at the stream's usual volume is the stream's present behaviour, not an alert's burst.
    const lines = syntheticLog({ lines: 9000, anomalies: 0, seed: 12 }).lines;
    const flow: number[] = [];
    for (let i = 1000; i < 1600; i += 3) {
      lines[i] = err(i);
      flow.push(i);
    }
    const { findings } = runStream('logs', timed(lines), 100);
    const on = new Set(findings.filter(text).map((f) => f.index));
    const missed = flow.filter((i) => !on.has(i));
    // Admitted by its recent share (commonShare 0.125 of a half-life of 500 events): 86 of its 200 lines not reported.
    expect(missed.length).toBeGreaterThan(80);
    expect(findings.find((f) => text(f) && f.details.admitted === true)?.explanation).toMatch(/it has become common/);
  });

  it('during an error burst, the same error from a new thread is part of it, not benign novelty (its thread slot is id-like)', () => {
    // Failing-first: before Quarantine.severeIncident, once the thread slot had shown more than 8
    // values, a line from a thread of a new shape (`scheduling-4` after `http-exec-17`) was a
    // known template's line with only an id-like slot new: normal, baselined, and every later line
    // of that shape was a known line, not reported (svc generator, seed 206: 54 of 62 lines).
    const lines = syntheticLog({ lines: 4000, anomalies: 0, seed: 12 }).lines;
    const shapes = ['http-exec-', 'kafka#0-C-', 'scheduling-', 'async-', 'pool-1-thread-', 'grpc-default-'];
    const { events, added: burst } = louder(lines, 1000, 150, 3, (k) => {
      const shape = k < 20 ? shapes[0] : shapes[k % shapes.length];
      return `2026-07-30 07:13:35.650 ERROR 55 --- [${shape}${(k * 37) % 900}] c.e.shop.payment.PaymentClient : Payment gateway call failed for order ${1_000_000 + k * 7919}: java.net.SocketTimeoutException: Read timed out`;
    });
    const { findings } = runStream('logs', events, 100);
    const on = new Set(findings.filter(text).map((f) => f.index));
    expect(burst.filter((i) => !on.has(i))).toEqual([]);
  });
});

describe('sameMessage (Quarantine.severeIncident)', () => {
  it('a line is the incident\'s message when its words outside numbered tokens are, in order, most of the incident\'s', () => {
    // Failing-first: on branch batch12 any severe line during any rare severe incident was news
    // (BGL_2k: routine kernel messages interleaved with each other).
    const first = '<TS> ERROR --- [http-exec-17] c.e.shop.payment.PaymentClient : Payment gateway call failed for order <NUM>';
    const key = skeleton(first, 512);
    expect(sameMessage(patternKey('<TS> ERROR --- [scheduling-4] c.e.shop.payment.PaymentClient : Payment gateway call failed for order <NUM>', 512), key)).toBe(true);
    expect(sameMessage(patternKey('<TS> ERROR --- [scheduling-4] c.e.shop.cache.CacheClient : Cache refresh failed for key <NUM>', 512), key)).toBe(false);
    expect(sameMessage(patternKey('ERROR failed', 512), key)).toBe(false);
  });
});
