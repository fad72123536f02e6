// Self-hosting without Stripe (issue 13, item 7): `driftwatch tenants list | set-plan`,
// `driftwatch api-keys create --tenant` and `driftwatch users reset-password`, each run as a
// child process against a fresh database, each audited; with billing on, set-plan refuses.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findApiKey } from '../../src/core/auth/api-keys.js';
import { hashPassword, verifyPassword } from '../../src/core/auth/passwords.js';
import { packageRoot } from '../../src/core/paths.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const cli = join(packageRoot, 'dist', 'bin', 'driftwatch.js');
let db: TestDatabase;
let tenant: { id: string; slug: string };
let userId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  tenant = await createTenant(db.pool, 'Self Hosted');
  userId = (await db.pool.query<{ id: string }>(
    `INSERT INTO users (tenant_id, email, username, password_hash) VALUES ($1, 'ops@example.com', 'ops', $2) RETURNING id`,
    [tenant.id, await hashPassword('an old passphrase 123')])).rows[0].id;
});
afterAll(async () => { await db?.drop(); });

function run(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number | null; out: string }> {
  const { STRIPE_SECRET_KEY: _s, ...base } = process.env;
  const child = spawn(process.execPath, [cli, ...args], { env: { ...base, DATABASE_URL: db.url, LOG_LEVEL: 'warn', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  child.stdin.end(stdin ?? '');
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

const audit = async (action: string) => (await db.pool.query<{ tenant_id: string; actor_kind: string; target: string; details: Record<string, unknown> }>(
  'SELECT tenant_id, actor_kind, target, details FROM audit_log WHERE action = $1 ORDER BY id', [action])).rows;
const planOf = async (): Promise<string> => (await db.pool.query<{ plan: string }>('SELECT plan FROM tenants WHERE id = $1', [tenant.id])).rows[0].plan;

describe('driftwatch tenants / api-keys / users (issue 13, item 7)', () => {
  it('tenants list, then set-plan moves a tenant to a plan, audited; an unknown plan exits 2', async () => {
    const list = await run(['tenants', 'list']);
    expect(list.code).toBe(0);
    expect(list.out).toContain(tenant.id);
    expect(list.out).toMatch(/self-hosted\s+free/);
    const set = await run(['tenants', 'set-plan', tenant.slug, 'business']);
    expect([set.code, set.out]).toEqual([0, expect.stringContaining('plan free -> business')]);
    expect(await planOf()).toBe('business');
    expect(await audit('tenant.plan_set')).toEqual([{ tenant_id: tenant.id, actor_kind: 'system', target: `tenant:${tenant.id}`, details: { via: 'cli', from: 'free', to: 'business' } }]);
    const bad = await run(['tenants', 'set-plan', tenant.id, 'platinum']);
    expect(bad.code).toBe(2);
    expect(bad.out).toMatch(/no plan "platinum" \(plans: business, free, pro\)/);
  });

  it('with billing on (STRIPE_SECRET_KEY), set-plan refuses and says Stripe decides', async () => {
    const before = await planOf();
    const r = await run(['tenants', 'set-plan', tenant.slug, 'pro'], { STRIPE_SECRET_KEY: 'sk_test_123' });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/billing is on .*Stripe/);
    expect(await planOf()).toBe(before);
  });

  it('api-keys create --tenant prints a working key with the scopes asked for, audited', async () => {
    const r = await run(['api-keys', 'create', '--tenant', tenant.slug, '--scope', 'ingest']);
    expect(r.code).toBe(0);
    const key = r.out.trim().split('\n').at(-1)!;
    expect(await findApiKey(db.pool, key)).toMatchObject({ tenantId: tenant.id, scopes: ['ingest'] });
    expect(await audit('api_key.create')).toEqual([expect.objectContaining({ tenant_id: tenant.id, actor_kind: 'system', details: { via: 'cli', scopes: ['ingest'], name: 'cli' } })]);
    const bad = await run(['api-keys', 'create', '--tenant', tenant.slug, '--scope', 'admin']);
    expect(bad.code).toBe(2);
  });

  it('users reset-password prints a new password once (or reads one from stdin) and revokes the sessions, audited', async () => {
    await db.pool.query('INSERT INTO sessions (user_id) VALUES ($1), ($1)', [userId]);
    const r = await run(['users', 'reset-password', 'OPS@example.com']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('2 session(s) revoked');
    const password = /new password \(shown only this once\): (\S+)/.exec(r.out)![1];
    const hash = async (): Promise<string> => (await db.pool.query<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [userId])).rows[0].password_hash;
    expect(await verifyPassword(await hash(), password)).toBe(true);
    expect(await verifyPassword(await hash(), 'an old passphrase 123')).toBe(false);
    expect((await db.pool.query('SELECT 1 FROM sessions WHERE user_id = $1 AND revoked_at IS NULL', [userId])).rowCount).toBe(0);
    const piped = await run(['users', 'reset-password', 'ops@example.com', '--password-stdin'], {}, 'correct horse battery staple 7\n');
    expect(piped.code).toBe(0);
    expect(piped.out).not.toContain('correct horse');
    expect(await verifyPassword(await hash(), 'correct horse battery staple 7')).toBe(true);
    expect((await run(['users', 'reset-password', 'ops@example.com', '--password-stdin'], {}, 'password\n')).code).not.toBe(0);
    expect((await audit('user.password_reset')).map((a) => a.target)).toEqual(['ops@example.com', 'ops@example.com']);
  });
});
