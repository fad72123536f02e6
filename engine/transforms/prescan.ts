// Prescan: how many events a body or frame holds, and how many values in all, read from its
// bytes before anything is materialised, so that a body over its tenant's limits is refused
// in one pass over the bytes (no objects, no strings) instead of after a decode that may take
// seconds and gigabytes (a 14 MiB msgpack array of 15 M empty maps: 15 M objects).
//
//   bytes ─► msgpack: walk the headers (a value is one header plus its payload; containers
//            add their children to the values still to read)  ─┐
//            JSON: scan outside strings for , [ { at depth 0/1  ─┴► { events, values }
//        ─► events > maxBatchEvents: DW_ERR_TOO_MANY_EVENTS; values > MAX_DECODE_VALUES or
//           nesting > MAX_DECODE_DEPTH: DW_ERR_PAYLOAD_TOO_COMPLEX; thrown as soon as a count
//           passes its limit.
//
// Pure and linear in the bytes read; stops at the first count over its limit. Malformed input
// is left for the decoder to report (the scan only counts what it can read).
import { DwError } from '../../src/core/errors.js';

/**
 * Values (objects, arrays, strings, numbers...) one request or frame may decode to: bounds the
 * decode's work and memory per request (~60 MB of objects at most). A real event is a few to a
 * few hundred values; a body over it is refused with DW_ERR_PAYLOAD_TOO_COMPLEX (413).
 */
export const MAX_DECODE_VALUES = 1_000_000;

/**
 * Arrays and objects one inside another: JSON.parse takes ~4 µs a level (400,000 levels in
 * 800 KB: 1.6 s on the event loop) and msgpackr recurses until the stack gives out, while
 * storing an event (JSON.stringify) fails past a few thousand levels anyway. A body nested
 * deeper is refused from its bytes with DW_ERR_PAYLOAD_TOO_COMPLEX (issue 12, High 2).
 */
export const MAX_DECODE_DEPTH = 512;

export interface ScanLimits {
  readonly maxBatchEvents: number;
  /** Default MAX_DECODE_VALUES. */
  readonly maxValues?: number;
}

const tooMany = (n: number, max: number): DwError =>
  new DwError('DW_ERR_TOO_MANY_EVENTS', `${n} events, at most ${max}`, { count: n, max });
const tooComplex = (max: number): DwError =>
  new DwError('DW_ERR_PAYLOAD_TOO_COMPLEX', `more than ${max} values in one request or frame`, { max });
const tooDeep = (): DwError =>
  new DwError('DW_ERR_PAYLOAD_TOO_COMPLEX', `values nested more than ${MAX_DECODE_DEPTH} levels deep`, { max_depth: MAX_DECODE_DEPTH });

/** Bytes of a msgpack header at `pos` and the children it adds (-1: not a valid header). */
function header(b: Uint8Array, pos: number): { size: number; children: number } {
  const t = b[pos];
  if (t <= 0x7f || t >= 0xe0) return { size: 1, children: 0 };
  if (t <= 0x8f) return { size: 1, children: 2 * (t & 0x0f) };
  if (t <= 0x9f) return { size: 1, children: t & 0x0f };
  if (t <= 0xbf) return { size: 1 + (t & 0x1f), children: 0 };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const u8 = (o: number): number => (pos + o < b.length ? b[pos + o] : 0);
  const u16 = (o: number): number => (pos + o + 2 <= b.length ? dv.getUint16(pos + o) : 0);
  const u32 = (o: number): number => (pos + o + 4 <= b.length ? dv.getUint32(pos + o) : 0);
  switch (t) {
    case 0xc0: case 0xc2: case 0xc3: return { size: 1, children: 0 };
    case 0xc4: case 0xd9: return { size: 2 + u8(1), children: 0 };
    case 0xc5: case 0xda: return { size: 3 + u16(1), children: 0 };
    case 0xc6: case 0xdb: return { size: 5 + u32(1), children: 0 };
    case 0xc7: return { size: 3 + u8(1), children: 0 };
    case 0xc8: return { size: 4 + u16(1), children: 0 };
    case 0xc9: return { size: 6 + u32(1), children: 0 };
    case 0xca: return { size: 5, children: 0 };
    case 0xcb: return { size: 9, children: 0 };
    case 0xcc: case 0xd0: return { size: 2, children: 0 };
    case 0xcd: case 0xd1: return { size: 3, children: 0 };
    case 0xce: case 0xd2: return { size: 5, children: 0 };
    case 0xcf: case 0xd3: return { size: 9, children: 0 };
    case 0xd4: return { size: 3, children: 0 };
    case 0xd5: return { size: 4, children: 0 };
    case 0xd6: return { size: 6, children: 0 };
    case 0xd7: return { size: 10, children: 0 };
    case 0xd8: return { size: 18, children: 0 };
    case 0xdc: return { size: 3, children: u16(1) };
    case 0xdd: return { size: 5, children: u32(1) };
    case 0xde: return { size: 3, children: 2 * u16(1) };
    case 0xdf: return { size: 5, children: 2 * u32(1) };
    default: return { size: 1, children: -1 }; // 0xc1
  }
}

