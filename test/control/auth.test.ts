import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/core/auth/jwt.js';
import { call, codeOf, signUp, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.close(); });

const uniq = (s: string): string => `${s}-${Math.random().toString(36).slice(2, 10)}@example.com`;

describe('POST /api/v1/auth/register', () => {
  it('creates a tenant and its owner, and answers like login (201)', async () => {
    const email = uniq('reg');
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email, password: 'long enough pw', name: 'Zoë Example' } });
    expect(r.status).toBe(201);
    expect(r.body).toEqual({
      token: expect.any(String), refresh_token: expect.any(String),
      user: { id: expect.any(String), email, username: expect.stringMatching(/^zoe\d*$/), name: 'Zoë Example', role: 'owner', tenant_id: expect.any(String) },
    });
    const t = await h.db.pool.query('SELECT name FROM tenants WHERE id = $1', [r.body.user.tenant_id]);
    expect(t.rows[0].name).toBe('Zoë Example');
    const u = await h.db.pool.query('SELECT password_hash FROM users WHERE id = $1', [r.body.user.id]);
    expect(u.rows[0].password_hash).toMatch(/^\$argon2id\$/);
    // The access token works at once.
    const me = await call(h.app, 'GET', '/api/v1/user', { token: r.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(r.body.user.id);
  });

  it('derives unique lower-case usernames from the first name: alice, alice2, alice3', async () => {
    // Fresh base name so that other tests do not interfere.
    const first = `Quinta${Date.now() % 100000}`;
    const base = first.toLowerCase();
    const a = await signUp(h.app, `${first} Smith`);
    const b = await signUp(h.app, 'ignored', { name: undefined, first_name: first, last_name: 'Jones' });
    const c = await signUp(h.app, `${first}`);
    expect([a.user.username, b.user.username, c.user.username]).toEqual([base, `${base}2`, `${base}3`]);
    expect(b.user.name).toBe(`${first} Jones`);
    // Three different tenants, each user its owner.
    expect(new Set([a.user.tenant_id, b.user.tenant_id, c.user.tenant_id]).size).toBe(3);
  });

  it('falls back to the email local part when the first name has no usable characters', async () => {
    const email = uniq('Fallback.Name');
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email, password: 'long enough pw', name: '李 雷' } });
    expect(r.status).toBe(201);
    expect(r.body.user.username).toMatch(/^fallbackname/);
  });

  it('refuses a duplicate email (any case) with a generic 400, and creates nothing', async () => {
    const a = await signUp(h.app, 'Dupont');
    const before = await h.db.pool.query('SELECT count(*)::int AS n FROM tenants');
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email: a.email.toUpperCase(), password: 'another password', name: 'Other' } });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('DW_ERR_VALIDATION');
    expect(r.body.error.message).toContain('could not register with these details');
    expect(JSON.stringify(r.body)).not.toMatch(/exist|taken|already/i);
    const after = await h.db.pool.query('SELECT count(*)::int AS n FROM tenants');
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it.each([
    ['short password', { email: 'x@example.com', password: 'short', name: 'X' }],
    ['bad email', { email: 'not-an-email', password: 'long enough pw', name: 'X' }],
    ['no name', { email: 'x@example.com', password: 'long enough pw' }],
    ['unknown field', { email: 'x@example.com', password: 'long enough pw', name: 'X', role: 'admin' }],
    ['wrong type', { email: 'x@example.com', password: 12345678, name: 'X' }],
  ])('refuses a bad body (%s) with 400 DW_ERR_VALIDATION', async (_what, body) => {
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('DW_ERR_VALIDATION');
  });

  it('refuses malformed JSON and other content types with stable codes', async () => {
    const bad = await call(h.app, 'POST', '/api/v1/auth/register', { payload: '{"email":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(codeOf(bad)).toBe('DW_ERR_MALFORMED_BODY');
    const xml = await call(h.app, 'POST', '/api/v1/auth/register', { payload: '<x/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    expect(codeOf(xml)).toBe('DW_ERR_UNSUPPORTED_MEDIA_TYPE');
    const big = await call(h.app, 'POST', '/api/v1/auth/register', {
      payload: JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(200_000), name: 'A' }), headers: { 'content-type': 'application/json' },
    });
    expect(big.status).toBe(413);
    expect(codeOf(big)).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
  });
});

