// Access tokens: ES256 JWTs signed with a key kept in PostgreSQL (signing_keys), so that the
// control API and the engine (and several instances of each) sign and verify with the same
// keys. The newest un-retired key signs; every key not retired for more than a token lifetime
// (plus RELOAD_MS) verifies, and all are published as a JWKS. Only ES256 is accepted here (no
// `none`, no HS*; external HS256 tokens are src/core/auth/external.ts's, chosen by principal.ts).
//
// Rotation without downtime (`driftwatch keys rotate`): the next key is published before it signs.
//   rotate() ─► INSERT the new key ("next": verifies and is in the JWKS at once, signs nothing
//     yet); the current signer retires PUBLISH_MS from now (retired_at in the future); keys that
//     never signed are retired now; in one transaction
//     ─► every instance reloads its keys at least every RELOAD_MS while it signs or verifies, so
//        all of them know the next key before PUBLISH_MS (= 2 × RELOAD_MS) has passed
//     ─► PUBLISH_MS later the next key signs (on every instance within RELOAD_MS after that)
//     ─► the old key stays in the JWKS and verifies until retired_at + token lifetime +
//        RETIRED_GRACE_SECONDS (the last token an instance may still have signed with it has expired by then)
//     ─► then it is dropped from the JWKS, and deleted by the next rotate().
// A token whose kid is unknown is refused at once (401) and the keys are reloaded in the
// background (at most once a second): no request waits on a reload, whatever kid it names.
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload, type CryptoKey } from 'jose';
import type pg from 'pg';
import { DwError } from '../errors.js';
import { withTransaction } from '../db.js';
import { checkLifetime, MAX_IAT_SKEW_SECONDS } from './lifetime.js';
import { isSealed, type KeyEncryption, type SealedJwk } from './key-encryption.js';

export const JWT_ALG = 'ES256';
export { MAX_IAT_SKEW_SECONDS };
/** MAX_ACCESS_TOKEN_LIFETIME_SECONDS's default: the longest lifetime (exp - iat) a token may claim. */
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 86_400;

export interface AccessClaims extends JWTPayload {
  sub: string;
  email: string;
  role: string;
  tenant_id: string;
  session_id: string;
}

interface KeyRow { kid: string; private_jwk: JWK | SealedJwk; public_jwk: JWK; active: boolean; ready: boolean }

/** How old the key set an instance signs with may get (another instance may have rotated meanwhile). */
export const RELOAD_MS = 30_000;
/** A retired key verifies for the token lifetime plus this (covers RELOAD_MS and clock skew). */
export const RETIRED_GRACE_SECONDS = 60;
/** A new key is published this long before it signs (verifiers reload every RELOAD_MS). */
export const PUBLISH_MS = 2 * RELOAD_MS;
/** An unknown kid reloads the keys at most this often. */
const UNKNOWN_KID_RELOAD_MS = 1_000;

export interface SigningKeyInfo { kid: string; created_at: Date; retired_at: Date | null; state: 'next' | 'signing' | 'retired' | 'expired' }
interface LoadedKey { kid: string; privateKey: CryptoKey | undefined; publicKey: CryptoKey; publicJwk: JWK }

export interface TokenServiceOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
  /** Tokens claiming a longer lifetime are refused (DW_ERR_TOKEN_LIFETIME; lifetime.ts); default DEFAULT_MAX_TOKEN_LIFETIME_SECONDS. Must be ≥ ttlSeconds. */
  maxLifetimeSeconds?: number;
  /** The clock tokens are issued by, in ms since the epoch (default Date.now; tests pass another). */
  now?: () => number;
  /** Private keys sealed at rest with this (key-encryption.ts); absent: stored in clear. */
  encryption?: KeyEncryption;
}

export class TokenService {
  #pool: pg.Pool;
  #opts: TokenServiceOptions;
  #keys = new Map<string, LoadedKey>();
  #signing: LoadedKey | undefined;
  #lastReload = 0;
  #reloading: Promise<void> | undefined;

  constructor(pool: pg.Pool, opts: TokenServiceOptions) {
    const max = opts.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    // The tokens we sign must pass our own check.
    if (opts.ttlSeconds > max) throw new TypeError(`options.ttlSeconds (${opts.ttlSeconds}) must not exceed options.maxLifetimeSeconds (${max})`);
    this.#pool = pool;
    this.#opts = opts;
  }

