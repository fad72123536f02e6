// The live feed: GET /api/v1/live (Server-Sent Events) pushes a tenant's anomalies when they are
// announced on PostgreSQL's dw_anomalies channel (as the engine's anomalies sink does at
// COMMIT), only to that tenant's pages; connections are capped per tenant.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalyNotes } from '../../src/core/anomaly-feed.js';
import { insertAnomaly, signUp, startHarness, type Harness } from './harness.js';
import { openSse, type SseClient } from '../helpers/sse.js';

let h: Harness;
let base: string;
const opened: SseClient[] = [];

beforeAll(async () => {
  h = await startHarness({ liveMaxConnectionsPerTenant: 2 });
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = h.app.server.address();
  base = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;
});

afterAll(async () => {
  for (const c of opened) c.close();
  await h?.close();
});

const open = async (token: string): Promise<SseClient> => {
  const c = await openSse(`${base}/api/v1/live`, token);
  opened.push(c);
  return c;
};

describe('GET /api/v1/live', () => {
  it('pushes announced anomalies to every page of the tenant and to no one else; the third page is refused', async () => {
    const alice = await signUp(h.app, 'Alice');
    const bob = await signUp(h.app, 'Bob');
    const a1 = await open(alice.token);
    const a2 = await open(alice.token);
    const b1 = await open(bob.token);
    expect([a1.status, a2.status, b1.status]).toEqual([200, 200, 200]);
    expect(JSON.parse((await a1.next('ready', 2000)).data)).toEqual({ listening: true });

    const third = await open(alice.token);
    expect(third.status).toBe(429);
    expect(JSON.parse(third.body).error.code).toBe('DW_ERR_LIVE_LIMIT');

    const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'checkout', score: 0.97 });
    // A payload of another tenant naming alice's id: read with the tenant filter, so nothing is pushed to bob.
    for (const n of [...anomalyNotes(bob.user.tenant_id, [id]), ...anomalyNotes(alice.user.tenant_id, [id])]) {
      await h.db.pool.query('SELECT pg_notify($1, $2)', ['dw_anomalies', n]);
    }
    for (const c of [a1, a2]) {
      const m = await c.next('anomaly', 5000);
      expect(JSON.parse(m.data)).toMatchObject({ id, stream: 'checkout', score: 0.97, status: 'open' });
    }
    await new Promise((r) => setTimeout(r, 300)); // kept: shows an absence (bob's page gets none of alice's anomalies)
    expect(b1.messages.filter((m) => m.event === 'anomaly')).toEqual([]);

    // A page that leaves frees its place.
    a2.close();
    const again = await (async () => {
      for (let i = 0; i < 40; i++) {
        const c = await open(alice.token);
        if (c.status === 200) return c;
        c.close();
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the closed page never freed its place');
    })();
    expect(again.status).toBe(200);
  });

  it('needs credentials; garbage payloads on the channel are ignored', async () => {
    const none = await fetch(`${base}/api/v1/live`);
    expect(none.status).toBe(401);
    const carol = await signUp(h.app, 'Carol');
    const c = await open(carol.token);
    await h.db.pool.query("SELECT pg_notify('dw_anomalies', 'not a payload'), pg_notify('dw_anomalies', $1)", [`${carol.user.tenant_id}:x`]);
    const id = await insertAnomaly(h, carol.user.tenant_id);
    await h.db.pool.query('SELECT pg_notify($1, $2)', ['dw_anomalies', anomalyNotes(carol.user.tenant_id, [id])[0]]);
    expect(JSON.parse((await c.next('anomaly', 5000)).data).id).toBe(id);
    expect(h.app.live.stats.notifications).toBeGreaterThanOrEqual(3);
  });
});
