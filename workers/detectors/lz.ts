// Incremental compression cost: what deflate would spend on a line given the stream's recent
// text, without re-hashing a dictionary on every call (zlib's deflateSetDictionary hashes all of
// it each time: 16 KiB per new line).
//
// Not used by the detectors yet: text.ts with it (commits 0c87b04, d9d01f5 of branch lzcost) was
// 1.4-1.5× faster by CPU time on the Loghub logs, but its window is not the LRU dictionary and
// BGL_2k's F1 went from 0.615 to 0.602 (README, "Incremental compression cost").
//
//   window: a ring of the stream's recent normalised text (lines that joined the baseline, in
//   │       the order they were appended), with zlib-style hash chains of its 4-character strings;
//   │       each appended position is hashed once
//   ▼
//   cost(line): LZ77 parse of line + '\n' against the window and itself, as deflate level 6
//        parses (longest match over a hash chain, one-step lazy evaluation, a 3-character match
//        farther than 4 KiB is not taken; at most 16 KiB back), priced in bits as deflate's fixed Huffman block
//        prices it (literal 8/9 bits, length code 7/8 bits + extra, distance code 5 bits +
//        extra), header and end of block, rounded up to bytes; a stored block when cheaper
//   alone(line): the same without the window (the line against itself)
//
// Deterministic and serialisable: the window's text (its last WINDOW characters) is the whole
// state; a window rebuilt from that text makes the same matches as the one that was grown line
// by line (no candidate older than WINDOW characters is ever used). Characters are UTF-16 code
// units: a non-ASCII literal is priced as its UTF-8 bytes.

/**
 * Characters kept, and the longest match distance: 16 KiB, the reach the deflate dictionary of
 * the baseline's 16 KiB had (deflate itself would reach 32 KiB; measured, the wider reach made
 * more false alarms on the Loghub logs). The ring holds the window and the line being priced.
 */
export const WINDOW = 16384;
const MAX_DIST = WINDOW;
const RING = 2 * WINDOW;
const RMASK = RING - 1;
const HBITS = 15;
const HSIZE = 1 << HBITS;
const MIN = 3;
const MAX = 258;
/** zlib level 6: chain length, lazy, good and nice lengths. */
const CHAIN = 128;
const MAX_LAZY = 16;
const GOOD = 8;
const NICE = 128;
const TOO_FAR = 4096;
/** Longest line parsed (longer ones are priced on their first characters). */
export const MAX_LINE = 4096;

/** Bits of a match length: its code (7 bits for codes 257-279, 8 for 280-285) and extra bits. */
const LEN_BITS = new Uint8Array(MAX + 1);
{
  // Deflate's length codes 257-284: base lengths, four codes per count of extra bits from 1 on.
  let code = 257;
  let len = MIN;
  for (let extra = 0; extra <= 5; extra++) {
    for (let k = 0; k < (extra === 0 ? 8 : 4); k++, code++) {
      for (let j = 0; j < 1 << extra && len < MAX; j++) LEN_BITS[len++] = (code >= 280 ? 8 : 7) + extra;
    }
  }
  LEN_BITS[MAX] = 8;
}

function distBits(d: number): number {
  return d <= 4 ? 5 : 5 + (31 - Math.clz32(d - 1)) - 1;
}

/** Fixed-Huffman literal bits of a UTF-16 code unit (its UTF-8 bytes). */
function litBits(c: number): number {
  if (c < 128) return 8;
  if (c < 2048 || (c >= 0xd800 && c <= 0xdfff)) return 17;
  return 26;
}

/**
 * Hash of the four characters at a position. Node's zlib (Chromium's) hashes four bytes, so a
 * match is only found when four characters agree (a 3-character repeat stays literals), and
 * this parse does the same.
 */
function hash4(a: number, b: number, c: number, d: number): number {
  return Math.imul(a ^ (b << 7) ^ (c << 14) ^ (d << 21), 0x9e3779b1) >>> (32 - HBITS);
}

export class LzWindow {
  readonly #ring = new Uint16Array(RING);
  readonly #head = new Int32Array(HSIZE).fill(-1);
  readonly #prev = new Int32Array(RING);
  /** Characters appended so far (absolute position of the next one), and the next position to hash. */
  #end = 0;
  #ins = 0;
  /** Undo log of the head slots a cost() call changed (hash, old head). */
  readonly #undo = new Int32Array(2 * (MAX_LINE + 1));

  constructor(text = '') {
    if (text.length > 0) this.append(text.length > WINDOW ? text.slice(text.length - WINDOW) : text);
  }

  /** Characters appended since this window was built (positions are relative to it). */
  get end(): number {
    return this.#end;
  }

