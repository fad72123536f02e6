// The built-in edge proxy in front of a real engine (test/engine/harness.ts) on a real
// PostgreSQL: events sent to http://<slug>.localhost:<edge port> over HTTP and over a WebSocket
// are stored under the tenant; unknown subdomains answer 404, a dead engine 502, and clients
// that abort mid-body or mid-response leave the proxy serving. A small local HTTP server
// ("echo") shows what the engine side receives: forwarded headers, hop-by-hop headers removed,
// bodies streamed both ways.
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { requestHeaders, responseHeaders, tenantOfHost } from '../../src/edge/headers.js';
import { startEdgeProxy, type EdgeHandle } from '../../src/edge/proxy.js';
import { RoutingTable } from '../../src/core/routing/table.js';
import { countEvents, logEvent, startHarness, WsClient, type Harness } from '../engine/harness.js';
import { freePort, waitFor } from '../helpers/net.js';
import { storedEvents } from '../helpers/events.js';

let h: Harness;
let routes: RoutingTable;
let edge: EdgeHandle;
let echo: http.Server;
/** What the echo server saw, per request path. */
const seen = new Map<string, { headers: http.IncomingHttpHeaders; complete: boolean; responseClosedEarly: boolean }>();
let slug: string;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// The edge's idle timeout for kept-alive engine connections here (4 s in production).
const ENGINE_IDLE_MS = 500;

interface Answer { status: number; headers: http.IncomingHttpHeaders; body: string }

/** A request to the edge with the Host header `host` (no DNS needed for *.localhost). */
function viaEdge(host: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: '127.0.0.1', port: edge.port, method, path, agent: false,
      headers: { host, ...(opts.body !== undefined ? { 'content-length': String(Buffer.byteLength(opts.body)) } : {}), ...opts.headers },
    }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const hostOf = (sub: string): string => `${sub}.localhost:${edge.port}`;

beforeAll(async () => {
  h = await startHarness();
  const { rows } = await h.db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [h.tenantA.id]);
  slug = rows[0].slug;
  routes = await RoutingTable.open({ pool: h.db.pool, log: silentLogger, redisPrefix: 'unused:', ttlMs: 30_000, negativeTtlMs: 1_000 });
  await routes.upsert(slug, `127.0.0.1:${h.engine.port}`, 'local');

  echo = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const rec = { headers: req.headers, complete: false, responseClosedEarly: false };
    seen.set(req.url ?? '', rec);
    req.on('error', () => {});
    res.on('error', () => {});
    res.on('close', () => { if (!res.writableFinished) rec.responseClosedEarly = true; });
    if (req.url === '/stream') {
      // Echoes each request chunk at once, so a client can see its first chunk come back
      // before it sends the second: bodies are streamed, not buffered, both ways.
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream-hop': 'secret', connection: 'x-upstream-hop', 'keep-alive': 'timeout=5' });
      req.on('data', (d: Buffer) => res.write(`got:${d.toString()};`));
      req.on('end', () => { rec.complete = true; res.end('end'); });
      return;
    }
    if (req.url === '/slow') {
      // A long answer, one chunk every 20 ms: a client can leave in the middle.
      res.writeHead(200, { 'content-type': 'text/plain' });
      let n = 0;
      const t = setInterval(() => { if (res.destroyed || n++ > 500) { clearInterval(t); res.end(); } else res.write('x'.repeat(1024)); }, 20);
      return;
    }
    if (req.url === '/late') {
      // Answers after a silence longer than the edge's idle timeout for engine connections.
      setTimeout(() => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('late'); }, 3 * ENGINE_IDLE_MS);
      return;
    }
    req.on('data', () => {});
    req.on('end', () => {
      rec.complete = true;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, headers: req.headers }));
    });
  });
  echo.listen(0, '127.0.0.1');
  await once(echo, 'listening');
  await routes.upsert('echo', `127.0.0.1:${(echo.address() as net.AddressInfo).port}`, 'echo');
  edge = await startEdgeProxy({ routes, domain: 'localhost', host: '127.0.0.1', port: 0, log: silentLogger, connectTimeoutMs: 2_000, engineIdleMs: ENGINE_IDLE_MS });
});

