// Resolves `Authorization: Bearer <credential>` to a principal, for both servers: an API key
// (`dw_...`, looked up by hash, cached briefly so that revocation applies within seconds), an
// access token (ES256 JWT from TokenService), or, when EXTERNAL_JWT_SECRET is set, an HS256 token
// of the external issuer (external.ts). The token header's alg picks the verifier, and each
// verifier accepts its one algorithm only, so neither can be fed the other's tokens.
import { decodeProtectedHeader } from 'jose';
import type pg from 'pg';
import type { Config } from '../config.js';
import { DwError } from '../errors.js';
import { findApiKey, looksLikeApiKey } from './api-keys.js';
import { EXTERNAL_ALG, ExternalTokens, type ExternalJwtOptions } from './external.js';
import type { TokenService } from './jwt.js';
import { SESSION_CACHE_MS, SessionGuard } from './sessions.js';

export interface Principal {
  kind: 'api_key' | 'user';
  tenantId: string;
  scopes: readonly string[];
  /** API key id, or the user's id. */
  subject: string;
  role?: string;
  sessionId?: string;
  email?: string;
  /** Set for a token of the external issuer: its `sub` (such a principal has no session of ours). */
  externalSub?: string;
}

/** Scopes a signed-in user has (everything an API key can do, and more). */
export const USER_SCOPES: readonly string[] = Object.freeze(['ingest', 'read', 'admin']);

export function bearerToken(header: string | undefined): string | null {
  if (header === undefined || header === '') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1] : null;
}

export interface ResolverOptions {
  cacheMs: number;
  /** Accept HS256 tokens of an external issuer (EXTERNAL_JWT_*); undefined: only ours. */
  external?: ExternalJwtOptions;
  /**
   * When a lookup fails because the database is unreachable (`isUnavailable`), a credential
   * verified within this long is still honoured (default 0: never). The engine uses it to keep
   * ingesting into its spool while PostgreSQL is down; nothing can be revoked meanwhile.
   */
  staleIfUnavailableMs?: number;
  isUnavailable?: (err: unknown) => boolean;
}

/** The resolver options a server derives from its config. */
export function resolverOptions(config: Readonly<Config>): ResolverOptions {
  return {
    cacheMs: config.apiKeyCacheMs,
    external: config.externalJwtSecret === undefined ? undefined
      : {
        secret: config.externalJwtSecret, issuer: config.externalJwtIssuer, audience: config.externalJwtAudience,
        maxLifetimeSeconds: config.maxAccessTokenLifetimeSeconds,
      },
  };
}

export class PrincipalResolver {
  #pool: pg.Pool;
  #tokens: TokenService;
  #cacheMs: number;
  #cache = new Map<string, { at: number; principal: Principal | null }>();
  #external: ExternalTokens | undefined;
  readonly #staleMs: number;
  readonly #isUnavailable: (err: unknown) => boolean;
  /** Checks that a user token's session is still active (logout and reuse revoke it). */
  readonly sessions: SessionGuard;

  constructor(pool: pg.Pool, tokens: TokenService, opts: ResolverOptions) {
    this.#pool = pool;
    this.#tokens = tokens;
    this.#cacheMs = opts.cacheMs;
    this.#external = opts.external === undefined ? undefined : new ExternalTokens(pool, opts.external, opts.cacheMs);
    this.#staleMs = opts.staleIfUnavailableMs ?? 0;
    this.#isUnavailable = opts.isUnavailable ?? (() => false);
    this.sessions = new SessionGuard(pool, { cacheMs: SESSION_CACHE_MS, staleIfUnavailableMs: this.#staleMs, isUnavailable: this.#isUnavailable });
  }

  /** Returns the principal or throws DW_ERR_UNAUTHORIZED / DW_ERR_TOKEN_EXPIRED / DW_ERR_TOKEN_LIFETIME. */
  async resolve(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === null) throw new DwError('DW_ERR_UNAUTHORIZED', 'send Authorization: Bearer <API key or access token>');
    if (looksLikeApiKey(token)) return this.#apiKey(token);
    if (this.#external !== undefined && headerAlg(token) === EXTERNAL_ALG) {
      const u = await this.#external.resolve(token);
      return { kind: 'user', tenantId: u.tenantId, scopes: USER_SCOPES, subject: u.userId, role: u.role, email: u.email, externalSub: u.externalSub };
    }
    const claims = await this.#tokens.verify(token);
    // Tenant and role from the session's user, never from the claims.
    const user = await this.sessions.assertActive(claims.session_id, claims.sub);
    return {
      kind: 'user', tenantId: user.tenantId, scopes: USER_SCOPES, subject: claims.sub,
      role: user.role, sessionId: claims.session_id, email: claims.email,
    };
  }

  async #apiKey(key: string): Promise<Principal> {
    const now = Date.now();
    const hit = this.#cache.get(key);
    let principal: Principal | null;
    if (hit !== undefined && now - hit.at < this.#cacheMs) {
      principal = hit.principal;
    } else {
      let rec;
      try {
        rec = await findApiKey(this.#pool, key);
      } catch (err) {
        // Database unreachable: a key this process verified recently is still honoured.
        if (hit?.principal != null && now - hit.at < this.#staleMs && this.#isUnavailable(err)) return hit.principal;
        throw err;
      }
      principal = rec === null ? null : { kind: 'api_key', tenantId: rec.tenantId, scopes: Object.freeze([...rec.scopes]), subject: rec.id };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(key, { at: now, principal });
    }
    if (principal === null) throw new DwError('DW_ERR_UNAUTHORIZED', 'unknown or revoked API key');
    return principal;
  }
}

/** The alg of a JWT's protected header, or undefined when it is not a readable JWT. */
function headerAlg(token: string): string | undefined {
  try {
    return decodeProtectedHeader(token).alg;
  } catch {
    return undefined;
  }
}

export function requireScope(p: Principal, scope: string): void {
  if (!p.scopes.includes(scope)) throw new DwError('DW_ERR_FORBIDDEN', `this credential lacks the ${scope} scope`);
}
