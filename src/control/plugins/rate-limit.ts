// Fixed-window rate limits for the control API. `rateLimitPlugin` opens the counter store once
// (Redis when config.redisUrl is set, so that instances share the limits; process memory
// otherwise) and closes it with the app. `rateLimit(opts)` makes a route hook that counts one
// hit for the caller's key and answers 429 DW_ERR_RATE_LIMITED over the limit:
//
//   request ─▶ key(req) ─▶ store.incr(<name>:<key>:<window>) ─┬─ ≤ max: x-ratelimit-* headers, go on
//                                                            ├─ > max: 429 + Retry-After
//                                                            └─ store error (Redis down): log, count, and count the hit in
//                                                               this instance's memory instead (never unlimited)
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DwError } from '../../core/errors.js';
import { MemoryStore, RedisStore, type RateLimitStore } from '../../core/rate-limit-store.js';
import { RateLimitStoreError, rateLimitRefused } from '../../core/telemetry/index.js';
import { definePlugin } from './define.js';

export interface RateLimitCounters {
  /** Requests refused with 429. */
  driftwatch_rate_limit_refused_requests_total: number;
  /** Store failures (the hit was counted in the instance's memory instead). */
  driftwatch_rate_limit_store_errors_total: number;
}

export interface RateLimits {
  readonly store: RateLimitStore;
  readonly counters: RateLimitCounters;
}

declare module 'fastify' {
  interface FastifyInstance {
    rateLimits: RateLimits;
  }
}

export interface RateLimitOptions {
  /** Names the limit in keys and logs: `login-ip`. */
  name: string;
  /** Requests allowed per window and key. */
  max: number;
  windowMs: number;
  /** Whom to count; undefined leaves the request alone (for example a body without an email). */
  key: (req: FastifyRequest) => string | undefined;
  store: RateLimitStore;
  counters?: RateLimitCounters;
}

const NAME_RE = /^[a-z][a-z0-9-]{0,39}$/;
/** During an outage every request fails its check: log the first, then one line per interval. */
export const STORE_ERROR_LOG_INTERVAL_MS = RateLimitStoreError.everyMs;

/**
 * While a shared store fails, each instance counts in its own memory (issue 12, item 4: a Redis
 * outage must not switch the limits off). One fallback per store, shared by its limits.
 */
const fallbacks = new WeakMap<RateLimitStore, MemoryStore>();
const fallbackOf = (store: RateLimitStore): MemoryStore => {
  let m = fallbacks.get(store);
  if (m === undefined) fallbacks.set(store, m = new MemoryStore());
  return m;
};

/** Counts by client address. */
export const byIp = (req: FastifyRequest): string => req.ip;

/** Counts by the body's `email` (case and spaces ignored), hashed so that no address sits in Redis. */
export const byEmail = (req: FastifyRequest): string | undefined => {
  const email = (req.body as { email?: unknown } | undefined)?.email;
  if (typeof email !== 'string' || email.trim() === '') return undefined;
  return createHash('sha256').update(email.trim().toLowerCase()).digest('base64url').slice(0, 22);
};

export const newRateLimitCounters = (): RateLimitCounters => ({
  driftwatch_rate_limit_refused_requests_total: 0,
  driftwatch_rate_limit_store_errors_total: 0,
});

/** Shows the tightest of the limits a request passed (login has two). */
function setLimitHeaders(reply: FastifyReply, max: number, remaining: number): void {
  const shown = reply.getHeader('x-ratelimit-remaining');
  if (shown !== undefined && Number(shown) <= remaining) return;
  reply.header('x-ratelimit-limit', max);
  reply.header('x-ratelimit-remaining', remaining);
}

export const rateLimit = (opts: RateLimitOptions) => {
  if (typeof opts.name !== 'string' || !NAME_RE.test(opts.name)) throw new TypeError('options.name must be lower-case letters, digits and dashes');
  if (!Number.isSafeInteger(opts.max) || opts.max < 1) throw new TypeError('options.max must be a positive integer');
  if (!Number.isSafeInteger(opts.windowMs) || opts.windowMs < 1) throw new TypeError('options.windowMs must be a positive integer');
  if (typeof opts.key !== 'function') throw new TypeError('options.key must be a function');
  if (opts.store === undefined || typeof opts.store.incr !== 'function') throw new TypeError('options.store must be a RateLimitStore');
  const { name, max, windowMs, key: keyOf, store } = opts;
  const counters = opts.counters ?? newRateLimitCounters();
  const per = windowMs % 3_600_000 === 0 ? `${windowMs / 3_600_000} h` : windowMs % 60_000 === 0 ? `${windowMs / 60_000} min` : `${windowMs} ms`;
  const detail = `at most ${max} per ${per} (${name})`;
  // One log gate per limit: an outage shows once per limit and interval (the count in `suppressed`).
  const gate = RateLimitStoreError.gate();

  return async function rateLimit(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    const who = keyOf(req);
    if (who === undefined) return;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    let count: number;
    try {
      count = await store.incr(`${name}:${who}:${window}`, resetAt - now);
    } catch (err) {
      counters.driftwatch_rate_limit_store_errors_total++;
      RateLimitStoreError.emit(req.log, { err, limit: name, store: store.kind, error_code: 'store_unavailable' }, 1, gate);
      count = await fallbackOf(store).incr(`${name}:${who}:${window}`, resetAt - now);
    }
    setLimitHeaders(reply, max, Math.max(0, max - count));
    if (count > max) {
      counters.driftwatch_rate_limit_refused_requests_total++;
      rateLimitRefused.inc();
      const retryAfter = Math.max(1, Math.ceil((resetAt - now) / 1000));
      reply.header('retry-after', retryAfter);
      throw new DwError('DW_ERR_RATE_LIMITED', detail, { retry_after_seconds: retryAfter });
    }
  };
};

