// What every control-API route shares: the pool, the token service, the principal resolver
// (API keys cached for config.apiKeyCacheMs, access tokens verified by signature), the frozen
// config, and the session guard that refuses access tokens of revoked sessions. Routes ask for
// a caller with `authenticate({ ... })`, which sets `req.principal` or throws a DwError:
//
//   Authorization ─▶ resolver.resolve ─▶ user token? ─▶ sessions.assertActive ─▶ kind / scope / role ─▶ req.principal
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { TokenService } from '../auth/jwt.js';
import { PrincipalResolver, requireScope, type Principal } from '../auth/principal.js';
import type { Config } from '../config.js';
import { DwError } from '../errors.js';
import { definePlugin } from './define.js';

declare module 'fastify' {
  interface FastifyInstance {
    pool: pg.Pool;
    tokens: TokenService;
    resolver: PrincipalResolver;
    config: Readonly<Config>;
    sessions: SessionGuard;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long a session's "not revoked" answer is trusted (revocation delay across instances). */
export const SESSION_CACHE_MS = 2_000;

/**
 * Answers "is this session still valid for this user" from PostgreSQL, caching answers for a
 * short while. This process forgets a session at once when it revokes it; other instances see
 * the revocation within cacheMs.
 */
export class SessionGuard {
  #pool: pg.Pool;
  #cacheMs: number;
  #cache = new Map<string, { at: number; userId: string | null; active: boolean }>();

  constructor(pool: pg.Pool, opts: { cacheMs: number }) {
    this.#pool = pool;
    this.#cacheMs = opts.cacheMs;
  }

  async assertActive(sessionId: string | undefined, userId: string): Promise<void> {
    if (sessionId === undefined || !UUID_RE.test(sessionId)) throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid session');
    const now = Date.now();
    let hit = this.#cache.get(sessionId);
    if (hit === undefined || now - hit.at >= this.#cacheMs) {
      const { rows } = await this.#pool.query<{ user_id: string; active: boolean }>(
        'SELECT user_id, revoked_at IS NULL AS active FROM sessions WHERE id = $1', [sessionId]);
      hit = { at: now, userId: rows[0]?.user_id ?? null, active: rows[0]?.active ?? false };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(sessionId, hit);
    }
    if (!hit.active || hit.userId !== userId) throw new DwError('DW_ERR_UNAUTHORIZED', 'the session has ended; sign in again');
  }

  /** Drops a cached answer (call after revoking a session). */
  forget(sessionId: string): void {
    this.#cache.delete(sessionId);
  }
}

export interface ContextOptions {
  config: Readonly<Config>;
  pool: pg.Pool;
  tokens: TokenService;
}

export const contextPlugin = definePlugin(async function context(app: FastifyInstance, opts: ContextOptions): Promise<void> {
  app.decorate('config', opts.config);
  app.decorate('pool', opts.pool);
  app.decorate('tokens', opts.tokens);
  app.decorate('resolver', new PrincipalResolver(opts.pool, opts.tokens, { cacheMs: opts.config.apiKeyCacheMs }));
  app.decorate('sessions', new SessionGuard(opts.pool, { cacheMs: SESSION_CACHE_MS }));
  app.decorateRequest('principal', null);
}, { name: 'driftwatch-context', global: true, dependencies: ['driftwatch-errors'] });

export interface AuthNeed {
  /** 'user' refuses API keys (403); 'any' (default) takes both. */
  kind?: 'user' | 'any';
  /** A scope the credential must carry (API keys: their scopes; users have all). */
  scope?: string;
  /** Roles allowed (implies kind 'user'). */
  roles?: readonly string[];
}

/** An onRequest hook that authenticates the caller and sets req.principal, or throws. */
export const authenticate = (need: AuthNeed = {}) => {
  const userOnly = need.kind === 'user' || need.roles !== undefined;
  const scope = need.scope;
  const roles = need.roles === undefined ? undefined : Object.freeze([...need.roles]);
  return async function authenticate(req: FastifyRequest): Promise<void> {
    const app = req.server;
    const p = await app.resolver.resolve(req.headers.authorization);
    if (p.kind === 'user') await app.sessions.assertActive(p.sessionId, p.subject);
    if (userOnly && p.kind !== 'user') throw new DwError('DW_ERR_FORBIDDEN', 'this endpoint needs a signed-in user (an access token), not an API key');
    if (scope !== undefined) requireScope(p, scope);
    if (roles !== undefined && !roles.includes(p.role ?? '')) {
      throw new DwError('DW_ERR_FORBIDDEN', `this needs one of the roles ${roles.join(', ')}`);
    }
    req.principal = p;
  };
};

/** The authenticated caller of a route guarded by authenticate(). */
export function principalOf(req: FastifyRequest): Principal {
  if (req.principal === null) throw new Error('route is missing its authenticate() hook');
  return req.principal;
}

/** The user id of a caller that authenticate({ kind: 'user' }) let through. */
export function userIdOf(req: FastifyRequest): string {
  const p = principalOf(req);
  if (p.kind !== 'user') throw new Error('route is missing authenticate({ kind: "user" })');
  return p.subject;
}
