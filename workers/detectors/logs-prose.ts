// Prose lines of a log stream (issue 11: "log messages that are mostly prose", such as customer
// feedback or support comments logged as text): templates do not fit them, the free-text
// detector does.
//
//   line ─► proseLike: ≥ minTokens whitespace tokens, ≥ minShare of them words (prose-features.ts
//        │  proseShare: letters of any script, at most a capital first, punctuation around; a run
//        │  of Chinese or Japanese, written without spaces, as one word per 2 characters)
//        ├─ no  ─► the template path (logs.ts), as every line
//        └─ yes ─► the stream's prose detector (prose.ts; its state is the logs state's `p`)
//              ├─ past its warm-up (warmupEvents prose lines of this stream): it alone scores the
//              │  line (a claimed line takes no template path)
//              └─ warming up: it learns the line; the template path takes it too (templates, slots,
//                 rate), but its text novelty judges only a severe one (a FATAL/ERROR level or a
//                 failure word) or one of the stream's first FIRST_PROSE_JUDGED prose lines:
//                 compression cannot tell normal prose from odd prose, it flagged nearly every
//                 warm-up feedback line of the mixed generator (issue 11), but the first prose in a
//                 stream of structured lines is news (test/engine/score.test.ts)
// A stream with no prose never warms it up: a wordy error line there (the logs generator's
// `CRITICAL auth signing key not found ...`) still takes the template path.
// Thresholds chosen on the generators' seeds 1-10 (README, Detection): on the logs generator no
// normal line reaches a share of 0.75 (the wordiest, `WARN worker retrying job ... after timeout`,
// 0.71); on the mixed generator 99% of the feedback lines do.
import type { Finding } from '../types.js';
import { proseShare, proseShareSpaced } from './prose-features.js';
import { freshProse, PROSE_PARAMS, ProseScorer, type ProseState } from './prose.js';
import { FNV_BASIS, FNV_PRIME, fnv1aFrom } from './fnv.js';

/** Prose in log lines: without the llm streams' explained-token, recurrence and typo rules (chosen on llm streams only). */
const LOG_PROSE_PARAMS = Object.freeze({ ...PROSE_PARAMS, tokenShare: 0, recurSize: 0, rareBytes: 0, floodCount: 0, shortBytes: 0, runPurge: 0, seenTexts: 0, holdEvents: 0, endingP: 0, burstTexts: 0, typoLetters: 0, alphabetRelief: 1 });

export const PROSE_ROUTE = Object.freeze({ minTokens: 6, minShare: 0.75 });

export function proseLike(text: string): boolean {
  // (proseShareSpaced is null exactly when MAY_BE_UNSPACED matches: the text is respaced first.)
  const { words, tokens } = proseShareSpaced(text) ?? proseShare(spacedWords(text));
  return tokens >= PROSE_ROUTE.minTokens && words >= PROSE_ROUTE.minShare * tokens;
}

/**
 * Chinese and Japanese put no spaces between words: a sentence was one whitespace token, so a
 * feedback line in them (`INFO api customer feedback: 我想退货并申请退款，…`) had 5 tokens, below
 * minTokens, and took the template path as one more value of a many-valued slot (on the mixed
 * generator's seeds 1-10, 7 of the 20 foreign-language incidents are Chinese or Japanese; the
 * template path found 2 of them, the prose path now finds all 7). A run of Han or
 * kana counts as one word per UNSPACED_CHARS_PER_WORD characters (segmented Chinese and Japanese
 * text averages about 1.5 to 2 characters a word), and their punctuation (、。，？) as a space.
 * Hangul is written with spaces between words: whitespace already splits it.
 */
export const UNSPACED_CHARS_PER_WORD = 2;
/** Quick test for the code units of those scripts (CJK radicals to CJK ideographs, compatibility ideographs, full-width forms, supplementary ideographs' high surrogates). */
export const MAY_BE_UNSPACED = /[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\ud840-\ud87f]/;
const UNSPACED_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\u30fc]+/gu;
const UNSPACED_PUNCTUATION = /[\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]/g;

