// Issue 15: the live feed from dw.anomalies. Two control API instances with NATS_URL both push a
// finding of the detect role to their pages (Server-Sent Events) before any store role has
// written it (the engine runs ingest and detect only, so no PostgreSQL NOTIFY exists yet); once a
// store role writes it and NOTIFYs, neither instance pushes it a second time, and what was pushed
// is what the API reads from PostgreSQL. A three-node JetStream cluster.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../src/control/app.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { ingest, logEvent, startHarness, type Harness } from '../engine/harness.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { openSse, type SseClient } from '../helpers/sse.js';

describe.skipIf(natsServerBinary() === undefined)(`live feed from dw.anomalies (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let h: Harness;
  const apps: FastifyInstance[] = [];
  const pages: SseClient[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster();
    h = await startHarness({ natsUrl: cluster.url, natsReplicas: 3, roles: 'ingest,detect' });
    for (let i = 0; i < 2; i++) {
      const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', natsUrl: cluster.url } });
      const app = await buildControlApp({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
      await app.listen({ host: '127.0.0.1', port: 0 });
      apps.push(app);
    }
  }, 120_000);
  afterAll(async () => {
    for (const p of pages) p.close();
    for (const a of apps) await a.close();
    await h?.close();
    await cluster?.stop();
  });

  const base = (app: FastifyInstance): string => {
    const addr = app.server.address();
    return `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
  };

  it('pushes a finding of the detect role from both instances, once each, as PostgreSQL then stores it', async () => {
    for (const app of apps) await app.live.nats!.ready;
    for (const app of apps) pages.push(await openSse(`${base(app)}/api/v1/live`, h.tenantA.readKey));
    expect(pages.map((p) => p.status)).toEqual([200, 200]);

    const r = await ingest(h, [logEvent('calm'), logEvent('it went BOOM', { stream: 'checkout' })], { headers: { 'idempotency-key': 'live-1' } });
    expect(r.status).toBe(200);
    const pushed = await Promise.all(pages.map(async (p) => JSON.parse((await p.next('anomaly', 30_000)).data) as Record<string, unknown>));
    expect(pushed[0]).toMatchObject({ stream: 'checkout', detector: 'fixture_boom', status: 'open', score: 1 });
    expect(pushed[1]).toEqual(pushed[0]);
    // From NATS: no store role runs, so the anomaly is not in PostgreSQL and nothing was NOTIFYed.
    expect((await h.db.pool.query('SELECT 1 FROM anomalies')).rowCount).toBe(0);
    for (const app of apps) {
      expect(app.live.stats.natsFindings).toBe(1);
      expect(app.live.stats.notifications).toBe(0);
    }

    // A store role now writes it (pg_notify at COMMIT): each instance hears the NOTIFY and pushes nothing new.
    await h.engine.close();
    await h.restart({ natsUrl: cluster.url, natsReplicas: 3, roles: 'store' });
    await waitFor(async () => ((await h.db.pool.query('SELECT 1 FROM anomalies')).rowCount === 1 ? true : undefined), 30_000, 'the anomaly stored');
    await waitFor(async () => (apps.every((a) => a.live.stats.notifications >= 1) ? true : undefined), 10_000, 'the NOTIFY heard by both instances');
    for (const app of apps) expect(app.live.stats.repeated).toBe(1);
    await new Promise((res) => setTimeout(res, 300)); // kept: shows an absence (no second push)
    for (const p of pages) expect(p.messages.filter((m) => m.event === 'anomaly')).toHaveLength(1);

    // What was pushed is what the API reads from PostgreSQL.
    const res = await apps[0].inject({ method: 'GET', url: `/api/v1/anomalies/${String(pushed[0].id)}`, headers: { authorization: `Bearer ${h.tenantA.readKey}` } });
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toEqual(pushed[0]);
  }, 180_000);
});
