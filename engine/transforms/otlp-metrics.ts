// Map OTLP metrics: an ExportMetricsServiceRequest (OTLP/JSON shape; otlp-signals-proto.ts reads
// protobuf into it) ──► EventRecord[] of stream_type `metrics`, one per data point at most.
//
//   resourceMetrics[] ─► scopeMetrics[] ─► metrics[] ─► data points
//      │ resource attributes      │ scope          │ name, unit, kind, temporality
//      ▼                          ▼                ▼
//   per point: value by kind ─► {timestamp, stream_type: 'metrics', stream, data, metadata}
//      gauge                          its value
//      sum, delta                     its value
//      sum, cumulative, monotonic     the delta since the series' previous point (otlp-cumulative.ts)
//      sum, cumulative, not monotonic its value (an up-down counter is a level, as Prometheus reads it)
//      histogram, exponential         {"value": mean, "count", "sum", "min"?, "max"?} of the interval
//      histogram, summary             (cumulative ones: count and sum as deltas, as above)
//   ─► validateEvent() (decode.ts) ─► records; a point refused alone counts in rejectedDataPoints
//
// Stream key (one stream per metric name and attribute set): the `driftwatch.stream` attribute
// (point, else resource) if set; else `<service.name>:<metric name>`, or the metric name alone
// without a service.name, followed by the point's attributes as `{k=v,...}` sorted by key (none:
// no braces). A string value is written bare unless it holds `,{}="\` or a space or control
// character (then as a JSON string); other values as JSON. A key longer than 256 characters
// keeps its prefix and writes the attributes as `{#<16 hex of their sha256>}`. Resource
// attributes other than service.name go to metadata only, so hosts of one service share a stream.
// metadata: resource attributes, point attributes, otel.metric.name / .type / .unit /
// .temporality, otel.scope.name / .version. timestamp: timeUnixNano, else the receive time.
//
// Not stored (and not rejected: the answer counts them as accepted): a cumulative series' first
// point whose start is before the state began (a baseline), and a histogram or summary interval
// with no observations (no mean). Each stored point is one event for quotas; never one per bucket.
// Pure but for the cumulative state, which the caller reads through `previous` and commits
// after the batch is durable (`updates`).
import { createHash } from 'node:crypto';
import { DwError } from '../../src/core/errors.js';
import { validateEvent, type DecodeLimits } from './decode.js';
import { cumulativeDelta, type SeriesPoint } from './otlp-cumulative.js';
import { attributesToObject, isObject, listField, nanosToMs, setKey, streamOf, type Json } from './otlp.js';
import type { EventRecord } from '../types.js';

export interface OtlpSignalResult {
  records: EventRecord[];
  /** Data points (spans) refused one by one (partialSuccess.rejectedDataPoints / rejectedSpans). */
  rejected: number;
  /** The first refusal's reason, '' when none. */
  errorMessage: string;
  /** Refusals by DW_ERR_* code (counted in driftwatch_ingest_rejected_events_total). */
  rejectedCodes: Map<string, number>;
}

export interface OtlpMetricsResult extends OtlpSignalResult {
  /** Points accepted but not stored (cumulative baselines, empty histogram intervals). */
  unstored: number;
  /** The latest cumulative point of each series seen, to commit once the batch is durable. */
  updates: Map<string, SeriesPoint>;
}

export interface CumulativeView {
  readonly startedAtMs: number;
  previous(key: string): SeriesPoint | undefined;
}

const MAX_STREAM_CHARS = 256;
const KINDS = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;
type Kind = typeof KINDS[number];
const TYPE_NAME: Record<Kind, string> = { gauge: 'gauge', sum: 'sum', histogram: 'histogram', exponentialHistogram: 'exponential_histogram', summary: 'summary' };

const bare = /^[^,{}="\\\s\p{Cc}]*$/u;
const attrValue = (v: Json): string => (typeof v === 'string' && bare.test(v) ? v : JSON.stringify(v));

/** The stream key of a metric's point (the rule above). */
export function metricStreamKey(service: string | undefined, name: string, attrs: Record<string, Json>): string {
  const base = service === undefined ? name : `${service}:${name}`;
  const keys = Object.keys(attrs).filter((k) => k !== 'driftwatch.stream').sort();
  if (keys.length === 0) return base;
  const part = keys.map((k) => `${k}=${attrValue(attrs[k])}`).join(',');
  const key = `${base}{${part}}`;
  return key.length <= MAX_STREAM_CHARS ? key : `${base}{#${createHash('sha256').update(part).digest('hex').slice(0, 16)}}`;
}

/** aggregationTemporality: 1 / AGGREGATION_TEMPORALITY_DELTA, 2 / ..._CUMULATIVE, else undefined. */
function temporality(v: unknown): 'delta' | 'cumulative' | undefined {
  if (v === 1 || v === 'AGGREGATION_TEMPORALITY_DELTA') return 'delta';
  if (v === 2 || v === 'AGGREGATION_TEMPORALITY_CUMULATIVE') return 'cumulative';
  return undefined;
}

/** A number as OTLP/JSON writes it: a number, or an int64 / uint64 as a decimal string. */
function num(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && /^-?\d{1,20}$/.test(v)) return Number(v);
  return undefined;
}

