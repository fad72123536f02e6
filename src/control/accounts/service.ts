// Accounts and sessions: register, login, refresh (single-use refresh tokens rotating inside a
// session, reuse revokes the session), logout. Each action leaves an audit row. The HTTP side
// (schemas, rate limits, status codes) is src/control/plugins/auth.ts.
//
//   register ─▶ tenant + owner user ─┐
//   login ─▶ argon2id verify ────────┴▶ sessions row ─▶ refresh token (sha256 stored) + access token (ES256)
//   refresh ─▶ mark used_at (atomic) ─▶ new refresh token in the same session
//            └▶ already used ─▶ revoke the session (every token of it stops working)
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { AuditLog } from '../../core/audit.js';
import type { TokenService } from '../../core/auth/jwt.js';
import { assertStrongPassword } from '../../core/auth/password-policy.js';
import { dummyHash, hashPassword, verifyPassword } from '../../core/auth/passwords.js';
import type { SessionGuard } from '../../core/auth/sessions.js';
import { withTransaction } from '../../core/db.js';
import { DwError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { createTenant } from '../../core/tenancy/tenants.js';
import { freeUsername, publicUser, USER_COLUMNS, usernameBase, type UserRow } from './users.js';

export const REFRESH_TOKEN_BYTES = 32;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

export interface AccountDeps {
  pool: pg.Pool;
  tokens: TokenService;
  sessions: SessionGuard;
  audit: AuditLog;
  refreshTtlSeconds: number;
}

/** Who is asking, as the audit log and the log keep it (the request's address and logger). */
export interface Caller { ip: string | null; log: Pick<Logger, 'info' | 'warn'> }

export interface TokenPair { token: string; refresh_token: string }
export interface SignedIn extends TokenPair { user: UserRow }
export interface Registration { email: string; password: string; name?: string; first_name?: string; last_name?: string }
/** The signed-in user whose session ends. */
export interface SessionOwner { sessionId: string; userId: string; tenantId: string }

/** A duplicate address gets the same words as any other refusal we cannot explain further. */
const cannotRegister = (): DwError => new DwError('DW_ERR_VALIDATION', 'could not register with these details');

async function emailTaken(db: pg.PoolClient, email: string): Promise<boolean> {
  const { rowCount } = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
  return rowCount !== 0;
}

export class AccountService {
  readonly #pool: pg.Pool;
  readonly #tokens: TokenService;
  readonly #sessions: SessionGuard;
  readonly #audit: AuditLog;
  readonly #refreshTtlSeconds: number;

  constructor(deps: AccountDeps) {
    this.#pool = deps.pool;
    this.#tokens = deps.tokens;
    this.#sessions = deps.sessions;
    this.#audit = deps.audit;
    this.#refreshTtlSeconds = deps.refreshTtlSeconds;
  }

  /** A new tenant with this user as its owner, signed in. */
  async register(r: Registration, caller: Caller): Promise<SignedIn> {
    const email = r.email.trim();
    const name = (r.name ?? `${r.first_name ?? ''} ${r.last_name ?? ''}`).trim();
    const firstName = r.first_name?.trim() ?? name.split(/\s+/)[0] ?? '';
    const base = usernameBase(firstName) ?? usernameBase(email.split('@')[0]) ?? 'user';
    // Hash before looking anything up: a taken address costs the same argon2id work as a new
    // one, so timing does not tell them apart.
    assertStrongPassword(r.password, email);
    const passwordHash = await hashPassword(r.password);
    // A duplicate address answers 400 DW_ERR_VALIDATION "could not register with these
    // details", not 409 "email taken": the answer does not confirm that the address has an
    // account. (It still differs from a success, which only an email-verification flow, where
    // every sign-up answers "check your inbox", would hide; we do not send mail yet.)
    const out = await withTransaction(this.#pool, async (db) => {
      if (await emailTaken(db, email)) throw cannotRegister();
      const tenant = await createTenant(db, name === '' ? base : name);
      const user = await this.#insertOwner(db, { tenantId: tenant.id, email, base, name, passwordHash });
      const { pair } = await this.#openSession(db, user);
      return { ...pair, user: publicUser(user) };
    });
    caller.log.info({ user_id: out.user.id, tenant_id: out.user.tenant_id }, 'user registered');
    await this.#audit.record({
      tenantId: out.user.tenant_id, actorUserId: out.user.id, actorKind: 'user', action: 'auth.register',
      target: `user:${out.user.id}`, ip: caller.ip,
    });
    return out;
  }

  async #insertOwner(db: pg.PoolClient, u: { tenantId: string; email: string; base: string; name: string; passwordHash: string }): Promise<UserRow> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const username = await freeUsername(db, u.base);
      // DO NOTHING covers both unique indexes: a concurrent sign-up with the same address
      // (then: refuse) or that just took this username (then: pick the next one).
      const { rows } = await db.query<UserRow>(
        `INSERT INTO users (tenant_id, email, username, name, password_hash, role)
         VALUES ($1, $2, $3, $4, $5, 'owner') ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
        [u.tenantId, u.email, username, u.name, u.passwordHash],
      );
      if (rows.length === 1) return rows[0];
      if (await emailTaken(db, u.email)) throw cannotRegister();
    }
    throw new DwError('DW_ERR_CONFLICT', 'could not find a free username; try again');
  }

  /** A new session for the user with this address and password, or DW_ERR_INVALID_CREDENTIALS. */
  async login(email: string, password: string, caller: Caller): Promise<SignedIn> {
    const { rows } = await this.#pool.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`, [email.trim()]);
    const user = rows[0];
    // An unknown address verifies against a dummy hash: the same work, the same answer.
    const ok = await verifyPassword(user?.password_hash ?? await dummyHash(), password);
    if (user === undefined || !ok) {
      const reason = user === undefined ? 'unknown email' : 'wrong password';
      caller.log.info({ reason }, 'login refused');
      // An unknown address has no tenant: the row is kept (tenant_id null) for operators only.
      await this.#audit.record({
        tenantId: user?.tenant_id ?? null, actorUserId: null, actorKind: 'anonymous', action: 'auth.login_failed',
        target: user === undefined ? `email:${email.trim().toLowerCase()}` : `user:${user.id}`, ip: caller.ip, details: { reason },
      });
      throw new DwError('DW_ERR_INVALID_CREDENTIALS');
    }
    const { sessionId, pair } = await withTransaction(this.#pool, (db) => this.#openSession(db, user));
    caller.log.info({ user_id: user.id, tenant_id: user.tenant_id }, 'login');
    await this.#audit.record({
      tenantId: user.tenant_id, actorUserId: user.id, actorKind: 'user', action: 'auth.login',
      target: `session:${sessionId}`, ip: caller.ip,
    });
    return { ...pair, user: publicUser(user) };
  }

  /** Trades a refresh token (single use) for a new pair, or DW_ERR_REFRESH_TOKEN_INVALID. */
  async refresh(refreshToken: string, caller: Caller): Promise<TokenPair> {
    const hash = sha256(refreshToken);
    const rotated = await withTransaction(this.#pool, async (db) => {
      // Marking used_at is the claim: of two requests with one token, only one gets the row.
      const { rows } = await db.query<UserRow & { session_id: string }>(
        `WITH claimed AS (
           UPDATE refresh_tokens rt SET used_at = now()
             FROM sessions s
            WHERE rt.token_hash = $1 AND rt.used_at IS NULL AND rt.expires_at > now()
              AND s.id = rt.session_id AND s.revoked_at IS NULL
           RETURNING rt.session_id, s.user_id)
         SELECT c.session_id, u.id, u.email, u.username, u.name, u.role, u.tenant_id
           FROM claimed c JOIN users u ON u.id = c.user_id`,
        [hash],
      );
      if (rows.length === 0) return undefined;
      return this.#issue(db, rows[0], rows[0].session_id);
    });
    if (rotated !== undefined) return rotated;
    await this.#revokeIfReused(hash, caller);
    throw new DwError('DW_ERR_REFRESH_TOKEN_INVALID');
  }

  /**
   * Reuse: someone holds a copy of a token that was already traded. End the session so that
   * neither the thief nor the user can go on with it; the user signs in again.
   */
  async #revokeIfReused(hash: Buffer, caller: Caller): Promise<void> {
    const { rows } = await this.#pool.query<{ session_id: string; used_at: Date | null; user_id: string; tenant_id: string }>(
      `SELECT rt.session_id, rt.used_at, u.id AS user_id, u.tenant_id
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1`, [hash]);
    if (rows.length !== 1 || rows[0].used_at === null) return;
    const { session_id: sessionId, user_id: userId, tenant_id: tenantId } = rows[0];
    const revoked = await this.#pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
    this.#sessions.forget(sessionId);
    caller.log.warn({ session_id: sessionId }, 'refresh token reuse: session revoked');
    await this.#audit.record({
      tenantId, actorUserId: null, actorKind: 'anonymous', action: 'auth.refresh_reuse',
      target: `session:${sessionId}`, ip: caller.ip,
      details: { user_id: userId, session_revoked_now: revoked.rowCount === 1 },
    });
  }

  /** Ends the session: every token of it stops working. */
  async logout(s: SessionOwner, caller: Caller): Promise<void> {
    await this.#pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [s.sessionId, s.userId]);
    this.#sessions.forget(s.sessionId);
    await this.#audit.record({
      tenantId: s.tenantId, actorUserId: s.userId, actorKind: 'user', action: 'auth.logout',
      target: `session:${s.sessionId}`, ip: caller.ip,
    });
  }

  /**
   * A new password for the signed-in user: the current one must be given (else
   * DW_ERR_INVALID_CREDENTIALS), the new one passes the password policy; every other session of
   * the user ends (this one goes on).
   */
  async changePassword(s: SessionOwner, current: string, next: string, caller: Caller): Promise<void> {
    const { rows } = await this.#pool.query<{ email: string; password_hash: string }>('SELECT email, password_hash FROM users WHERE id = $1', [s.userId]);
    if (rows.length === 0 || !(await verifyPassword(rows[0].password_hash, current))) {
      await this.#audit.record({ tenantId: s.tenantId, actorUserId: s.userId, actorKind: 'user', action: 'user.password_change', target: `user:${s.userId}`, ip: caller.ip, details: { ok: false } });
      throw new DwError('DW_ERR_INVALID_CREDENTIALS', 'the current password is wrong');
    }
    assertStrongPassword(next, rows[0].email);
    const hash = await hashPassword(next);
    const ended = await withTransaction(this.#pool, async (db) => {
      await db.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [s.userId, hash]);
      return (await db.query<{ id: string }>('UPDATE sessions SET revoked_at = now() WHERE user_id = $1 AND id <> $2 AND revoked_at IS NULL RETURNING id', [s.userId, s.sessionId])).rows;
    });
    for (const r of ended) this.#sessions.forget(r.id);
    await this.#audit.record({
      tenantId: s.tenantId, actorUserId: s.userId, actorKind: 'user', action: 'user.password_change', target: `user:${s.userId}`, ip: caller.ip,
      details: { ok: true, sessions_revoked: ended.length },
    });
  }

  /** Opens a session for the user and returns its id, its first refresh token and an access token. */
  async #openSession(db: pg.PoolClient, user: UserRow): Promise<{ sessionId: string; pair: TokenPair }> {
    const { rows } = await db.query<{ id: string }>('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [user.id]);
    return { sessionId: rows[0].id, pair: await this.#issue(db, user, rows[0].id) };
  }

  async #issue(db: pg.PoolClient, user: UserRow, sessionId: string): Promise<TokenPair> {
    const refresh = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    await db.query(
      `INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sha256(refresh), sessionId, this.#refreshTtlSeconds],
    );
    const token = await this.#tokens.sign({ sub: user.id, email: user.email, role: user.role, tenant_id: user.tenant_id, session_id: sessionId });
    return { token, refresh_token: refresh };
  }
}
