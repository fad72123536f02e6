// Self-hosting without Stripe: the administration commands an operator runs against the
// database (issue 13, item 7). Every change is written to the audit log (actor 'system', details.via 'cli').
//
//   tenants list                              ─▶ id, slug, plan, users, API keys, name
//   tenants set-plan <tenant> <plan>          ─▶ UPDATE tenants.plan (refused while billing is on: Stripe's state wins)
//   api-keys create --tenant <id|slug> [--scope ingest,read] [--name n]   ─▶ the key, printed once
//   users reset-password <email> [--password-stdin]   ─▶ a new password (printed once, or read from stdin);
//                                                       every session of the user revoked
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { AuditLog, type AuditAction } from '../core/audit.js';
import { API_KEY_SCOPES, createApiKey } from '../core/auth/api-keys.js';
import { assertStrongPassword } from '../core/auth/password-policy.js';
import { hashPassword } from '../core/auth/passwords.js';
import type { Config } from '../core/config.js';
import { openDatabase } from '../core/db.js';
import type { Logger } from '../core/log.js';
import { runningEmbedded } from './billing-cli.js';

export const ADMIN_COMMANDS: Readonly<Record<string, Readonly<Record<string, string>>>> = Object.freeze({
  tenants: { list: 'every tenant: id, slug, plan, users, API keys, name', 'set-plan': '<tenant id or slug> <plan>: move a tenant to a plan (refused while STRIPE_SECRET_KEY is set: billing decides plans)' },
  'api-keys': { create: '--tenant <id or slug> [--scope ingest,read] [--name <name>]: a new API key, printed once' },
  users: { 'reset-password': '<email> [--password-stdin]: a new password (random and printed once, or read from stdin); the user\'s sessions are revoked' },
});

/** The flags the admin commands take (not configuration options). */
export const ADMIN_FLAGS: Readonly<Record<string, string>> = Object.freeze({ '--tenant': '', '--scope': '', '--name': '', '--password-stdin': '' });

export function adminUsage(command: string): string {
  return [`Usage: driftwatch ${command} <${Object.keys(ADMIN_COMMANDS[command]).join('|')}> ...`, '',
    ...Object.entries(ADMIN_COMMANDS[command]).map(([c, d]) => `  ${c.padEnd(15)} ${d}`), '',
    'They use the same options as the servers (DATABASE_URL, or the embedded PostgreSQL of the data directory).'].join('\n');
}

async function tenantOf(pool: pg.Pool, ref: string | undefined): Promise<{ id: string; slug: string; plan: string }> {
  if (ref === undefined || ref === '') throw new TypeError('name a tenant (its id or slug; driftwatch tenants list)');
  const { rows } = await pool.query<{ id: string; slug: string; plan: string }>('SELECT id, slug, plan FROM tenants WHERE id::text = $1 OR slug = $1', [ref]);
  if (rows.length === 0) throw new TypeError(`no tenant ${JSON.stringify(ref)} (driftwatch tenants list)`);
  return rows[0];
}

interface Run { pool: pg.Pool; config: Readonly<Config>; audit: AuditLog; out: (s: string) => void; args: string[]; flags: Record<string, string>; readStdin: () => Promise<string> }

const cli = { actorUserId: null, actorKind: 'system' as const, ip: null };
const record = (r: Run, tenantId: string | null, action: AuditAction, target: string, details: Record<string, unknown>): Promise<boolean> =>
  r.audit.record({ ...cli, tenantId, action, target, details: { via: 'cli', ...details } });

