// Per-tenant engines with the local driver, timed on this machine: start (spawn ─▶ /health
// answers), stop (SIGTERM ─▶ exit), and a killed engine's detection and recovery by the health
// loop. One line per case. Needs DATABASE_URL (it creates dw_bench_vm_<random> and drops it).
//
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://... node dist/bench/vm.bench.js [--cycles 5]
import { scratchDatabase } from './scratch-db.js';
import { createApiKey } from '../src/core/auth/api-keys.js';
import { loadConfig } from '../src/core/config.js';
import { createPool, migrate } from '../src/core/db.js';
import { silentLogger } from '../src/core/log.js';
import { LocalProvider } from '../src/control/machines/local.js';
import { MachineRegistry } from '../src/control/machines/registry.js';
import { createTenant } from '../src/core/tenancy/tenants.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const line = (name: string, xs: number[], note = ''): void => {
  process.stdout.write(`${name}: median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)}; n=${xs.length})${note}\n`);
};

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) { process.stderr.write('vm.bench: set DATABASE_URL\n'); process.exitCode = 2; return; }
  const cycles = arg('--cycles', 5);
  const db = await scratchDatabase(adminUrl, 'vm');
  const pool = createPool(db.url, 10);
  const interval = 1_000;
  const backoff = 1_000;
  let registry: MachineRegistry | undefined;
  try {
    await migrate(pool);
    const tenant = await createTenant(pool, 'Bench');
    const key = (await createApiKey(pool, tenant.id)).key;
    const config = loadConfig({ env: {}, overrides: { logLevel: 'silent' } });
    const provider = new LocalProvider({ config, databaseUrl: db.url, log: silentLogger });
    registry = new MachineRegistry({
      pool, provider, log: silentLogger, healthIntervalMs: interval, startTimeoutMs: 60_000, backoffMs: backoff, backoffMaxMs: 60_000,
    });
    const starts: number[] = [];
    const stops: number[] = [];
    const ingests: number[] = [];
    const batch = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ timestamp: Date.now(), stream_type: 'logs', data: `GET /item/${i} 200` })));
    for (let i = 0; i < cycles; i++) {
      let t = performance.now();
      const { machine } = await registry.start(tenant.id);
      starts.push(performance.now() - t);
      t = performance.now();
      const r = await fetch(`http://${machine.address}/api/v1/events/ingest`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: batch });
      if (r.status !== 200) throw new Error(`ingest answered ${r.status}`);
      ingests.push(performance.now() - t);
      t = performance.now();
      await registry.stop(tenant.id);
      stops.push(performance.now() - t);
    }
    line('vm_local_start', starts, ' POST /vm/start equivalent: spawn until GET /health answers');
    line('vm_local_first_ingest_1000', ingests, ' first 1000-event batch to a fresh engine, until stored');
    line('vm_local_stop', stops, ' SIGTERM until the process exited');

    const detect: number[] = [];
    const recover: number[] = [];
    registry.startHealthLoop();
    for (let i = 0; i < cycles; i++) {
      const { machine } = await registry.start(tenant.id);
      const pid = provider.pid(machine.provider_machine_id!)!;
      const t = performance.now();
      process.kill(pid, 'SIGKILL');
      let crashedAt: number | undefined;
      for (;;) {
        const m = (await registry.forTenant(tenant.id))!;
        if (crashedAt === undefined && m.state === 'crashed') crashedAt = performance.now();
        if (crashedAt !== undefined && m.state === 'running') break;
        await new Promise((r) => setTimeout(r, 20));
      }
      detect.push(crashedAt - t);
      recover.push(performance.now() - t);
      // Reset the failure count so that every cycle has the first backoff.
      await pool.query('UPDATE machines SET failures = 0 WHERE tenant_id = $1', [tenant.id]);
    }
    line('vm_local_crash_detect', detect, ` kill -9 until marked crashed (VM_HEALTH_INTERVAL_MS=${interval})`);
    line('vm_local_crash_recover', recover, ` kill -9 until running again (backoff ${backoff} ms + start)`);
  } finally {
    await registry?.close();
    await pool.end();
    await db.drop();
  }
}

main().catch((err: unknown) => { process.stderr.write(`vm.bench: ${(err as Error).stack}\n`); process.exitCode = 1; });