  get maxLifetimeSeconds(): number { return this.#opts.maxLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS; }

  get ttlSeconds(): number { return this.#opts.ttlSeconds; }

  /**
   * Loads the keys, creating the first one when there is none. With an encryption key, rows
   * still in clear are sealed first, and every sealed row must open with it (a wrong key
   * fails here, naming the key ids).
   */
  async init(): Promise<this> {
    if (this.#opts.encryption !== undefined) await this.#sealRows(this.#opts.encryption);
    await this.#reload();
    if (this.#signing === undefined) {
      await this.rotate();
    }
    return this;
  }

  /**
   * Adds the next signing key: published (and verifying) at once, signing from PUBLISH_MS on,
   * when the current signer retires (it keeps verifying and being published for a token
   * lifetime + RETIRED_GRACE_SECONDS after that). A key that never signed is retired now. Keys
   * whose grace ended are deleted. The first key of an empty table signs at once. Returns the new kid.
   */
  async rotate(): Promise<string> {
    const { privateKey, publicKey } = await generateKeyPair(JWT_ALG, { extractable: true });
    const kid = randomUUID();
    const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: JWT_ALG };
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: JWT_ALG, use: 'sig' };
    await withTransaction(this.#pool, async (client) => {
      // One rotation at a time (two at once would each retire the other's new key).
      await client.query('SELECT pg_advisory_xact_lock(1685520387)');
      // The current signer (the newest active key published for PUBLISH_MS) signs until the new
      // key is ready; un-retired keys newer than it never signed: retired now.
      const cur = await client.query<{ kid: string }>(
        `SELECT kid FROM signing_keys WHERE (retired_at IS NULL OR retired_at > now())
            AND created_at <= now() - make_interval(secs => $1) ORDER BY created_at DESC LIMIT 1`, [PUBLISH_MS / 1000]);
      const signer = cur.rows[0]?.kid ?? null;
      await client.query(
        `UPDATE signing_keys SET retired_at = CASE WHEN kid = $1 THEN now() + make_interval(secs => $2) ELSE now() END
          WHERE retired_at IS NULL OR retired_at > now()`, [signer, PUBLISH_MS / 1000]);
      await client.query(
        'INSERT INTO signing_keys (kid, alg, private_jwk, public_jwk) VALUES ($1, $2, $3, $4)',
        [kid, JWT_ALG, this.#opts.encryption?.seal(kid, privateJwk) ?? privateJwk, publicJwk],
      );
      await client.query('DELETE FROM signing_keys WHERE retired_at < now() - make_interval(secs => $1)', [this.#graceSeconds]);
    });
    await this.#reload();
    return kid;
  }

  /** Seals the rows still in clear (in one transaction, under the rotation lock) and opens the others once. */
  async #sealRows(enc: KeyEncryption): Promise<void> {
    await withTransaction(this.#pool, async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(1685520387)');
      const { rows } = await client.query<{ kid: string; private_jwk: JWK | SealedJwk }>('SELECT kid, private_jwk FROM signing_keys FOR UPDATE');
      for (const r of rows) {
        if (isSealed(r.private_jwk)) enc.open(r.kid, r.private_jwk);
        else await client.query('UPDATE signing_keys SET private_jwk = $2 WHERE kid = $1', [r.kid, enc.seal(r.kid, r.private_jwk)]);
      }
    });
  }

  /** A row's private JWK, opened when sealed. */
  #privateJwk(r: KeyRow): JWK {
    if (!isSealed(r.private_jwk)) return r.private_jwk;
    const enc = this.#opts.encryption;
    if (enc === undefined) throw new Error(`signing key ${r.kid} is encrypted at rest (key ${r.private_jwk.key_id}): set SIGNING_KEY_ENCRYPTION_KEY or SIGNING_KEY_ENCRYPTION_KEY_FILE`);
    return enc.open(r.kid, r.private_jwk);
  }

  /** Seconds a retired key keeps verifying. */
  get #graceSeconds(): number { return this.#opts.ttlSeconds + RETIRED_GRACE_SECONDS; }

