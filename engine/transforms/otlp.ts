// Map OTLP logs: an ExportLogsServiceRequest (OTLP/HTTP JSON encoding) ──► EventRecord[].
//
//   bytes ─► parseOtlpJson() ─► resourceLogs[] ─► scopeLogs[] ─► logRecords[]
//                                   │ resource attributes   │ scope name/version
//                                   ▼                       ▼
//            per record: {timestamp, stream_type: 'logs', stream, data: body, metadata}
//                                   │ validateEvent() (decode.ts: the same checks as /events/ingest)
//                                   ▼
//            records (accepted) + rejected count and the first reason (OTLP partialSuccess)
//
// Pure: no I/O, no clock (the receive time is an argument). The request as a whole is refused
// (DW_ERR_MALFORMED_BODY, DW_ERR_TOO_MANY_EVENTS) only when it is not an OTLP logs request or
// holds too many records; one bad record is rejected alone, as OTLP's partial success allows.
//
// Mapping:
//   stream    `driftwatch.stream` attribute (log record, else resource), else the resource's
//             `service.name`, else `otlp:default`
//   data      body: stringValue as the string itself, any other AnyValue as its JSON value,
//             '' when the record has no body
//   metadata  resource attributes, then log attributes (a log attribute wins on a clash), then
//             severity_text, severity_number, trace_id, span_id, otel.scope.name, otel.scope.version
//   timestamp timeUnixNano, else observedTimeUnixNano, else the receive time (ms precision)
// Unknown fields are ignored, as the OTLP/JSON spec requires of receivers.
import { DwError } from '../../src/core/errors.js';
import { validateEvent, type DecodeLimits } from './decode.js';
import { scanJson } from './prescan.js';
import type { EventRecord } from '../types.js';

export const OTLP_DEFAULT_STREAM = 'otlp:default';

export interface OtlpLogsResult {
  records: EventRecord[];
  /** Log records refused one by one (partialSuccess.rejectedLogRecords). */
  rejected: number;
  /** The first refusal's reason (partialSuccess.errorMessage), '' when none. */
  errorMessage: string;
  /** Refusals by DW_ERR_* code (counted in driftwatch_ingest_rejected_events_total). */
  rejectedCodes: Map<string, number>;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const utf8 = new TextDecoder('utf-8', { fatal: true });
/** An OTLP body is an object: its records are counted when mapped (the scan bounds values and depth). */
const NO_EVENT_COUNT = { maxBatchEvents: Number.MAX_SAFE_INTEGER };

/**
 * UTF-8 JSON bytes ──► the parsed request (DW_ERR_INVALID_UTF8 / DW_ERR_MALFORMED_BODY). Its values
 * and nesting are counted from the bytes first (prescan.ts: DW_ERR_PAYLOAD_TOO_COMPLEX), as for
 * every other JSON body: 14 MiB of empty log records took 15 s of JSON.parse on the event loop.
 */
export function parseOtlpJson(bytes: Uint8Array): unknown {
  scanJson(bytes, NO_EVENT_COUNT, 'body');
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new DwError('DW_ERR_INVALID_UTF8');
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DwError('DW_ERR_MALFORMED_BODY', `the body is not valid JSON (${(err as Error).message})`);
  }
}

export const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function listField(parent: Record<string, unknown>, key: string, where: string): unknown[] {
  const v = parent[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new DwError('DW_ERR_MALFORMED_BODY', `${where}.${key} must be an array`);
  return v;
}

/** An OTLP AnyValue as plain JSON: kvlist ─► object, array ─► array, bytes stay base64, int64 ─► number when safe. */
export function anyValueToJson(v: unknown, depth = 0): Json {
  if (!isObject(v) || depth > 32) return null;
  if (typeof v.stringValue === 'string') return v.stringValue;
  if (typeof v.boolValue === 'boolean') return v.boolValue;
  if (v.intValue !== undefined) {
    const i = v.intValue;
    if (typeof i === 'number') return i;
    if (typeof i === 'string' && /^-?\d+$/.test(i)) {
      const n = Number(i);
      return Number.isSafeInteger(n) ? n : i;
    }
    return null;
  }
  if (v.doubleValue !== undefined) {
    const d = v.doubleValue;
    // Proto3 JSON writes NaN and the infinities as strings; JSON has no number for them.
    if (typeof d === 'number') return d;
    return typeof d === 'string' ? d : null;
  }
  if (isObject(v.arrayValue)) {
    const values = Array.isArray(v.arrayValue.values) ? v.arrayValue.values : [];
    return values.map((x) => anyValueToJson(x, depth + 1));
  }
  if (isObject(v.kvlistValue)) {
    return attributesToObject(Array.isArray(v.kvlistValue.values) ? v.kvlistValue.values : [], {}, depth + 1);
  }
  if (typeof v.bytesValue === 'string') return v.bytesValue;
  return null;
}

/**
 * Sets `o[key] = value` as an own, enumerable property, also for `__proto__`: assigning that
 * key to a plain object would set its prototype (an object value) or be ignored (any other),
 * so an attribute named `__proto__` would vanish or inject inherited keys (`driftwatch.stream`).
 * Defined as a data property it is an ordinary key, which JSON.stringify writes.
 */
export function setKey(o: Record<string, Json>, key: string, value: Json): void {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}

/** KeyValue[] ──► the object `into` (later keys win). Entries without a string key are skipped. */
export function attributesToObject(list: readonly unknown[], into: Record<string, Json>, depth = 0): Record<string, Json> {
  for (const kv of list) {
    if (!isObject(kv) || typeof kv.key !== 'string' || kv.key === '') continue;
    setKey(into, kv.key, anyValueToJson(kv.value, depth));
  }
  return into;
}

/** Nanoseconds since the epoch (a decimal string or a number) ──► ms; undefined when unset (0) or unreadable. */
export function nanosToMs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v > 0 ? Math.floor(v / 1e6) : undefined;
  if (typeof v !== 'string' || !/^\d{1,21}$/.test(v)) return undefined;
  const ms = v.length > 6 ? Number(v.slice(0, -6)) : 0;
  return ms > 0 ? ms : undefined;
}

