// Signing keys encrypted at rest: the private JWK of each row of signing_keys is stored as an
// AES-256-GCM envelope, never in clear, when an encryption key is configured.
//
//   SIGNING_KEY_ENCRYPTION_KEY (32 bytes: 64 hex digits or base64)
//   | SIGNING_KEY_ENCRYPTION_KEY_FILE (a file holding the same)
//   | neither, with DATABASE_URL and NODE_ENV=production: the start is refused (DW_ERR_SIGNING_KEY_REQUIRED):
//     a key file on one host would lock the other processes that share the database out of its keys
//   | neither (embedded PostgreSQL, or DATABASE_URL outside production): <data dir>/signing-key-encryption.key,
//     created (mode 0600, atomically: written aside, then linked in place) at first start, read by every later one;
//     the processes of one host that share a data directory (up, engine, control, the local tenant engines,
//     which are handed its path) share it
//        ─► KeyEncryption ─► private_jwk = {"enc": "A256GCM", "v": 1, "key_id", "iv", "tag", "ct"}
//
// key_id is the first 16 hex digits of the key's sha256, so that a row encrypted with another key
// is named as such ("wrong key") rather than failing as corrupt data. The row's kid is the
// additional authenticated data: an envelope moved to another row does not decrypt. Rows still
// in clear are encrypted at start (TokenService.init, jwt.ts).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JWK } from 'jose';
import { DwError } from '../errors.js';

export const KEY_FILE_NAME = 'signing-key-encryption.key';
const VERSION = 1;

/** How a private JWK is stored when encrypted. */
export interface SealedJwk { enc: 'A256GCM'; v: number; key_id: string; iv: string; tag: string; ct: string }

export const isSealed = (x: unknown): x is SealedJwk => typeof x === 'object' && x !== null && (x as { enc?: unknown }).enc === 'A256GCM';

/** 32 bytes from 64 hex digits or base64 (with or without padding); a TypeError naming `what` otherwise. */
export function parseKey(text: string, what: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (key === undefined || key.length !== 32) throw new TypeError(`${what} must be 32 bytes, as 64 hex digits or base64 (e.g. openssl rand -hex 32)`);
  return key;
}

export class KeyEncryption {
  readonly #key: Buffer;
  /** First 16 hex digits of the key's sha256: which key a row was encrypted with. */
  readonly keyId: string;

  constructor(key: Buffer, readonly source: string) {
    if (key.length !== 32) throw new TypeError('the signing-key encryption key must be 32 bytes');
    this.#key = key;
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 16);
  }

  seal(kid: string, jwk: JWK): SealedJwk {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.#key, iv);
    c.setAAD(Buffer.from(kid));
    const ct = Buffer.concat([c.update(JSON.stringify(jwk)), c.final()]);
    return { enc: 'A256GCM', v: VERSION, key_id: this.keyId, iv: iv.toString('base64'), tag: c.getAuthTag().toString('base64'), ct: ct.toString('base64') };
  }

  /** The private JWK of row `kid`; a clear error when it was sealed with another key or altered. */
  open(kid: string, s: SealedJwk): JWK {
    if (s.v !== VERSION) throw new Error(`signing key ${kid}: envelope version ${s.v} is not supported (this version reads ${VERSION})`);
    if (s.key_id !== this.keyId) {
      throw new Error(`signing key ${kid} was encrypted with key ${s.key_id}, but the configured encryption key (${this.source}) is ${this.keyId}: wrong SIGNING_KEY_ENCRYPTION_KEY ` +
        '(every process sharing this database needs the same key: set SIGNING_KEY_ENCRYPTION_KEY, or SIGNING_KEY_ENCRYPTION_KEY_FILE to the key file of the process that sealed it)');
    }
    try {
      const d = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(s.iv, 'base64'));
      d.setAAD(Buffer.from(kid));
      d.setAuthTag(Buffer.from(s.tag, 'base64'));
      return JSON.parse(Buffer.concat([d.update(Buffer.from(s.ct, 'base64')), d.final()]).toString()) as JWK;
    } catch {
      throw new Error(`signing key ${kid} does not decrypt with the configured encryption key (${this.source}): the row was altered or moved`);
    }
  }
}

export interface KeyEncryptionConfig {
  readonly signingKeyEncryptionKey: string | undefined;
  readonly signingKeyEncryptionKeyFile: string | undefined;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly nodeEnv: string | undefined;
}


/**
 * The encryption key of this process (the diagram at the top), read once at start. Creates the
 * data directory's key file when absent; throws DW_ERR_SIGNING_KEY_REQUIRED with DATABASE_URL
 * in production and no key given.
 */
export function keyEncryptionOf(c: KeyEncryptionConfig): KeyEncryption {
  if (c.signingKeyEncryptionKey !== undefined) return new KeyEncryption(parseKey(c.signingKeyEncryptionKey, 'SIGNING_KEY_ENCRYPTION_KEY'), 'SIGNING_KEY_ENCRYPTION_KEY');
  if (c.signingKeyEncryptionKeyFile !== undefined) {
    const file = c.signingKeyEncryptionKeyFile;
    return new KeyEncryption(parseKey(readFileSync(file, 'utf8'), `SIGNING_KEY_ENCRYPTION_KEY_FILE (${file})`), `SIGNING_KEY_ENCRYPTION_KEY_FILE ${file}`);
  }
  if (c.databaseUrl !== undefined && c.nodeEnv === 'production') {
    throw new DwError('DW_ERR_SIGNING_KEY_REQUIRED',
      'NODE_ENV=production with DATABASE_URL: set SIGNING_KEY_ENCRYPTION_KEY (32 bytes, e.g. openssl rand -hex 32) or SIGNING_KEY_ENCRYPTION_KEY_FILE, ' +
      'the same on every process that shares the database (a key file created on one host would lock the others out of the signing keys)');
  }
  const file = keyFileOf(c.dataDir);
  return new KeyEncryption(parseKey(readFileSync(file, 'utf8'), `the key file ${file}`), `the key file ${file}`);
}

/** <dataDir>/signing-key-encryption.key, created when absent (mode 0600, never half-written, never overwritten); its path. */
export function keyFileOf(dataDir: string): string {
  const file = join(dataDir, KEY_FILE_NAME);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    // Written aside, then linked in place: another process starting at once reads a whole key or
    // none, and never has its key replaced (the rows it sealed need it): link fails with EEXIST.
    const aside = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
    writeFileSync(aside, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    try { linkSync(aside, file); } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(aside);
    }
  }
  chmodSync(file, 0o600);
  return file;
}
