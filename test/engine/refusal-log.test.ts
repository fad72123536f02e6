// Operability for shippers (issue 13 item 6): every refusal the engine answers (a whole request,
// upgrade or frame; or events one by one) is logged with the tenant and code, rate-limited per
// tenant and code, and counted in Prometheus by code (never by tenant): HTTP ingest, OTLP and
// WebSocket.
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine } from '../../engine/engine.js';
import { metricsText } from '../../src/core/telemetry/index.js';
import { boomWorker, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

let h: Harness;
const lines: Record<string, any>[] = [];
const started = Date.now();

beforeAll(async () => {
  h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 });
  // The same engine, logging into `lines`.
  await h.engine.close();
  const log = pino({ level: 'info' }, { write(line: string) { lines.push(JSON.parse(line)); } });
  h.engine = await startEngine({ config: h.config, pool: h.db.pool, tokens: h.tokens, log, workerFilename: boomWorker });
  h.url = `http://127.0.0.1:${h.engine.port}`;
  h.wsUrl = `ws://127.0.0.1:${h.engine.port}/api/v1/stream`;
});
afterAll(async () => { await h?.close(); });

/** A Prometheus sample's value (0 when absent). */
async function sample(name: string, labels: string): Promise<number> {
  const text = await metricsText();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}
const refusals = (code: string) => sample('driftwatch_refusals_total', `server="engine",error_code="${code}"`);
const rejectedEvents = (code: string) => sample('driftwatch_ingest_rejected_events_total', `error_code="${code}"`);
const logged = (event: string, where: Record<string, unknown>) =>
  lines.filter((l) => l.event === event && Object.entries(where).every(([k, v]) => l[k] === v));

describe('refusals are logged with tenant and code, and counted by code', () => {
  it('a request without a credential: tenant null, DW_ERR_UNAUTHORIZED, the path', async () => {
    const before = await refusals('DW_ERR_UNAUTHORIZED');
    expect((await ingest(h, [logEvent('x')], { key: '' })).status).toBe(401);
    expect(await refusals('DW_ERR_UNAUTHORIZED')).toBe(before + 1);
    expect(logged('IngestRequestRefused', { code: 'DW_ERR_UNAUTHORIZED' })[0]).toMatchObject({
      level: 40, tenant: null, status: 401, path: '/api/v1/events/ingest', reason: expect.any(String),
    });
  });

  it('a malformed body names the tenant; repeats are counted but logged once per tenant and code per 10 s; another tenant gets its own line', async () => {
    const before = await refusals('DW_ERR_MALFORMED_BODY');
    for (let i = 0; i < 3; i++) expect((await ingest(h, null, { raw: '{not json' })).status).toBe(400);
    expect((await ingest(h, null, { raw: '{not json', key: h.tenantB.key })).status).toBe(400);
    expect(await refusals('DW_ERR_MALFORMED_BODY')).toBe(before + 4);
    const a = logged('IngestRequestRefused', { code: 'DW_ERR_MALFORMED_BODY', tenant: h.tenantA.id });
    // One line per 10 s window at most (however slow this machine is today).
    expect(a.length).toBeGreaterThanOrEqual(1);
    expect(a.length).toBeLessThanOrEqual(1 + Math.floor((Date.now() - started) / 10_000));
    expect(a[0]).toMatchObject({ status: 400, path: '/api/v1/events/ingest', reason: expect.stringMatching(/JSON/) });
    expect(logged('IngestRequestRefused', { code: 'DW_ERR_MALFORMED_BODY', tenant: h.tenantB.id })).toHaveLength(1);
  });

  it('events refused one by one: IngestEventsRejected with the count and first reason; counted by code', async () => {
    const before = await rejectedEvents('DW_ERR_INVALID_TIMESTAMP');
    const r = await ingest(h, [logEvent('ok'), logEvent('bad', { timestamp: '2020-02-30T00:00:00Z' }), logEvent('bad too', { timestamp: 'yesterday' })]);
    expect(r.status).toBe(200);
    expect(r.body.accepted).toBe(1);
    expect(await rejectedEvents('DW_ERR_INVALID_TIMESTAMP')).toBe(before + 2);
    expect(logged('IngestEventsRejected', { code: 'DW_ERR_INVALID_TIMESTAMP', tenant: h.tenantA.id })[0]).toMatchObject({
      count: 2, path: '/api/v1/events/ingest', reason: expect.stringMatching(/event 1/),
    });
  });

  it('OTLP partial success is logged and counted too, under its path', async () => {
    const before = await rejectedEvents('DW_ERR_INVALID_EVENT');
    const res = await fetch(`${h.url}/v1/metrics`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantB.key}` },
      body: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'g', gauge: { dataPoints: [{ asDouble: 1 }, { asDouble: 'NaN' }] } }] }] }] }),
    });
    expect(((await res.json()) as any).partialSuccess.rejectedDataPoints).toBe('1');
    expect(await rejectedEvents('DW_ERR_INVALID_EVENT')).toBe(before + 1);
    expect(logged('IngestEventsRejected', { path: '/v1/metrics', tenant: h.tenantB.id })[0]).toMatchObject({ code: 'DW_ERR_INVALID_EVENT', count: 1 });
  });

  it('a WebSocket frame with nothing valid is nacked, logged with its tenant and counted', async () => {
    const before = await refusals('DW_ERR_INVALID_EVENT');
    const ws = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${h.tenantB.key}` });
    try {
      ws.sendJson({ seq: 1, events: [{ timestamp: '2026-12-04T00:00:00Z', stream_type: 'logs' }] });
      expect((await ws.answer(1)).msg.nack).toBe(1);
    } finally {
      await ws.close();
    }
    expect(await refusals('DW_ERR_INVALID_EVENT')).toBe(before + 1);
    expect(logged('IngestRequestRefused', { path: '/api/v1/stream', tenant: h.tenantB.id })[0]).toMatchObject({ code: 'DW_ERR_INVALID_EVENT', status: 400 });
  });

  it('the push APIs (Loki, Elasticsearch, HEC) log their refusals under their paths', async () => {
    // (Lines are per tenant and code whatever the path: a code not refused above.)
    const loki = await fetch(`${h.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'zstd', authorization: `Bearer ${h.tenantA.key}` }, body: '{}' });
    expect(loki.status).toBe(415);
    await loki.arrayBuffer();
    expect(logged('IngestRequestRefused', { path: '/loki/api/v1/push' })[0]).toMatchObject({ status: 415, code: expect.stringMatching(/^DW_ERR_/) });
    const hec = await fetch(`${h.url}/services/collector/event`, { method: 'POST', headers: { authorization: `Splunk ${h.tenantA.key}`, 'idempotency-key': 'k'.repeat(201) }, body: '{"event": "x"}' });
    expect(hec.status).toBe(400);
    await hec.arrayBuffer();
    expect(logged('IngestRequestRefused', { path: '/services/collector/event' })[0]).toMatchObject({ code: 'DW_ERR_VALIDATION', reason: expect.stringMatching(/Idempotency-Key/) });
  });

  it('the metrics carry codes, never tenant ids', async () => {
    const text = await metricsText();
    expect(text).not.toContain(h.tenantA.id);
    expect(text).not.toContain(h.tenantB.id);
  });
});
