// Shared setup for the engine tests: a fresh migrated database, a TokenService, tenants with
// keys, an in-process engine on a free port, and a small WebSocket client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pack, unpack } from 'msgpackr';
// `ws` is present as a dependency of uWebSockets.js (the fallback); see the report: it should be a devDependency.
import WebSocket from 'ws';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { createLogger, silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { countStored, storedEvents } from '../helpers/events.js';

export const boomWorker = fileURLToPath(new URL('../fixtures/score-boom.mjs', import.meta.url));

export interface Harness {
  db: TestDatabase;
  tokens: TokenService;
  config: Readonly<Config>;
  engine: EngineHandle;
  url: string;
  wsUrl: string;
  tenantA: { id: string; key: string; readKey: string };
  tenantB: { id: string; key: string };
  restart(overrides?: Partial<Config>): Promise<void>;
  close(): Promise<void>;
}

/** workerFilename: a fixture task file (default: the BOOM fixture), or 'real' for dist/workers/score.js. */
export async function startHarness(overrides: Partial<Config> = {}, worker: string = boomWorker): Promise<Harness> {
  const workerFilename = worker === 'real' ? undefined : worker;
  const db = await createTestDatabase();
  const tokens = await new TokenService(db.pool, { issuer: 'driftwatch', audience: 'driftwatch', ttlSeconds: 900 }).init();
  // Business (unlimited): tests that send many events are not stopped by the free plan's quota;
  // test/engine/quota.test.ts sets plans itself.
  const a = await createTenant(db.pool, 'Tenant A', 'business');
  const b = await createTenant(db.pool, 'Tenant B', 'business');
  const tenantA = {
    id: a.id,
    key: (await createApiKey(db.pool, a.id)).key,
    readKey: (await createApiKey(db.pool, a.id, { scopes: ['read'] })).key,
  };
  const tenantB = { id: b.id, key: (await createApiKey(db.pool, b.id)).key };
  const h = { db, tokens, tenantA, tenantB } as Harness;
  // Each harness spools into a directory of its own (SPOOL_DIR is one per engine process), kept across restart().
  const spoolDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));
  h.restart = async (o = overrides) => {
    h.config = loadConfig({ env: {}, overrides: { enginePort: 0, host: '127.0.0.1', workerThreads: 1, logLevel: 'silent', spoolDir, ...o } });
    // DW_TEST_LOG=warn: the engine's log on stderr (debugging a test).
    const log = process.env.DW_TEST_LOG === undefined ? silentLogger : createLogger({ logLevel: process.env.DW_TEST_LOG as 'warn' });
    h.engine = await startEngine({ config: h.config, pool: db.pool, tokens, log, workerFilename });
    h.url = `http://127.0.0.1:${h.engine.port}`;
    h.wsUrl = `ws://127.0.0.1:${h.engine.port}/api/v1/stream`;
  };
  h.close = async () => {
    await h.engine?.close();
    await db.drop();
    rmSync(spoolDir, { recursive: true, force: true });
  };
  await h.restart();
  return h;
}

export const logEvent = (msg: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ timestamp: new Date().toISOString(), stream_type: 'logs', data: msg, metadata: { source: 'api' }, ...extra });

export async function ingest(h: Harness, body: unknown, opts: { key?: string; contentType?: string; headers?: Record<string, string>; raw?: string | Uint8Array } = {}): Promise<{ status: number; body: any }> {
  const contentType = opts.contentType ?? 'application/json';
  const payload = opts.raw ?? (contentType === 'application/msgpack' ? pack(body) : JSON.stringify(body));
  const res = await fetch(`${h.url}/api/v1/events/ingest`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(opts.key === '' ? {} : { authorization: `Bearer ${opts.key ?? h.tenantA.key}` }), ...opts.headers },
    body: payload,
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

export async function countEvents(h: Harness, tenantId?: string): Promise<number> {
  // The block counts, and (so that a wrong count cannot hide) the events the blocks decode to.
  const n = tenantId === undefined ? await countStored(h.db.pool) : await countStored(h.db.pool, 'tenant_id = $1', [tenantId]);
  const decoded = (await storedEvents(h.db.pool, { tenantId })).length;
  if (decoded !== n) throw new Error(`event_blocks: counts say ${n} events, the payloads hold ${decoded}`);
  return n;
}

/** A WebSocket client that collects answers (decoded from JSON text or msgpack binary). */
export class WsClient {
  readonly ws: WebSocket;
  readonly answers: { msg: any; binary: boolean }[] = [];
  closed: { code: number; reason: string } | undefined;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.answers.push({ msg: isBinary ? unpack(data) : JSON.parse(data.toString('utf8')), binary: isBinary });
      for (const w of this.#waiters.splice(0)) w();
    });
    ws.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  static connect(url: string, headers: Record<string, string> = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      const c = new WsClient(ws);
      ws.once('open', () => resolve(c));
      ws.once('unexpected-response', (_req: unknown, res: { statusCode: number }) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
      ws.once('error', reject);
    });
  }

  sendJson(frame: unknown): void { this.ws.send(JSON.stringify(frame)); }
  sendMsgpack(frame: unknown): void { this.ws.send(pack(frame)); }

  /** Waits for the answer to `seq` (ack or nack), with a deadline. */
  async answer(seq: number | null, ms = 10_000): Promise<{ msg: any; binary: boolean }> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.answers.find((a) => a.msg.ack === seq || (a.msg.nack !== undefined && a.msg.nack === seq));
      if (found) return found;
      if (this.closed) throw new Error(`connection closed (${this.closed.code} ${this.closed.reason}) before the answer to ${seq}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer to seq ${seq} within ${ms} ms; got ${JSON.stringify(this.answers)}`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.#waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((r) => { this.ws.once('close', () => r()); this.ws.close(); });
  }
}
