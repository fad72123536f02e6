// A later incident of a severe pattern once common for a long burst (review rev10, with svc10's
// burst-start rule): its start is judged rare by how often incidents begin, and its second line
// was judged by the burst's duration-weighted frequency again, "admitted" a second time and
// reported (admitted: true) while the incident's other lines were silent. Now a short incident is
// judged by incident starts throughout: every line of the rare error's incident is reported, none
// as a re-admission (fails on main: 2 of 30 reported, the second admitted).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 6, 26, 7);
const stamp = (t: number): string => new Date(t).toISOString().replace('T', ' ').replace('Z', '');

describe('a later short incident of a pattern once common for a long burst', () => {
  it('is reported line by line, never re-admitted mid-incident', () => {
    const r = seeded(3);
    const ev: ScoreInput[] = [];
    const second: number[] = [];
    let t = T0;
    const error = (): string => `${stamp(t)} ERROR 42 --- [main] c.e.shop.payment.PaymentClient : Payment gateway call failed for order ${r.int(1_000_000, 9_999_999)}: java.net.SocketTimeoutException: Read timed out`;
    for (let i = 0; i < 6000; i++) {
      t += 200 + r.int(0, 400);
      const burst = i >= 1500 && i < 1950 && i % 3 === 0;
      const later = i >= 4000 && i < 4090 && i % 3 === 0;
      if (burst || later || i === 700) {
        if (later) second.push(ev.length);
        ev.push({ ts: t, text: error() });
        continue;
      }
      const k = r.int(0, 9);
      const text = k < 5 ? `Created order ${r.int(1_000_000, 9_999_999)} for customer ${r.int(1000, 999_999)} items=${r.int(1, 9)}` : k < 8 ? `Payment authorized for order ${r.int(1_000_000, 9_999_999)} in ${r.int(50, 900)} ms` : `Cache refresh of catalog took ${r.int(5, 90)} ms`;
      ev.push({ ts: t, text: `${stamp(t)}  INFO 42 --- [main] c.e.shop.order.OrderService : ${text}` });
    }
    const { findings } = runStream('logs', ev, 100);
    const inSecond = findings.filter((f) => f.detector === 'compression_surprise' && second.includes(f.index));
    expect(inSecond.filter((f) => f.details?.admitted === true)).toEqual([]);
    expect(inSecond.length).toBe(second.length);
  }, 120_000);
});
