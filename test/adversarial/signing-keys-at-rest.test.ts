// Low (issue 12): the access-token signing keys are encrypted at rest. On main, signing_keys held
// each private JWK in clear (its `d`), so anyone who could read the table (a backup, a read-only
// role) could sign tokens for any user. Now, with an encryption key, each private half is an
// AES-256-GCM envelope naming its key id; rows in clear are sealed at start; a wrong key fails
// the start with an error naming both key ids; embedded installs get a key file of mode 0600.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenService } from '../../src/core/auth/jwt.js';
import { KEY_FILE_NAME, KeyEncryption, keyEncryptionOf } from '../../src/core/auth/key-encryption.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { signUp, startTestSystem } from '../helpers/system.js';
import { loadConfig } from '../../src/core/config.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.drop(); });

const OPTS = { issuer: 'driftwatch', audience: 'driftwatch', ttlSeconds: 900 };
const claims = { sub: 'u1', email: 'a@b.c', role: 'owner', tenant_id: 't1', session_id: 's1' };
const rowsOf = async () => (await db.pool.query<{ kid: string; private_jwk: Record<string, unknown>; text: string }>(
  'SELECT kid, private_jwk, private_jwk::text AS text FROM signing_keys ORDER BY created_at')).rows;

describe('signing keys at rest (issue 12, Low)', () => {
  it('rows in clear (as main stored them) are sealed at start; no private key is left in clear; tokens still verify', async () => {
    // A key written by a TokenService without encryption: main's format, `d` in clear.
    const plain = await new TokenService(db.pool, OPTS).init();
    const before = await plain.sign(claims);
    const [row0] = await rowsOf();
    expect(typeof row0.private_jwk.d).toBe('string');
    const d = row0.private_jwk.d as string;

    const enc = new KeyEncryption(randomBytes(32), 'test key');
    const sealed = await new TokenService(db.pool, { ...OPTS, encryption: enc }).init();
    await sealed.rotate();
    const rows = await rowsOf();
    expect(rows).toHaveLength(2);
    for (const r of rows) {
      expect(r.private_jwk).toMatchObject({ enc: 'A256GCM', v: 1, key_id: enc.keyId });
      expect(r.private_jwk.d).toBeUndefined();
      expect(r.text).not.toContain(d);
      expect(r.text).not.toContain('"d"');
    }
    // The migrated key still verifies what it signed before, and signs now.
    await expect(sealed.verify(before)).resolves.toMatchObject({ sub: 'u1' });
    await expect(sealed.verify(await sealed.sign(claims))).resolves.toMatchObject({ sub: 'u1' });

    // A wrong key: the start fails, naming the key id the rows were sealed with and the configured one.
    const wrong = new KeyEncryption(randomBytes(32), 'SIGNING_KEY_ENCRYPTION_KEY');
    await expect(new TokenService(db.pool, { ...OPTS, encryption: wrong }).init())
      .rejects.toThrow(new RegExp(`encrypted with key ${enc.keyId}.*is ${wrong.keyId}: wrong SIGNING_KEY_ENCRYPTION_KEY`));
    // No key at all: the start fails saying which setting is missing.
    await expect(new TokenService(db.pool, OPTS).init()).rejects.toThrow(/encrypted at rest.*set SIGNING_KEY_ENCRYPTION_KEY/);
    // An envelope moved to another row does not open (the kid is authenticated with it).
    await db.pool.query('UPDATE signing_keys SET private_jwk = (SELECT private_jwk FROM signing_keys WHERE kid = $1) WHERE kid = $2', [rows[0].kid, rows[1].kid]);
    await expect(new TokenService(db.pool, { ...OPTS, encryption: enc }).init()).rejects.toThrow(/does not decrypt/);
  });

  it('the embedded default creates its key file under the data directory with mode 0600, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-keyfile-'));
    try {
      const cfg = { signingKeyEncryptionKey: undefined, signingKeyEncryptionKeyFile: undefined, databaseUrl: undefined, dataDir: join(dir, 'data'), nodeEnv: undefined };
      const a = keyEncryptionOf(cfg);
      const file = join(dir, 'data', KEY_FILE_NAME);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(keyEncryptionOf(cfg).keyId).toBe(a.keyId);
      // The file is what SIGNING_KEY_ENCRYPTION_KEY_FILE reads; the key itself as the variable gives the same key id.
      expect(keyEncryptionOf({ ...cfg, databaseUrl: 'postgres://x/y', signingKeyEncryptionKeyFile: file }).keyId).toBe(a.keyId);
      expect(keyEncryptionOf({ ...cfg, signingKeyEncryptionKey: readFileSync(file, 'utf8') }).keyId).toBe(a.keyId);
      // A malformed key is refused.
      expect(() => keyEncryptionOf({ ...cfg, signingKeyEncryptionKey: 'short' })).toThrow(/SIGNING_KEY_ENCRYPTION_KEY must be 32 bytes/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('DATABASE_URL and no key: refused in production (DW_ERR_SIGNING_KEY_REQUIRED), else the data directory\'s key file, as on the embedded default', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-keyfile-'));
    try {
      const cfg = { signingKeyEncryptionKey: undefined, signingKeyEncryptionKeyFile: undefined, databaseUrl: 'postgres://x/y', dataDir: join(dir, 'data'), nodeEnv: 'production' };
      // Before: undefined (keys in clear, a warning). Now production refuses, naming both settings, and writes nothing.
      let refused: unknown;
      try { keyEncryptionOf(cfg); } catch (err) { refused = err; }
      expect(refused).toMatchObject({ code: 'DW_ERR_SIGNING_KEY_REQUIRED', message: expect.stringMatching(/SIGNING_KEY_ENCRYPTION_KEY .*SIGNING_KEY_ENCRYPTION_KEY_FILE/) });
      expect(existsSync(join(dir, 'data', KEY_FILE_NAME))).toBe(false);
      // The same through the one configuration loader (NODE_ENV is read there, once).
      const loaded = loadConfig({ env: { NODE_ENV: 'production', DATABASE_URL: 'postgres://x/y', DRIFTWATCH_DATA_DIR: join(dir, 'data') } });
      expect(() => keyEncryptionOf(loaded)).toThrow(/DW_ERR_SIGNING_KEY_REQUIRED|No signing-key encryption key/);
      // A key given: production starts with it.
      expect(keyEncryptionOf({ ...cfg, signingKeyEncryptionKey: 'ab'.repeat(32) }).source).toBe('SIGNING_KEY_ENCRYPTION_KEY');
      // Outside production: the key file under the data directory, mode 0600, the same every start.
      const dev = keyEncryptionOf({ ...cfg, nodeEnv: 'development' });
      const file = join(dir, 'data', KEY_FILE_NAME);
      expect(dev.source).toBe(`the key file ${file}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(keyEncryptionOf({ ...cfg, nodeEnv: undefined }).keyId).toBe(dev.keyId);
      // Nothing left beside it from the atomic creation.
      expect(readdirSync(join(dir, 'data'))).toEqual([KEY_FILE_NAME]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('with DATABASE_URL and no key the system seals the keys with its data directory\'s file; every verifier of that directory opens them, another directory is told what to set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dw-keyfile-'));
    const own = await createTestDatabase();
    const dataDir = join(dir, 'data');
    try {
      // A production start without a key stops before anything is written.
      await expect(startTestSystem(own.url, { dataDir, nodeEnv: 'production' })).rejects.toMatchObject({ code: 'DW_ERR_SIGNING_KEY_REQUIRED' });
      expect((await own.pool.query('SELECT 1 FROM signing_keys')).rowCount).toBe(0);

      const sys = await startTestSystem(own.url, { dataDir });
      try {
        // Sealed, not in clear (main kept them in clear here).
        const rows = (await own.pool.query<{ private_jwk: Record<string, unknown> }>('SELECT private_jwk FROM signing_keys')).rows;
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) expect(r.private_jwk).toMatchObject({ enc: 'A256GCM' });
        // A token the control API signs verifies in the engine (same process) and in another process of the same data directory.
        const { token, key } = await signUp(sys, 'Keyfile');
        const ingest = await fetch(`${sys.engineUrl}/api/v1/events/ingest`, {
          method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify([{ timestamp: Date.now(), stream_type: 'logs', stream: 'k', data: 'hello' }]),
        });
        expect(ingest.status).toBe(200);
        expect(key).toEqual(expect.any(String));
        const same = loadConfig({ env: {}, overrides: { databaseUrl: own.url, dataDir } });
        const other = await new TokenService(own.pool, { issuer: same.jwtIssuer, audience: same.jwtAudience, ttlSeconds: 900, encryption: keyEncryptionOf(same) }).init();
        await expect(other.verify(token)).resolves.toMatchObject({ email: expect.any(String) });
        // A process with another data directory (another host) has another key: its start fails saying what to set.
        const elsewhere = loadConfig({ env: {}, overrides: { databaseUrl: own.url, dataDir: join(dir, 'elsewhere') } });
        await expect(new TokenService(own.pool, { issuer: 'driftwatch', audience: 'driftwatch', ttlSeconds: 900, encryption: keyEncryptionOf(elsewhere) }).init())
          .rejects.toThrow(/every process sharing this database needs the same key/);
      } finally {
        await sys.close();
      }
    } finally {
      await own.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
