// The fly driver against a local Machines API (test/helpers/fake-fly.ts): create with a
// deterministic name and adoption of a create whose answer was lost, eventual consistency
// (404 right after create), 429 with Retry-After, region fallback on capacity errors, the wait
// loop under the server's cap, leases around mutations, destroy, and the client-side limit.
import { afterEach, describe, expect, it } from 'vitest';
import { FlyProvider, type FlyProviderOptions } from '../../src/control/machines/fly.js';
import { machineName, ProviderError } from '../../src/control/machines/provider.js';
import { silentLogger } from '../../src/core/log.js';
import { startFakeFly, type FakeFly, type FakeFlyOptions } from '../helpers/fake-fly.js';

const TENANT = '6a1c9c59-8f0e-4a5e-9a43-2f4e1c0b7d11';
const spec = { tenantId: TENANT, slug: 'acme', name: machineName(TENANT) };

let fake: FakeFly | undefined;
afterEach(async () => { await fake?.close(); fake = undefined; });

async function setup(fo: FakeFlyOptions = {}, po: Partial<FlyProviderOptions> = {}): Promise<{ fly: FlyProvider; fake: FakeFly }> {
  fake = await startFakeFly(fo);
  const fly = new FlyProvider({
    baseUrl: fake.url, token: fake.token, app: fake.app, regions: ['iad'], image: 'registry.fly.io/driftwatch:test',
    env: { DATABASE_URL: 'postgres://db.internal/driftwatch' }, log: silentLogger, backoffMs: 20, backoffMaxMs: 200, ...po,
  });
  return { fly, fake };
}

describe('fly driver: create and adopt', () => {
  it('creates one machine named after the tenant, with its image, env and metadata', async () => {
    const { fly, fake } = await setup();
    const m = await fly.ensure(spec);
    expect(m.name).toBe(`dw-engine-${TENANT}`);
    expect(m.address).toBe(`${m.id}.vm.${fake.app}.internal:8090`);
    expect(fake.live()).toHaveLength(1);
    const [create] = fake.calls('POST', /\/machines$/);
    const body = create.body as { name: string; region: string; config: { image: string; env: Record<string, string>; metadata: Record<string, string> } };
    expect(body.name).toBe(spec.name);
    expect(body.region).toBe('iad');
    expect(body.config.image).toBe('registry.fly.io/driftwatch:test');
    expect(body.config.env).toMatchObject({ DRIFTWATCH_TENANT_ID: TENANT, DATABASE_URL: 'postgres://db.internal/driftwatch', ENGINE_PORT: '8090' });
    expect(body.config.metadata).toEqual({ driftwatch_tenant: TENANT, driftwatch_slug: 'acme' });
    // It looked for an existing machine first, by the tenant's metadata.
    const [list] = fake.calls('GET', /\/machines$/);
    expect(list.query).toEqual({ 'metadata.driftwatch_tenant': TENANT });
    expect(list.at).toBeLessThan(create.at + 1);
  });

  it('a create whose answer is lost is adopted, not made twice; so is a second ensure', async () => {
    const { fly, fake } = await setup();
    fake.dropNextCreateAnswer = true;
    const m = await fly.ensure(spec);
    expect(fake.live()).toHaveLength(1);
    expect(m.id).toBe(fake.live()[0].id);
    expect(fake.calls('POST', /\/machines$/)).toHaveLength(1);
    expect(fake.calls('GET', /\/machines$/).length).toBeGreaterThanOrEqual(2); // before the create, and after it was lost
    expect(fly.stats.adopted).toBe(1);
    // Another instance (or a retried request) ensures the same tenant: still one machine.
    const other = new FlyProvider({ baseUrl: fake.url, token: fake.token, app: fake.app, regions: ['iad'], image: 'x', env: {}, log: silentLogger });
    expect((await other.ensure(spec)).id).toBe(m.id);
    expect(fake.live()).toHaveLength(1);
    expect(fake.calls('POST', /\/machines$/)).toHaveLength(1);
  });

  it('adopting a stopped machine starts it (under a lease)', async () => {
    const { fly, fake } = await setup();
    const m = await fly.ensure(spec);
    await fly.waitFor(m.id, 'started', 10_000);
    await fly.stop(m.id);
    await fly.waitFor(m.id, 'stopped', 10_000);
    const again = await fly.ensure(spec);
    expect(again.id).toBe(m.id);
    expect((await fly.waitFor(m.id, 'started', 10_000)).state).toBe('started');
    expect(fake.calls('POST', /\/start$/)).toHaveLength(1);
    expect(fake.calls('POST', /\/machines$/)).toHaveLength(1);
  });
});

