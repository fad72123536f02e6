// The registry with the fly driver, against PostgreSQL and the local Machines API: concurrent
// starts make one Fly machine; a machine stopped behind our back, or an engine whose /health
// fails, is marked crashed and recovered by adopting the same machine (no second create); the
// route sink follows. The engine inside the machine is stood in for by a local /health server.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/core/audit.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { createProvider } from '../../src/control/machines/create.js';
import { FlyProvider } from '../../src/control/machines/fly.js';
import { LocalProvider } from '../../src/control/machines/local.js';
import { MachineRegistry } from '../../src/control/machines/registry.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startFakeFly, type FakeFly } from '../helpers/fake-fly.js';

let db: TestDatabase;
let fake: FakeFly;
let health: Server;
let healthStatus = 200;
let healthAddress: string;

beforeAll(async () => {
  db = await createTestDatabase();
  fake = await startFakeFly({ notFoundAfterCreateMs: 200, startDelayMs: 100 });
  health = createServer((req, res) => { res.writeHead(req.url === '/health' ? healthStatus : 404).end('{}'); });
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  healthAddress = `127.0.0.1:${(health.address() as { port: number }).port}`;
});
afterAll(async () => {
  await fake?.close();
  await new Promise((r) => health?.close(r));
  await db?.drop();
});

/** Makes a crashed machine's next attempt due now, so that the test does not sleep through the backoff. */
async function dueNow(tenantId: string): Promise<void> {
  await db.pool.query("UPDATE machines SET next_attempt_at = now() WHERE tenant_id = $1 AND state = 'crashed'", [tenantId]);
}

function registry(routes: string[]): MachineRegistry {
  const provider = new FlyProvider({
    baseUrl: fake.url, token: fake.token, app: fake.app, regions: ['iad', 'ams'], image: 'registry.fly.io/driftwatch:test',
    env: { DATABASE_URL: db.url }, log: silentLogger, backoffMs: 20, backoffMaxMs: 200, addressOf: () => healthAddress,
  });
  return new MachineRegistry({
    pool: db.pool, provider, log: silentLogger, audit: new AuditLog(db.pool, silentLogger),
    routes: { async upsert(s, a) { routes.push(`upsert ${s} ${a}`); }, async remove(s) { routes.push(`remove ${s}`); } },
    healthIntervalMs: 100, startTimeoutMs: 10_000, backoffMs: 50, backoffMaxMs: 400, healthTimeoutMs: 1_000,
  });
}

