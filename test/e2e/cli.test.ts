// The command a new user runs: `driftwatch up` (what `npm start` runs) on the embedded
// default, in a child process; the first run prints a demo API key, Ctrl-C (SIGINT) exits 0
// after flushing, and a second run on the same data directory starts again without a new key.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli-proc.js';
import { freePort, viaEdge, waitFor } from '../helpers/net.js';

const dirs: string[] = [];
const runs: CliRun[] = [];
afterAll(async () => {
  // A test that failed before its signal leaves its CLI running: SIGTERM (not SIGKILL, which
  // would leave the detached embedded PostgreSQL behind), then the data directories.
  for (const r of runs) if (r.child.exitCode === null && r.child.signalCode === null) r.kill('SIGTERM');
  await Promise.all(runs.map((r) => r.exited));
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>): CliRun {
  const { DATABASE_URL: _omit, ...base } = process.env;
  // A Redis key prefix of its own: runs on other databases must not share route copies.
  const r = runCli(args, { ...base, LOG_LEVEL: 'warn', REDIS_KEY_PREFIX: `dw-test:${randomUUID()}:`, ...env });
  runs.push(r);
  return r;
}

describe('driftwatch CLI', () => {
  it('--help lists the commands and options', async () => {
    const r = run(['--help'], {});
    expect(await r.exited, r.report()).toBe(0);
    for (const word of ['up', 'engine', 'control', 'edge', 'migrate', 'demo', '--engine-port', '--edge-port', 'DATABASE_URL', 'DRIFTWATCH_DOMAIN']) expect(r.output()).toContain(word);
  });

  it('a bad option exits 2 with the variable named', async () => {
    const r = run(['up'], { ENGINE_PORT: 'lots' });
    expect(await r.exited, r.report()).toBe(2);
    expect(r.output()).toMatch(/ENGINE_PORT .* must be an integer/);
  });

  it('up on embedded PostgreSQL: demo key once, SIGINT exits 0, restart keeps data', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-cli-'));
    dirs.push(dataDir);
    const env = {
      DRIFTWATCH_DATA_DIR: dataDir,
      EMBEDDED_PG_PORT: String(await freePort()),
      CONTROL_PORT: String(await freePort()),
      ENGINE_PORT: String(await freePort()),
      EDGE_PORT: String(await freePort()),
      WORKER_THREADS: '1',
    };
    const first = run(['up'], env);
    await waitFor(async () => (first.output().includes('driftwatch is running') ? true : undefined), 60_000, () => `startup; ${first.report()}`);
    const key = /^\s+(dw_[A-Za-z0-9_-]+)\s*$/m.exec(first.output())?.[1];
    expect(key, first.output()).toBeDefined();
    const engine = `http://127.0.0.1:${env.ENGINE_PORT}`;
    const r = await fetch(`${engine}/api/v1/events/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ timestamp: new Date().toISOString(), stream_type: 'logs', data: 'hello from the CLI test' }]),
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 1 });
    // The same through the edge proxy, as http://demo.localhost:<edge port> (the demo tenant's route).
    expect(first.output()).toContain(`http://demo.localhost:${env.EDGE_PORT}`);
    const body = JSON.stringify([{ timestamp: new Date().toISOString(), stream_type: 'logs', data: 'hello through the edge' }]);
    const throughEdge = await viaEdge(Number(env.EDGE_PORT), `demo.localhost:${env.EDGE_PORT}`, '/api/v1/events/ingest', String(key), body);
    expect(throughEdge).toEqual({ status: 200, body: JSON.stringify({ accepted: 1 }) });
    first.kill('SIGINT');
    expect(await first.exited, first.report()).toBe(0);
    expect(first.output()).toContain('stopped cleanly');

    const second = run(['up'], env);
    await waitFor(async () => (second.output().includes('driftwatch is running') ? true : undefined), 60_000, () => `restart; ${second.report()}`);
    expect(second.output()).not.toMatch(/dw_[A-Za-z0-9_-]{20,}/);
    // The key from the first run still works: the data directory persisted.
    const again = await fetch(`${engine}/api/v1/events/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' },
      body: JSON.stringify({ timestamp: Date.now(), stream_type: 'logs', data: 'second run' }) + '\n',
    });
    expect(again.status).toBe(200);
    second.kill('SIGTERM');
    expect(await second.exited, second.report()).toBe(0);
  });

  it('SIGTERM during first-run start-up: waits for start-up, then stops cleanly and leaves no PostgreSQL running', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-cli-'));
    dirs.push(dataDir);
    const pgPort = await freePort();
    const env = {
      DRIFTWATCH_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort),
      CONTROL_PORT: String(await freePort()), ENGINE_PORT: String(await freePort()), EDGE_PORT: String(await freePort()), WORKER_THREADS: '1',
    };
    const r = run(['up'], env);
    await waitFor(async () => (r.output().includes('starting embedded PostgreSQL') ? true : undefined), 30_000, () => `the start-up message; ${r.report()}`);
    r.kill('SIGTERM');
    expect(await r.exited, r.report()).toBe(0);
    expect(r.output()).toContain('stopping as soon as start-up finishes');
    expect(r.output()).toContain('stopped cleanly');
    // Nothing listens on the embedded PostgreSQL port any more.
    const { createConnection } = await import('node:net');
    const open = await new Promise<boolean>((resolve) => {
      const sock = createConnection({ host: '127.0.0.1', port: pgPort });
      sock.once('connect', () => { sock.destroy(); resolve(true); });
      sock.once('error', () => resolve(false));
    });
    expect(open).toBe(false);
  });
});