describe('fly driver: eventual consistency, 429, capacity', () => {
  it('404 right after create is retried until the machine shows up', async () => {
    const { fly, fake } = await setup({ notFoundAfterCreateMs: 700, startDelayMs: 100 });
    const m = await fly.ensure(spec);
    const up = await fly.waitFor(m.id, 'started', 10_000);
    expect(up.state).toBe('started');
    const notFound = fake.requests.filter((r) => r.path.endsWith(`/machines/${m.id}`) && r.status === 404);
    expect(notFound.length).toBeGreaterThan(0);
    expect(fly.stats.notFoundRetries).toBe(notFound.length);
  });

  it('a machine we did not just create answers 404: get() is null, it is gone', async () => {
    const { fly } = await setup();
    expect(await fly.get('0123456789abcd')).toBeNull();
  });

  it('429 waits Retry-After and retries', async () => {
    const { fly, fake } = await setup();
    fake.inject({ method: 'POST', path: /\/machines$/, status: 429, headers: { 'retry-after': '1' }, body: { error: 'rate limited' }, times: 2 });
    const t0 = Date.now();
    await fly.ensure(spec);
    const took = Date.now() - t0;
    const creates = fake.calls('POST', /\/machines$/);
    expect(creates.map((r) => r.status)).toEqual([429, 429, 200]);
    expect(creates[1].at - creates[0].at).toBeGreaterThanOrEqual(950);
    expect(creates[2].at - creates[1].at).toBeGreaterThanOrEqual(950);
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(fly.stats.retries429).toBe(2);
    expect(fake.live()).toHaveLength(1);
  });

  it('429 without Retry-After backs off exponentially and gives up after maxRetries', async () => {
    const { fly, fake } = await setup({}, { maxRetries: 3, backoffMs: 50, backoffMaxMs: 1000 });
    fake.inject({ method: 'GET', path: /\/machines\/[0-9a-f]+$/, status: 429, times: 10 });
    await expect(fly.get('0123456789abcd')).rejects.toMatchObject({ status: 429 });
    const gets = fake.calls('GET', /\/machines\/0123456789abcd$/);
    expect(gets).toHaveLength(4);
    const gaps = gets.slice(1).map((g, i) => g.at - gets[i].at);
    // Each wait is in [d/2, d] for d = 50, 100, 200 ms: the last one is longer than the first.
    expect(gaps[0]).toBeGreaterThanOrEqual(20);
    expect(gaps[2]).toBeGreaterThanOrEqual(95);
  });

  it('a region without capacity falls back to the next one', async () => {
    const { fly, fake } = await setup({}, { regions: ['iad', 'ams', 'lhr'] });
    fake.full.add('iad');
    fake.full.add('ams');
    const m = await fly.ensure(spec);
    expect(m.region).toBe('lhr');
    const creates = fake.calls('POST', /\/machines$/);
    expect(creates.map((r) => [(r.body as { region: string }).region, r.status])).toEqual([['iad', 422], ['ams', 422], ['lhr', 200]]);
    expect(fly.stats.regionFallbacks).toBe(2);
    expect(fake.live()).toHaveLength(1);
  });

  it('a 409 "insufficient resources" is a capacity error too; all regions full is a clear error', async () => {
    const { fly, fake } = await setup({}, { regions: ['iad', 'ams'] });
    fake.inject({ method: 'POST', path: /\/machines$/, status: 409, body: { error: 'could not reserve resource for machine: insufficient memory available to fulfill request' } });
    fake.full.add('ams');
    const err = await fly.ensure(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as Error).message).toMatch(/no capacity in any of the regions iad, ams/);
    expect(fake.live()).toHaveLength(0);
  });

  it('a wrong token is refused at once (401, no retries)', async () => {
    const { fake } = await setup();
    const bad = new FlyProvider({ baseUrl: fake.url, token: 'nope', app: fake.app, regions: ['iad'], image: 'x', env: {}, log: silentLogger });
    await expect(bad.ensure(spec)).rejects.toMatchObject({ status: 401 });
    expect(fake.requests).toHaveLength(1);
  });
});

