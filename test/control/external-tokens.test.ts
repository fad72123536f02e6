// Tokens of an external issuer (EXTERNAL_JWT_SECRET: a Supabase project's HS256 secret), accepted
// by the control API and the engine for a driftwatch user with the same email; and every token
// that must stay refused: alg none, algorithm confusion (HS256 keyed with our public key, an
// ES256 header on an HMAC signature), expired, wrong audience or issuer, another HMAC size.
import { createHmac } from 'node:crypto';
import { SignJWT, UnsecuredJWT, importJWK, exportSPKI, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrincipalResolver } from '../../src/core/auth/principal.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { storedEvents } from '../helpers/events.js';
import { call, codeOf, signUp, startHarness, type Harness } from './harness.js';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const ISSUER = 'https://abcdefgh.supabase.co/auth/v1';
const AUDIENCE = 'authenticated';
const b64 = (x: object | Buffer): string => (Buffer.isBuffer(x) ? x : Buffer.from(JSON.stringify(x))).toString('base64url');

async function supabaseToken(claims: Record<string, unknown>, opts: { secret?: string | Uint8Array; alg?: string; aud?: string; iss?: string; exp?: number | string; kid?: string } = {}): Promise<string> {
  const key = typeof opts.secret === 'object' ? opts.secret : new TextEncoder().encode(opts.secret ?? SECRET);
  return new SignJWT({ role: 'authenticated', ...claims })
    .setProtectedHeader({ alg: opts.alg ?? 'HS256', typ: 'JWT', ...(opts.kid ? { kid: opts.kid } : {}) })
    .setIssuer(opts.iss ?? ISSUER).setAudience(opts.aud ?? AUDIENCE).setIssuedAt()
    .setExpirationTime(opts.exp ?? '1h').sign(key);
}

