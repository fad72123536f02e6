// What every control-API route shares: the pool, the token service, the principal resolver
// (API keys cached for config.apiKeyCacheMs, access tokens verified by signature), the frozen
// config, and the session guard that refuses access tokens of revoked sessions. Routes ask for
// a caller with `authenticate({ ... })`, which sets `req.principal` or throws a DwError:
//
//   Authorization ─▶ resolver.resolve (user token: sessions.assertActive) ─▶ kind / scope / role ─▶ req.principal
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type pg from 'pg';
import type { TokenService } from '../../core/auth/jwt.js';
import { PrincipalResolver, requireScope, resolverOptions, type Principal } from '../../core/auth/principal.js';
import { SessionGuard, UUID_RE } from '../../core/auth/sessions.js';
import type { Config } from '../../core/config.js';
import { DwError } from '../../core/errors.js';
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

export { UUID_RE };

export interface ContextOptions {
  config: Readonly<Config>;
  pool: pg.Pool;
  tokens: TokenService;
}

export const contextPlugin = definePlugin(async function context(app: FastifyInstance, opts: ContextOptions): Promise<void> {
  app.decorate('config', opts.config);
  app.decorate('pool', opts.pool);
  app.decorate('tokens', opts.tokens);
  const resolver = new PrincipalResolver(opts.pool, opts.tokens, resolverOptions(opts.config));
  app.decorate('resolver', resolver);
  app.decorate('sessions', resolver.sessions);
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
