// An unseen value of a low-cardinality slot reaches the threshold from ~630 sightings on
// (FIELD_PARAMS.unseenHalf), not ~1,000: a new currency after 800 order lines, each of the five
// usual ones seen many times, is news (p ≈ 1 / 801); no ordinary line's value is.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';
import { FIELD_PARAMS } from '../../workers/detectors/fields.js';

const T0 = 1_760_000_000_000;
const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'PLN'];

function orders(n: number, edits: Record<number, string>): ScoreInput[] {
  const r = seeded(3);
  const out: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const currency = edits[i] ?? r.pick(CURRENCIES);
    out.push({ ts: T0 + i * 400, text: `INFO c.e.shop.order.OrderController : Created order ${r.int(1_000_000, 9_999_999)} for customer ${r.int(10_000, 999_999)} total=${(4 + r.next() * 480).toFixed(2)} ${currency} items=${r.int(1, 9)}` });
  }
  return out;
}

describe('an unseen value of a low-cardinality slot (fields.ts)', () => {
  it('a new currency after 800 lines is reported; no ordinary line is', () => {
    const at = 800;
    expect(at).toBeGreaterThan(FIELD_PARAMS.minSightings);
    const { findings } = runStream('logs', orders(1000, { [at]: 'JPY' }), 100);
    const slot = findings.filter((f) => f.detector === 'template_slot');
    expect(slot.filter((f) => f.index === at).map((f) => f.explanation).join(' ')).toMatch(/value "JPY" never seen in \d+ sightings/);
    expect(slot.filter((f) => f.index !== at).map((f) => `${f.index}: ${f.explanation}`)).toEqual([]);
  });
});
