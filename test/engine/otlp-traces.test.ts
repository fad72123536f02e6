// OTLP/HTTP traces (issue 13): the official OpenTelemetry JS trace exporters (JSON and protobuf,
// gzip too) send to POST /v1/traces unchanged; per service and span name a duration stream; error
// statuses and span events as text in the service's logs stream; a bad span is answered OTLP's
// way (partialSuccess.rejectedSpans). And one OTEL_EXPORTER_OTLP_ENDPOINT for all three signals.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOtlpTracesProtobuf } from '../../engine/transforms/otlp-signals-proto.js';
import { otlpTracesToEvents } from '../../engine/transforms/otlp-traces.js';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

// 2026-12-04T10:00:00Z as [seconds, nanoseconds] (the SDK's HrTime): exact to the nanosecond.
const T = 1796378400;

async function rows(service: string): Promise<{ stream: string; stream_type: string; ts: string; data: any; metadata: any }[]> {
  return (await storedEvents(h.db.pool, { tenantId: h.tenantA.id }))
    .filter((e) => e.metadata?.['service.name'] === service)
    .map((e) => ({ stream: e.stream, stream_type: e.stream_type, ts: e.ts.toISOString(), data: e.data, metadata: e.metadata }));
}

/** A checkout span with a child that fails with an exception, and a plain span; one export. */
async function emit(exporter: SpanExporter, service: string): Promise<{ traceId: string; parentId: string }> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test' }),
    spanProcessors: [new BatchSpanProcessor({ exporter, scheduledDelayMillis: 3_600_000 })],
  });
  const tracer = provider.getTracer('@acme/checkout', '1.0.0');
  const parent = tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER, startTime: [T, 0], attributes: { 'http.route': '/checkout' } });
  const child = tracer.startSpan('charge card', { startTime: [T, 10_000_000] }, trace.setSpan(context.active(), parent));
  child.addEvent('retrying', { attempt: 2 }, [T, 40_000_000]);
  child.recordException(new TypeError('card declined'), [T, 50_000_000]);
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  child.end([T, 60_500_000]);
  parent.end([T, 123_456_789]);
  const quick = tracer.startSpan('GET /health', { startTime: [T + 1, 0] });
  quick.end([T + 1, 250_000]);
  await provider.forceFlush();
  await provider.shutdown();
  return { traceId: parent.spanContext().traceId, parentId: parent.spanContext().spanId };
}

function checkStored(r: Awaited<ReturnType<typeof rows>>, service: string, ids: { traceId: string; parentId: string }): void {
  const metrics = r.filter((x) => x.stream_type === 'metrics');
  // Durations (ms, exact to the nanosecond) per service and span name, at each span's start.
  expect(metrics.map((x) => [x.stream, x.ts, x.data]).sort()).toEqual([
    [`${service}:GET /health`, '2026-12-04T10:00:01.000Z', 0.25],
    [`${service}:POST /checkout`, '2026-12-04T10:00:00.000Z', 123.456789],
    [`${service}:charge card`, '2026-12-04T10:00:00.010Z', 50.5],
  ]);
  const checkout = metrics.find((x) => x.stream === `${service}:POST /checkout`)!;
  expect(checkout.metadata).toMatchObject({
    'service.name': service, 'deployment.environment': 'test', 'http.route': '/checkout', trace_id: ids.traceId, span_id: ids.parentId,
    span_kind: 'SERVER', status_code: 'UNSET', 'otel.span.name': 'POST /checkout', 'otel.scope.name': '@acme/checkout', 'otel.scope.version': '1.0.0',
  });
  const charge = metrics.find((x) => x.stream === `${service}:charge card`)!;
  expect(charge.metadata).toMatchObject({ parent_span_id: ids.parentId, status_code: 'ERROR', trace_id: ids.traceId });
  // Text in the service's logs stream: the span events at their times, the error at the span's end.
  const text = r.filter((x) => x.stream_type === 'logs');
  expect(text.map((x) => [x.stream, x.ts, x.data]).sort()).toEqual([
    [service, '2026-12-04T10:00:00.040Z', 'retrying'],
    [service, '2026-12-04T10:00:00.050Z', 'exception: TypeError: card declined'],
    [service, '2026-12-04T10:00:00.060Z', 'charge card: payment failed'],
  ]);
  const exception = text.find((x) => x.data.startsWith('exception'))!;
  expect(exception.metadata).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'card declined', 'otel.event.name': 'exception', 'otel.span.name': 'charge card', trace_id: ids.traceId });
  expect(text.find((x) => x.data === 'retrying')!.metadata).toMatchObject({ attempt: 2 });
}

describe('engine POST /v1/traces with the official exporters', () => {
  it('the JSON exporter: durations per service and span name; errors and span events as text', async () => {
    const ids = await emit(new JsonExporter({ url: `${h.url}/v1/traces`, headers: { authorization: `Bearer ${h.tenantA.key}` } }), 't-json');
    checkStored(await rows('t-json'), 't-json', ids);
  });

  it('the protobuf exporter with gzip stores the same', async () => {
    const ids = await emit(new ProtoExporter({ url: `${h.url}/v1/traces`, compression: 'gzip' as never, headers: { authorization: `Bearer ${h.tenantA.key}` } }), 't-proto');
    checkStored(await rows('t-proto'), 't-proto', ids);
  });

  it('a bad span is rejected alone: partialSuccess.rejectedSpans and its reason; the rest are stored', async () => {
    const span = (name: string, start: string, end?: string) => ({ traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), name, startTimeUnixNano: start, endTimeUnixNano: end, status: { code: 'STATUS_CODE_ERROR' } });
    const body = JSON.stringify({
      resourceSpans: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 't-bad' } }] },
        scopeSpans: [{ spans: [span('ok', '1796378400000000000', '1796378400002000000'), span('no end', '1796378400000000000'), span('backwards', '1796378400002000000', '1796378400000000000')] }],
      }],
    });
    const res = await fetch(`${h.url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` }, body });
    expect(res.status).toBe(200);
    const answer = await res.json() as { partialSuccess: { rejectedSpans: string; errorMessage: string } };
    expect(answer.partialSuccess.rejectedSpans).toBe('2');
    expect(answer.partialSuccess.errorMessage).toMatch(/span 1: no end: startTimeUnixNano and endTimeUnixNano are required/);
    expect((await rows('t-bad')).map((x) => [x.stream, x.stream_type, x.data])).toEqual([['t-bad:ok', 'metrics', 2], ['t-bad', 'logs', 'ok: error']]);
  });
});

