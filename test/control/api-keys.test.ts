import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
// No API-key cache: a revocation must show at once in these tests.
beforeAll(async () => {
  h = await startHarness({ apiKeyCacheMs: 0 });
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
});
afterAll(async () => { await h?.close(); });

describe('POST /api/v1/api-keys', () => {
  it('creates a key shown once, stored hashed, with the requested scopes', async () => {
    const r = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'agent', scopes: ['ingest'] } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({ id: expect.any(String), key: expect.stringMatching(/^dw_/), prefix: r.body.key.slice(0, 11), name: 'agent', scopes: ['ingest'], created_at: expect.any(String) });
    const row = await h.db.pool.query('SELECT tenant_id, created_by, key_hash FROM api_keys WHERE id = $1', [r.body.id]);
    expect(row.rows[0].tenant_id).toBe(alice.user.tenant_id);
    expect(row.rows[0].created_by).toBe(alice.user.id);
    expect(row.rows[0].key_hash.toString('utf8')).not.toContain(r.body.key);
  });

  it('defaults to both scopes, with or without a body', async () => {
    const a = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: {} });
    const b = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.scopes).toEqual(['ingest', 'read']);
    expect(b.body.scopes).toEqual(['ingest', 'read']);
  });

  it.each([
    ['unknown scope', { scopes: ['admin'] }],
    ['empty scopes', { scopes: [] }],
    ['scopes not an array', { scopes: 'read' }],
    ['unknown field', { name: 'x', tenant_id: 'y' }],
    ['name too long', { name: 'x'.repeat(101) }],
  ])('refuses a bad body (%s): 400 DW_ERR_VALIDATION', async (_w, body) => {
    const r = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('refuses no token, a bad token, an API key, and a member', async () => {
    const none = await call(h.app, 'POST', '/api/v1/api-keys', { body: {} });
    expect([none.status, codeOf(none)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const bad = await call(h.app, 'POST', '/api/v1/api-keys', { token: 'eyJhbGciOiJFUzI1NiJ9.e30.AAAA', body: {} });
    expect([bad.status, codeOf(bad)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const key = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: {} })).body.key;
    const viaKey = await call(h.app, 'POST', '/api/v1/api-keys', { token: key, body: {} });
    expect([viaKey.status, codeOf(viaKey)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const m = await signUp(h.app, 'Member');
    await h.db.pool.query("UPDATE users SET role = 'member' WHERE id = $1", [m.user.id]);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    const asMember = await call(h.app, 'POST', '/api/v1/api-keys', { token: login.body.token, body: {} });
    expect([asMember.status, codeOf(asMember)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    // A member may still list the tenant's keys.
    expect((await call(h.app, 'GET', '/api/v1/api-keys', { token: login.body.token })).status).toBe(200);
  });
});

describe('GET /api/v1/api-keys', () => {
  it("lists only the caller's tenant's keys, newest first, without secrets", async () => {
    const k1 = await call(h.app, 'POST', '/api/v1/api-keys', { token: bob.token, body: { name: 'bob one' } });
    const k2 = await call(h.app, 'POST', '/api/v1/api-keys', { token: bob.token, body: { name: 'bob two', scopes: ['read'] } });
    const r = await call(h.app, 'GET', '/api/v1/api-keys', { token: bob.token });
    expect(r.status).toBe(200);
    expect(r.body.api_keys.map((k: { id: string }) => k.id)).toEqual([k2.body.id, k1.body.id]);
    expect(r.body.api_keys[0]).toEqual({ id: k2.body.id, prefix: k2.body.prefix, name: 'bob two', scopes: ['read'], created_at: expect.any(String), last_used_at: null, revoked_at: null });
    const text = JSON.stringify(r.body);
    expect(text).not.toContain(k1.body.key);
    expect(text).not.toContain('hash');
    const alices = await call(h.app, 'GET', '/api/v1/api-keys', { token: alice.token });
    expect(alices.body.api_keys.some((k: { id: string }) => k.id === k1.body.id)).toBe(false);
  });

  it('needs a user token', async () => {
    expect((await call(h.app, 'GET', '/api/v1/api-keys')).status).toBe(401);
  });
});

describe('DELETE /api/v1/api-keys/:id', () => {
  it('revokes: 204, the key stops authenticating, the list shows revoked_at', async () => {
    const k = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } });
    expect((await call(h.app, 'GET', '/api/v1/anomalies', { token: k.body.key })).status).toBe(200);
    const d = await call(h.app, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { token: alice.token });
    expect(d.status).toBe(204);
    const after = await call(h.app, 'GET', '/api/v1/anomalies', { token: k.body.key });
    expect([after.status, codeOf(after)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const list = await call(h.app, 'GET', '/api/v1/api-keys', { token: alice.token });
    expect(list.body.api_keys.find((x: { id: string }) => x.id === k.body.id).revoked_at).toEqual(expect.any(String));
    // Revoking again is harmless.
    expect((await call(h.app, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { token: alice.token })).status).toBe(204);
  });

  it("another tenant's key is 404 and stays valid; a bad id is 400", async () => {
    const k = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { scopes: ['read'] } });
    const d = await call(h.app, 'DELETE', `/api/v1/api-keys/${k.body.id}`, { token: bob.token });
    expect([d.status, codeOf(d)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    expect((await call(h.app, 'GET', '/api/v1/anomalies', { token: k.body.key })).status).toBe(200);
    const bad = await call(h.app, 'DELETE', '/api/v1/api-keys/not-a-uuid', { token: alice.token });
    expect([bad.status, codeOf(bad)]).toEqual([400, 'DW_ERR_VALIDATION']);
    const none = await call(h.app, 'DELETE', `/api/v1/api-keys/${k.body.id}`);
    expect(none.status).toBe(401);
  });
});
