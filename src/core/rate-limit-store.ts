// Counters for fixed-window rate limits, behind one interface: in process memory (one
// instance), or in Redis (every control API instance that shares the Redis shares the limits).
// This is the only file of the rate limiter that does I/O. The caller puts the window number
// in the key, so a counter is simply "INCR, and let the key expire after its window":
//
//   rateLimit() ─▶ store.incr(<name>:<who>:<window>, ttl) ─┬─ MemoryStore: Map, swept of expired keys
//                                                        └─ RedisStore: MULTI INCR PEXPIRE EXEC on <prefix><key>
//
// A Redis that is down or slow makes incr() reject quickly (no offline queue, a command
// timeout), and the caller counts in its own process memory meanwhile (per instance, never
// unlimited: src/control/plugins/rate-limit.ts).
import { Redis } from 'ioredis';

export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  /** Adds one hit to `key` and returns its count; the key is forgotten after `ttlMs`. */
  incr(key: string, ttlMs: number): Promise<number>;
  /** The count of `key` now (0 when absent or expired), without adding a hit. */
  get(key: string): Promise<number>;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 60_000;

export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory' as const;
  #counts = new Map<string, { n: number; expiresAt: number }>();
  #nextSweep = Date.now() + SWEEP_EVERY_MS;

  async incr(key: string, ttlMs: number): Promise<number> {
    const now = Date.now();
    if (now >= this.#nextSweep) this.#sweep(now);
    const c = this.#counts.get(key);
    if (c === undefined || c.expiresAt <= now) {
      this.#counts.set(key, { n: 1, expiresAt: now + ttlMs });
      return 1;
    }
    return ++c.n;
  }

  async get(key: string): Promise<number> {
    const c = this.#counts.get(key);
    return c === undefined || c.expiresAt <= Date.now() ? 0 : c.n;
  }

  /** Keys held now (tests; expired ones go at the next sweep). */
  get size(): number {
    return this.#counts.size;
  }

  #sweep(now: number): void {
    for (const [k, c] of this.#counts) if (c.expiresAt <= now) this.#counts.delete(k);
    this.#nextSweep = now + SWEEP_EVERY_MS;
  }

  async close(): Promise<void> {
    this.#counts.clear();
  }
}

export interface RedisStoreOptions {
  /** Put in front of every key (`dw:rl:`). */
  prefix: string;
  /** A command that takes longer fails (and the request goes through). */
  commandTimeoutMs?: number;
  /** How long open() waits for the first connection before it goes on without. */
  connectWaitMs?: number;
  /** Told when the connection is lost and when it is back (not at every retry). */
  onStateChange?: (up: boolean, err?: Error) => void;
}

export class RedisStore implements RateLimitStore {
  readonly kind = 'redis' as const;
  #redis: Redis;
  #prefix: string;
  #up = false;
  #seenDown = false;

  private constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /**
   * Connects to `url` and waits up to connectWaitMs for the connection. It resolves either
   * way: a Redis that is down at start does not stop the control API (ioredis keeps retrying
   * in the background, and until then incr() rejects and requests go through).
   */
  static async open(url: string, opts: RedisStoreOptions): Promise<RedisStore> {
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: opts.commandTimeoutMs ?? 500,
      connectTimeout: 2_000,
      lazyConnect: false,
    });
    const store = new RedisStore(redis, opts.prefix);
    const notify = opts.onStateChange ?? (() => {});
    redis.on('ready', () => {
      if (!store.#up) notify(true);
      store.#up = true;
    });
    // Without a listener an 'error' event would crash the process; report each outage once.
    redis.on('error', (err: Error) => {
      if (store.#up || !store.#seenDown) notify(false, err);
      store.#up = false;
      store.#seenDown = true;
    });
    const waitMs = opts.connectWaitMs ?? 2_000;
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); redis.off('ready', done); redis.off('error', done); resolve(); };
      const timer = setTimeout(done, waitMs);
      redis.once('ready', done);
      redis.once('error', done);
    });
    return store;
  }

  get up(): boolean {
    return this.#up;
  }

  async incr(key: string, ttlMs: number): Promise<number> {
    const k = this.#prefix + key;
    const out = await this.#redis.multi().incr(k).pexpire(k, ttlMs).exec();
    if (out === null) throw new Error('redis MULTI was aborted');
    const [incrErr, n] = out[0];
    if (incrErr) throw incrErr;
    return Number(n);
  }

  async get(key: string): Promise<number> {
    return Number(await this.#redis.get(this.#prefix + key) ?? 0);
  }

  async close(): Promise<void> {
    if (this.#redis.status === 'ready') {
      try {
        await this.#redis.quit();
        return;
      } catch {
        // fall through: drop the connection
      }
    }
    this.#redis.disconnect();
  }
}
