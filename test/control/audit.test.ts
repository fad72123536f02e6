// The audit log: each recorded action, the list route (newest first, pagination, filter, the
// caller's tenant only, owners and admins only), and a failed write that does not fail the request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ apiKeyCacheMs: 0 }); });
afterAll(async () => { await h?.close(); });

interface Row { tenant_id: string | null; actor_user_id: string | null; actor_kind: string; action: string; target: string | null; ip: string | null; details: any }

/** The rows of one tenant (or of no tenant) straight from the table, oldest first. */
async function rowsOf(tenantId: string | null, action?: string): Promise<Row[]> {
  const { rows } = await h.db.pool.query<Row>(
    `SELECT tenant_id, actor_user_id, actor_kind, action, target, ip, details FROM audit_log
      WHERE tenant_id IS NOT DISTINCT FROM $1 AND ($2::text IS NULL OR action = $2) ORDER BY id`, [tenantId, action ?? null]);
  return rows;
}

const sessionOf = async (token: string): Promise<string> => (await h.tokens.verify(token)).session_id;

describe('recorded actions', () => {
  it('register: the new owner, their tenant and address', async () => {
    const a = await signUp(h.app, 'Reggie');
    expect(await rowsOf(a.user.tenant_id)).toEqual([{
      tenant_id: a.user.tenant_id, actor_user_id: a.user.id, actor_kind: 'user', action: 'auth.register',
      target: `user:${a.user.id}`, ip: '127.0.0.1', details: null,
    }]);
  });

  it('login success names the session; the caller address is the one the request came from', async () => {
    const a = await signUp(h.app, 'Lena');
    const res = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: a.email, password: a.password }, remoteAddress: '198.51.100.7' });
    expect(res.statusCode).toBe(200);
    const rows = await rowsOf(a.user.tenant_id, 'auth.login');
    expect(rows).toEqual([{
      tenant_id: a.user.tenant_id, actor_user_id: a.user.id, actor_kind: 'user', action: 'auth.login',
      target: `session:${await sessionOf(res.json().token)}`, ip: '198.51.100.7', details: null,
    }]);
  });

  it('login failure with a known address: in that tenant, anonymous actor, the reason', async () => {
    const a = await signUp(h.app, 'Felix');
    const r = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: 'not the password' } });
    expect(r.status).toBe(401);
    expect(await rowsOf(a.user.tenant_id, 'auth.login_failed')).toEqual([{
      tenant_id: a.user.tenant_id, actor_user_id: null, actor_kind: 'anonymous', action: 'auth.login_failed',
      target: `user:${a.user.id}`, ip: '127.0.0.1', details: { reason: 'wrong password' },
    }]);
  });

  it('login failure with an unknown address: a row without a tenant, which no tenant can list', async () => {
    const email = `Nobody-${Date.now()}@Example.com`;
    const r = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email, password: 'whatever it is' } });
    expect(r.status).toBe(401);
    const rows = (await rowsOf(null, 'auth.login_failed')).filter((x) => x.target === `email:${email.toLowerCase()}`);
    expect(rows).toEqual([{
      tenant_id: null, actor_user_id: null, actor_kind: 'anonymous', action: 'auth.login_failed',
      target: `email:${email.toLowerCase()}`, ip: '127.0.0.1', details: { reason: 'unknown email' },
    }]);
    const owner = await signUp(h.app, 'Olga');
    const list = await call(h.app, 'GET', '/api/v1/audit?action=auth.login_failed', { token: owner.token });
    expect(list.status).toBe(200);
    expect(list.body.entries).toEqual([]);
  });

  it('refresh-token reuse: the revoked session, in the owner tenant', async () => {
    const a = await signUp(h.app, 'Mallory');
    const first = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(first.status).toBe(200);
    const reuse = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(reuse.status).toBe(401);
    expect(await rowsOf(a.user.tenant_id, 'auth.refresh_reuse')).toEqual([{
      tenant_id: a.user.tenant_id, actor_user_id: null, actor_kind: 'anonymous', action: 'auth.refresh_reuse',
      target: `session:${await sessionOf(a.token)}`, ip: '127.0.0.1', details: { user_id: a.user.id, session_revoked_now: true },
    }]);
  });

  it('logout names the session it ended', async () => {
    const a = await signUp(h.app, 'Lou');
    const sid = await sessionOf(a.token);
    expect((await call(h.app, 'POST', '/api/v1/auth/logout', { token: a.token })).status).toBe(204);
    expect(await rowsOf(a.user.tenant_id, 'auth.logout')).toEqual([{
      tenant_id: a.user.tenant_id, actor_user_id: a.user.id, actor_kind: 'user', action: 'auth.logout',
      target: `session:${sid}`, ip: '127.0.0.1', details: null,
    }]);
  });

  it('API key creation (without the key) and revocation', async () => {
    const a = await signUp(h.app, 'Kira');
    const k = await call(h.app, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'agent', scopes: ['ingest'] } });
    expect(k.status).toBe(201);
    expect((await call(h.app, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { token: a.token })).status).toBe(204);
    const rows = await rowsOf(a.user.tenant_id);
    expect(rows.map((r) => r.action)).toEqual(['auth.register', 'api_key.create', 'api_key.revoke']);
    expect(rows[1]).toEqual({
      tenant_id: a.user.tenant_id, actor_user_id: a.user.id, actor_kind: 'user', action: 'api_key.create',
      target: `api_key:${k.body.id}`, ip: '127.0.0.1', details: { name: 'agent', prefix: k.body.prefix, scopes: ['ingest'] },
    });
    expect(JSON.stringify(rows)).not.toContain(k.body.key);
    expect(rows[2]).toMatchObject({ actor_user_id: a.user.id, action: 'api_key.revoke', target: `api_key:${k.body.id}` });
  });
});

