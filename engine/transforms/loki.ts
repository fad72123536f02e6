// Loki push (POST /loki/api/v1/push), JSON or protobuf ─► event records.
//
//   JSON {"streams": [{"stream": {label: value}, "values": [["<ns>", "<line>", {structured metadata}?]]}]}
//   protobuf PushRequest {streams: [{labels: '{a="b"}', entries: [{timestamp, line, structuredMetadata}]}]}
//     (loki-proto.ts: snappy, then protobuf, into the same shape: LokiStream[])
//        │
//        ▼ per entry: {timestamp, stream_type: logs, stream, data: line, metadata}
//   acceptEach() (push-events.ts ─► validateEvent: the native path's checks) ─► records + rejections
//
// Mapping (README "Loki"):
//   stream    the labels minus LOKI_IGNORED_LABELS (high-cardinality or splitting labels such as
//             pod, instance, filename, level), sorted by name, written as Loki writes a selector:
//             {app="api",env="prod"}; `loki:default` when no label is left
//   data      the line
//   metadata  every label (the ignored ones too), then the entry's structured metadata (which
//             wins on a clash)
//   timestamp the entry's nanoseconds, read exactly to the millisecond (truncated, never rounded)
// Pure: no I/O; the receive time is an argument.
import { DwError } from '../../src/core/errors.js';
import { acceptEach, checkEventCount, setOwn, type Candidate, type PushDecoded } from './push-events.js';
import type { DecodeLimits } from './decode.js';
import { scanJson } from './prescan.js';

export const LOKI_DEFAULT_STREAM = 'loki:default';

/** One stream of a push request, in either encoding: its labels (parsed, or the text to parse) and entries. */
export interface LokiStream {
  readonly labels: Record<string, string> | string;
  readonly entries: readonly LokiEntry[];
}

export interface LokiEntry {
  /** Epoch ms, or a DwError when the entry's time cannot be read. */
  readonly ms: number | DwError;
  readonly line: unknown;
  readonly metadata?: Record<string, string>;
}

