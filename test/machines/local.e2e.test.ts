// The machine registry with the local driver, against the real PostgreSQL: a tenant engine is
// really started (`node dist/bin/driftwatch.js engine`), answers /health, ingests its tenant's
// events over HTTP (they land in PostgreSQL) and refuses other tenants; concurrent starts make
// one machine; stop; a killed engine is marked crashed by the health loop and restarted; a
// failing engine backs off exponentially (capped); a wedged start is recovered; the route sink
// follows every transition; close() stops the engines.
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/core/audit.js';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { LocalProvider } from '../../src/control/machines/local.js';
import { MachineRegistry, type MachineRow, type RouteSink } from '../../src/control/machines/registry.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { storedEvents } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';

class RecordingRoutes implements RouteSink {
  readonly calls: string[] = [];
  readonly table = new Map<string, { address: string; machineId: string }>();
  async upsert(subdomain: string, address: string, machineId: string): Promise<void> {
    this.calls.push(`upsert ${subdomain} ${address}`);
    this.table.set(subdomain, { address, machineId });
  }
  async remove(subdomain: string): Promise<void> {
    this.calls.push(`remove ${subdomain}`);
    this.table.delete(subdomain);
  }
}

const VM: Partial<Config> = {
  logLevel: 'silent', vmHealthIntervalMs: 150, vmStartTimeoutMs: 30_000, vmRecoveryBackoffMs: 200, vmRecoveryBackoffMaxMs: 1_600, vmStopGraceMs: 5_000,
};

let db: TestDatabase;
const tenants: { id: string; slug: string; key: string }[] = [];
const registries: MachineRegistry[] = [];

function makeRegistry(o: { cliPath?: string; config?: Partial<Config> } = {}): { registry: MachineRegistry; provider: LocalProvider; routes: RecordingRoutes; config: Readonly<Config> } {
  const config = loadConfig({ env: {}, overrides: { ...VM, ...o.config } });
  const provider = new LocalProvider({ config, databaseUrl: db.url, log: silentLogger, cliPath: o.cliPath });
  const routes = new RecordingRoutes();
  const registry = new MachineRegistry({
    pool: db.pool, provider, log: silentLogger, routes, audit: new AuditLog(db.pool, silentLogger),
    healthIntervalMs: config.vmHealthIntervalMs, startTimeoutMs: config.vmStartTimeoutMs,
    backoffMs: config.vmRecoveryBackoffMs, backoffMaxMs: config.vmRecoveryBackoffMaxMs, healthTimeoutMs: 1_000,
  });
  registries.push(registry);
  return { registry, provider, routes, config };
}

const alive = (pid: number | undefined): boolean => {
  if (pid === undefined) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
};

const ingest = (address: string, key: string, n: number): Promise<Response> => fetch(`http://${address}/api/v1/events/ingest`, {
  method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
  body: JSON.stringify(Array.from({ length: n }, (_, i) => ({ timestamp: new Date().toISOString(), stream_type: 'logs', data: `line ${i}`, metadata: { source: 'vm-test' } }))),
});

beforeAll(async () => {
  db = await createTestDatabase();
  for (const name of ['Acme', 'Globex', 'Initech', 'Umbrella']) {
    const t = await createTenant(db.pool, name);
    tenants.push({ id: t.id, slug: t.slug, key: (await createApiKey(db.pool, t.id)).key });
  }
});
// A failed test must not leave a health loop running into the next one.
afterEach(async () => { for (const r of registries.splice(0)) await r.close().catch(() => undefined); });
afterAll(async () => { await db?.drop(); });

