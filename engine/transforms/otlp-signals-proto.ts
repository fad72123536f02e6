// OTLP/HTTP protobuf metrics and traces ──► their OTLP/JSON object shapes, so transforms/
// otlp-metrics.ts and otlp-traces.ts map both encodings with one code path (as otlp-proto.ts
// does for logs, whose Reader and AnyValue reader these share).
//
//   ExportMetricsServiceRequest (opentelemetry/proto/collector/metrics/v1, metrics/v1/metrics.proto)
//     resourceMetrics[] ─► resource.attributes[], scopeMetrics[] ─► scope{name, version},
//       metrics[] ─► name, unit, and one of gauge (5), sum (7), histogram (9),
//       exponentialHistogram (10), summary (11) ─► dataPoints[], aggregationTemporality, isMonotonic
//       data points: attributes, startTimeUnixNano, timeUnixNano (fixed64 ─► decimal string),
//       asDouble / asInt (sfixed64 ─► decimal string), count (fixed64 ─► string), sum, min, max
//       (bucket counts, bounds, exemplars and quantiles are skipped: only count and mean are used)
//   ExportTraceServiceRequest (collector/trace/v1, trace/v1/trace.proto)
//     resourceSpans[] ─► resource, scopeSpans[] ─► scope, spans[] ─► traceId, spanId,
//       parentSpanId (bytes ─► hex), name, kind, startTimeUnixNano, endTimeUnixNano, attributes,
//       events[] {timeUnixNano, name, attributes}, status {message, code}
//
// Field numbers as in opentelemetry-proto v1 (checked against the serializers of
// @opentelemetry/otlp-transformer 0.223, which the official exporters use). Unknown fields are
// skipped; a truncated or malformed message is DW_ERR_MALFORMED_BODY naming the request type.
import { attributesInto, expectWire, hex, Reader, type Obj } from './otlp-proto.js';

const METRICS = 'ExportMetricsServiceRequest';
const TRACES = 'ExportTraceServiceRequest';

const fixed64String = (r: Reader, wire: number, what: string): string => { expectWire(wire, 1, what, r); return r.fixed64().toString(); };
const sfixed64String = (r: Reader, wire: number, what: string): string => { expectWire(wire, 1, what, r); return BigInt.asIntN(64, r.fixed64()).toString(); };
const double = (r: Reader, wire: number, what: string): number => { expectWire(wire, 1, what, r); return r.double(); };

function resource(r: Reader): Obj {
  const attributes: Obj[] = [];
  r.each((m, w) => { if (m === 1) attributesInto(attributes, r, w); else r.skip(w); });
  return { attributes };
}

function scope(r: Reader): Obj {
  const out: Obj = {};
  r.each((m, w) => {
    if (m === 1) { expectWire(w, 2, 'scope.name', r); out.name = r.string(); }
    else if (m === 2) { expectWire(w, 2, 'scope.version', r); out.version = r.string(); }
    else r.skip(w);
  });
  return out;
}

/** A Resource{Metrics,Spans} or Scope{Metrics,Spans} envelope: field 1 its header, field 2 its repeated children. */
function envelope(r: Reader, header: (s: Reader) => Obj, headerKey: string, childKey: string, child: (s: Reader) => Obj): Obj {
  const out: Obj = {};
  const children: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, headerKey, r); out[headerKey] = header(r.sub()); }
    else if (n === 2) { expectWire(wire, 2, childKey, r); children.push(child(r.sub())); }
    else r.skip(wire);
  });
  out[childKey] = children;
  return out;
}

// ── Metrics ──────────────────────────────────────────────────────────────────────────────────

/** Per data point kind: the field number of its attributes and of min / max (others shared). */
const POINT_FIELDS = {
  number: { attributes: 7, min: 0, max: 0 },
  histogram: { attributes: 9, min: 11, max: 12 },
  exponential: { attributes: 1, min: 12, max: 13 },
  summary: { attributes: 7, min: 0, max: 0 },
} as const;
type PointKind = keyof typeof POINT_FIELDS;

function dataPoint(r: Reader, kind: PointKind): Obj {
  const f = POINT_FIELDS[kind];
  const out: Obj = {};
  const attributes: Obj[] = [];
  r.each((n, wire) => {
    if (n === f.attributes) attributesInto(attributes, r, wire);
    else if (n === 2) out.startTimeUnixNano = fixed64String(r, wire, 'startTimeUnixNano');
    else if (n === 3) out.timeUnixNano = fixed64String(r, wire, 'timeUnixNano');
    else if (kind === 'number' && n === 4) out.asDouble = double(r, wire, 'asDouble');
    else if (kind === 'number' && n === 6) out.asInt = sfixed64String(r, wire, 'asInt');
    else if (kind !== 'number' && n === 4) out.count = fixed64String(r, wire, 'count');
    else if (kind !== 'number' && n === 5) out.sum = double(r, wire, 'sum');
    else if (f.min !== 0 && n === f.min) out.min = double(r, wire, 'min');
    else if (f.max !== 0 && n === f.max) out.max = double(r, wire, 'max');
    else r.skip(wire);
  });
  out.attributes = attributes;
  return out;
}

