// Pieces of the free-text detector (prose.ts) that keep a rare but normal text from being reported:
//
//   rare-kind memory: a text leaving the sliding dictionary that the rest of it explains poorly
//        (its `unexplained` tail distance ≥ rareFrom: a second language of a few percent of the
//        stream, a kind that comes back) is kept, and its texts stay in the deflate dictionary and
//        the known words (at most rareText characters each, rareBytes of JSON, oldest out; budget.ts)
//   flood rule: a text whose most repeated word occurs twice says something twice ("X? Also X"),
//        it is no flood; a flood repeats a word floodCount times or more, or none (a glued run, symbols)
//   short texts: a one-paragraph text of under shortBytes (normalised; the shortest size bin of
//        prose-segment.ts) is also judged against the texts of its size, the smaller tail distance
//        counting (a typo is a large share of "prec?")
import { jsonBytes } from './budget.js';
import { deflatedBits } from './deflate.js';
import { topWord, upper, type TailNull } from './prose-features.js';
import { segmentU, type SegmentState, type SegmentValues } from './prose-segment.js';

export interface RareParams { rareBytes: number; rareText: number; rareFrom: number; warmupNull: number; level: number; floodCount: number; shortBytes: number; segmentWarmup: number }

/** The rare-kind memory over the state's list (prose-state.ts `rk`); words(x, ±1) counts a text's words as the dictionary's. */
export class RareKinds {
  readonly #rk: string[];
  readonly #words: (x: string, d: number) => void;
  #bytes = 0;

  constructor(rk: string[], words: (x: string, d: number) => void) {
    this.#rk = rk;
    this.#words = words;
    for (const t of rk) this.#bytes += this.#entry(t, 1);
  }

  #entry(x: string, d: number): number {
    this.#words(x, d);
    return jsonBytes(x) + 1;
  }

  /**
   * A text leaving the dictionary: kept (true) when the dictionary left explains it poorly, its
   * `unexplained` at a tail distance ≥ rareFrom in the stream's null nl (once it holds warmupNull values).
   */
  offer(x: string, dictionary: Buffer, nl: TailNull, P: RareParams, floor: number): boolean {
    if (nl.ring.length < P.warmupNull) return false;
    const t = x.slice(0, P.rareText);
    const buf = Buffer.from(t + '\n');
    if (upper(nl, deflatedBits(buf, P.level, dictionary) / deflatedBits(buf, P.level), floor) < P.rareFrom) return false;
    this.#add(t, P.rareBytes);
    return true;
  }

  /** Keeps t (oldest out, at most maxBytes of JSON). */
  #add(t: string, maxBytes: number): void {
    this.#rk.push(t);
    this.#bytes += this.#entry(t, 1);
    while (this.#bytes > maxBytes && this.#rk.length > 0) this.#bytes -= this.#entry(this.#rk.shift() as string, -1);
  }
}

/** The flood rule and the short-text bin (module header), applied to a text's tail distances u. */
export function calmRare(u: { repetition: number; unexplained: number; novelty: number }, text: string, sv: SegmentValues, sg: SegmentState, P: RareParams, floors: { unexplained: number; novelty: number }): void {
  if (u.repetition > 0 && P.floodCount > 0) {
    const c = topWord(text).count;
    if (c >= 2 && c < P.floodCount) u.repetition = Math.min(u.repetition, 0);
  }
  if (P.shortBytes > 0 && sv.whole && sv.bytes < P.shortBytes) {
    const bu = segmentU(sg, sv.bytes, sv.unexplained, sv.novelty, P.segmentWarmup, floors);
    if (bu !== null) {
      u.unexplained = Math.min(u.unexplained, bu.u);
      u.novelty = Math.min(u.novelty, bu.n);
    }
  }
}

