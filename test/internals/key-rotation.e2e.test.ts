// Signing-key rotation without downtime (TokenService.rotate, `driftwatch keys rotate`): the new
// key is published at once and signs PUBLISH_MS later, when every instance knows it; tokens
// signed before keep verifying, and the old key stays in the JWKS, until they have expired; then
// it is dropped. A token with an unknown kid is refused at once (issue 12, High 1).
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PUBLISH_MS, RELOAD_MS, RETIRED_GRACE_SECONDS, TokenService } from '../../src/core/auth/jwt.js';
import { packageRoot } from '../../src/core/paths.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const run = promisify(execFile);
let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const OPTS = { issuer: 'dw', audience: 'dw', ttlSeconds: 60 };
const claims = { sub: 'u1', email: 'a@b.c', role: 'owner', tenant_id: 't1', session_id: 's1' };
const kidOf = (token: string): string => decodeProtectedHeader(token).kid!;

describe('signing-key rotation', () => {
  it('the next key is published before it signs; tokens of the old key verify on every instance until they expire; then the old key is dropped', async () => {
    const a = await new TokenService(db.pool, OPTS).init();
    // The first key has signed for a while (a key younger than PUBLISH_MS is not yet "published").
    await db.pool.query(`UPDATE signing_keys SET created_at = now() - make_interval(secs => $1)`, [PUBLISH_MS / 1000 + 60]);
    const b = await new TokenService(db.pool, OPTS).init(); // another instance (the engine, a second control API)
    const before = await b.sign(claims);
    const oldKid = kidOf(before);

    const newKid = await a.rotate();
    expect(newKid).not.toBe(oldKid);
    // Published at once (JWKS, verification), but the old key still signs until PUBLISH_MS has passed.
    expect(kidOf(await a.sign(claims))).toBe(oldKid);
    expect(a.jwks().keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await a.list()).map((k) => [k.kid, k.state])).toEqual([[newKid, 'next'], [oldKid, 'signing']]);

    // PUBLISH_MS later (moved back in the table): the new key signs, on a fresh instance and on a.
    await db.pool.query(`UPDATE signing_keys SET created_at = created_at - make_interval(secs => $1), retired_at = retired_at - make_interval(secs => $1)`, [PUBLISH_MS / 1000 + 1]);
    const c = await new TokenService(db.pool, OPTS).init();
    const after = await c.sign(claims);
    expect(kidOf(after)).toBe(newKid);
    expect((await c.list()).map((k) => [k.kid, k.state])).toEqual([[newKid, 'signing'], [oldKid, 'retired']]);

    // b has not reloaded since before the rotation: the unknown kid is refused at once (no wait
    // on a reload) and the keys are reloaded in the background; the next try verifies.
    const t0 = performance.now();
    await expect(b.verify(after)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    expect(performance.now() - t0).toBeLessThan(500);
    await vi.waitFor(async () => { expect((await b.verify(after)).sub).toBe('u1'); }, { timeout: 5_000, interval: 100 });
    expect((await b.verify(before)).sub).toBe('u1');
    expect((await c.verify(before)).sub).toBe('u1');
    expect(c.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    expect(RELOAD_MS).toBeLessThan(RETIRED_GRACE_SECONDS * 1000);
    expect(PUBLISH_MS).toBeGreaterThanOrEqual(2 * RELOAD_MS);

    // The old key's last tokens have expired (retired longer ago than ttl + grace): dropped.
    await db.pool.query(`UPDATE signing_keys SET retired_at = now() - make_interval(secs => $1) WHERE kid = $2`, [OPTS.ttlSeconds + RETIRED_GRACE_SECONDS + 1, oldKid]);
    const d = await new TokenService(db.pool, OPTS).init();
    expect(d.jwks().keys.map((k) => k.kid)).toEqual([newKid]);
    await expect(d.verify(before)).rejects.toMatchObject({ code: 'DW_ERR_UNAUTHORIZED' });
    expect((await d.verify(after)).sub).toBe('u1');
    expect((await d.list()).find((k) => k.kid === oldKid)?.state).toBe('expired');
    // The next rotation deletes it from the table.
    await d.rotate();
    expect((await db.pool.query('SELECT 1 FROM signing_keys WHERE kid = $1', [oldKid])).rowCount).toBe(0);
  });

  it('a made-up kid is refused at once, however many arrive, and reloads the keys at most once a second', async () => {
    const a = await new TokenService(db.pool, OPTS).init();
    const real = await a.sign(claims);
    const [h, p, sig] = real.split('.');
    const header = JSON.parse(Buffer.from(h, 'base64url').toString());
    const forged = (kid: string) => `${Buffer.from(JSON.stringify({ ...header, kid })).toString('base64url')}.${p}.${sig}`;
    let queries = 0;
    const query = db.pool.query.bind(db.pool);
    (db.pool as { query: unknown }).query = (...args: Parameters<typeof query>) => { if (String(args[0]).includes('FROM signing_keys')) queries++; return query(...args); };
    try {
      const t0 = performance.now();
      const answers = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => a.verify(forged(`made-up-${i}`))));
      expect(performance.now() - t0).toBeLessThan(500);
      for (const r of answers) expect(r).toMatchObject({ status: 'rejected', reason: { code: 'DW_ERR_UNAUTHORIZED' } });
      await new Promise((r) => setTimeout(r, 1_200)); // kept: shows an absence (no more reloads) past the 1 s reload window
      expect(queries).toBeLessThanOrEqual(2);
    } finally {
      (db.pool as { query: unknown }).query = query;
    }
  });

  it('two rotations at once leave exactly one signing key', async () => {
    const a = await new TokenService(db.pool, OPTS).init();
    const b = await new TokenService(db.pool, OPTS).init();
    const [k1, k2] = await Promise.all([a.rotate(), b.rotate()]);
    const { rows } = await db.pool.query<{ kid: string }>('SELECT kid FROM signing_keys WHERE retired_at IS NULL');
    expect(rows).toHaveLength(1);
    expect([k1, k2]).toContain(rows[0].kid);
  });

  it('`driftwatch keys rotate` and `keys list` on a database', async () => {
    const cli = join(packageRoot, 'dist', 'bin', 'driftwatch.js');
    const env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'silent' };
    // Keys that have signed for a while (none younger than PUBLISH_MS).
    await db.pool.query(`UPDATE signing_keys SET created_at = created_at - make_interval(secs => $1)`, [PUBLISH_MS / 1000 + 60]);
    const before = (await db.pool.query<{ kid: string }>('SELECT kid FROM signing_keys WHERE retired_at IS NULL')).rows[0].kid;
    const r = await run(process.execPath, [cli, 'keys', 'rotate'], { env });
    const kid = /new signing key ([0-9a-f-]{36})/.exec(r.stdout)?.[1];
    expect(kid, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`${kid}  next`);
    expect(r.stdout).toContain(`${before}  signing`);
    const list = await run(process.execPath, [cli, 'keys', 'list'], { env });
    expect(list.stdout.split('\n')[0]).toMatch(new RegExp(`^${kid}  next`));
    await expect(run(process.execPath, [cli, 'keys', 'spin'], { env })).rejects.toMatchObject({ code: 2 });
  });
});
