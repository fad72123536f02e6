// GET /api/v1/incidents, GET /api/v1/incidents/:id, PUT /api/v1/incidents/:id/resolve: the
// tenant's anomalies grouped by incident_id, with a count, first and last time and sample lines.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, insertAnomaly, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
const burst = randomUUID();
const single = randomUUID();
const t0 = Date.parse('2026-11-01T10:02:11Z');
beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  for (let i = 0; i < 47; i++) {
    await insertAnomaly(h, alice.user.tenant_id, {
      incident_id: burst, stream: 'api', score: 0.6 + (i % 10) / 100, data: `retry ${i}`,
      event_ts: new Date(t0 + Math.floor(i * 8_000 / 46)).toISOString(), detected_at: new Date(t0 + 60_000 + i).toISOString(),
    });
  }
  await insertAnomaly(h, alice.user.tenant_id, { incident_id: single, stream: 'db', event_ts: '2026-11-01T11:00:00Z', detected_at: '2026-11-01T11:00:05Z', data: 'deadlock' });
  await insertAnomaly(h, alice.user.tenant_id, { stream: 'db' }); // before incidents: not listed as one
  await insertAnomaly(h, bob.user.tenant_id, { incident_id: randomUUID() });
});
afterAll(async () => { await h?.close(); });

describe('incidents', () => {
  it('lists the tenant\'s incidents, most recently active first, with count, span, samples and a summary', async () => {
    const r = await call(h.app, 'GET', '/api/v1/incidents', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.incidents.map((i: { id: string }) => i.id)).toEqual([single, burst]);
    const b = r.body.incidents[1];
    expect(b).toMatchObject({
      stream: 'api', stream_type: 'logs', detector: 'ncd', count: 47, max_score: 0.69, status: 'open',
      first_ts: '2026-11-01T10:02:11.000Z', last_ts: '2026-11-01T10:02:19.000Z',
      summary: '47 lines like this between 10:02:11 and 10:02:19',
    });
    expect(b.samples.map((s: { data: string }) => s.data)).toEqual(['retry 0', 'retry 1', 'retry 2']);
    expect(r.body.incidents[0].summary).toBe('1 line at 11:00:00');
    const f = await call(h.app, 'GET', '/api/v1/incidents?stream=db&limit=1', { token: alice.token });
    expect(f.body.incidents.map((i: { id: string }) => i.id)).toEqual([single]);
  });

  it('reads one incident with a page of its lines in event time; resolves all its open lines; status filter follows', async () => {
    const r = await call(h.app, 'GET', `/api/v1/incidents/${burst}?limit=5&offset=40`, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.incident.count).toBe(47);
    expect(r.body.lines.map((l: { event: { data: string } }) => l.event.data)).toEqual(['retry 40', 'retry 41', 'retry 42', 'retry 43', 'retry 44']);
    expect(r.body.lines.every((l: { incident_id: string }) => l.incident_id === burst)).toBe(true);
    const res = await call(h.app, 'PUT', `/api/v1/incidents/${burst}/resolve`, { token: alice.token });
    expect(res.body).toEqual({ resolved: 47 });
    expect((await call(h.app, 'PUT', `/api/v1/incidents/${burst}/resolve`, { token: alice.token })).body).toEqual({ resolved: 0 });
    const open = await call(h.app, 'GET', '/api/v1/incidents?status=open', { token: alice.token });
    expect(open.body.incidents.map((i: { id: string }) => i.id)).toEqual([single]);
    const closed = await call(h.app, 'GET', '/api/v1/incidents?status=closed', { token: alice.token });
    expect(closed.body.incidents.map((i: { id: string; status: string }) => [i.id, i.status])).toEqual([[burst, 'closed']]);
  });

  it('a line folded into a resolved incident later opens it again (the engine folds by key and event time, not by status); resolve takes a user, not an API key', async () => {
    const late = randomUUID();
    await insertAnomaly(h, alice.user.tenant_id, { incident_id: late, stream: 'api', event_ts: '2026-11-01T12:00:00Z', detected_at: '2026-11-01T12:00:01Z', data: 'retry a' });
    expect((await call(h.app, 'PUT', `/api/v1/incidents/${late}/resolve`, { token: alice.token })).body).toEqual({ resolved: 1 });
    await insertAnomaly(h, alice.user.tenant_id, { incident_id: late, stream: 'api', event_ts: '2026-11-01T12:02:00Z', detected_at: '2026-11-01T12:02:01Z', data: 'retry b' });
    const r = await call(h.app, 'GET', `/api/v1/incidents/${late}`, { token: alice.token });
    expect(r.body.incident).toMatchObject({ count: 2, status: 'open' });
    expect(r.body.lines.map((l: { status: string }) => l.status)).toEqual(['resolved', 'open']);
    const key = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'agent' } });
    const byKey = await call(h.app, 'PUT', `/api/v1/incidents/${late}/resolve`, { token: key.body.key });
    expect(byKey.status).toBe(403);
    expect((await call(h.app, 'PUT', `/api/v1/incidents/${late}/resolve`, { token: alice.token })).body).toEqual({ resolved: 1 });
    await h.db.pool.query('DELETE FROM anomalies WHERE incident_id = $1', [late]);
  });

  it("another tenant's incident is not found; a bad id or filter is a 400", async () => {
    for (const [method, url] of [['GET', `/api/v1/incidents/${burst}`], ['PUT', `/api/v1/incidents/${burst}/resolve`]] as const) {
      const r = await call(h.app, method, url, { token: bob.token });
      expect([r.status, codeOf(r)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    }
    expect((await call(h.app, 'GET', '/api/v1/incidents', { token: bob.token })).body.total).toBe(1);
    expect((await call(h.app, 'GET', '/api/v1/incidents/nope', { token: alice.token })).status).toBe(400);
    expect((await call(h.app, 'GET', '/api/v1/incidents?status=maybe', { token: alice.token })).status).toBe(400);
  });
});
