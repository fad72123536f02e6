// Signing-key rotation without downtime (TokenService.rotate, `driftwatch keys rotate`): the new
// key signs at once here and within RELOAD_MS on other instances; tokens signed before keep
// verifying, and the old key stays in the JWKS, until they have expired; then it is dropped.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELOAD_MS, RETIRED_GRACE_SECONDS, TokenService } from '../../src/core/auth/jwt.js';
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
  it('the new key signs; tokens of the old key verify on every instance until they expire; then the old key is dropped', async () => {
    const a = await new TokenService(db.pool, OPTS).init();
    const b = await new TokenService(db.pool, OPTS).init(); // another instance (the engine, a second control API)
    const before = await a.sign(claims);
    const oldKid = kidOf(before);

    const newKid = await a.rotate();
    expect(newKid).not.toBe(oldKid);
    const after = await a.sign(claims);
    expect(kidOf(after)).toBe(newKid);
    // Both keys published; only the new one signs.
    expect(a.jwks().keys.map((k) => k.kid).sort()).toEqual([oldKid, newKid].sort());
    expect((await a.list()).map((k) => [k.kid, k.state])).toEqual([[newKid, 'signing'], [oldKid, 'retired']]);

    // b has not reloaded: it verifies the new key's token (an unknown kid makes it reload) and the old one.
    expect((await b.verify(after)).sub).toBe('u1');
    expect((await b.verify(before)).sub).toBe('u1');
    expect((await a.verify(before)).sub).toBe('u1');
    // A fresh instance too (the old key is within its grace).
    const c = await new TokenService(db.pool, OPTS).init();
    expect((await c.verify(before)).sub).toBe('u1');
    expect(c.jwks().keys.map((k) => k.kid)).toContain(oldKid);
    expect(RELOAD_MS).toBeLessThan(RETIRED_GRACE_SECONDS * 1000);

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
    const before = (await db.pool.query<{ kid: string }>('SELECT kid FROM signing_keys WHERE retired_at IS NULL')).rows[0].kid;
    const r = await run(process.execPath, [cli, 'keys', 'rotate'], { env });
    const kid = /new signing key ([0-9a-f-]{36})/.exec(r.stdout)?.[1];
    expect(kid, r.stdout).toBeDefined();
    expect(r.stdout).toContain(`${kid}  signing`);
    expect(r.stdout).toContain(`${before}  retired`);
    const list = await run(process.execPath, [cli, 'keys', 'list'], { env });
    expect(list.stdout.split('\n')[0]).toMatch(new RegExp(`^${kid}  signing`));
    await expect(run(process.execPath, [cli, 'keys', 'spin'], { env })).rejects.toMatchObject({ code: 2 });
  });
});