/** Gauge / Sum / Histogram / ExponentialHistogram / Summary: data points (1), temporality (2), isMonotonic (3, Sum). */
function metricData(r: Reader, kind: PointKind): Obj {
  const out: Obj = {};
  const points: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, 'dataPoints', r); points.push(dataPoint(r.sub(), kind)); }
    else if (n === 2 && kind !== 'summary') { expectWire(wire, 0, 'aggregationTemporality', r); out.aggregationTemporality = r.small(); }
    else if (n === 3 && kind === 'number') { expectWire(wire, 0, 'isMonotonic', r); out.isMonotonic = r.varint() !== 0n; }
    else r.skip(wire);
  });
  out.dataPoints = points;
  return out;
}

const METRIC_DATA: Record<number, [string, PointKind]> = {
  5: ['gauge', 'number'], 7: ['sum', 'number'], 9: ['histogram', 'histogram'],
  10: ['exponentialHistogram', 'exponential'], 11: ['summary', 'summary'],
};

function metric(r: Reader): Obj {
  const out: Obj = {};
  r.each((n, wire) => {
    const data = METRIC_DATA[n];
    if (n === 1) { expectWire(wire, 2, 'metric.name', r); out.name = r.string(); }
    else if (n === 3) { expectWire(wire, 2, 'metric.unit', r); out.unit = r.string(); }
    else if (data !== undefined) { expectWire(wire, 2, data[0], r); out[data[0]] = metricData(r.sub(), data[1]); }
    else r.skip(wire);
  });
  return out;
}

/** An ExportMetricsServiceRequest in protobuf ──► its OTLP/JSON object shape (for otlpMetricsToEvents). */
export function parseOtlpMetricsProtobuf(bytes: Uint8Array): unknown {
  const r = new Reader(bytes, 0, bytes.length, METRICS);
  const list: Obj[] = [];
  const scopeMetrics = (s: Reader): Obj => envelope(s, scope, 'scope', 'metrics', metric);
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, 'resourceMetrics', r); list.push(envelope(r.sub(), resource, 'resource', 'scopeMetrics', scopeMetrics)); }
    else r.skip(wire);
  });
  return { resourceMetrics: list };
}

// ── Traces ───────────────────────────────────────────────────────────────────────────────────

function spanEvent(r: Reader): Obj {
  const out: Obj = {};
  const attributes: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) out.timeUnixNano = fixed64String(r, wire, 'event.timeUnixNano');
    else if (n === 2) { expectWire(wire, 2, 'event.name', r); out.name = r.string(); }
    else if (n === 3) attributesInto(attributes, r, wire);
    else r.skip(wire);
  });
  out.attributes = attributes;
  return out;
}

function status(r: Reader): Obj {
  const out: Obj = {};
  r.each((n, wire) => {
    if (n === 2) { expectWire(wire, 2, 'status.message', r); out.message = r.string(); }
    else if (n === 3) { expectWire(wire, 0, 'status.code', r); out.code = r.small(); }
    else r.skip(wire);
  });
  return out;
}

function span(r: Reader): Obj {
  const out: Obj = {};
  const attributes: Obj[] = [];
  const events: Obj[] = [];
  r.each((n, wire) => {
    switch (n) {
      case 1: expectWire(wire, 2, 'traceId', r); out.traceId = hex(r.bytes()); break;
      case 2: expectWire(wire, 2, 'spanId', r); out.spanId = hex(r.bytes()); break;
      case 4: expectWire(wire, 2, 'parentSpanId', r); out.parentSpanId = hex(r.bytes()); break;
      case 5: expectWire(wire, 2, 'name', r); out.name = r.string(); break;
      case 6: expectWire(wire, 0, 'kind', r); out.kind = r.small(); break;
      case 7: out.startTimeUnixNano = fixed64String(r, wire, 'startTimeUnixNano'); break;
      case 8: out.endTimeUnixNano = fixed64String(r, wire, 'endTimeUnixNano'); break;
      case 9: attributesInto(attributes, r, wire); break;
      case 11: expectWire(wire, 2, 'events', r); events.push(spanEvent(r.sub())); break;
      case 15: expectWire(wire, 2, 'status', r); out.status = status(r.sub()); break;
      default: r.skip(wire);
    }
  });
  out.attributes = attributes;
  out.events = events;
  return out;
}

/** An ExportTraceServiceRequest in protobuf ──► its OTLP/JSON object shape (for otlpTracesToEvents). */
export function parseOtlpTracesProtobuf(bytes: Uint8Array): unknown {
  const r = new Reader(bytes, 0, bytes.length, TRACES);
  const list: Obj[] = [];
  const scopeSpans = (s: Reader): Obj => envelope(s, scope, 'scope', 'spans', span);
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, 'resourceSpans', r); list.push(envelope(r.sub(), resource, 'resource', 'scopeSpans', scopeSpans)); }
    else r.skip(wire);
  });
  return { resourceSpans: list };
}
