// Per-tenant ingest limits (src/core/tenancy/limits.ts): the body or frame size, the events per batch and the
// events per second of a tenant's plan (plans columns) or its override (tenant_limits), read by the
// engine with the tenant's quota reading, enforced after authentication over HTTP, OTLP and
// WebSocket; and GET /api/v1/limits. Against the real PostgreSQL.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantRateLimiter } from '../../engine/transforms/limit.js';
import { buildControlApp } from '../../src/control/app.js';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { migrate } from '../../src/core/db.js';
import { effectiveLimits, NO_LIMITS } from '../../src/core/tenancy/limits.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { countEvents, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

const REFRESH_MS = 200;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('effectiveLimits', () => {
  const global = { maxBodyBytes: 16_000, maxBatchEvents: 100, tenantEventsPerSecond: 500 };
  it('sizes: min(config, override ?? plan); rate: override ?? plan, 0 or unset = config', () => {
    expect(effectiveLimits(global, NO_LIMITS, NO_LIMITS)).toEqual({
      maxBodyBytes: { value: 16_000, source: 'config' }, maxBatchEvents: { value: 100, source: 'config' }, eventsPerSecond: { value: 500, source: 'config' },
    });
    const plan = { maxBodyBytes: 1_000, maxBatchEvents: 1_000, eventsPerSecond: 50 };
    expect(effectiveLimits(global, plan, NO_LIMITS)).toEqual({
      // A plan above the global size is capped by it (the engine never buffers more than MAX_BODY_BYTES).
      maxBodyBytes: { value: 1_000, source: 'plan' }, maxBatchEvents: { value: 100, source: 'config' }, eventsPerSecond: { value: 50, source: 'plan' },
    });
    expect(effectiveLimits(global, plan, { maxBodyBytes: 2_000, maxBatchEvents: 10, eventsPerSecond: 5_000 })).toEqual({
      // An override replaces the plan's value both ways; the rate may exceed the global one.
      maxBodyBytes: { value: 2_000, source: 'tenant' }, maxBatchEvents: { value: 10, source: 'tenant' }, eventsPerSecond: { value: 5_000, source: 'tenant' },
    });
    expect(effectiveLimits(global, plan, { maxBodyBytes: null, maxBatchEvents: null, eventsPerSecond: 0 }).eventsPerSecond).toEqual({ value: 500, source: 'config' });
  });
});

describe('TenantRateLimiter with a rate per tenant', () => {
  it('each tenant refills at the rate it is given; a lowered rate caps the tokens at once', () => {
    const l = new TenantRateLimiter(1_000);
    expect(l.take('a', 10, 0, 10)).toBe(0);
    expect(l.take('a', 1, 0, 10)).toBe(1);
    expect(l.take('b', 500, 0)).toBe(0); // the global rate for b
    expect(l.take('b', 500, 0)).toBe(0);
    expect(l.take('b', 1, 0)).toBe(1);
    expect(l.take('a', 10, 1_000, 10)).toBe(0); // a refilled 10 in 1 s
    // c is raised from 5 to 100: its bucket refills up to the new rate.
    expect(l.take('c', 5, 0, 5)).toBe(0);
    expect(l.take('c', 50, 1_000, 100)).toBe(1); // 5 tokens at 1 s
    expect(l.take('c', 50, 1_500, 100)).toBe(0); // + 50 at the new rate
    // d is lowered from 100 to 2: what it holds is capped at 2.
    expect(l.take('d', 1, 0, 100)).toBe(0);
    expect(l.take('d', 2, 0, 2)).toBe(0); // 99 tokens capped to 2, then taken
    expect(l.take('d', 1, 0, 2)).toBe(1); // (uncapped, 97 would be left)
  });
});

