import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, insertAnomaly, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
let readKey: string;
let ingestKey: string;
const ids: string[] = [];
beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  readKey = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } })).body.key;
  ingestKey = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['ingest'] } })).body.key;
  // 25 anomalies for alice, one a minute, so that "newest first" has one right answer.
  const t0 = Date.parse('2026-11-01T00:00:00Z');
  for (let i = 0; i < 25; i++) {
    ids.push(await insertAnomaly(h, alice.user.tenant_id, {
      detected_at: new Date(t0 + i * 60_000).toISOString(),
      stream: i % 2 === 0 ? 'web' : 'db', stream_type: i % 5 === 0 ? 'metrics' : 'logs', score: i / 25,
    }));
  }
});
afterAll(async () => { await h?.close(); });

describe('GET /api/v1/anomalies', () => {
  it("lists the tenant's anomalies newest first with every field", async () => {
    const r = await call(h.app, 'GET', '/api/v1/anomalies', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(25);
    expect(r.body.limit).toBe(50);
    expect(r.body.offset).toBe(0);
    expect(r.body.anomalies.map((a: { id: string }) => a.id)).toEqual([...ids].reverse());
    expect(r.body.anomalies[0]).toEqual({
      id: ids[24], stream: 'web', stream_type: 'logs', score: 24 / 25, detector: 'ncd',
      explanation: expect.any(String), event: { data: 'panic: out of memory', metadata: { line: 7 } }, details: { window: 100 },
      event_ts: expect.any(String), detected_at: '2026-11-01T00:24:00.000Z', status: 'open', resolved_at: null, incident_id: null,
    });
  });

  it('paginates with limit and offset, newest first, without overlap', async () => {
    const p1 = await call(h.app, 'GET', '/api/v1/anomalies?limit=10', { token: alice.token });
    const p2 = await call(h.app, 'GET', '/api/v1/anomalies?limit=10&offset=10', { token: alice.token });
    const p3 = await call(h.app, 'GET', '/api/v1/anomalies?limit=10&offset=20', { token: alice.token });
    expect([p1.body.anomalies.length, p2.body.anomalies.length, p3.body.anomalies.length]).toEqual([10, 10, 5]);
    expect(p2.body).toMatchObject({ total: 25, limit: 10, offset: 10 });
    const all = [...p1.body.anomalies, ...p2.body.anomalies, ...p3.body.anomalies].map((a: { id: string }) => a.id);
    expect(all).toEqual([...ids].reverse());
  });

  it('ties on detected_at are broken by id, descending, so pages stay stable', async () => {
    const carol = await signUp(h.app, 'Carol');
    const at = '2026-10-01T00:00:00Z';
    const tied = [];
    for (let i = 0; i < 4; i++) tied.push(await insertAnomaly(h, carol.user.tenant_id, { detected_at: at }));
    const r = await call(h.app, 'GET', '/api/v1/anomalies?limit=2', { token: carol.token });
    const r2 = await call(h.app, 'GET', '/api/v1/anomalies?limit=2&offset=2', { token: carol.token });
    expect([...r.body.anomalies, ...r2.body.anomalies].map((a: { id: string }) => a.id)).toEqual([...tied].sort().reverse());
  });

  it('filters by stream, stream_type, status, since, until and min_score', async () => {
    const q = async (qs: string): Promise<number> => (await call(h.app, 'GET', `/api/v1/anomalies?${qs}`, { token: alice.token })).body.total;
    expect(await q('stream=web')).toBe(13);
    expect(await q('stream=db')).toBe(12);
    expect(await q('stream_type=metrics')).toBe(5);
    expect(await q('status=open')).toBe(25);
    expect(await q('status=resolved')).toBe(0);
    expect(await q('since=2026-11-01T00:20:00Z')).toBe(5);
    expect(await q('until=2026-11-01T00:05:00Z')).toBe(5);
    expect(await q('since=2026-11-01T00:05:00Z&until=2026-11-01T00:10:00Z&stream=web')).toBe(2);
    expect(await q('min_score=0.8')).toBe(5);
    const r = await call(h.app, 'GET', '/api/v1/anomalies?stream=web&limit=3', { token: alice.token });
    expect(r.body.anomalies.every((a: { stream: string }) => a.stream === 'web')).toBe(true);
  });

  it.each([
    'limit=0', 'limit=1001', 'limit=abc', 'offset=-1', 'status=bogus', 'stream_type=video', 'since=yesterday', 'min_score=high',
  ])('refuses a bad query (%s): 400 DW_ERR_VALIDATION', async (qs) => {
    const r = await call(h.app, 'GET', `/api/v1/anomalies?${qs}`, { token: alice.token });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('another tenant sees none of them, by token or by its own key', async () => {
    const r = await call(h.app, 'GET', '/api/v1/anomalies', { token: bob.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ anomalies: [], total: 0, limit: 50, offset: 0 });
    const bobKey = (await call(h.app, 'POST', '/api/v1/api-keys', { token: bob.token, body: { scopes: ['read'] } })).body.key;
    expect((await call(h.app, 'GET', '/api/v1/anomalies', { token: bobKey })).body.total).toBe(0);
  });

  it('an API key with the read scope may list; one with only ingest gets 403', async () => {
    const ok = await call(h.app, 'GET', '/api/v1/anomalies?limit=1', { token: readKey });
    expect(ok.status).toBe(200);
    expect(ok.body.total).toBe(25);
    const no = await call(h.app, 'GET', '/api/v1/anomalies', { token: ingestKey });
    expect([no.status, codeOf(no)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
  });

  it('refuses no token, an unknown key and a garbage token with 401', async () => {
    for (const token of [undefined, 'dw_' + 'x'.repeat(32), 'garbage']) {
      const r = await call(h.app, 'GET', '/api/v1/anomalies', { token });
      expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    }
    const basic = await call(h.app, 'GET', '/api/v1/anomalies', { headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
  });
});

describe('GET /api/v1/anomalies/:id', () => {
  it('answers the anomaly to its tenant (token or read key)', async () => {
    const r = await call(h.app, 'GET', `/api/v1/anomalies/${ids[3]}`, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(ids[3]);
    expect((await call(h.app, 'GET', `/api/v1/anomalies/${ids[3]}`, { token: readKey })).status).toBe(200);
  });

  it("another tenant's id and an unknown id are both 404 (no existence leak); a bad id is 400", async () => {
    const other = await call(h.app, 'GET', `/api/v1/anomalies/${ids[3]}`, { token: bob.token });
    const unknown = await call(h.app, 'GET', `/api/v1/anomalies/${randomUUID()}`, { token: bob.token });
    expect([other.status, codeOf(other)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    expect(unknown.body).toEqual(other.body);
    const bad = await call(h.app, 'GET', '/api/v1/anomalies/12345', { token: alice.token });
    expect([bad.status, codeOf(bad)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });
});

describe('PUT /api/v1/anomalies/:id/resolve', () => {
  it('resolves the anomaly (status and resolved_at)', async () => {
    const id = await insertAnomaly(h, alice.user.tenant_id, { detected_at: '2026-01-01T00:00:00Z' });
    const r = await call(h.app, 'PUT', `/api/v1/anomalies/${id}/resolve`, { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id, status: 'resolved', resolved_at: expect.any(String) });
    const row = await h.db.pool.query('SELECT status, resolved_at FROM anomalies WHERE id = $1', [id]);
    expect(row.rows[0].status).toBe('resolved');
    expect((await call(h.app, 'GET', '/api/v1/anomalies?status=resolved', { token: alice.token })).body.total).toBe(1);
    await h.db.pool.query('DELETE FROM anomalies WHERE id = $1', [id]);
  });

  it("cannot touch another tenant's anomaly (404, row unchanged); API keys cannot resolve (403)", async () => {
    const r = await call(h.app, 'PUT', `/api/v1/anomalies/${ids[5]}/resolve`, { token: bob.token });
    expect([r.status, codeOf(r)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    const row = await h.db.pool.query('SELECT status FROM anomalies WHERE id = $1', [ids[5]]);
    expect(row.rows[0].status).toBe('open');
    const viaKey = await call(h.app, 'PUT', `/api/v1/anomalies/${ids[5]}/resolve`, { token: readKey });
    expect([viaKey.status, codeOf(viaKey)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    expect((await call(h.app, 'PUT', '/api/v1/anomalies/nope/resolve', { token: alice.token })).status).toBe(400);
  });
});

describe('DELETE /api/v1/anomalies/:id', () => {
  it("deletes the tenant's own anomaly; another tenant's id is 404 and stays", async () => {
    const id = await insertAnomaly(h, alice.user.tenant_id, { detected_at: '2026-01-01T00:00:00Z' });
    const other = await call(h.app, 'DELETE', `/api/v1/anomalies/${id}`, { token: bob.token });
    expect([other.status, codeOf(other)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    expect((await h.db.pool.query('SELECT 1 FROM anomalies WHERE id = $1', [id])).rowCount).toBe(1);
    expect((await call(h.app, 'DELETE', `/api/v1/anomalies/${id}`, { token: readKey })).status).toBe(403);
    const r = await call(h.app, 'DELETE', `/api/v1/anomalies/${id}`, { token: alice.token });
    expect(r.status).toBe(204);
    expect((await h.db.pool.query('SELECT 1 FROM anomalies WHERE id = $1', [id])).rowCount).toBe(0);
    expect((await call(h.app, 'DELETE', `/api/v1/anomalies/${id}`, { token: alice.token })).status).toBe(404);
    expect((await call(h.app, 'DELETE', '/api/v1/anomalies/x', { token: alice.token })).status).toBe(400);
    expect((await call(h.app, 'DELETE', `/api/v1/anomalies/${id}`)).status).toBe(401);
  });
});