describe('fly driver: wait, leases, destroy, rate', () => {
  it('wait loops on 408 past the server cap, asking for at most 60 s each time', async () => {
    const { fly, fake } = await setup({ maxWaitSeconds: 1, startDelayMs: 2_600 });
    const m = await fly.ensure(spec);
    const up = await fly.waitFor(m.id, 'started', 120_000);
    expect(up.state).toBe('started');
    const waits = fake.calls('GET', /\/wait$/);
    expect(waits.map((w) => w.status).filter((s) => s === 408).length).toBeGreaterThanOrEqual(2);
    expect(waits.at(-1)!.status).toBe(200);
    expect(waits[0].query).toMatchObject({ state: 'started', timeout: '60', instance_id: fake.machines.get(m.id)!.instance_id });
  });

  it('wait gives up at its own deadline', async () => {
    const { fly } = await setup({ maxWaitSeconds: 1, startDelayMs: 60_000 });
    const m = await fly.ensure(spec);
    const t0 = Date.now();
    await expect(fly.waitFor(m.id, 'started', 1_500)).rejects.toThrow(/not started within 1500 ms/);
    expect(Date.now() - t0).toBeLessThan(4_000);
  });

  it('start, stop and destroy each take a lease, send its nonce, and release it', async () => {
    const { fly, fake } = await setup();
    const m = await fly.ensure(spec);
    await fly.waitFor(m.id, 'started', 10_000);
    await fly.stop(m.id);
    await fly.waitFor(m.id, 'stopped', 10_000);
    await fly.start(m.id);
    await fly.waitFor(m.id, 'started', 10_000);
    await fly.destroy(m.id);
    const seq = fake.requests.filter((r) => r.path.startsWith(`/v1/apps/${fake.app}/machines/${m.id}`) && !(r.method === 'GET'))
      .map((r) => `${r.method} ${r.path.split('/').slice(6).join('/') || '-'}`);
    expect(seq).toEqual(['POST lease', 'POST stop', 'DELETE lease', 'POST lease', 'POST start', 'DELETE lease', 'POST lease', 'DELETE -', 'DELETE lease']);
    const leases = fake.calls('POST', /\/lease$/);
    for (const verb of ['stop', 'start']) {
      const call = fake.calls('POST', new RegExp(`/${verb}$`))[0];
      const lease = leases.find((l) => l.at <= call.at && l.status === 200)!;
      expect(call.nonce).toBeDefined();
      expect(fake.requests.find((r) => r.nonce === call.nonce && r.method === 'DELETE' && r.path.endsWith('/lease'))).toBeDefined();
      expect(lease).toBeDefined();
    }
    const del = fake.calls('DELETE', new RegExp(`/machines/${m.id}$`))[0];
    expect(del.query).toEqual({ force: 'true' });
    expect(fake.machines.get(m.id)!.state).toBe('destroyed');
    expect((await fly.get(m.id))?.state).toBe('destroyed');
  });

  it('a lease held by someone else: the mutation waits for it (409s), then goes through', async () => {
    const { fly, fake } = await setup({}, { backoffMs: 100, backoffMaxMs: 400 });
    const m = await fly.ensure(spec);
    await fly.waitFor(m.id, 'started', 10_000);
    const held = await fetch(`${fake.url}/v1/apps/${fake.app}/machines/${m.id}/lease`, {
      method: 'POST', headers: { authorization: `Bearer ${fake.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ttl: 30, description: 'someone else' }),
    }).then((r) => r.json()) as { data: { nonce: string } };
    setTimeout(() => {
      void fetch(`${fake.url}/v1/apps/${fake.app}/machines/${m.id}/lease`, { method: 'DELETE', headers: { authorization: `Bearer ${fake.token}`, 'fly-machine-lease-nonce': held.data.nonce } });
    }, 500);
    await fly.stop(m.id);
    const refused = fake.calls('POST', /\/lease$/).filter((r) => r.status === 409);
    expect(refused.length).toBeGreaterThan(0);
    expect(fake.calls('POST', /\/stop$/).map((r) => r.status)).toEqual([200]);
    // And without the nonce a mutation of a leased machine is refused: the fake checks it.
    const l2 = await fetch(`${fake.url}/v1/apps/${fake.app}/machines/${m.id}/lease`, { method: 'POST', headers: { authorization: `Bearer ${fake.token}` } });
    expect(l2.status).toBe(200);
    const r = await fetch(`${fake.url}/v1/apps/${fake.app}/machines/${m.id}/start`, { method: 'POST', headers: { authorization: `Bearer ${fake.token}` } });
    expect(r.status).toBe(409);
  });

  it('stop or destroy of a machine that is gone is not an error', async () => {
    const { fly } = await setup();
    await fly.stop('0123456789abcd');
    await fly.destroy('0123456789abcd');
  });

  it('the client-side limit spaces calls of one action on one machine', async () => {
    const { fly, fake } = await setup({}, { getRate: { perSecond: 4, burst: 1 } });
    const m = await fly.ensure(spec);
    await new Promise((r) => setTimeout(r, 500)); // kept: past the fake's 404 window and the bucket refill (wall-clock windows of the fake and the client)
    fake.requests.length = 0;
    await Promise.all([1, 2, 3, 4, 5].map(() => fly.get(m.id)));
    const gets = fake.calls('GET', new RegExp(`/machines/${m.id}$`));
    expect(gets).toHaveLength(5);
    // Burst 1 at 4/s: the fifth request goes out ≥ 1 s after the first.
    expect(gets[4].at - gets[0].at).toBeGreaterThanOrEqual(950);
  });
});
