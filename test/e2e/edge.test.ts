// The system as `driftwatch up` starts it, in-process on a real PostgreSQL: control API, engine
// and edge proxy, with the demo tenant routed to the engine. Events sent to
// http://demo.localhost:<edge port> over HTTP and a WebSocket are stored under the demo tenant;
// the control API answers the route to edge workers; close() stops the engine before the edge,
// so a WebSocket through the edge is ended by the engine with 1001 (going away), not cut.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { DEMO_SLUG, startSystem, type System } from '../../src/system.js';
import { logEvent, WsClient } from '../engine/harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';

const TOKEN = 'e2e-routing-service-token-0123456789abcdef';
let db: TestDatabase;
let sys: System;
let closed = false;
// The engine's spool: a directory of its own (one engine process per SPOOL_DIR).
const spoolDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    env: {},
    overrides: {
      databaseUrl: db.url, host: '127.0.0.1', enginePort: 0, controlPort: 0, edgePort: 0, workerThreads: 1, logLevel: 'silent',
      demoTenant: true, routingServiceToken: TOKEN, spoolDir,
    },
  });
  sys = await startSystem(config, silentLogger, { engine: true, control: true, edge: true });
});

afterAll(async () => {
  if (!closed) await sys?.close();
  await db?.drop();
  rmSync(spoolDir, { recursive: true, force: true });
});

async function demoEvents(): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>('SELECT coalesce(sum(e.count), 0) AS n FROM event_blocks e JOIN tenants t ON t.id = e.tenant_id WHERE t.slug = $1', [DEMO_SLUG]);
  return Number(rows[0].n);
}

describe('driftwatch up: control API + engine + edge proxy, demo tenant routed', () => {
  it('routes demo to the engine and prints the edge URL', async () => {
    expect(sys.demoApiKey).toMatch(/^dw_/);
    expect(sys.edge).toBeDefined();
    expect(sys.edgeUrl).toBe(`http://demo.localhost:${sys.edge!.port}`);
    const r = await fetch(`${sys.controlUrl}/api/v1/routing/demo`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ subdomain: 'demo', address: sys.engineUrl!.replace('http://', '') });
  });

  it('HTTP and WebSocket through demo.localhost:<edge port> are stored under the demo tenant', async () => {
    const body = JSON.stringify([logEvent('demo via edge 1'), logEvent('demo via edge 2')]);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: sys.edge!.port, method: 'POST', path: '/api/v1/events/ingest', headers: {
        host: `demo.localhost:${sys.edge!.port}`, authorization: `Bearer ${sys.demoApiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      } }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    expect(await demoEvents()).toBe(2);

    const ws = await WsClient.connect(`ws://127.0.0.1:${sys.edge!.port}/api/v1/stream`, { host: `demo.localhost:${sys.edge!.port}`, authorization: `Bearer ${sys.demoApiKey}` });
    ws.sendJson({ seq: 1, events: [logEvent('demo ws via edge')] });
    expect((await ws.answer(1)).msg).toEqual({ ack: 1 });
    expect(await demoEvents()).toBe(3);

    // Shutdown with the tunnel open: the engine says goodbye (1001) through the edge.
    closed = true;
    const t0 = Date.now();
    await sys.close();
    await waitFor(async () => (ws.closed ? true : undefined), 5_000, 'the WebSocket to close');
    expect(ws.closed?.code).toBe(1001);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
