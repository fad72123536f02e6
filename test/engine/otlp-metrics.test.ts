// OTLP/HTTP metrics (issue 13): the official OpenTelemetry JS metrics exporters (JSON and
// protobuf, gzip too) send to POST /v1/metrics unchanged; one stream per metric name and
// attribute set; gauges as values, cumulative sums as deltas (resets too), histograms as count
// and mean; each stored point is one event of usage; a bad point is answered OTLP's way
// (partialSuccess.rejectedDataPoints) while the rest are stored.
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CumulativeState, cumulativeDelta } from '../../engine/transforms/otlp-cumulative.js';
import { metricStreamKey, otlpMetricsToEvents } from '../../engine/transforms/otlp-metrics.js';
import { parseOtlpMetricsProtobuf } from '../../engine/transforms/otlp-signals-proto.js';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

/** The service's stored rows, by stream, in write order. */
async function rows(service: string): Promise<Map<string, { ts: Date; data: any; metadata: any; stream_type: string }[]>> {
  const out = new Map<string, { ts: Date; data: any; metadata: any; stream_type: string }[]>();
  for (const e of await storedEvents(h.db.pool, { tenantId: h.tenantA.id })) {
    if (e.metadata?.['service.name'] !== service) continue;
    const list = out.get(e.stream) ?? [];
    list.push({ ts: e.ts, data: e.data, metadata: e.metadata, stream_type: e.stream_type });
    out.set(e.stream, list);
  }
  return out;
}

const usage = async (): Promise<number> =>
  Number((await h.db.pool.query<{ n: string }>('SELECT COALESCE(sum(events), 0) AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantA.id])).rows[0].n);

/**
 * Two collections through the real SDK: a counter on two routes, an up-down counter, a gauge
 * and a histogram; between them more adds and records. Returns the wall-clock window of each
 * export, which the points' times must fall in.
 */
async function emit(exporter: PushMetricExporter, service: string): Promise<[number, number][]> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'web-1' }), readers: [reader] });
  const meter = provider.getMeter('@acme/shop', '2.0.0');
  const requests = meter.createCounter('http.requests', { unit: '{request}' });
  const queue = meter.createUpDownCounter('queue.depth');
  const temp = meter.createGauge('room.temperature', { unit: 'Cel' });
  const latency = meter.createHistogram('http.latency', { unit: 'ms' });
  const windows: [number, number][] = [];

  requests.add(5, { route: '/a' });
  requests.add(2, { route: '/b' });
  queue.add(4);
  temp.record(21.5);
  latency.record(10);
  latency.record(30);
  let t0 = Date.now();
  await provider.forceFlush();
  windows.push([t0, Date.now()]);

  requests.add(3, { route: '/a' });
  queue.add(-1);
  temp.record(19);
  latency.record(50);
  t0 = Date.now();
  await provider.forceFlush();
  windows.push([t0, Date.now()]);
  // Shutting down collects and exports once more (nothing changed since).
  t0 = Date.now();
  await provider.shutdown();
  windows.push([t0, Date.now()]);
  return windows;
}