describe('GET /api/v1/audit', () => {
  let alice: SignedUp;
  let bob: SignedUp;
  beforeAll(async () => {
    alice = await signUp(h.app, 'Alice');
    bob = await signUp(h.app, 'Bob');
    for (let i = 0; i < 3; i++) await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: `k${i}` } });
    await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: alice.email, password: 'wrong password!' } });
  });

  it('lists the tenant rows newest first, paginated', async () => {
    const all = await call(h.app, 'GET', '/api/v1/audit', { token: alice.token });
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: any) => e.action)).toEqual(['auth.login_failed', 'api_key.create', 'api_key.create', 'api_key.create', 'auth.register']);
    expect(all.body).toMatchObject({ limit: 50, offset: 0 });
    const e = all.body.entries[1];
    expect(e).toEqual({
      id: expect.stringMatching(/^\d+$/), tenant_id: alice.user.tenant_id, actor_user_id: alice.user.id, actor_kind: 'user',
      action: 'api_key.create', target: expect.stringMatching(/^api_key:/), ip: '127.0.0.1', details: expect.objectContaining({ name: 'k2' }),
      created_at: expect.any(String),
    });
    const ids = all.body.entries.map((x: any) => Number(x.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const page = await call(h.app, 'GET', '/api/v1/audit?limit=2&offset=1', { token: alice.token });
    expect(page.body.entries.map((x: any) => x.id)).toEqual(all.body.entries.slice(1, 3).map((x: any) => x.id));
    expect(page.body).toMatchObject({ limit: 2, offset: 1 });
  });

  it('filters by action', async () => {
    const r = await call(h.app, 'GET', '/api/v1/audit?action=api_key.create', { token: alice.token });
    expect(r.body.entries.map((e: any) => e.details.name)).toEqual(['k2', 'k1', 'k0']);
    const bad = await call(h.app, 'GET', '/api/v1/audit?action=drop.table', { token: alice.token });
    expect([bad.status, codeOf(bad)]).toEqual([400, 'DW_ERR_VALIDATION']);
    const badLimit = await call(h.app, 'GET', '/api/v1/audit?limit=0', { token: alice.token });
    expect([badLimit.status, codeOf(badLimit)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it("shows only the caller's tenant", async () => {
    const r = await call(h.app, 'GET', '/api/v1/audit', { token: bob.token });
    expect(r.body.entries.map((e: any) => e.action)).toEqual(['auth.register']);
    expect(r.body.entries.every((e: any) => e.tenant_id === bob.user.tenant_id)).toBe(true);
  });

  it('admins may read it; members, API keys and anonymous callers may not', async () => {
    const m = await signUp(h.app, 'Memo');
    await h.db.pool.query(`UPDATE users SET role = 'member' WHERE id = $1`, [m.user.id]);
    const asMember = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    const denied = await call(h.app, 'GET', '/api/v1/audit', { token: asMember.body.token });
    expect([denied.status, codeOf(denied)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    await h.db.pool.query(`UPDATE users SET role = 'admin' WHERE id = $1`, [m.user.id]);
    const asAdmin = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    const ok = await call(h.app, 'GET', '/api/v1/audit', { token: asAdmin.body.token });
    expect(ok.status).toBe(200);
    expect(ok.body.entries.map((e: any) => e.action)).toEqual(['auth.login', 'auth.login', 'auth.register']);
    const key = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } });
    const viaKey = await call(h.app, 'GET', '/api/v1/audit', { token: key.body.key });
    expect([viaKey.status, codeOf(viaKey)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const none = await call(h.app, 'GET', '/api/v1/audit');
    expect([none.status, codeOf(none)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });
});

describe('a failed audit write', () => {
  it('does not fail the request; it is counted', async () => {
    const a = await signUp(h.app, 'Tabitha');
    const before = h.app.audit.counters.driftwatch_audit_write_errors_total;
    await h.db.pool.query('ALTER TABLE audit_log RENAME TO audit_log_away');
    try {
      const login = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password } });
      expect(login.status).toBe(200);
      const key = await call(h.app, 'POST', '/api/v1/api-keys', { token: login.body.token, body: {} });
      expect(key.status).toBe(201);
      const wrong = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: 'not the password' } });
      expect([wrong.status, codeOf(wrong)]).toEqual([401, 'DW_ERR_INVALID_CREDENTIALS']);
    } finally {
      await h.db.pool.query('ALTER TABLE audit_log_away RENAME TO audit_log');
    }
    expect(h.app.audit.counters.driftwatch_audit_write_errors_total - before).toBe(3);
  });
});