describe('POST /api/v1/auth/login', () => {
  it('answers tokens and the user, and opens a session with a hashed refresh token', async () => {
    const a = await signUp(h.app, 'Logan');
    const r = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password } });
    expect(r.status).toBe(200);
    expect(r.body.user).toEqual(a.user);
    expect(Buffer.from(r.body.refresh_token, 'base64url')).toHaveLength(32);
    const claims = await h.tokens.verify(r.body.token);
    expect(claims).toMatchObject({ sub: a.user.id, email: a.email, role: 'owner', tenant_id: a.user.tenant_id });
    const hash = createHash('sha256').update(r.body.refresh_token).digest();
    const rt = await h.db.pool.query(
      `SELECT rt.session_id, s.user_id, rt.expires_at > now() + interval '29 days' AS long_lived
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id WHERE rt.token_hash = $1`, [hash]);
    expect(rt.rows).toEqual([{ session_id: claims.session_id, user_id: a.user.id, long_lived: true }]);
    // The email is matched without regard to case.
    expect((await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email.toUpperCase(), password: a.password } })).status).toBe(200);
  });

  it('wrong password and unknown email get the same 401 DW_ERR_INVALID_CREDENTIALS', async () => {
    const a = await signUp(h.app, 'Wanda');
    const wrong = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: 'not the password' } });
    const unknown = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: uniq('nobody'), password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(codeOf(wrong)).toBe('DW_ERR_INVALID_CREDENTIALS');
    expect(unknown.body).toEqual(wrong.body);
  });

  it('refuses a bad body with 400 DW_ERR_VALIDATION', async () => {
    const r = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: 'a@b.co' } });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('DW_ERR_VALIDATION');
  });
});

describe('POST /api/v1/auth/refresh', () => {
  it('rotates: a refresh token works once and yields a working pair', async () => {
    const a = await signUp(h.app, 'Rota');
    const r1 = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(r1.status).toBe(200);
    expect(r1.body).toEqual({ token: expect.any(String), refresh_token: expect.any(String) });
    expect(r1.body.refresh_token).not.toBe(a.refresh);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: r1.body.token })).status).toBe(200);
    const r2 = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: r1.body.refresh_token } });
    expect(r2.status).toBe(200);
    // Same session all along.
    const s0 = (await h.tokens.verify(a.token)).session_id;
    expect((await h.tokens.verify(r2.body.token)).session_id).toBe(s0);
  });

  it('reuse of a used token revokes the session: the newer refresh token and the access tokens stop working', async () => {
    const a = await signUp(h.app, 'Mallory');
    const r1 = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(r1.status).toBe(200);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: r1.body.token })).status).toBe(200);
    const reuse = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(reuse.status).toBe(401);
    expect(codeOf(reuse)).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
    const newer = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: r1.body.refresh_token } });
    expect(newer.status).toBe(401);
    expect(codeOf(newer)).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
    for (const token of [a.token, r1.body.token]) {
      const me = await call(h.app, 'GET', '/api/v1/user', { token });
      expect(me.status).toBe(401);
      expect(codeOf(me)).toBe('DW_ERR_UNAUTHORIZED');
    }
    const s = await h.db.pool.query('SELECT revoked_at FROM sessions WHERE id = $1', [(await h.tokens.verify(a.token)).session_id]);
    expect(s.rows[0].revoked_at).not.toBeNull();
    // Other sessions of the same user are untouched.
    const again = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: a.password } });
    expect((await call(h.app, 'GET', '/api/v1/user', { token: again.body.token })).status).toBe(200);
  });

  it('two concurrent uses of one token: exactly one is issued, and the second use counts as reuse (session ended)', async () => {
    // Policy: a refresh token is single-use with no grace period, so a duplicate (even a
    // client's own retry) is treated as theft and ends the session. Clients must serialise
    // their refreshes.
    const a = await signUp(h.app, 'Racer');
    const [x, y] = await Promise.all([
      call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } }),
      call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } }),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 401]);
    const winner = x.status === 200 ? x : y;
    const next = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: winner.body.refresh_token } });
    expect(next.status).toBe(401);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: winner.body.token })).status).toBe(401);
  });

  it('unknown and expired tokens: 401 DW_ERR_REFRESH_TOKEN_INVALID, session untouched', async () => {
    const unknown = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: 'A'.repeat(43) } });
    expect(unknown.status).toBe(401);
    expect(codeOf(unknown)).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
    const a = await signUp(h.app, 'Olds');
    await h.db.pool.query(`UPDATE refresh_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`,
      [createHash('sha256').update(a.refresh).digest()]);
    const expired = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(expired.status).toBe(401);
    expect(codeOf(expired)).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
    expect((await call(h.app, 'GET', '/api/v1/user', { token: a.token })).status).toBe(200);
  });

  it('refuses a bad body with 400 DW_ERR_VALIDATION', async () => {
    const r = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { token: 'x' } });
    expect(r.status).toBe(400);
    expect(codeOf(r)).toBe('DW_ERR_VALIDATION');
  });
});

