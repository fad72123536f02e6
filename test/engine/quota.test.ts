// Plan quotas at ingest (engine/transforms/quota.ts): the arithmetic with a fake reader and
// clock, then the engine against PostgreSQL (usage in the usage_counters table) and against
// PostgreSQL + Redis (usage INCRBY in Redis): over quota ─► 429 DW_ERR_QUOTA_EXCEEDED (HTTP, OTLP)
// or a nack (WebSocket), other tenants unaffected, resends not counted twice, upgrades apply
// within seconds.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantQuota, type QuotaReading } from '../../engine/transforms/quota.js';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { hourTag, monthTag, planUsage, RedisUsageStore, TableUsageStore } from '../../src/core/usage.js';
import { silentLogger } from '../../src/core/log.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { boomWorker, countEvents, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

const REDIS_URL = process.env.REDIS_URL;

const events = (n: number, tag = 'e'): Record<string, unknown>[] => Array.from({ length: n }, (_, i) => logEvent(`${tag} ${i}`));

async function quotaError(p: Promise<unknown>): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string; details: Record<string, unknown> };
  }
  throw new Error('expected a refusal');
}

describe('TenantQuota (fake reader and clock)', () => {
  const T0 = Date.UTC(2026, 10, 22, 12);

  it('admits exactly up to the limit, counts only what was stored, refuses with the plan and the limit', async () => {
    let now = T0;
    const reads: string[] = [];
    let stored = 3; // the usage store (the engine's writes land there before they settle)
    const q = new TenantQuota(async (t) => { reads.push(t); return { plan: 'free', planName: 'Free', limit: 10, used: stored }; }, { refreshMs: 2_000, now: () => now });
    const a = await q.admit('a', 5);
    stored += 5;
    q.settle(a, 5); // 8 used
    const dup = await q.admit('a', 2);
    q.settle(dup, 0); // a duplicate (or a failure) counts nothing
    const b = await q.admit('a', 2);
    stored += 2;
    q.settle(b, 2); // 10: at the limit exactly
    const err = await quotaError(q.admit('a', 1));
    expect(err.code).toBe('DW_ERR_QUOTA_EXCEEDED');
    expect(err.message).toMatch(/Free plan allows 10 events per month/);
    expect(err.details).toMatchObject({ plan: 'free', limit: 10, used: 10, batch: 1, resetsAt: '2026-12-01T00:00:00.000Z' });
    expect(err.details.retryAfterSeconds).toBe((Date.UTC(2026, 11, 1) - T0) / 1000);
    // Batches in flight count too: two concurrent batches cannot both take the last slots.
    now += 10_000;
    const q2 = new TenantQuota(async () => ({ plan: 'free', planName: 'Free', limit: 10, used: 0 }), { refreshMs: 2_000, now: () => now });
    const first = await q2.admit('a', 6);
    await expect(q2.admit('a', 5)).rejects.toMatchObject({ code: 'DW_ERR_QUOTA_EXCEEDED' });
    q2.settle(first, 0); // the first failed: its reservation is given back
    await q2.admit('a', 10);
    expect(q.stats.batchesRefused).toBe(1);
    expect(reads.length).toBeGreaterThanOrEqual(1);
  });

  it('re-reads every refreshMs, sees a plan change within it, and before refusing when the reading is older than 0.5 s', async () => {
    let now = T0;
    let reading: QuotaReading = { plan: 'free', planName: 'Free', limit: 10, used: 10 };
    let reads = 0;
    const q = new TenantQuota(async () => { reads++; return { ...reading }; }, { refreshMs: 2_000, now: () => now });
    await expect(q.admit('a', 1)).rejects.toMatchObject({ code: 'DW_ERR_QUOTA_EXCEEDED' });
    expect(reads).toBe(1);
    await expect(q.admit('a', 1)).rejects.toMatchObject({ code: 'DW_ERR_QUOTA_EXCEEDED' });
    expect(reads).toBe(1); // an exact reading younger than 0.5 s is trusted
    reading = { plan: 'pro', planName: 'Pro', limit: 100, used: 10 };
    now += 600;
    q.settle(await q.admit('a', 1), 1); // refused on the old reading, read again (upgrade), admitted
    expect(reads).toBe(2);
    // Unlimited: never refused.
    reading = { plan: 'business', planName: 'Business', limit: null, used: 10 ** 12 };
    now += 2_000;
    await q.admit('a', 1); // stale: a background read starts
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) await q.admit('a', 1_000_000);
  });

  it('a reading taken while a write was in flight may over-count; it is re-taken before a refusal, so the limit stays exact', async () => {
    let now = T0;
    let stored = 0; // what the store holds
    const q = new TenantQuota(async () => ({ plan: 'free', planName: 'Free', limit: 10, used: stored }), { refreshMs: 1_000, now: () => now });
    const first = await q.admit('a', 4);
    stored = 4;
    q.settle(first, 4);
    now += 1_000;
    // A batch of 5 starts; the background read (due now) runs while it is in flight and its
    // COMMIT lands before the read: the store says 9 while the batch is still in flight.
    const t = await q.admit('a', 5);
    stored = 9;
    await new Promise((r) => setImmediate(r));
    q.settle(t, 5); // estimate now 9 (store) + 5 (own, counted twice) = 14: not exact
    // The last free slot: refused on the over-count? No: read again first (exact: 9), admitted.
    q.settle(await q.admit('a', 1), 1);
    stored = 10;
    await expect(q.admit('a', 1)).rejects.toMatchObject({ code: 'DW_ERR_QUOTA_EXCEEDED' });
  });

  it('starts counting again in a new month; a failed first read lets batches through (fail open)', async () => {
    let now = Date.UTC(2026, 10, 30, 23, 59, 59);
    const months: number[] = [];
    const q = new TenantQuota(async (_t, m) => { months.push(m); return { plan: 'free', planName: 'Free', limit: 5, used: m === Date.UTC(2026, 10, 1) ? 5 : 0 }; }, { refreshMs: 2_000, now: () => now });
    await expect(q.admit('a', 1)).rejects.toMatchObject({ code: 'DW_ERR_QUOTA_EXCEEDED' });
    now = Date.UTC(2026, 11, 1, 0, 0, 1);
    await q.admit('a', 5);
    expect(months).toEqual([Date.UTC(2026, 10, 1), Date.UTC(2026, 11, 1)]);

    const failing = new TenantQuota(async () => { throw new Error('down'); }, { refreshMs: 2_000, now: () => now });
    await failing.admit('a', 1_000_000);
    expect(failing.stats).toMatchObject({ readErrors: 1, failedOpen: 1 });
  });

  it('forgets tenants idle for 10 minutes', async () => {
    let now = T0;
    const q = new TenantQuota(async () => ({ plan: 'free', planName: 'Free', limit: 5, used: 0 }), { refreshMs: 2_000, now: () => now });
    q.settle(await q.admit('a', 1), 1);
    q.settle(await q.admit('b', 1), 1);
    expect(q.tenants).toBe(2);
    now += 5 * 60_000;
    q.settle(await q.admit('b', 1), 1); // b active (reads again), a idle
    now += 6 * 60_000;
    q.settle(await q.admit('c', 1), 1);
    expect(q.tenants).toBe(2); // a forgotten; b (read 6 min ago) and c kept
  });
});

