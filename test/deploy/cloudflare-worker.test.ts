// deploy/cloudflare/worker.js run under Node 20: its fetch handler with a small stand-in for the
// Workers Cache API (`caches.default`, honouring max-age), against a real control API (its
// routing endpoint, on a port) and a real engine on a real PostgreSQL. WebSocket proxying relies
// on the Workers runtime (a 101 response carrying `webSocket`), which Node's fetch cannot do:
// it is not tested here.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../src/control/app.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { packageRoot } from '../../src/core/paths.js';
import { countEvents, logEvent, startHarness, type Harness } from '../engine/harness.js';
import { freePort } from '../helpers/net.js';

const TOKEN = 'worker-test-service-token-0123456789abcdef';

/** The Cache API as Workers have it, in memory: put() keeps a response for its max-age (by its own clock, which a test can advance). */
class MemoryCache {
  readonly entries = new Map<string, { body: string; headers: [string, string][]; expiresAt: number }>();
  #skewMs = 0;
  now(): number { return Date.now() + this.#skewMs; }
  /** Moves the cache's clock forward, as if `ms` had passed. */
  advance(ms: number): void { this.#skewMs += ms; }
  async match(req: Request): Promise<Response | undefined> {
    const e = this.entries.get(req.url);
    if (e === undefined || e.expiresAt <= this.now()) return undefined;
    return new Response(e.body, { headers: e.headers });
  }
  async put(req: Request, res: Response): Promise<void> {
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1] ?? 0);
    if (maxAge > 0) this.entries.set(req.url, { body: await res.text(), headers: [...res.headers], expiresAt: this.now() + maxAge * 1000 });
  }
}

interface Worker { fetch(req: Request, env: Record<string, string>, ctx: { waitUntil(p: Promise<unknown>): void }): Promise<Response> }

let h: Harness;
let control: FastifyInstance;
let worker: Worker;
let env: Record<string, string>;
let slug: string;
const cache = new MemoryCache();
const pending: Promise<unknown>[] = [];
const ctx = { waitUntil: (p: Promise<unknown>) => { pending.push(p); } };

/** Runs the worker on a request for http://<host><path>; waits for its waitUntil work. */
async function run(host: string, path: string, init: RequestInit = {}, envOver: Record<string, string> = {}): Promise<Response> {
  const res = await worker.fetch(new Request(`http://${host}${path}`, init), { ...env, ...envOver }, ctx);
  await Promise.all(pending.splice(0));
  return res;
}

const lookups = (): number => { const s = control.routes.stats; return s.memoryHits + s.redisHits + s.databaseReads; };

