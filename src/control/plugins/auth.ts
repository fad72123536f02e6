// Accounts and sessions over HTTP: register, login, refresh, logout. Register and login are
// rate-limited per client address and per email; the work (SQL, tokens, audit rows) is the
// accounts service's (src/control/accounts/service.ts).
//
//   POST /auth/register ─▶ rate limits (ip, then email) ─▶ accounts.register ─▶ 201 tokens + user
//   POST /auth/login    ─▶ rate limit (ip) ─▶ failure guard (email+ip, email) ─▶ accounts.login ─▶ 200 tokens + user
//                                                                    └─ wrong password: counted as a failure
//   POST /auth/refresh  ─▶ accounts.refresh ─▶ 200 tokens
//   POST /auth/logout   ─▶ (user token) accounts.logout ─▶ 204
//   POST /auth/password ─▶ (user token) failure guard ─▶ accounts.changePassword (current password checked,
//                          the user's other sessions revoked) ─▶ 204
// With ALLOW_SIGNUP=false, /auth/register answers 403 DW_ERR_SIGNUP_CLOSED before anything else.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DwError } from '../../core/errors.js';
import { AccountService, type Caller, type Registration } from '../accounts/service.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { byEmail, byIp, loginGuard, rateLimit, type RateLimitOptions } from './rate-limit.js';
import { userSchema } from './schemas.js';

export const LOGIN_RATE_WINDOW_MS = 60_000;
export const REGISTER_RATE_WINDOW_MS = 3_600_000;
/** The window login failures are counted in (per email+address and per email). */
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60_000;

const tokensSchema = {
  type: 'object',
  properties: { token: { type: 'string' }, refresh_token: { type: 'string' }, user: userSchema },
  required: ['token', 'refresh_token'],
} as const;

const passwordSchema = { type: 'string', minLength: 8, maxLength: 1024 } as const;
// No NUL: PostgreSQL text cannot hold it (SQLSTATE 22021).
const nameSchema = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000]*$' } as const;

const registerSchema = {
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
} as const;

const loginSchema = {
  summary: 'Sign in: an access token and a refresh token',
  tags: ['auth'],
  body: {
    type: 'object',
    properties: { email: { type: 'string', minLength: 1, maxLength: 254 }, password: { type: 'string', maxLength: 1024 } },
    required: ['email', 'password'],
    additionalProperties: false,
  },
  response: { 200: tokensSchema },
} as const;

const refreshSchema = {
  summary: 'Trade a refresh token (single use) for a new access token and refresh token',
  tags: ['auth'],
  body: {
    type: 'object',
    properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 256 } },
    required: ['refresh_token'],
    additionalProperties: false,
  },
  response: { 200: tokensSchema },
} as const;

const changePasswordSchema = {
  summary: 'Change the signed-in user\'s password (the current one is asked; the user\'s other sessions end)',
  tags: ['auth'],
  body: {
    type: 'object',
    properties: { current_password: { type: 'string', maxLength: 1024 }, new_password: passwordSchema },
    required: ['current_password', 'new_password'],
    additionalProperties: false,
  },
  response: { 204: { type: 'null' } },
} as const;

const logoutSchema = { summary: 'End the current session', tags: ['auth'], response: { 204: { type: 'null' } } } as const;

interface LoginBody { email: string; password: string }
interface RefreshBody { refresh_token: string }
interface ChangePasswordBody { current_password: string; new_password: string }

const callerOf = (req: FastifyRequest): Caller => ({ ip: clientIp(req), log: req.log });

export const authPlugin = definePlugin(async function auth(app: FastifyInstance): Promise<void> {
  const accounts = new AccountService({
    pool: app.pool, tokens: app.tokens, sessions: app.sessions, audit: app.audit, refreshTtlSeconds: app.config.refreshTokenTtlSeconds,
  });
  const { store, counters } = app.rateLimits;
  const limit = (name: string, max: number, windowMs: number, key: RateLimitOptions['key']) => rateLimit({ name, max, windowMs, key, store, counters });

  app.post<{ Body: Registration }>('/auth/register', {
    // By address before the body is read; by the account's email once it is parsed. Per account
    // as well: one address cannot be probed or signed up for from many client addresses.
    onRequest: [
      async function signupOpen() { if (!app.config.allowSignup) throw new DwError('DW_ERR_SIGNUP_CLOSED'); },
      limit('register-ip', app.config.registerRateLimitPerIp, REGISTER_RATE_WINDOW_MS, byIp),
    ],
    preValidation: limit('register-email', app.config.registerRateLimitPerEmail, REGISTER_RATE_WINDOW_MS, byEmail),
    schema: registerSchema,
  }, async function register(req, reply) {
    return reply.code(201).send(await accounts.register(req.body, callerOf(req)));
  });

  // Failures only, per (email, address) and per email with a back-off: nobody can lock a user
  // out, and an address with no recent failure always reaches the password check.
  const failures = loginGuard({
    perPair: app.config.loginRateLimitPerEmail, perEmail: app.config.loginFailuresPerEmail, windowMs: LOGIN_FAILURE_WINDOW_MS, store, counters,
  });
  app.post<{ Body: LoginBody }>('/auth/login', {
    // By address before the body is read (every attempt: one address spraying many accounts).
    onRequest: limit('login-ip', app.config.loginRateLimitPerIp, LOGIN_RATE_WINDOW_MS, byIp),
    preHandler: (req, reply) => failures.check(req, reply),
    schema: loginSchema,
  }, async function login(req) {
    try {
      return await accounts.login(req.body.email, req.body.password, callerOf(req));
    } catch (err) {
      if ((err as { code?: unknown }).code === 'DW_ERR_INVALID_CREDENTIALS') await failures.failed(req);
      throw err;
    }
  });

  app.post<{ Body: RefreshBody }>('/auth/refresh', { schema: refreshSchema }, async function refresh(req) {
    return accounts.refresh(req.body.refresh_token, callerOf(req));
  });

  app.post('/auth/logout', { onRequest: authenticate({ kind: 'user' }), schema: logoutSchema }, async function logout(req, reply) {
    const p = principalOf(req);
    // A token of the external issuer (EXTERNAL_JWT_SECRET) has no session here: its issuer ends it.
    if (p.sessionId !== undefined) await accounts.logout({ sessionId: p.sessionId, userId: p.subject, tenantId: p.tenantId }, callerOf(req));
    return reply.code(204).send();
  });

  app.post<{ Body: ChangePasswordBody }>('/auth/password', {
    onRequest: authenticate({ kind: 'user' }), schema: changePasswordSchema,
  }, async function changePassword(req, reply) {
    const p = principalOf(req);
    if (p.sessionId === undefined) throw new DwError('DW_ERR_FORBIDDEN', 'a token of the external issuer has no password here; change it with that issuer');
    await accounts.changePassword({ sessionId: p.sessionId, userId: p.subject, tenantId: p.tenantId }, req.body.current_password, req.body.new_password, callerOf(req));
    return reply.code(204).send();
  });
}, {
  name: 'driftwatch-auth',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-rate-limit'],
  decorators: { fastify: ['pool', 'tokens', 'sessions', 'config', 'resolver', 'audit', 'rateLimits'], request: ['principal'] },
});