describe('engine per-tenant limits (against PostgreSQL)', () => {
  let h: Harness;
  let control: FastifyInstance;
  beforeAll(async () => {
    // Global limits high enough that only the tenants' own limits can refuse the inputs below.
    h = await startHarness({ quotaRefreshMs: REFRESH_MS, maxBodyBytes: 1024 * 1024, maxBatchEvents: 1_000, tenantEventsPerSecond: 100_000 });
    control = await buildControlApp({ config: h.config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
  });
  afterAll(async () => {
    await control?.close();
    await h?.close();
  });

  let n = 0;
  /** A new tenant on `plan`, optionally with overrides, and an ingest+read key. */
  async function tenant(plan: string, override?: { body?: number | null; batch?: number | null; rate?: number | null }): Promise<{ id: string; key: string }> {
    const t = await createTenant(h.db.pool, `Limits ${++n}`, plan);
    if (override !== undefined) {
      await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_body_bytes, max_batch_events, events_per_second) VALUES ($1, $2, $3, $4)',
        [t.id, override.body ?? null, override.batch ?? null, override.rate ?? null]);
    }
    return { id: t.id, key: (await createApiKey(h.db.pool, t.id)).key };
  }

  const otlp = (key: string, records: number, pad = 0): Promise<Response> => fetch(`${h.url}/v1/logs`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: records }, (_, i) => ({ body: { stringValue: `otlp ${i} ${'x'.repeat(pad)}` } })) }] }] }),
  });

  /** Sends one frame on a new connection, then a small one: both answers, and whether the connection stayed open. */
  async function wsPair(key: string, frame: unknown[], small: unknown[]): Promise<{ first: any; second: any; closed: unknown }> {
    const ws = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${key}` });
    try {
      ws.sendJson({ seq: 1, events: frame });
      const first = (await ws.answer(1)).msg;
      ws.sendJson({ seq: 2, events: small });
      const second = (await ws.answer(2)).msg;
      return { first, second, closed: ws.closed };
    } finally {
      await ws.close();
    }
  }

  it('seeds the plans with limits once, and re-applying the schema keeps an operator\'s change (NULL too)', async () => {
    const rows = async () => (await h.db.pool.query('SELECT id, max_body_bytes::int, max_batch_events, events_per_second FROM plans ORDER BY id')).rows;
    expect(await rows()).toEqual([
      { id: 'business', max_body_bytes: null, max_batch_events: null, events_per_second: null },
      { id: 'free', max_body_bytes: 1_048_576, max_batch_events: 1_000, events_per_second: 10_000 },
      { id: 'pro', max_body_bytes: 4_194_304, max_batch_events: 5_000, events_per_second: 50_000 },
    ]);
    await h.db.pool.query("UPDATE plans SET max_batch_events = NULL WHERE id = 'free'");
    try {
      await migrate(h.db.pool);
      expect((await rows())[1]).toEqual({ id: 'free', max_body_bytes: 1_048_576, max_batch_events: null, events_per_second: 10_000 });
    } finally {
      // The later tests read the free plan's seeded limits, whatever happened above.
      await h.db.pool.query("UPDATE plans SET max_batch_events = 1000 WHERE id = 'free'");
    }
  });

  it('body or frame size: a tenant whose plan allows 2,000 bytes gets 413 / a nack; a tenant on the default passes the same input', async () => {
    await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days, max_body_bytes, limits_seeded) VALUES ('small', 'Small', NULL, 7, 2000, true)");
    const small = await tenant('small');
    const dflt = await tenant('business');
    const big = [logEvent('x'.repeat(3_000))];

    const refused = await ingest(h, big, { key: small.key });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'DW_ERR_PAYLOAD_TOO_LARGE', details: { limit: 2000, source: 'plan' } });
    expect(refused.body.error.message).toMatch(/this tenant's limit is 2000 \(its plan\)/);
    expect((await ingest(h, big, { key: dflt.key })).status).toBe(200);

    const o = await otlp(small.key, 1, 3_000);
    expect(o.status).toBe(413);
    expect(await o.json()).toMatchObject({ error: { code: 'DW_ERR_PAYLOAD_TOO_LARGE' } });
    expect((await otlp(dflt.key, 1, 3_000)).status).toBe(200);

    const ws = await wsPair(small.key, big, [logEvent('small')]);
    expect(ws.first).toMatchObject({ nack: 1, error: { code: 'DW_ERR_PAYLOAD_TOO_LARGE', details: { limit: 2000, source: 'plan' } } });
    expect(ws.second).toEqual({ ack: 2 }); // the connection stays open
    expect(ws.closed).toBeUndefined();
    expect((await wsPair(dflt.key, big, [logEvent('small')])).first).toEqual({ ack: 1 });

    expect(await countEvents(h, small.id)).toBe(1);
    expect(await countEvents(h, dflt.id)).toBe(4);
  });

  it('events per batch: a tenant whose override allows 3 gets DW_ERR_TOO_MANY_EVENTS; a tenant on the default passes the same input', async () => {
    const few = await tenant('business', { batch: 3 });
    const dflt = await tenant('business');
    const four = [logEvent('1'), logEvent('2'), logEvent('3'), logEvent('4')];

    const refused = await ingest(h, four, { key: few.key });
    expect(refused.status).toBe(413);
    expect(refused.body.error).toMatchObject({ code: 'DW_ERR_TOO_MANY_EVENTS', details: { limit: 3, source: 'tenant', events: 4 } });
    expect((await ingest(h, four.slice(0, 3), { key: few.key })).status).toBe(200);
    expect((await ingest(h, four, { key: dflt.key })).status).toBe(200);

    const o = await otlp(few.key, 4);
    expect(o.status).toBe(413);
    expect(await o.json()).toMatchObject({ error: { code: 'DW_ERR_TOO_MANY_EVENTS' } });
    expect((await otlp(dflt.key, 4)).status).toBe(200);

    const ws = await wsPair(few.key, four, [logEvent('one')]);
    expect(ws.first).toMatchObject({ nack: 1, error: { code: 'DW_ERR_TOO_MANY_EVENTS', details: { limit: 3 } } });
    expect(ws.second).toEqual({ ack: 2 });
    expect(ws.closed).toBeUndefined();
    expect((await wsPair(dflt.key, four, [logEvent('one')])).first).toEqual({ ack: 1 });

    expect(await countEvents(h, few.id)).toBe(4);
    expect(await countEvents(h, dflt.id)).toBe(13);
  });

  it('rate: a tenant whose override allows 1 event/s gets 429 DW_ERR_RATE_LIMITED with Retry-After; a tenant on the default passes the same input', async () => {
    const slow = await tenant('business', { rate: 1 });
    const dflt = await tenant('business');
    const three = [logEvent('1'), logEvent('2'), logEvent('3')];
    // From a full bucket a batch of 3 passes (rate 1/s): the tenant now owes about 2 s.
    expect((await ingest(h, three, { key: slow.key })).status).toBe(200);
    const res = await fetch(`${h.url}/api/v1/events/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${slow.key}` }, body: JSON.stringify(three),
    });
    expect(res.status).toBe(429);
    const retry = Number(res.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(2);
    expect(retry).toBeLessThanOrEqual(3);
    expect(await res.json()).toMatchObject({ error: { code: 'DW_ERR_RATE_LIMITED', details: { limit: 1, source: 'tenant', retryAfterSeconds: retry } } });
    const o = await otlp(slow.key, 1);
    expect(o.status).toBe(429);
    expect(await o.json()).toMatchObject({ error: { code: 'DW_ERR_RATE_LIMITED' } });

    const ws = await wsPair(slow.key, three, three);
    expect(ws.first).toMatchObject({ nack: 1, error: { code: 'DW_ERR_RATE_LIMITED', details: { limit: 1 } } });
    expect(ws.second).toMatchObject({ nack: 2, error: { code: 'DW_ERR_RATE_LIMITED' } });
    expect(ws.closed).toBeUndefined();

    // The default tenant sends the same batches back to back, all accepted (the global 100,000/s).
    for (let i = 0; i < 5; i++) expect((await ingest(h, three, { key: dflt.key })).status).toBe(200);
    const wsd = await wsPair(dflt.key, three, three);
    expect([wsd.first, wsd.second]).toEqual([{ ack: 1 }, { ack: 2 }]);

    expect(await countEvents(h, slow.id)).toBe(3);
    expect(await countEvents(h, dflt.id)).toBe(21);
  });

  it('an override raising or lowering a plan value takes effect within the refresh', async () => {
    await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days, max_body_bytes, max_batch_events, limits_seeded) VALUES ('tiny', 'Tiny', NULL, 7, 2000, 5, true)");
    const t = await tenant('tiny');
    const big = [logEvent('x'.repeat(3_000))];
    const five = Array.from({ length: 5 }, (_, i) => logEvent(`e${i}`));
    expect((await ingest(h, big, { key: t.key })).body.error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    expect((await ingest(h, five, { key: t.key })).status).toBe(200);

    // Raise the body limit above the plan's, lower the batch limit below it.
    await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_body_bytes, max_batch_events) VALUES ($1, 100000, 4)', [t.id]);
    // Older than 3 × QUOTA_REFRESH_MS the reading is renewed before the batch is checked (quota.ts).
    await sleep(3 * REFRESH_MS + 50); // kept: the reading's age (wall clock) is the behaviour under test
    expect((await ingest(h, big, { key: t.key })).status).toBe(200);
    const refused = await ingest(h, five, { key: t.key });
    expect(refused.body.error).toMatchObject({ code: 'DW_ERR_TOO_MANY_EVENTS', details: { limit: 4, source: 'tenant' } });

    // A tenant sending all along sees the change within about one refresh (renewed in the background).
    await h.db.pool.query('UPDATE tenant_limits SET max_batch_events = NULL WHERE tenant_id = $1', [t.id]);
    const start = Date.now();
    let status = 0;
    while (Date.now() - start < 10 * REFRESH_MS) {
      status = (await ingest(h, five, { key: t.key })).status;
      if (status === 200) break;
      await sleep(20);
    }
    expect(status).toBe(200);
    expect(Date.now() - start).toBeLessThan(2 * REFRESH_MS + 500);
  });

  it('GET /api/v1/limits shows the caller\'s tenant\'s effective limits and where each comes from', async () => {
    const t = await tenant('free', { batch: 10, rate: 0 });
    const res = await control.inject({ method: 'GET', url: '/api/v1/limits', headers: { authorization: `Bearer ${t.key}` } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      plan: 'free',
      // The free plan's 1 MiB equals the global 1 MiB here: the global is the ceiling, so 'config'.
      max_body_bytes: { value: 1_048_576, source: 'config', config: 1_048_576, plan: 1_048_576, tenant: null },
      max_batch_events: { value: 10, source: 'tenant', config: 1_000, plan: 1_000, tenant: 10 },
      events_per_second: { value: 100_000, source: 'config', config: 100_000, plan: 10_000, tenant: 0 },
    });
    const pro = await tenant('pro');
    const p = (await control.inject({ method: 'GET', url: '/api/v1/limits', headers: { authorization: `Bearer ${pro.key}` } })).json();
    expect(p.max_body_bytes).toEqual({ value: 1_048_576, source: 'config', config: 1_048_576, plan: 4_194_304, tenant: null });
    expect(p.events_per_second).toEqual({ value: 50_000, source: 'plan', config: 100_000, plan: 50_000, tenant: null });
    expect((await control.inject({ method: 'GET', url: '/api/v1/limits' })).statusCode).toBe(401);
  });
});