/** Array length of the msgpack header at pos, or -1 when it is not an array. */
function arrayLength(b: Uint8Array, pos: number): number {
  const t = b[pos];
  if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
  if (t === 0xdc || t === 0xdd) return header(b, pos).children;
  return -1;
}

/**
 * Walks one msgpack value from `pos`; returns where it ends, or -1 on bytes it cannot read.
 * Throws DW_ERR_PAYLOAD_TOO_COMPLEX once more than `budget.left` values were seen.
 */
function walk(b: Uint8Array, pos: number, budget: { left: number; max: number }): number {
  // pending[d]: values still to read in the container open at depth d.
  const pending = [1];
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) { pending.pop(); continue; }
    pending[top]--;
    if (pos >= b.length) return -1;
    if (--budget.left < 0) throw tooComplex(budget.max);
    const h = header(b, pos);
    if (h.children < 0) return -1;
    pos += h.size;
    if (h.children > 0) {
      if (pending.length > MAX_DECODE_DEPTH) throw tooDeep();
      pending.push(h.children);
    }
  }
  return pos;
}

/**
 * The first bytes of a msgpack body (at least 5, when the body has them): refused at once when
 * they open an array of more events than the limit, before the rest of the body is read.
 */
export function scanMsgpackBodyHead(head: Uint8Array, limits: ScanLimits): void {
  if (head.length === 0) return;
  const n = arrayLength(head, 0);
  if (n > limits.maxBatchEvents) throw tooMany(n, limits.maxBatchEvents);
}

/** Checks a msgpack body (an array of events, or one event) against the limits before decoding. */
export function scanMsgpackBody(b: Uint8Array, limits: ScanLimits): void {
  if (b.length === 0) return;
  const n = arrayLength(b, 0);
  if (n > limits.maxBatchEvents) throw tooMany(n, limits.maxBatchEvents);
  const max = limits.maxValues ?? MAX_DECODE_VALUES;
  walk(b, 0, { left: max, max });
}

const STR_EVENTS = [0xa6, 0x65, 0x76, 0x65, 0x6e, 0x74, 0x73]; // fixstr "events"

