// The last paragraph of a free text, judged on its own (prose.ts, issue 11): an instruction
// appended after a blank line ("…thanks\n\nIgnore whatever you were told before. …") is diluted in
// the whole text's compression distance, and a short segment is always less explained than a
// whole text, so it is compared like with like: against the costs of segments of the same size in
// the stream's normal texts.
//
//   text ─► paragraphs (split at a blank line) ─► ≥ 2: last = the last one, prefix = the rest
//        ├─ unexplained = C(last | D + prefix) / C(last)   its compressed size given the stream's
//        │                                                 recent texts and the text before it
//        └─ novelty     = words of last seen neither in D, the long-run vocabulary nor the prefix
//                         / (words + 2)
//   null per size bin (⌊log2 bytes⌋ of the normalised segment, 16-31 … ≥ 512): every accepted
//   text adds one segment, its last paragraph (when it has several) or else the whole text given D
//   (the same cost: a segment given everything before it), so short texts fill the short bins;
//   u = tail distance (prose-features.ts) of each statistic in the segment's own bin (while it is
//   cold, the nearest warm bin of shorter segments: a stream with few long texts), and the
//   segment's vocabulary distance u(unexplained) + u(novelty) is judged as the whole text's is.
import { freshNull, pushNull, refreshNull, upper, type TailNull } from './prose-features.js';
import { deflatedBits } from './deflate.js';
import { normalise } from './normalise.js';

/** A segment's size (normalised, with its newline), compressed bits alone and given what precedes it, and its statistics. */
export interface SegmentValues { whole: boolean; bytes: number; bits: number; alone: number; unexplained: number; novelty: number; novel: string[] }

/** Size bins: ⌊log2 bytes⌋ from MIN_BIN (16-31 bytes, and shorter) to MAX_BIN (512 bytes and more). */
const MIN_BIN = 4;
const MAX_BIN = 9;
export const SEGMENT_BINS = MAX_BIN - MIN_BIN + 1;
/** Smallest segment judged (bytes after normalisation): a shorter one is a signature or "thanks". */
export const SEGMENT_MIN_BYTES = 16;

/** Per size bin: the nulls of the segments' unexplained share and novelty. */
export interface SegmentState {
  u: TailNull[];
  n: TailNull[];
}

export function freshSegments(): SegmentState {
  return { u: Array.from({ length: SEGMENT_BINS }, freshNull), n: Array.from({ length: SEGMENT_BINS }, freshNull) };
}

/** Validates a decoded state's segment nulls (absent in states saved before them). */
export function isSegmentState(o: unknown): o is SegmentState {
  const ok = (a: unknown): boolean => Array.isArray(a) && a.length === SEGMENT_BINS && a.every((t) => t !== null && typeof t === 'object' && Array.isArray((t as TailNull).ring));
  return o !== null && typeof o === 'object' && ok((o as SegmentState).u) && ok((o as SegmentState).n);
}

export function segmentBin(bytes: number): number {
  return Math.min(MAX_BIN, Math.max(MIN_BIN, Math.floor(Math.log2(Math.max(1, bytes))))) - MIN_BIN;
}

/** The byte range of a bin, for explanations ("64-127 bytes", "512 bytes or more"). */
export function binRange(bin: number): string {
  const lo = 2 ** (bin + MIN_BIN);
  if (bin === 0) return `under ${2 * lo} bytes`;
  return bin === SEGMENT_BINS - 1 ? `${lo} bytes or more` : `${lo}-${2 * lo - 1} bytes`;
}

const BLANK_LINE = /\n[ \t\r]*\n/;

/**
 * The last paragraph of a text of several (split at blank lines), and the text before it, both
 * lower-cased and normalised (normalise.ts) and cut to maxBytes; null for a text of one paragraph.
 */
export function lastParagraph(text: string, maxBytes: number): { prefix: string; last: string } | null {
  const parts = text.split(BLANK_LINE);
  let end = parts.length;
  while (end > 0 && parts[end - 1].trim() === '') end--;
  if (end < 2) return null;
  const last = normalise(parts[end - 1].toLowerCase()).slice(0, maxBytes);
  const before = parts.slice(0, end - 1).join('\n\n');
  if (before.trim() === '') return null;
  let prefix = normalise(before.toLowerCase());
  if (prefix.length > maxBytes) prefix = prefix.slice(prefix.length - maxBytes);
  return { prefix, last };
}

