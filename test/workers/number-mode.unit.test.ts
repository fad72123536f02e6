// A numeric slot with a second, slow mode that comes back now and then (field-modes.ts): an
// order service whose payments usually take ~120 ms, and one in ~200 takes ~2.7 s more (a
// fallback path: the provider does not answer and a stand-in decides after a fixed wait). The
// slow mode returns alone, spread over the stream, always at about the same level: after it has
// come back on its own `modeEpisodes` times, it is a known level of the slot, not an outlier (the
// pay generator's "Payment authorized" latency_ms: 427 of its 1,559 false alarms on 201-215).
// Still reported: a value at a level the slot never showed (a 30× the stand-in's one), and the
// slow mode's lines when they come close together (a burst of slow answers is news).
// Fails without the rule: every slow line is a template_slot finding.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 1, 0, 0);

interface Plan {
  /** Lines between two slow payments (about). */
  every: number;
  /** Extra indices (payment number) that take `odd` ms, and the burst's start (5 slow in a row). */
  odd?: number;
  oddMs?: number;
  burst?: number;
}

/** 3,000 payments of ~120 ms; the slow ones +2,600 ms; returns the events and which indices are slow. */
function stream(plan: Plan): { ev: ScoreInput[]; slow: number[]; odd: number; burst: number[] } {
  const r = seeded(41);
  const ev: ScoreInput[] = [];
  const slow: number[] = [];
  const burst: number[] = [];
  let odd = -1;
  let next = plan.every;
  let t = T0;
  for (let i = 0; i < 3000; i++, t += 800 + r.int(0, 1600)) {
    let ms = Math.round(120 * Math.exp(0.3 * (r.next() + r.next() + r.next() - 1.5)));
    const inBurst = plan.burst !== undefined && i >= plan.burst && i < plan.burst + 5;
    if (i === next || inBurst) {
      ms += 2600 + r.int(0, 150);
      if (inBurst) burst.push(i);
      else {
        slow.push(i);
        next = i + plan.every + r.int(-40, 40);
      }
    }
    if (i === plan.odd) {
      ms = plan.oddMs ?? ms;
      odd = i;
    }
    ev.push({
      ts: t,
      text: JSON.stringify({ '@timestamp': new Date(t).toISOString(), level: 'INFO', message: 'Order paid', order_id: `ord_${r.hex(20)}`, provider: r.pick(['visa', 'visa', 'mastercard', 'amex']), amount: r.int(5, 400), latency_ms: ms, trace_id: r.hex(32) }),
    });
  }
  return { ev, slow, odd, burst };
}

const slotLines = (ev: ScoreInput[]): Set<number> =>
  new Set(runStream('logs', ev, 100).findings.filter((x) => x.detector === 'template_slot' && x.explanation.includes('latency_ms')).map((x) => x.index));

describe('a numeric slot with a slow mode that returns alone', () => {
  it('reports its first returns, then no longer once the level came back alone several times', () => {
    const { ev, slow } = stream({ every: 200 });
    expect(slow.length).toBeGreaterThan(12);
    const flagged = slotLines(ev);
    const judged = slow.filter((i) => i > 300);
    const reported = judged.filter((i) => flagged.has(i));
    // The first sightings of the level are outliers; the later ones are a known level.
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.length).toBeLessThanOrEqual(4);
    expect(judged.slice(-6).filter((i) => flagged.has(i))).toEqual([]);
  });

  it('still reports a value at a level the slot never showed', () => {
    const { ev, odd } = stream({ every: 200, odd: 2500, oddMs: 90_000 });
    expect(slotLines(ev).has(odd)).toBe(true);
  });

  it('and the slow mode when its lines come in a burst', () => {
    const { ev, burst } = stream({ every: 200, burst: 2600 });
    const flagged = slotLines(ev);
    expect(burst.slice(1).filter((i) => flagged.has(i)).length).toBeGreaterThanOrEqual(3);
  });
});
