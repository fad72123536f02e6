// Typos in the free-text detector (prose-typo.ts): a word one slip from a word of the stream's
// recent texts ("prcie", "shippng", "thhis") is not new vocabulary (issue 11, llm-shop tuning seeds
// 201-210: short texts with a typo were 11 of the 78 false alarms, most reported as drift).
import { describe, expect, it } from 'vitest';
import { misspelt } from '../../workers/detectors/prose-typo.js';
import { freshProse, PROSE_PARAMS, ProseScorer, type ProseParams } from '../../workers/detectors/prose.js';

const ITEMS = ['rain jacket', 'trail runner', 'fleece vest', 'day pack', 'wool socks', 'down parka', 'tent', 'headlamp'];
const ASKS = ['what is the price of the {i}', 'is the {i} in stock', 'do you have free shipping on the {i}', 'when will my {i} ship', 'can I return the {i}'];

/** An ordinary stream of short shop questions (the words under test are among its words). */
function shop(i: number): string {
  return ASKS[(i * 3) % ASKS.length].replace('{i}', ITEMS[(i * 5 + Math.floor(i / 7)) % ITEMS.length]) + (i % 2 === 0 ? '?' : '');
}

describe('typos', () => {
  it('misspelt: a swap, a doubled or a dropped letter inside a word; never the first letter, an ending or a changed letter', () => {
    const known = new Set(['price', 'this', 'shipping', 'open', 'rest', 'pick', 'size']);
    expect(misspelt('prcie', known, 4)).toBe(true); // swap
    expect(misspelt('opne', known, 4)).toBe(true); // swap at the end of the word, first letter kept
    expect(misspelt('thhis', known, 4)).toBe(true); // doubled
    expect(misspelt('shippng', known, 4)).toBe(true); // dropped inside
    expect(misspelt('rpice', known, 4)).toBe(false); // the first letter moved
    expect(misspelt('vest', known, 4)).toBe(false); // a changed letter (first)
    expect(misspelt('pink', known, 4)).toBe(false); // a changed letter (inside)
    expect(misspelt('prices', known, 4)).toBe(false); // an ending
    expect(misspelt('pric', known, 4)).toBe(false); // a dropped last letter
    expect(misspelt('prcie', known, 6)).toBe(false); // shorter than minLetters
    expect(misspelt('prcie', known, 0)).toBe(false); // off
    expect(misspelt('prcíe', new Set(['prcíe']), 4)).toBe(false); // only plain Latin lower-case letters
  });

  it('a short text with a typo of a known word is judged without it; the null keeps its share (typoLetters 0: as before)', () => {
    const novelty = (params: ProseParams): { typo: number; fresh: number; nullSize: number } => {
      const sc = new ProseScorer(freshProse(), params);
      for (let i = 0; i < 200; i++) sc.feed(shop(i));
      const size = sc.s.nulls.novelty.ring.length;
      sc.feed('prcie of the tent?');
      const typo = sc.lastU.novelty;
      sc.feed('glockenspiel of the tent?');
      return { typo, fresh: sc.lastU.novelty, nullSize: size };
    };
    const on = novelty(PROSE_PARAMS);
    const off = novelty({ ...PROSE_PARAMS, typoLetters: 0 });
    expect(on.typo).toBeLessThanOrEqual(0); // no new word left
    expect(off.typo).toBeGreaterThan(0.5); // as before: 'prcie' is a new word
    expect(on.fresh).toBeCloseTo(off.fresh, 6); // a word with no neighbour is as new as before
    expect(on.nullSize).toBe(off.nullSize);
  });
});
