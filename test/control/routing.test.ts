// GET /api/v1/routing/:subdomain (edge workers, service token) and GET /api/v1/routing (a
// tenant's owner): success, cache headers, 304, and the refusals (no token, wrong token, token
// not configured, unknown subdomain, bad syntax, wrong role). Then two control API instances on
// one database and one Redis (a random key prefix): a route change made through one is answered
// by the other's endpoint within a second.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { call, codeOf, signUp, startHarness, type Harness } from './harness.js';
import { redisPair } from './redis-pair.js';

const REDIS_URL = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;
const TOKEN = `svc_${randomUUID()}_${randomUUID()}`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('GET /api/v1/routing/:subdomain', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ routingServiceToken: TOKEN, routeTtlSeconds: 45, routeNegativeTtlSeconds: 7 });
  });
  afterAll(async () => { await h?.close(); });

  /** null: no Authorization header. */
  const lookup = (sub: string, token: string | null = TOKEN, headers: Record<string, string> = {}) =>
    call(h.app, 'GET', `/api/v1/routing/${sub}`, { token: token ?? undefined, headers });

  it('answers the route with its version and TTL, Cache-Control: max-age and an ETag', async () => {
    const alice = await signUp(h.app, 'Alice');
    const { rows } = await h.db.pool.query<{ slug: string }>('SELECT slug FROM tenants WHERE id = $1', [alice.user.tenant_id]);
    const slug = rows[0].slug;
    const w = await h.app.routes.put(slug, '127.0.0.1:9101', 'm-1');
    const r = await lookup(slug);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ subdomain: slug, address: '127.0.0.1:9101', version: w.version, ttl: 45 });
    expect(r.headers['cache-control']).toBe('max-age=45');
    expect(r.headers.etag).toBe(`"r${w.version}"`);
    // Revalidation: the same version answers 304 without a body; a new version answers 200.
    const same = await h.app.inject({ method: 'GET', url: `/api/v1/routing/${slug}`, headers: { authorization: `Bearer ${TOKEN}`, 'if-none-match': `"r${w.version}"` } });
    expect([same.statusCode, same.body, same.headers['cache-control']]).toEqual([304, '', 'max-age=45']);
    const moved = await h.app.routes.put(slug, '127.0.0.1:9102', 'm-2');
    const after = await lookup(slug, TOKEN, { 'if-none-match': `"r${w.version}"` });
    expect([after.status, after.body.address, after.body.version]).toEqual([200, '127.0.0.1:9102', moved.version]);

    // The owner sees the tenant's own route (found by tenant, not by a name in the URL).
    const own = await call(h.app, 'GET', '/api/v1/routing', { token: alice.token });
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ subdomain: slug, address: '127.0.0.1:9102', version: moved.version, machine_id: 'm-2', updated_at: expect.any(String) });
    // Another tenant's owner has no route and cannot see alice's.
    const bob = await signUp(h.app, 'Bob');
    const none = await call(h.app, 'GET', '/api/v1/routing', { token: bob.token });
    expect([none.status, codeOf(none)]).toEqual([404, 'DW_ERR_ROUTE_NOT_FOUND']);
  });

  it('an unknown subdomain: 404 DW_ERR_ROUTE_NOT_FOUND with the short negative-caching max-age', async () => {
    const r = await lookup('nobody-here');
    expect([r.status, codeOf(r)]).toEqual([404, 'DW_ERR_ROUTE_NOT_FOUND']);
    expect(r.headers['cache-control']).toBe('max-age=7');
    expect(r.body.error.message).toContain('nobody-here');
  });

  it('refuses a missing or wrong token (401, no-store) before looking anything up', async () => {
    await h.app.routes.put('target', '127.0.0.1:9103');
    const st = h.app.routes.stats;
    const lookups = st.memoryHits + st.redisHits + st.databaseReads;
    for (const token of [null, 'wrong', TOKEN.slice(0, -1), `${TOKEN}x`]) {
      const r = await lookup('target', token);
      expect([r.status, codeOf(r)], String(token)).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body.address).toBeUndefined();
    }
    // A user's access token is not the service token.
    const carol = await signUp(h.app, 'Carol');
    expect(codeOf(await lookup('target', carol.token))).toBe('DW_ERR_UNAUTHORIZED');
    // Basic auth or a bare token is not a bearer token.
    const basic = await h.app.inject({ method: 'GET', url: '/api/v1/routing/target', headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
    expect(basic.statusCode).toBe(401);
    expect(st.memoryHits + st.redisHits + st.databaseReads).toBe(lookups);
  });

  it('refuses a subdomain that is not one lower-case DNS label (400 DW_ERR_VALIDATION)', async () => {
    for (const bad of ['Alice', '-a', 'a_b', 'a.b', 'x'.repeat(64), '%20', 'a-']) {
      const r = await lookup(bad);
      expect([r.status, codeOf(r)], bad).toEqual([400, 'DW_ERR_VALIDATION']);
    }
  });

  it('the owner view needs an owner or admin user, not an API key or a member', async () => {
    const dave = await signUp(h.app, 'Dave');
    const key = await call(h.app, 'POST', '/api/v1/api-keys', { token: dave.token, body: { name: 'k' } });
    expect(key.status).toBe(201);
    expect(codeOf(await call(h.app, 'GET', '/api/v1/routing', { token: key.body.key }))).toBe('DW_ERR_FORBIDDEN');
    expect(codeOf(await call(h.app, 'GET', '/api/v1/routing'))).toBe('DW_ERR_UNAUTHORIZED');
    await h.db.pool.query("UPDATE users SET role = 'member' WHERE id = $1", [dave.user.id]);
    const login = await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: dave.email, password: dave.password } });
    expect(codeOf(await call(h.app, 'GET', '/api/v1/routing', { token: login.body.token }))).toBe('DW_ERR_FORBIDDEN');
  });

  it('is in the OpenAPI document', async () => {
    const doc = await call(h.app, 'GET', '/docs/json');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/api/v1/routing/{subdomain}', '/api/v1/routing']));
  });
});

