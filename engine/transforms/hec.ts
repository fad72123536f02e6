// Splunk HTTP Event Collector: /services/collector/event bodies (JSON objects, concatenated or
// one per line) and /services/collector/raw bodies (one event per line) ─► event records.
//
//   event: {"event": <string|object>, "time": <epoch seconds, fractions allowed>, "host",
//           "source", "sourcetype", "index", "fields": {...}} ...
//   raw:   line\nline\n...  (host, source, sourcetype, index from the query string)
//        ─► candidate {timestamp: time, stream, data: event, metadata: {host, source, sourcetype, index, ...fields}}
//        ─► acceptEach() (validateEvent: the native path's checks) ─► records + rejections
//
// Mapping (README "Splunk HEC"): the stream is the event's `source`, else its `sourcetype`, else
// `hec:default` (the query string's values are each event's defaults); `time` is read by the
// timestamp rules (timestamps.ts: seconds, as HEC sends them, are told apart by magnitude); no
// `time`: the receive time. HEC's own codes for a refused event: 12 (no `event`), 13 (a blank
// one), 6 (anything else); a body that stops parsing at event N refuses N and what follows (the
// events before it are stored), as HEC does. Pure: no I/O.
import { DwError } from '../../src/core/errors.js';
import type { DecodeLimits } from './decode.js';
import { scanJson } from './prescan.js';
import { acceptEach, checkEventCount, setOwn, type Candidate, type PushDecoded } from './push-events.js';

export const HEC_DEFAULT_STREAM = 'hec:default';

/** Defaults from the query string (?host=&source=&sourcetype=&index=). */
export interface HecDefaults {
  readonly host?: string;
  readonly source?: string;
  readonly sourcetype?: string;
  readonly index?: string;
}

export interface HecDecoded extends PushDecoded {
  /** HEC's code of each refused event, by its number. */
  hecCodes: Map<number, number>;
  /** Events in the request (those after a parse error counted as one). */
  total: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const META_KEYS = ['host', 'source', 'sourcetype', 'index'] as const;

/** The query string's defaults (URL-decoded; unknown keys ignored). */
export function hecDefaults(query: string): HecDefaults {
  const p = new URLSearchParams(query);
  const out: Record<string, string> = {};
  for (const k of META_KEYS) {
    const v = p.get(k);
    if (v !== null && v !== '') out[k] = v;
  }
  return out;
}

function decodeText(body: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new DwError('DW_ERR_INVALID_UTF8');
  }
}

/** Splits concatenated JSON values (whitespace between them allowed) into their texts; stops at the first that is not an object. */
export function splitConcatenated(text: string): { parts: string[]; brokenAt: number | undefined } {
  const parts: string[] = [];
  let i = 0;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (i >= text.length) return { parts, brokenAt: undefined };
    if (text[i] !== '{') return { parts, brokenAt: parts.length };
    const start = i;
    let depth = 0;
    let inString = false;
    for (; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i++;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{' || c === '[') depth++;
      else if ((c === '}' || c === ']') && --depth === 0) break;
    }
    if (i >= text.length) return { parts, brokenAt: parts.length };
    parts.push(text.slice(start, ++i));
  }
}

const refused = (n: number, why: string): DwError => new DwError('DW_ERR_INVALID_EVENT', `event ${n}: ${why}`, { index: n });

function streamOf(m: HecDefaults): string {
  return m.source ?? m.sourcetype ?? HEC_DEFAULT_STREAM;
}

function eventCandidate(text: string, n: number, defaults: HecDefaults, codes: Map<number, number>): Candidate {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    codes.set(n, 6);
    return { index: n, error: refused(n, `not valid JSON (${(err as Error).message})`) };
  }
  if (!isObject(v)) { codes.set(n, 6); return { index: n, error: refused(n, 'must be a JSON object') }; }
  if (v.event === undefined) { codes.set(n, 12); return { index: n, error: refused(n, 'the event field is required') }; }
  if (v.event === null || v.event === '') { codes.set(n, 13); return { index: n, error: refused(n, 'the event field cannot be blank') }; }
  const metadata: Record<string, unknown> = {};
  for (const k of META_KEYS) {
    const x = v[k] ?? defaults[k];
    if (x !== undefined) metadata[k] = x;
  }
  if (v.fields !== undefined) {
    if (!isObject(v.fields)) { codes.set(n, 6); return { index: n, error: refused(n, 'fields must be an object') }; }
    for (const [k, x] of Object.entries(v.fields)) if (!Object.hasOwn(metadata, k)) setOwn(metadata, k, x);
  }
  const names = { source: typeof metadata.source === 'string' ? metadata.source : undefined, sourcetype: typeof metadata.sourcetype === 'string' ? metadata.sourcetype : undefined };
  return { index: n, raw: { timestamp: v.time ?? undefined, stream_type: 'logs', stream: streamOf(names), data: v.event, metadata } };
}

function finish(candidates: Candidate[], codes: Map<number, number>, total: number, limits: DecodeLimits, receivedAt: number): HecDecoded {
  const out = acceptEach(candidates, limits, receivedAt);
  for (const r of out.rejected) if (!codes.has(r.index)) codes.set(r.index, 6);
  return { ...out, hecCodes: codes, total };
}

/** An /event body ─► records and rejections. */
export function parseHecEvents(body: Uint8Array, defaults: HecDefaults, limits: DecodeLimits, receivedAt: number): HecDecoded {
  scanJson(body, limits, 'body');
  const { parts, brokenAt } = splitConcatenated(decodeText(body));
  checkEventCount(parts.length, limits);
  if (parts.length === 0 && brokenAt === undefined) throw new DwError('DW_ERR_MALFORMED_BODY', 'no data: the body holds no event', { hecCode: 5 });
  const codes = new Map<number, number>();
  const candidates = parts.map((p, n) => eventCandidate(p, n, defaults, codes));
  if (brokenAt !== undefined) {
    codes.set(brokenAt, 6);
    candidates.push({ index: brokenAt, error: refused(brokenAt, 'is not a JSON object; it and what follows were not read') });
  }
  return finish(candidates, codes, candidates.length, limits, receivedAt);
}

/** A /raw body ─► one event per non-empty line, with the query string's host, source, sourcetype, index. */
export function parseHecRaw(body: Uint8Array, defaults: HecDefaults, limits: DecodeLimits, receivedAt: number): HecDecoded {
  const lines = decodeText(body).split(/\r?\n/).filter((l) => l.trim() !== '');
  checkEventCount(lines.length, limits);
  if (lines.length === 0) throw new DwError('DW_ERR_MALFORMED_BODY', 'no data: the body holds no line', { hecCode: 5 });
  const metadata = Object.keys(defaults).length === 0 ? undefined : { ...defaults };
  const stream = streamOf(defaults);
  const candidates = lines.map((line, n): Candidate => ({ index: n, raw: { stream_type: 'logs', stream, data: line, metadata } }));
  return finish(candidates, new Map(), lines.length, limits, receivedAt);
}
