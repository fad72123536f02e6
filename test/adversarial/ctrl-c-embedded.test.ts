// Issue 12, item 8: a terminal's Ctrl-C reaches the whole foreground process group. `driftwatch
// up` on the embedded default, started as a child in its own process group (as a shell does),
// is loaded with events and then the whole group gets SIGINT: PostgreSQL must not start its
// shutdown while driftwatch still flushes. Expect "stopped cleanly", no error-level log line
// (was MachineShutdownUpdateError and ECONNREFUSED anomaly writes), and every anomaly the engine
// reported finding stored. (The 1 M-event run is the manual run in the README; this one
// sends LOAD events, enough to leave the scorer a backlog at the signal.)
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres } from '../../src/core/db.js';
import { packageRoot } from '../../src/core/paths.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { freePort, waitFor } from '../helpers/net.js';

const cli = join(packageRoot, 'dist', 'bin', 'driftwatch.js');
const LOAD = Number(process.env.DW_CTRL_C_EVENTS ?? 60_000);
const BATCH = 2_000;
const dirs: string[] = [];
afterAll(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

describe('Ctrl-C on `driftwatch up` (embedded PostgreSQL)', () => {
  it('after a load: stopped cleanly, no error-level line, every anomaly found is stored', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'driftwatch-ctrlc-'));
    dirs.push(dataDir);
    const pgPort = await freePort();
    const env = {
      DRIFTWATCH_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(pgPort), CONTROL_PORT: String(await freePort()),
      ENGINE_PORT: String(await freePort()), EDGE_PORT: String(await freePort()), WORKER_THREADS: '1', LOG_LEVEL: 'info',
    };
    const { DATABASE_URL: _omit, REDIS_URL: _r, ...base } = process.env;
    // detached: its own process group, like a job a shell starts in the foreground.
    const child = spawn(process.execPath, [cli, 'up'], { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(async () => (out.includes('driftwatch is running') ? true : undefined), 120_000, () => `startup; output so far:\n${out}${err}`);
      const key = /^\s+(dw_[A-Za-z0-9_-]+)\s*$/m.exec(out)?.[1];
      expect(key, out).toBeDefined();
      const { lines } = syntheticLog({ lines: LOAD, anomalies: Math.max(30, LOAD / 1000), seed: 12 });
      const t0 = Date.now() - LOAD;
      const batches: string[] = [];
      for (let i = 0; i < LOAD; i += BATCH) {
        batches.push(JSON.stringify(lines.slice(i, i + BATCH).map((data, k) => ({ timestamp: t0 + i + k, stream_type: 'logs', stream: `svc-${(i / BATCH) % 4}`, data }))));
      }
      let next = 0;
      const sender = async (): Promise<void> => {
        while (next < batches.length) {
          const body = batches[next++];
          const r = await fetch(`http://127.0.0.1:${env.ENGINE_PORT}/api/v1/events/ingest`, {
            method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body,
          });
          expect(r.status).toBe(200);
        }
      };
      await Promise.all([sender(), sender(), sender(), sender()]);
      // Ctrl-C: SIGINT to every process of the group.
      process.kill(-child.pid!, 'SIGINT');
      expect(await exited).toBe(0);
    } finally {
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
    }
    expect(out).toContain('stopped cleanly');
    const logLines = err.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { level: number; msg: string; event?: string; score?: { anomalies: number } });
    expect(logLines.filter((l) => l.level >= 50), err).toEqual([]);
    const closed = logLines.find((l) => l.event === 'EngineShutdownCompleted');
    expect(closed?.score, err).toBeDefined();
    const found = closed!.score!.anomalies;
    expect(found).toBeGreaterThan(0);

    // The data directory again, to count what was stored.
    const db = await startEmbeddedPostgres(dataDir, pgPort);
    const client = new pg.Client({ connectionString: db.url });
    try {
      await client.connect();
      const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM anomalies');
      expect(Number(rows[0].n)).toBe(found);
      const events = await client.query<{ n: string }>('SELECT coalesce(sum(count), 0) AS n FROM event_blocks');
      expect(Number(events.rows[0].n)).toBe(LOAD);
    } finally {
      await client.end();
      await db.stop();
    }
  }, 600_000);
});
