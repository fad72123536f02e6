// The routing table: subdomain (a tenant's slug) → "host:port" of its engine. PostgreSQL holds
// the truth (`routes`); every control API instance and edge proxy keeps a cache in memory, and,
// with REDIS_URL, a shared copy in Redis and an invalidation channel:
//
//   upsert / remove (the machine registry) ─▶ PostgreSQL: one transaction under a per-subdomain
//        │                                    advisory lock, version = nextval(routes_version_seq)
//        ├─▶ own memory cache
//        └─▶ Redis: copy <prefix>route:<sub> (set only if newer: a Lua compare-and-set)
//                   PUBLISH <prefix>routes {s, v, r} ─▶ every other instance: memory cache.offer()
//
//   get(sub) ─▶ memory (fresh entry) ─▶ Redis copy ─▶ PostgreSQL ─▶ memory (+ Redis copy)
//                                       misses are cached too, for the negative TTL
//
// Versions keep order: a message, a copy or a read older than what a cache holds is dropped
// (RouteCache.offer, and the Lua script for the Redis copy). Redis failures never fail a call:
// reads fall through to PostgreSQL, writes still commit and the stale copies expire within the
// TTL. A subscriber that reconnects clears the memory cache (it may have missed messages).
// Without REDIS_URL the table is memory + PostgreSQL, for a single instance.
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config } from '../config.js';
import { isAddress, isSubdomain, RouteCache, type Route } from './cache.js';
import { withTransaction } from '../db.js';

export type { Route };

/** What the machine registry writes routes to (src/control/machines/registry.ts). */
export interface RouteSink {
  upsert(subdomain: string, address: string, machineId: string): Promise<void>;
  remove(subdomain: string): Promise<void>;
}

/** The few logger calls the table makes (pino's, or fastify's app.log). */
export interface RoutingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface RoutingTableOptions {
  pool: pg.Pool;
  log: RoutingLogger;
  /** Unset: memory and PostgreSQL only (one instance). */
  redisUrl?: string;
  /** Prefix of the Redis keys and channel (`dw:` gives `dw:route:<sub>` and `dw:routes`). */
  redisPrefix: string;
  ttlMs: number;
  negativeTtlMs: number;
  /** How long open() waits for Redis before it goes on without (default 2 s). */
  connectWaitMs?: number;
  maxEntries?: number;
  /** Names this instance's Redis connections (CLIENT LIST): `<prefix>routing:<name>:cmd|sub`. */
  name?: string;
}

export interface RoutingStats {
  memoryHits: number;
  redisHits: number;
  databaseReads: number;
  /** Messages that changed this instance's cache, and those older than what it held. */
  messagesApplied: number;
  messagesStale: number;
  redisErrors: number;
}

interface RouteRow { subdomain: string; address: string; machine_id: string | null; tenant_id: string | null; version: string; updated_at: Date }
const ROUTE_COLUMNS = 'subdomain, address, machine_id, tenant_id, version, updated_at';

const toRoute = (r: RouteRow): Route => Object.freeze({
  subdomain: r.subdomain, address: r.address, machineId: r.machine_id, tenantId: r.tenant_id,
  version: Number(r.version), updatedAt: r.updated_at.toISOString(),
});

// KEYS[1] = the copy; ARGV = version, payload, ttl ms. The copy is "<version>|<json>"; an older
// or equal version never replaces what is there (a slow reader must not put back a stale route).
const SET_IF_NEWER = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local v = tonumber(string.match(cur, '^(%d+)|'))
  if v ~= nil and v >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[2], 'PX', ARGV[3])
