// PostgreSQL unreachable with the spool off (SPOOL_MAX_BYTES=0): every source answers 503
// DW_ERR_UNAVAILABLE with Retry-After (a nack on an open WebSocket), never 500. With the spool on,
// see spool-pg.test.ts.
import { request as httpRequest } from 'node:http';
import { createServer, connect, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { freePort } from '../helpers/net.js';
import { boomWorker, logEvent, startHarness, WsClient, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBodyBytes: 64 * 1024 }); });
afterAll(async () => { await h?.close(); });

const engineConfig = () => loadConfig({ env: {}, overrides: { enginePort: 0, host: '127.0.0.1', workerThreads: 1, logLevel: 'silent', apiKeyCacheMs: 0, spoolMaxBytes: 0 } });

describe('engine sources with PostgreSQL down', () => {
  let engine: EngineHandle;
  let pool: pg.Pool;
  beforeAll(async () => {
    // Nothing listens on this port.
    pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`, max: 2, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => {});
    engine = await startEngine({ config: engineConfig(), pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker });
  });
  afterAll(async () => {
    await engine?.close();
    await pool?.end();
  });

  it('POST /api/v1/events/ingest answers 503 with Retry-After', async () => {
    const res = await fetch(`http://127.0.0.1:${engine.port}/api/v1/events/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
      body: JSON.stringify([logEvent('pg down')]),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('DW_ERR_UNAVAILABLE');
  });

  it('POST /v1/logs answers 503 with Retry-After', async () => {
    const res = await fetch(`http://127.0.0.1:${engine.port}/v1/logs`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
      body: JSON.stringify({ resourceLogs: [] }),
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    const body = (await res.json()) as { code: number; error: { code: string } };
    expect(body.code).toBe(14); // gRPC UNAVAILABLE: the exporters retry
    expect(body.error.code).toBe('DW_ERR_UNAVAILABLE');
  });

  it('the WebSocket upgrade is refused with 503 and Retry-After', async () => {
    const res = await new Promise<{ status: number; retryAfter: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({
        host: '127.0.0.1', port: engine.port, path: '/api/v1/stream',
        headers: {
          authorization: `Bearer ${h.tenantA.key}`, connection: 'Upgrade', upgrade: 'websocket',
          'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        },
      });
      req.on('response', (r) => {
        let body = '';
        r.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => resolve({ status: r.statusCode ?? 0, retryAfter: r.headers['retry-after'], body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(503);
    expect(res.retryAfter).toBe('1');
    expect(JSON.parse(res.body).error.code).toBe('DW_ERR_UNAVAILABLE');
  });
});

/** A TCP proxy to the test PostgreSQL that can be cut (existing connections reset, new ones refused). */
async function pgProxy(target: URL): Promise<{ url: string; cut(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const u = new URL(target.toString());
  u.hostname = '127.0.0.1';
  u.port = String((server.address() as { port: number }).port);
  const cut = async (): Promise<void> => {
    await new Promise<void>((r) => { server.close(() => r()); for (const s of sockets) s.destroy(); });
  };
  return { url: u.toString(), cut, close: async () => { if (server.listening) await cut(); } };
}

describe('engine WebSocket source when PostgreSQL goes away mid-connection', () => {
  it('nacks with DW_ERR_UNAVAILABLE (not DW_ERR_INTERNAL) and keeps the connection open', async () => {
    const proxy = await pgProxy(new URL(h.db.url));
    const pool = new pg.Pool({ connectionString: proxy.url, max: 2, connectionTimeoutMillis: 2_000 });
    pool.on('error', () => {});
    const engine = await startEngine({ config: engineConfig(), pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker });
    try {
      const c = await WsClient.connect(`ws://127.0.0.1:${engine.port}/api/v1/stream`, { authorization: `Bearer ${h.tenantA.key}` });
      c.sendJson({ seq: 1, events: [logEvent('while up')] });
      expect((await c.answer(1)).msg).toEqual({ ack: 1 });
      await proxy.cut();
      await new Promise((r) => setTimeout(r, 1_100)); // kept: the per-connection re-check interval (REAUTH_MS, not injectable) must pass
      c.sendJson({ seq: 2, events: [logEvent('while down')] });
      const a = await c.answer(2, 15_000);
      expect(a.msg).toMatchObject({ nack: 2, error: { code: 'DW_ERR_UNAVAILABLE' } });
      expect(c.closed).toBeUndefined();
      await c.close();
    } finally {
      await proxy.close();
      await engine.close();
      await pool.end();
    }
  });
});
