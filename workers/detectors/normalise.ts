// High-entropy token normalisation for the text detector: ids, hashes, IPs, numbers and
// timestamps become class tokens that keep their magnitude (a 3-digit number becomes <N3>), so a
// fresh request id costs nothing while a 9-digit latency still differs from a 2-digit one.
//
// One pass over char codes (every line of every log stream goes through here, so no regular
// expression): at each position, alternatives in priority order, as the reference expression
//   /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}   UUID → <UUID>
//   |\b\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\b                                      IPv4[:port] → <IP>
//   |0x[0-9a-fA-F]+                                                                0x-hex → <X n>
//   |(?<![A-Za-z0-9])[0-9a-fA-F]{8,}(?![A-Za-z0-9])                                long hex/digit run → <H n> / <N n>
//                                                                                  (an underscore bounds it: txn_<hex>)
//   |\d+/g                                                                         digits → <N n>
// followed by .replace(/\s+/g, ' ').trim() would give (test/workers/normalise.unit.test.ts
// checks the two agree on the Loghub samples, generated logs and random strings).

// Char codes.
const ZERO = 48;
const NINE = 57;
const DOT = 46;
const COLON = 58;
const DASH = 45;
const LOWER_X = 120;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= NINE;
}

function isHex(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 32) >= 97 && (c | 32) <= 102);
}

const UNDERSCORE = 95;

function isAlnum(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 32) >= 97 && (c | 32) <= 122);
}

/** \w of a regular expression without the u flag. */
function isWord(c: number): boolean {
  return (c >= ZERO && c <= NINE) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;
}

/** \s of a regular expression (WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 32) return c === 32 || (c >= 9 && c <= 13);
  if (c < 0xa0) return false;
  return c === 0xa0 || c === 0x1680 || (c >= 0x2000 && c <= 0x200a) || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}

/** End of a run of hex digits from i (i itself when none). */
function hexRun(s: string, i: number, n: number): number {
  while (i < n && isHex(s.charCodeAt(i))) i++;
  return i;
}

function digitRun(s: string, i: number, n: number): number {
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  return i;
}

/** End of a UUID starting at i, or -1. */
function uuidAt(s: string, i: number, n: number): number {
  if (i + 36 > n) return -1;
  for (let k = 0; k < 36; k++) {
    const c = s.charCodeAt(i + k);
    if (k === 8 || k === 13 || k === 18 || k === 23) {
      if (c !== DASH) return -1;
    } else if (!isHex(c)) return -1;
  }
  return i + 36;
}

/** End of an IPv4 address (with an optional port) starting at i (a word boundary before it), or -1. */
function ipAt(s: string, i: number, n: number): number {
  let j = i;
  for (let g = 0; g < 4; g++) {
    const e = digitRun(s, j, n);
    if (e === j || e - j > 3) return -1;
    j = e;
    if (g < 3) {
      if (j >= n || s.charCodeAt(j) !== DOT) return -1;
      j++;
    }
  }
  // After the fourth number: a port of 1-5 digits ending at a word boundary, else a boundary here.
  if (j < n && s.charCodeAt(j) === COLON) {
    const e = digitRun(s, j + 1, n);
    if (e > j + 1 && e - j - 1 <= 5 && (e >= n || !isWord(s.charCodeAt(e)))) return e;
  }
  return j >= n || !isWord(s.charCodeAt(j)) ? j : -1;
}

/** The class token of a match (see the alternatives above). */
function classOf(s: string, from: number, to: number, kind: number): string {
  const len = to - from;
  if (kind === 0) return '<UUID>';
  if (kind === 1) return '<IP>';
  if (kind === 2) return `<X${len - 2}>`;
  for (let i = from; i < to; i++) if (!isDigit(s.charCodeAt(i))) return `<H${len}>`;
  return `<N${len}>`;
}

/**
 * The alternative matching at i (c: its char code; prevWord: a word character before it), as
 * end * 8 + kind (kind: the class, as classOf takes it), or -1 when none does.
 */