export const streamOf = (attrs: Record<string, Json>): string | undefined => {
  const s = attrs['driftwatch.stream'];
  return typeof s === 'string' && s !== '' ? s : undefined;
};

/**
 * Maps a parsed ExportLogsServiceRequest onto event records. `receivedAt` (ms) stands in for
 * records with neither timeUnixNano nor observedTimeUnixNano.
 */
export function otlpLogsToEvents(req: unknown, receivedAt: number, limits: DecodeLimits): OtlpLogsResult {
  if (!isObject(req)) throw new DwError('DW_ERR_MALFORMED_BODY', 'an OTLP logs request must be a JSON object {"resourceLogs": [...]}');
  const resourceLogs = listField(req, 'resourceLogs', 'the request');

  // Structure first, and the record count against the batch limit before any mapping work.
  let total = 0;
  for (const rl of resourceLogs) {
    if (!isObject(rl)) throw new DwError('DW_ERR_MALFORMED_BODY', 'resourceLogs[] entries must be objects');
    for (const sl of listField(rl, 'scopeLogs', 'resourceLogs[]')) {
      if (!isObject(sl)) throw new DwError('DW_ERR_MALFORMED_BODY', 'scopeLogs[] entries must be objects');
      total += listField(sl, 'logRecords', 'scopeLogs[]').length;
    }
  }
  if (total > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `${total} log records, at most ${limits.maxBatchEvents}`, { count: total, max: limits.maxBatchEvents });
  }

  const records: EventRecord[] = [];
  let rejected = 0;
  let errorMessage = '';
  const rejectedCodes = new Map<string, number>();
  let index = 0;
  for (const rl of resourceLogs as Record<string, unknown>[]) {
    const resource = isObject(rl.resource) ? rl.resource : {};
    const resourceAttrs = attributesToObject(Array.isArray(resource.attributes) ? resource.attributes : [], {});
    // Copied into each record's metadata key by key: object spread / Object.assign of these
    // dotted-key objects measured 8 times slower than a plain loop (STYLE.md §6).
    const resKeys = Object.keys(resourceAttrs);
    const resValues = resKeys.map((k) => resourceAttrs[k]);
    const service = resourceAttrs['service.name'];
    const resourceStream = streamOf(resourceAttrs) ?? (typeof service === 'string' && service !== '' ? service : OTLP_DEFAULT_STREAM);
    for (const sl of listField(rl, 'scopeLogs', 'resourceLogs[]') as Record<string, unknown>[]) {
      const scope = isObject(sl.scope) ? sl.scope : {};
      const scopeName = typeof scope.name === 'string' && scope.name !== '' ? scope.name : undefined;
      const scopeVersion = typeof scope.version === 'string' && scope.version !== '' ? scope.version : undefined;
      for (const lr of listField(sl, 'logRecords', 'scopeLogs[]')) {
        const i = index++;
        try {
          if (!isObject(lr)) throw new DwError('DW_ERR_INVALID_EVENT', `log record ${i}: must be an object`, { index: i });
          const metadata: Record<string, Json> = {};
          for (let k = 0; k < resKeys.length; k++) setKey(metadata, resKeys[k], resValues[k]);
          attributesToObject(Array.isArray(lr.attributes) ? lr.attributes : [], metadata);
          if (typeof lr.severityText === 'string' && lr.severityText !== '') metadata.severity_text = lr.severityText;
          if (typeof lr.severityNumber === 'number' && lr.severityNumber !== 0) metadata.severity_number = lr.severityNumber;
          else if (typeof lr.severityNumber === 'string' && lr.severityNumber !== '') metadata.severity_number = lr.severityNumber;
          if (typeof lr.traceId === 'string' && lr.traceId !== '') metadata.trace_id = lr.traceId;
          if (typeof lr.spanId === 'string' && lr.spanId !== '') metadata.span_id = lr.spanId;
          if (scopeName !== undefined) metadata['otel.scope.name'] = scopeName;
          if (scopeVersion !== undefined) metadata['otel.scope.version'] = scopeVersion;

          const body = lr.body === undefined || lr.body === null ? '' : anyValueToJson(lr.body);
          const ts = nanosToMs(lr.timeUnixNano) ?? nanosToMs(lr.observedTimeUnixNano) ?? receivedAt;
          records.push(validateEvent({
            timestamp: ts,
            stream_type: 'logs',
            // A log record's own driftwatch.stream (it overwrote the resource's in metadata) wins.
            stream: streamOf(metadata) ?? resourceStream,
            data: body,
            metadata,
          }, i, limits));
        } catch (err) {
          if (!(err instanceof DwError)) throw err;
          rejected++;
          rejectedCodes.set(err.code, (rejectedCodes.get(err.code) ?? 0) + 1);
          if (errorMessage === '') errorMessage = err.message.replace(/\bevent (\d+)\b/, 'log record $1');
        }
      }
    }
  }
  return { records, rejected, errorMessage, rejectedCodes };
}
