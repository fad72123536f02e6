// Feedback on anomalies and per-stream profiles, against real PostgreSQL.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, insertAnomaly, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
let readKey: string;
beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  readKey = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } })).body.key;
});
afterAll(async () => { await h?.close(); });

const feedback = (id: string, token: string, body: unknown) => call(h.app, 'POST', `/api/v1/anomalies/${id}/feedback`, { token, body });

async function auditRows(tenantId: string, action: string): Promise<{ target: string; details: Record<string, unknown> }[]> {
  const { rows } = await h.db.pool.query('SELECT target, details FROM audit_log WHERE tenant_id = $1 AND action = $2 ORDER BY id', [tenantId, action]);
  return rows;
}

describe('POST /api/v1/anomalies/:id/feedback', () => {
  it('marks a false positive, raises the stream threshold by 0.02 and audits it', async () => {
    const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'fp-web' });
    const r = await feedback(id, alice.token, { feedback: 'false_positive' });
    expect(r.status).toBe(200);
    expect(r.body.anomaly).toMatchObject({ id, stream: 'fp-web', status: 'false_positive' });
    expect(r.body.stream_settings).toMatchObject({ stream: 'fp-web', profile: 'balanced', threshold_offset: 0.02, threshold: 0.52, feedback_fp: 1, feedback_confirmed: 0 });
    // Repeating the same feedback changes nothing.
    const again = await feedback(id, alice.token, { feedback: 'false_positive' });
    expect(again.body.stream_settings).toMatchObject({ threshold_offset: 0.02, feedback_fp: 1 });
    // Changing one's mind to confirmed moves it down by 0.01.
    const conf = await feedback(id, alice.token, { feedback: 'confirmed' });
    expect(conf.body.anomaly.status).toBe('confirmed');
    expect(conf.body.stream_settings).toMatchObject({ threshold_offset: 0.01, threshold: 0.51, feedback_fp: 1, feedback_confirmed: 1 });
    const rows = await auditRows(alice.user.tenant_id, 'anomaly.feedback');
    expect(rows.filter((x) => x.target === `anomaly:${id}`).map((x) => x.details.feedback)).toEqual(['false_positive', 'false_positive', 'confirmed']);
    const { rows: st } = await h.db.pool.query('SELECT threshold_offset FROM stream_settings WHERE tenant_id = $1 AND stream = $2', [alice.user.tenant_id, 'fp-web']);
    expect(st[0].threshold_offset).toBe(0.01);
  });

  it('clamps the offset to [-0.15, 0.2]', async () => {
    let last: any;
    for (let i = 0; i < 13; i++) {
      const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'fp-clamp' });
      last = (await feedback(id, alice.token, { feedback: 'false_positive' })).body;
    }
    expect(last.stream_settings).toMatchObject({ threshold_offset: 0.2, threshold: 0.7, feedback_fp: 13 });
    for (let i = 0; i < 40; i++) {
      const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'fp-clamp' });
      last = (await feedback(id, alice.token, { feedback: 'confirmed' })).body;
    }
    expect(last.stream_settings).toMatchObject({ threshold_offset: -0.15, threshold: 0.35, feedback_confirmed: 40 });
  });

  it("404 for another tenant's anomaly or an unknown id; nothing changes", async () => {
    const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'fp-iso' });
    const r = await feedback(id, bob.token, { feedback: 'false_positive' });
    expect(r.status).toBe(404);
    expect(codeOf(r)).toBe('DW_ERR_NOT_FOUND');
    expect((await feedback(randomUUID(), alice.token, { feedback: 'confirmed' })).status).toBe(404);
    const { rows } = await h.db.pool.query('SELECT status FROM anomalies WHERE id = $1', [id]);
    expect(rows[0].status).toBe('open');
    const s = await h.db.pool.query('SELECT 1 FROM stream_settings WHERE stream = $1', ['fp-iso']);
    expect(s.rowCount).toBe(0);
  });

  it('400 for a bad body or id; 401 without a token; 403 for an API key', async () => {
    const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'fp-bad' });
    for (const body of [{}, { feedback: 'resolved' }, { feedback: 'confirmed', extra: 1 }, [1]]) {
      expect((await feedback(id, alice.token, body)).status).toBe(400);
    }
    expect((await call(h.app, 'POST', '/api/v1/anomalies/not-a-uuid/feedback', { token: alice.token, body: { feedback: 'confirmed' } })).status).toBe(400);
    expect((await call(h.app, 'POST', `/api/v1/anomalies/${id}/feedback`, { body: { feedback: 'confirmed' } })).status).toBe(401);
    expect((await call(h.app, 'POST', `/api/v1/anomalies/${id}/feedback`, { token: readKey, body: { feedback: 'confirmed' } })).status).toBe(403);
    const { rows } = await h.db.pool.query('SELECT status FROM anomalies WHERE id = $1', [id]);
    expect(rows[0].status).toBe('open');
  });
});