describe('local driver + registry', () => {
  it('starts a tenant engine that answers /health and ingests its events into PostgreSQL; other tenants get 403', async () => {
    const [acme, globex] = tenants;
    const { registry, provider, routes } = makeRegistry();
    const { machine, claimed } = await registry.start(acme.id);
    expect(claimed).toBe(true);
    expect(machine.state).toBe('running');
    expect(machine.provider).toBe('local');
    expect(machine.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(alive(provider.pid(machine.provider_machine_id!))).toBe(true);

    const health = await fetch(`http://${machine.address}/health`);
    expect(health.status).toBe(200);
    const r = await ingest(machine.address!, acme.key, 3);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 3 });
    expect((await storedEvents(db.pool, { tenantId: acme.id })).filter((e) => e.metadata?.source === 'vm-test')).toHaveLength(3);
    // The engine is acme's only.
    const other = await ingest(machine.address!, globex.key, 1);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe('DW_ERR_FORBIDDEN');

    expect(routes.table.get(acme.slug)).toEqual({ address: machine.address, machineId: machine.id });

    // stop: the process ends, the row says stopped (and stays wanted stopped), the route goes.
    const pid = provider.pid(machine.provider_machine_id!);
    const stopped = await registry.stop(acme.id);
    expect(stopped).toMatchObject({ state: 'stopped', desired_state: 'stopped' });
    expect(alive(pid)).toBe(false);
    expect(routes.table.has(acme.slug)).toBe(false);
    await expect(fetch(`http://${machine.address}/health`)).rejects.toThrow();
    // The health loop does not bring back a machine the tenant stopped.
    await registry.checkOnce();
    expect((await registry.forTenant(acme.id))!.state).toBe('stopped');
    await registry.close();
  });

  it('concurrent starts for one tenant make one machine (one claim, one process)', async () => {
    const globex = tenants[1];
    const { registry, provider } = makeRegistry();
    const results = await Promise.all(Array.from({ length: 8 }, () => registry.start(globex.id)));
    expect(results.filter((r) => r.claimed)).toHaveLength(1);
    expect(new Set(results.map((r) => r.machine.id)).size).toBe(1);
    for (const r of results) expect(r.machine.state).toBe('running');
    expect(provider.stats.spawned).toBe(1);
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM machines WHERE tenant_id = $1', [globex.id]);
    expect(rows[0].n).toBe(1);

    // Two registries (two control-API instances on one database) racing: still one claim.
    await registry.stop(globex.id);
    const second = makeRegistry();
    const raced = await Promise.all([registry.start(globex.id, { wait: false }), second.registry.start(globex.id, { wait: false }),
      registry.start(globex.id, { wait: false }), second.registry.start(globex.id, { wait: false })]);
    expect(raced.filter((r) => r.claimed)).toHaveLength(1);
    expect(provider.stats.spawned + second.provider.stats.spawned).toBe(2);
    await waitFor(async () => ((await registry.forTenant(globex.id))!.state === 'running' ? true : undefined), 30_000, 'running');
    await registry.close();
    await second.registry.close();
  });

  it('a killed engine: the health loop marks it crashed, then recovers it (routes and audit follow)', async () => {
    const initech = tenants[2];
    const { registry, provider, routes } = makeRegistry();
    const first = (await registry.start(initech.id)).machine;
    const pid = provider.pid(first.provider_machine_id!)!;
    registry.startHealthLoop();
    process.kill(pid, 'SIGKILL');
    const crashed: MachineRow = await waitFor(async () => {
      const m = await registry.forTenant(initech.id);
      return m !== null && m.state === 'crashed' ? m : undefined;
    }, 10_000, 'crashed');
    expect(crashed.failures).toBe(1);
    expect(crashed.last_error).toMatch(/^health: (the machine is failed|GET \/health failed)$/);
    const running: MachineRow = await waitFor(async () => {
      const m = await registry.forTenant(initech.id);
      return m !== null && m.state === 'running' ? m : undefined;
    }, 30_000, 'recovered');
    const newPid = provider.pid(running.provider_machine_id!);
    expect(newPid).not.toBe(pid);
    expect(alive(newPid)).toBe(true);
    expect(running.id).toBe(first.id);
    const r = await ingest(running.address!, initech.key, 2);
    expect(r.status).toBe(200);
    expect(routes.calls.filter((c) => c.startsWith(`upsert ${initech.slug} `))).toHaveLength(2);
    expect(routes.calls).toContain(`remove ${initech.slug}`);
    expect(routes.table.get(initech.slug)?.address).toBe(running.address);
    const { rows } = await db.pool.query<{ action: string; actor_kind: string; details: { ok?: boolean } }>(
      "SELECT action, actor_kind, details FROM audit_log WHERE tenant_id = $1 AND action LIKE 'vm.%' ORDER BY id", [initech.id]);
    expect(rows.map((x) => x.action)).toEqual(['vm.crash', 'vm.recover']);
    expect(rows.every((x) => x.actor_kind === 'system')).toBe(true);
    expect(rows[1].details.ok).toBe(true);

    // close(): the engine is stopped, the row marked stopped but still wanted running.
    await registry.close();
    expect(alive(newPid)).toBe(false);
    expect(await registry.forTenant(initech.id)).toMatchObject({ state: 'stopped', desired_state: 'running' });
    expect(routes.table.has(initech.slug)).toBe(false);
    // The next control API's health loop brings it back.
    const next = makeRegistry();
    await next.registry.checkOnce();
    const back = await next.registry.forTenant(initech.id);
    expect(back!.state).toBe('running');
    expect((await fetch(`http://${back!.address}/health`)).status).toBe(200);
    await next.registry.close();
  });

  it('an engine that cannot start: DW_ERR_VM_PROVIDER, crashed, retried with a doubling backoff up to the cap', async () => {
    const umbrella = tenants[3];
    const { registry } = makeRegistry({ cliPath: fileURLToPath(new URL('../fixtures/engine-fails.mjs', import.meta.url)) });
    const err = await registry.start(umbrella.id).catch((e: unknown) => e) as { code: string; message: string };
    expect(err.code).toBe('DW_ERR_VM_PROVIDER');
    expect(err.message).toMatch(/exited before it was ready: driftwatch: cannot reach the database \(fixture\)/);
    const seen: { failures: number; gap: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const m = await waitFor(async () => {
        const { rows } = await db.pool.query<{ failures: number; gap: number; state: string }>(
          `SELECT failures, state, extract(epoch FROM next_attempt_at - updated_at) * 1000 AS gap FROM machines WHERE tenant_id = $1`, [umbrella.id]);
        return rows[0].state === 'crashed' && rows[0].failures > (seen.at(-1)?.failures ?? 0) ? rows[0] : undefined;
      }, 15_000, `failure ${i + 1}`);
      seen.push({ failures: m.failures, gap: Math.round(Number(m.gap)) });
      await registry.checkOnce().catch(() => undefined);
      // Make the next attempt due now, so that the test does not sleep through the backoff.
      await db.pool.query('UPDATE machines SET next_attempt_at = now() WHERE tenant_id = $1 AND state = $2', [umbrella.id, 'crashed']);
      await registry.checkOnce().catch(() => undefined);
    }
    // 200 ms × 2^(failures-1), capped at 1600 ms.
    for (const s of seen) expect(Math.abs(s.gap - Math.min(200 * 2 ** (s.failures - 1), 1_600))).toBeLessThan(30);
    expect(seen.map((s) => s.failures)).toEqual([1, 2, 3, 4, 5, 6]);
    const { rows } = await db.pool.query<{ details: { ok: boolean } }>("SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'vm.recover'", [umbrella.id]);
    expect(rows.length).toBeGreaterThanOrEqual(5);
    expect(rows.every((r) => r.details.ok === false)).toBe(true);
    await registry.stop(umbrella.id);
    await registry.close();
  });

  it('a start wedged in "starting" (its control API died) is marked crashed and started again', async () => {
    const umbrella = tenants[3];
    const { registry, routes } = makeRegistry();
    await db.pool.query(
      `UPDATE machines SET state = 'starting', desired_state = 'running', failures = 0, provider_machine_id = NULL,
         updated_at = now() - interval '1 hour' WHERE tenant_id = $1`, [umbrella.id]);
    await registry.checkOnce();
    const m = await registry.forTenant(umbrella.id);
    expect(m).toMatchObject({ state: 'crashed', failures: 1 });
    expect(m!.last_error).toMatch(/wedged: still starting after 30000 ms/);
    await db.pool.query('UPDATE machines SET next_attempt_at = now() WHERE tenant_id = $1', [umbrella.id]);
    await registry.checkOnce();
    const back = await registry.forTenant(umbrella.id);
    expect(back!.state).toBe('running');
    expect(routes.table.get(umbrella.slug)?.address).toBe(back!.address);
    await registry.close();
  });

  it('stop: SIGTERM, then SIGKILL after the grace period', async () => {
    const config = loadConfig({ env: {}, overrides: { ...VM, vmStopGraceMs: 300 } });
    const provider = new LocalProvider({ config, databaseUrl: db.url, log: silentLogger, cliPath: fileURLToPath(new URL('../fixtures/engine-hangs.mjs', import.meta.url)) });
    const m = await provider.ensure({ tenantId: tenants[0].id, slug: tenants[0].slug, name: 'hangs' });
    // The fixture marks a file once its SIGTERM handler is installed (a SIGTERM before that would end it at once).
    const pid = provider.pid(m.id);
    const ready = join(tmpdir(), `engine-hangs-${pid}.ready`);
    for (let i = 0; i < 300 && !existsSync(ready); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(ready)).toBe(true);
    rmSync(ready, { force: true });
    expect(alive(pid)).toBe(true);
    const t0 = Date.now();
    await provider.stop(m.id);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(280);
    expect(alive(pid)).toBe(false);
    expect(provider.stats.killed).toBe(1);
    expect((await provider.get(m.id))!.state).toBe('stopped');
  });
});
