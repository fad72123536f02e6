// Issue 12, items 4 and 5, against a real Redis of the test's own (a second redis-server on a
// free port, started and killed here; the shared one at 6379 is never touched):
// - a Redis without the usage keys (new, flushed, evicted) must not reset the quota: the month
//   is seeded from usage_counters (PostgreSQL, the source of truth); was 0 used;
// - Redis down: GET /api/v1/usage answers from PostgreSQL (was 500), and login attempts are
//   still limited, in the instance's memory (was 30 of 30 wrong passwords answered 401).
// The engine's quota with Redis down: redis-outage-engine.test.ts.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server.js';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

let redis: OwnRedis | undefined;
let client: Redis;
let h: Harness;
let alice: SignedUp;
const USED = 1_908;

beforeAll(async () => {
  redis = await startOwnRedis();
  client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  client.on('error', () => {});
  h = await startHarness({ redisUrl: redis.url, redisKeyPrefix: `dw-adv:${randomUUID()}:`, loginRateLimitPerIp: 10, loginRateLimitPerEmail: 10 });
  alice = await signUp(h.app, 'Alice');
  await h.db.pool.query(
    "INSERT INTO usage_counters (tenant_id, bucket, events, bytes, anomalies) VALUES ($1, date_trunc('hour', now()), $2, 1000, 3)", [alice.user.tenant_id, USED]);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.kill();
  await h?.close();
});

describe('Redis without its keys, then Redis down', () => {
  it('a new Redis: the month is seeded from PostgreSQL, not 0', async () => {
    const r = await call(h.app, 'GET', '/api/v1/usage', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ store: 'redis', events: USED, anomalies: 3, events_remaining: 10_000 - USED });
  });

  it('a flushed Redis: still the month from PostgreSQL', async () => {
    await client.flushall();
    const r = await call(h.app, 'GET', '/api/v1/usage', { token: alice.token });
    expect(r.body).toMatchObject({ events: USED });
  });

  it('Redis down: /usage answers from PostgreSQL, and login attempts are limited in memory', async () => {
    await redis!.kill();
    const r = await call(h.app, 'GET', '/api/v1/usage?by=day', { token: alice.token });
    expect([r.status, r.body.events]).toEqual([200, USED]);
    expect(r.body.buckets.reduce((s: number, b: { events: number }) => s + b.events, 0)).toBe(USED);

    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) {
      const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: '203.0.113.9', payload: { email: alice.email, password: `wrong ${i}` } });
      statuses.push(res.statusCode);
      if (res.statusCode === 429) expect(codeOf({ status: 429, body: JSON.parse(res.body), headers: res.headers })).toBe('DW_ERR_RATE_LIMITED');
    }
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(20);
  });
});
