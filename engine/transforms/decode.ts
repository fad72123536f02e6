// Decode and validate: bytes of a request body or WebSocket frame ──► EventRecord[].
//
//   body (JSON array | single object | NDJSON | msgpack)      frame {seq, events}
//        │ decodeBody()                                            │ decodeFrame()
//        ▼                                                         ▼
//   unknown[] ──────────────── validateEvents() ──────────────► EventRecord[]
//
// Pure: no I/O; the clock only as the default receive time. Every failure is a DwError with a stable code; an event's failure
// names the event (`details.index`) and the field. The records carry the JSON text of `data`
// and `metadata` once, so that the COPY sink and the scorer reuse it instead of serialising
// again (STYLE.md §6).
import { C1, Unpackr } from 'msgpackr';
import { DwError } from '../../src/core/errors.js';
import type { StreamType } from '../../workers/types.js';
import type { EventRecord } from '../types.js';
import { mapFields } from './map-fields.js';
import { msgpackFrameSeq, scanJson, scanMsgpackBody, scanMsgpackFrame } from './prescan.js';
import { parseTimestamp } from './timestamps.js';

export type BodyFormat = 'json' | 'ndjson' | 'msgpack';

export interface DecodeLimits {
  /** Most events in one request or frame (DW_ERR_TOO_MANY_EVENTS). */
  readonly maxBatchEvents: number;
  /** Largest event, measured as the UTF-8 bytes of its stored JSON parts (DW_ERR_PAYLOAD_TOO_LARGE). */
  readonly maxEventBytes: number;
  /** Values one request or frame may decode to (default prescan.ts MAX_DECODE_VALUES; DW_ERR_PAYLOAD_TOO_COMPLEX). */
  readonly maxValues?: number;
}

const STREAM_TYPE_SET: ReadonlySet<string> = new Set(['logs', 'metrics', 'traces', 'llm']);
const MAX_STREAM_CHARS = 256;
// JSON.stringify escapes as \uXXXX only control characters and lone surrogates. jsonb rejects
// \u0000 and lone surrogates, and one such row would fail a whole group-commit COPY. Inside
// data and metadata they are stored as U+FFFD (real logs do carry NULs; refusing the batch for
// one would lose the rest); stream names must be clean. An escape counts only after an even
// run of backslashes.
const BAD_ESCAPE = /(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

const invalid = (index: number, detail: string): DwError =>
  new DwError('DW_ERR_INVALID_EVENT', `event ${index}: ${detail}`, { index });

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return utf8.decode(bytes);
  } catch {
    throw new DwError('DW_ERR_INVALID_UTF8');
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DwError('DW_ERR_MALFORMED_BODY', `${what} is not valid JSON (${(err as Error).message})`);
  }
}

function unpack(bytes: Uint8Array, what: string): unknown {
  let value: unknown;
  try {
    value = unpackr.unpack(bytes);
  } catch (err) {
    throw new DwError('DW_ERR_MALFORMED_BODY', `${what} is not valid msgpack (${(err as Error).message})`);
  }
  // msgpackr decodes the never-used byte 0xC1 to a marker object instead of throwing.
  if (value === C1) throw new DwError('DW_ERR_MALFORMED_BODY', `${what} is not valid msgpack (0xC1)`);
  return value;
}

function checkCount(n: number, limits: DecodeLimits): void {
  if (n > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `${n} events, at most ${limits.maxBatchEvents}`, { count: n, max: limits.maxBatchEvents });
  }
}

/** Maps a Content-Type header to a body format; null for one the endpoint does not take. */
export function bodyFormat(contentType: string): BodyFormat | null {
  const base = contentType.split(';', 1)[0].trim().toLowerCase();
  switch (base) {
    case '':
    case 'application/json':
    case 'text/plain':
      return 'json';
    case 'application/x-ndjson':
    case 'application/ndjson':
    case 'application/jsonl':
      return 'ndjson';
    case 'application/msgpack':
    case 'application/x-msgpack':
    case 'application/vnd.msgpack':
      return 'msgpack';
    default:
      return null;
  }
}

