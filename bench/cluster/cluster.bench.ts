// bench/cluster: the same load through one engine process, then through 2 ingest + 2 detect +
// 1 store processes joined by a three-node JetStream cluster on loopback (issue 15), in one run.
//
//   parent: fresh database, a tenant per case, the load (4 HTTP connections, batches of 500 log
//   events over 8 streams, each acknowledged before the next), the report
//     single_process   node dist/bin/driftwatch.js engine                  (no NATS_URL)
//     cluster          3 × nats-server, engine --roles ingest (×2, the connections alternate),
//                      --roles detect (×2), --roles store (×1), NATS_REPLICAS=3
//   done = every event acknowledged, stored (event_blocks) and scored (driftwatch_score_scored_events_total
//   of the scoring processes); cost per role = the CPU time (/proc/<pid>/stat, worker threads included)
//   of its processes over the run, per event: µs of one core per event (nats: the three servers; PostgreSQL not counted).
// On 2 cores five engine processes and three NATS nodes share the machine: the ratio shows the
// overhead of the hop (publish, replication, consume), not scale.
// Run: npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node dist/bench/cluster/cluster.bench.js [--events 40000]
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createPool, migrate } from '../../src/core/db.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { scratchDatabase } from '../scratch-db.js';
import { startCluster } from './nats.js';

const bin = fileURLToPath(new URL('../../bin/driftwatch.js', import.meta.url));
const NATS = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p));
const arg = (name: string, dflt: number): number => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const EVENTS = arg('--events', 40_000);
const PER_BATCH = 500;
const CONNECTIONS = 4;
const TICK = 100; // clock ticks per second (/proc/<pid>/stat)

interface Proc { role: string; proc: ChildProcess; port: number }

async function spawnEngine(role: string, env: Record<string, string>): Promise<Proc> {
  const proc = spawn(process.execPath, [bin, 'engine'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ENGINE_PORT: '0', WORKER_THREADS: '1', LOG_LEVEL: 'info', SPOOL_DIR: mkdtempSync(join(tmpdir(), 'dw-bench-spool-')), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    const on = (d: Buffer): void => {
      buf += d.toString();
      const m = /"port":(\d+)[^\n]*EngineListenStarted|EngineListenStarted[^\n]*"port":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1] ?? m[2]));
      if (buf.length > 100_000) buf = buf.slice(-10_000);
    };
    proc.stdout.on('data', on);
    proc.stderr.on('data', on);
    proc.once('exit', (c) => reject(new Error(`${role} exited ${c}: ${buf.slice(-2000)}`)));
  });
  return { role, proc, port };
}

const cpuSeconds = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
};

async function scored(procs: Proc[]): Promise<number> {
  let n = 0;
  for (const p of procs) {
    const text = await (await fetch(`http://127.0.0.1:${p.port}/metrics`)).text();
    n += Number(/^driftwatch_score_scored_events_total (\d+)/m.exec(text)?.[1] ?? 0);
  }
  return n;
}

async function load(urls: string[], key: string): Promise<void> {
  const batches = Math.ceil(EVENTS / PER_BATCH / CONNECTIONS);
  await Promise.all(Array.from({ length: CONNECTIONS }, async (_, c) => {
    for (let b = 0; b < batches; b++) {
      const events = Array.from({ length: PER_BATCH }, (_x, i) => ({
        timestamp: new Date(Date.UTC(2026, 0, 1) + (b * PER_BATCH + i) * 1000).toISOString(), stream_type: 'logs', stream: `app-${(c * 2 + (i % 2))}`,
        data: `user ${1000 + ((b * 31 + i * 7) % 500)} fetched /api/items/${(b + i) % 97} in ${(i * 13) % 250} ms`,
      }));
      for (;;) {
        const res = await fetch(`${urls[c % urls.length]}/api/v1/events/ingest`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `c${c}-${b}` }, body: JSON.stringify(events),
        }).catch(() => undefined);
        await res?.text();
        if (res?.status === 200) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }));
}

