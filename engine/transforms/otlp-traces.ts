// Map OTLP traces: an ExportTraceServiceRequest (OTLP/JSON shape; otlp-signals-proto.ts reads
// protobuf into it) ──► EventRecord[].
//
//   resourceSpans[] ─► scopeSpans[] ─► spans[] ─┬─► duration: stream_type `metrics`, stream
//      │ resource attributes  │ scope          │     `<service.name>:<span name>`, data the
//      ▼                      ▼                │     duration in ms (ns precision), at the start time
//                                              ├─► status ERROR: stream_type `logs` in the
//                                              │     service's text stream, `<span name>: <status
//                                              │     message>` (or `<span name>: error`), at the end time
//                                              └─► each span event: the same text stream, `<event
//                                                    name>` (with `: <exception.type>: <exception.message>`
//                                                    when set), at the event's time (else the span's start)
//
// The service's text stream is the one OTLP logs use (`service.name`, else `otlp:default`), so a
// service's logs, failed spans and exceptions are read together; without service.name the
// duration stream is `otlp:<span name>`. A span's `driftwatch.stream` attribute (span, else
// resource) names its text stream. metadata: resource attributes, span (or event) attributes,
// trace_id, span_id, parent_span_id, span_kind, status_code, otel.span.name, otel.scope.name /
// .version. A span is refused whole (partialSuccess.rejectedSpans) when any of its events is
// invalid: no name, no start or end time, an end before its start. Each stored event counts
// for quotas (a span is one event, plus one per error status and span event).
import { DwError } from '../../src/core/errors.js';
import { validateEvent, type DecodeLimits } from './decode.js';
import { attributesToObject, isObject, listField, nanosToMs, OTLP_DEFAULT_STREAM, setKey, streamOf, type Json } from './otlp.js';
import type { OtlpSignalResult } from './otlp-metrics.js';
import type { EventRecord } from '../types.js';

const KIND_NAME = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_NAME = ['UNSET', 'OK', 'ERROR'];

/** SpanKind / StatusCode as a number or its enum name (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`). */
function enumName(v: unknown, names: readonly string[], prefix: string): string | undefined {
  if (typeof v === 'number') return names[v];
  if (typeof v === 'string' && v.startsWith(prefix)) return v.slice(prefix.length);
  return undefined;
}

/** Nanoseconds (decimal string or number) as a BigInt, undefined when unset or unreadable. */
function nanos(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return BigInt(v);
  if (typeof v === 'string' && /^\d{1,21}$/.test(v) && v !== '0') return BigInt(v);
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return BigInt(Math.round(v));
  return undefined;
}

const refuse = (i: number, why: string): DwError => new DwError('DW_ERR_INVALID_EVENT', `span ${i}: ${why}`, { index: i });

function countSpans(resourceSpans: unknown[], limits: DecodeLimits): void {
  let total = 0;
  for (const rs of resourceSpans) {
    if (!isObject(rs)) throw new DwError('DW_ERR_MALFORMED_BODY', 'resourceSpans[] entries must be objects');
    for (const ss of listField(rs, 'scopeSpans', 'resourceSpans[]')) {
      if (!isObject(ss)) throw new DwError('DW_ERR_MALFORMED_BODY', 'scopeSpans[] entries must be objects');
      for (const s of listField(ss, 'spans', 'scopeSpans[]')) {
        total += 1 + (isObject(s) && Array.isArray(s.events) ? s.events.length : 0);
      }
    }
  }
  // Before mapping: a span is at least its duration and one event per span event (an error
  // status adds one more, counted after mapping).
  if (total > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `the spans and span events make at least ${total} events, at most ${limits.maxBatchEvents}`, { count: total, max: limits.maxBatchEvents });
  }
}

interface Context {
  readonly resAttrs: Record<string, Json>;
  readonly service: string | undefined;
  readonly scope: Record<string, unknown>;
}

function metadataOf(c: Context, attrs: Record<string, Json>, span: Record<string, unknown>, name: string): Record<string, Json> {
  const m: Record<string, Json> = {};
  for (const k of Object.keys(c.resAttrs)) setKey(m, k, c.resAttrs[k]);
  for (const k of Object.keys(attrs)) setKey(m, k, attrs[k]);
  if (typeof span.traceId === 'string' && span.traceId !== '') m.trace_id = span.traceId;
  if (typeof span.spanId === 'string' && span.spanId !== '') m.span_id = span.spanId;
  if (typeof span.parentSpanId === 'string' && span.parentSpanId !== '') m.parent_span_id = span.parentSpanId;
  m['otel.span.name'] = name;
  if (typeof c.scope.name === 'string' && c.scope.name !== '') m['otel.scope.name'] = c.scope.name;
  if (typeof c.scope.version === 'string' && c.scope.version !== '') m['otel.scope.version'] = c.scope.version;
  return m;
}

