// Issue 12, item 4, the engine's side: Redis down must not switch the plan quota off. Against a
// redis-server of the test's own (killed and started again here; the shared one at 6379 is never
// touched) and real PostgreSQL:
// - Redis down before the tenant's first batch: the quota reads the month from usage_counters
//   (PostgreSQL, the source of truth) and refuses a batch past the plan with 429
//   DW_ERR_QUOTA_EXCEEDED (before the fix the read failed and the quota failed open: the batch
//   was stored);
// - meanwhile the engine counts in its memory: the events stored during the outage are held as
//   pending usage and reach Redis once it is back, and the quota, re-seeded from PostgreSQL on
//   the empty Redis, still refuses.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { hourTag } from '../../src/core/usage.js';
import { ingest, logEvent, startHarness, type Harness } from '../engine/harness.js';
import { waitFor } from '../helpers/net.js';
import { startOwnRedis, type OwnRedis } from '../helpers/redis-server.js';

const LIMIT = 20;
const SEEDED = 12;
const prefix = `dw-adv:${randomUUID()}:`;
let redis: OwnRedis;
let h: Harness;
let tenant: { id: string; key: string };

const events = (n: number, tag: string): Record<string, unknown>[] => Array.from({ length: n }, (_, i) => logEvent(`${tag} ${i}`));
const stored = async (): Promise<number> =>
  Number((await h.db.pool.query<{ n: string }>('SELECT coalesce(sum(events), 0) AS n FROM usage_counters WHERE tenant_id = $1', [tenant.id])).rows[0].n);

beforeAll(async () => {
  redis = await startOwnRedis();
  h = await startHarness({ redisUrl: redis.url, redisKeyPrefix: prefix, quotaRefreshMs: 200 });
  await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days) VALUES ('tiny', 'Tiny', $1, 7)", [LIMIT]);
  const t = await createTenant(h.db.pool, 'Tiny T', 'tiny');
  // The quota is what is tested: the engine's own body, batch and rate limits for this tenant.
  await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_body_bytes, max_batch_events, events_per_second) VALUES ($1, $2, $3, 0)', [t.id, 1_000_000_000, 1_000_000_000]);
  tenant = { id: t.id, key: (await createApiKey(h.db.pool, t.id)).key };
  // Events of this month that PostgreSQL knows and Redis never saw.
  await h.db.pool.query("INSERT INTO usage_counters (tenant_id, bucket, events, bytes, anomalies) VALUES ($1, date_trunc('hour', now()), $2, 1000, 0)", [tenant.id, SEEDED]);
});
afterAll(async () => {
  await h?.close();
  await redis?.kill();
});

describe('engine quota while Redis is down (issue 12, item 4)', () => {
  it('enforces the plan from PostgreSQL: up to the limit accepted, one event past it refused with DW_ERR_QUOTA_EXCEEDED', async () => {
    await redis.kill();
    expect(await ingest(h, events(LIMIT - SEEDED, 'outage'), { key: tenant.key })).toEqual({ status: 200, body: { accepted: LIMIT - SEEDED } });
    const over = await ingest(h, events(1, 'over'), { key: tenant.key });
    expect(over.status).toBe(429);
    expect(over.body).toMatchObject({ error: { code: 'DW_ERR_QUOTA_EXCEEDED', details: { plan: 'tiny', limit: LIMIT, used: LIMIT } } });
    // Never failed open: every reading came (from the table) and nothing past the limit is stored.
    expect(h.engine.stats().quota).toMatchObject({ failedOpen: 0, readErrors: 0 });
    expect(h.engine.stats().quota.batchesRefused).toBeGreaterThanOrEqual(1);
    expect(await stored()).toBe(LIMIT);
    // Still refused on later readings (quotaRefreshMs 200: several more reads of the table).
    await new Promise((r) => setTimeout(r, 700));
    expect((await ingest(h, events(1, 'later'), { key: tenant.key })).status).toBe(429);
    expect(await stored()).toBe(LIMIT);
  });

  it('counted in memory meanwhile: the outage\'s events reach Redis once it is back, and the empty Redis still refuses', async () => {
    await redis.start();
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      // Pending counts are retried every second; the engine's client reconnects on its own.
      const hourKey = `${prefix}usage:${tenant.id}:${hourTag(Date.now())}:events`;
      const held = await waitFor(async () => {
        const v = await client.get(hourKey);
        return v === null ? undefined : Number(v);
      }, 15_000, 'the pending counts to reach Redis');
      expect(held).toBe(LIMIT - SEEDED);
      const over = await ingest(h, events(1, 'after'), { key: tenant.key });
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ error: { code: 'DW_ERR_QUOTA_EXCEEDED', details: { used: LIMIT } } });
      expect(await stored()).toBe(LIMIT);
    } finally {
      client.disconnect();
    }
  });
});