describe('registry + fly driver', () => {
  it('concurrent starts: one Fly machine; crash (stopped on the platform, then /health 500) and recovery adopt it', async () => {
    const t = await createTenant(db.pool, 'Flyer');
    const routes: string[] = [];
    const reg = registry(routes);
    const rs = await Promise.all(Array.from({ length: 5 }, () => reg.start(t.id)));
    expect(rs.filter((r) => r.claimed)).toHaveLength(1);
    for (const r of rs) expect(r.machine).toMatchObject({ state: 'running', provider: 'fly', region: 'iad', address: healthAddress });
    expect(fake.live()).toHaveLength(1);
    const flyId = fake.live()[0].id;
    expect(rs[0].machine.provider_machine_id).toBe(flyId);
    expect(routes).toEqual([`upsert ${t.slug} ${healthAddress}`]);

    // Stopped behind our back: crashed, then started again (same machine, under a lease).
    fake.setState(flyId, 'stopped');
    await reg.checkOnce();
    expect(await reg.forTenant(t.id)).toMatchObject({ state: 'crashed', failures: 1, last_error: 'health: the machine is stopped' });
    await dueNow(t.id); // instead of sleeping through the backoff
    await reg.checkOnce();
    expect(await reg.forTenant(t.id)).toMatchObject({ state: 'running', provider_machine_id: flyId });
    expect(fake.calls('POST', /\/machines$/)).toHaveLength(1);
    expect(fake.calls('POST', new RegExp(`/machines/${flyId}/start$`)).every((r) => r.nonce !== undefined)).toBe(true);

    // The engine in it stops answering: crashed; it answers again: recovered.
    healthStatus = 500;
    await reg.checkOnce();
    expect(await reg.forTenant(t.id)).toMatchObject({ state: 'crashed', last_error: 'health: GET /health failed' });
    healthStatus = 200;
    await dueNow(t.id); // instead of sleeping through the backoff
    await reg.checkOnce();
    expect((await reg.forTenant(t.id))!.state).toBe('running');
    expect(fake.live()).toHaveLength(1);
    expect(routes).toEqual([`upsert ${t.slug} ${healthAddress}`, `remove ${t.slug}`, `upsert ${t.slug} ${healthAddress}`, `remove ${t.slug}`, `upsert ${t.slug} ${healthAddress}`]);

    // Stop goes to Fly (lease, stop) and the machine stays (a later start adopts it).
    await reg.stop(t.id);
    expect(fake.machines.get(flyId)!.state).toMatch(/stopping|stopped/);
    const again = await reg.start(t.id);
    expect(again.machine.state).toBe('running');
    expect(fake.calls('POST', /\/machines$/)).toHaveLength(1);
    // A stop the Fly API refuses: 502 DW_ERR_VM_PROVIDER, the row says why, and the health
    // loop stops the machine once the API answers again.
    const okStops = (): number => fake.calls('POST', /\/stop$/).filter((r) => r.status === 200).length;
    const before = okStops();
    fake.inject({ method: 'POST', path: /\/stop$/, status: 500, times: 7 });
    const refused = await reg.stop(t.id).catch((e: unknown) => e) as { code: string };
    expect(refused.code).toBe('DW_ERR_VM_PROVIDER');
    expect(await reg.forTenant(t.id)).toMatchObject({ state: 'stopped', desired_state: 'stopped', last_error: expect.stringMatching(/^stop: Fly.io stop .*: 500/) });
    expect(fake.machines.get(flyId)!.state).toBe('started');
    await reg.checkOnce();
    expect(fake.machines.get(flyId)!.state).toMatch(/stopping|stopped/);
    expect((await reg.forTenant(t.id))!.last_error).toBeNull();
    expect(okStops()).toBe(before + 1);
    await reg.checkOnce(); // nothing more to do: no further stop call
    expect(okStops()).toBe(before + 1);

    await reg.start(t.id);
    await reg.close();
    // Fly machines outlive the control API: close() leaves them running.
    expect(fake.machines.get(flyId)!.state).toBe('started');
    expect((await reg.forTenant(t.id))!.state).toBe('running');
  });
});

describe('VM options', () => {
  it('VM_PROVIDER=fly needs its token, app and image', () => {
    expect(() => loadConfig({ env: { VM_PROVIDER: 'fly' } })).toThrow(/FLY_API_TOKEN \(options.flyApiToken\) must be set when VM_PROVIDER is fly/);
    expect(() => loadConfig({ env: { VM_PROVIDER: 'fly', FLY_API_TOKEN: 't', FLY_APP_NAME: 'a' } })).toThrow(/FLY_IMAGE/);
    expect(() => loadConfig({ env: { VM_PROVIDER: 'vmware' } })).toThrow(/VM_PROVIDER .* must be one of local, fly/);
    expect(() => loadConfig({ env: { FLY_REGIONS: 'iad,,ams' } })).toThrow(/FLY_REGIONS/);
  });

  it('defaults: local driver, 30 s health loop; createProvider follows VM_PROVIDER', () => {
    const local = loadConfig({ env: {} });
    expect([local.vmProvider, local.vmHealthIntervalMs, local.flyApiBase, local.flyRegions]).toEqual(['local', 30_000, 'https://api.machines.dev', 'iad']);
    expect(createProvider(local, 'postgres://x/y', silentLogger)).toBeInstanceOf(LocalProvider);
    const fly = loadConfig({ env: { VM_PROVIDER: 'fly', FLY_API_TOKEN: 't', FLY_APP_NAME: 'a', FLY_IMAGE: 'i', FLY_REGIONS: 'iad, ams' } });
    expect(createProvider(fly, 'postgres://x/y', silentLogger)).toBeInstanceOf(FlyProvider);
  });
});