describe('external HS256 tokens (EXTERNAL_JWT_SECRET set)', () => {
  let h: Harness;
  let engine: EngineHandle;
  let engineUrl: string;
  beforeAll(async () => {
    h = await startHarness({ externalJwtSecret: SECRET, externalJwtIssuer: ISSUER, externalJwtAudience: AUDIENCE });
    const config = loadConfig({ env: {}, overrides: { ...h.config, enginePort: 0, host: '127.0.0.1', workerThreads: 1 } });
    engine = await startEngine({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
    engineUrl = `http://127.0.0.1:${engine.port}`;
  });
  afterAll(async () => {
    await engine?.close();
    await h?.close();
  });

  const ingest = (token: string): Promise<Response> => fetch(`${engineUrl}/api/v1/events/ingest`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify([{ timestamp: Date.now(), stream_type: 'logs', data: 'from a supabase user' }]),
  });
  const refusedEverywhere = async (token: string, code = 'DW_ERR_UNAUTHORIZED'): Promise<void> => {
    const r = await call(h.app, 'GET', '/api/v1/user', { token });
    expect([r.status, codeOf(r)]).toEqual([401, code]);
    const e = await ingest(token);
    expect(e.status).toBe(401);
    expect(((await e.json()) as { error: { code: string } }).error.code).toBe(code);
  };

  it('maps the token to the user with its email (any case): control API and engine accept it, in that user\'s tenant', async () => {
    const alice = await signUp(h.app, 'Alice');
    const token = await supabaseToken({ sub: '8f0c1a52-0000-4000-8000-000000000001', email: alice.email.toUpperCase() });
    const me = await call(h.app, 'GET', '/api/v1/user', { token });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: alice.user.id, email: alice.email, tenant_id: alice.user.tenant_id });
    expect((await call(h.app, 'GET', '/api/v1/anomalies', { token })).status).toBe(200);
    const r = await ingest(token);
    expect(r.status).toBe(200);
    expect((await storedEvents(h.db.pool, { tenantId: alice.user.tenant_id })).filter((e) => e.data === 'from a supabase user')).toHaveLength(1);
    // Logout has no session of ours to end: 204, and the issuer's token is unaffected.
    expect((await call(h.app, 'POST', '/api/v1/auth/logout', { token })).status).toBe(204);
    // Our own tokens keep working alongside.
    expect((await call(h.app, 'GET', '/api/v1/user', { token: alice.token })).status).toBe(200);
  });

  it('no driftwatch user with that email: 401 that says to register first (no account is created)', async () => {
    const token = await supabaseToken({ sub: 'x', email: 'stranger@example.com' });
    const r = await call(h.app, 'GET', '/api/v1/user', { token });
    expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    expect(r.body.error.message).toMatch(/no driftwatch account has this token's email; register/);
    expect((await ingest(token)).status).toBe(401);
    const { rows } = await h.db.pool.query("SELECT 1 FROM users WHERE email = 'stranger@example.com'");
    expect(rows).toHaveLength(0);
    // No email claim at all.
    await refusedEverywhere(await supabaseToken({ sub: 'x' }));
  });

  it('refuses alg none, expired, wrong audience, wrong issuer, another secret and HS512', async () => {
    const bob = await signUp(h.app, 'Bob');
    const claims = { sub: 'b', email: bob.email };
    await refusedEverywhere(new UnsecuredJWT(claims).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').encode());
    await refusedEverywhere(await supabaseToken(claims, { exp: Math.floor(Date.now() / 1000) - 60 }), 'DW_ERR_TOKEN_EXPIRED');
    await refusedEverywhere(await supabaseToken(claims, { aud: 'anon' }));
    await refusedEverywhere(await supabaseToken(claims, { iss: 'https://evil.supabase.co/auth/v1' }));
    await refusedEverywhere(await supabaseToken(claims, { secret: 'another-secret-of-at-least-thirty-two-characters' }));
    await refusedEverywhere(await supabaseToken(claims, { alg: 'HS512' }));
    // A token without exp is refused too (requiredClaims).
    const noExp = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuer(ISSUER).setAudience(AUDIENCE).sign(new TextEncoder().encode(SECRET));
    await refusedEverywhere(noExp);
  });

  it('algorithm confusion: HS256 keyed with our public key (JWK or PEM) and an ES256 header on an HMAC signature are refused', async () => {
    const carol = await signUp(h.app, 'Carol');
    const ours = h.tokens.jwks().keys[0];
    const pem = await exportSPKI(await importJWK(ours, 'ES256') as CryptoKey);
    const ourClaims = { sub: carol.user.id, email: carol.email, role: 'owner', tenant_id: carol.user.tenant_id, session_id: '00000000-0000-4000-8000-000000000000' };
    for (const keyBytes of [JSON.stringify(ours), pem]) {
      const forged = await new SignJWT(ourClaims).setProtectedHeader({ alg: 'HS256', kid: ours.kid })
        .setIssuer('driftwatch').setAudience('driftwatch').setExpirationTime('1h').sign(new TextEncoder().encode(keyBytes));
      await refusedEverywhere(forged);
    }
    // Header claims ES256 with our kid; the signature is an HMAC (with the external secret, or our public key).
    for (const hmacKey of [SECRET, pem]) {
      const header = b64({ alg: 'ES256', kid: ours.kid, typ: 'JWT' });
      const payload = b64({ ...ourClaims, iss: 'driftwatch', aud: 'driftwatch', exp: Math.floor(Date.now() / 1000) + 600 });
      const sig = createHmac('sha256', hmacKey).update(`${header}.${payload}`).digest();
      await refusedEverywhere(`${header}.${payload}.${b64(sig)}`);
    }
  });
});

describe('without EXTERNAL_JWT_SECRET', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('an HS256 token is refused, even a well-signed one for an existing user; a short secret is refused at start', async () => {
    const dora = await signUp(h.app, 'Dora');
    const token = await supabaseToken({ sub: 'd', email: dora.email });
    const r = await call(h.app, 'GET', '/api/v1/user', { token });
    expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const resolver = new PrincipalResolver(h.db.pool, h.tokens, { cacheMs: 0 });
    await expect(resolver.resolve(`Bearer ${token}`)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    expect(() => loadConfig({ env: { EXTERNAL_JWT_SECRET: 'short' } })).toThrow(/EXTERNAL_JWT_SECRET .* at least 32 characters/);
  });

  it('our own tokens: expired and wrong-audience ones are refused', async () => {
    const erin = await signUp(h.app, 'Erin');
    const opts = { issuer: h.config.jwtIssuer, audience: h.config.jwtAudience, ttlSeconds: 1 };
    const shortLived = await new TokenService(h.db.pool, opts).init();
    // The same key, issuing by a clock 2 s behind: its tokens expired a second ago.
    const past = await new TokenService(h.db.pool, { ...opts, now: () => Date.now() - 2_000 }).init();
    const sessionId = (await h.db.pool.query<{ id: string }>('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [erin.user.id])).rows[0].id;
    const claims = { sub: erin.user.id, email: erin.email, role: 'owner', tenant_id: erin.user.tenant_id, session_id: sessionId };
    const expiring = await shortLived.sign(claims);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: expiring })).status).toBe(200);
    const expired = await call(h.app, 'GET', '/api/v1/user', { token: await past.sign(claims) });
    expect([expired.status, codeOf(expired)]).toEqual([401, 'DW_ERR_TOKEN_EXPIRED']);
    const elsewhere = await new TokenService(h.db.pool, { issuer: h.config.jwtIssuer, audience: 'another-service', ttlSeconds: 60 }).init();
    const wrongAud = await call(h.app, 'GET', '/api/v1/user', { token: await elsewhere.sign(claims) });
    expect([wrongAud.status, codeOf(wrongAud)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });
});