function checkStored(r: Awaited<ReturnType<typeof rows>>, service: string, windows: [number, number][], temporality: 'cumulative' | 'delta'): void {
  const values = (stream: string) => r.get(stream)?.map((x) => x.data);
  const cumulative = temporality === 'cumulative';
  // Three exports (the last at shutdown, nothing changed since). Cumulative sums arrive as
  // deltas: /a is 5, then 3, then 0; /b did not change after its 2. Delta sums are stored as
  // sent (the SDK sends no point for an interval with no adds).
  expect(values(`${service}:http.requests{route=/a}`)).toEqual(cumulative ? [5, 3, 0] : [5, 3]);
  expect(values(`${service}:http.requests{route=/b}`)).toEqual(cumulative ? [2, 0, 0] : [2]);
  // An up-down counter is cumulative under either preference (the SDK's rule) and not
  // monotonic: a level, stored as its value.
  expect(values(`${service}:queue.depth`)).toEqual([4, 3, 3]);
  expect(values(`${service}:room.temperature`)).toEqual(cumulative ? [21.5, 19, 19] : [21.5, 19]);
  // Histograms as count and mean of the interval; the third interval observed nothing: no
  // mean, not stored. min and max only where they describe the interval (delta).
  const hist = r.get(`${service}:http.latency`)!;
  expect(hist.map((x) => x.data)).toEqual(cumulative
    ? [{ value: 20, count: 2, sum: 40 }, { value: 50, count: 1, sum: 50 }]
    : [{ value: 20, count: 2, sum: 40, min: 10, max: 30 }, { value: 50, count: 1, sum: 50, min: 50, max: 50 }]);
  expect(new Set([...r.values()].flat().map((x) => x.stream_type))).toEqual(new Set(['metrics']));
  // Each stream's points carry the time of their collection.
  for (const list of r.values()) {
    list.forEach((x, i) => {
      const [lo, hi] = windows[i];
      expect(x.ts.getTime()).toBeGreaterThanOrEqual(lo - 1);
      expect(x.ts.getTime()).toBeLessThanOrEqual(hi + 1);
    });
  }
  expect(r.get(`${service}:http.requests{route=/a}`)![0].metadata).toEqual({
    'service.name': service, 'host.name': 'web-1', route: '/a', 'otel.metric.name': 'http.requests', 'otel.metric.type': 'sum',
    'otel.metric.unit': '{request}', 'otel.metric.temporality': temporality, 'otel.scope.name': '@acme/shop', 'otel.scope.version': '2.0.0',
    // The SDK's own resource attributes are not sent by resourceFromAttributes alone.
  });
  expect(hist[0].metadata).toMatchObject({ 'otel.metric.type': 'histogram', 'otel.metric.unit': 'ms' });
}

describe('engine POST /v1/metrics with the official exporters', () => {
  it('the JSON exporter: gauges as values, cumulative sums as deltas, histograms as count and mean; one event of usage per stored point', async () => {
    const before = await usage();
    const windows = await emit(new JsonExporter({ url: `${h.url}/v1/metrics`, headers: { authorization: `Bearer ${h.tenantA.key}` } }), 'm-json');
    const r = await rows('m-json');
    checkStored(r, 'm-json', windows, 'cumulative');
    const stored = [...r.values()].reduce((n, l) => n + l.length, 0);
    expect(stored).toBe(14);
    expect(await usage() - before).toBe(stored);
  });

  it('the protobuf exporter with gzip stores the same', async () => {
    const windows = await emit(new ProtoExporter({ url: `${h.url}/v1/metrics`, compression: 'gzip' as never, headers: { authorization: `Bearer ${h.tenantA.key}` } }), 'm-proto');
    checkStored(await rows('m-proto'), 'm-proto', windows, 'cumulative');
  });

  it('delta temporality is stored as sent', async () => {
    const windows = await emit(new JsonExporter({
      url: `${h.url}/v1/metrics`, headers: { authorization: `Bearer ${h.tenantA.key}` }, temporalityPreference: AggregationTemporality.DELTA,
    }), 'm-delta');
    checkStored(await rows('m-delta'), 'm-delta', windows, 'delta');
  });
});

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const NS = (iso: string, extraMs = 0) => `${BigInt(Date.parse(iso) + extraMs) * 1_000_000n}`;

/** A hand-written OTLP/JSON request: one resource, one cumulative monotonic sum with these points. */
function sumRequest(service: string, points: { start: string; time: string; value: number | string }[], extra: object[] = []): string {
  return JSON.stringify({
    resourceMetrics: [{
      resource: { attributes: [str('service.name', service)] },
      scopeMetrics: [{
        metrics: [
          {
            name: 'jobs.done',
            sum: {
              aggregationTemporality: 'AGGREGATION_TEMPORALITY_CUMULATIVE', isMonotonic: true,
              dataPoints: points.map((p) => ({ attributes: [str('queue', 'q1')], startTimeUnixNano: p.start, timeUnixNano: p.time, asInt: p.value })),
            },
          },
          ...extra,
        ],
      }],
    }],
  });
}