interface Tenant { id: string; key: string }

async function tenantOn(h: Harness, name: string, plan: string): Promise<Tenant> {
  const t = await createTenant(h.db.pool, name, plan);
  // These tests are about the monthly quota: the tenant gets the engine's global body, batch and
  // rate limits instead of its plan's (test/engine/tenant-limits.test.ts tests those).
  await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_body_bytes, max_batch_events, events_per_second) VALUES ($1, $2, $3, 0)', [t.id, 1_000_000_000, 1_000_000_000]);
  return { id: t.id, key: (await createApiKey(h.db.pool, t.id)).key };
}

const post = (h: Harness, path: string, key: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> => fetch(`${h.url}${path}`, {
  method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers }, body: JSON.stringify(body),
});

const tableEvents = async (h: Harness, tenantId: string): Promise<number> =>
  Number((await h.db.pool.query<{ n: string }>('SELECT COALESCE(sum(events), 0) AS n FROM usage_counters WHERE tenant_id = $1', [tenantId])).rows[0].n);

describe('engine quota against PostgreSQL (usage in the usage_counters table)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ quotaRefreshMs: 1_000 }); });
  afterAll(async () => { await h?.close(); });

  it('free plan: exactly 10,000 events a month; then 429 (HTTP, OTLP) and nacks (WebSocket); another free tenant unaffected; a resend is acknowledged, not counted', async () => {
    const a = await tenantOn(h, 'Quota A', 'free');
    const b = await tenantOn(h, 'Quota B', 'free');
    expect((await ingest(h, events(9_990, 'a'), { key: a.key })).body).toEqual({ accepted: 9_990 });
    const key = randomUUID();
    const keyed = events(9, 'k');
    expect((await ingest(h, keyed, { key: a.key, headers: { 'idempotency-key': key } })).body).toEqual({ accepted: 9 });
    // The same batch again (its ack was lost): acknowledged, stored and counted once.
    expect((await ingest(h, keyed, { key: a.key, headers: { 'idempotency-key': key } })).body).toEqual({ accepted: 9, duplicate: true });
    expect(await tableEvents(h, a.id)).toBe(9_999);

    // 2 more would make 10,001: refused whole.
    const over = await post(h, '/api/v1/events/ingest', a.key, events(2));
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await over.json() as { error: { code: string; message: string; details: Record<string, unknown> } };
    expect(body.error.code).toBe('DW_ERR_QUOTA_EXCEEDED');
    expect(body.error.message).toMatch(/the Free plan allows 10,000 events per month \(UTC\); 9,999 are used/);
    expect(body.error.details).toMatchObject({ plan: 'free', limit: 10_000, used: 9_999, batch: 2 });
    // The last one fits exactly.
    expect((await ingest(h, events(1, 'last'), { key: a.key })).status).toBe(200);
    expect(await countEvents(h, a.id)).toBe(10_000);

    // At the limit, a resend of a stored batch is still acknowledged (a duplicate), not refused.
    expect((await ingest(h, keyed, { key: a.key, headers: { 'idempotency-key': key } })).body).toEqual({ accepted: 9, duplicate: true });
    expect((await ingest(h, events(1), { key: a.key })).status).toBe(429);

    const otlp = await post(h, '/v1/logs', a.key, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'otlp a' } }] }] }] });
    expect(otlp.status).toBe(429);
    expect(await otlp.json()).toMatchObject({ code: 8, error: { code: 'DW_ERR_QUOTA_EXCEEDED' } });

    const wsA = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${a.key}` });
    try {
      wsA.sendJson({ seq: 1, events: events(1, 'ws') });
      expect((await wsA.answer(1)).msg).toMatchObject({ nack: 1, error: { code: 'DW_ERR_QUOTA_EXCEEDED', details: { plan: 'free', limit: 10_000 } } });
      wsA.sendJson({ seq: 2, events: events(1, 'ws') });
      expect((await wsA.answer(2)).msg).toMatchObject({ nack: 2, error: { code: 'DW_ERR_QUOTA_EXCEEDED' } });
      expect(wsA.closed).toBeUndefined();
    } finally {
      await wsA.close();
    }
    expect(await countEvents(h, a.id)).toBe(10_000);
    expect(await tableEvents(h, a.id)).toBe(10_000);

    // Tenant B (also free) is not affected by A's month.
    expect((await ingest(h, events(5_000, 'b'), { key: b.key })).body).toEqual({ accepted: 5_000 });
    const wsB = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${b.key}` });
    try {
      wsB.sendJson({ seq: 1, events: events(3, 'wsb') });
      expect((await wsB.answer(1)).msg).toEqual({ ack: 1 });
    } finally {
      await wsB.close();
    }

    // Upgrade A to pro (what billing does): lifted within seconds.
    const t0 = Date.now();
    await h.db.pool.query("UPDATE tenants SET plan = 'pro' WHERE id = $1", [a.id]);
    let status = 0;
    while (Date.now() - t0 < 5_000) {
      status = (await ingest(h, events(1, 'after upgrade'), { key: a.key })).status;
      if (status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    const lifted = Date.now() - t0;
    expect(lifted).toBeLessThan(3_000);
    console.log(`quota: upgrade free -> pro lifted the limit after ${lifted} ms (QUOTA_REFRESH_MS 1000; refused tenant re-read every 500 ms)`);
    // A downgrade applies as well.
    await h.db.pool.query("UPDATE tenants SET plan = 'free' WHERE id = $1", [a.id]);
    const t1 = Date.now();
    while (Date.now() - t1 < 5_000 && status !== 429) {
      status = (await ingest(h, events(1, 'after downgrade'), { key: a.key })).status;
      if (status !== 429) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(429);
    expect(Date.now() - t1).toBeLessThan(3_000);
  }, 60_000);

  it('concurrent batches: 12 batches of 1,000 at once for a fresh free tenant store exactly 10 of them', async () => {
    const c = await tenantOn(h, 'Quota concurrent', 'free');
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => ingest(h, events(1_000, `c${i}`), { key: c.key })));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(10).fill(200), 429, 429]);
    expect(await countEvents(h, c.id)).toBe(10_000);
    expect(await tableEvents(h, c.id)).toBe(10_000);
  });

  it('a business tenant is never refused', async () => {
    const c = await tenantOn(h, 'Quota C', 'business');
    await h.db.pool.query("INSERT INTO usage_counters (tenant_id, bucket, events) VALUES ($1, date_trunc('hour', now()), 10000000000)", [c.id]);
    expect((await ingest(h, events(100), { key: c.key })).status).toBe(200);
  });
});