  /** Appends text (a line and its '\n'); hashes every position whose four characters are now known. */
  append(text: string): void {
    if (this.#end + text.length > 0x3fffffff) this.#rebase();
    const ring = this.#ring;
    let e = this.#end;
    for (let i = 0; i < text.length; i++) ring[e++ & RMASK] = text.charCodeAt(i);
    this.#end = e;
    const head = this.#head;
    const prev = this.#prev;
    for (let p = Math.max(this.#ins, e - WINDOW); p + 3 < e; p++) {
      const h = hash4(ring[p & RMASK], ring[(p + 1) & RMASK], ring[(p + 2) & RMASK], ring[(p + 3) & RMASK]);
      prev[p & RMASK] = head[h];
      head[h] = p;
    }
    this.#ins = Math.max(this.#ins, e - 3);
  }

  /** The window's text: its last WINDOW characters (what a rebuilt window needs). */
  text(): string {
    const from = Math.max(0, this.#end - WINDOW);
    let s = '';
    for (let p = from; p < this.#end; p += 4096) {
      const to = Math.min(this.#end, p + 4096);
      const a = p & RMASK;
      const b = ((to - 1) & RMASK) + 1;
      s += a < b ? String.fromCharCode(...this.#ring.subarray(a, b)) : String.fromCharCode(...this.#ring.subarray(a), ...this.#ring.subarray(0, b));
    }
    return s;
  }

  #rebase(): void {
    const t = this.text();
    this.#head.fill(-1);
    this.#end = 0;
    this.#ins = 0;
    this.append(t);
  }

  /** Distance of the match #longest found last. */
  #dist = 0;

  /**
   * The longest match at p longer than `prevLen` over the hash chain from `cand` (candidates at
   * least `limit`), as zlib's longest_match; MIN - 1 when none. Its distance goes to #dist.
   */
  #longest(p: number, cand: number, prevLen: number, limit: number, maxLen: number): number {
    const ring = this.#ring;
    const prev = this.#prev;
    let chain = prevLen >= GOOD ? CHAIN >> 2 : CHAIN;
    let best = prevLen;
    let len = MIN - 1;
    while (cand >= limit) {
      if (ring[(cand + best) & RMASK] === ring[(p + best) & RMASK]) {
        let k = 0;
        while (k < maxLen && ring[(cand + k) & RMASK] === ring[(p + k) & RMASK]) k++;
        if (k > best) {
          best = k;
          len = k;
          this.#dist = p - cand;
          if (k >= NICE || k >= maxLen) break;
        }
      }
      if (--chain === 0) break;
      cand = prev[cand & RMASK];
    }
    return len;
  }

  /** Bits deflate would spend on `line` + '\n' given the window (or, `alone`, without it). */
  cost(line: string, alone = false): number {
    const ring = this.#ring;
    const head = this.#head;
    const prev = this.#prev;
    const undo = this.#undo;
    const n = Math.min(line.length, MAX_LINE - 1) + 1;
    const start = this.#end;
    const stop = start + n;
    let bytes = 0;
    for (let i = 0; i < n - 1; i++) {
      const c = line.charCodeAt(i);
      ring[(start + i) & RMASK] = c;
      bytes += c < 128 ? 1 : c < 2048 || (c >= 0xd800 && c <= 0xdfff) ? 2 : 3;
    }
    ring[(stop - 1) & RMASK] = 10;
    bytes++;
    const floor = alone ? start : 0;
    let undone = 0;
    let bits = 3 + 7;
    let prevLen = MIN - 1;
    let prevDist = 0;
    let pending = false;
    let p = start;
    while (p < stop) {
      // Hash this position (tentatively: undone below), then look for its longest match.
      let cand = -1;
      if (p + 3 < stop) {
        const h = hash4(ring[p & RMASK], ring[(p + 1) & RMASK], ring[(p + 2) & RMASK], ring[(p + 3) & RMASK]);
        cand = head[h];
        undo[undone++] = h;
        undo[undone++] = cand;
        prev[p & RMASK] = cand;
        head[h] = p;
      }
      let curLen = MIN - 1;
      let curDist = 0;
      if (cand >= 0 && prevLen < MAX_LAZY) {
        curLen = this.#longest(p, cand, prevLen, Math.max(p - MAX_DIST, floor), Math.min(MAX, stop - p));
        curDist = this.#dist;
        if (curLen === MIN && curDist > TOO_FAR) curLen = MIN - 1;
      }
      if (prevLen >= MIN && curLen <= prevLen) {
        // The previous position's match is taken; the positions it covers are hashed.
        bits += LEN_BITS[prevLen] + distBits(prevDist);
        const to = p - 1 + prevLen;
        for (let q = p + 1; q < to; q++) {
          if (q + 3 < stop) {
            const h = hash4(ring[q & RMASK], ring[(q + 1) & RMASK], ring[(q + 2) & RMASK], ring[(q + 3) & RMASK]);
            undo[undone++] = h;
            undo[undone++] = head[h];
            prev[q & RMASK] = head[h];
            head[h] = q;
          }
        }
        p = to;
        pending = false;
        prevLen = MIN - 1;
        continue;
      }
      if (pending) bits += litBits(ring[(p - 1) & RMASK]);
      pending = true;
      prevLen = curLen;
      prevDist = curDist;
      p++;
    }
    if (pending) bits += litBits(ring[(p - 1) & RMASK]);
    // Undo in reverse so every head slot returns to what it was before this line.
    for (let i = undone - 2; i >= 0; i -= 2) head[undo[i]] = undo[i + 1];
    const fixed = Math.ceil(bits / 8);
    // A stored block: 3 bits, padding, LEN and NLEN, the bytes.
    return 8 * Math.min(fixed, bytes + 5);
  }
}