/** The events of one span (all valid, or it throws). */
function spanEvents(c: Context, span: unknown, i: number, limits: DecodeLimits): EventRecord[] {
  if (!isObject(span)) throw refuse(i, 'must be an object');
  const name = span.name;
  if (typeof name !== 'string' || name === '') throw refuse(i, 'the span has no name');
  const start = nanos(span.startTimeUnixNano);
  const end = nanos(span.endTimeUnixNano);
  if (start === undefined || end === undefined) throw refuse(i, `${name}: startTimeUnixNano and endTimeUnixNano are required`);
  if (end < start) throw refuse(i, `${name}: endTimeUnixNano is before startTimeUnixNano`);
  const attrs = attributesToObject(Array.isArray(span.attributes) ? span.attributes : [], {});
  const status = isObject(span.status) ? span.status : {};
  const statusCode = enumName(status.code ?? 0, STATUS_NAME, 'STATUS_CODE_') ?? 'UNSET';
  const textStream = streamOf(attrs) ?? streamOf(c.resAttrs) ?? c.service ?? OTLP_DEFAULT_STREAM;
  const startMs = Number(start / 1_000_000n);

  const meta = metadataOf(c, attrs, span, name);
  const kind = enumName(span.kind, KIND_NAME, 'SPAN_KIND_');
  if (kind !== undefined && kind !== 'UNSPECIFIED') meta.span_kind = kind;
  meta.status_code = statusCode;
  const out: EventRecord[] = [validateEvent({
    timestamp: startMs,
    stream_type: 'metrics',
    stream: `${c.service ?? 'otlp'}:${name}`,
    data: Number(end - start) / 1e6,
    metadata: meta,
  }, i, limits)];

  if (statusCode === 'ERROR') {
    const message = typeof status.message === 'string' && status.message !== '' ? status.message : 'error';
    out.push(validateEvent({ timestamp: Number(end / 1_000_000n), stream_type: 'logs', stream: textStream, data: `${name}: ${message}`, metadata: meta }, i, limits));
  }
  for (const ev of Array.isArray(span.events) ? span.events : []) {
    if (!isObject(ev)) throw refuse(i, `${name}: span events must be objects`);
    const evAttrs = attributesToObject(Array.isArray(ev.attributes) ? ev.attributes : [], {});
    const evName = typeof ev.name === 'string' && ev.name !== '' ? ev.name : 'event';
    const detail = [evAttrs['exception.type'], evAttrs['exception.message']].filter((x): x is string => typeof x === 'string' && x !== '');
    const m = metadataOf(c, evAttrs, span, name);
    m['otel.event.name'] = evName;
    out.push(validateEvent({
      timestamp: nanosToMs(ev.timeUnixNano) ?? startMs,
      stream_type: 'logs',
      stream: textStream,
      data: detail.length > 0 ? `${evName}: ${detail.join(': ')}` : evName,
      metadata: m,
    }, i, limits));
  }
  return out;
}

/** Maps a parsed ExportTraceServiceRequest onto event records (see the top of this file). */
export function otlpTracesToEvents(req: unknown, limits: DecodeLimits): OtlpSignalResult {
  if (!isObject(req)) throw new DwError('DW_ERR_MALFORMED_BODY', 'an OTLP traces request must be a JSON object {"resourceSpans": [...]}');
  const resourceSpans = listField(req, 'resourceSpans', 'the request');
  countSpans(resourceSpans, limits);
  const out: OtlpSignalResult = { records: [], rejected: 0, errorMessage: '', rejectedCodes: new Map() };
  let index = 0;
  for (const rs of resourceSpans as Record<string, unknown>[]) {
    const resource = isObject(rs.resource) ? rs.resource : {};
    const resAttrs = attributesToObject(Array.isArray(resource.attributes) ? resource.attributes : [], {});
    const svc = resAttrs['service.name'];
    const service = typeof svc === 'string' && svc !== '' ? svc : undefined;
    for (const ss of listField(rs, 'scopeSpans', 'resourceSpans[]') as Record<string, unknown>[]) {
      const c: Context = { resAttrs, service, scope: isObject(ss.scope) ? ss.scope : {} };
      for (const span of listField(ss, 'spans', 'scopeSpans[]')) {
        const i = index++;
        try {
          for (const r of spanEvents(c, span, i, limits)) out.records.push(r);
        } catch (err) {
          if (!(err instanceof DwError)) throw err;
          out.rejected++;
          out.rejectedCodes.set(err.code, (out.rejectedCodes.get(err.code) ?? 0) + 1);
          if (out.errorMessage === '') out.errorMessage = err.message.replace(/\bevent (\d+)\b/, 'span $1');
        }
      }
    }
  }
  if (out.records.length > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `the spans make ${out.records.length} events, at most ${limits.maxBatchEvents}`, { count: out.records.length, max: limits.maxBatchEvents });
  }
  return out;
}