async function post(body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}`, ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

describe('engine POST /v1/metrics: cumulative state, resets and partial success', () => {
  it('a counter reset (value drop, new start time) stores the new value; a series begun before the engine is a baseline', async () => {
    const s1 = NS('2026-12-05T00:00:00Z', 0);
    const later = `${BigInt(Date.now() + 1000) * 1_000_000n}`;
    const t = (ms: number) => `${BigInt(Date.now() + ms) * 1_000_000n}`;
    // s1 is before the engine started: the first point only sets the baseline.
    let r = await post(sumRequest('m-reset', [{ start: s1, time: t(1), value: '10' }, { start: s1, time: t(2), value: '15' }, { start: s1, time: t(3), value: 4 }]));
    expect(r).toEqual({ status: 200, body: { partialSuccess: {} } });
    // Across requests: the state holds 4; then a new start time (the process restarted).
    r = await post(sumRequest('m-reset', [{ start: s1, time: t(4), value: 9 }, { start: later, time: t(5), value: 2 }]));
    expect(r.status).toBe(200);
    const stored = (await rows('m-reset')).get('m-reset:jobs.done{queue=q1}')!;
    expect(stored.map((x) => x.data)).toEqual([5, 4, 5, 2]);
    expect(stored.map((x) => x.metadata['otel.metric.temporality'])).toEqual(['cumulative', 'cumulative', 'cumulative', 'cumulative']);
  });

  it('a bad data point is rejected alone: partialSuccess.rejectedDataPoints and its reason; the rest are stored', async () => {
    const t = `${BigInt(Date.parse('2026-12-04T12:00:00.250Z')) * 1_000_000n}`;
    const gauge = (name: string, v: unknown) => ({ name, gauge: { dataPoints: [{ timeUnixNano: t, asDouble: v }] } });
    const body = sumRequest('m-bad', [], [
      gauge('ok.gauge', 1.5), gauge('bad.gauge', 'NaN'),
      { name: 'nameless.kind', unknownKind: {} },
      { name: 'no.temporality', sum: { dataPoints: [{ timeUnixNano: t, asInt: 1 }] } },
      { name: 'h', histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: t, count: '4', sum: 10, min: 1, max: 4 }, { timeUnixNano: t, count: '0', sum: 0 }] } },
    ]);
    const r = await post(body);
    expect(r.status).toBe(200);
    expect(r.body.partialSuccess.rejectedDataPoints).toBe('2');
    expect(r.body.partialSuccess.errorMessage).toMatch(/data point 1: bad\.gauge: asDouble or asInt must be a finite number/);
    const stored = await rows('m-bad');
    expect(stored.get('m-bad:ok.gauge')!.map((x) => [x.ts.toISOString(), x.data])).toEqual([['2026-12-04T12:00:00.250Z', 1.5]]);
    // An interval with no observations has no mean: acknowledged, not stored.
    expect(stored.get('m-bad:h')!.map((x) => x.data)).toEqual([{ value: 2.5, count: 4, sum: 10, min: 1, max: 4 }]);
    expect([...stored.keys()].sort()).toEqual(['m-bad:h', 'm-bad:ok.gauge']);
  });

  it('nothing valid is still a 200 with every point rejected; a malformed body is a 400 in OTLP\'s Status shape', async () => {
    const r = await post(JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ gauge: { dataPoints: [{ asDouble: 1 }] } }] }] }] }));
    expect(r).toEqual({ status: 200, body: { partialSuccess: { rejectedDataPoints: '1', errorMessage: 'An event is not valid: data point 0: the metric has no name' } } });
    const bad = await post('{"resourceMetrics": {}}');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 3, error: { code: 'DW_ERR_MALFORMED_BODY' } });
  });

  it('a protobuf request with a bad point gets an ExportMetricsServiceResponse the official deserializer reads as partial success', async () => {
    const mem = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const provider = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'm-proto-bad' }), readers: [new PeriodicExportingMetricReader({ exporter: mem, exportIntervalMillis: 3_600_000 })] });
    const g = provider.getMeter('x').createGauge('level');
    g.record(1, { n: 'one' });
    g.record(2, { n: 'two' });
    await provider.forceFlush();
    const [collected] = mem.getMetrics();
    await provider.shutdown();
    // The SDK never sends NaN; a hand-altered point stands in for a broken client.
    (collected.scopeMetrics[0].metrics[0].dataPoints[1] as { value: number }).value = Number.NaN;
    const res = await fetch(`${h.url}/v1/metrics`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${h.tenantA.key}` },
      body: ProtobufMetricsSerializer.serializeRequest(collected) as Uint8Array,
    });
    expect(res.status).toBe(200);
    const answer = ProtobufMetricsSerializer.deserializeResponse(new Uint8Array(await res.arrayBuffer()));
    expect(Number(answer.partialSuccess?.rejectedDataPoints)).toBe(1);
    expect(answer.partialSuccess?.errorMessage).toMatch(/data point 1: level: asDouble or asInt must be a finite number/);
    expect([...(await rows('m-proto-bad')).entries()].map(([k, v]) => [k, v.map((x) => x.data)])).toEqual([['m-proto-bad:level{n=one}', [1]]]);
  });

  it('protobuf requests get an ExportMetricsServiceResponse; a truncated one a Status naming the metrics request', async () => {
    const res = await fetch(`${h.url}/v1/metrics`, {
      method: 'POST', headers: { 'content-type': 'application/x-protobuf', authorization: `Bearer ${h.tenantA.key}` }, body: Uint8Array.from([0x0a, 0x05, 0x0a]),
    });
    expect(res.status).toBe(400);
    expect(Buffer.from(await res.arrayBuffer()).toString('latin1')).toMatch(/DW_ERR_MALFORMED_BODY: .*the body is not a valid OTLP protobuf ExportMetricsServiceRequest/);
  });
});

