// Pieces of the free-text detector (prose.ts): the character-class profile of a text, its
// longest token, its repetition, and a two-tailed null of a statistic (quantiles of the stream's
// own recent values) that turns a value into a tail distance.
//
//   tail distance u = (x − q50) / (q99 − q50) above the median, (q50 − x) / (q50 − q01) below it:
//   u > 1 is as rare as the stream's 1 % tail; the detector flags at u ≥ uHalf (one number for
//   every stream and statistic, chosen on the generator's tuning seeds).
import { jsonBytes } from './budget.js';
import { deflatedBits } from './deflate.js';
import { fnv1a } from './fnv.js';

/** Character classes: ASCII letters, digits, whitespace, ASCII punctuation, code symbols, other scripts. */
export const CLASS_NAMES = ['letters', 'digits', 'spaces', 'punctuation', 'code symbols', 'non-Latin script'] as const;
export const CLASSES = CLASS_NAMES.length;

/** Shares of each character class in text (UTF-16 units; a surrogate pair counts twice as "non-Latin"). */
export function classShares(text: string, out: Float64Array = new Float64Array(CLASSES)): Float64Array {
  out.fill(0);
  const n = text.length;
  if (n === 0) return out;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) out[0]++;
    else if (c >= 48 && c <= 57) out[1]++;
    else if (c === 32 || c === 9 || c === 10 || c === 13) out[2]++;
    else if (c === 123 || c === 125 || c === 91 || c === 93 || c === 60 || c === 62 || c === 61 || c === 59 || c === 92 || c === 124 || c === 96 || c === 95 || c === 36 || c === 42 || c === 43 || c === 47 || c === 38 || c === 37 || c === 94 || c === 126) out[4]++;
    else if (c < 128) out[3]++;
    // Latin letters with diacritics (U+00C0–U+024F) count as letters: a French prompt is not a script change.
    else if (c >= 0xc0 && c <= 0x24f) out[0]++;
    else out[5]++;
  }
  for (let k = 0; k < CLASSES; k++) out[k] /= n;
  return out;
}

/** L1 distance between two share vectors, and the class that moved most (signed: + more, − less). */
export function classDistance(a: ArrayLike<number>, b: ArrayLike<number>): { d: number; top: number; delta: number } {
  let d = 0;
  let top = 0;
  let delta = 0;
  for (let k = 0; k < CLASSES; k++) {
    const x = a[k] - b[k];
    d += Math.abs(x);
    if (Math.abs(x) > Math.abs(delta)) {
      delta = x;
      top = k;
    }
  }
  return { d, top, delta };
}

/** Length of the longest run of non-whitespace characters (an encoded blob is one long token). */
export function longestToken(text: string): number {
  let best = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) run = 0;
    else if (++run > best) best = run;
  }
  return best;
}

/** The longest run of non-whitespace characters itself (the first of equal length). */
export function longestRun(text: string): string {
  let best = 0;
  let end = 0;
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 9 || c === 10 || c === 13) run = 0;
    else if (++run > best) {
      best = run;
      end = i + 1;
    }
  }
  return text.slice(end - best, end);
}

/** The longest run without a space, without its leading and trailing punctuation (`=IFERROR(…)",` → `IFERROR(…`). */
export function longestTokenCore(text: string): string {
  const raw = longestRun(text);
  const core = raw.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '');
  // A run of punctuation only (=====, a run of control characters) is its own token, not ''.
  return tokenKey(core === '' ? raw : core);
}

/** A token as the memory keeps it: itself up to 96 characters, else its first 78, its length and a hash of it all. */
function tokenKey(t: string): string {
  if (t.length <= 96) return t;
  return `${t.slice(0, 78)}#${t.length}#${fnv1a(t).toString(36)}`;
}

/**
 * True when the text's longest token is among the ring's (the stream's recent notable tokens);
 * otherwise it joins the ring (at most size tokens and maxBytes of them in the state's JSON,
 * oldest out; budget.ts). An encoded blob or a key is new each time; a formula or a path that
 * recurs in a stream's answers is part of its vocabulary.
 */
export function recurringToken(ring: string[], text: string, size: number, maxBytes = Infinity): boolean {
  const core = longestTokenCore(text);
  if (ring.includes(core)) return true;
  ring.push(core);
  let bytes = 0;
  for (const t of ring) bytes += jsonBytes(t) + 1;
  while (ring.length > 1 && (ring.length > size || bytes > maxBytes)) bytes -= jsonBytes(ring.shift() as string) + 1;
  return false;
}

/** The most repeated word (3+ letters, lower case) and its share of the text's words. */
export function topWord(text: string): { word: string; count: number; words: number } {
  const counts = new Map<string, number>();
  let words = 0;
  let word = '';
  let count = 0;
  for (const m of text.toLowerCase().matchAll(/\p{L}{3,}/gu)) {
    words++;
    const c = (counts.get(m[0]) ?? 0) + 1;
    counts.set(m[0], c);
    if (c > count) {
      count = c;
      word = m[0];
    }
  }
  return { word, count, words };
}