/** Decodes an HTTP ingest body into raw events (a JSON array, one object, NDJSON lines, or msgpack). */
export function decodeBody(bytes: Uint8Array, format: BodyFormat, limits: DecodeLimits): unknown[] {
  let value: unknown;
  // Counted before anything is materialised: a body over the limits is refused unread.
  if (format === 'msgpack') scanMsgpackBody(bytes, limits);
  else scanJson(bytes, limits, format === 'json' ? 'body' : 'ndjson');
  if (format === 'msgpack') {
    value = unpack(bytes, 'the body');
  } else if (format === 'json') {
    value = parseJson(decodeUtf8(bytes), 'the body');
  } else {
    const text = decodeUtf8(bytes);
    const out: unknown[] = [];
    let start = 0;
    let line = 0;
    while (start <= text.length) {
      let end = text.indexOf('\n', start);
      if (end === -1) end = text.length;
      const piece = text.slice(start, end).trim();
      line++;
      if (piece !== '') {
        if (out.length === limits.maxBatchEvents) checkCount(out.length + 1, limits);
        out.push(parseJson(piece, `NDJSON line ${line}`));
      }
      start = end + 1;
    }
    return out;
  }
  const events = Array.isArray(value) ? value : [value];
  checkCount(events.length, limits);
  return events;
}

export interface Frame {
  seq: number;
  events: unknown[];
}

/** Reads what it can of a frame's seq without decoding it (for answering frames refused unread). */
export function sniffSeq(bytes: Uint8Array, isBinary: boolean): number | null {
  if (isBinary) return msgpackFrameSeq(bytes);
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 64)).toString('latin1');
  const m = /^\s*\{\s*"seq"\s*:\s*(\d{1,15})\s*[,}]/.exec(head);
  return m ? Number(m[1]) : null;
}

/**
 * Decodes a WebSocket frame `{"seq": n, "events": [...]}` (JSON text or msgpack binary).
 * Throws a DwError carrying `seq` in details when the seq could be read.
 */
export function decodeFrame(bytes: Uint8Array, isBinary: boolean, limits: DecodeLimits): Frame {
  try {
    if (isBinary) scanMsgpackFrame(bytes, limits);
    else scanJson(bytes, limits, 'frame');
  } catch (err) {
    const seq = sniffSeq(bytes, isBinary);
    throw seq === null ? err : withSeq(err as DwError, seq);
  }
  const value = isBinary ? unpack(bytes, 'the frame') : parseJson(decodeUtf8(bytes), 'the frame');
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new DwError('DW_ERR_MALFORMED_BODY', 'a frame must be an object {"seq": n, "events": [...]}');
  }
  const frame = value as Record<string, unknown>;
  const seq = frame.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new DwError('DW_ERR_MALFORMED_BODY', 'seq must be a non-negative integer');
  }
  for (const k of Object.keys(frame)) {
    if (k !== 'seq' && k !== 'events') throw withSeq(new DwError('DW_ERR_MALFORMED_BODY', `unknown frame field ${JSON.stringify(k)}`), seq);
  }
  if (!Array.isArray(frame.events)) throw withSeq(new DwError('DW_ERR_MALFORMED_BODY', 'events must be an array'), seq);
  try {
    checkCount(frame.events.length, limits);
  } catch (err) {
    throw withSeq(err as DwError, seq);
  }
  return { seq, events: frame.events };
}

function withSeq(err: DwError, seq: number): DwError {
  (err as { seq?: number }).seq = seq;
  return err;
}

/** The seq a decodeFrame() error was attached to, if it got that far. */
export const seqOf = (err: unknown): number | null => {
  const s = (err as { seq?: unknown } | null)?.seq;
  return typeof s === 'number' ? s : null;
};

function toJson(value: unknown, index: number, field: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw invalid(index, `${field} cannot be stored as JSON (${(err as Error).message})`);
  }
  if (json === undefined) throw invalid(index, `${field} cannot be stored as JSON`);
  return storableEscapes(json);
}