describe('two engines on one database: the overshoot (each sees the other at its next reading)', () => {
  let h: Harness;
  let second: EngineHandle;
  beforeAll(async () => {
    h = await startHarness({ quotaRefreshMs: 1_000 });
    // One engine process per spool directory: the second runs with the spool off.
    second = await startEngine({ config: { ...h.config, spoolMaxBytes: 0 }, pool: h.db.pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker });
    await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days) VALUES ('k2', 'K2', 2000, 7)");
  });
  afterAll(async () => {
    await second?.close();
    await h?.close();
  });

  it('both engines send batches of 100 as fast as they can until refused; stored = limit + overshoot, within the bound', async () => {
    const t = await tenantOn(h, 'Two engines', 'k2');
    const urls = [h.url, `http://127.0.0.1:${second.port}`];
    const t0 = Date.now();
    const sent = await Promise.all(urls.map(async (url) => {
      let stored = 0;
      for (;;) {
        const r = await fetch(`${url}/api/v1/events/ingest`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` }, body: JSON.stringify(events(100)),
        });
        await r.arrayBuffer();
        if (r.status !== 200) { expect(r.status).toBe(429); return stored; }
        stored += 100;
      }
    }));
    const ms = Date.now() - t0;
    const total = await countEvents(h, t.id);
    expect(total).toBe(sent[0] + sent[1]);
    const reads = h.engine.stats().quota.reads + second.stats().quota.reads;
    console.log(`quota, two engines (QUOTA_REFRESH_MS 1000, limit 2,000, batches of 100): stored ${total} (engine 1 ${sent[0]}, engine 2 ${sent[1]}) in ${ms} ms: overshoot ${total - 2_000}; ${reads} quota reads in all`);
    expect(total).toBeGreaterThanOrEqual(2_000);
    // The bound: each engine stops at the limit on its own view, which misses only what the
    // other stored since its last reading: at most the limit again.
    expect(total).toBeLessThanOrEqual(2 * 2_000);
    // Once both have read again, neither takes more.
    await new Promise((r) => setTimeout(r, 1_100)); // kept: past QUOTA_REFRESH_MS (1 s), the readings' age is what is tested
    for (const url of urls) {
      const r = await fetch(`${url}/api/v1/events/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}` }, body: JSON.stringify(events(1)) });
      expect(r.status).toBe(429);
    }
  });
});

describe.skipIf(REDIS_URL === undefined)('engine quota and usage against PostgreSQL + Redis (usage INCRBY in Redis)', () => {
  let h: Harness;
  let redis: Redis;
  const prefix = `dw-test:${randomUUID()}:`;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL!);
    h = await startHarness({ quotaRefreshMs: 1_000, redisUrl: REDIS_URL, redisKeyPrefix: prefix });
    // A small plan of this database's own, so that the limit is reached with few events.
    await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days) VALUES ('tiny', 'Tiny', 20, 7)");
  });
  afterAll(async () => {
    await h?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const redisCount = async (tenantId: string, field: string, tag = monthTag(Date.now())): Promise<number> =>
    Number(await redis.get(`${prefix}usage:${tenantId}:${tag}:${field}`) ?? 0);

  it('counts stored events, bytes and anomalies with INCRBY under the prefix (with an expiry), and in the table; a resend is counted in neither twice', async () => {
    const a = await tenantOn(h, 'Redis A', 'pro');
    const key = randomUUID();
    const batch = [...events(4, 'r'), logEvent('BOOM here')];
    const first = await post(h, '/api/v1/events/ingest', a.key, batch, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    const again = await post(h, '/api/v1/events/ingest', a.key, batch, { 'idempotency-key': key });
    expect(await again.json()).toEqual({ accepted: 5, duplicate: true });
    // WebSocket resend of one (client_id, seq) after a reconnect.
    const frame = { seq: 7, events: events(3, 'ws') };
    for (let i = 0; i < 2; i++) {
      const ws = await WsClient.connect(`${h.wsUrl}?client_id=agent-1`, { authorization: `Bearer ${a.key}` });
      ws.sendJson(frame);
      expect((await ws.answer(7)).msg).toEqual(i === 0 ? { ack: 7 } : { ack: 7, duplicate: true });
      await ws.close();
    }
    expect(await countEvents(h, a.id)).toBe(8);
    // Counted after COMMIT, sent on the next tick: poll briefly.
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline && await redisCount(a.id, 'anomalies') < 1) await new Promise((r) => setTimeout(r, 50));
    expect(await redisCount(a.id, 'events')).toBe(8);
    expect(await redisCount(a.id, 'events', hourTag(Date.now()))).toBe(8);
    expect(await redisCount(a.id, 'bytes')).toBeGreaterThan(0);
    expect(await redisCount(a.id, 'anomalies')).toBe(1);
    const ttl = await redis.ttl(`${prefix}usage:${a.id}:${hourTag(Date.now())}:events`);
    expect(ttl).toBeGreaterThan(90 * 86_400);
    expect(ttl).toBeLessThanOrEqual(100 * 86_400);
    // The table is still written in the sink's transaction (billing meters from it): the same count.
    expect(await tableEvents(h, a.id)).toBe(8);

    // The one reader reads whichever store is in use.
    const store = await RedisUsageStore.open(REDIS_URL!, { prefix, pool: h.db.pool, log: silentLogger });
    try {
      const u = await planUsage(h.db.pool, store, a.id);
      expect(u).toMatchObject({ plan: 'pro', planName: 'Pro', limit: 100_000, usage: { events: 8, anomalies: 1 } });
      const hours = await store.range(a.id, new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000), 'hour');
      expect(hours.reduce((s, b) => s + b.events, 0)).toBe(8);
    } finally {
      await store.close();
    }
    const table = await planUsage(h.db.pool, new TableUsageStore(h.db.pool), a.id);
    expect(table.usage).toMatchObject({ events: 8, anomalies: 1 });
  });

  it('over quota (counted in Redis): 429 over HTTP and OTLP, a nack over WebSocket; another tenant unaffected; an upgrade lifts it within seconds', async () => {
    const a = await tenantOn(h, 'Redis Tiny A', 'tiny');
    const b = await tenantOn(h, 'Redis Tiny B', 'tiny');
    expect((await ingest(h, events(20), { key: a.key })).status).toBe(200);
    const over = await post(h, '/api/v1/events/ingest', a.key, events(1));
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({ error: { code: 'DW_ERR_QUOTA_EXCEEDED', details: { plan: 'tiny', limit: 20, used: 20 } } });
    const otlp = await post(h, '/v1/logs', a.key, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'x' } }] }] }] });
    expect(otlp.status).toBe(429);
    const ws = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${a.key}` });
    ws.sendJson({ seq: 1, events: events(1) });
    expect((await ws.answer(1)).msg).toMatchObject({ nack: 1, error: { code: 'DW_ERR_QUOTA_EXCEEDED' } });
    await ws.close();
    expect((await ingest(h, events(20), { key: b.key })).status).toBe(200);
    expect(await countEvents(h, a.id)).toBe(20);

    const t0 = Date.now();
    await h.db.pool.query("UPDATE tenants SET plan = 'business' WHERE id = $1", [a.id]);
    let status = 0;
    while (Date.now() - t0 < 5_000 && status !== 200) {
      status = (await ingest(h, events(1), { key: a.key })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});
