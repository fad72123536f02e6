// How a free text ends (prose.ts, issue 11): an answer cut off by a token limit, a timeout or a
// dropped connection ends in the middle of a word or a clause ("…open Confluence and go to Se"),
// where the stream's texts end with a full stop, a question mark, a closing fence or bracket. A
// stream of users' prompts ends with a bare word often; a stream of a model's answers almost never.
//
//   text ─► its last character (trailing spaces dropped) ─► one of ENDINGS:
//           finished  anything else: . ! ? … 。 ؟ ।, a closing bracket, quote, fence or table bar, an emoji
//           word      a letter of any script or a digit (a word or a number cut off, or a sentence
//                     without its stop: one class, as a stream whose users leave out the stop ends
//                     on a number as readily as on a word)
//           joiner    , ; : - – — ( [ { / + & (a clause or a list cut off after its joint); but a
//                     semicolon that ends a text of several lines is finished: there it closes
//                     the last line of a snippet (`LIMIT 50;`, `}, [page]);`: C, Java, JS, SQL,
//                     shell) or of a list, not a clause (llm-code 201-210: 10 of its 64 false alarms)
//   counts per class over the stream's texts (every text: a way of ending that becomes common is
//   learned after a few; halved once their total passes `memory`), and
//   p = (count + 1/2) / (total + 2)   (the Krichevsky–Trofimov estimate: an unseen class of a stream of
//                                      N texts has p = 1 / (2N + 3))
//   an unfinished class (not `finished`) with p ≤ endingP is evidence of a cut-off text; its share of
//   the threshold is log p / log endingP (1 at p = endingP: a score of 0.5). A finished text never is.
// The counts are part of the detector's state (`ed`), updated per text in event order.

export const ENDINGS = ['finished', 'word', 'joiner'] as const;
export type Ending = (typeof ENDINGS)[number];

const JOINER = new Set([',', ';', ':', '-', '\u2013', '\u2014', '(', '[', '{', '/', '+', '&']);

/** The class of a text's last character (index into ENDINGS). */
export function endingClass(text: string): number {
  const t = text.trimEnd();
  if (t.length === 0) return 0;
  const last = [...t.slice(-2)].pop() ?? ''; // the last code point (a surrogate pair is one: an emoji, a letter beyond the BMP)
  if (/^[\p{L}\p{M}\p{N}]/u.test(last)) return 1;
  if (last === ';' && t.includes('\n')) return 0; // a statement's end in a snippet, not a clause's joint
  return JOINER.has(last) ? 2 : 0;
}

export function freshEndings(): number[] {
  return new Array<number>(ENDINGS.length).fill(0);
}

export function isEndings(o: unknown): o is number[] {
  return Array.isArray(o) && o.length === ENDINGS.length && o.every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0);
}

/** The estimated probability that a text of the stream ends in class k (module header). */
export function endingP(counts: readonly number[], k: number): number {
  let total = 0;
  for (const c of counts) total += c;
  return (counts[k] + 0.5) / (total + ENDINGS.length / 2);
}

/** A text's share of the ending threshold: log p / log endingP for an unfinished one, 0 for a finished one or when off (endingP 0). */
export function endingShare(counts: readonly number[], k: number, pMax: number): number {
  if (k === 0 || !(pMax > 0 && pMax < 1)) return 0;
  return Math.log(endingP(counts, k)) / Math.log(pMax);
}

/** Counts a text's class; all counts are halved once their total passes `memory`. */
export function noteEnding(counts: number[], k: number, memory: number): void {
  counts[k]++;
  let total = 0;
  for (const c of counts) total += c;
  if (total > memory) for (let i = 0; i < counts.length; i++) counts[i] /= 2;
}