/** JSON text with the escapes jsonb refuses (\\u0000, lone surrogates) as \\ufffd. */
function storableEscapes(json: string): string {
  if (json.includes('\\u')) {
    BAD_ESCAPE.lastIndex = 0;
    if (BAD_ESCAPE.test(json)) return json.replace(BAD_ESCAPE, (m) => `${m.slice(0, -6)}\\ufffd`);
  }
  return json;
}

/**
 * A record waiting to be scored whose data was a string: its `dataJson` is rebuilt from `text`
 * when asked (an anomaly's event: rarely), not kept, so the scorer's queues hold each line once.
 * Only made by forScoring(), where the rebuilt text is the stored one byte for byte.
 */
class TextRecord implements EventRecord {
  readonly stream: string;
  readonly streamType: StreamType;
  readonly ts: number;
  readonly metadataJson: string | null;
  readonly explicitStream: boolean;
  readonly text: string;
  readonly value: undefined;
  readonly bytes: number;
  constructor(r: EventRecord, text: string) {
    this.stream = r.stream;
    this.streamType = r.streamType;
    this.ts = r.ts;
    this.metadataJson = r.metadataJson;
    this.explicitStream = r.explicitStream;
    this.text = text;
    this.value = undefined;
    this.bytes = r.bytes;
  }

  get dataJson(): string {
    return storableEscapes(JSON.stringify(this.text));
  }
}

/**
 * The records as the scorer keeps them once their blocks' parts are built: a record whose data
 * was a string (its JSON begins with a quote) without a U+FFFD in its text drops `dataJson`
 * (TextRecord). validateEvent's text of a string is the string itself, NULs as U+FFFD, so
 * without U+FFFD the text is the data and JSON of it, with the same escape fix, is `dataJson`
 * exactly; a text with U+FFFD (a NUL stored as the escape \\ufffd, or a real one) keeps its
 * record as it is. Other records are returned as they are.
 */
export function forScoring(records: EventRecord[]): EventRecord[] {
  const out = new Array<EventRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const t = r.text;
    out[i] = t !== undefined && r.idle !== true && r.dataJson.charCodeAt(0) === 0x22 && !t.includes('\uFFFD') ? new TextRecord(r, t) : r;
  }
  return out;
}

function checkText(s: string, index: number, field: string): void {
  if (s.includes('\u0000')) throw invalid(index, `${field} contains a NUL character`);
  if (LONE_SURROGATE.test(s)) throw invalid(index, `${field} contains a lone UTF-16 surrogate`);
}

function readTimestamp(v: unknown, index: number, receivedAt: number): number {
  try {
    return parseTimestamp(v, receivedAt);
  } catch (err) {
    const e = err as DwError;
    const reason = e.details?.reason;
    throw new DwError(e.code, `event ${index}: ${typeof reason === 'string' ? reason : e.message}`, { index });
  }
}

/** Validates raw events and builds records. Throws DW_ERR_INVALID_EVENT (details.index) on the first bad one. */
export function validateEvents(raw: readonly unknown[], limits: DecodeLimits, receivedAt = Date.now()): EventRecord[] {
  checkCount(raw.length, limits);
  const out = new Array<EventRecord>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = validateEvent(raw[i], i, limits, receivedAt);
  return out;
}

