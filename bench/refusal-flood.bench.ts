// bench/refusal-flood: what a flood of refused request bodies costs the rest of a `driftwatch up`
// process (issue 12: the drain of refused bodies, engine/sources/discard.ts).
//
//   this process: startSystem (engine + control API on one event loop, as `driftwatch up`)
//   child "clients" (undici): GET /health on the control API, one after the other, 5 ms apart;
//                             tenant B: POST /api/v1/events/ingest of 50 events every 100 ms (a valid key)
//   child "attacker" (undici), flood phases only: --connections loops (64), each POSTing a
//                             --body-mib (16) MiB JSON body with a wrong API key, again as soon as
//                             answered or cut
//
// Each round: "idle" (no attacker: the ceiling, measured in the same run), then "flood", --seconds
// each, then 2 s for the engine to settle (not counted). One line:
// `refusal_flood: P99 ms /health p99 under the flood, p50 X ms p99 Y ms max Z ms (n probes);
// second tenant's ingest ok A of B (P %); ceiling, no flood: /health p50 X ms p99 Y ms (B ok ...);
// attacker: answers and errors by kind; load L0 → L1 on C cores`, and per phase on stderr what the
// engine's thread went through (bench/phase-probe.ts, and the event loop's utilization).
// Needs DATABASE_URL (creates dw_bench_flood_<random> and drops it).
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://... node dist/bench/refusal-flood.bench.js [--seconds 10] [--rounds 3] [--connections 64] [--body-mib 16]
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { numberArg as arg, quantile } from './args.js';
import { describe, phaseProbe, type PhaseStats } from './phase-probe.js';
import { scratchDatabase } from './scratch-db.js';
import { createApiKey } from '../src/core/auth/api-keys.js';
import { loadConfig } from '../src/core/config.js';
import { silentLogger } from '../src/core/log.js';
import { createTenant } from '../src/core/tenancy/tenants.js';
import { startSystem } from '../src/system.js';

type Phase = 'idle' | 'flood' | 'settle';
interface Sample { phase: Phase; ms: number; ok: boolean }
interface ClientsReport { health: Sample[]; ingest: Sample[] }
type Counts = Record<string, number>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const bump = (c: Counts, k: string): void => { c[k] = (c[k] ?? 0) + 1; };
const codeOf = (text: string): string => {
  try { return String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? 'ok'); } catch { return 'unparsable'; }
};

