import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, insertAnomaly, insertEvent, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
const eventIds: string[] = [];
beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < 12; i++) {
    eventIds.push(await insertEvent(h, alice.user.tenant_id, { stream: i < 8 ? 'web' : 'api', ts: new Date(t0 + i * 1000).toISOString(), data: { i } }));
  }
});
afterAll(async () => { await h?.close(); });

describe('GET /api/v1/events', () => {
  it("lists the tenant's events newest first, ids as strings", async () => {
    const r = await call(h.app, 'GET', '/api/v1/events', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.limit).toBe(50);
    expect(r.body.offset).toBe(0);
    expect(r.body.events.map((e: { id: string }) => e.id)).toEqual([...eventIds].reverse());
    expect(r.body.events[0]).toEqual({
      id: eventIds[11], stream: 'api', stream_type: 'logs', timestamp: '2026-11-01T00:00:11.000Z',
      data: { i: 11 }, metadata: { source: 'test' }, received_at: expect.any(String),
    });
    expect(typeof r.body.events[0].id).toBe('string');
  });

  it('paginates and filters by stream, since and until', async () => {
    const p = await call(h.app, 'GET', '/api/v1/events?limit=5&offset=5', { token: alice.token });
    expect(p.body.events.map((e: { id: string }) => e.id)).toEqual([...eventIds].reverse().slice(5, 10));
    const web = await call(h.app, 'GET', '/api/v1/events?stream=web', { token: alice.token });
    expect(web.body.events).toHaveLength(8);
    const win = await call(h.app, 'GET', '/api/v1/events?since=2026-11-01T00:00:02Z&until=2026-11-01T00:00:05Z', { token: alice.token });
    expect(win.body.events.map((e: { id: string }) => e.id)).toEqual([eventIds[4], eventIds[3], eventIds[2]]);
  });

  it('another tenant sees none; ingest-only keys are refused; bad queries are 400', async () => {
    const b = await call(h.app, 'GET', '/api/v1/events', { token: bob.token });
    expect(b.body).toEqual({ events: [], limit: 50, offset: 0 });
    const ingest = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['ingest'] } })).body.key;
    const no = await call(h.app, 'GET', '/api/v1/events', { token: ingest });
    expect([no.status, codeOf(no)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const read = (await call(h.app, 'GET', '/api/v1/events', { token: (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } })).body.key }));
    expect(read.body.events).toHaveLength(12);
    expect((await call(h.app, 'GET', '/api/v1/events')).status).toBe(401);
    const bad = await call(h.app, 'GET', '/api/v1/events?limit=5000', { token: alice.token });
    expect([bad.status, codeOf(bad)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });
});

describe('GET /api/v1/dashboard/stats and /recent', () => {
  it('counts only the tenant: events, anomalies, open anomalies, streams', async () => {
    const carol = await signUp(h.app, 'Carol');
    for (let i = 0; i < 3; i++) await insertEvent(h, carol.user.tenant_id, { stream: `s${i % 2}` });
    const a1 = await insertAnomaly(h, carol.user.tenant_id);
    await insertAnomaly(h, carol.user.tenant_id, { status: 'resolved' });
    await insertAnomaly(h, carol.user.tenant_id);
    // Noise in another tenant must not count.
    await insertAnomaly(h, bob.user.tenant_id);
    const r = await call(h.app, 'GET', '/api/v1/dashboard/stats', { token: carol.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ events_total: 3, anomalies_total: 3, anomalies_open: 2, streams: 2 });
    await call(h.app, 'PUT', `/api/v1/anomalies/${a1}/resolve`, { token: carol.token });
    expect((await call(h.app, 'GET', '/api/v1/dashboard/stats', { token: carol.token })).body.anomalies_open).toBe(1);
  });

  it('recent: the 10 latest anomalies of the tenant, newest first', async () => {
    const dave = await signUp(h.app, 'Dave');
    const t0 = Date.parse('2026-11-02T00:00:00Z');
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await insertAnomaly(h, dave.user.tenant_id, { detected_at: new Date(t0 + i * 1000).toISOString() }));
    const r = await call(h.app, 'GET', '/api/v1/dashboard/recent', { token: dave.token });
    expect(r.status).toBe(200);
    expect(r.body.anomalies.map((a: { id: string }) => a.id)).toEqual(ids.slice(2).reverse());
    const other = await call(h.app, 'GET', '/api/v1/dashboard/recent', { token: alice.token });
    expect(other.body.anomalies).toEqual([]);
  });

  it('needs credentials with the read scope', async () => {
    expect((await call(h.app, 'GET', '/api/v1/dashboard/stats')).status).toBe(401);
    const ingest = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['ingest'] } })).body.key;
    expect((await call(h.app, 'GET', '/api/v1/dashboard/recent', { token: ingest })).status).toBe(403);
  });
});
