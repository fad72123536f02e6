// A tenant engine from `driftwatch up` on the embedded default (no DATABASE_URL), in a child
// process: sign up, POST /api/v1/vm/start, the tenant's engine (a grandchild) ingests with the
// tenant's key into the embedded PostgreSQL; SIGTERM stops the control API, the tenant engine
// and PostgreSQL, exit 0. A second `up` on the same data directory brings the engine back
// (desired state running) before anyone asks.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli-proc.js';
import { freePort, viaEdge, waitFor } from '../helpers/net.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function run(env: Record<string, string>): CliRun {
  const { DATABASE_URL: _omit, ...base } = process.env;
  const r = runCli(['up'], { ...base, LOG_LEVEL: 'warn', ...env });
  children.push(r.child);
  return r;
}

const json = async (r: Response): Promise<any> => r.json();

describe('per-tenant engine from `driftwatch up` (embedded PostgreSQL)', () => {
  it('starts, ingests into the embedded database, stops with the control API and comes back with it', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-vm-'));
    dirs.push(dataDir);
    const env = {
      DRIFTWATCH_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(await freePort()), CONTROL_PORT: String(await freePort()),
      ENGINE_PORT: String(await freePort()), WORKER_THREADS: '1', DEMO_TENANT: 'false', VM_HEALTH_INTERVAL_MS: '500',
      // The edge proxy on a free port, and route copies in Redis (when REDIS_URL is set) under a prefix of this run's own.
      EDGE_PORT: String(await freePort()), REDIS_KEY_PREFIX: `dw-test:${randomUUID()}:`,
    };
    const control = `http://127.0.0.1:${env.CONTROL_PORT}`;
    const first = run(env);
    await waitFor(async () => (first.output().includes('driftwatch is running') ? true : undefined), 90_000, () => `startup; ${first.report()}`);

    const reg = await json(await fetch(`${control}/api/v1/auth/register`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `vm-${Date.now()}@example.com`, password: 'correct horse battery', name: 'Vera' }),
    }));
    const auth = { authorization: `Bearer ${reg.token}`, 'content-type': 'application/json' };
    const key = (await json(await fetch(`${control}/api/v1/api-keys`, { method: 'POST', headers: auth, body: '{}' }))).key as string;
    const started = await fetch(`${control}/api/v1/vm/start`, { method: 'POST', headers: auth, body: '{}' });
    const { machine } = await json(started);
    expect(started.status, JSON.stringify(machine)).toBe(200);
    expect(machine.state).toBe('running');

    const ingest = await fetch(`http://${machine.address}/api/v1/events/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ timestamp: new Date().toISOString(), stream_type: 'logs', data: 'hello from a tenant engine' }]),
    });
    expect([ingest.status, await json(ingest)]).toEqual([200, { accepted: 1 }]);
    // The control API reads the same (embedded) database: the event is there.
    const events = await json(await fetch(`${control}/api/v1/events`, { headers: auth }));
    expect(events.events.map((e: { data: unknown }) => e.data)).toContain('hello from a tenant engine');
    // The same through the edge proxy: the registry routed <slug>.localhost to this engine.
    const route = await json(await fetch(`${control}/api/v1/routing`, { headers: auth }));
    expect(route).toMatchObject({ address: machine.address, machine_id: machine.id });
    const body = JSON.stringify([{ timestamp: new Date().toISOString(), stream_type: 'logs', data: 'hello through the edge' }]);
    const throughEdge = await viaEdge(Number(env.EDGE_PORT), `${route.subdomain}.localhost:${env.EDGE_PORT}`, '/api/v1/events/ingest', String(key), body);
    expect(throughEdge).toEqual({ status: 200, body: JSON.stringify({ accepted: 1 }) });

    first.kill('SIGTERM');
    expect(await first.exited, first.report()).toBe(0);
    expect(first.output()).toContain('stopped cleanly');
    await expect(fetch(`http://${machine.address}/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

    // A second run: the engine is wanted running, so the health loop starts it again.
    const second = run(env);
    await waitFor(async () => (second.output().includes('driftwatch is running') ? true : undefined), 90_000, () => `restart; ${second.report()}`);
    const back = await waitFor(async () => {
      const s = await json(await fetch(`${control}/api/v1/vm/status`, { headers: auth }));
      return s.machine?.state === 'running' ? s.machine : undefined;
    }, 30_000, 'engine back');
    expect((await fetch(`http://${back.address}/health`)).status).toBe(200);
    second.kill('SIGTERM');
    expect(await second.exited, second.report()).toBe(0);
    await expect(fetch(`http://${back.address}/health`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();
  });
});
