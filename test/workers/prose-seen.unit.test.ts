// The verbatim memory (prose-seen.ts, prose-params.ts seenTexts): a text the stream accepted word
// for word, with no text flagged in the seenHold events around it, is neither new vocabulary nor
// drift when it comes back after its words left the dictionary and the long-run vocabulary. The
// llm-shop case fails on the code before (the stock replies in the stream's second language,
// accepted early, were reported when they came back hundreds of texts later).
import { describe, expect, it } from 'vitest';
import { freshProse, ProseScorer } from '../../workers/detectors/prose.js';
import { PROSE_PARAMS } from '../../workers/detectors/prose-params.js';
import { decodeProse } from '../../workers/detectors/prose-state.js';
import { SeenTexts } from '../../workers/detectors/prose-seen.js';
import { fnv1a } from '../../workers/detectors/fnv.js';
import { normalise } from '../../workers/detectors/normalise.js';
import { generateLlmShop } from '../../src/tools/eval/generators/llm-shop.js';

describe('SeenTexts', () => {
  it('remembers an accepted text once it waited hold events with no flag', () => {
    const m = new SeenTexts(4, 3);
    m.accept('a', 10);
    m.tick(12);
    expect(m.has('a')).toBe(false);
    m.tick(13);
    expect(m.has('a')).toBe(true);
  });

  it('forgets the waiting texts when a text is flagged, and takes none in the hold events after a flag', () => {
    const m = new SeenTexts(4, 3);
    m.accept('run start', 10);
    m.flagged(11);
    m.accept('run text', 13);
    m.tick(20);
    expect(m.has('run start')).toBe(false);
    expect(m.has('run text')).toBe(false);
    m.accept('later', 15);
    m.tick(18);
    expect(m.has('later')).toBe(true);
  });

  it('keeps size distinct hashes, oldest out, and comes back the same from its saved state', () => {
    const m = new SeenTexts(2, 0);
    for (const [k, t] of ['x', 'y', 'x', 'z'].entries()) {
      m.accept(t, k);
      m.tick(k);
    }
    expect(['x', 'y', 'z'].map((t) => m.has(t))).toEqual([false, true, true]);
    const saved = m.save();
    expect(saved).toBeDefined();
    const back = new SeenTexts(2, 0, saved);
    expect(['x', 'y', 'z'].map((t) => back.has(t))).toEqual([false, true, true]);
    expect(fnv1a('y')).toBe(fnv1a('y'));
    expect(m.save()).toBeUndefined(); // unchanged since the last save
  });
});

describe('prose: a text accepted before comes back word for word', () => {
  // llm-shop tuning seed 210: the store's replies, with stock replies in a second language.
  const { events, labels } = generateLlmShop(210);
  const bad = new Set(labels.anomalous);
  const texts: string[] = [];
  const normal: boolean[] = [];
  events.forEach((e, i) => {
    if (e.stream !== 'northwind-shop-replies' || typeof e.data !== 'string') return;
    texts.push(e.data);
    normal.push(!bad.has(i));
  });

  function run(seenTexts: number, recurLoneSize: number = PROSE_PARAMS.recurLoneSize, alphabetRelief: number = PROSE_PARAMS.alphabetRelief): { flagged: Set<number>; accepted: Map<string, number>; again: number[]; state: Uint8Array } {
    const sc = new ProseScorer(freshProse(), { ...PROSE_PARAMS, seenTexts, recurLoneSize, alphabetRelief });
    const flagged = new Set<number>();
    const accepted = new Map<string, number>();
    const again: number[] = [];
    texts.forEach((t, i) => {
      const x = normalise(t.toLowerCase());
      const f = sc.feed(t);
      if (f !== null) flagged.add(i);
      // A normal text accepted 200+ texts before (its words have left the dictionary).
      const at = accepted.get(x);
      if (normal[i] && at !== undefined && i - at > 200) again.push(i);
      if (f === null && !accepted.has(x)) accepted.set(x, i);
    });
    return { flagged, accepted, again, state: sc.save() };
  }

  it('is not reported when the stream accepted it before (the repeats were reported without the memory)', () => {
    // Without the memory, and with lone witnesses of one-text episodes only (as when it was written:
    // since branch prompt12 a repeated pair of second-language texts also vouches, which leaves one
    // of these repeats reported without the memory instead of two or more; and without the second
    // alphabet of branch shop14, which keeps the first sightings of such replies from being reported).
    const off = run(0, 1, 1);
    const on = run(PROSE_PARAMS.seenTexts);
    const before = off.again.filter((i) => off.flagged.has(i));
    expect(before.length).toBeGreaterThanOrEqual(2);
    expect(before.filter((i) => on.flagged.has(i))).toEqual([]);
    // Every incident of the stream found without the memory is found with it.
    const inc = texts.map((_, i) => i).filter((i) => !normal[i] && off.flagged.has(i));
    expect(inc.filter((i) => !on.flagged.has(i))).toEqual([]);
    expect(decodeProse(on.state).sn).toBeDefined();
    expect(decodeProse(off.state).sn).toBeUndefined();
  });
});
