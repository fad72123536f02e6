// Lows on the edge proxy (issue 12): an absolute-form request target hung 10 s and then
// answered 502; two Host headers were accepted (the first one chose the tenant); a Content-Length
// that is not a non-negative integer (-1, 1e3, +5) got a bare 400 from Node's parser, now with the
// error body. The engine's own uWS parser (uWebSockets v20.43.0, HttpParser.h) closes such a
// connection without an answer, right after the route handler ran (its 400 is still in the cork
// buffer), so the edge is where a client sees 400 (README "Routing and the edge proxy"). Each is
// answered 400 at once, before any route lookup or upstream connection. The upstream here is a
// plain HTTP server that counts what reaches it.
import { once } from 'node:events';
import http from 'node:http';
import type net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { Route } from '../../src/core/routing/cache.js';
import { startEdgeProxy, type EdgeHandle } from '../../src/edge/proxy.js';
import { RawRequest } from '../helpers/raw-request.js';

let upstream: http.Server;
let edge: EdgeHandle;
let reached = 0;
let lookups = 0;

beforeAll(async () => {
  upstream = http.createServer((req, res) => { reached++; req.resume(); req.on('end', () => res.end('{"ok":true}')); });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  const address = `127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  const route: Route = { subdomain: 'alice', address, machineId: null, tenantId: null, version: 1, updatedAt: new Date().toISOString() };
  edge = await startEdgeProxy({
    routes: { get: async (sub) => { lookups++; return sub === 'alice' ? route : null; } },
    domain: 'localhost', host: '127.0.0.1', port: 0, log: silentLogger, connectTimeoutMs: 2_000,
  });
});

afterAll(async () => {
  await edge?.close();
  upstream?.closeAllConnections();
  upstream?.close();
});

async function answer(head: string, body = ''): Promise<{ status: number; code: string | undefined; ms: number }> {
  const t0 = performance.now();
  const r = new RawRequest(edge.port, head, body);
  try {
    const res = await r.response(3_000);
    let code: string | undefined;
    try { code = JSON.parse(res.body).error?.code; } catch { code = undefined; }
    return { status: res.status, code, ms: performance.now() - t0 };
  } finally {
    r.destroy();
  }
}

describe('edge proxy: malformed requests get 400 at once (issue 12, lows)', () => {
  it('a well-formed request reaches the upstream (the control case)', async () => {
    const before = reached;
    const a = await answer(`GET /x HTTP/1.1\r\nHost: alice.localhost:${edge.port}`);
    expect(a.status).toBe(200);
    expect(reached).toBe(before + 1);
  });

  it('an absolute-form request target', async () => {
    const before = { reached, lookups };
    const a = await answer(`GET http://alice.localhost:${edge.port}/x HTTP/1.1\r\nHost: alice.localhost:${edge.port}`);
    expect(a).toMatchObject({ status: 400, code: 'DW_ERR_VALIDATION' });
    expect({ reached, lookups }).toEqual(before);
  });

  it('an absolute-form upgrade request', async () => {
    const a = await answer(`GET http://alice.localhost:${edge.port}/api/v1/stream HTTP/1.1\r\nHost: alice.localhost:${edge.port}\r\n` +
      'Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
    expect(a).toMatchObject({ status: 400, code: 'DW_ERR_VALIDATION' });
  });

  it('two Host headers (whichever names a tenant)', async () => {
    const before = { reached, lookups };
    for (const hosts of [['alice', 'bob'], ['bob', 'alice'], ['alice', 'alice']]) {
      const a = await answer(`GET /x HTTP/1.1\r\nHost: ${hosts[0]}.localhost:${edge.port}\r\nHost: ${hosts[1]}.localhost:${edge.port}`);
      expect(a).toMatchObject({ status: 400, code: 'DW_ERR_VALIDATION' });
    }
    expect({ reached, lookups }).toEqual(before);
  });

  it('Content-Length: -1, 1e3, +5 (refused by Node\'s HTTP parser): 400 DW_ERR_VALIDATION with the error body', async () => {
    const before = { reached, lookups };
    for (const length of ['-1', '1e3', '+5']) {
      const a = await answer(`POST /api/v1/events/ingest HTTP/1.1\r\nHost: alice.localhost:${edge.port}\r\nContent-Length: ${length}`, '[]');
      expect(a, length).toMatchObject({ status: 400, code: 'DW_ERR_VALIDATION' });
    }
    expect({ reached, lookups }).toEqual(before);
  });
});
