import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT } from 'jose';
import { createApiKey, findApiKey } from '../../src/core/auth/api-keys.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { hashPassword, verifyPassword } from '../../src/core/auth/passwords.js';
import { PrincipalResolver } from '../../src/core/auth/principal.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('auth primitives against PostgreSQL', () => {
  it('API keys: created once, found by hash, revocation honoured after the cache window', async () => {
    const t = await createTenant(db.pool, 'Acme');
    const k = await createApiKey(db.pool, t.id, { name: 'agent' });
    expect(k.key).toMatch(/^dw_[A-Za-z0-9_-]{32}$/);
    const rec = await findApiKey(db.pool, k.key);
    expect(rec?.tenantId).toBe(t.id);
    const used = async (): Promise<Date | null> =>
      (await db.pool.query<{ last_used_at: Date | null }>('SELECT last_used_at FROM api_keys WHERE id = $1', [k.id])).rows[0].last_used_at;
    const first = await used();
    expect(first).not.toBeNull();
    expect((await findApiKey(db.pool, k.key))?.id).toBe(k.id);
    expect(await used()).toEqual(first); // touched at most once a minute
    expect(await findApiKey(db.pool, k.key.slice(0, -1) + (k.key.endsWith('x') ? 'y' : 'x'))).toBeNull(); // (a key ending in x: 1 in 64)
    const tokens = await new TokenService(db.pool, { issuer: 'dw', audience: 'dw', ttlSeconds: 60 }).init();
    const resolver = new PrincipalResolver(db.pool, tokens, { cacheMs: 0 });
    expect((await resolver.resolve(`Bearer ${k.key}`)).tenantId).toBe(t.id);
    await db.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [k.id]);
    await expect(resolver.resolve(`Bearer ${k.key}`)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    await expect(resolver.resolve(undefined)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
  });

  it('JWTs: ES256 with kid, verified by a second service on the same keys; none and HS256 refused', async () => {
    const a = await new TokenService(db.pool, { issuer: 'dw', audience: 'dw', ttlSeconds: 60 }).init();
    const token = await a.sign({ sub: 'u1', email: 'a@b.c', role: 'owner', tenant_id: 't1', session_id: 's1' });
    const b = await new TokenService(db.pool, { issuer: 'dw', audience: 'dw', ttlSeconds: 60 }).init();
    expect((await b.verify(token)).tenant_id).toBe('t1');
    expect(a.jwks().keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(a.jwks().keys[0]).not.toHaveProperty('d');
    const none = new UnsecuredJWT({ sub: 'u1', tenant_id: 't1', session_id: 's1' }).setIssuer('dw').setAudience('dw').encode();
    await expect(b.verify(none)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    // Algorithm confusion: HS256 with the real kid, keyed with the published public key.
    const kid = a.jwks().keys[0].kid!;
    const hs = await new SignJWT({ sub: 'u1', tenant_id: 't1', session_id: 's1' }).setProtectedHeader({ alg: 'HS256', kid })
      .setIssuer('dw').setAudience('dw').setExpirationTime('1m').sign(new TextEncoder().encode(JSON.stringify(a.jwks().keys[0])));
    await expect(b.verify(hs)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    const other = await new TokenService(db.pool, { issuer: 'dw', audience: 'someone-else', ttlSeconds: 60 }).init();
    await expect(other.verify(token)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
  });

  it('passwords: argon2id, verify true/false', async () => {
    const h = await hashPassword('correct horse');
    expect(h).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await verifyPassword(h, 'correct horse')).toBe(true);
    expect(await verifyPassword(h, 'wrong')).toBe(false);
  });
});

describe('sessions in the shared resolver', () => {
  it('an access token stops working in both servers once its session is revoked', async () => {
    const t = await createTenant(db.pool, 'Sessions');
    const { rows: [u] } = await db.pool.query<{ id: string }>(
      "INSERT INTO users (tenant_id, email, username, password_hash) VALUES ($1, 's@example.com', 's', 'x') RETURNING id", [t.id]);
    const { rows: [s] } = await db.pool.query<{ id: string }>('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [u.id]);
    const tokens = await new TokenService(db.pool, { issuer: 'dw', audience: 'dw', ttlSeconds: 60 }).init();
    const token = await tokens.sign({ sub: u.id, email: 's@example.com', role: 'owner', tenant_id: t.id, session_id: s.id });
    const resolver = new PrincipalResolver(db.pool, tokens, { cacheMs: 0 });
    expect((await resolver.resolve(`Bearer ${token}`)).subject).toBe(u.id);
    await db.pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1', [s.id]);
    resolver.sessions.forget(s.id);
    await expect(resolver.resolve(`Bearer ${token}`)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
  });
});