export const rateLimitPlugin = definePlugin(async function rateLimits(app: FastifyInstance): Promise<void> {
  const { redisUrl, redisKeyPrefix } = app.config;
  const log = app.log.child({ component: 'rate-limit' });
  const store: RateLimitStore = redisUrl === undefined
    ? new MemoryStore()
    : await RedisStore.open(redisUrl, {
      prefix: `${redisKeyPrefix}rl:`,
      onStateChange(up, err) {
        if (up) log.info({ event: 'RateLimitStoreConnected' }, 'rate limits: Redis connected');
        else log.warn({ err, event: 'RateLimitStoreDisconnected' }, "rate limits: Redis unreachable; counted in this instance's memory until it is back");
      },
    });
  app.decorate('rateLimits', Object.freeze({ store, counters: newRateLimitCounters() }));
  app.addHook('onClose', async function closeRateLimitStore() {
    await store.close();
  });
}, { name: 'driftwatch-rate-limit', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['config'] } });

export interface LoginGuardOptions {
  /** Failed logins per window for one (email, client address) before that pair gets 429. */
  perPair: number;
  /** Failed logins per window for one email, from all addresses, before the back-off applies. */
  perEmail: number;
  windowMs: number;
  store: RateLimitStore;
  counters?: RateLimitCounters;
}

/** The longest back-off an email's failures can impose on an address (seconds). */
export const LOGIN_BACKOFF_MAX_SECONDS = 900;

/**
 * Login failures, counted so that nobody can lock a user out (issue 12, item 6). Only failures
 * count (a correct password never adds to them):
 *   - per (email, address): `perPair` failures in the window, then 429 for that pair;
 *   - per email (every address): past `perEmail` failures in the window, an address that has
 *     failed for this email is refused with a back-off that doubles with each failure past the
 *     limit (Retry-After, at most LOGIN_BACKOFF_MAX_SECONDS), which slows guessing spread over
 *     many addresses to one guess per fresh address;
 *   - an address with no recent failure for this email is always let through to the password
 *     check: the right password signs in whatever others sent.
 * check() runs before the password is verified, failed() after a wrong one.
 */
export const loginGuard = (opts: LoginGuardOptions) => {
  const { perPair, perEmail, windowMs, store } = opts;
  const counters = opts.counters ?? newRateLimitCounters();
  const keys = (req: FastifyRequest): { pair: string; email: string; window: number; resetAt: number } | undefined => {
    const email = byEmail(req);
    if (email === undefined) return undefined;
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    return { pair: `login-fail-pair:${email}:${byIp(req)}:${window}`, email: `login-fail-email:${email}:${window}`, window, resetAt: (window + 1) * windowMs };
  };
  const read = async (key: string): Promise<number> => {
    try { return await store.get(key); } catch { counters.driftwatch_rate_limit_store_errors_total++; return fallbackOf(store).get(key); }
  };
  const add = async (key: string, ttlMs: number): Promise<number> => {
    try { return await store.incr(key, ttlMs); } catch { counters.driftwatch_rate_limit_store_errors_total++; return fallbackOf(store).incr(key, ttlMs); }
  };
  const refuse = (reply: FastifyReply, seconds: number, detail: string): never => {
    counters.driftwatch_rate_limit_refused_requests_total++;
    reply.header('retry-after', seconds);
    throw new DwError('DW_ERR_RATE_LIMITED', detail, { retry_after_seconds: seconds });
  };
  return {
    check: async function loginFailureCheck(req: FastifyRequest, reply: FastifyReply): Promise<void> {
      const k = keys(req);
      if (k === undefined) return;
      const [pair, email] = await Promise.all([read(k.pair), read(k.email)]);
      const untilReset = Math.max(1, Math.ceil((k.resetAt - Date.now()) / 1000));
      if (pair >= perPair) refuse(reply, untilReset, `at most ${perPair} failed logins per ${windowMs / 60_000} min for one account from one address`);
      if (email >= perEmail && pair > 0) {
        const backoff = Math.min(LOGIN_BACKOFF_MAX_SECONDS, 2 ** Math.min(20, email - perEmail + 1));
        refuse(reply, Math.max(backoff, 1), `this account has had more than ${perEmail} failed logins; retry later`);
      }
    },
    failed: async function loginFailed(req: FastifyRequest): Promise<void> {
      const k = keys(req);
      if (k === undefined) return;
      const ttl = k.resetAt - Date.now();
      await Promise.all([add(k.pair, ttl), add(k.email, ttl)]);
    },
  };
};
