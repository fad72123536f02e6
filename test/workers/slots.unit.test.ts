// A known template's line whose only new text is in id-like slots is benign novelty
// (workers/detectors/slots.ts, used by the logs detector before a compression finding).
import { describe, expect, it } from 'vitest';
import { scan, TemplateMiner } from '../../workers/detectors/templates.js';
import { FIELD_PARAMS, freshField, observeValue, type FieldStats } from '../../workers/detectors/fields.js';
import { explainedBySlots, SLOT_NEW_PARAMS, slotLayout } from '../../workers/detectors/slots.js';
import { scoreLogs } from '../../workers/detectors/logs.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';

const T0 = 1_700_000_000_000;

/** A template `FATAL ciod: Error loading <*> invalid program image` and its slot's stats after `values`. */
function loading(values: string[]): { stats: Record<string, FieldStats>; tokens: (path: string) => string[]; t: ReturnType<TemplateMiner['match']>['template'] } {
  const m = new TemplateMiner();
  const line = (p: string): string => `FATAL ciod: Error loading ${p} invalid program image`;
  m.match(scan(line('/home/first/prog:'), 64), 1);
  const t = m.match(scan(line('/home/second/prog:'), 64), 2).template;
  const L = slotLayout(t);
  expect(L.names).toEqual(['#4']);
  const f = freshField();
  for (const v of values) observeValue(f, v, '');
  return { stats: { '#4': f }, tokens: (p) => scan(line(p), 64).tokens, t };
}

describe('benign novelty of id-like slots', () => {
  const words = (n: number): string[] => Array.from({ length: n }, (_, i) => `/home/user${String.fromCharCode(97 + i)}x/prog:`.replace(/\d/g, ''));

  it('a new value of a slot with more than lowCard values explains the line; one with fewer, each seen again, does not', () => {
    const many = loading(words(FIELD_PARAMS.lowCard + 1));
    expect(explainedBySlots(many.t, many.tokens('/home/newcomer/prog:'), many.stats)).toBe(true);
    const few = loading([...words(FIELD_PARAMS.lowCard), ...words(FIELD_PARAMS.lowCard)]);
    expect(explainedBySlots(few.t, few.tokens('/home/newcomer/prog:'), few.stats)).toBe(false);
    // Two values (an acquirer adyen / stripe) are a low-cardinality slot: a third is news.
    const two = loading(['adyen', 'stripe']);
    expect(explainedBySlots(two.t, two.tokens('paypal'), two.stats)).toBe(false);
  });

  it('a slot whose sightings mostly brought a new value (Good-Turing) takes new values: a new one explains the line from minSightings on', () => {
    expect(SLOT_NEW_PARAMS.minSightings).toBe(3);
    // Three sightings, three paths: a fourth path is what this slot does.
    const fresh = loading(words(3));
    expect(explainedBySlots(fresh.t, fresh.tokens('/home/newcomer/prog:'), fresh.stats)).toBe(true);
    // Half of five sightings seen once (a, b, c once; d twice): still at the bar (3 of 5 ≥ 2.5).
    const most = loading(['/home/ax/p:', '/home/bx/p:', '/home/cx/p:', '/home/dx/p:', '/home/dx/p:']);
    expect(explainedBySlots(most.t, most.tokens('/home/newcomer/prog:'), most.stats)).toBe(true);
    // Under the bar: values that repeat (adyen twice, stripe once) are categories, a new one is news.
    const repeat = loading(['adyen', 'stripe', 'adyen']);
    expect(explainedBySlots(repeat.t, repeat.tokens('paypal'), repeat.stats)).toBe(false);
    // Repeats counted by fields.ts beside f.v (its Map) count too: three values seen twice each.
    const twice = loading([...words(3), ...words(3)]);
    expect(explainedBySlots(twice.t, twice.tokens('/home/newcomer/prog:'), twice.stats)).toBe(false);
  });

  it('a line with no new text in its slots, or slots without statistics, is not explained', () => {
    const many = loading(words(FIELD_PARAMS.lowCard + 1));
    // A seen value: the line's surprise is not a slot's new value (its constant text is new to the dictionary).
    expect(explainedBySlots(many.t, many.tokens(words(1)[0]), many.stats)).toBe(false);
    // Numbers, hex and dates carry no text: they neither explain nor block.
    expect(explainedBySlots(many.t, many.tokens('0x7f3a2b10'), many.stats)).toBe(false);
    expect(explainedBySlots(many.t, many.tokens('/home/newcomer/prog:'), undefined)).toBe(false);
  });

  it('a blob longer than a slot keeps (an encoded payload) is not vouched for, even in an id-like slot', () => {
    const many = loading(words(FIELD_PARAMS.lowCard + 1));
    const blob = 'U29tZSBlbmNvZGVkIHBheWxvYWQgdGhhdCBpcyBtdWNoIGxvbmdlciB0aGFuIGEgd29yZCBvZiBwcm9zZQ==';
    expect(blob.length).toBeGreaterThan(64);
    expect(explainedBySlots(many.t, many.tokens(blob), many.stats)).toBe(false);
  });

  it('the logs detector reports a FATAL path error while its path slot is low-cardinality, then not for new paths', () => {
    const r = seeded(3);
    const ev: ScoreInput[] = [];
    const errAt: number[] = [];
    const word = (): string => Array.from({ length: 7 }, () => String.fromCharCode(97 + r.int(0, 25))).join('');
    for (let i = 0; i < 4000; i++) {
      if (i >= 500 && i % 150 === 0) {
        errAt.push(i);
        ev.push({ ts: T0 + i * 100, text: `RAS APP FATAL ciod: Error loading /home/${word()}/${word()}/${word()}: invalid or missing program image, No such file or directory` });
      } else ev.push({ ts: T0 + i * 100, text: `INFO api GET /api/${r.pick(['orders', 'cart', 'search'])} status=200 latency_ms=${r.int(10, 90)} user=${r.pick(['ana', 'ben', 'chen'])}${r.int(0, 999)} req=${r.hex(16)}` });
    }
    const found = new Set<number>();
    let state: Uint8Array | null = null;
    for (let b = 0; b < ev.length; b += 100) {
      const out = scoreLogs(state, ev.slice(b, b + 100), undefined, 0.5);
      state = out.state;
      for (const f of out.findings) if (f.detector === 'compression_surprise') found.add(b + f.index);
    }
    expect(errAt.length).toBeGreaterThan(20);
    // The first lines of the template are news (its first, its second that makes the path a
    // slot, and new paths while the slot has shown fewer than minSightings of them; the first
    // path, the template's constant until the second widened it, counts as shown: logs-values.ts
    // widened, branch db12: the 4th was news before)…
    const early = 1 + SLOT_NEW_PARAMS.minSightings - 1;
    expect(errAt.slice(0, early).filter((i) => found.has(i))).toEqual(errAt.slice(0, early));
    // …from the 4th on (three paths seen in the slot, each once) a new path is not.
    const late = errAt.slice(early);
    expect(late.filter((i) => found.has(i))).toEqual([]);
    // A new error template is still reported.
    const more = scoreLogs(state, [{ ts: T0 + 4000 * 100, text: 'RAS KERNEL FATAL data TLB error interrupt' }], undefined, 0.5);
    expect(more.findings.some((f) => f.detector === 'compression_surprise')).toBe(true);
  });
});