describe('GET/PUT /api/v1/streams/:stream/settings', () => {
  it('defaults to balanced; the owner sets a profile; tenants are isolated; audited', async () => {
    const url = '/api/v1/streams/' + encodeURIComponent('api/gateway') + '/settings';
    const d = await call(h.app, 'GET', url, { token: readKey });
    expect(d.status).toBe(200);
    expect(d.body).toEqual({ stream: 'api/gateway', profile: 'balanced', threshold_offset: 0, threshold: 0.5, session_field: null, feedback_fp: 0, feedback_confirmed: 0, updated_at: null });
    const put = await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'strict' } });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ stream: 'api/gateway', profile: 'strict', threshold: 0.65, updated_at: expect.any(String) });
    expect((await call(h.app, 'GET', url, { token: alice.token })).body.profile).toBe('strict');
    expect((await call(h.app, 'GET', url, { token: bob.token })).body.profile).toBe('balanced');
    const sens = await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'sensitive' } });
    expect(sens.body.threshold).toBe(0.4);
    const rows = await auditRows(alice.user.tenant_id, 'stream.settings_update');
    expect(rows.map((x) => [x.target, x.details.profile])).toEqual([['stream:api/gateway', 'strict'], ['stream:api/gateway', 'sensitive']]);
  });

  it('refuses a bad profile (400), a member and an API key (403), no token (401)', async () => {
    const url = '/api/v1/streams/web/settings';
    expect((await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'paranoid' } })).status).toBe(400);
    expect((await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'strict', threshold_offset: 1 } })).status).toBe(400);
    expect((await call(h.app, 'PUT', url, { token: readKey, body: { profile: 'strict' } })).status).toBe(403);
    expect((await call(h.app, 'PUT', url, { body: { profile: 'strict' } })).status).toBe(401);
    expect((await call(h.app, 'GET', url, {})).status).toBe(401);
    const m = await signUp(h.app, 'Mallory');
    await h.db.pool.query("UPDATE users SET role = 'member' WHERE id = $1", [m.user.id]);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    const r = await call(h.app, 'PUT', url, { token: login.body.token, body: { profile: 'strict' } });
    expect(r.status).toBe(403);
  });

  it('sets and clears the session field; the profile and offset stay; audited; stored for the engine', async () => {
    const url = '/api/v1/streams/checkout/settings';
    await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'strict' } });
    const set = await call(h.app, 'PUT', url, { token: alice.token, body: { session_field: 'order.id' } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ stream: 'checkout', profile: 'strict', threshold: 0.65, session_field: 'order.id' });
    expect((await call(h.app, 'GET', url, { token: readKey })).body.session_field).toBe('order.id');
    expect((await call(h.app, 'GET', url, { token: bob.token })).body.session_field).toBeNull();
    // A profile change keeps the field; both at once set both.
    expect((await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'balanced' } })).body).toMatchObject({ profile: 'balanced', session_field: 'order.id' });
    const both = await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'sensitive', session_field: 'x'.repeat(64) } });
    expect(both.body).toMatchObject({ profile: 'sensitive', session_field: 'x'.repeat(64) });
    const cleared = await call(h.app, 'PUT', url, { token: alice.token, body: { session_field: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ profile: 'sensitive', session_field: null });
    // A first PUT of the field alone creates the row with the balanced profile.
    const fresh = await call(h.app, 'PUT', '/api/v1/streams/fresh/settings', { token: alice.token, body: { session_field: 'request-id_2' } });
    expect(fresh.body).toMatchObject({ stream: 'fresh', profile: 'balanced', threshold: 0.5, session_field: 'request-id_2' });
    const { rows } = await h.db.pool.query('SELECT stream, session_field FROM stream_settings WHERE tenant_id = $1 AND stream IN ($2, $3) ORDER BY stream', [alice.user.tenant_id, 'checkout', 'fresh']);
    expect(rows).toEqual([{ stream: 'checkout', session_field: null }, { stream: 'fresh', session_field: 'request-id_2' }]);
    const audit = (await auditRows(alice.user.tenant_id, 'stream.settings_update')).filter((x) => x.target === 'stream:checkout').map((x) => x.details);
    expect(audit).toEqual([{ profile: 'strict' }, { session_field: 'order.id' }, { profile: 'balanced' }, { profile: 'sensitive', session_field: 'x'.repeat(64) }, { session_field: null }]);
  });

  it('refuses a session field that is not 1-64 characters of [A-Za-z0-9_.-] (400 DW_ERR_VALIDATION), and an empty body; nothing changes', async () => {
    const url = '/api/v1/streams/badfield/settings';
    await call(h.app, 'PUT', url, { token: alice.token, body: { session_field: 'trace_id' } });
    for (const body of [{ session_field: '' }, { session_field: 'a b' }, { session_field: 'x'.repeat(65) }, { session_field: 'trace/id' }, { session_field: 'ü' },
      { session_field: 5 }, { session_field: ['a'] }, { session_field: 'a\n' }, {}, { profile: 'strict', session_field: 'a:b' }]) {
      const r = await call(h.app, 'PUT', url, { token: alice.token, body });
      expect(r.status).toBe(400);
      expect(codeOf(r)).toBe('DW_ERR_VALIDATION');
    }
    expect((await call(h.app, 'PUT', url, { token: readKey, body: { session_field: 'b' } })).status).toBe(403);
    expect((await call(h.app, 'GET', url, { token: alice.token })).body).toMatchObject({ profile: 'balanced', session_field: 'trace_id' });
  });

  it('the table refuses a bad session field too (older rows, hand edits)', async () => {
    await expect(h.db.pool.query("INSERT INTO stream_settings (tenant_id, stream, session_field) VALUES ($1, 'sql', 'a b')", [alice.user.tenant_id])).rejects.toThrow(/check constraint/);
  });

  it('feedback on top of a profile: strict + one false positive = 0.67', async () => {
    const url = '/api/v1/streams/combo/settings';
    await call(h.app, 'PUT', url, { token: alice.token, body: { profile: 'strict' } });
    const id = await insertAnomaly(h, alice.user.tenant_id, { stream: 'combo' });
    const r = await feedback(id, alice.token, { feedback: 'false_positive' });
    expect(r.body.stream_settings).toMatchObject({ profile: 'strict', threshold_offset: 0.02, threshold: 0.67 });
  });
});
