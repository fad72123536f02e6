// GET /api/v1/usage: this UTC month's usage of the caller's tenant and its plan's limit, read
// from whichever store is in use (the usage_counters table, or Redis when REDIS_URL is set).
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { monthStart, RedisUsageStore } from '../../src/core/usage.js';
import { clearOfHourTurn } from '../helpers/clock.js';
import { call, codeOf, signUp, startHarness, type Harness } from './harness.js';

const REDIS_URL = process.env.REDIS_URL;

describe('GET /api/v1/usage (usage_counters table)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });
  // Buckets are written and read back by the current hour: keep each test inside one hour.
  beforeEach(async () => { await clearOfHourTurn(); }, 120_000);

  const put = (tenantId: string, bucket: Date, events: number, bytes: number, anomalies: number): Promise<unknown> => h.db.pool.query(
    'INSERT INTO usage_counters (tenant_id, bucket, events, bytes, anomalies) VALUES ($1, $2, $3, $4, $5)', [tenantId, bucket, events, bytes, anomalies]);

  it("answers the tenant's month, its plan and limit, by hour or day; not another tenant's, not last month's", async () => {
    const a = await signUp(h.app, 'Alice');
    const b = await signUp(h.app, 'Bob');
    const start = monthStart(Date.now());
    const hour = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
    await put(a.user.tenant_id, hour, 1_200, 50_000, 3);
    if (hour.getTime() - 3_600_000 >= start) await put(a.user.tenant_id, new Date(hour.getTime() - 3_600_000), 800, 30_000, 1);
    else await put(a.user.tenant_id, new Date(hour.getTime() + 3_600_000), 800, 30_000, 1);
    await put(a.user.tenant_id, new Date(start - 3_600_000), 99_999, 1, 1); // last month
    await put(b.user.tenant_id, hour, 7, 7, 7);

    const r = await call(h.app, 'GET', '/api/v1/usage', { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      plan: 'free', plan_name: 'Free', period_start: new Date(start).toISOString(), period_end: expect.any(String),
      events: 2_000, bytes: 80_000, anomalies: 4, events_limit: 10_000, events_remaining: 8_000, retention_days: 7, store: 'table',
    });
    const byHour = await call(h.app, 'GET', '/api/v1/usage?by=hour', { token: a.token });
    expect(byHour.body.buckets).toHaveLength(2);
    expect(byHour.body.buckets.reduce((s: number, x: { events: number }) => s + x.events, 0)).toBe(2_000);
    const byDay = await call(h.app, 'GET', '/api/v1/usage?by=day', { token: a.token });
    expect(byDay.body.buckets.reduce((s: number, x: { events: number }) => s + x.events, 0)).toBe(2_000);
    expect(byDay.body.buckets.length).toBeLessThanOrEqual(2);

    expect((await call(h.app, 'GET', '/api/v1/usage', { token: b.token })).body).toMatchObject({ events: 7, events_remaining: 9_993 });
    await h.db.pool.query("UPDATE tenants SET plan = 'business' WHERE id = $1", [b.user.tenant_id]);
    expect((await call(h.app, 'GET', '/api/v1/usage', { token: b.token })).body).toMatchObject({ plan: 'business', events_limit: null, events_remaining: null, retention_days: 90 });
  });

  it('takes an API key with the read scope; refuses an ingest-only key (403), no credential (401) and a bad parameter (400)', async () => {
    const a = await signUp(h.app, 'Carol');
    const read = await call(h.app, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'r', scopes: ['read'] } });
    const ingest = await call(h.app, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'i', scopes: ['ingest'] } });
    expect((await call(h.app, 'GET', '/api/v1/usage', { token: read.body.key })).status).toBe(200);
    const forbidden = await call(h.app, 'GET', '/api/v1/usage', { token: ingest.body.key });
    expect([forbidden.status, codeOf(forbidden)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const anon = await call(h.app, 'GET', '/api/v1/usage');
    expect([anon.status, codeOf(anon)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const bad = await call(h.app, 'GET', '/api/v1/usage?by=week', { token: a.token });
    expect([bad.status, codeOf(bad)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });
});

describe.skipIf(REDIS_URL === undefined)('GET /api/v1/usage (Redis)', () => {
  let h: Harness;
  let redis: Redis;
  const prefix = `dw-test:${randomUUID()}:`;
  beforeAll(async () => {
    redis = new Redis(REDIS_URL!);
    h = await startHarness({ redisUrl: REDIS_URL, redisKeyPrefix: prefix });
  });
  afterAll(async () => {
    await h?.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('reads the counters the engine writes to Redis (and not the table)', async () => {
    const a = await signUp(h.app, 'Dora');
    // What the engine does after each COMMIT (its own RedisUsageStore on the same prefix).
    const engineSide = await RedisUsageStore.open(REDIS_URL!, { prefix, pool: h.db.pool, log: silentLogger });
    engineSide.add(a.user.tenant_id, { events: 300, bytes: 9_000 });
    engineSide.add(a.user.tenant_id, { anomalies: 2 });
    await engineSide.close();
    await h.db.pool.query("INSERT INTO usage_counters (tenant_id, bucket, events) VALUES ($1, date_trunc('hour', now()), 5)", [a.user.tenant_id]);
    const r = await call(h.app, 'GET', '/api/v1/usage?by=hour', { token: a.token });
    expect(r.body).toMatchObject({ store: 'redis', events: 300, bytes: 9_000, anomalies: 2, events_limit: 10_000, events_remaining: 9_700 });
    expect(r.body.buckets).toEqual([{ start: new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000).toISOString(), events: 300, bytes: 9_000, anomalies: 2 }]);
  });
});
