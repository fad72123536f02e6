// Access tokens: ES256 JWTs signed with a key kept in PostgreSQL (signing_keys), so that the
// control API and the engine (and several instances of each) sign and verify with the same
// keys. The newest un-retired key signs; every key not retired for more than a token lifetime
// (plus RELOAD_MS) verifies, and all are published as a JWKS. Only ES256 is accepted here (no
// `none`, no HS*; external HS256 tokens are src/core/auth/external.ts's, chosen by principal.ts).
//
// Rotation without downtime (`driftwatch keys rotate`):
//   rotate() ─► INSERT the new key, retire the others (retired_at = now()) in one transaction
//     ─► every instance signs with the new key within RELOAD_MS (sign() reloads keys that old)
//        and verifies it at once (an unknown kid triggers a reload)
//     ─► the old key stays in the JWKS and verifies until retired_at + token lifetime + RELOAD_MS
//        (the last token an instance may still have signed with it has expired by then)
//     ─► then it is dropped from the JWKS, and deleted by the next rotate().
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import type pg from 'pg';
import { DwError } from '../errors.js';
import { withTransaction } from '../db.js';

export const JWT_ALG = 'ES256';

export interface AccessClaims extends JWTPayload {
  sub: string;
  email: string;
  role: string;
  tenant_id: string;
  session_id: string;
}

interface KeyRow { kid: string; private_jwk: JWK; public_jwk: JWK; retired_at: Date | null }

/** How old the key set an instance signs with may get (another instance may have rotated meanwhile). */
export const RELOAD_MS = 30_000;
/** A retired key verifies for the token lifetime plus this (covers RELOAD_MS and clock skew). */
export const RETIRED_GRACE_SECONDS = 60;
/** An unknown kid reloads the keys at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

export interface SigningKeyInfo { kid: string; created_at: Date; retired_at: Date | null; state: 'signing' | 'retired' | 'expired' }
interface LoadedKey { kid: string; privateKey: CryptoKey | undefined; publicKey: CryptoKey; publicJwk: JWK }

export interface TokenServiceOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** The clock tokens are issued by, in ms since the epoch (default Date.now; tests pass another). */
  now?: () => number;
}

export class TokenService {
  #pool: pg.Pool;
  #opts: TokenServiceOptions;
  #keys = new Map<string, LoadedKey>();
  #signing: LoadedKey | undefined;
  #lastReload = 0;
  #reloading: Promise<void> | undefined;

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

  /**
   * Adds a new signing key and makes it the signer: the others are retired now (they stop
   * signing, and keep verifying and being published for a token lifetime + RETIRED_GRACE_SECONDS).
   * Keys whose grace ended are deleted. Returns the new kid.
   */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const kid = randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: JWT_ALG };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: 'sig' };
    await withTransaction(this.#pool, async (client) => {
      // One rotation at a time (two at once would each retire the other's new key).
      await client.query('SELECT pg_advisory_xact_lock(1685520387)');
      await client.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
      await client.query(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)',
        [kid, JWT_ALG, privateJwk, publicJwk],
      );
      await client.query('DELETE FROM signing_keys WHERE retired_at < now() - make_interval(secs => $1)', [this.#graceSeconds]);
    });
    await this.#reload();
    return kid;
  }

  /** Seconds a retired key keeps verifying. */
  get #graceSeconds(): number { return this.#opts.ttlSeconds + RETIRED_GRACE_SECONDS; }

  /** Every key in the table, newest first, with its state (for `driftwatch keys list`). */
  async list(): Promise<SigningKeyInfo[]> {
    const { rows } = await this.#pool.query<{ kid: string; created_at: Date; retired_at: Date | null; expired: boolean }>(
      `SELECT kid, created_at, retired_at, retired_at < now() - make_interval(secs => $1) AS expired
         FROM signing_keys ORDER BY created_at DESC`, [this.#graceSeconds]);
    return rows.map((r) => ({ kid: r.kid, created_at: r.created_at, retired_at: r.retired_at, state: r.retired_at === null ? 'signing' : r.expired ? 'expired' : 'retired' }));
  }

  /** One reload at a time, starting at least UNKNOWN_KID_RELOAD_MS after the previous one. */
  #reloadSoon(): Promise<void> {
    this.#reloading ??= (async () => {
      const wait = UNKNOWN_KID_RELOAD_MS - (Date.now() - this.#lastReload);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      await this.#reload();
    })().finally(() => { this.#reloading = undefined; });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    this.#lastReload = Date.now();
    const { rows } = await this.#pool.query<KeyRow>(
      `SELECT kid, private_jwk, public_jwk, retired_at FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
        ORDER BY created_at ASC`,
      [this.#graceSeconds],
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
    // Another instance may have rotated: sign with a key set at most RELOAD_MS old.
    if (this.#signing !== undefined && Date.now() - this.#lastReload > RELOAD_MS) await this.#reload().catch(() => {});
    const key = this.#signing;
    if (key === undefined || key.privateKey === undefined) throw new Error('TokenService.init() was not called');
    const issuedAt = Math.floor((this.#opts.now ?? Date.now)() / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: JWT_ALG, kid: key.kid, typ: 'JWT' })
      .setIssuer(this.#opts.issuer)
      .setAudience(this.#opts.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.#opts.ttlSeconds)
      .sign(key.privateKey);
  }

  /** Verifies a token; throws DwError DW_ERR_TOKEN_EXPIRED or DW_ERR_UNAUTHORIZED. */
  async verify(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, async (header) => {
        if (header.alg !== JWT_ALG || typeof header.kid !== 'string') throw new DwError('DW_ERR_UNAUTHORIZED', 'unsupported token algorithm or missing kid');
        let k = this.#keys.get(header.kid);
        if (k === undefined) {
          // A key another instance just made (rotation): reload, at most once a second (a
          // token with a made-up kid waits for the next reload rather than causing one).
          await this.#reloadSoon();
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