/** Child "clients": the /health prober and tenant B, tagged with the phase the parent last named. */
async function clients(controlUrl: string, engineUrl: string, key: string): Promise<void> {
  let phase: Phase = 'settle';
  let running = true;
  const out: ClientsReport = { health: [], ingest: [] };
  process.on('message', (m: string) => { if (m === 'stop') running = false; else phase = m as Phase; });
  const agent = new Agent({ connections: 2, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const probe = async (): Promise<void> => {
    while (running) {
      const p = phase;
      const t0 = performance.now();
      let ok = false;
      try {
        const res = await request(`${controlUrl}/health`, { dispatcher: agent });
        await res.body.text();
        ok = res.statusCode === 200;
      } catch { /* counted as not ok */ }
      out.health.push({ phase: p, ms: performance.now() - t0, ok });
      await sleep(5);
    }
  };
  const tenantB = async (): Promise<void> => {
    for (let i = 0; running; i++) {
      const p = phase;
      const t0 = performance.now();
      const events = Array.from({ length: 50 }, (_, j) => ({ timestamp: new Date().toISOString(), stream_type: 'logs', stream: 'b', data: `GET /api/orders/${i}-${j} 200 12ms` }));
      let ok = false;
      try {
        const res = await request(`${engineUrl}/api/v1/events/ingest`, {
          method: 'POST', dispatcher: agent, body: JSON.stringify(events),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        });
        const text = await res.body.text();
        ok = res.statusCode === 200;
        if (!ok) process.stderr.write(`refusal-flood: B got ${res.statusCode} ${codeOf(text)}\n`);
      } catch (err) {
        process.stderr.write(`refusal-flood: B error ${(err as NodeJS.ErrnoException).code ?? String(err)}\n`);
      }
      const ms = performance.now() - t0;
      out.ingest.push({ phase: p, ms, ok });
      await sleep(Math.max(0, 100 - ms));
    }
  };
  await Promise.all([probe(), tenantB()]);
  await agent.close();
  process.send!(out, () => process.exit(0));
}

/** Child "attacker": `connections` loops POSTing `bytes` with a wrong key until told to stop; its answers and errors by kind. */
async function attacker(engineUrl: string, connections: number, bytes: number): Promise<void> {
  let running = true;
  const counts: Counts = {};
  const agent = new Agent({ connections, headersTimeout: 60_000, bodyTimeout: 60_000 });
  const body = Buffer.alloc(bytes, 0x20);
  body[0] = 0x5b;
  body[bytes - 1] = 0x5d;
  const headers = { 'content-type': 'application/json', authorization: `Bearer dw_${'A'.repeat(32)}` };
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const res = await request(`${engineUrl}/api/v1/events/ingest`, { method: 'POST', dispatcher: agent, headers, body });
        bump(counts, `${res.statusCode} ${codeOf(await res.body.text())}`);
      } catch (err) {
        if (running) bump(counts, `error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    }
  };
  const loops = Array.from({ length: connections }, loop);
  await new Promise<void>((resolve) => process.on('message', (m: string) => { if (m === 'stop') resolve(); }));
  running = false;
  await agent.destroy();
  await Promise.all(loops);
  process.send!(counts, () => process.exit(0));
}

const self = fileURLToPath(import.meta.url);
const child = (...args: string[]): ChildProcess => fork(self, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const reply = <T>(c: ChildProcess): Promise<T> => new Promise((resolve) => c.once('message', (m) => resolve(m as T)));

interface PhaseReport { phase: Phase; stats: PhaseStats; elu: number }

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) { process.stderr.write('refusal-flood.bench: set DATABASE_URL\n'); process.exitCode = 2; return; }
  const seconds = arg('--seconds', 10);
  const rounds = arg('--rounds', 3);
  const connections = arg('--connections', 64);
  const bytes = arg('--body-mib', 16) * 2 ** 20;
  const load0 = loadavg()[0];
  const db = await scratchDatabase(adminUrl, 'flood');
  const spoolDir = mkdtempSync(join(tmpdir(), 'dw-bench-spool-'));
  const config = loadConfig({ env: {}, overrides: { databaseUrl: db.url, host: '127.0.0.1', enginePort: 0, controlPort: 0, workerThreads: 1, logLevel: 'silent', demoTenant: false, spoolDir } });
  const system = await startSystem(config, silentLogger, { engine: true, control: true });
  try {
    const tenant = await createTenant(system.db.pool, 'Tenant B', 'business');
    const key = (await createApiKey(system.db.pool, tenant.id)).key;
    const c = child('--role', 'clients', system.controlUrl!, system.engineUrl!, key);
    const phases: PhaseReport[] = [];
    const attacks: Counts[] = [];
    const run = async (phase: Phase, ms: number, during?: () => Promise<void>): Promise<void> => {
      c.send(phase);
      const probe = await phaseProbe(system.db.pool);
      const elu0 = performance.eventLoopUtilization();
      await sleep(ms);
      const elu = performance.eventLoopUtilization(elu0).utilization;
      await during?.();
      phases.push({ phase, stats: await probe.stop(), elu });
    };
    await sleep(1_000); // connections set up, first requests
    for (let r = 0; r < rounds; r++) {
      await run('idle', seconds * 1_000);
      const a = child('--role', 'attacker', system.engineUrl!, String(connections), String(bytes));
      await run('flood', seconds * 1_000, async () => { a.send('stop'); attacks.push(await reply<Counts>(a)); });
      await run('settle', 2_000);
    }
    c.send('stop');
    const report = await reply<ClientsReport>(c);
    for (const p of phases) process.stderr.write(`refusal-flood: ${p.phase}: event loop busy ${p.elu.toFixed(2)}, ${describe(p.stats)}\n`);
    process.stdout.write(line(report, attacks, { rounds, seconds, connections, bytes, load0 }) + '\n');
  } finally {
    await system.close();
    rmSync(spoolDir, { recursive: true, force: true });
    await db.drop();
  }
}

function line(r: ClientsReport, attacks: Counts[], o: { rounds: number; seconds: number; connections: number; bytes: number; load0: number }): string {
  const health = (p: Phase): number[] => r.health.filter((s) => s.phase === p).map((s) => s.ms);
  const ingest = (p: Phase): string => {
    const xs = r.ingest.filter((s) => s.phase === p);
    const ok = xs.filter((s) => s.ok).length;
    return `${(100 * ok / Math.max(1, xs.length)).toFixed(1)} % ok (${ok} of ${xs.length}, p99 ${quantile(xs.map((s) => s.ms), 0.99).toFixed(1)} ms)`;
  };
  const flood = health('flood');
  const idle = health('idle');
  const failed = r.health.filter((s) => s.phase !== 'settle' && !s.ok).length;
  const total: Counts = {};
  for (const a of attacks) for (const [k, n] of Object.entries(a)) total[k] = (total[k] ?? 0) + n;
  const f = (x: number): string => x.toFixed(1);
  return `refusal_flood: ${f(quantile(flood, 0.99))} ms /health p99 under the flood, p50 ${f(quantile(flood, 0.5))} ms p99 ${f(quantile(flood, 0.99))} ms max ${f(Math.max(...flood))} ms (${flood.length} probes); ` +
    `second tenant's ingest ${ingest('flood')}; ceiling, no flood: /health p50 ${f(quantile(idle, 0.5))} ms p99 ${f(quantile(idle, 0.99))} ms (${idle.length} probes), ingest ${ingest('idle')}; ` +
    `/health failures ${failed}; attacker (${o.connections} connections, ${o.bytes / 2 ** 20} MiB bodies, wrong key): ` +
    `${Object.entries(total).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`).join(', ')}; ` +
    `${o.rounds} rounds of ${o.seconds} s each; load ${o.load0.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`;
}

const role = process.argv.indexOf('--role');
if (role === -1) await main();
else if (process.argv[role + 1] === 'clients') await clients(process.argv[role + 2], process.argv[role + 3], process.argv[role + 4]);
else await attacker(process.argv[role + 2], Number(process.argv[role + 3]), Number(process.argv[role + 4]));