/** A statistic's null: ring of recent values and its quantiles at the last refresh. */
export interface TailNull {
  ring: number[];
  pos: number;
  q01: number;
  q50: number;
  q99: number;
}

export function freshNull(): TailNull {
  return { ring: [], pos: 0, q01: 0, q50: 0, q99: 0 };
}

/** Values are kept to 1e-4 (the state is JSON: 6 characters a value instead of 18). */
export function pushNull(t: TailNull, x: number, size: number): void {
  const r = Math.round(x * 1e4) / 1e4;
  if (t.ring.length < size) t.ring.push(r);
  else t.ring[t.pos] = r;
  t.pos = (t.pos + 1) % size;
}

export function refreshNull(t: TailNull): void {
  if (t.ring.length === 0) return;
  const s = [...t.ring].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
  t.q01 = at(0.01);
  t.q50 = at(0.5);
  t.q99 = at(0.99);
}

/** Tail distance above the median (≤ 0 below it); floor: the smallest spread taken seriously. */
export function upper(t: TailNull, x: number, floor: number): number {
  return (x - t.q50) / Math.max(t.q99 - t.q50, floor);
}

/** Tail distance below the median. */
export function lower(t: TailNull, x: number, floor: number): number {
  return (t.q50 - x) / Math.max(t.q50 - t.q01, floor);
}

/** Characters a word may start with, and end with (quotes, brackets, sentence punctuation): ( " ' ¿ ¡ and . , ! ? ; : ) " '. */
function isOpener(c: number): boolean {
  return c === 40 || c === 34 || c === 39 || c === 0xbf || c === 0xa1;
}

function isCloser(c: number): boolean {
  return c === 46 || c === 44 || c === 33 || c === 63 || c === 59 || c === 58 || c === 41 || c === 34 || c === 39;
}

/**
 * How much of a line reads as prose: its whitespace-separated tokens, and how many are words of
 * natural language: letters only (ASCII, or any character from U+00C0 on: other scripts), no
 * capital after the first, an apostrophe inside, quotes, brackets and punctuation around. One
 * pass over the characters, no allocation (it runs on every log line: logs-prose.ts).
 */
export function proseShare(text: string): { words: number; tokens: number } {
  return shareOf(text, false) as { words: number; tokens: number };
}

/**
 * proseShare, or null at the first code unit of a script written without spaces (Han, kana,
 * full-width forms: isUnspaced), whose text logs-prose.ts first respaces: one pass over an
 * ordinary log line instead of a search for those scripts and then proseShare's pass.
 */
export function proseShareSpaced(text: string): { words: number; tokens: number } | null {
  return shareOf(text, true);
}

/** The code units of MAY_BE_UNSPACED (logs-prose.ts): CJK radicals to CJK ideographs, compatibility ideographs, full-width forms, supplementary ideographs' high surrogates. */
export function isUnspaced(c: number): boolean {
  return (c >= 0x2e80 && c <= 0x9fff) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff00 && c <= 0xffef) || (c >= 0xd840 && c <= 0xd87f);
}

function shareOf(text: string, stop: boolean): { words: number; tokens: number } | null {
  let words = 0;
  let tokens = 0;
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c <= 32) { i++; continue; }
    tokens++;
    let end = i;
    // (Every unspaced code unit is above 32, so inside a token: each one is looked at here.)
    for (; end < n && (c = text.charCodeAt(end)) > 32; end++) if (stop && c >= 0x2e80 && isUnspaced(c)) return null;
    let a = i;
    let b = end;
    if (isOpener(text.charCodeAt(a))) a++;
    while (b > a && isCloser(text.charCodeAt(b - 1))) b--;
    let word = b > a;
    for (let k = a; k < b && word; k++) {
      c = text.charCodeAt(k);
      if (c >= 97 && c <= 122) continue;
      if (c >= 65 && c <= 90) { word = k === a; continue; }
      if (c >= 0xc0) continue;
      word = (c === 39 || c === 0x2019) && k > a && k < b - 1;
    }
    if (word) words++;
    i = end;
  }
  return { words, tokens };
}

/** The share of the text's longest token that a stream's texts (dictionary) and long tokens do not explain (its compressed size given them / alone, at most 1). */
export function tokenShare(text: string, dictionary: Buffer, tokens: readonly string[], level: number): number {
  const tok = longestRun(text).toLowerCase();
  if (tok.length === 0) return 1;
  const ctx = Buffer.concat([dictionary, Buffer.from(tokens.join('\n').toLowerCase() + '\n')]);
  const buf = Buffer.from(tok);
  return Math.min(1, deflatedBits(buf, level, ctx.length > 32_000 ? ctx.subarray(ctx.length - 32_000) : ctx) / deflatedBits(buf, level));
}
