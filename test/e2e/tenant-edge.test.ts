// The end to end: the control API's local driver starts a tenant's own engine
// (POST /api/v1/vm/start), the machine registry writes its route, and the edge proxy sends
// <slug>.localhost:<edge port> there: events ingested over HTTP and a WebSocket land in
// PostgreSQL. Stopping the VM removes the route: the edge answers 404 at once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startSystem, type System } from '../../src/system.js';
import { logEvent, WsClient } from '../engine/harness.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { storedEvents } from '../helpers/events.js';
import { viaEdge } from '../helpers/net.js';

const TOKEN = 'tenant-edge-service-token-0123456789abcdef';
let db: TestDatabase;
let sys: System;
// The data directory (the tenant engines' spools go under it): a temporary one of this file's own.
const dataDir = mkdtempSync(join(tmpdir(), 'dw-tenant-edge-'));

async function api(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${sys.controlUrl}${path}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? null : JSON.parse(text) };
}

const edge = (host: string, path: string, key: string, body?: string): Promise<{ status: number; body: string }> =>
  viaEdge(sys.edge!.port, host, path, key, body);

beforeAll(async () => {
  db = await createTestDatabase();
  const config = loadConfig({
    env: {},
    overrides: {
      databaseUrl: db.url, host: '127.0.0.1', controlPort: 0, edgePort: 0, workerThreads: 1, logLevel: 'silent',
      demoTenant: false, routingServiceToken: TOKEN, vmStopGraceMs: 5_000, dataDir,
    },
  });
  // Control API (with the machine registry and the local driver) and the edge; no shared engine.
  sys = await startSystem(config, silentLogger, { engine: false, control: true, edge: true });
});

afterAll(async () => {
  await sys?.close();
  await db?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a tenant engine started by the local driver, reached through the edge proxy', () => {
  it('start → route → HTTP and WebSocket ingest through <slug>.localhost → stored; stop → 404', async () => {
    const email = `erin-${Date.now()}@example.com`;
    const reg = await api('POST', '/api/v1/auth/register', { email, password: 'a long password', name: 'Erin' });
    expect(reg.status).toBe(201);
    const token = reg.body.token as string;
    const tenantId = reg.body.user.tenant_id as string;
    const key = (await api('POST', '/api/v1/api-keys', { name: 'agent' }, token)).body.key as string;
    const slug = (await db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [tenantId])).rows[0].slug;

    const start = await api('POST', '/api/v1/vm/start', {}, token);
    expect(start.status).toBe(200);
    const machine = (await api('GET', '/api/v1/vm/status', undefined, token)).body.machine;
    expect(machine).toMatchObject({ state: 'running', provider: 'local', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    const address = machine.address as string;

    // The registry wrote the route: the edge workers' endpoint and the owner's view answer it.
    const route = await api('GET', `/api/v1/routing/${slug}`, undefined, TOKEN);
    expect(route.status).toBe(200);
    expect(route.body).toMatchObject({ subdomain: slug, address });
    const own = await api('GET', '/api/v1/routing', undefined, token);
    expect(own.body).toMatchObject({ subdomain: slug, address, machine_id: machine.id });

    const host = `${slug}.localhost:${sys.edge!.port}`;
    const r = await edge(host, '/api/v1/events/ingest', key, JSON.stringify([logEvent('own engine 1'), logEvent('own engine 2')]));
    expect([r.status, r.body]).toEqual([200, JSON.stringify({ accepted: 2 })]);
    const ws = await WsClient.connect(`ws://127.0.0.1:${sys.edge!.port}/api/v1/stream`, { host, authorization: `Bearer ${key}` });
    ws.sendJson({ seq: 1, events: [logEvent('own engine via ws')] });
    expect((await ws.answer(1)).msg).toEqual({ ack: 1 });
    await ws.close();
    expect(await storedEvents(db.pool, { tenantId })).toHaveLength(3);

    // Stopping the VM removes the route: the edge says so at once (same table, no cache wait).
    expect((await api('DELETE', '/api/v1/vm/stop', undefined, token)).status).toBeLessThan(300);
    const after = await edge(host, '/health', key);
    expect(after.status).toBe(404);
    expect(JSON.parse(after.body).error.code).toBe('DW_ERR_ROUTE_NOT_FOUND');
    expect((await api('GET', `/api/v1/routing/${slug}`, undefined, TOKEN)).status).toBe(404);
  });
});
