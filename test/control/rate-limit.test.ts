// Rate limits: the rateLimit() factory on a bare app, login and register limits through the
// control API (in-memory store), failing open when Redis is unreachable, and the Redis store on
// the real server at REDIS_URL (two app instances share one limit). Without REDIS_URL the Redis
// part starts nothing and is skipped.
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../src/control/app.js';
import { defaults, loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { errorsPlugin } from '../../src/control/plugins/errors.js';
import { byEmail, byIp, newRateLimitCounters, rateLimit } from '../../src/control/plugins/rate-limit.js';
import { MemoryStore, RedisStore, type RateLimitStore } from '../../src/core/rate-limit-store.js';
import { startHarness, type Harness } from './harness.js';
import { redisPair } from './redis-pair.js';

const REDIS_URL = process.env.REDIS_URL === '' ? undefined : process.env.REDIS_URL;
/** Nothing listens on port 1 (binding it needs root): a Redis that is down. */
const DEAD_REDIS = 'redis://127.0.0.1:1';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits for a new window if the current one ends within `marginMs`, so that a test's hits share one window. */
async function freshWindow(windowMs: number, marginMs = 3_000): Promise<void> {
  const left = windowMs - (Date.now() % windowMs);
  if (left < marginMs) await sleep(left + 20);
}

let ipSeq = 0;
/** A client address no other test in this file uses. */
const newIp = (): string => `203.0.113.${++ipSeq}`;

async function post(app: FastifyInstance, url: string, body: object, ip: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'POST', url, payload: body, remoteAddress: ip });
}
const login = (app: FastifyInstance, email: string, ip: string, password = 'not the password'): Promise<LightMyRequestResponse> =>
  post(app, '/api/v1/auth/login', { email, password }, ip);
const register = (app: FastifyInstance, ip: string): Promise<LightMyRequestResponse> =>
  post(app, '/api/v1/auth/register', { email: `r-${randomUUID()}@example.com`, password: 'long enough pw', name: 'Rae' }, ip);
/** Signs up from an address of its own, so that the register limit of 127.0.0.1 is not used up. */
async function newUser(app: FastifyInstance): Promise<{ email: string; password: string; tenantId: string }> {
  const email = `u-${randomUUID()}@example.com`;
  const r = await post(app, '/api/v1/auth/register', { email, password: 'long enough pw', name: 'Una' }, newIp());
  if (r.statusCode !== 201) throw new Error(`register failed: ${r.statusCode} ${r.body}`);
  return { email, password: 'long enough pw', tenantId: r.json().user.tenant_id };
}
const codeOf = (r: LightMyRequestResponse): string | undefined => r.json()?.error?.code;

