// Issue 12, lows (tokens): an access token without exp, or with an iat in the future, was
// accepted; a correctly signed token whose tenant_id differed from its session's user's tenant
// acted in that other tenant. Tokens are forged here with the server's own signing key (as one
// leaked key, or a bug in signing, would allow).
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, insertAnomaly, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
let claims: Record<string, unknown>;
let header: { alg: string; kid: string };
let key: CryptoKey | Uint8Array;

beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  await insertAnomaly(h, bob.user.tenant_id);
  const [, body] = alice.token.split('.');
  claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as Record<string, unknown>;
  header = JSON.parse(Buffer.from(alice.token.split('.')[0], 'base64url').toString()) as { alg: string; kid: string };
  const { rows } = await h.db.pool.query<{ private_jwk: JWK }>('SELECT private_jwk FROM signing_keys WHERE kid = $1', [header.kid]);
  key = await importJWK(rows[0].private_jwk, 'ES256');
});
afterAll(async () => { await h?.close(); });

const sign = (c: Record<string, unknown>): Promise<string> => new SignJWT(c).setProtectedHeader(header).sign(key);

describe('access tokens', () => {
  it('the genuine token works', async () => {
    expect((await call(h.app, 'GET', '/api/v1/anomalies', { token: alice.token })).status).toBe(200);
  });

  it('refuses a token without exp', async () => {
    const { exp: _exp, ...c } = claims;
    const r = await call(h.app, 'GET', '/api/v1/anomalies', { token: await sign(c) });
    expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });

  it('refuses a token issued an hour in the future', async () => {
    const r = await call(h.app, 'GET', '/api/v1/anomalies', { token: await sign({ ...claims, iat: Math.floor(Date.now() / 1000) + 3600, exp: Math.floor(Date.now() / 1000) + 7200 }) });
    expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });

  it("takes tenant and role from the session's user, not from the claims", async () => {
    const r = await call(h.app, 'GET', '/api/v1/anomalies', { token: await sign({ ...claims, tenant_id: bob.user.tenant_id }) });
    expect(r.status).toBe(200);
    expect(r.body.anomalies ?? r.body.data ?? r.body).toHaveLength(0);
  });
});