beforeAll(async () => {
  h = await startHarness();
  const config = loadConfig({ env: {}, overrides: { logLevel: 'silent', routingServiceToken: TOKEN, routeTtlSeconds: 1, routeNegativeTtlSeconds: 1 } });
  control = await buildControlApp({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
  await control.listen({ host: '127.0.0.1', port: 0 });
  const { rows } = await h.db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [h.tenantA.id]);
  slug = rows[0].slug;
  await control.routes.upsert(slug, `127.0.0.1:${h.engine.port}`, 'local');
  env = { CONTROL_URL: `http://127.0.0.1:${(control.server.address() as { port: number }).port}/`, ROUTING_SERVICE_TOKEN: TOKEN, DRIFTWATCH_DOMAIN: 'dw.example.com' };
  (globalThis as { caches?: unknown }).caches = { default: cache };
  worker = (await import(pathToFileURL(join(packageRoot, 'deploy/cloudflare/worker.js')).href)).default as Worker;
});

afterAll(async () => {
  delete (globalThis as { caches?: unknown }).caches;
  await control?.close();
  await h?.close();
});

describe('Cloudflare Worker (deploy/cloudflare/worker.js) under Node', () => {
  it('proxies an ingest to the tenant engine: the events are stored; the route is then served from the cache', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const post = (data: string) => run(`${slug}.dw.example.com`, '/api/v1/events/ingest', {
      method: 'POST', headers: { authorization: `Bearer ${h.tenantA.key}`, 'content-type': 'application/json', 'cf-connecting-ip': '198.51.100.9' },
      body: JSON.stringify([logEvent(data)]),
    });
    const n0 = lookups();
    const r = await post('via the worker 1');
    expect([r.status, await r.json()]).toEqual([200, { accepted: 1 }]);
    expect(lookups()).toBe(n0 + 1);
    expect(cache.entries.has(`http://127.0.0.1:${(control.server.address() as { port: number }).port}/__dw_route/${slug}`)).toBe(true);
    const again = await post('via the worker 2');
    expect(again.status).toBe(200);
    // Served from the cache: the control API was not asked again.
    expect(lookups()).toBe(n0 + 1);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    // A GET goes through too, with the query string.
    const health = await run(`${slug}.dw.example.com`, '/health?x=1');
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
  });

  it('keeps a route for its TTL, then asks again and follows a move', async () => {
    await control.routes.upsert('moving', `127.0.0.1:${h.engine.port}`, 'm1');
    expect((await run('moving.dw.example.com', '/health')).status).toBe(200);
    await control.routes.upsert('moving', `127.0.0.1:${await freePort()}`, 'm2');
    // Within the TTL (1 s) the cached address is used: still the live engine.
    expect((await run('moving.dw.example.com', '/health')).status).toBe(200);
    cache.advance(1_100);
    const moved = await run('moving.dw.example.com', '/health');
    expect(moved.status).toBe(502);
    expect(((await moved.json()) as any).error.code).toBe('DW_ERR_UPSTREAM_UNREACHABLE');
  });

  it('unknown tenant: 404, remembered for the negative TTL; a host outside the domain: 404 without a lookup', async () => {
    const n0 = lookups();
    const r = await run('nobody.dw.example.com', '/health');
    expect(r.status).toBe(404);
    expect(((await r.json()) as any).error.code).toBe('DW_ERR_ROUTE_NOT_FOUND');
    expect((await run('nobody.dw.example.com', '/health')).status).toBe(404);
    expect(lookups()).toBe(n0 + 1);
    expect((await run('nobody.example.org', '/health')).status).toBe(404);
    expect((await run('dw.example.com', '/health')).status).toBe(404);
    expect(lookups()).toBe(n0 + 1);
  });

  it('a wrong service token: 503 DW_ERR_UNAVAILABLE, and nothing is cached', async () => {
    await control.routes.upsert('locked', `127.0.0.1:${h.engine.port}`, 'm');
    const r = await run('locked.dw.example.com', '/health', {}, { ROUTING_SERVICE_TOKEN: 'wrong' });
    expect(r.status).toBe(503);
    expect(((await r.json()) as any).error).toMatchObject({ code: 'DW_ERR_UNAVAILABLE', message: expect.stringContaining('401') });
    expect([...cache.entries.keys()].some((k) => k.endsWith('/locked'))).toBe(false);
    expect((await run('locked.dw.example.com', '/health')).status).toBe(200);
  });

  it('drops hop-by-hop headers and sets X-Forwarded-* (seen by a local server standing in for an engine)', async () => {
    const http = await import('node:http');
    let got: Record<string, unknown> = {};
    const srv = http.createServer((req, res) => { got = req.headers; res.writeHead(200, { connection: 'close, x-secret', 'x-secret': '1', 'x-kept': 'yes' }); res.end('ok'); });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      await control.routes.upsert('echo', `127.0.0.1:${(srv.address() as { port: number }).port}`, 'echo');
      const r = await run('echo.dw.example.com', '/h', { headers: { 'cf-connecting-ip': '203.0.113.5', 'x-forwarded-for': '10.0.0.1', 'proxy-authorization': 'x', te: 'trailers' } });
      expect([r.status, await r.text()]).toEqual([200, 'ok']);
      expect(got).toMatchObject({ 'x-forwarded-for': '10.0.0.1, 203.0.113.5', 'x-forwarded-host': 'echo.dw.example.com', 'x-forwarded-proto': 'http' });
      expect(got['proxy-authorization']).toBeUndefined();
      expect(r.headers.get('x-secret')).toBeNull();
      expect(r.headers.get('x-kept')).toBe('yes');
    } finally {
      srv.close();
    }
  });
});