/** LOKI_IGNORED_LABELS (comma list, or `none`) ─► the set. */
export function ignoredLabels(list: string): ReadonlySet<string> {
  const v = list.trim();
  return new Set(v === 'none' ? [] : v.split(',').map((s) => s.trim()).filter((s) => s !== ''));
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const LABEL_NAME = /[A-Za-z_][A-Za-z0-9_.]*/y;

/** A label set as Loki writes it, `{a="b", c="d\"e"}` (Prometheus syntax, Go escapes) ─► an object; throws a reason. */
export function parseLabels(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const ws = (): void => { while (i < text.length && /\s/.test(text[i])) i++; };
  const fail = (why: string): never => { throw new Error(`${why} at character ${i}`); };
  ws();
  if (text[i++] !== '{') fail('expected {');
  ws();
  if (text[i] === '}') { i++; ws(); if (i !== text.length) fail('text after }'); return out; }
  for (;;) {
    ws();
    LABEL_NAME.lastIndex = i;
    const m = LABEL_NAME.exec(text);
    if (m === null) fail('expected a label name');
    const name = m![0];
    i += name.length;
    ws();
    if (text[i++] !== '=') fail('expected =');
    ws();
    if (text[i++] !== '"') fail('expected "');
    let value = '';
    for (;;) {
      if (i >= text.length) fail('unterminated value');
      const c = text[i++];
      if (c === '"') break;
      if (c !== '\\') { value += c; continue; }
      const e = text[i++];
      value += e === 'n' ? '\n' : e === 't' ? '\t' : e === 'r' ? '\r' : e;
    }
    setOwn(out, name, value);
    ws();
    const sep = text[i++];
    if (sep === '}') break;
    if (sep !== ',') fail('expected , or }');
  }
  ws();
  if (i !== text.length) fail('text after }');
  return out;
}

const quote = (v: string): string => JSON.stringify(v);

/** The stream key of a label set: the labels not ignored, sorted, as a selector. */
export function streamKey(labels: Record<string, string>, ignored: ReadonlySet<string>): string {
  const names = Object.keys(labels).filter((k) => !ignored.has(k)).sort();
  if (names.length === 0) return LOKI_DEFAULT_STREAM;
  return `{${names.map((k) => `${k}=${quote(labels[k])}`).join(',')}}`;
}

/** Nanoseconds since the epoch as a decimal string (or an integer number) ─► ms, exactly (truncated). */
export function nsToMs(v: unknown): number | DwError {
  if (typeof v === 'string' && /^\d{1,25}$/.test(v)) return v.length > 6 ? Number(v.slice(0, -6)) : 0;
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return Math.floor(v / 1e6);
  return new DwError('DW_ERR_INVALID_TIMESTAMP', `the timestamp ${JSON.stringify(v)?.slice(0, 40)} is not nanoseconds since the epoch as a string of digits`);
}

function jsonEntry(v: unknown, where: string): LokiEntry {
  if (!Array.isArray(v) || v.length < 2 || v.length > 3) throw new DwError('DW_ERR_MALFORMED_BODY', `${where} must be ["<ns>", "<line>"] or ["<ns>", "<line>", {structured metadata}]`);
  const a = v as unknown[];
  const meta = a[2];
  if (meta !== undefined && !isObject(meta)) throw new DwError('DW_ERR_MALFORMED_BODY', `${where}[2] (structured metadata) must be an object`);
  return { ms: nsToMs(a[0]), line: a[1], metadata: meta as Record<string, string> | undefined };
}

/** A JSON push body ─► its streams (DW_ERR_MALFORMED_BODY when not Loki's shape; values counted against the limits first). */
export function parseLokiJson(body: Uint8Array, limits: DecodeLimits): LokiStream[] {
  scanJson(body, limits, 'body');
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch (err) {
    if (err instanceof SyntaxError) throw new DwError('DW_ERR_MALFORMED_BODY', `the body is not valid JSON (${err.message})`);
    throw new DwError('DW_ERR_INVALID_UTF8');
  }
  if (!isObject(doc) || !Array.isArray(doc.streams)) throw new DwError('DW_ERR_MALFORMED_BODY', 'a Loki push body is {"streams": [{"stream": {...}, "values": [...]}]}');
  let total = 0;
  for (const s of doc.streams) total += isObject(s) && Array.isArray(s.values) ? s.values.length : 0;
  checkEventCount(total, limits);
  return doc.streams.map((s: unknown, i: number): LokiStream => {
    if (!isObject(s) || !Array.isArray(s.values)) throw new DwError('DW_ERR_MALFORMED_BODY', `streams[${i}] must be {"stream": {...}, "values": [...]}`);
    const labels = s.stream ?? {};
    if (!isObject(labels) || Object.values(labels).some((x) => typeof x !== 'string')) throw new DwError('DW_ERR_MALFORMED_BODY', `streams[${i}].stream must be an object of string labels`);
    return { labels: labels as Record<string, string>, entries: s.values.map((v, j) => jsonEntry(v, `streams[${i}].values[${j}]`)) };
  });
}

/** Streams ─► records and rejections; entries are numbered across the request, in order. */
export function lokiToEvents(streams: readonly LokiStream[], ignored: ReadonlySet<string>, limits: DecodeLimits, receivedAt: number): PushDecoded {
  const candidates: Candidate[] = [];
  let index = 0;
  for (const s of streams) {
    let labels: Record<string, string> | undefined;
    let labelError: DwError | undefined;
    try {
      labels = typeof s.labels === 'string' ? parseLabels(s.labels) : s.labels;
    } catch (err) {
      labelError = new DwError('DW_ERR_INVALID_EVENT', `the stream's labels ${JSON.stringify(s.labels).slice(0, 120)} cannot be parsed (${(err as Error).message})`);
    }
    const stream = labels === undefined ? '' : streamKey(labels, ignored);
    for (const e of s.entries) {
      const i = index++;
      if (labelError !== undefined) { candidates.push({ index: i, error: entryError(labelError, i) }); continue; }
      if (e.ms instanceof DwError) { candidates.push({ index: i, error: entryError(e.ms, i) }); continue; }
      if (typeof e.line !== 'string') { candidates.push({ index: i, error: new DwError('DW_ERR_INVALID_EVENT', `entry ${i}: the line must be a string`, { index: i }) }); continue; }
      const metadata: Record<string, unknown> = { ...labels };
      if (e.metadata !== undefined) for (const [k, v] of Object.entries(e.metadata)) setOwn(metadata, k, v);
      candidates.push({ index: i, raw: { timestamp: new Date(e.ms), stream_type: 'logs', stream, data: e.line, metadata } });
    }
  }
  const out = acceptEach(candidates, limits, receivedAt);
  for (const r of out.rejected) r.message = r.message.replace(/\bevent (\d+)\b/, 'entry $1');
  return out;
}

const entryError = (e: DwError, i: number): DwError => new DwError(e.code, `entry ${i}: ${e.message.replace(/^[^:]*: /, '')}`, { index: i });

/** Loki's 400 text for rejected entries (the good ones were stored): how many, and the first few reasons. */
export function lokiRejectionText(rejected: readonly { message: string }[], total: number): string {
  const shown = rejected.slice(0, 5).map((r) => r.message).join('; ');
  return `${rejected.length} of ${total} entries refused (the others were stored): ${shown}${rejected.length > 5 ? '; ...' : ''}`;
}