/** startTimeUnixNano as a decimal string ('' when unset); a JSON number loses precision past 2^53, the same way on every point. */
const startOf = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? v.toFixed(0) : '');

const refuse = (i: number, why: string): DwError => new DwError('DW_ERR_INVALID_EVENT', `data point ${i}: ${why}`, { index: i });

interface MetricInfo {
  readonly name: string;
  readonly kind: Kind;
  readonly temporality: 'delta' | 'cumulative' | undefined;
  readonly monotonic: boolean;
}

/** The stored value of one point, undefined when nothing is stored (baseline, empty interval). */
function pointValue(m: MetricInfo, p: Record<string, unknown>, i: number, seriesKey: string, view: CumulativeView, updates: Map<string, SeriesPoint>): Json | undefined {
  const cumulative = m.kind === 'summary' || (m.temporality === 'cumulative' && (m.kind !== 'sum' || m.monotonic));
  if (m.kind !== 'gauge' && m.kind !== 'summary' && m.temporality === undefined) throw refuse(i, `${m.name}: aggregationTemporality is unspecified`);
  if (m.kind === 'gauge' || m.kind === 'sum') {
    const v = p.asDouble !== undefined ? num(p.asDouble) : num(p.asInt);
    if (v === undefined) throw refuse(i, `${m.name}: asDouble or asInt must be a finite number`);
    if (!cumulative) return v;
    const cur: SeriesPoint = { start: startOf(p.startTimeUnixNano), value: v, sum: NaN };
    const d = cumulativeDelta(updates.get(seriesKey) ?? view.previous(seriesKey), cur, view.startedAtMs);
    updates.set(seriesKey, cur);
    return d?.value;
  }
  const count = num(p.count);
  const sum = num(p.sum);
  if (count === undefined || count < 0) throw refuse(i, `${m.name}: count must be a non-negative integer`);
  if (sum === undefined) throw refuse(i, `${m.name}: a point without sum has no mean`);
  let n = count;
  let s = sum;
  if (cumulative) {
    const cur: SeriesPoint = { start: startOf(p.startTimeUnixNano), value: count, sum };
    const d = cumulativeDelta(updates.get(seriesKey) ?? view.previous(seriesKey), cur, view.startedAtMs);
    updates.set(seriesKey, cur);
    if (d === undefined) return undefined;
    n = d.value;
    s = d.sum;
  }
  if (n === 0) return undefined;
  const out: Record<string, Json> = { value: s / n, count: n, sum: s };
  // min and max hold for the interval only when the point is a delta.
  if (!cumulative && num(p.min) !== undefined) out.min = num(p.min)!;
  if (!cumulative && num(p.max) !== undefined) out.max = num(p.max)!;
  return out;
}

function metricInfo(metric: Record<string, unknown>): { info: MetricInfo; points: unknown[] } | { error: string; points: unknown[] } {
  const kind = KINDS.find((k) => isObject(metric[k]));
  const data = kind === undefined ? {} : metric[kind] as Record<string, unknown>;
  const points = listField(data, 'dataPoints', 'metrics[]');
  const name = metric.name;
  if (typeof name !== 'string' || name === '') return { error: 'the metric has no name', points };
  if (kind === undefined) return { error: `${name}: no gauge, sum, histogram, exponentialHistogram or summary`, points };
  return { info: { name, kind, temporality: temporality(data.aggregationTemporality), monotonic: data.isMonotonic === true }, points };
}