return 1`;

interface Message { s: string; v: number; r: Route | null }

function parseRoute(json: unknown): Route | null | undefined {
  if (json === null) return null;
  if (typeof json !== 'object') return undefined;
  const r = json as Record<string, unknown>;
  if (!isSubdomain(r.subdomain) || !isAddress(r.address) || typeof r.version !== 'number' || typeof r.updatedAt !== 'string') return undefined;
  return Object.freeze({
    subdomain: r.subdomain, address: r.address, version: r.version, updatedAt: r.updatedAt,
    machineId: typeof r.machineId === 'string' ? r.machineId : null, tenantId: typeof r.tenantId === 'string' ? r.tenantId : null,
  });
}

export class RoutingTable implements RouteSink {
  readonly stats: RoutingStats = { memoryHits: 0, redisHits: 0, databaseReads: 0, messagesApplied: 0, messagesStale: 0, redisErrors: 0 };
  readonly #pool: pg.Pool;
  readonly #log: RoutingLogger;
  readonly #cache: RouteCache;
  readonly #ttlMs: number;
  readonly #negativeTtlMs: number;
  readonly #redis: Redis | undefined;
  readonly #sub: Redis | undefined;
  readonly #keyPrefix: string;
  readonly #channel: string;
  readonly #inflight = new Map<string, Promise<Route | null>>();
  #subscribed = false;
  #closed = false;

  private constructor(opts: RoutingTableOptions) {
    if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs < 1) throw new TypeError('options.ttlMs must be a positive integer');
    if (!Number.isSafeInteger(opts.negativeTtlMs) || opts.negativeTtlMs < 1) throw new TypeError('options.negativeTtlMs must be a positive integer');
    this.#pool = opts.pool;
    this.#log = opts.log;
    this.#cache = new RouteCache({ maxEntries: opts.maxEntries });
    this.#ttlMs = opts.ttlMs;
    this.#negativeTtlMs = opts.negativeTtlMs;
    this.#keyPrefix = `${opts.redisPrefix}route:`;
    this.#channel = `${opts.redisPrefix}routes`;
    if (opts.redisUrl !== undefined) {
      const name = `${opts.redisPrefix}routing:${opts.name ?? process.pid}`.replace(/\s/g, '_');
      this.#redis = new Redis(opts.redisUrl, {
        enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: 500, connectTimeout: 2_000, connectionName: `${name}:cmd`,
      });
      this.#sub = new Redis(opts.redisUrl, { connectTimeout: 2_000, maxRetriesPerRequest: null, connectionName: `${name}:sub` });
    }
  }

  /** Opens the table; with Redis, resolves once connected and subscribed (or after connectWaitMs without). */
  /** The table as a server's configuration describes it (REDIS_URL, REDIS_KEY_PREFIX, ROUTE_*_TTL_SECONDS). */
  static fromConfig(config: Readonly<Config>, pool: pg.Pool, log: RoutingLogger): Promise<RoutingTable> {
    return RoutingTable.open({
      pool, log, redisUrl: config.redisUrl, redisPrefix: config.redisKeyPrefix,
      ttlMs: config.routeTtlSeconds * 1000, negativeTtlMs: config.routeNegativeTtlSeconds * 1000,
    });
  }

  static async open(opts: RoutingTableOptions): Promise<RoutingTable> {
    const t = new RoutingTable(opts);
    await t.#connect(opts.connectWaitMs ?? 2_000);
    return t;
  }

  get redisEnabled(): boolean {
    return this.#redis !== undefined;
  }

  async #connect(waitMs: number): Promise<void> {
    const redis = this.#redis;
    const sub = this.#sub;
    if (redis === undefined || sub === undefined) return;
    let downSince: number | undefined;
    // Without 'error' listeners an outage would crash the process; report each outage once.
    redis.on('error', (err: Error) => {
      if (downSince === undefined) this.#log.warn({ err, event: 'RoutingRedisDisconnected' }, 'routing: Redis unreachable; reading PostgreSQL');
      downSince ??= Date.now();
    });
    redis.on('ready', () => {
      if (downSince !== undefined) this.#log.info({ event: 'RoutingRedisConnected' }, 'routing: Redis is back');
      downSince = undefined;
    });
    sub.on('error', () => {});
    sub.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#onMessage(text);
    });
    // ioredis subscribes again after a reconnect; messages sent meanwhile are lost, so forget
    // everything held (each entry is read again on its next use).
    sub.on('ready', () => {
      if (this.#subscribed) this.#cache.clear();
    });
    const subscribed = sub.subscribe(this.#channel).then(() => { this.#subscribed = true; }, (err: unknown) => {
      this.#log.warn({ err, event: 'RoutingSubscribeError' }, 'routing: could not subscribe to route changes');
    });
    const ready = redis.status === 'ready' ? Promise.resolve() : new Promise<void>((r) => { redis.once('ready', () => r()); });
    await Promise.race([Promise.all([subscribed, ready]), new Promise((r) => setTimeout(r, waitMs).unref())]);
  }

  #onMessage(text: string): void {
    let m: Message;
    try {
      m = JSON.parse(text) as Message;
    } catch {
      return;
    }
    const route = parseRoute(m?.r);
    if (!isSubdomain(m?.s) || typeof m.v !== 'number' || route === undefined || (route !== null && route.subdomain !== m.s)) return;
    if (this.#cache.offer(m.s, route, m.v, this.#ttlMs)) this.stats.messagesApplied++;
    else this.stats.messagesStale++;
  }

  /** The route of a subdomain, or null if it has none. Throws only if PostgreSQL fails. */
  async get(subdomain: string): Promise<Route | null> {
    if (!isSubdomain(subdomain)) return null;
    const held = this.#cache.get(subdomain);
    if (held !== undefined) {
      this.stats.memoryHits++;
      return held.route;
    }
    // One read per subdomain at a time: a burst of requests for a cold route makes one query.
    let p = this.#inflight.get(subdomain);
    if (p === undefined) {
      p = this.#load(subdomain).finally(() => this.#inflight.delete(subdomain));
      this.#inflight.set(subdomain, p);
    }
    return p;
  }

  async #load(subdomain: string): Promise<Route | null> {
    const fromRedis = await this.#readCopy(subdomain);
    if (fromRedis !== undefined) {
      this.stats.redisHits++;
      this.#cache.offer(subdomain, fromRedis.route, fromRedis.version, fromRedis.ttlMs);
      return this.#cache.get(subdomain)?.route ?? fromRedis.route;
    }
    this.stats.databaseReads++;
    const { rows } = await this.#pool.query<RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM routes WHERE subdomain = $1`, [subdomain]);
    const route = rows.length === 0 ? null : toRoute(rows[0]);
    // A miss has version 0: any write (version ≥ 1) replaces it, and it replaces nothing newer.
    const version = route?.version ?? 0;
    const ttlMs = route === null ? this.#negativeTtlMs : this.#ttlMs;
    this.#cache.offer(subdomain, route, version, ttlMs);
    await this.#writeCopy(subdomain, route, version, ttlMs, false);
    // A message that arrived during the read wins over it.
    return this.#cache.get(subdomain)?.route ?? route;
  }

  async #readCopy(subdomain: string): Promise<{ route: Route | null; version: number; ttlMs: number } | undefined> {
    const redis = this.#redis;
    if (redis === undefined || redis.status !== 'ready') return undefined;
    try {
      const out = await redis.multi().get(this.#keyPrefix + subdomain).pttl(this.#keyPrefix + subdomain).exec();
      if (out === null || out[0][0] || out[1][0]) return undefined;
      const text = out[0][1] as string | null;
      const pttl = Number(out[1][1]);
      if (text === null || pttl <= 0) return undefined;
      const bar = text.indexOf('|');
      const version = Number(text.slice(0, bar));
      const route = parseRoute(JSON.parse(text.slice(bar + 1)));
      if (bar < 1 || !Number.isSafeInteger(version) || route === undefined) return undefined;
      return { route, version, ttlMs: Math.min(pttl, route === null ? this.#negativeTtlMs : this.#ttlMs) };
    } catch (err) {
      this.#redisFailed(err);
      return undefined;
    }
  }

  async #writeCopy(subdomain: string, route: Route | null, version: number, ttlMs: number, publish: boolean): Promise<void> {
    const redis = this.#redis;
    if (redis === undefined || redis.status !== 'ready') {
      if (redis !== undefined && publish) this.#redisFailed(new Error(`redis is ${redis.status}`));
      return;
    }
    try {
      const tx = redis.multi().eval(SET_IF_NEWER, 1, this.#keyPrefix + subdomain, String(version), JSON.stringify(route), String(ttlMs));
      if (publish) tx.publish(this.#channel, JSON.stringify({ s: subdomain, v: version, r: route } satisfies Message));
      const out = await tx.exec();
      const failed = out?.find(([e]) => e)?.[0];
      if (failed) throw failed;
    } catch (err) {
      this.#redisFailed(err);
    }
  }

  #redisFailed(err: unknown): void {
    this.stats.redisErrors++;
    this.#log.debug({ err, event: 'RoutingRedisError' }, 'routing: Redis call failed');
  }

  /** RouteSink: points a subdomain at an address and publishes the change. */
  async upsert(subdomain: string, address: string, machineId: string | null = null): Promise<void> {
    await this.put(subdomain, address, machineId);
  }

  /** RouteSink: removes a subdomain's route and publishes the removal. */
  async remove(subdomain: string): Promise<void> {
    await this.delete(subdomain);
  }

  /** upsert() that returns the route written (with its version). */
  async put(subdomain: string, address: string, machineId: string | null = null): Promise<Route> {
    if (!isSubdomain(subdomain)) throw new TypeError(`subdomain must be one lower-case DNS label, got ${JSON.stringify(subdomain)}`);
    if (!isAddress(address)) throw new TypeError(`address must be "host:port", got ${JSON.stringify(address)}`);
    const route = await this.#locked(subdomain, async (c) => {
      // An unchanged route keeps its version (the registry may upsert the same address again);
      // it is still published, which heals a copy or a message lost to a Redis blip.
      const { rows } = await c.query<RouteRow>(
        `INSERT INTO routes (subdomain, address, machine_id, tenant_id, version)
         VALUES ($1, $2, $3, (SELECT id FROM tenants WHERE slug = $1), nextval('routes_version_seq'))
         ON CONFLICT (subdomain) DO UPDATE SET address = EXCLUDED.address, machine_id = EXCLUDED.machine_id,
           tenant_id = EXCLUDED.tenant_id, version = EXCLUDED.version, updated_at = now()
         WHERE (routes.address, routes.machine_id, routes.tenant_id) IS DISTINCT FROM (EXCLUDED.address, EXCLUDED.machine_id, EXCLUDED.tenant_id)
         RETURNING ${ROUTE_COLUMNS}`, [subdomain, address, machineId]);
      if (rows.length === 1) return toRoute(rows[0]);
      const same = await c.query<RouteRow>(`SELECT ${ROUTE_COLUMNS} FROM routes WHERE subdomain = $1`, [subdomain]);
      return toRoute(same.rows[0]);
    });
    this.#cache.offer(subdomain, route, route.version, this.#ttlMs);
    await this.#writeCopy(subdomain, route, route.version, this.#ttlMs, true);
    return route;
  }

  /** remove() that says whether there was a route, and the removal's version. */
  async delete(subdomain: string): Promise<{ existed: boolean; version: number }> {
    if (!isSubdomain(subdomain)) throw new TypeError(`subdomain must be one lower-case DNS label, got ${JSON.stringify(subdomain)}`);
    const { existed, version } = await this.#locked(subdomain, async (c) => {
      const del = await c.query('DELETE FROM routes WHERE subdomain = $1', [subdomain]);
      const v = await c.query<{ v: string }>("SELECT nextval('routes_version_seq') AS v");
      return { existed: (del.rowCount ?? 0) > 0, version: Number(v.rows[0].v) };
    });
    // The removal is remembered as long as a route would be: a slow reader holding the old
    // route cannot put it back (its version is lower), and a new upsert replaces it at once.
    this.#cache.offer(subdomain, null, version, this.#ttlMs);
    await this.#writeCopy(subdomain, null, version, this.#ttlMs, true);
    return { existed, version };
  }

  /** A tenant's route, read from PostgreSQL (the owner's view; not cached). */
  async forTenant(tenantId: string): Promise<Route | null> {
    const { rows } = await this.#pool.query<RouteRow>(
      `SELECT ${ROUTE_COLUMNS} FROM routes WHERE tenant_id = $1 ORDER BY updated_at DESC LIMIT 1`, [tenantId]);
    return rows.length === 0 ? null : toRoute(rows[0]);
  }

  #locked<T>(subdomain: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return withTransaction(this.#pool, async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtextextended('dw-route:' || $1, 0))", [subdomain]);
      return fn(c);
    });
  }

  /** Entries held in memory (tests). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cache.clear();
    for (const r of [this.#sub, this.#redis]) {
      if (r === undefined) continue;
      if (r.status === 'ready') {
        try { await r.quit(); continue; } catch { /* drop it below */ }
      }
      r.disconnect();
    }
  }
}