/** `receivedAt` (epoch ms) decides a BSD syslog date's year (timestamps.ts). */
export function validateEvent(raw: unknown, index: number, limits: DecodeLimits, receivedAt = Date.now()): EventRecord {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid(index, 'an event must be an object');
  const e = mapFields(raw as Record<string, unknown>);
  const st = e.streamType;
  if (typeof st !== 'string' || !STREAM_TYPE_SET.has(st)) throw invalid(index, 'stream_type must be one of logs, metrics, traces, llm');
  const streamType = st as StreamType;
  const ts = e.timestamp === undefined ? receivedAt : readTimestamp(e.timestamp, index, receivedAt);

  const meta = e.metadata;
  let metadataJson: string | null = null;
  if (meta !== undefined && meta !== null) {
    if (typeof meta !== 'object' || Array.isArray(meta) || meta instanceof Date) throw invalid(index, 'metadata must be an object');
    metadataJson = toJson(meta, index, 'metadata');
  }

  let stream: string;
  const explicitStream = e.stream !== undefined;
  if (explicitStream) {
    if (typeof e.stream !== 'string' || e.stream === '') throw invalid(index, 'stream must be a non-empty string');
    stream = e.stream;
  } else {
    stream = `${streamType}:${e.sourceName}`;
  }
  if (stream.length > MAX_STREAM_CHARS) throw invalid(index, `the stream key is longer than ${MAX_STREAM_CHARS} characters`);
  checkText(stream, index, 'the stream key');

  const data = e.data;
  if (data === undefined) throw invalid(index, 'data (or message, msg, log, body) is required');
  let text: string | undefined;
  let value: number | undefined;
  if (streamType === 'metrics') {
    if (typeof data === 'number') value = data;
    else if (data !== null && typeof data === 'object' && typeof (data as { value?: unknown }).value === 'number') value = (data as { value: number }).value;
    else throw invalid(index, 'metrics data must be a number or {"value": number}');
    if (!Number.isFinite(value)) throw invalid(index, 'metrics value must be finite');
  }
  const dataJson = toJson(data, index, 'data');
  // The detectors see what is stored: a NUL in the text is U+FFFD, as in data (an explanation
  // quoting the line must not carry a NUL into the anomalies COPY).
  if (streamType !== 'metrics') text = typeof data === 'string' ? (data.includes('\u0000') ? data.replaceAll('\u0000', '\uFFFD') : data) : dataJson;

  const bytes = Buffer.byteLength(dataJson) + (metadataJson === null ? 0 : Buffer.byteLength(metadataJson)) + stream.length;
  if (bytes > limits.maxEventBytes) {
    throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `event ${index} is ${bytes} bytes, at most ${limits.maxEventBytes}`, { index, bytes, max: limits.maxEventBytes });
  }
  return { stream, streamType, ts, dataJson, metadataJson, explicitStream, text, value, bytes };
}

/** The event as received, rebuilt from a record (the `event` of an anomaly). */
export function eventJson(r: EventRecord): string {
  return `{"timestamp":${JSON.stringify(new Date(r.ts).toISOString())},"stream_type":"${r.streamType}",` +
    (r.explicitStream ? `"stream":${JSON.stringify(r.stream)},` : '') +
    `"data":${r.dataJson}` + (r.metadataJson === null ? '' : `,"metadata":${r.metadataJson}`) + '}';
}

/** One event refused on its own (per-event acceptance): its index in the body, code and reason. */
export interface Rejection {
  index: number;
  code: string;
  message: string;
}

export interface Validated {
  records: EventRecord[];
  rejected: Rejection[];
  /** The first event's refusal as thrown, for an all-or-nothing answer (`?atomic=true`, or nothing valid). */
  firstError: DwError | undefined;
}

/**
 * Validates each event on its own: the valid ones become records, each invalid one a Rejection.
 * Only per-event faults are caught (an event's shape, timestamp or size); anything else throws.
 */
export function validateEach(raw: readonly unknown[], limits: DecodeLimits, receivedAt = Date.now()): Validated {
  checkCount(raw.length, limits);
  const records: EventRecord[] = [];
  const rejected: Rejection[] = [];
  let firstError: DwError | undefined;
  for (let i = 0; i < raw.length; i++) {
    try {
      records.push(validateEvent(raw[i], i, limits, receivedAt));
    } catch (err) {
      if (!(err instanceof DwError) || !EVENT_FAULTS.has(err.code)) throw err;
      firstError ??= err;
      rejected.push({ index: i, code: err.code, message: err.message });
    }
  }
  return { records, rejected, firstError };
}

/** The codes of a fault of one event (refused alone), as opposed to one of the whole request. */
export const EVENT_FAULTS: ReadonlySet<string> = new Set(['DW_ERR_INVALID_EVENT', 'DW_ERR_INVALID_TIMESTAMP', 'DW_ERR_PAYLOAD_TOO_LARGE']);