/** A bare app with one limited route, to test the factory alone. */
async function bareApp(store: RateLimitStore, max: number, windowMs: number, counters = newRateLimitCounters()): Promise<FastifyInstance> {
  const app = Fastify({ logger: false }) as unknown as FastifyInstance;
  await app.register(errorsPlugin, {});
  app.post('/x', { onRequest: rateLimit({ name: 'bare', max, windowMs, key: byIp, store, counters }) }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('rateLimit() factory', () => {
  it('checks its options once, with the option name in the message', () => {
    const store = new MemoryStore();
    const ok = { name: 'x', max: 1, windowMs: 1000, key: byIp, store };
    expect(() => rateLimit({ ...ok, max: 0 })).toThrow(new TypeError('options.max must be a positive integer'));
    expect(() => rateLimit({ ...ok, max: 1.5 })).toThrow(/options\.max/);
    expect(() => rateLimit({ ...ok, windowMs: -1 })).toThrow(/options\.windowMs must be a positive integer/);
    expect(() => rateLimit({ ...ok, name: 'Has Spaces' })).toThrow(/options\.name/);
    expect(() => rateLimit({ ...ok, key: 'ip' as never })).toThrow(/options\.key must be a function/);
    expect(() => rateLimit({ ...ok, store: {} as never })).toThrow(/options\.store/);
    // A named handler (STYLE rule 13): stack traces and the OpenAPI generator see it.
    expect(rateLimit(ok).name).toBe('rateLimit');
  });

  it('allows max per window, then 429 with Retry-After and x-ratelimit headers; a new window starts over', async () => {
    const counters = newRateLimitCounters();
    const app = await bareApp(new MemoryStore(), 2, 1_000, counters);
    try {
      await freshWindow(1_000, 400);
      const a = await post(app, '/x', {}, '192.0.2.1');
      const b = await post(app, '/x', {}, '192.0.2.1');
      const c = await post(app, '/x', {}, '192.0.2.1');
      expect([a.statusCode, b.statusCode, c.statusCode]).toEqual([200, 200, 429]);
      expect([a.headers['x-ratelimit-limit'], a.headers['x-ratelimit-remaining']]).toEqual(['2', '1']);
      expect([b.headers['x-ratelimit-remaining'], c.headers['x-ratelimit-remaining']]).toEqual(['0', '0']);
      expect(c.headers['x-ratelimit-limit']).toBe('2');
      expect(c.headers['retry-after']).toBe('1');
      expect(c.json()).toEqual({ error: { code: 'DW_ERR_RATE_LIMITED', message: expect.stringContaining('at most 2 per 1000 ms'), details: { retry_after_seconds: 1 } } });
      expect(c.headers['x-request-id']).toBeDefined();
      expect(counters.driftwatch_rate_limit_refused_requests_total).toBe(1);
      // Another address has its own count.
      expect((await post(app, '/x', {}, '192.0.2.2')).statusCode).toBe(200);
      await freshWindow(1_000, 1_000);
      expect((await post(app, '/x', {}, '192.0.2.1')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('byEmail ignores case and spaces, keeps no address in the key, and skips bodies without an email', () => {
    const req = (body: unknown) => ({ body }) as never;
    expect(byEmail(req({ email: ' Ann@Example.com ' }))).toBe(byEmail(req({ email: 'ann@example.com' })));
    expect(byEmail(req({ email: 'ann@example.com' }))).not.toContain('ann');
    expect(byEmail(req({ email: 'bob@example.com' }))).not.toBe(byEmail(req({ email: 'ann@example.com' })));
    expect(byEmail(req({ email: 5 }))).toBeUndefined();
    expect(byEmail(req(undefined))).toBeUndefined();
  });

  it('the memory store forgets a key after its time to live', async () => {
    const s = new MemoryStore();
    expect([await s.incr('k', 50), await s.incr('k', 50)]).toEqual([1, 2]);
    await sleep(80); // kept: the 50 ms time to live passing is the behaviour under test
    expect(await s.incr('k', 50)).toBe(1);
  });
});

describe('login and register limits (in-memory store)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ loginRateLimitPerIp: 4, loginRateLimitPerEmail: 2, registerRateLimitPerIp: 2, registerRateLimitPerEmail: 2 });
  });
  afterAll(async () => { await h?.close(); });

  it('the defaults: login 10 a minute per address and 5 per email, register 5 an hour per address', () => {
    expect([defaults.loginRateLimitPerIp, defaults.loginRateLimitPerEmail, defaults.registerRateLimitPerIp]).toEqual([10, 5, 5]);
    const c = loadConfig({ env: { LOGIN_RATE_LIMIT_PER_IP: '20' }, flags: { '--register-rate-limit-per-ip': '7' } });
    expect([c.loginRateLimitPerIp, c.registerRateLimitPerIp]).toEqual([20, 7]);
    expect(() => loadConfig({ env: { LOGIN_RATE_LIMIT_PER_EMAIL: '0' } })).toThrow(/LOGIN_RATE_LIMIT_PER_EMAIL .* between 1 and/);
    expect(h.app.rateLimits.store.kind).toBe('memory');
  });

  it('login per address: the 5th attempt in a minute from one address is refused, whatever the email', async () => {
    await freshWindow(60_000);
    const ip = newIp();
    for (let i = 0; i < 4; i++) {
      const r = await login(h.app, `nobody-${i}-${randomUUID()}@example.com`, ip);
      expect([r.statusCode, codeOf(r)]).toEqual([401, 'DW_ERR_INVALID_CREDENTIALS']);
      expect(r.headers['x-ratelimit-limit']).toBeDefined();
    }
    const over = await login(h.app, `nobody-x-${randomUUID()}@example.com`, ip);
    expect([over.statusCode, codeOf(over)]).toEqual([429, 'DW_ERR_RATE_LIMITED']);
    const retry = Number(over.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(60);
    expect([over.headers['x-ratelimit-limit'], over.headers['x-ratelimit-remaining']]).toEqual(['4', '0']);
    // Another address is not affected.
    expect((await login(h.app, `nobody-y-${randomUUID()}@example.com`, newIp())).statusCode).toBe(401);
  });

  it('login failures per (email, address): the 3rd attempt after 2 failures from one address is refused; the right password from another address signs in', async () => {
    await freshWindow(60_000);
    const a = await newUser(h.app);
    const ip = newIp();
    expect((await login(h.app, a.email, ip)).statusCode).toBe(401);
    expect((await login(h.app, a.email.toUpperCase(), ip)).statusCode).toBe(401);
    const again = await login(h.app, `  ${a.email}`, ip, a.password);
    expect([again.statusCode, codeOf(again)]).toEqual([429, 'DW_ERR_RATE_LIMITED']);
    expect(Number(again.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Failures from other addresses do not lock the account: a fresh address signs in.
    expect((await login(h.app, a.email, newIp())).statusCode).toBe(401);
    expect((await login(h.app, a.email, newIp(), a.password)).statusCode).toBe(200);
  });

  it('a refused login is not audited as an attempt and does not reach the password check', async () => {
    await freshWindow(60_000);
    const a = await newUser(h.app);
    const ip = newIp();
    for (let i = 0; i < 2; i++) await login(h.app, a.email, ip);
    const before = await h.db.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1', [a.tenantId]);
    expect((await login(h.app, a.email, ip)).statusCode).toBe(429);
    const after = await h.db.pool.query('SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1', [a.tenantId]);
    expect(after.rows[0].n).toBe(before.rows[0].n);
  });

  it('register per address: the 3rd sign-up in an hour from one address is refused', async () => {
    await freshWindow(3_600_000);
    const ip = newIp();
    expect((await register(h.app, ip)).statusCode).toBe(201);
    expect((await register(h.app, ip)).statusCode).toBe(201);
    const over = await register(h.app, ip);
    expect([over.statusCode, codeOf(over)]).toEqual([429, 'DW_ERR_RATE_LIMITED']);
    const retry = Number(over.headers['retry-after']);
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(3600);
    expect((await register(h.app, newIp())).statusCode).toBe(201);
  });

  it('register per email: the 3rd sign-up attempt in an hour for one address is refused from any client address (any case)', async () => {
    await freshWindow(3_600_000);
    expect(defaults.registerRateLimitPerEmail).toBe(3);
    const email = `dup-${randomUUID()}@example.com`;
    const reg = (address: string, ip: string): Promise<LightMyRequestResponse> =>
      post(h.app, '/api/v1/auth/register', { email: address, password: 'correct horse battery', name: 'Dup' }, ip);
    expect((await reg(email, newIp())).statusCode).toBe(201);
    const dup = await reg(email, newIp());
    expect([dup.statusCode, codeOf(dup)]).toEqual([400, 'DW_ERR_VALIDATION']);
    const over = await reg(` ${email.toUpperCase()}`, newIp());
    expect([over.statusCode, codeOf(over)]).toEqual([429, 'DW_ERR_RATE_LIMITED']);
    expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another address from the same client goes on.
    expect((await reg(`other-${randomUUID()}@example.com`, newIp())).statusCode).toBe(201);
  });

  it('other routes are not limited', async () => {
    const ip = newIp();
    for (let i = 0; i < 10; i++) expect((await h.app.inject({ method: 'GET', url: '/health', remoteAddress: ip })).statusCode).toBe(200);
  });
});

describe('a Redis outage does not switch the limits off (issue 12, item 4)', () => {
  it('with Redis unreachable, logins are limited in the instance\'s memory; each failure is counted, the log says so once per limit and interval', async () => {
    const h = await startHarness();
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } }));
    const config = loadConfig({ env: {}, overrides: { ...h.config, redisUrl: DEAD_REDIS, loginRateLimitPerIp: 2, loginRateLimitPerEmail: 1_000 } });
    const app = await buildControlApp({ config, pool: h.db.pool, tokens: h.tokens, log });
    try {
      expect(app.rateLimits.store.kind).toBe('redis');
      const a = await newUser(h.app);
      const ip = newIp();
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await login(app, a.email, ip, a.password)).statusCode);
      expect(statuses).toEqual([200, 200, 429, 429]);
      expect(app.rateLimits.counters.driftwatch_rate_limit_store_errors_total).toBeGreaterThanOrEqual(4);
      const warned = lines.filter((l) => l.event === 'RateLimitStoreError').map((l) => l.limit);
      expect(warned).toContain('login-ip');
      expect(lines.filter((l) => l.event === 'RateLimitStoreDisconnected')).toHaveLength(1);
    } finally {
      await app.close();
      await h.close();
    }
  });
});

const redisTitle = REDIS_URL === undefined
  ? 'Redis store: SKIPPED because REDIS_URL is not set (CI sets redis://127.0.0.1:6379)'
  : `Redis store (${REDIS_URL})`;

if (REDIS_URL === undefined) console.warn(`test/control/rate-limit.test.ts: ${redisTitle}`);

describe.skipIf(REDIS_URL === undefined)(redisTitle, () => {
  // One prefix per run, so that parallel runs on one Redis do not count each other's hits; a
  // second control API instance on the same database and the same Redis.
  const pair = redisPair(REDIS_URL!, { loginRateLimitPerIp: 3, loginRateLimitPerEmail: 2, registerRateLimitPerIp: 2 });
  const prefix = pair.prefix;
  let redis: Redis;
  let h: Harness;
  let second: FastifyInstance;
  beforeAll(() => { ({ redis, h, second } = pair); });

  it('counts in Redis: INCR with an expiry, under <prefix>rl:, no email in any key', async () => {
    expect(h.app.rateLimits.store.kind).toBe('redis');
    await freshWindow(60_000);
    const ip = newIp();
    const email = `Keyed-${randomUUID()}@example.com`;
    expect((await login(h.app, email, ip)).statusCode).toBe(401);
    const window = Math.floor(Date.now() / 60_000);
    const ipKey = `${prefix}rl:login-ip:${ip}:${window}`;
    expect(await redis.get(ipKey)).toBe('1');
    const ttl = await redis.pttl(ipKey);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const keys = await redis.keys(`${prefix}rl:login-fail-email:*`);
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys.join(' ').toLowerCase()).not.toContain('keyed');
  });

  it('two app instances sharing one Redis share the per-address limit', async () => {
    await freshWindow(60_000);
    const ip = newIp();
    const someone = (): string => `nobody-${randomUUID()}@example.com`;
    expect((await login(h.app, someone(), ip)).statusCode).toBe(401);
    expect((await login(second, someone(), ip)).statusCode).toBe(401);
    const third = await login(h.app, someone(), ip);
    expect(third.statusCode).toBe(401);
    expect(third.headers['x-ratelimit-remaining']).toBe('0');
    const overOnSecond = await login(second, someone(), ip);
    expect([overOnSecond.statusCode, codeOf(overOnSecond)]).toEqual([429, 'DW_ERR_RATE_LIMITED']);
    expect(Number(overOnSecond.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect((await login(h.app, someone(), ip)).statusCode).toBe(429);
  });

  it('and the per-email and register limits', async () => {
    await freshWindow(60_000);
    const a = await newUser(h.app);
    expect((await login(h.app, a.email, newIp())).statusCode).toBe(401);
    // Per (email, address), shared by the two instances; a fresh address still signs in.
    const ip0 = newIp();
    expect((await login(second, a.email, ip0)).statusCode).toBe(401);
    expect((await login(h.app, a.email, ip0)).statusCode).toBe(401);
    expect((await login(second, a.email, ip0, a.password)).statusCode).toBe(429);
    expect((await login(h.app, a.email, newIp(), a.password)).statusCode).toBe(200);
    await freshWindow(3_600_000);
    const ip = newIp();
    expect((await register(second, ip)).statusCode).toBe(201);
    expect((await register(h.app, ip)).statusCode).toBe(201);
    expect((await register(second, ip)).statusCode).toBe(429);
  });

  it('the store on its own: counts, expires, and refuses after close', async () => {
    const store = await RedisStore.open(REDIS_URL!, { prefix: `${prefix}store:` });
    expect(store.up).toBe(true);
    expect([await store.incr('k', 150), await store.incr('k', 150)]).toEqual([1, 2]);
    await sleep(250); // kept: Redis's own PX expiry (150 ms) is the behaviour under test
    expect(await store.incr('k', 150)).toBe(1);
    await store.close();
    await expect(store.incr('k', 150)).rejects.toThrow();
  });

  it("an app's Redis connection is closed with the app (onClose)", async () => {
    const third = await buildControlApp({ config: h.config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
    const { store } = third.rateLimits;
    expect(await store.incr('closing', 1_000)).toBe(1);
    await third.close();
    await expect(store.incr('closing', 1_000)).rejects.toThrow();
  });
});