/** The text with each run of Han or kana replaced by its count of words (placeholders `w`) between spaces. */
function spacedWords(text: string): string {
  return text
    .replace(UNSPACED_RUN, (run) => ` ${'w '.repeat(Math.ceil([...run].length / UNSPACED_CHARS_PER_WORD))}`)
    .replace(UNSPACED_PUNCTUATION, ' ');
}

/** How many of a stream's first prose-like lines the template path's text novelty still judges during the warm-up. */
export const FIRST_PROSE_JUDGED = 3;

/**
 * Prose varies: a stream's prose-like lines are prose only while their words do. Among its last
 * `ring` prose-like lines (the hash of each one's words, digits and ids left out), at least
 * minDistinct × the lines held must differ; else the lines are one
 * message or a few repeated (Mosquitto's `Outgoing messages are being dropped for client <id>.`,
 * `Client <id> already connected, closing old connection.`: 7 words of 9 tokens), which the
 * template path judges (rate, rarity, slots). Before it, such a message's burst warmed the prose
 * detector up, which then took its later lines for normal prose (iot 201-215: a rare broker error
 * found 2 of 45 times after its burst).
 */
export const PROSE_VARIETY = Object.freeze({ ring: 32, minDistinct: 0.25 });

/** FNV-1a of a line's words (tokens of letters only, punctuation around them stripped): the same for the lines of one message whatever its ids and numbers. */
export function wordsHash(text: string): number {
  let h = FNV_BASIS;
  for (const tok of text.split(/\s+/)) {
    const w = tok.replace(/^[^A-Za-z\u00c0-\uffff]+|[^A-Za-z\u00c0-\uffff]+$/g, '');
    if (w === '' || !/^[A-Za-z\u00c0-\uffff'’-]+$/.test(w)) continue;
    // The word, then a space between words (fnv.ts, the detectors' one string hash).
    h = Math.imul(fnv1aFrom(w, 0, h) ^ 32, FNV_PRIME);
  }
  return h >>> 0;
}

export class ProseLines {
  #s: ProseState | undefined;
  /** The stream's last prose-like lines' wordsHash (LogsState.pw), oldest first. */
  readonly #holder: { pw?: number[] };
  #scorer: ProseScorer | undefined;
  /** The last claimed line's score. */
  rowScore = 0;
  /** The line just passed to claims() was prose-like and learnt during the warm-up (not claimed). */
  learning = false;

  /** `holder` keeps the ring of the last prose-like lines' words (LogsState.pw). */
  constructor(s: ProseState | undefined, holder: { pw?: number[] } = {}) {
    this.#s = s;
    this.#holder = holder;
  }

  /** Whether the stream's prose-like lines, this one (`text`) among them, vary (PROSE_VARIETY). */
  #varied(text: string): boolean {
    const P = PROSE_VARIETY;
    const ring = (this.#holder.pw ??= []);
    ring.push(wordsHash(text));
    if (ring.length > P.ring) ring.splice(0, ring.length - P.ring);
    return new Set(ring).size >= P.minDistinct * ring.length;
  }

  /**
   * A prose-like line is learnt; true when the prose detector, past its warm-up, claims it (its
   * finding, if any, pushed to out): the template path then skips it.
   */
  claims(text: string, threshold: number, out: Omit<Finding, 'index'>[]): boolean {
    this.learning = false;
    if (!proseLike(text) || !this.#varied(text)) return false;
    this.#s ??= freshProse();
    this.#scorer ??= new ProseScorer(this.#s, LOG_PROSE_PARAMS);
    const seen = this.#s.n;
    const warm = seen >= PROSE_PARAMS.warmupEvents;
    const f = this.#scorer.feed(text, threshold);
    this.rowScore = this.#scorer.rowScore;
    if (!warm) {
      // The stream's first prose lines keep the template path's text novelty: prose in a stream
      // that never carried any (a foreign-language panic among structured lines) is news in itself.
      this.learning = seen >= FIRST_PROSE_JUDGED;
      return false;
    }
    if (f !== null) out.push(f);
    return true;
  }

  /** The prose state to save (undefined: the stream has had no prose-like line). */
  get state(): ProseState | undefined {
    this.#scorer?.sync();
    return this.#s;
  }
}