function matchAt(line: string, i: number, n: number, c: number, prevWord: boolean): number {
  if (!isHex(c)) return -1;
  // A UUID has its first dash 8 characters on: checked before the full scan.
  let end = i + 36 <= n && line.charCodeAt(i + 8) === DASH ? uuidAt(line, i, n) : -1;
  if (end >= 0) return end * 8;
  const hex0x = c === ZERO && i + 2 < n && line.charCodeAt(i + 1) === LOWER_X && isHex(line.charCodeAt(i + 2));
  if (!prevWord) {
    if (isDigit(c)) {
      end = ipAt(line, i, n);
      if (end >= 0) return end * 8 + 1;
    }
  }
  if (hex0x) return hexRun(line, i + 2, n) * 8 + 2;
  // A long hex run between non-alphanumerics: an underscore bounds it too (txn_<hex>, <hex>_retry).
  if (!prevWord || line.charCodeAt(i - 1) === UNDERSCORE) {
    const e = hexRun(line, i, n);
    if (e - i >= 8 && (e >= n || !isAlnum(line.charCodeAt(e)))) return e * 8 + 3;
  }
  return isDigit(c) ? digitRun(line, i, n) * 8 + 4 : -1;
}

/** Classes of the Latin-1 characters, as the predicates above give them (one look-up per character in normalise). */
const C_SPACE = 1;
const C_HEX = 2;
const C_DIGIT = 4;
const C_WORD = 8;
const CLASS = new Uint8Array(256);
for (let c = 0; c < 256; c++) {
  CLASS[c] = (isSpace(c) ? C_SPACE : 0) | (isHex(c) ? C_HEX : 0) | (isDigit(c) ? C_DIGIT : 0) | (isWord(c) ? C_WORD : 0);
}

/** Output of normalise for lines of Latin-1 characters (reused; a line's output is at most 4× its length). */
let scratch = Buffer.allocUnsafe(4096);

const UUID_TOKEN = Buffer.from('<UUID>');
const IP_TOKEN = Buffer.from('<IP>');

/** Writes `<` letter len `>` at `at` in scratch; returns the end. */
function putToken(letter: number, len: number, at: number): number {
  const out = scratch;
  out[at++] = 60; // <
  out[at++] = letter;
  if (len < 10) out[at++] = 48 + len;
  else if (len < 100) {
    out[at++] = 48 + ((len / 10) | 0);
    out[at++] = 48 + (len % 10);
  } else {
    let digits = 1;
    for (let x = len; x >= 10; x = Math.floor(x / 10)) digits++;
    for (let k = digits - 1, x = len; k >= 0; k--, x = Math.floor(x / 10)) out[at + k] = 48 + (x % 10);
    at += digits;
  }
  out[at++] = 62; // >
  return at;
}

/**
 * matchAt() for the Latin-1 path, with the token written at `at` in scratch: the end of the match
 * (its class token written, the new output end in `putEnd`), or -1 when none starts at i. One
 * run over the hex digits from i gives both the long hex run's end and its leading digits' end,
 * which decide the IPv4 attempt, the plain digit run and the <H>/<N> letter (classOf) without
 * scanning the characters again.
 */
