// A categorical slot of small numbers with a spread (fields.ts beyondRange, countsZ): a Kafka
// broker's segment rolls take 1-9 ms, around 3, in hundreds of lines; a roll of 78 ms is 8× the
// largest, under the beyond bar (10× the largest: score 0.47), yet some ten robust spreads above
// the slot's values (queue 201-215: 8 of 15 such rolls missed). Fails before: no finding at 78 ms.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 6, 0, 0);
const stamp = (t: number): string => new Date(t).toISOString().slice(0, 23).replace('T', ' ').replace('.', ',');

/** Segment rolls every ~30 s (ms around 3), beside a busier line; roll `at` (if any) takes `times` × (the largest before it + 1) ms. */
function broker(rolls: number, at = -1, times = 0): { ev: ScoreInput[]; index: number } {
  const r = seeded(5);
  const ev: ScoreInput[] = [];
  let index = -1;
  let largest = 0;
  for (let k = 0; k < rolls; k++) {
    const t = T0 + k * 30_000 + r.int(0, 5000);
    const p = r.int(0, 23);
    const usual = Math.round(3 * Math.exp(0.5 * (r.next() + r.next() + r.next() - 1.5)));
    if (k < at) largest = Math.max(largest, usual);
    const took = k === at ? Math.round(times * (largest + 1)) - 1 : usual;
    if (k === at) index = ev.length;
    ev.push({ ts: t, text: `[${stamp(t)}] INFO [LocalLog partition=clicks-${p}, dir=/var/lib/kafka/data] Rolled new log segment at offset ${r.int(1_000_000, 90_000_000)} in ${took} ms. (kafka.log.LocalLog)` });
    ev.push({ ts: t + 7, text: `[${stamp(t + 7)}] INFO [ProducerStateManager partition=clicks-${p}] Wrote producer snapshot at offset ${r.int(1_000_000, 90_000_000)} with ${r.int(0, 6)} producer ids in ${r.int(0, 2)} ms.` });
  }
  return { ev, index };
}

describe('a slot of a dozen small numbers with a spread', () => {
  it('reports a value 7.5 times its largest, many spreads above its values', () => {
    const { ev, index } = broker(500, 400, 7.5);
    const f = runStream('logs', ev, 100).findings.filter((x) => x.index === index && x.detector === 'template_slot');
    expect(f.map((x) => x.details.kind)).toContain('numeric_outlier');
  });

  it('and none on its usual values', () => {
    const { ev } = broker(500);
    expect(runStream('logs', ev, 100).findings.filter((x) => x.detector === 'template_slot')).toEqual([]);
  });
});
