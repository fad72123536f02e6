// The whole system in-process on a test database: control API and engine on free ports, and
// what the end-to-end tests that drive it over HTTP share (setup, a JSON request, a signed-up tenant).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startSystem, type System } from '../../src/system.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export async function startTestSystem(databaseUrl: string, overrides: Partial<Config> = {}): Promise<System> {
  // The engine's spool: a directory of its own (one engine process per SPOOL_DIR), removed on close.
  const spoolDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));
  const config = loadConfig({
    env: {},
    overrides: { databaseUrl, host: '127.0.0.1', enginePort: 0, controlPort: 0, workerThreads: 1, logLevel: 'silent', demoTenant: false, spoolDir, ...overrides },
  });
  const system = await startSystem(config, silentLogger, { engine: true, control: true }).catch(async (err: unknown) => {
    await rm(spoolDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...system,
    async close() {
      try { await system.close(); } finally { await rm(spoolDir, { recursive: true, force: true }); }
    },
  };
}

/**
 * A test database and the system on it for the whole file (beforeAll/afterAll registered here):
 * read `ctx.db` and `ctx.sys` inside tests and hooks.
 */
export function useTestSystem(): { readonly db: TestDatabase; readonly sys: System } {
  let db: TestDatabase | undefined;
  let sys: System | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
    sys = await startTestSystem(db.url);
  });
  afterAll(async () => {
    await sys?.close();
    await db?.drop();
  });
  return {
    get db() { if (db === undefined) throw new Error('the test database is not created yet'); return db; },
    get sys() { if (sys === undefined) throw new Error('the system is not started yet'); return sys; },
  };
}

/** A JSON request (`body` JSON-encoded when given, Bearer `token`); an empty answer reads as {}. */
export async function api<T = any>(method: string, url: string, opts: { body?: unknown; token?: string; headers?: Record<string, string> } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const res = await fetch(url, {
    method,
    headers: {
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}),
    },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T, headers: res.headers };
}

/**
 * Registers a user (a new tenant) on `sys`'s control API and makes an API key for it. With
 * `login`, the token is a login's (whose answer must carry a refresh token), else the registration's.
 */
export async function signUp(sys: System, name: string, opts: { login?: boolean } = {}): Promise<{ token: string; key: string; tenantId: string }> {
  const email = `${name.toLowerCase()}-${Math.floor(Math.random() * 1e9)}@example.com`;
  const reg = await api<{ token: string; user: { tenant_id: string } }>('POST', `${sys.controlUrl}/api/v1/auth/register`, { body: { email, password: 'a long password', name } });
  expect(reg.status).toBe(201);
  let token = reg.body.token;
  if (opts.login === true) {
    const login = await api<{ token: string; refresh_token: string }>('POST', `${sys.controlUrl}/api/v1/auth/login`, { body: { email, password: 'a long password' } });
    expect(login.status).toBe(200);
    expect(login.body.refresh_token).toEqual(expect.any(String));
    token = login.body.token;
  }
  const key = await api<{ key: string }>('POST', `${sys.controlUrl}/api/v1/api-keys`, { body: { name: 'agent' }, token });
  expect(key.status).toBe(201);
  return { token, key: key.body.key, tenantId: reg.body.user.tenant_id };
}