async function tenants(sub: string, r: Run): Promise<number> {
  if (sub === 'list') {
    const { rows } = await r.pool.query<{ id: string; slug: string; plan: string; name: string; users: number; keys: number }>(
      `SELECT t.id, t.slug, t.plan, t.name,
              (SELECT count(*)::int FROM users u WHERE u.tenant_id = t.id) AS users,
              (SELECT count(*)::int FROM api_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL) AS keys
         FROM tenants t ORDER BY t.created_at`);
    for (const t of rows) r.out(`${t.id}  ${t.slug.padEnd(24)} ${t.plan.padEnd(10)} users ${t.users}  keys ${t.keys}  ${t.name}`);
    return 0;
  }
  const [ref, plan] = r.args;
  if (r.config.stripeSecretKey !== undefined) {
    throw new Error('billing is on (STRIPE_SECRET_KEY is set): Stripe\'s subscriptions decide plans, and a plan set here would be overwritten by the next webhook; change the subscription in Stripe instead');
  }
  const t = await tenantOf(r.pool, ref);
  if (plan === undefined) throw new TypeError('name a plan: driftwatch tenants set-plan <tenant> <plan>');
  const known = (await r.pool.query<{ id: string }>('SELECT id FROM plans ORDER BY id')).rows.map((p) => p.id);
  if (!known.includes(plan)) throw new TypeError(`no plan ${JSON.stringify(plan)} (plans: ${known.join(', ')})`);
  await r.pool.query('UPDATE tenants SET plan = $2 WHERE id = $1', [t.id, plan]);
  await record(r, t.id, 'tenant.plan_set', `tenant:${t.id}`, { from: t.plan, to: plan });
  r.out(`tenant ${t.slug} (${t.id}): plan ${t.plan} -> ${plan} (engines read it within QUOTA_REFRESH_MS)`);
  return 0;
}

async function apiKeys(r: Run): Promise<number> {
  const t = await tenantOf(r.pool, r.flags['--tenant']);
  const scopes = (r.flags['--scope'] ?? API_KEY_SCOPES.join(',')).split(',').map((s) => s.trim()).filter((s) => s !== '');
  const bad = scopes.find((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
  if (bad !== undefined || scopes.length === 0) throw new TypeError(`--scope takes ${API_KEY_SCOPES.join(', ')} (comma-separated), not ${JSON.stringify(bad ?? '')}`);
  const k = await createApiKey(r.pool, t.id, { name: r.flags['--name'] ?? 'cli', scopes });
  await record(r, t.id, 'api_key.create', `api_key:${k.id}`, { scopes: k.scopes, name: k.name });
  r.out(`API key ${k.id} for tenant ${t.slug} (scopes ${k.scopes.join(',')}); shown only this once:`);
  r.out(k.key);
  return 0;
}

async function users(r: Run): Promise<number> {
  const email = r.args[0];
  if (email === undefined) throw new TypeError('name the user: driftwatch users reset-password <email>');
  const { rows } = await r.pool.query<{ id: string; tenant_id: string; email: string }>('SELECT id, tenant_id, email FROM users WHERE lower(email) = lower($1)', [email]);
  if (rows.length === 0) throw new TypeError(`no user with the email ${JSON.stringify(email)}`);
  const u = rows[0];
  const fromStdin = '--password-stdin' in r.flags;
  const password = fromStdin ? (await r.readStdin()).replace(/\r?\n$/, '') : randomBytes(15).toString('base64url');
  assertStrongPassword(password, u.email);
  await r.pool.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [u.id, await hashPassword(password)]);
  const revoked = (await r.pool.query('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL', [u.id])).rowCount ?? 0;
  await record(r, u.tenant_id, 'user.password_reset', u.email, { sessions_revoked: revoked });
  r.out(`password of ${u.email} reset; ${revoked} session(s) revoked`);
  if (!fromStdin) r.out(`new password (shown only this once): ${password}`);
  return 0;
}

/** Runs `driftwatch <command> <sub> ...`; returns the exit status. */
export async function runAdmin(
  command: string, sub: string, args: string[], flags: Record<string, string>, config: Readonly<Config>, log: Logger,
  out: (s: string) => void, readStdin: () => Promise<string>,
): Promise<number> {
  const subs = ADMIN_COMMANDS[command];
  if (!(sub in subs)) throw new TypeError(`${command} needs a subcommand: ${Object.keys(subs).join(' | ')} (got ${JSON.stringify(sub)})`);
  const running = await runningEmbedded(config);
  const db = await openDatabase(running === undefined ? config : { ...config, databaseUrl: running }, log.child({ component: 'db' }), 2);
  try {
    const r: Run = { pool: db.pool, config, audit: new AuditLog(db.pool, log), out, args, flags, readStdin };
    if (command === 'tenants') return await tenants(sub, r);
    if (command === 'api-keys') return await apiKeys(r);
    return await users(r);
  } finally {
    await db.close();
  }
}
