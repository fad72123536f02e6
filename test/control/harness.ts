// One control app per test file on its own fresh database, driven with app.inject(), plus
// small helpers to sign up users and to put rows straight into PostgreSQL.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { compress, DEFAULT_CODEC } from '../../src/core/blocks.js';
import { buildControlApp } from '../../src/control/app.js';
import { eventId } from '../../src/core/event-blocks.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

export interface Harness {
  db: TestDatabase;
  app: FastifyInstance;
  tokens: TokenService;
  config: Readonly<Config>;
  close(): Promise<void>;
}

/**
 * Limits high enough that no test meets them unless it asks for lower ones: every test signs
 * up and logs in from 127.0.0.1, far more often than the defaults allow.
 */
export const RELAXED_RATE_LIMITS: Partial<Config> = Object.freeze({
  loginRateLimitPerIp: 1_000_000, loginRateLimitPerEmail: 1_000_000, loginFailuresPerEmail: 1_000_000, registerRateLimitPerIp: 1_000_000, registerRateLimitPerEmail: 1_000_000,
});

export async function startHarness(overrides: Partial<Config> = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', ...RELAXED_RATE_LIMITS, ...overrides } });
  const tokens = await new TokenService(db.pool, {
    issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds,
    maxLifetimeSeconds: config.maxAccessTokenLifetimeSeconds,
  }).init();
  const app = await buildControlApp({ config, pool: db.pool, tokens, log: silentLogger });
  return {
    db, app, tokens, config,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

export interface CallResult<T> { status: number; body: T; headers: LightMyRequestResponse['headers'] }

export async function call<T = any>(app: FastifyInstance, method: string, url: string, opts: { body?: unknown; token?: string; headers?: Record<string, string>; payload?: string } = {}): Promise<CallResult<T>> {
  const res = await app.inject({
    method: method as 'GET',
    url,
    headers: { ...(opts.token !== undefined ? { authorization: `Bearer ${opts.token}` } : {}), ...(opts.headers ?? {}) },
    ...(opts.body !== undefined ? { payload: opts.body as object } : opts.payload !== undefined ? { payload: opts.payload } : {}),
  });
  return { status: res.statusCode, body: (res.body === '' ? undefined : JSON.parse(res.body)) as T, headers: res.headers };
}

export interface SignedUp {
  email: string;
  password: string;
  token: string;
  refresh: string;
  user: { id: string; email: string; username: string; name: string; role: string; tenant_id: string };
}

let seq = 0;
export async function signUp(app: FastifyInstance, name = 'Alice', extra: Record<string, unknown> = {}): Promise<SignedUp> {
  const email = `${name.toLowerCase().replace(/\W+/g, '')}-${process.pid}-${++seq}-${randomUUID().slice(0, 8)}@example.com`;
  const password = 'correct horse battery';
  const r = await call(app, 'POST', '/api/v1/auth/register', { body: { email, password, name, ...extra } });
  if (r.status !== 201) throw new Error(`register failed: ${r.status} ${JSON.stringify(r.body)}`);
  return { email, password, token: r.body.token, refresh: r.body.refresh_token, user: r.body.user };
}

/** Inserts an anomaly for a tenant directly; returns its id. */
export async function insertAnomaly(h: Harness, tenantId: string, fields: {
  stream?: string; stream_type?: string; score?: number; detected_at?: string; status?: string; incident_id?: string; event_ts?: string; data?: string;
} = {}): Promise<string> {
  const id = randomUUID();
  await h.db.pool.query(
    `INSERT INTO anomalies (id, tenant_id, stream, stream_type, score, detector, explanation, event, details, event_ts, detected_at, status, incident_id)
     VALUES ($1, $2, $3, $4, $5, 'ncd', 'this line compresses badly against the window', $6, $7, coalesce($10::timestamptz, now()), coalesce($8::timestamptz, now()), $9, $11)`,
    [id, tenantId, fields.stream ?? 'web', fields.stream_type ?? 'logs', fields.score ?? 0.9,
      { data: fields.data ?? 'panic: out of memory', metadata: { line: 7 } }, { window: 100 }, fields.detected_at ?? null, fields.status ?? 'open',
      fields.event_ts ?? null, fields.incident_id ?? null],
  );
  return id;
}

/** Inserts an event for a tenant directly, as a one-event block; returns its id as the API shows it. */
export async function insertEvent(h: Harness, tenantId: string, fields: { stream?: string; ts?: string; data?: unknown } = {}): Promise<string> {
  const ts = fields.ts ?? new Date().toISOString();
  const payload = compress(DEFAULT_CODEC, JSON.stringify([[Date.parse(ts), fields.data ?? 'GET / 200', { source: 'test' }]]));
  const { rows } = await h.db.pool.query<{ id: string }>(
    `INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, first_index, codec, payload)
     VALUES ($1, $2, 'logs', $3, $3, 1, 0, $4, $5) RETURNING id`,
    [tenantId, fields.stream ?? 'web', ts, DEFAULT_CODEC, payload],
  );
  return eventId(rows[0].id, 0);
}

/** The error code of a JSON error answer. */
export const codeOf = (r: CallResult<any>): string | undefined => r.body?.error?.code;