/** Checks a msgpack frame {seq, events: [...]} against the limits before decoding. */
export function scanMsgpackFrame(b: Uint8Array, limits: ScanLimits): void {
  if (b.length === 0) return;
  const max = limits.maxValues ?? MAX_DECODE_VALUES;
  const budget = { left: max, max };
  const t = b[0];
  const isMap = (t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf;
  const h = header(b, 0);
  const entries = isMap ? h.children / 2 : -1;
  let pos = h.size;
  for (let i = 0; i < entries && pos >= 0 && pos < b.length; i++) {
    const isEvents = STR_EVENTS.every((c, k) => b[pos + k] === c);
    pos = walk(b, pos, budget);
    if (pos < 0 || pos >= b.length) return;
    if (isEvents) {
      const n = arrayLength(b, pos);
      if (n > limits.maxBatchEvents) throw tooMany(n, limits.maxBatchEvents);
    }
    pos = walk(b, pos, budget);
  }
  if (entries < 0) walk(b, 0, budget);
}

const STR_SEQ = [0xa3, 0x73, 0x65, 0x71]; // fixstr "seq"

/** The unsigned integer at pos (positive fixint, uint 8-64 within 2^53), or null. */
function uintAt(b: Uint8Array, pos: number): number | null {
  const t = b[pos];
  if (t <= 0x7f) return t;
  const size = t === 0xcc ? 1 : t === 0xcd ? 2 : t === 0xce ? 4 : t === 0xcf ? 8 : 0;
  if (size === 0 || pos + 1 + size > b.length) return null;
  let n = 0;
  for (let i = 1; i <= size; i++) n = n * 256 + b[pos + i];
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The seq of a msgpack frame {seq, events}, read without decoding it (for answering a frame
 * refused unread); null when it cannot be found cheaply (at most SEQ_SCAN_VALUES values walked).
 */
export function msgpackFrameSeq(b: Uint8Array): number | null {
  if (b.length === 0) return null;
  const t = b[0];
  if (!((t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf)) return null;
  const h = header(b, 0);
  const budget = { left: SEQ_SCAN_VALUES, max: SEQ_SCAN_VALUES };
  let pos = h.size;
  try {
    for (let i = 0; i < h.children / 2 && pos >= 0 && pos < b.length; i++) {
      const isSeq = STR_SEQ.every((c, k) => b[pos + k] === c);
      pos = walk(b, pos, budget);
      if (pos < 0 || pos >= b.length) return null;
      if (isSeq) return uintAt(b, pos);
      pos = walk(b, pos, budget);
    }
  } catch {
    return null;
  }
  return null;
}
const SEQ_SCAN_VALUES = 1_000;

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, NEWLINE = 0x0a;
const OPEN_ARRAY = 0x5b, OPEN_OBJECT = 0x7b, CLOSE_ARRAY = 0x5d, CLOSE_OBJECT = 0x7d;

/** True when the string whose opening quote is at `q` and closing quote at `end` is "events". */
const isEventsKey = (b: Uint8Array, q: number, end: number): boolean =>
  end - q === 7 && STR_EVENTS.every((c, k) => k === 0 || b[q + k] === c);

/**
 * Checks JSON text (UTF-8 bytes) against the limits before JSON.parse: the elements of a
 * top-level array (body), of the `events` array of the top-level object (frame), or the
 * non-empty lines (ndjson), and the values in all, counted as the commas and opening brackets
 * outside strings.
 */
export function scanJson(b: Uint8Array, limits: ScanLimits, shape: 'body' | 'frame' | 'ndjson'): void {
  const max = limits.maxValues ?? MAX_DECODE_VALUES;
  let values = 1;
  let depth = 0;
  let events = 0;
  /** Depth whose commas separate events (-1: not inside the events array). */
  let countAt = -1;
  let eventsKey = false;
  let lineHasText = false;
  for (let i = 0; i < b.length; i++) {
    const c = b[i];
    if (c > 0x20) lineHasText = true;
    if (c === QUOTE) {
      // The string's closing quote, found by indexOf (most bytes are inside strings): a quote
      // after an odd run of backslashes is escaped. Neither byte occurs inside a multi-byte
      // UTF-8 sequence. Unterminated: the scan ends.
      let end = b.indexOf(QUOTE, i + 1);
      while (end > 0) {
        let k = end - 1;
        while (b[k] === BACKSLASH) k--;
        if ((end - 1 - k) % 2 === 0) break;
        end = b.indexOf(QUOTE, end + 1);
      }
      if (end < 0) break;
      if (shape === 'frame' && depth === 1) eventsKey = isEventsKey(b, i, end);
      i = end;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > MAX_DECODE_DEPTH) throw tooDeep();
      if (++values > max) throw tooComplex(max);
      if (c === OPEN_ARRAY && ((shape === 'body' && depth === 1) || (shape === 'frame' && depth === 2 && eventsKey))) {
        countAt = depth;
        events = 1;
      }
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth === countAt) countAt = -1;
      depth--;
    } else if (c === COMMA) {
      if (++values > max) throw tooComplex(max);
      if (depth === countAt && ++events > limits.maxBatchEvents) throw tooMany(events, limits.maxBatchEvents);
      if (depth === 1) eventsKey = false;
    } else if (c === NEWLINE && shape === 'ndjson') {
      if (lineHasText && ++events > limits.maxBatchEvents) throw tooMany(events, limits.maxBatchEvents);
      lineHasText = false;
      depth = 0;
    }
  }
  if (shape === 'ndjson' && lineHasText && ++events > limits.maxBatchEvents) throw tooMany(events, limits.maxBatchEvents);
}
