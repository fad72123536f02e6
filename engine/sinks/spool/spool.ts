// The spool's on-disk format and its pure parts (no I/O): segment names, record framing,
// parsing with torn-record detection, and the entry codec.
//
//   segment file  seg-000000000001.spool
//   ┌──────────────┬──────────────────────────────────────┬──────────────────────────────┬─────
//   │ "DWSPOOL1"   │ len u32 LE │ crc32 u32 LE │ payload  │ len │ crc │ payload         │ ...
//   │  8 bytes     │  (crc32 of the len bytes + payload)  │                              │
//   └──────────────┴──────────────────────────────────────┴──────────────────────────────┴─────
//
// A record is whole when its header and `len` payload bytes are present and the checksum
// matches; the first record that is not ends the segment (a torn tail after a crash: it was
// never acknowledged, since an ack waits for the fdatasync that covers the whole record).
// The payload is msgpack of { w, a }: the sink's write (SinkWrite, kept as plain data without
// knowing its fields) and the caller's attachment (the engine: the records to score on replay).
// Two more kinds (router.ts, a direct write overtaken by later spooled ones): { w, a, copy: id },
// a copy of a direct write still in flight, spooled in its place; and { confirm: id }, appended
// once that write has fallen back to the spool: only a confirmed copy is replayed after a restart.
import { crc32 as zlibCrc32 } from 'node:zlib';
import { Packr, Unpackr } from 'msgpackr';

export const SEGMENT_MAGIC = Buffer.from('DWSPOOL1', 'latin1');
export const HEADER_BYTES = 8;
/** A payload length that cannot be real (a record is at most this large). */
export const MAX_PAYLOAD = 0x7fff_ffff;

const SEGMENT_NAME = /^seg-(\d{12})\.spool$/;

export const segmentName = (id: number): string => `seg-${String(id).padStart(12, '0')}.spool`;

/** The id of a segment file name, or undefined for any other file. */
export function segmentId(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  return m === null ? undefined : Number(m[1]);
}

// zlib.crc32 exists from Node 20.15; the table below is the fallback for older 20.x.
let table: Uint32Array | undefined;
function crc32Js(data: Uint8Array, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let c = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) c = table[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const crc32: (data: Uint8Array, value?: number) => number =
  typeof zlibCrc32 === 'function' ? (d, v = 0) => zlibCrc32(d, v) : crc32Js;

function checksum(lenBytes: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32(lenBytes));
}

/** One framed record: header (length, checksum) + payload, ready to append. */
export function frame(payload: Uint8Array): Buffer {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD) throw new RangeError(`a spool record holds 1 to ${MAX_PAYLOAD} bytes, not ${payload.length}`);
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(checksum(out.subarray(0, 4), payload), 4);
  out.set(payload, HEADER_BYTES);
  return out;
}

export interface ParsedRecord {
  payload: Buffer;
  /** Offset of the byte after the record (relative to the buffer's own start + `base`). */
  end: number;
}

export type TornReason = 'short_header' | 'short_payload' | 'bad_length' | 'bad_checksum';

export interface ParseResult {
  records: ParsedRecord[];
  /** Offset just after the last whole record (= where a torn tail starts). */
  validEnd: number;
  /** Set when bytes after validEnd are not a whole record: why. Undefined when the buffer ended on a record boundary. */
  torn: TornReason | undefined;
  /** When a whole header was read but its payload is cut off: the bytes the record needs in all. */
  need: number | undefined;
}

/**
 * Parses whole records from `buf` (the segment's bytes starting at file offset `base`).
 * Stops at the first record that is not whole. Payloads are views into `buf`.
 * maxRecords / maxBytes stop early on a record boundary (torn stays undefined then).
 */
export function parseRecords(buf: Buffer, base = 0, maxRecords = Infinity, maxBytes = Infinity): ParseResult {
  const records: ParsedRecord[] = [];
  let at = 0;
  while (at < buf.length && records.length < maxRecords && at < maxBytes) {
    if (buf.length - at < HEADER_BYTES) return { records, validEnd: base + at, torn: 'short_header', need: undefined };
    const len = buf.readUInt32LE(at);
    if (len === 0 || len > MAX_PAYLOAD) return { records, validEnd: base + at, torn: 'bad_length', need: undefined };
    if (buf.length - at - HEADER_BYTES < len) return { records, validEnd: base + at, torn: 'short_payload', need: HEADER_BYTES + len };
    const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
    if (checksum(buf.subarray(at, at + 4), payload) !== buf.readUInt32LE(at + 4)) {
      return { records, validEnd: base + at, torn: 'bad_checksum', need: undefined };
    }
    at += HEADER_BYTES + len;
    records.push({ payload, end: base + at });
  }
  return { records, validEnd: base + at, torn: undefined, need: undefined };
}

/** What one record holds: the sink write and the caller's attachment, both plain data. */
export interface SpoolEntry<W, A> {
  w: W;
  a: A;
  /** Set on the copy of a direct write still in flight (router.ts): replayed only if that write fell back. */
  copy?: string;
}

/** The record that makes a copy (SpoolEntry.copy) the write's own: it fell back and was acknowledged from the spool. */
export interface SpoolConfirm {
  confirm: string;
}

// msgpackr's record extension, with no shared structures: each payload carries its own key
// lists once (a batch of 100 event records packs about 35% smaller than as plain maps) and
// decodes in any process. undefined, Buffers and typed arrays survive the round trip.
const packr = new Packr({ useRecords: true });
const unpackr = new Unpackr({ useRecords: true });

export const encodeEntry = <W, A>(e: SpoolEntry<W, A>): Buffer => packr.pack(e);

/** Decodes a payload; throws on anything that is not an entry. */
export function decodeEntry<W, A>(payload: Uint8Array): SpoolEntry<W, A> {
  const e = unpackr.unpack(payload) as SpoolEntry<W, A> | null;
  if (e === null || typeof e !== 'object' || typeof e.w !== 'object' || e.w === null) throw new TypeError('not a spool entry');
  return e;
}

export const encodeConfirm = (copy: string): Buffer => packr.pack({ confirm: copy } satisfies SpoolConfirm);

/** A confirmation is a few dozen bytes (a uuid): payloads larger than this are entries, never decoded to look. */
const CONFIRM_MAX = 128;

/** The copy a payload confirms, or undefined when it is not a confirmation (an entry). Throws on neither. */
export function confirmOf(payload: Uint8Array): string | undefined {
  if (payload.length > CONFIRM_MAX) return undefined;
  const e = unpackr.unpack(payload) as Partial<SpoolConfirm> | null;
  return e !== null && typeof e === 'object' && typeof e.confirm === 'string' ? e.confirm : undefined;
}
