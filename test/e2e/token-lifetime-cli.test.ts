// MAX_ACCESS_TOKEN_LIFETIME_SECONDS as an operator sets it: `driftwatch up` in a child process
// (DATABASE_URL, the environment variables of docs), not a harness given a config object. The
// in-process checks (ours and external tokens, each claim combination) are in
// test/adversarial/token-lifetime.test.ts; this one checks that the variable reaches both
// services of the real process, and that a TTL over it stops the start with a clear message.
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KeyEncryption, type SealedJwk } from '../../src/core/auth/key-encryption.js';
import { runCli, type CliRun } from '../helpers/cli-proc.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { freePort, waitFor } from '../helpers/net.js';

const MAX = 120;
const SECRET = 'an-external-issuer-secret-of-at-least-32-characters';
const SEALING_KEY = randomBytes(32);
const now = (): number => Math.floor(Date.now() / 1000);

let db: TestDatabase;
let dataDir: string;
const children: ChildProcess[] = [];

function run(env: Record<string, string>): CliRun {
  const r = runCli(['up'], {
    ...process.env, DATABASE_URL: db.url, DRIFTWATCH_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DEMO_TENANT: 'false', WORKER_THREADS: '1',
    REDIS_KEY_PREFIX: `dw-test:${randomUUID()}:`, SIGNING_KEY_ENCRYPTION_KEY: SEALING_KEY.toString('hex'), EXTERNAL_JWT_SECRET: SECRET, ...env,
  });
  children.push(r.child);
  return r;
}

beforeAll(async () => {
  db = await createTestDatabase();
  dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-lifetime-'));
});
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await db?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe(`driftwatch up with MAX_ACCESS_TOKEN_LIFETIME_SECONDS=${MAX}`, () => {
  it('ACCESS_TOKEN_TTL_SECONDS over the maximum: the start is refused, exit 2, both variables named', async () => {
    const r = run({ MAX_ACCESS_TOKEN_LIFETIME_SECONDS: String(MAX), ACCESS_TOKEN_TTL_SECONDS: '300', CONTROL_PORT: String(await freePort()) });
    expect(await r.exited, r.report()).toBe(2);
    expect(r.output()).toMatch(/ACCESS_TOKEN_TTL_SECONDS .*must not exceed MAX_ACCESS_TOKEN_LIFETIME_SECONDS \(120\), got 300/);
    expect(r.output()).not.toContain('driftwatch is running');
  }, 30_000);

  it('a token living longer than the maximum (and well under the 24 h default) gets 401 DW_ERR_TOKEN_LIFETIME from the control API and the engine; ours of 60 s works', async () => {
    const ports = { CONTROL_PORT: await freePort(), ENGINE_PORT: await freePort(), EDGE_PORT: await freePort() };
    const r = run({ MAX_ACCESS_TOKEN_LIFETIME_SECONDS: String(MAX), ACCESS_TOKEN_TTL_SECONDS: '60', ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) });
    await waitFor(async () => (r.output().includes('driftwatch is running') ? true : undefined), 60_000, () => `startup; ${r.report()}`);
    const control = `http://127.0.0.1:${ports.CONTROL_PORT}`;
    const engine = `http://127.0.0.1:${ports.ENGINE_PORT}`;

    const email = `max-${Date.now()}@example.com`;
    const reg = await fetch(`${control}/api/v1/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'a long password', name: 'Max' }),
    });
    expect(reg.status).toBe(201);
    const issued = (await reg.json() as { token: string }).token;
    const claims = JSON.parse(Buffer.from(issued.split('.')[1], 'base64url').toString()) as Record<string, number>;
    expect(claims.exp - claims.iat).toBe(60);

    // Our own ES256 key (as a leaked key would allow), read from signing_keys and opened with the key the process sealed it with.
    const { rows } = await db.pool.query<{ kid: string; private_jwk: SealedJwk }>('SELECT kid, private_jwk FROM signing_keys ORDER BY created_at DESC LIMIT 1');
    const own = await importJWK(new KeyEncryption(SEALING_KEY, 'test').open(rows[0].kid, rows[0].private_jwk), 'ES256') as CryptoKey;
    const ours = (c: Record<string, unknown>): Promise<string> => new SignJWT(c).setProtectedHeader({ alg: 'ES256', kid: rows[0].kid, typ: 'JWT' }).sign(own);
    const external = (c: Record<string, unknown>): Promise<string> =>
      new SignJWT({ role: 'authenticated', sub: 'ext-1', aud: 'authenticated', email, ...c }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(SECRET));

    const asUser = async (token: string): Promise<[number, string | undefined]> => {
      const res = await fetch(`${control}/api/v1/user`, { headers: { authorization: `Bearer ${token}` } });
      return [res.status, (await res.json() as { error?: { code?: string } }).error?.code];
    };
    const ingest = async (token: string): Promise<[number, string | undefined]> => {
      const res = await fetch(`${engine}/api/v1/events/ingest`, {
        method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ timestamp: Date.now(), stream_type: 'logs', stream: 'lifetime', data: 'a line' }]),
      });
      return [res.status, (await res.json() as { error?: { code?: string } }).error?.code];
    };

    // 600 s: refused only because of the variable (the default maximum is 24 h).
    const t = now();
    for (const token of [await ours({ ...claims, iat: t, exp: t + 600 }), await external({ iat: t, exp: t + 600 })]) {
      expect(await asUser(token)).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
      expect(await ingest(token)).toEqual([401, 'DW_ERR_TOKEN_LIFETIME']);
    }
    // Under the maximum: the issued token, and the same two signers with 100 s, pass both.
    for (const token of [issued, await ours({ ...claims, iat: t, exp: t + 100 }), await external({ iat: t, exp: t + 100 })]) {
      expect((await asUser(token))[0]).toBe(200);
      expect((await ingest(token))[0]).toBe(200);
    }
    r.kill('SIGTERM');
    expect(await r.exited, r.report()).toBe(0);
  }, 90_000);
});
