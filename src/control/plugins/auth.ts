// Accounts and sessions: register, login, refresh (single-use refresh tokens rotating inside a
// session, reuse revokes the session), logout. Register and login are rate-limited per client
// address and per email; each action leaves an audit row.
//
//   register ─▶ tenant + owner user ─┐
//   login ─▶ argon2id verify ────────┴▶ sessions row ─▶ refresh token (sha256 stored) + access token (ES256)
//   refresh ─▶ mark used_at (atomic) ─▶ new refresh token in the same session
//            └▶ already used ─▶ revoke the session (every token of it stops working)
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { dummyHash, hashPassword, verifyPassword } from '../../core/auth/passwords.js';
import { DwError } from '../../core/errors.js';
import { createTenant } from '../../core/tenancy/tenants.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { byEmail, byIp, rateLimit } from './rate-limit.js';
import { USER_COLUMNS, userJson, userSchema, type UserRow } from './schemas.js';
import { withTransaction } from '../../core/db.js';

export const REFRESH_TOKEN_BYTES = 32;
export const LOGIN_RATE_WINDOW_MS = 60_000;
export const REGISTER_RATE_WINDOW_MS = 3_600_000;
const USERNAME_MAX = 30;

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/** `Alice` → `alice`; `Élodie-Marie` → `elodiemarie`; nothing usable → undefined. */
export function usernameBase(raw: string): string | undefined {
  const s = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '').slice(0, USERNAME_MAX);
  return s === '' ? undefined : s;
}

