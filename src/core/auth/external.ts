// Tokens from an external issuer (a Supabase project: HS256 signed with its JWT secret), accepted
// alongside our own ES256 access tokens when EXTERNAL_JWT_SECRET is set. The token says who the
// caller is (`sub`, `email`); the driftwatch user with that email (case-insensitive) says which
// tenant and role. No user with that email: 401, with a message that says to register first
// (we do not create accounts from foreign tokens: the tenant, its plan and its owner are ours).
//
//   Bearer <jwt> ─► header alg HS256 ─► jose jwtVerify(secret, algorithms: [HS256], iss?, aud, exp)
//                                      ─► lifetime (exp - iat, exp - now) within maxLifetimeSeconds (lifetime.ts)
//                                      ─► users WHERE lower(email) = lower(claims.email) (cached cacheMs)
//                                      ─► principal {kind: 'user', no session}
//
// Only HS256 with this secret: `none`, other HMAC sizes, and an HS256 token signed with some other
// key (for example the bytes of our public ES256 key: algorithm confusion) fail the signature.
import { errors as joseErrors, jwtVerify } from 'jose';
import type pg from 'pg';
import { DwError } from '../errors.js';
import { checkLifetime } from './lifetime.js';

export const EXTERNAL_ALG = 'HS256';

export interface ExternalJwtOptions {
  secret: string;
  /** iss to require; undefined: not checked. */
  issuer: string | undefined;
  audience: string;
  /** MAX_ACCESS_TOKEN_LIFETIME_SECONDS: a token claiming a longer lifetime is refused (DW_ERR_TOKEN_LIFETIME). */
  maxLifetimeSeconds: number;
}

export interface ExternalUser { userId: string; tenantId: string; role: string; email: string; externalSub: string }

export class ExternalTokens {
  readonly #key: Uint8Array;
  readonly #opts: ExternalJwtOptions;
  readonly #pool: pg.Pool;
  readonly #cacheMs: number;
  #cache = new Map<string, { at: number; user: Omit<ExternalUser, 'externalSub'> | null }>();

  constructor(pool: pg.Pool, opts: ExternalJwtOptions, cacheMs: number) {
    if (typeof opts.secret !== 'string' || opts.secret.length < 32) throw new TypeError('options.secret must be at least 32 characters');
    this.#key = new TextEncoder().encode(opts.secret);
    this.#opts = opts;
    this.#pool = pool;
    this.#cacheMs = cacheMs;
  }

  /** Verifies an external token and finds its user; throws DW_ERR_UNAUTHORIZED / DW_ERR_TOKEN_EXPIRED. */
  async resolve(token: string): Promise<ExternalUser> {
    let payload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [EXTERNAL_ALG],
        audience: this.#opts.audience,
        ...(this.#opts.issuer !== undefined ? { issuer: this.#opts.issuer } : {}),
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired) throw new DwError('DW_ERR_TOKEN_EXPIRED');
      throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid token');
    }
    checkLifetime(payload, this.#opts.maxLifetimeSeconds, Date.now() / 1000);
    const email = payload.email;
    if (typeof email !== 'string' || email === '' || typeof payload.sub !== 'string') {
      throw new DwError('DW_ERR_UNAUTHORIZED', 'the external token carries no email');
    }
    // Where the issuer says whether the address was verified (OIDC's email_verified; Supabase
    // also puts it in user_metadata), an unverified one does not sign in: anyone can sign up
    // there with someone else's address.
    const meta = payload.user_metadata as { email_verified?: unknown } | undefined;
    if (payload.email_verified === false || (typeof meta === 'object' && meta !== null && meta.email_verified === false) ||
      (payload.email_verified !== undefined && payload.email_verified !== true)) {
      throw new DwError('DW_ERR_UNAUTHORIZED', 'the external token\'s email is not verified');
    }
    const user = await this.#user(email.trim().toLowerCase());
    if (user === null) {
      throw new DwError('DW_ERR_UNAUTHORIZED', 'no driftwatch account has this token\'s email; register with the same address first');
    }
    return { ...user, externalSub: payload.sub };
  }

  async #user(email: string): Promise<Omit<ExternalUser, 'externalSub'> | null> {
    const now = Date.now();
    const hit = this.#cache.get(email);
    if (hit !== undefined && now - hit.at < this.#cacheMs) return hit.user;
    const { rows } = await this.#pool.query<{ id: string; tenant_id: string; role: string; email: string }>(
      'SELECT id, tenant_id, role, email FROM users WHERE lower(email) = $1', [email]);
    const user = rows[0] === undefined ? null : { userId: rows[0].id, tenantId: rows[0].tenant_id, role: rows[0].role, email: rows[0].email };
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(email, { at: now, user });
    return user;
  }
}
