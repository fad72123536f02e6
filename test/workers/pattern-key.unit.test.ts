// The quarantine's pattern key in a log stream (workers/detectors/slots.ts patternKey): one
// message's recurrences are one pattern whatever the values of its id-like slots. A Spring
// service's threads (exec-17, scheduling-1, kafka-consumer-3) filled one slot of a rare error's
// template, and each thread's skeleton was a pattern of its own: a recurrence on a thread not
// seen before was a known template with a new value in an id-like slot, benign novelty, and
// joined the baseline, so that thread's later sightings were never reported (the svc generator's
// payment errors, tuning seeds 202-210).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { patternKey, slotLayout } from '../../workers/detectors/slots.js';
import { scan, TemplateMiner, freshMiner, MINER_PARAMS } from '../../workers/detectors/templates.js';
import type { FieldStats } from '../../workers/detectors/fields.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 26, 7);

function stamp(t: number): string {
  return new Date(t).toISOString().replace('T', ' ').replace('Z', '');
}

describe('the pattern key of a log line', () => {
  it('leaves out the values with a digit of an id-like slot, keeps the words of a low-cardinality one', () => {
    const m = new TemplateMiner(freshMiner(), MINER_PARAMS);
    const line = (thread: string, psp: string): string => `ERROR [${thread}] PaymentClient : gateway call failed psp=${psp}`;
    const a = m.match(scan(line('exec-17', 'adyen'), 64), 1, () => {});
    m.match(scan(line('exec-18', 'stripe'), 64), 2, () => {});
    const t = a.template;
    const L = slotLayout(t);
    // The thread slot has taken a new value at every sighting (id-like); the provider two values, each often.
    const stats: Record<string, FieldStats> = {};
    const idx = L.names.findIndex((n) => n === 'psp');
    expect(idx).toBeGreaterThanOrEqual(0);
    const thread = L.names.find((n) => n.startsWith('#')) as string;
    stats[thread] = { n: 40, k: 40, v: null } as unknown as FieldStats;
    stats.psp = { n: 40, k: 2, v: { adyen: 20, stripe: 20 } } as unknown as FieldStats;
    const k1 = patternKey(t, scan(line('exec-17', 'adyen'), 64).tokens, stats, 512);
    const k2 = patternKey(t, scan(line('scheduling-1', 'adyen'), 64).tokens, stats, 512);
    const k3 = patternKey(t, scan(line('exec-5', 'stripe'), 64).tokens, stats, 512);
    expect(k1).toBe(k2);
    expect(k1).not.toBe(k3);
    expect(k1).toContain('adyen');
    expect(k1).not.toContain('exec');
  });

  it("reports a rare error's lone recurrences after its burst on threads the burst never used", () => {
    const r = seeded(7);
    const ev: ScoreInput[] = [];
    const threads = ['scheduling-1', 'kafka-consumer-2', 'kafka-consumer-1'];
    const lone: number[] = [];
    const error = (t: number, th: string): ScoreInput => ({ ts: t, text: `${stamp(t)} ERROR 42 --- [${th}] c.e.shop.payment.PaymentClient : Payment gateway call failed for order ${r.int(1_000_000, 9_999_999)}: java.net.SocketTimeoutException: Read timed out` });
    let t = T0;
    for (let i = 0; i < 6000; i++) {
      t += 200 + r.int(0, 400);
      // A burst of the error on request threads (a new one each time: the slot is id-like), then lone lines on other threads.
      if (i >= 600 && i < 660 && i % 2 === 0) {
        ev.push(error(t, `exec-${300 + i}`));
        continue;
      }
      if (i === 2000 || i === 3500 || i === 5000) {
        lone.push(ev.length);
        ev.push(error(t, threads[lone.length - 1]));
        continue;
      }
      const th = r.int(0, 9) === 0 ? threads[r.int(0, 2)] : `exec-${r.int(1, 200)}`;
      const k = r.int(0, 9);
      const text = k < 5
        ? `Created order ${r.int(1_000_000, 9_999_999)} for customer ${r.int(1000, 999_999)} total=${r.int(1, 900)}.${r.int(10, 99)} EUR items=${r.int(1, 9)}`
        : k < 8 ? `Payment authorized for order ${r.int(1_000_000, 9_999_999)} in ${r.int(50, 900)} ms` : `Cache refresh of catalog took ${r.int(5, 90)} ms`;
      ev.push({ ts: t, text: `${stamp(t)}  INFO 42 --- [${th}] c.e.shop.order.OrderService : ${text}` });
    }
    const { findings } = runStream('logs', ev, 100);
    const flagged = new Set(findings.map((f) => f.index));
    // Rare again after its burst (one line every 1,500): every lone sighting is reported.
    expect(lone.filter((i) => flagged.has(i))).toEqual(lone);
  });
});