describe('GET /api/v1/routing/:subdomain without ROUTING_SERVICE_TOKEN', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('answers 503 DW_ERR_ROUTING_DISABLED to everyone, naming the option', async () => {
    await h.app.routes.put('someone', '127.0.0.1:9104');
    for (const token of [undefined, 'anything']) {
      const r = await call(h.app, 'GET', '/api/v1/routing/someone', { token });
      expect([r.status, codeOf(r)]).toEqual([503, 'DW_ERR_ROUTING_DISABLED']);
      expect(r.body.error.message).toContain('ROUTING_SERVICE_TOKEN');
      expect(r.headers['cache-control']).toBe('no-store');
    }
  });

  it('the token must be at least 32 characters', () => {
    expect(() => loadConfig({ env: { ROUTING_SERVICE_TOKEN: 'short' } })).toThrow(/ROUTING_SERVICE_TOKEN .* at least 32 characters/);
    expect(() => loadConfig({ env: {}, overrides: { routingServiceToken: 'short' } })).toThrow(/at least 32/);
    expect(loadConfig({ env: { ROUTING_SERVICE_TOKEN: TOKEN } }).routingServiceToken).toBe(TOKEN);
    expect(() => loadConfig({ env: { DRIFTWATCH_DOMAIN: 'Not A Domain' } })).toThrow(/DRIFTWATCH_DOMAIN/);
    expect(loadConfig({ flags: { '--domain': 'dw.example.com', '--edge-port': '0' } })).toMatchObject({ driftwatchDomain: 'dw.example.com', edgePort: 0 });
    expect(loadConfig({ env: {} })).toMatchObject({ edgePort: 8000, driftwatchDomain: 'localhost', routeTtlSeconds: 30, routeNegativeTtlSeconds: 5 });
  });
});

const redisTitle = REDIS_URL === undefined
  ? 'two control API instances sharing one Redis: SKIPPED because REDIS_URL is not set (CI sets redis://127.0.0.1:6379)'
  : `two control API instances sharing one Redis (${REDIS_URL})`;
if (REDIS_URL === undefined) console.warn(`test/control/routing.test.ts: ${redisTitle}`);

describe.skipIf(REDIS_URL === undefined)(redisTitle, () => {
  // Routes cached for five minutes: only the pub/sub message can make the other instance see a change in time.
  const pair = redisPair(REDIS_URL!, { routingServiceToken: TOKEN, routeTtlSeconds: 300, routeNegativeTtlSeconds: 300 });
  let h: Harness;
  let second: FastifyInstance;
  beforeAll(() => { ({ h, second } = pair); });

  /** Polls the second instance's endpoint until `ok`; the milliseconds from t0. */
  async function seenBySecond(sub: string, t0: number, ok: (r: { status: number; body: any }) => boolean): Promise<number> {
    for (;;) {
      const r = await call(second, 'GET', `/api/v1/routing/${sub}`, { token: TOKEN });
      if (ok(r)) return performance.now() - t0;
      if (performance.now() - t0 > 5_000) throw new Error(`${sub}: the second instance still answers ${r.status} ${JSON.stringify(r.body)}`);
      await sleep(2);
    }
  }

  it('each instance has its own table (own subscription) on the shared Redis', () => {
    expect(second.routes).not.toBe(h.app.routes);
    expect(h.app.routes.redisEnabled && second.routes.redisEnabled).toBe(true);
  });

  it('a route created, moved and removed through one instance is answered so by the other within a second', async () => {
    const timings: Record<string, number> = {};
    // The second instance has cached "unknown" for five minutes.
    expect((await call(second, 'GET', '/api/v1/routing/eve', { token: TOKEN })).status).toBe(404);
    let t0 = performance.now();
    const created = await h.app.routes.put('eve', '127.0.0.1:9201', 'm-1');
    timings.created = await seenBySecond('eve', t0, (r) => r.status === 200 && r.body.version === created.version);
    t0 = performance.now();
    const moved = await h.app.routes.put('eve', '127.0.0.1:9202', 'm-2');
    timings.moved = await seenBySecond('eve', t0, (r) => r.status === 200 && r.body.address === '127.0.0.1:9202' && r.body.version === moved.version);
    t0 = performance.now();
    await h.app.routes.remove('eve');
    timings.removed = await seenBySecond('eve', t0, (r) => r.status === 404);
    // And the other way round.
    t0 = performance.now();
    await second.routes.put('eve', '127.0.0.1:9203', 'm-3');
    for (;;) {
      const r = await call(h.app, 'GET', '/api/v1/routing/eve', { token: TOKEN });
      if (r.status === 200 && r.body.address === '127.0.0.1:9203') break;
      if (performance.now() - t0 > 5_000) throw new Error('the first instance never saw the change');
      await sleep(2);
    }
    timings.reverse = performance.now() - t0;
    console.log(`routing: change seen by the other control API instance after (ms) ${JSON.stringify(Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Number(v.toFixed(1))])))}`);
    for (const [what, ms] of Object.entries(timings)) expect(ms, what).toBeLessThan(1_000);
  });
});