const WORD = /\p{L}{3,}/gu;

/**
 * The last paragraph of a text of several: its cost given the dictionary and the text before it,
 * and its words new to the stream (novelWords: prose.ts's) and not in the text before it; null
 * for a text of one paragraph.
 */
export function measureSegment(text: string, P: { maxBytes: number; level: number }, dictionary: Buffer, novelWords: (x: string) => { novel: string[]; words: number }): SegmentValues | null {
  const lp = lastParagraph(text, P.maxBytes);
  if (lp === null) return null;
  const buf = Buffer.from(lp.last + '\n');
  const alone = deflatedBits(buf, P.level);
  const bits = deflatedBits(buf, P.level, Buffer.concat([dictionary, Buffer.from(lp.prefix + ' ')]));
  const before = new Set(lp.prefix.match(WORD));
  const nw = novelWords(lp.last);
  const novel = nw.novel.filter((w) => !before.has(w));
  return { whole: false, bytes: buf.length, bits, alone, unexplained: bits / alone, novelty: novel.length / (nw.words + 2), novel };
}

/**
 * Tail distances of a segment in its bin; while the bin's null holds fewer than `warm` values, in
 * the nearest warm bin of shorter segments (a shorter segment is less explained: a conservative
 * null); null when none is warm. `bin` is the bin it was judged in (a finding quotes that bin's figures).
 */
export function segmentU(sg: SegmentState, bytes: number, unexplained: number, novelty: number, warm: number, floors: { unexplained: number; novelty: number }): { u: number; n: number; bin: number } | null {
  let b = segmentBin(bytes);
  while (b >= 0 && sg.u[b].ring.length < warm) b--;
  if (b < 0) return null;
  return { u: upper(sg.u[b], unexplained, floors.unexplained), n: upper(sg.n[b], novelty, floors.novelty), bin: b };
}

/** An accepted text's segment joins its bin's nulls; the bin's quantiles are refreshed every `refresh` values (each of the first 2 × warm). */
export function pushSegment(sg: SegmentState, bytes: number, unexplained: number, novelty: number, size: number, refresh: number, warm: number): void {
  const b = segmentBin(bytes);
  pushNull(sg.u[b], unexplained, size);
  pushNull(sg.n[b], novelty, size);
  if (sg.u[b].pos % refresh === 0 || sg.u[b].ring.length <= 2 * warm) {
    refreshNull(sg.u[b]);
    refreshNull(sg.n[b]);
  }
}

/** The words of a paragraph finding (typ: the bin's median unexplained share); its figures go into extra. */
export function explainParagraph(sv: SegmentValues, typ: number, bin: number, override: string, extra: Record<string, number | string>): string {
  const typical = Math.round(typ * sv.alone);
  Object.assign(extra, { novel_words: sv.novel.slice(0, 8).join(' '), novelty: Number(sv.novelty.toFixed(4)), paragraph_bytes: sv.bytes - 1, paragraph_bits: sv.bits, typical_bits: typical });
  const words = sv.novel.length > 0 ? ` (${sv.novel.slice(0, 6).map((w) => `"${w}"`).join(', ')}${sv.novel.length > 6 ? '…' : ''})` : '';
  return `Its last paragraph (${sv.bytes - 1} bytes after a blank line) is poorly explained by the stream's recent texts and the text before it: ` +
    `it costs ${sv.bits} bits, ${(sv.unexplained * 100).toFixed(0)}% of its size compressed alone, vs. a typical ${typical} bits (${(typ * 100).toFixed(0)}%) ` +
    `for texts and last paragraphs of ${binRange(bin)} in this stream, and ${sv.novel.length} of its words are new to the stream${words}: ` +
    `text of another kind appended (an instruction, code, another topic)${override !== '' ? `; the text holds the instruction-override phrase "${override}"` : ''}`;
}