/** The first of `base`, `base2`, `base3`, ... that no user has yet. */
async function freeUsername(db: pg.PoolClient, base: string): Promise<string> {
  const { rows } = await db.query<{ username: string }>('SELECT username FROM users WHERE username LIKE $1', [`${base}%`]);
  const taken = new Set(rows.map((r) => r.username));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

const tokensSchema = {
  type: 'object',
  properties: { token: { type: 'string' }, refresh_token: { type: 'string' }, user: userSchema },
  required: ['token', 'refresh_token'],
} as const;

const passwordSchema = { type: 'string', minLength: 8, maxLength: 1024 } as const;
const nameSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

interface RegisterBody { email: string; password: string; name?: string; first_name?: string; last_name?: string }
interface LoginBody { email: string; password: string }
interface RefreshBody { refresh_token: string }

/** A duplicate address gets the same words as any other refusal we cannot explain further. */
const cannotRegister = (): DwError => new DwError('DW_ERR_VALIDATION', 'could not register with these details');

export const authPlugin = definePlugin(async function auth(app: FastifyInstance): Promise<void> {
  const { pool, tokens, sessions, audit } = app;
  const refreshTtlSeconds = app.config.refreshTokenTtlSeconds;
  const { store, counters } = app.rateLimits;
  const registerPerIp = rateLimit({ name: 'register-ip', max: app.config.registerRateLimitPerIp, windowMs: REGISTER_RATE_WINDOW_MS, key: byIp, store, counters });
  // Per account as well: one address cannot be probed or signed up for from many client addresses.
  const registerPerEmail = rateLimit({ name: 'register-email', max: app.config.registerRateLimitPerEmail, windowMs: REGISTER_RATE_WINDOW_MS, key: byEmail, store, counters });
  const loginPerIp = rateLimit({ name: 'login-ip', max: app.config.loginRateLimitPerIp, windowMs: LOGIN_RATE_WINDOW_MS, key: byIp, store, counters });
  const loginPerEmail = rateLimit({ name: 'login-email', max: app.config.loginRateLimitPerEmail, windowMs: LOGIN_RATE_WINDOW_MS, key: byEmail, store, counters });

  /** Opens a session for the user and returns its id, its first refresh token and an access token. */
  async function openSession(db: pg.PoolClient, user: UserRow): Promise<{ sessionId: string; pair: { token: string; refresh_token: string } }> {
    const { rows } = await db.query<{ id: string }>('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [user.id]);
    return { sessionId: rows[0].id, pair: await issue(db, user, rows[0].id) };
  }

  async function issue(db: pg.PoolClient | pg.Pool, user: UserRow, sessionId: string): Promise<{ token: string; refresh_token: string }> {
    const refresh = randomBytes(REFRESH_TOKEN_BYTES).toString('base64url');
    await db.query(
      `INSERT INTO refresh_tokens (token_hash, session_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
      [sha256(refresh), sessionId, refreshTtlSeconds],
    );
    const token = await tokens.sign({ sub: user.id, email: user.email, role: user.role, tenant_id: user.tenant_id, session_id: sessionId });
    return { token, refresh_token: refresh };
  }

  const inTransaction = <T>(work: (db: pg.PoolClient) => Promise<T>): Promise<T> => withTransaction(pool, work);

  app.post<{ Body: RegisterBody }>('/auth/register', {
    // By address before the body is read; by the account's email once it is parsed.
    onRequest: registerPerIp,
    preValidation: registerPerEmail,
    schema: {
      summary: 'Create an account: a new tenant with this user as its owner',
      tags: ['auth'],
      body: {
        type: 'object',
        properties: {
          email: { type: 'string', format: 'email', maxLength: 254 },
          password: passwordSchema,
          name: nameSchema,
          first_name: nameSchema,
          last_name: { type: 'string', maxLength: 200 },
        },
        required: ['email', 'password'],
        anyOf: [{ required: ['name'] }, { required: ['first_name'] }],
        additionalProperties: false,
      },
      response: { 201: tokensSchema },
    },
  }, async function register(req, reply) {
    const b = req.body;
    const email = b.email.trim();
    const name = (b.name ?? `${b.first_name ?? ''} ${b.last_name ?? ''}`).trim();
    const firstName = b.first_name?.trim() ?? name.split(/\s+/)[0] ?? '';
    const base = usernameBase(firstName) ?? usernameBase(email.split('@')[0]) ?? 'user';
    // Hash before looking anything up: a taken address costs the same argon2id work as a new
    // one, so timing does not tell them apart.
    const passwordHash = await hashPassword(b.password);
    // A duplicate address answers 400 DW_ERR_VALIDATION "could not register with these
    // details", not 409 "email taken": the answer does not confirm that the address has an
    // account. (It still differs from a success, which only an email-verification flow, where
    // every sign-up answers "check your inbox", would hide; we do not send mail yet.)
    const out = await inTransaction(async (db) => {
      const dup = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
      if (dup.rowCount !== 0) throw cannotRegister();
      const tenant = await createTenant(db, name === '' ? base : name);
      for (let attempt = 0; attempt < 5; attempt++) {
        const username = await freeUsername(db, base);
        // DO NOTHING covers both unique indexes: a concurrent sign-up with the same address
        // (then: refuse) or that just took this username (then: pick the next one).
        const { rows } = await db.query<UserRow>(
          `INSERT INTO users (tenant_id, email, username, name, password_hash, role)
           VALUES ($1, $2, $3, $4, $5, 'owner') ON CONFLICT DO NOTHING RETURNING ${USER_COLUMNS}`,
          [tenant.id, email, username, name, passwordHash],
        );
        if (rows.length === 1) {
          const { pair } = await openSession(db, rows[0]);
          return { ...pair, user: userJson(rows[0]) };
        }
        const again = await db.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [email]);
        if (again.rowCount !== 0) throw cannotRegister();
      }
      throw new DwError('DW_ERR_CONFLICT', 'could not find a free username; try again');
    });
    req.log.info({ user_id: out.user.id, tenant_id: out.user.tenant_id }, 'user registered');
    await audit.record({
      tenantId: out.user.tenant_id, actorUserId: out.user.id, actorKind: 'user', action: 'auth.register',
      target: `user:${out.user.id}`, ip: clientIp(req),
    });
    return reply.code(201).send(out);
  });

  app.post<{ Body: LoginBody }>('/auth/login', {
    // By address before the body is read; by account once it is parsed.
    onRequest: loginPerIp,
    preValidation: loginPerEmail,
    schema: {
      summary: 'Sign in: an access token and a refresh token',
      tags: ['auth'],
      body: {
        type: 'object',
        properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', maxLength: 1024 } },
        required: ['email', 'password'],
        additionalProperties: false,
      },
      response: { 200: tokensSchema },
    },
  }, async function login(req) {
    const { email, password } = req.body;
    const { rows } = await pool.query<UserRow & { password_hash: string }>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`, [email.trim()]);
    const user = rows[0];
    // An unknown address verifies against a dummy hash: the same work, the same answer.
    const ok = await verifyPassword(user?.password_hash ?? await dummyHash(), password);
    if (user === undefined || !ok) {
      const reason = user === undefined ? 'unknown email' : 'wrong password';
      req.log.info({ reason }, 'login refused');
      // An unknown address has no tenant: the row is kept (tenant_id null) for operators only.
      await audit.record({
        tenantId: user?.tenant_id ?? null, actorUserId: null, actorKind: 'anonymous', action: 'auth.login_failed',
        target: user === undefined ? `email:${email.trim().toLowerCase()}` : `user:${user.id}`, ip: clientIp(req), details: { reason },
      });
      throw new DwError('DW_ERR_INVALID_CREDENTIALS');
    }
    const { sessionId, pair } = await inTransaction((db) => openSession(db, user));
    req.log.info({ user_id: user.id, tenant_id: user.tenant_id }, 'login');
    await audit.record({
      tenantId: user.tenant_id, actorUserId: user.id, actorKind: 'user', action: 'auth.login',
      target: `session:${sessionId}`, ip: clientIp(req),
    });
    return { ...pair, user: userJson(user) };
  });

  app.post<{ Body: RefreshBody }>('/auth/refresh', {
    schema: {
      summary: 'Trade a refresh token (single use) for a new access token and refresh token',
      tags: ['auth'],
      body: {
        type: 'object',
        properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 256 } },
        required: ['refresh_token'],
        additionalProperties: false,
      },
      response: { 200: tokensSchema },
    },
  }, async function refresh(req) {
    const hash = sha256(req.body.refresh_token);
    const rotated = await inTransaction(async (db) => {
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
      return issue(db, rows[0], rows[0].session_id);
    });
    if (rotated !== undefined) return rotated;
    const { rows } = await pool.query<{ session_id: string; used_at: Date | null; user_id: string; tenant_id: string }>(
      `SELECT rt.session_id, rt.used_at, u.id AS user_id, u.tenant_id
         FROM refresh_tokens rt JOIN sessions s ON s.id = rt.session_id JOIN users u ON u.id = s.user_id
        WHERE rt.token_hash = $1`, [hash]);
    if (rows.length === 1 && rows[0].used_at !== null) {
      // Reuse: someone holds a copy of a token that was already traded. End the session so
      // that neither the thief nor the user can go on with it; the user signs in again.
      const { session_id: sessionId, user_id: userId, tenant_id: tenantId } = rows[0];
      const revoked = await pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [sessionId]);
      sessions.forget(sessionId);
      req.log.warn({ session_id: sessionId }, 'refresh token reuse: session revoked');
      await audit.record({
        tenantId, actorUserId: null, actorKind: 'anonymous', action: 'auth.refresh_reuse',
        target: `session:${sessionId}`, ip: clientIp(req),
        details: { user_id: userId, session_revoked_now: revoked.rowCount === 1 },
      });
    }
    throw new DwError('DW_ERR_REFRESH_TOKEN_INVALID');
  });

  app.post('/auth/logout', {
    onRequest: authenticate({ kind: 'user' }),
    schema: { summary: 'End the current session', tags: ['auth'], response: { 204: { type: 'null' } } },
  }, async function logout(req, reply) {
    const p = principalOf(req);
    // A token of the external issuer (EXTERNAL_JWT_SECRET) has no session here: its issuer ends it.
    if (p.sessionId === undefined) return reply.code(204).send();
    await pool.query('UPDATE sessions SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL', [p.sessionId, p.subject]);
    sessions.forget(p.sessionId);
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'auth.logout',
      target: `session:${p.sessionId}`, ip: clientIp(req),
    });
    return reply.code(204).send();
  });
}, {
  name: 'driftwatch-auth',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-rate-limit'],
  decorators: { fastify: ['pool', 'tokens', 'sessions', 'config', 'resolver', 'audit', 'rateLimits'], request: ['principal'] },
});