describe('POST /api/v1/auth/logout', () => {
  it('revokes the session: 204, then its access and refresh tokens are refused', async () => {
    const a = await signUp(h.app, 'Lou');
    expect((await call(h.app, 'GET', '/api/v1/user', { token: a.token })).status).toBe(200);
    const out = await call(h.app, 'POST', '/api/v1/auth/logout', { token: a.token });
    expect(out.status).toBe(204);
    expect(out.body).toBeUndefined();
    expect((await call(h.app, 'GET', '/api/v1/user', { token: a.token })).status).toBe(401);
    const r = await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } });
    expect(r.status).toBe(401);
    expect(codeOf(r)).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
  });

  it('needs a user token', async () => {
    expect((await call(h.app, 'POST', '/api/v1/auth/logout')).status).toBe(401);
    expect((await call(h.app, 'POST', '/api/v1/auth/logout', { token: 'garbage' })).status).toBe(401);
  });
});

describe('authentication of user tokens', () => {
  it('no token, a malformed token, a tampered token, an expired token: 401 with a stable code', async () => {
    const a = await signUp(h.app, 'Tess');
    const none = await call(h.app, 'GET', '/api/v1/user');
    expect([none.status, codeOf(none)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const junk = await call(h.app, 'GET', '/api/v1/user', { token: 'not.a.jwt' });
    expect([junk.status, codeOf(junk)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const [head, body, sig] = a.token.split('.');
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, tenant_id: '00000000-0000-0000-0000-000000000000' })).toString('base64url')}.${sig}`;
    const tampered = await call(h.app, 'GET', '/api/v1/user', { token: forged });
    expect([tampered.status, codeOf(tampered)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const past = await new TokenService(h.db.pool, { issuer: h.config.jwtIssuer, audience: h.config.jwtAudience, ttlSeconds: -60 }).init();
    const old = await past.sign({ sub: a.user.id, email: a.email, role: 'owner', tenant_id: a.user.tenant_id, session_id: claims.session_id });
    const expired = await call(h.app, 'GET', '/api/v1/user', { token: old });
    expect([expired.status, codeOf(expired)]).toEqual([401, 'DW_ERR_TOKEN_EXPIRED']);
  });

  it('a token for a session that does not exist is refused', async () => {
    const a = await signUp(h.app, 'Ghost');
    const t = await h.tokens.sign({ sub: a.user.id, email: a.email, role: 'owner', tenant_id: a.user.tenant_id, session_id: '00000000-0000-4000-8000-000000000000' });
    expect((await call(h.app, 'GET', '/api/v1/user', { token: t })).status).toBe(401);
  });
});

describe('GET and PUT /api/v1/user', () => {
  it('reads and renames the signed-in user', async () => {
    const a = await signUp(h.app, 'Una');
    const got = await call(h.app, 'GET', '/api/v1/user', { token: a.token });
    expect(got.body).toEqual(a.user);
    const put = await call(h.app, 'PUT', '/api/v1/user', { token: a.token, body: { name: 'Una Renamed' } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ ...a.user, name: 'Una Renamed' });
    expect((await call(h.app, 'GET', '/api/v1/user', { token: a.token })).body.name).toBe('Una Renamed');
  });

  it('refuses bad bodies and API keys', async () => {
    const a = await signUp(h.app, 'Vic');
    for (const body of [{ name: '' }, { name: 5 }, { email: 'x@y.z' }]) {
      const r = await call(h.app, 'PUT', '/api/v1/user', { token: a.token, body });
      expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
    }
    const key = await call(h.app, 'POST', '/api/v1/api-keys', { token: a.token, body: {} });
    const viaKey = await call(h.app, 'GET', '/api/v1/user', { token: key.body.key });
    expect([viaKey.status, codeOf(viaKey)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
  });
});

describe('timing does not tell whether an address has an account', () => {
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const timed = async (f: () => Promise<unknown>): Promise<number> => { const t = performance.now(); await f(); return performance.now() - t; };

  it('a duplicate sign-up costs a password hash too', async () => {
    const a = await signUp(h.app, 'Timo');
    const fresh: number[] = [];
    const dup: number[] = [];
    for (let i = 0; i < 3; i++) {
      fresh.push(await timed(() => call(h.app, 'POST', '/api/v1/auth/register', { body: { email: uniq('fresh'), password: 'long enough pw', name: 'F' } })));
      dup.push(await timed(() => call(h.app, 'POST', '/api/v1/auth/register', { body: { email: a.email, password: 'long enough pw', name: 'F' } })));
    }
    // Without the hash a duplicate answers in a few ms, a fresh sign-up takes tens of ms.
    expect(median(dup)).toBeGreaterThan(median(fresh) * 0.3);
  });

  it('login with an unknown address costs a password verification too', async () => {
    const a = await signUp(h.app, 'Tima');
    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 3; i++) {
      wrong.push(await timed(() => call(h.app, 'POST', '/api/v1/auth/login', { body: { email: a.email, password: 'not the password' } })));
      unknown.push(await timed(() => call(h.app, 'POST', '/api/v1/auth/login', { body: { email: uniq('ghost'), password: 'not the password' } })));
    }
    expect(median(unknown)).toBeGreaterThan(median(wrong) * 0.3);
  });
});
