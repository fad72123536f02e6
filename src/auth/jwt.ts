// Access tokens: ES256 JWTs signed with a key kept in PostgreSQL (signing_keys), so that the
// control API and the engine (and several instances of each) sign and verify with the same
// keys. The newest un-retired key signs; every key not retired for more than a token lifetime
// verifies, and all are published as a JWKS. Only ES256 is accepted (no `none`, no HS*).
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import type pg from 'pg';
import { DwError } from '../errors.js';

export const JWT_ALG = 'ES256';

export interface AccessClaims extends JWTPayload {
  sub: string;
  email: string;
  role: string;
  tenant_id: string;
  session_id: string;
}

interface KeyRow { kid: string; private_jwk: JWK; public_jwk: JWK; retired_at: Date | null }
interface LoadedKey { kid: string; privateKey: CryptoKey | undefined; publicKey: CryptoKey; publicJwk: JWK }

export interface TokenServiceOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export class TokenService {
  #pool: pg.Pool;
  #opts: TokenServiceOptions;
  #keys = new Map<string, LoadedKey>();
  #signing: LoadedKey | undefined;
  #lastReload = 0;

  constructor(pool: pg.Pool, opts: TokenServiceOptions) {
    this.#pool = pool;
    this.#opts = opts;
  }

  get ttlSeconds(): number { return this.#opts.ttlSeconds; }

  /** Loads the keys, creating the first one when there is none. */
  async init(): Promise<this> {
    await this.#reload();
    if (this.#signing === undefined) {
      await this.rotate();
    }
    return this;
  }

  /** Adds a new signing key; older keys keep verifying until retired. */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const kid = randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: JWT_ALG };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: 'sig' };
    await this.#pool.query(
      'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)',
      [kid, JWT_ALG, privateJwk, publicJwk],
    );
    await this.#reload();
    return kid;
  }

  async #reload(): Promise<void> {
    this.#lastReload = Date.now();
    const { rows } = await this.#pool.query<KeyRow>(
      `SELECT kid, private_jwk, public_jwk, retired_at FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
        ORDER BY created_at ASC`,
      [this.#opts.ttlSeconds],
    );
    const keys = new Map<string, LoadedKey>();
    let signing: LoadedKey | undefined;
    for (const r of rows) {
      const publicKey = (await importJWK(r.public_jwk, JWT_ALG)) as CryptoKey;
      const privateKey = r.retired_at === null ? ((await importJWK(r.private_jwk, JWT_ALG)) as CryptoKey) : undefined;
      const k: LoadedKey = { kid: r.kid, privateKey, publicKey, publicJwk: r.public_jwk };
      keys.set(r.kid, k);
      if (privateKey !== undefined) signing = k;
    }
    this.#keys = keys;
    this.#signing = signing;
  }

  async sign(claims: Omit<AccessClaims, 'iss' | 'aud' | 'exp' | 'iat'>): Promise<string> {
    const key = this.#signing;
    if (key === undefined || key.privateKey === undefined) throw new Error('TokenService.init() was not called');
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: JWT_ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.#opts.issuer)
      .setAudience(this.#opts.audience)
      .setIssuedAt()
      .setExpirationTime(`${this.#opts.ttlSeconds}s`)
      .sign(key.privateKey);
  }

  /** Verifies a token; throws DwError DW_ERR_TOKEN_EXPIRED or DW_ERR_UNAUTHORIZED. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, async (header) => {
        if (header.alg !== JWT_ALG || typeof header.kid !== 'string') throw new DwError('DW_ERR_UNAUTHORIZED', 'unsupported token algorithm or missing kid');
        let k = this.#keys.get(header.kid);
        if (k === undefined && Date.now() - this.#lastReload > 1_000) {
          await this.#reload();
          k = this.#keys.get(header.kid);
        }
        if (k === undefined) throw new DwError('DW_ERR_UNAUTHORIZED', 'unknown signing key');
        return k.publicKey;
      }, { issuer: this.#opts.issuer, audience: this.#opts.audience, algorithms: [JWT_ALG] });
      for (const c of ['sub', 'tenant_id', 'session_id'] as const) {
        if (typeof payload[c] !== 'string') throw new DwError('DW_ERR_UNAUTHORIZED', `token lacks the ${c} claim`);
      }
      return payload as AccessClaims;
    } catch (err) {
      if (err instanceof DwError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new DwError('DW_ERR_TOKEN_EXPIRED');
      throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid token');
    }
  }

  /** The public keys, for /.well-known/jwks.json. */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.#keys.values()].map((k) => k.publicJwk) };
  }
}