describe('stream keys and the cumulative state (pure)', () => {
  it('the SDK\'s protobuf and JSON serialisations of every instrument kind map to the same events', async () => {
    const mem = new InMemoryMetricExporter(AggregationTemporality.DELTA);
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'same' }), readers: [new PeriodicExportingMetricReader({ exporter: mem, exportIntervalMillis: 3_600_000 })],
      views: [{ instrumentName: 'eh', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
    });
    const meter = provider.getMeter('scope', '1');
    const eh = meter.createHistogram('eh');
    eh.record(2, { at: 'x' });
    eh.record(6, { at: 'x' });
    meter.createCounter('c').add(3, { k: 'v' });
    meter.createUpDownCounter('u').add(-2);
    meter.createGauge('g').record(1.25);
    meter.createHistogram('h').record(4);
    meter.createObservableGauge('og').addCallback((r) => r.observe(7, { big: 9007199254740993n.toString() }));
    await provider.forceFlush();
    const [collected] = mem.getMetrics();
    await provider.shutdown();
    const view = { startedAtMs: 0, previous: () => undefined };
    const limits = { maxBatchEvents: 100, maxEventBytes: 4096 };
    const fromProto = otlpMetricsToEvents(parseOtlpMetricsProtobuf(ProtobufMetricsSerializer.serializeRequest(collected)!), 0, limits, view);
    const fromJson = otlpMetricsToEvents(JSON.parse(Buffer.from(JsonMetricsSerializer.serializeRequest(collected)!).toString()), 0, limits, view);
    expect(fromProto.rejected).toBe(0);
    expect(fromProto.records.map((r) => [r.stream, r.dataJson]).sort()).toEqual([
      ['same:c{k=v}', '3'], ['same:eh{at=x}', '{"value":4,"count":2,"sum":8,"min":2,"max":6}'], ['same:g', '1.25'], ['same:h', '{"value":4,"count":1,"sum":4,"min":4,"max":4}'],
      ['same:og{big=9007199254740993}', '7'], ['same:u', '-2'],
    ]);
    expect(fromProto).toEqual(fromJson);
  });

  it('one stream per metric name and attribute set, attributes sorted; odd values quoted; long keys hashed', () => {
    expect(metricStreamKey('svc', 'm', {})).toBe('svc:m');
    expect(metricStreamKey(undefined, 'm', { b: 2, a: 'x' })).toBe('m{a=x,b=2}');
    expect(metricStreamKey('svc', 'm', { a: 'x y', c: true, 'driftwatch.stream': 'z' })).toBe('svc:m{a="x y",c=true}');
    const long = metricStreamKey('svc', 'm', { a: 'v'.repeat(300) });
    expect(long).toMatch(/^svc:m\{#[0-9a-f]{16}\}$/);
    expect(metricStreamKey('svc', 'm', { a: 'v'.repeat(300) })).toBe(long);
  });

  it('a summary is cumulative: count and sum as deltas, their mean the value', () => {
    const start = `${BigInt(Date.parse('2026-12-05T00:00:01Z')) * 1_000_000n}`;
    const pt = (ms: number, count: string, sum: number) => ({ startTimeUnixNano: start, timeUnixNano: `${BigInt(Date.parse('2026-12-05T00:00:00Z') + ms) * 1_000_000n}`, count, sum, quantileValues: [{ quantile: 0.5, value: 1 }] });
    const req = { resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'rpc', summary: { dataPoints: [pt(10_000, '4', 20), pt(20_000, '6', 50)] } }] }] }] };
    const out = otlpMetricsToEvents(req, 0, { maxBatchEvents: 10, maxEventBytes: 4096 }, { startedAtMs: Date.parse('2026-12-05T00:00:00Z'), previous: () => undefined });
    expect(out.records.map((r) => [r.stream, new Date(r.ts).toISOString(), r.dataJson])).toEqual([
      ['rpc', '2026-12-05T00:00:10.000Z', '{"value":5,"count":4,"sum":20}'],
      ['rpc', '2026-12-05T00:00:20.000Z', '{"value":15,"count":2,"sum":30}'],
    ]);
    expect([...out.updates.values()]).toEqual([{ start, value: 6, sum: 50 }]);
  });

  it('deltas, resets and baselines; the state keeps at most maxSeriesPerTenant series per tenant, least recently updated evicted', () => {
    const started = Date.parse('2026-12-05T00:00:00Z');
    const before = `${BigInt(started - 1000) * 1_000_000n}`;
    const after = `${BigInt(started + 1000) * 1_000_000n}`;
    expect(cumulativeDelta(undefined, { start: before, value: 7, sum: NaN }, started)).toBeUndefined();
    expect(cumulativeDelta(undefined, { start: '0', value: 7, sum: NaN }, started)).toBeUndefined();
    expect(cumulativeDelta(undefined, { start: after, value: 7, sum: NaN }, started)).toMatchObject({ value: 7, reset: false });
    expect(cumulativeDelta({ start: after, value: 7, sum: 70 }, { start: after, value: 9, sum: 100 }, started)).toEqual({ value: 2, sum: 30, reset: false });
    expect(cumulativeDelta({ start: after, value: 7, sum: 70 }, { start: after, value: 3, sum: 5 }, started)).toEqual({ value: 3, sum: 5, reset: true });
    expect(cumulativeDelta({ start: before, value: 7, sum: NaN }, { start: after, value: 8, sum: NaN }, started)).toMatchObject({ value: 8, reset: true });

    const state = new CumulativeState(started, 2);
    const p = (value: number) => ({ start: after, value, sum: NaN });
    state.commit('t1', new Map([['a', p(1)], ['b', p(2)]]));
    state.commit('t2', new Map([['a', p(100)]]));
    state.commit('t1', new Map([['a', p(3)]])); // a is now the most recent
    state.commit('t1', new Map([['c', p(4)]])); // evicts b, t1's least recently updated
    expect(state.size('t1')).toBe(2);
    expect(state.get('t1', 'b')).toBeUndefined();
    expect(state.get('t1', 'a')?.value).toBe(3);
    expect(state.get('t2', 'a')?.value).toBe(100);
    expect(() => new CumulativeState(0, 0)).toThrow(TypeError);
  });
});