  /** Every key in the table, newest first, with its state (for `driftwatch keys list`). */
  async list(): Promise<SigningKeyInfo[]> {
    const { rows } = await this.#pool.query<{ kid: string; created_at: Date; retired_at: Date | null; expired: boolean; active: boolean; ready: boolean }>(
      `SELECT kid, created_at, retired_at, retired_at < now() - make_interval(secs => $1) AS expired,
              retired_at IS NULL OR retired_at > now() AS active, created_at <= now() - make_interval(secs => $2) AS ready
         FROM signing_keys ORDER BY created_at DESC`, [this.#graceSeconds, PUBLISH_MS / 1000]);
    const signer = signerOf([...rows].reverse());
    return rows.map((r) => ({
      kid: r.kid, created_at: r.created_at, retired_at: r.retired_at,
      state: r.kid === signer?.kid ? 'signing' : r.active && !r.ready ? 'next' : r.expired ? 'expired' : 'retired',
    }));
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

  #reloadInBackground(): void {
    void this.#reloadSoon().catch(() => {});
  }

  async #reload(): Promise<void> {
    this.#lastReload = Date.now();
    const { rows } = await this.#pool.query<KeyRow>(
      `SELECT kid, private_jwk, public_jwk, retired_at IS NULL OR retired_at > now() AS active,
              created_at <= now() - make_interval(secs => $2) AS ready
         FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - make_interval(secs => $1)
        ORDER BY created_at ASC`,
      [this.#graceSeconds, PUBLISH_MS / 1000],
    );
    const keys = new Map<string, LoadedKey>();
    const signer = signerOf(rows);
    let signing: LoadedKey | undefined;
    for (const r of rows) {
      const publicKey = (await importJWK(r.public_jwk, JWT_ALG)) as CryptoKey;
      const privateKey = r === signer ? ((await importJWK(this.#privateJwk(r), JWT_ALG)) as CryptoKey) : undefined;
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
        // Keys at most RELOAD_MS old: a rotation's next key is known here before it signs.
        if (Date.now() - this.#lastReload > RELOAD_MS) this.#reloadInBackground();
        const k = this.#keys.get(header.kid);
        if (k === undefined) {
          // Refused at once, never waiting on a reload (a made-up kid costs nothing but a
          // background reload, at most once a second).
          this.#reloadInBackground();
          throw new DwError('DW_ERR_UNAUTHORIZED', 'unknown signing key');
        }
        return k.publicKey;
      }, { issuer: this.#opts.issuer, audience: this.#opts.audience, algorithms: [JWT_ALG] });
      for (const c of ['sub', 'tenant_id', 'session_id'] as const) {
        if (typeof payload[c] !== 'string') throw new DwError('DW_ERR_UNAUTHORIZED', `token lacks the ${c} claim`);
      }
      // Every token we sign has exp and iat (jose checks exp only when present, and iat not at all).
      if (typeof payload.exp !== 'number') throw new DwError('DW_ERR_UNAUTHORIZED', 'token lacks the exp claim');
      if (typeof payload.iat !== 'number' || payload.iat > Date.now() / 1000 + MAX_IAT_SKEW_SECONDS) {
        throw new DwError('DW_ERR_UNAUTHORIZED', `token lacks the iat claim or was issued more than ${MAX_IAT_SKEW_SECONDS} s in the future`);
      }
      checkLifetime(payload, this.maxLifetimeSeconds, Date.now() / 1000);
      return payload as AccessClaims;
    } catch (err) {
      if (err instanceof DwError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new DwError('DW_ERR_TOKEN_EXPIRED');
      throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid token');
    }
  }

  /** The public keys, for /.well-known/jwks.json (the next key too, before it signs). */
  jwks(): { keys: JWK[] } {
    return { keys: [...this.#keys.values()].map((k) => k.publicJwk) };
  }
}

/**
 * The key that signs, of rows in creation order: the newest active key published for
 * PUBLISH_MS, or (a table whose keys are all new, e.g. the very first) the oldest active one.
 */
function signerOf<R extends { active: boolean; ready: boolean }>(rows: readonly R[]): R | undefined {
  let signer: R | undefined;
  for (const r of rows) if (r.active && r.ready) signer = r;
  return signer ?? rows.find((r) => r.active);
}