/** The number of data points, checked against the batch limit before any mapping work. */
function countPoints(resourceMetrics: unknown[], limits: DecodeLimits): void {
  let total = 0;
  for (const rm of resourceMetrics) {
    if (!isObject(rm)) throw new DwError('DW_ERR_MALFORMED_BODY', 'resourceMetrics[] entries must be objects');
    for (const sm of listField(rm, 'scopeMetrics', 'resourceMetrics[]')) {
      if (!isObject(sm)) throw new DwError('DW_ERR_MALFORMED_BODY', 'scopeMetrics[] entries must be objects');
      for (const m of listField(sm, 'metrics', 'scopeMetrics[]')) {
        if (!isObject(m)) throw new DwError('DW_ERR_MALFORMED_BODY', 'metrics[] entries must be objects');
        const kind = KINDS.find((k) => isObject(m[k]));
        if (kind !== undefined) total += listField(m[kind] as Record<string, unknown>, 'dataPoints', `metrics[].${kind}`).length;
      }
    }
  }
  if (total > limits.maxBatchEvents) {
    throw new DwError('DW_ERR_TOO_MANY_EVENTS', `${total} data points, at most ${limits.maxBatchEvents}`, { count: total, max: limits.maxBatchEvents });
  }
}

/** A resource's identity in series keys: two hosts of one service keep separate cumulative counters. */
const resourceId = (attrs: Record<string, Json>): string =>
  createHash('sha256').update(JSON.stringify(Object.keys(attrs).sort().map((k) => [k, attrs[k]]))).digest('base64url').slice(0, 16);

/** Maps a parsed ExportMetricsServiceRequest onto event records (see the top of this file). */
export function otlpMetricsToEvents(req: unknown, receivedAt: number, limits: DecodeLimits, view: CumulativeView): OtlpMetricsResult {
  if (!isObject(req)) throw new DwError('DW_ERR_MALFORMED_BODY', 'an OTLP metrics request must be a JSON object {"resourceMetrics": [...]}');
  const resourceMetrics = listField(req, 'resourceMetrics', 'the request');
  countPoints(resourceMetrics, limits);
  const out: OtlpMetricsResult = { records: [], rejected: 0, errorMessage: '', rejectedCodes: new Map(), unstored: 0, updates: new Map() };
  let index = 0;
  const fail = (err: unknown): void => {
    if (!(err instanceof DwError)) throw err;
    out.rejected++;
    out.rejectedCodes.set(err.code, (out.rejectedCodes.get(err.code) ?? 0) + 1);
    if (out.errorMessage === '') out.errorMessage = err.message.replace(/\bevent (\d+)\b/, 'data point $1');
  };
  for (const rm of resourceMetrics as Record<string, unknown>[]) {
    const resource = isObject(rm.resource) ? rm.resource : {};
    const resAttrs = attributesToObject(Array.isArray(resource.attributes) ? resource.attributes : [], {});
    const svc = resAttrs['service.name'];
    const service = typeof svc === 'string' && svc !== '' ? svc : undefined;
    const resId = resourceId(resAttrs);
    for (const sm of listField(rm, 'scopeMetrics', 'resourceMetrics[]') as Record<string, unknown>[]) {
      const scope = isObject(sm.scope) ? sm.scope : {};
      for (const metric of listField(sm, 'metrics', 'scopeMetrics[]') as Record<string, unknown>[]) {
        const described = metricInfo(metric);
        for (const p of described.points) {
          const i = index++;
          try {
            if ('error' in described) throw refuse(i, described.error);
            const m = described.info;
            if (!isObject(p)) throw refuse(i, 'must be an object');
            const attrs = attributesToObject(Array.isArray(p.attributes) ? p.attributes : [], {});
            const key = metricStreamKey(service, m.name, attrs);
            const seriesKey = `${m.kind}\u0000${key}\u0000${resId}`;
            const data = pointValue(m, p, i, seriesKey, view, out.updates);
            if (data === undefined) { out.unstored++; continue; }
            const metadata: Record<string, Json> = {};
            for (const k of Object.keys(resAttrs)) setKey(metadata, k, resAttrs[k]);
            for (const k of Object.keys(attrs)) setKey(metadata, k, attrs[k]);
            metadata['otel.metric.name'] = m.name;
            metadata['otel.metric.type'] = TYPE_NAME[m.kind];
            if (typeof metric.unit === 'string' && metric.unit !== '') metadata['otel.metric.unit'] = metric.unit;
            if (m.temporality !== undefined) metadata['otel.metric.temporality'] = m.temporality;
            if (typeof scope.name === 'string' && scope.name !== '') metadata['otel.scope.name'] = scope.name;
            if (typeof scope.version === 'string' && scope.version !== '') metadata['otel.scope.version'] = scope.version;
            out.records.push(validateEvent({
              timestamp: nanosToMs(p.timeUnixNano) ?? receivedAt,
              stream_type: 'metrics',
              stream: streamOf(attrs) ?? streamOf(resAttrs) ?? key,
              data,
              metadata,
            }, i, limits));
          } catch (err) {
            fail(err);
          }
        }
      }
    }
  }
  return out;
}