describe('OTLP traces decoding (pure)', () => {
  it('the SDK\'s protobuf and JSON serialisations map to the same events', async () => {
    const mem = new InMemorySpanExporter();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 'same' }), spanProcessors: [new SimpleSpanProcessor({ exporter: mem })] });
    const tracer = provider.getTracer('scope', '1');
    const parent = tracer.startSpan('parent', { kind: SpanKind.CLIENT, startTime: [T, 0], attributes: { n: 1, tags: ['a'] } });
    const child = tracer.startSpan('child', { startTime: [T, 1_000_000] }, trace.setSpan(context.active(), parent));
    child.recordException(new RangeError('too far'), [T, 2_000_000]);
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
    child.end([T, 3_000_000]);
    parent.end([T, 4_500_000]);
    const spans = [...mem.getFinishedSpans()];
    await provider.shutdown();
    const limits = { maxBatchEvents: 100, maxEventBytes: 4096 };
    const fromProto = otlpTracesToEvents(parseOtlpTracesProtobuf(ProtobufTraceSerializer.serializeRequest(spans)!), limits);
    const fromJson = otlpTracesToEvents(JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString()), limits);
    expect(fromProto.rejected).toBe(0);
    expect(fromProto.records.map((r) => [r.stream, r.streamType, r.dataJson])).toEqual([
      ['same:child', 'metrics', '2'], ['same', 'logs', '"child: failed"'], ['same', 'logs', '"exception: RangeError: too far"'], ['same:parent', 'metrics', '4.5'],
    ]);
    expect(fromProto).toEqual(fromJson);
  });
});

describe('engine POST /v1/traces in protobuf: partial success', () => {
  it('a span ending before it starts is rejected; the official deserializer reads the ExportTraceServiceResponse', async () => {
    const mem = new InMemorySpanExporter();
    const provider = new TracerProvider({ resource: resourceFromAttributes({ 'service.name': 't-proto-bad' }), spanProcessors: [new SimpleSpanProcessor({ exporter: mem })] });
    const tracer = provider.getTracer('x');
    tracer.startSpan('fine', { startTime: [T, 0] }).end([T, 3_000_000]);
    tracer.startSpan('broken', { startTime: [T, 0] }).end([T, 1_000_000]);
    const spans = [...mem.getFinishedSpans()];
    await provider.shutdown();
    // The SDK never sends this; a hand-altered span stands in for a broken client.
    (spans[1] as { endTime: [number, number] }).endTime = [T - 1, 0];
    const res = await fetch(`${h.url}/v1/traces`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${h.tenantA.key}` },
      body: ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array,
    });
    expect(res.status).toBe(200);
    const answer = ProtobufTraceSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(Number(answer.partialSuccess?.rejectedSpans)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/span 1: broken: endTimeUnixNano is before startTimeUnixNano/);
    expect((await rows('t-proto-bad')).map((x) => [x.stream, x.data])).toEqual([['t-proto-bad:fine', 3]]);
  });
});

describe('one OTEL_EXPORTER_OTLP_ENDPOINT for logs, metrics and traces', () => {
  it('the three protobuf exporters, configured by environment alone, all store', async () => {
    const saved = { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, headers: process.env.OTEL_EXPORTER_OTLP_HEADERS };
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = h.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = `x-api-key=${h.tenantA.key}`;
    try {
      const resource = resourceFromAttributes({ 'service.name': 'all-3' });
      const logs = new LoggerProvider({ resource, processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter(), scheduledDelayMillis: 3_600_000 })] });
      logs.getLogger('x').emit({ body: 'hello from logs', severityNumber: SeverityNumber.INFO, timestamp: Date.parse('2026-12-04T10:00:02Z') });
      await logs.shutdown();
      const meters = new MeterProvider({ resource, readers: [new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 3_600_000 })] });
      meters.getMeter('x').createGauge('g').record(42);
      await meters.shutdown();
      const tracer = new TracerProvider({ resource, spanProcessors: [new BatchSpanProcessor({ exporter: new ProtoExporter(), scheduledDelayMillis: 3_600_000 })] });
      tracer.getTracer('x').startSpan('work', { startTime: [T, 0] }).end([T, 7_000_000]);
      await tracer.shutdown();
    } finally {
      for (const [k, v] of [['OTEL_EXPORTER_OTLP_ENDPOINT', saved.endpoint], ['OTEL_EXPORTER_OTLP_HEADERS', saved.headers]] as const) {
        if (v === undefined) delete process.env[k]; else process.env[k] = v;
      }
    }
    expect((await rows('all-3')).map((x) => [x.stream, x.stream_type, x.data]).sort()).toEqual([
      ['all-3', 'logs', 'hello from logs'], ['all-3:g', 'metrics', 42], ['all-3:work', 'metrics', 7],
    ]);
  });
});