function matchLatin1(line: string, i: number, n: number, c: number, prevWord: boolean, at: number): number {
  // A UUID has its first dash 8 characters on: checked before the full scan.
  let end = i + 36 <= n && line.charCodeAt(i + 8) === DASH ? uuidAt(line, i, n) : -1;
  if (end >= 0) {
    scratch.set(UUID_TOKEN, at);
    putEnd = at + UUID_TOKEN.length;
    return end;
  }
  // The hex run from i, and where its leading digits end (d === e: all digits).
  let d = i;
  while (d < n && isDigit(line.charCodeAt(d))) d++;
  let e = d;
  while (e < n && isHex(line.charCodeAt(e))) e++;
  if (!prevWord && d > i && d - i <= 3 && d < n && line.charCodeAt(d) === DOT) {
    end = ipAt(line, i, n);
    if (end >= 0) {
      scratch.set(IP_TOKEN, at);
      putEnd = at + IP_TOKEN.length;
      return end;
    }
  }
  if (c === ZERO && i + 2 < n && line.charCodeAt(i + 1) === LOWER_X && isHex(line.charCodeAt(i + 2))) {
    end = hexRun(line, i + 2, n);
    putEnd = putToken(88 /* X */, end - i - 2, at);
    return end;
  }
  // A long hex run between non-alphanumerics: an underscore bounds it too (txn_<hex>, <hex>_retry).
  if ((!prevWord || line.charCodeAt(i - 1) === UNDERSCORE) && e - i >= 8 && (e >= n || !isAlnum(line.charCodeAt(e)))) {
    putEnd = putToken(d === e ? 78 /* N */ : 72 /* H */, e - i, at);
    return e;
  }
  if (d === i) return -1;
  putEnd = putToken(78 /* N */, d - i, at);
  return d;
}

/** The output end after matchLatin1's token. */
let putEnd = 0;

/**
 * Normalise one line; also collapses runs of whitespace. A line of Latin-1 characters (every log
 * line seen so far) is written into one scratch buffer and read back as one flat string (no
 * slices and concatenations, and its later hashing needs no flattening); any other line takes
 * normaliseWide, the same rules with string concatenation.
 */
export function normalise(line: string): string {
  const n = line.length;
  if (scratch.length < 4 * n + 16) scratch = Buffer.allocUnsafe(4 * n + 16);
  const out = scratch;
  let at = 0;
  let space = false;
  let prevWord = false;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (c > 255) return normaliseWide(line);
    const k = CLASS[c];
    if ((k & C_SPACE) !== 0) {
      i++;
      while (i < n && (CLASS[line.charCodeAt(i)] & C_SPACE) !== 0) i++;
      space = at > 0;
      prevWord = false;
      continue;
    }
    if (space) {
      out[at++] = 32;
      space = false;
    }
    // No alternative starts at a character that is not a hex digit, nor (after a word character
    // other than an underscore, which bounds a hex run) at a hex letter unless a UUID's first dash
    // is 8 characters on: matchAt would give -1, so it is not called.
    const none = (k & C_HEX) === 0 || (prevWord && (k & C_DIGIT) === 0 && line.charCodeAt(i - 1) !== UNDERSCORE && !(i + 36 <= n && line.charCodeAt(i + 8) === DASH));
    const end = none ? -1 : matchLatin1(line, i, n, c, prevWord, at);
    if (end < 0) {
      out[at++] = c;
      prevWord = (k & C_WORD) !== 0;
      i++;
      continue;
    }
    at = putEnd;
    i = end;
    // Every alternative ends on a word character (a digit or a hex letter).
    prevWord = true;
  }
  return out.toString('latin1', 0, at);
}

/** normalise() for any line, with string concatenation. */
export function normaliseWide(line: string): string {
  const n = line.length;
  let out = '';
  /** Start of the text not yet copied to out. */
  let from = 0;
  /** A space is owed before the next copied character (a run of whitespace, not at the start). */
  let space = false;
  let prevWord = false;
  let i = 0;
  while (i < n) {
    const c = line.charCodeAt(i);
    if (isSpace(c)) {
      if (from < i) out += line.slice(from, i);
      let j = i + 1;
      while (j < n && isSpace(line.charCodeAt(j))) j++;
      space = out.length > 0;
      from = i = j;
      prevWord = false;
      continue;
    }
    const m = matchAt(line, i, n, c, prevWord);
    if (m < 0) {
      if (space) {
        if (from < i) out += line.slice(from, i);
        out += ' ';
        from = i;
        space = false;
      }
      prevWord = isWord(c);
      i++;
      continue;
    }
    const end = m >> 3;
    if (from < i) out += line.slice(from, i);
    if (space) {
      out += ' ';
      space = false;
    }
    out += classOf(line, i, end, m & 7);
    from = i = end;
    prevWord = true;
  }
  if (from < n) out += line.slice(from, n);
  return out;
}
