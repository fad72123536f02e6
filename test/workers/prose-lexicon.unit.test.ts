// The free-text detector's long-run vocabulary (prose-lexicon.ts): a word the stream used long
// ago, beyond its 12 KiB deflate dictionary, is not new vocabulary when it returns (issue 11,
// llm-dev generator: short prompts and short answers were flagged for such words).
import { describe, expect, it } from 'vitest';
import { Lexicon } from '../../workers/detectors/prose-lexicon.js';
import { decodeProse, freshProse, PROSE_PARAMS, ProseScorer } from '../../workers/detectors/prose.js';
import { devAnswer, devPrompt } from '../../src/tools/eval/generators/llm-dev.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { generateLlm } from '../../src/tools/eval/generators/llm.js';
import score from '../../workers/score.js';
import { runStream, task, textEvents } from './helpers.js';

const FILLER = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];

/** i in letters (a distinct word per text). */
function letters(i: number): string {
  let s = '';
  for (let n = i + 26 * 26; n > 0; n = Math.floor(n / 26)) s += String.fromCharCode(97 + (n % 26));
  return s;
}

/** 'alpha bravo ...' style texts, each distinct: none holds the words under test. */
function filler(i: number): string {
  return Array.from({ length: 8 }, (_, k) => FILLER[(i * 7 + k * 5) % FILLER.length]).join(' ') + ` ${letters(i)}`;
}

describe('long-run vocabulary', () => {
  it('Lexicon: has what was added; two generations; forgets after two turns; state round trip', () => {
    const lx = new Lexicon(4);
    expect(lx.has('quota')).toBe(false);
    lx.add('quota');
    expect(lx.has('quota')).toBe(true);
    for (const w of ['one', 'two', 'three']) lx.add(w); // 4 words: the generation turns
    expect(lx.has('quota')).toBe(true); // still in the previous generation
    const copy = new Lexicon(4, JSON.parse(JSON.stringify(lx.save())));
    expect(copy.has('three')).toBe(true);
    for (const w of ['four', 'five', 'six', 'seven']) lx.add(w); // turns again: quota is gone
    expect(lx.has('quota')).toBe(false);
    expect(lx.has('seven') || lx.has('four')).toBe(true);
    expect(() => new Lexicon(4, { a: 'AAAA', b: '', c: 0 })).toThrow(TypeError);
  });

  it('a word that left the deflate dictionary is not new when it returns', () => {
    const sc = new ProseScorer(freshProse());
    sc.feed('jupyter quota exceeded for the analytics team');
    // About 60 bytes a text: 400 of them push the first out of the 12 KiB dictionary.
    for (let i = 0; i < 400; i++) sc.feed(filler(i));
    expect(sc.s.dict.some((t) => t.includes('quota'))).toBe(false);
    expect(sc.novelWords('exceeded quota').novel).toEqual([]);
    expect(sc.novelWords('banana bread recipe').novel).toEqual(['banana', 'bread', 'recipe']);
  });

  it('a state saved before the long-run vocabulary is seeded from its dictionary', () => {
    const sc = new ProseScorer(freshProse());
    for (let i = 0; i < 50; i++) sc.feed(filler(i));
    const old = JSON.parse(new TextDecoder().decode(sc.save())) as Record<string, unknown>;
    delete old.lx;
    const back = new ProseScorer(decodeProse(new TextEncoder().encode(JSON.stringify(old))));
    expect(back.novelWords('alpha bravo zulu').novel).toEqual(['zulu']);
    expect(back.save().length).toBeGreaterThan(0);
    expect(decodeProse(back.save()).lx).toBeDefined();
  });

  it('a state saved before the vocabulary and the token memory goes on to the same state in one batch or many', () => {
    // Before, lx was added at the first save and tk at the first long token, in whichever order a
    // batch split met them: the same content, different state bytes.
    const texts = generateLlm(5).events.filter((e) => e.stream === 'support-web').map((e) => String(e.data));
    const first = runStream('llm', textEvents(texts.slice(0, 300)));
    const old = JSON.parse(new TextDecoder().decode(first.state ?? undefined)) as Record<string, unknown>;
    delete old.lx;
    delete old.tk;
    const rest = textEvents(texts.slice(300, 500));
    const from = (batch: number): { findings: number[]; state: Uint8Array | null } => {
      let state: Uint8Array | null = new TextEncoder().encode(JSON.stringify(old));
      const findings: number[] = [];
      for (let off = 0; off < rest.length; off += batch) {
        const r = score(task('llm', rest.slice(off, off + batch), state));
        if (!r.ok) throw new Error(r.message);
        for (const f of r.findings) findings.push(f.index + off);
        state = r.state;
      }
      return { findings, state };
    };
    const whole = from(rest.length);
    for (const batch of [1, 13]) expect(from(batch)).toEqual(whole);
  });

  it('few vocabulary findings on ordinary llm-dev prompts and answers', () => {
    // 8 streams × 700 texts (4 of prompts, 4 of answers) after a 100-text warm-up.
    // The vocabulary threshold before this change (2.8), no length gain: the long-run vocabulary alone.
    const params = { ...PROSE_PARAMS, uHalf: { ...PROSE_PARAMS.uHalf, vocabulary: 2.8 }, lengthGain: 0 };
    let flagged = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const r = seeded(1000 + seed);
      const sc = new ProseScorer(freshProse(), params);
      for (let i = 0; i < 800; i++) {
        const f = sc.feed(seed % 2 === 0 ? devAnswer(r) : devPrompt(r));
        if (f?.details?.kind === 'vocabulary') flagged++;
      }
    }
    // 5,600 ordinary texts (700 after warm-up each): 7 vocabulary findings before the long-run vocabulary, 1 with it.
    expect(flagged).toBeLessThanOrEqual(3);
  });
});
