// Resolves `Authorization: Bearer <credential>` to a principal, for both servers: an API key
// (`dw_...`, looked up by hash, cached briefly so that revocation applies within seconds) or
// an access token (ES256 JWT from TokenService).
import type pg from 'pg';
import { DwError } from '../errors.js';
import { findApiKey, looksLikeApiKey } from './api-keys.js';
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
  /**
   * When a lookup fails because the database is unreachable (`isUnavailable`), a credential
   * verified within this long is still honoured (default 0: never). The engine uses it to keep
   * ingesting into its spool while PostgreSQL is down; nothing can be revoked meanwhile.
   */
  staleIfUnavailableMs?: number;
  isUnavailable?: (err: unknown) => boolean;
}

export class PrincipalResolver {
  #pool: pg.Pool;
  #tokens: TokenService;
  #cacheMs: number;
  #cache = new Map<string, { at: number; principal: Principal | null }>();
  readonly #staleMs: number;
  readonly #isUnavailable: (err: unknown) => boolean;
  /** Checks that a user token's session is still active (logout and reuse revoke it). */
  readonly sessions: SessionGuard;

  constructor(pool: pg.Pool, tokens: TokenService, opts: ResolverOptions) {
    this.#pool = pool;
    this.#tokens = tokens;
    this.#cacheMs = opts.cacheMs;
    this.#staleMs = opts.staleIfUnavailableMs ?? 0;
    this.#isUnavailable = opts.isUnavailable ?? (() => false);
    this.sessions = new SessionGuard(pool, { cacheMs: SESSION_CACHE_MS, staleIfUnavailableMs: this.#staleMs, isUnavailable: this.#isUnavailable });
  }

  /** Returns the principal or throws DW_ERR_UNAUTHORIZED / DW_ERR_TOKEN_EXPIRED. */
  async resolve(authorization: string | undefined): Promise<Principal> {
    const token = bearerToken(authorization);
    if (token === null) throw new DwError('DW_ERR_UNAUTHORIZED', 'send Authorization: Bearer <API key or access token>');
    if (looksLikeApiKey(token)) return this.#apiKey(token);
    const claims = await this.#tokens.verify(token);
    await this.sessions.assertActive(claims.session_id, claims.sub);
    return {
      kind: 'user', tenantId: claims.tenant_id, scopes: USER_SCOPES, subject: claims.sub,
      role: claims.role, sessionId: claims.session_id, email: claims.email,
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

export function requireScope(p: Principal, scope: string): void {
  if (!p.scopes.includes(scope)) throw new DwError('DW_ERR_FORBIDDEN', `this credential lacks the ${scope} scope`);
}
