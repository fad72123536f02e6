// Issue 15: a tenant's monthly quota counted across ingest nodes. Two engines with the ingest role
// (one also stores) on a three-node JetStream cluster, a plan of 2,000 events a month: both send
// batches of 100 from two connections each as fast as they can until refused. Together they
// admit exactly 2,000 (the shared count, engine/cluster/quota.ts), the store role
// stores exactly those, and usage counts them once. (Without the shared count each node sees the
// other's events only at its next reading, and stores are a hop behind the acks: it overshoots.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { monthStart } from '../../src/core/usage.js';
import { boomWorker, countEvents, logEvent, startHarness, type Harness } from '../engine/harness.js';
import { range } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

const LIMIT = 2_000;
const BATCH = 100;

describe.skipIf(natsServerBinary() === undefined)(`quota across ingest nodes (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let h: Harness;
  let second: EngineHandle;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    h = await startHarness({ natsUrl: cluster.url, natsReplicas: 3, roles: 'ingest,store', quotaRefreshMs: 1_000 });
    // One engine process per spool directory: the second runs with the spool off.
    second = await startEngine({ config: { ...h.config, roles: 'ingest', spoolMaxBytes: 0 }, pool: h.db.pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker });
    await h.db.pool.query("INSERT INTO plans (id, name, events_per_month, retention_days) VALUES ('k2', 'K2', $1, 7)", [LIMIT]);
  }, 120_000);
  afterAll(async () => {
    await second?.close();
    await h?.close();
    await cluster?.stop();
  });

  it('two ingest nodes racing for a 2,000 limit admit exactly 2,000, stored and counted once', async () => {
    const t = await createTenant(h.db.pool, 'Two ingest nodes', 'k2');
    // The monthly quota is tested: the engine's global body, batch and rate limits, not the plan's.
    await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_body_bytes, max_batch_events, events_per_second) VALUES ($1, $2, $3, 0)', [t.id, 1_000_000_000, 1_000_000_000]);
    const key = (await createApiKey(h.db.pool, t.id)).key;
    const urls = [h.url, `http://127.0.0.1:${second.port}`];
    const t0 = Date.now();
    let n = 0;
    const admitted = await Promise.all(urls.flatMap((url) => range(2).map(async () => {
      let ok = 0;
      for (;;) {
        const body = JSON.stringify(range(BATCH).map((i) => logEvent(`q ${n} ${i}`)));
        n++;
        const r = await fetch(`${url}/api/v1/events/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body });
        const text = await r.text();
        if (r.status !== 200) {
          expect(r.status, text).toBe(429);
          expect(JSON.parse(text).error.code).toBe('DW_ERR_QUOTA_EXCEEDED');
          return ok;
        }
        ok += BATCH;
      }
    })));
    const ms = Date.now() - t0;
    const total = admitted.reduce((a, b) => a + b, 0);
    console.log(`quota across 2 ingest nodes (limit ${LIMIT}, batches of ${BATCH}, 2 connections each): admitted ${total} (${admitted.join(' + ')}) in ${ms} ms`);
    expect(total).toBe(LIMIT);
    // Both nodes took part.
    expect(admitted[0] + admitted[1]).toBeGreaterThan(0);
    expect(admitted[2] + admitted[3]).toBeGreaterThan(0);
    await waitFor(async () => ((await countEvents(h, t.id)) >= LIMIT ? true : undefined), 60_000, 'every admitted event stored');
    expect(await countEvents(h, t.id)).toBe(LIMIT);
    const usage = await h.db.pool.query<{ n: string }>('SELECT coalesce(sum(events), 0) AS n FROM usage_counters WHERE tenant_id = $1', [t.id]);
    expect(Number(usage.rows[0].n)).toBe(LIMIT);
    const admittedRow = await h.db.pool.query<{ events: string }>('SELECT events FROM quota_admitted WHERE tenant_id = $1 AND month = $2', [t.id, monthStart(Date.now())]);
    expect(Number(admittedRow.rows[0].events)).toBe(LIMIT);
    // Still refused on both, whatever their readings say now.
    for (const url of urls) {
      const r = await fetch(`${url}/api/v1/events/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify([logEvent('one more')]) });
      expect(r.status).toBe(429);
    }
  }, 180_000);
});