async function run(name: string, pool: pg.Pool, tenantId: string, key: string, ingest: Proc[], scorers: Proc[], procs: Proc[], natsPids: number[] = []): Promise<{ rate: number; cpu: Map<string, number> }> {
  const all = [...procs.map((p) => ({ role: p.role, pid: p.proc.pid! })), ...natsPids.map((pid) => ({ role: 'nats', pid }))];
  const total = Math.ceil(EVENTS / PER_BATCH / CONNECTIONS) * CONNECTIONS * PER_BATCH;
  const scored0 = await scored(scorers);
  const cpu0 = all.map((p) => cpuSeconds(p.pid));
  const t0 = performance.now();
  await load(ingest.map((p) => `http://127.0.0.1:${p.port}`), key);
  const tAck = performance.now();
  for (;;) {
    const stored = Number((await pool.query<{ n: string }>('SELECT coalesce(sum(count), 0) AS n FROM event_blocks WHERE tenant_id = $1', [tenantId])).rows[0].n);
    if (stored >= total && (await scored(scorers)) - scored0 >= total) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const s = (performance.now() - t0) / 1000;
  const cpu = new Map<string, number>();
  all.forEach((p, i) => cpu.set(p.role, (cpu.get(p.role) ?? 0) + cpuSeconds(p.pid) - cpu0[i]));
  const rate = total / s;
  console.log(`${name}: ${total} events stored and scored in ${s.toFixed(2)} s: ${Math.round(rate)} events/s (acked in ${((tAck - t0) / 1000).toFixed(2)} s); ` +
    [...cpu].map(([r, c]) => `${r} ${((c * 1e6) / total).toFixed(1)} µs/event`).join(', '));
  return { rate, cpu };
}

async function main(): Promise<void> {
  if (NATS === undefined) throw new Error('nats-server is not installed');
  const admin = process.env.DATABASE_URL;
  if (admin === undefined) throw new Error('DATABASE_URL is required');
  const scratch = await scratchDatabase(admin, 'cluster');
  const url = scratch.url;
  const pool = createPool(url, 4);
  await migrate(pool);
  const procs: Proc[] = [];
  let nats: Awaited<ReturnType<typeof startCluster>> | undefined;
  try {
    const t1 = await createTenant(pool, 'single', 'business');
    const t2 = await createTenant(pool, 'cluster', 'business');
    const k1 = (await createApiKey(pool, t1.id)).key;
    const k2 = (await createApiKey(pool, t2.id)).key;
    const single = await spawnEngine('single', { DATABASE_URL: url });
    procs.push(single);
    const a = await run('single_process', pool, t1.id, k1, [single], [single], [single]);
    single.proc.kill('SIGTERM');
    nats = await startCluster(NATS);
    const env = { DATABASE_URL: url, NATS_URL: nats.url, NATS_REPLICAS: '3' };
    const roles = ['ingest', 'ingest', 'detect', 'detect', 'store'];
    const cl: Proc[] = [];
    for (const r of roles) cl.push(await spawnEngine(r, { ...env, DRIFTWATCH_ROLES: r }));
    procs.push(...cl);
    const b = await run('cluster_2ingest_2detect_1store', pool, t2.id, k2, cl.filter((p) => p.role === 'ingest'), cl.filter((p) => p.role === 'detect'), cl, nats.pids);
    console.log(`cluster_vs_single: ${Math.round(b.rate)} vs ${Math.round(a.rate)} events/s stored and scored (ratio ${(b.rate / a.rate).toFixed(2)}; 2 cores: the hop's overhead, not scale)`);
  } finally {
    for (const p of procs) p.proc.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise<void>((r) => { if (p.proc.exitCode !== null || p.proc.signalCode !== null) { r(); return; } p.proc.once('exit', () => r()); })));
    await nats?.stop();
    await pool.end();
    await scratch.drop().catch(() => {});
  }
}

await main();
