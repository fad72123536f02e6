// Sequences per entity through the real engine (real detectors, real PostgreSQL; issue 11): the
// sequence detector keys a log or trace stream's events by the trace id in their metadata (OTLP
// traces: each span event is a line of the service's text stream with metadata.trace_id), or by
// the metadata field named in stream_settings.session_field. A trace or order that takes a step
// no normal one takes is a `session_sequence` anomaly.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { ENTITIES, NORMAL, ODD, ODD_AT, orderEvents, T } from '../helpers/session-orders.js';
import { ingest, startHarness, type Harness } from './harness.js';


interface SessionAnomaly { stream: string; explanation: string; details: Record<string, unknown> }

async function sessionAnomalies(h: Harness, tenantId: string): Promise<SessionAnomaly[]> {
  const { rows } = await h.db.pool.query<SessionAnomaly>(
    "SELECT stream, explanation, details FROM anomalies WHERE tenant_id = $1 AND detector = 'session_sequence' ORDER BY event_ts", [tenantId]);
  return rows;
}

async function scored(h: Harness, n: number): Promise<void> {
  await waitFor(async () => (h.engine.stats().score.eventsScored >= n ? true : undefined), 120_000, `${n} events scored`);
}

/**
 * ENTITIES orders as traces, 10 s apart in event time (a session closes 5 min after its last
 * event): a server span and three child spans, each child with one span event naming its step.
 * Sent by the OpenTelemetry SDK's OTLP/HTTP JSON exporter. Returns the odd trace's id.
 */
async function sendTraces(h: Harness, service: string): Promise<string> {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new BatchSpanProcessor({
      exporter: new OTLPTraceExporter({ url: `${h.url}/v1/traces`, headers: { authorization: `Bearer ${h.tenantA.key}` } }),
      maxExportBatchSize: 200, maxQueueSize: 4096, scheduledDelayMillis: 3_600_000,
    })],
  });
  const tracer = provider.getTracer('@acme/orders', '1.0.0');
  let odd = '';
  for (let e = 0; e < ENTITIES; e++) {
    const s = T + e * 10;
    const root = tracer.startSpan('POST /orders', { kind: SpanKind.SERVER, startTime: [s, 0] });
    const steps = e === ODD_AT ? ODD : NORMAL;
    steps.forEach(([span, step], j) => {
      const child = tracer.startSpan(span, { startTime: [s, (j * 100 + 10) * 1e6] }, trace.setSpan(context.active(), root));
      child.addEvent(step, { 'order.items': 1 + ((e + j) % 4) }, [s, (j * 100 + 50) * 1e6]);
      child.end([s, (j * 100 + 90) * 1e6]);
    });
    root.end([s, 400e6]);
    if (e === ODD_AT) odd = root.spanContext().traceId;
    // Export trace by trace's worth in order: the engine scores a stream's events in arrival order.
    if (e % 20 === 19) await provider.forceFlush();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return odd;
}

describe('engine: sessions keyed by metadata', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({}, 'real'); });
  afterAll(async () => { await h?.close(); });

  it('OTLP traces from the OpenTelemetry exporter: the trace with a step no normal trace takes is a session_sequence anomaly', async () => {
    const odd = await sendTraces(h, 'orders-otel');
    // Per trace: 4 span durations (metrics) and 3 span events (text).
    await scored(h, ENTITIES * 7);
    const found = await waitFor(async () => {
      const a = await sessionAnomalies(h, h.tenantA.id);
      return a.length > 0 ? a : undefined;
    }, 30_000, 'a session_sequence anomaly');
    expect(found).toHaveLength(1);
    expect(found[0].stream).toBe('orders-otel');
    expect(found[0].details).toMatchObject({ kind: 'session', session: odd, events: 3 });
    expect(found[0].explanation).toMatch(/never seen in a normal session/);
  });

  it("stream_settings.session_field names the key: the odd order is found; without the setting (a fresh trace id per line) it is not", async () => {
    await h.db.pool.query("INSERT INTO stream_settings (tenant_id, stream, session_field) VALUES ($1, 'orders', 'order')", [h.tenantA.id]);
    const { events, odd } = orderEvents();
    const before = h.engine.stats().score.eventsScored;
    expect((await ingest(h, events, { key: h.tenantA.key })).status).toBe(200);
    expect((await ingest(h, events, { key: h.tenantB.key })).status).toBe(200);
    await scored(h, before + 2 * events.length);
    const a = await waitFor(async () => {
      const list = (await sessionAnomalies(h, h.tenantA.id)).filter((x) => x.stream === 'orders');
      return list.length > 0 ? list : undefined;
    }, 30_000, "tenant A's session_sequence anomaly on orders");
    expect(a.map((x) => x.details.session)).toEqual([odd]);
    expect(await sessionAnomalies(h, h.tenantB.id)).toEqual([]);
  });
});
