// Issue 12, remaining item: a maximum token lifetime. A correctly signed access token that said
// it lived for a year (exp - iat), or had no iat and an exp a year ahead, was accepted by the
// control API and the engine for that whole year: ours (forged here with the server's own
// signing key, as a leaked key or a signing bug would allow) and the external issuer's HS256
// ones. Now any token claiming more than MAX_ACCESS_TOKEN_LIFETIME_SECONDS (default 24 h) gets
// 401 DW_ERR_TOKEN_LIFETIME; the tokens we issue stay under it.
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';
import { startHarness as startEngineHarness, logEvent, type Harness as EngineHarness } from '../engine/harness.js';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const DAY = 86_400;
const now = (): number => Math.floor(Date.now() / 1000);

/** Signs `claims` with an ES256 key from signing_keys (the server's own) under its kid. */
async function ownSigner(pool: pg.Pool): Promise<(c: Record<string, unknown>) => Promise<string>> {
  const { rows } = await pool.query<{ kid: string; private_jwk: JWK }>('SELECT kid, private_jwk FROM signing_keys ORDER BY created_at DESC LIMIT 1');
  const key = await importJWK(rows[0].private_jwk, 'ES256') as CryptoKey;
  return (c) => new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: rows[0].kid, typ: 'JWT' }).sign(key);
}

/** An external issuer's HS256 token: only the claims given (no iat or exp unless passed). */
const external = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT({ role: 'authenticated', sub: 'ext-1', aud: 'authenticated', ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(SECRET));

describe('control API: tokens claiming a lifetime over MAX_ACCESS_TOKEN_LIFETIME_SECONDS', () => {
  let h: Harness;
  let alice: SignedUp;
  let claims: Record<string, unknown>;
  let sign: (c: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    h = await startHarness({ externalJwtSecret: SECRET });
    alice = await signUp(h.app, 'Alice');
    claims = JSON.parse(Buffer.from(alice.token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;
    sign = await ownSigner(h.db.pool);
  });
  afterAll(async () => { await h?.close(); });

  it('our own issued token is under the maximum and works', async () => {
    expect((claims.exp as number) - (claims.iat as number)).toBe(h.config.accessTokenTtlSeconds);
    expect(h.config.maxAccessTokenLifetimeSeconds).toBe(DAY);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: alice.token })).status).toBe(200);
  });

  it('ours: exp - iat of a year is refused with DW_ERR_TOKEN_LIFETIME; 23 h is accepted', async () => {
    const long = await call(h.app, 'GET', '/api/v1/user', { token: await sign({ ...claims, iat: now(), exp: now() + 365 * DAY }) });
    expect([long.status, codeOf(long)]).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    const justOver = await call(h.app, 'GET', '/api/v1/user', { token: await sign({ ...claims, iat: now() - 10, exp: now() - 10 + DAY + 1 }) });
    expect([justOver.status, codeOf(justOver)]).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    expect((await call(h.app, 'GET', '/api/v1/user', { token: await sign({ ...claims, iat: now(), exp: now() + 23 * 3600 }) })).status).toBe(200);
  });

  it('external HS256: a year-long token is refused, with iat or without; an hour-long one (with or without iat) signs in', async () => {
    for (const c of [{ iat: now(), exp: now() + 365 * DAY }, { exp: now() + 30 * DAY }, { iat: now() - 3600, exp: now() + DAY }]) {
      const r = await call(h.app, 'GET', '/api/v1/user', { token: await external({ email: alice.email, ...c }) });
      expect([r.status, codeOf(r)], JSON.stringify(c)).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    }
    for (const c of [{ iat: now(), exp: now() + 3600 }, { exp: now() + 3600 }]) {
      expect((await call(h.app, 'GET', '/api/v1/user', { token: await external({ email: alice.email, ...c }) })).status, JSON.stringify(c)).toBe(200);
    }
  });

  it('the maximum is configurable, and a TTL over it refuses to start', async () => {
    expect(() => loadConfig({ env: { ACCESS_TOKEN_TTL_SECONDS: '7200', MAX_ACCESS_TOKEN_LIFETIME_SECONDS: '3600' } }))
      .toThrow(/ACCESS_TOKEN_TTL_SECONDS .*must not exceed MAX_ACCESS_TOKEN_LIFETIME_SECONDS/);
    expect(() => new TokenService(h.db.pool, { issuer: 'i', audience: 'a', ttlSeconds: 7200, maxLifetimeSeconds: 3600 })).toThrow(TypeError);
    const strict = await startHarness({ externalJwtSecret: SECRET, maxAccessTokenLifetimeSeconds: 1800 });
    try {
      const bob = await signUp(strict.app, 'Bob');
      expect((await call(strict.app, 'GET', '/api/v1/user', { token: bob.token })).status).toBe(200); // 900 s: under 1800
      const r = await call(strict.app, 'GET', '/api/v1/user', { token: await external({ email: bob.email, iat: now(), exp: now() + 3600 }) });
      expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    } finally {
      await strict.close();
    }
  });
});

describe('engine: the same refusal at ingest', () => {
  let e: EngineHarness;
  let sign: (c: Record<string, unknown>) => Promise<string>;

  beforeAll(async () => {
    e = await startEngineHarness({ externalJwtSecret: SECRET });
    sign = await ownSigner(e.db.pool);
  });
  afterAll(async () => { await e?.close(); });

  const ingestWith = async (token: string): Promise<[number, string | undefined]> => {
    const res = await fetch(`${e.url}/api/v1/events/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify([logEvent('x')]),
    });
    const body = await res.json() as { error?: { code?: string } };
    return [res.status, body.error?.code];
  };

  it('ours and external: a year-long token gets 401 DW_ERR_TOKEN_LIFETIME before any session or user lookup', async () => {
    const base = { sub: '00000000-0000-4000-8000-000000000001', email: 'x@example.com', role: 'owner', tenant_id: e.tenantA.id, session_id: '00000000-0000-4000-8000-000000000002', iss: 'driftwatch', aud: 'driftwatch' };
    expect(await ingestWith(await sign({ ...base, iat: now(), exp: now() + 365 * DAY }))).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    expect(await ingestWith(await external({ email: 'nobody@example.com', exp: now() + 365 * DAY }))).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    // The same tokens with a short life pass the lifetime check and fail later (no such session or user).
    expect(await ingestWith(await sign({ ...base, iat: now(), exp: now() + 600 }))).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    expect(await ingestWith(await external({ email: 'nobody@example.com', exp: now() + 600 }))).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });
});