afterAll(async () => {
  await edge?.close();
  echo?.closeAllConnections();
  echo?.close();
  await routes?.close();
  await h?.close();
});

describe('Host header → tenant (no I/O)', () => {
  it('takes the one label in front of the domain, ignoring case, port and a trailing dot', () => {
    expect(tenantOfHost('alice.localhost:8000', 'localhost')).toEqual({ kind: 'tenant', subdomain: 'alice' });
    expect(tenantOfHost('Alice.LocalHost.', 'localhost')).toEqual({ kind: 'tenant', subdomain: 'alice' });
    expect(tenantOfHost('acme-2.dw.example.com', 'dw.example.com')).toEqual({ kind: 'tenant', subdomain: 'acme-2' });
    for (const none of [undefined, '', 'localhost:8000', 'a.b.localhost', 'alice.example.com', '[::1]:8000', '127.0.0.1:8000', '_x.localhost', 'evil-localhost']) {
      expect(tenantOfHost(none, 'localhost').kind, String(none)).toBe('none');
    }
  });

  it('forwarded and hop-by-hop headers', () => {
    const out = requestHeaders({
      host: 'a.localhost', connection: 'keep-alive, X-Hop', 'x-hop': '1', te: 'trailers', 'transfer-encoding': 'chunked', 'proxy-authorization': 'p',
      'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'forged', expect: '100-continue', authorization: 'Bearer k',
    }, { clientIp: '::ffff:192.0.2.7', proto: 'http' });
    expect(out).toEqual({
      host: 'a.localhost', authorization: 'Bearer k', 'x-forwarded-for': '198.51.100.1, 192.0.2.7', 'x-forwarded-host': 'a.localhost', 'x-forwarded-proto': 'http',
    });
    const up = requestHeaders({ host: 'a.localhost', connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' }, { clientIp: '127.0.0.1', proto: 'http' }, true);
    expect(up).toMatchObject({ connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'k' });
    expect(responseHeaders({ 'content-type': 'x', connection: 'close, x-a', 'x-a': '1', 'keep-alive': 't', 'set-cookie': ['a=1', 'b=2'] }))
      .toEqual({ 'content-type': 'x', 'set-cookie': ['a=1', 'b=2'] });
  });
});

describe('edge proxy → engine', () => {
  it('HTTP: events posted to <slug>.localhost:<edge port> are stored under the tenant', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const r = await viaEdge(hostOf(slug), 'POST', '/api/v1/events/ingest', {
      headers: { authorization: `Bearer ${h.tenantA.key}`, 'content-type': 'application/json' },
      body: JSON.stringify([logEvent('through the edge 1'), logEvent('through the edge 2'), logEvent('through the edge 3')]),
    });
    expect([r.status, JSON.parse(r.body)]).toEqual([200, { accepted: 3 }]);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 3);
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).slice(-3);
    expect(rows.map((x) => x.data).sort()).toEqual(['through the edge 1', 'through the edge 2', 'through the edge 3']);
    // The engine's own refusals come through unchanged (a wrong key: its 401 and code).
    const bad = await viaEdge(hostOf(slug), 'POST', '/api/v1/events/ingest', { headers: { authorization: 'Bearer nope', 'content-type': 'application/json' }, body: '[]' });
    expect(bad.status).toBe(401);
    expect(JSON.parse(bad.body).error.code).toBe('DW_ERR_UNAUTHORIZED');
  });

  it('WebSocket: frames sent through the edge are acknowledged and stored', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const ws = await WsClient.connect(`ws://127.0.0.1:${edge.port}/api/v1/stream`, { host: hostOf(slug), authorization: `Bearer ${h.tenantA.key}` });
    try {
      ws.sendJson({ seq: 1, events: [logEvent('ws via edge 1'), logEvent('ws via edge 2')] });
      expect((await ws.answer(1)).msg).toEqual({ ack: 1 });
      ws.sendMsgpack({ seq: 2, events: [logEvent('ws via edge 3')] });
      expect((await ws.answer(2)).msg).toEqual({ ack: 2 });
      expect(await countEvents(h, h.tenantA.id)).toBe(before + 3);
      expect(edge.stats.tunnels).toBe(1);
    } finally {
      await ws.close();
    }
    await waitFor(async () => (edge.stats.tunnels === 0 ? true : undefined), 2_000, 'the tunnel to close');
    // The engine's refusal of the handshake reaches the client as is.
    await expect(WsClient.connect(`ws://127.0.0.1:${edge.port}/api/v1/stream`, { host: hostOf(slug), authorization: 'Bearer nope' }))
      .rejects.toMatchObject({ status: 401 });
  });

  it('sets X-Forwarded-*, drops hop-by-hop headers both ways, keeps the path and query', async () => {
    const r = await viaEdge(hostOf('echo'), 'GET', '/headers?a=1&b=%20', {
      headers: { connection: 'keep-alive, x-client-hop', 'x-client-hop': 'secret', 'proxy-authorization': 'Basic x', te: 'trailers', 'x-forwarded-proto': 'https', 'x-custom': 'kept' },
    });
    expect(r.status).toBe(200);
    const got = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(got.url).toBe('/headers?a=1&b=%20');
    expect(got.headers).toMatchObject({ 'x-forwarded-for': '127.0.0.1', 'x-forwarded-host': hostOf('echo'), 'x-forwarded-proto': 'http', 'x-custom': 'kept', host: hostOf('echo') });
    for (const gone of ['x-client-hop', 'proxy-authorization', 'te']) expect(got.headers[gone], gone).toBeUndefined();
  });

  it('streams bodies both ways: the first echoed chunk arrives before the client sends the second', async () => {
    const chunks: string[] = [];
    const req = http.request({ host: '127.0.0.1', port: edge.port, method: 'POST', path: '/stream', agent: false, headers: { host: hostOf('echo'), 'content-type': 'text/plain' } });
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      req.on('response', resolve);
      req.on('error', reject);
      req.flushHeaders();
      req.write('one');
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-upstream-hop']).toBeUndefined();
    expect(res.headers['keep-alive']).not.toBe('timeout=5');
    res.on('data', (d: Buffer) => chunks.push(d.toString()));
    await waitFor(async () => (chunks.join('').includes('got:one;') ? true : undefined), 2_000, 'the first chunk back');
    expect(chunks.join('')).not.toContain('two');
    req.end('two');
    await once(res, 'end');
    expect(chunks.join('')).toBe('got:one;got:two;end');
  });

  it('unknown subdomain, bare domain or another domain: 404 DW_ERR_ROUTE_NOT_FOUND (HTTP and upgrade)', async () => {
    for (const host of [hostOf('nobody'), `localhost:${edge.port}`, `nobody.example.com:${edge.port}`, `a.b.localhost:${edge.port}`]) {
      const r = await viaEdge(host, 'GET', '/health');
      expect(r.status, host).toBe(404);
      expect(JSON.parse(r.body).error.code).toBe('DW_ERR_ROUTE_NOT_FOUND');
      expect(r.headers['content-type']).toContain('application/json');
    }
    const ws = WsClient.connect(`ws://127.0.0.1:${edge.port}/api/v1/stream`, { host: hostOf('nobody'), authorization: `Bearer ${h.tenantA.key}` });
    await expect(ws).rejects.toMatchObject({ status: 404 });
  });

  it('engine unreachable: 502 DW_ERR_UPSTREAM_UNREACHABLE (HTTP and upgrade), and the proxy goes on', async () => {
    await routes.upsert('gone', `127.0.0.1:${await freePort()}`, 'dead');
    const errors = edge.stats.upstreamErrors;
    const r = await viaEdge(hostOf('gone'), 'POST', '/api/v1/events/ingest', { headers: { 'content-type': 'application/json' }, body: JSON.stringify([logEvent('lost')]) });
    expect(r.status).toBe(502);
    expect(JSON.parse(r.body).error).toMatchObject({ code: 'DW_ERR_UPSTREAM_UNREACHABLE', message: expect.stringContaining('gone') });
    await expect(WsClient.connect(`ws://127.0.0.1:${edge.port}/api/v1/stream`, { host: hostOf('gone') })).rejects.toMatchObject({ status: 502 });
    expect(edge.stats.upstreamErrors).toBe(errors + 2);
    expect((await viaEdge(hostOf(slug), 'GET', '/health')).status).toBe(200);
  });

  it('a client that aborts mid-body ends the engine-side request too; nothing crashes', async () => {
    const aborts = edge.stats.clientAborts;
    const before = await countEvents(h, h.tenantA.id);
    // Raw socket: announce 100 kB, send 1 kB of it, go away.
    for (const [host, path] of [[hostOf(slug), '/api/v1/events/ingest'], [hostOf('echo'), '/aborted-body']] as const) {
      const s = net.connect(edge.port, '127.0.0.1');
      s.on('error', () => {});
      await once(s, 'connect');
      s.write(`POST ${path} HTTP/1.1\r\nhost: ${host}\r\nauthorization: Bearer ${h.tenantA.key}\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n[`);
      s.write(JSON.stringify(logEvent('partial')).repeat(10));
      await sleep(100); // kept: the partial body must be on its way when the client goes away; nothing shows that it reached the engine
      s.destroy();
    }
    await waitFor(async () => (edge.stats.clientAborts >= aborts + 2 ? true : undefined), 3_000, 'both aborts counted');
    await waitFor(async () => (seen.get('/aborted-body')?.complete === false ? true : undefined), 3_000, 'the echo server to see the aborted request');
    expect(await countEvents(h, h.tenantA.id)).toBe(before);
    // The proxy and the engine still serve.
    const r = await viaEdge(hostOf(slug), 'POST', '/api/v1/events/ingest', {
      headers: { authorization: `Bearer ${h.tenantA.key}`, 'content-type': 'application/json' }, body: JSON.stringify([logEvent('after the abort')]),
    });
    expect(r.status).toBe(200);
  });

  it('a client that leaves mid-response makes the proxy drop the engine-side response', async () => {
    await new Promise<void>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: edge.port, path: '/slow', agent: false, headers: { host: hostOf('echo') } }, (res) => {
        res.once('data', () => { req.destroy(); resolve(); });
      });
      req.on('error', (err: Error & { code?: string }) => { if (err.code !== 'ECONNRESET') reject(err); });
      req.end();
    });
    await waitFor(async () => (seen.get('/slow')?.responseClosedEarly ? true : undefined), 3_000, 'the echo server to see its response cut');
    expect((await viaEdge(hostOf('echo'), 'GET', '/after')).status).toBe(200);
  });

  it('a slow answer (silent for 3 × the engine idle timeout) is waited for: the idle timeout of engine connections only drops idle ones', async () => {
    const r = await viaEdge(hostOf('echo'), 'GET', '/late');
    expect([r.status, r.body]).toEqual([200, 'late']);
  }, 15_000);

  it('close(): stops taking connections and ends open tunnels after the grace period', async () => {
    const own = await startEdgeProxy({ routes, domain: 'localhost', host: '127.0.0.1', port: 0, log: silentLogger, shutdownGraceMs: 300 });
    const ws = await WsClient.connect(`ws://127.0.0.1:${own.port}/api/v1/stream`, { host: `${slug}.localhost:${own.port}`, authorization: `Bearer ${h.tenantA.key}` });
    ws.sendJson({ seq: 1, events: [logEvent('before close')] });
    expect((await ws.answer(1)).msg).toEqual({ ack: 1 });
    const t0 = Date.now();
    await own.close();
    expect(Date.now() - t0).toBeLessThan(2_000);
    await waitFor(async () => (ws.closed ? true : undefined), 2_000, 'the client to see the tunnel closed');
    const refused = await new Promise<string>((resolve) => {
      const s = net.connect(own.port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve('connected'); });
      s.once('error', (err: Error & { code?: string }) => resolve(err.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
