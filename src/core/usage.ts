// Usage per tenant (events and bytes accepted, anomalies found), counted per UTC hour, and read
// back by the control API (GET /api/v1/usage) and the engine's quota (engine/transforms/quota.ts)
// from the store in use: Redis when REDIS_URL is set, else the usage_counters table.
//
//   engine: events sink COMMIT ─► stored, not duplicate ─┬─ always: usage_counters row (tenant, hour), upserted
//           anomalies sink COMMIT ─────────────────────── │   by the sink inside its own transaction (exact;
//                                                        │   billing's Stripe reporter meters from it)
//                                                        └─ REDIS_URL: add() ─► one pipeline per tick:
//                                                             INCRBY <prefix>usage:<tenant>:<YYYYMMDDHH>:<field>
//                                                             INCRBY <prefix>usage:<tenant>:m<YYYYMM>:<field>   (month roll-up)
//                                                             EXPIRE (hour keys 100 days, month keys 400 days)
//   readers: range(tenant, from, to, hour|day) and month(tenant) ─► the same store
//
// Only writes the sink reports as stored and not duplicate are counted, so a resent batch is
// never counted twice. In Redis the count follows the COMMIT (it is not in the transaction): an
// engine killed between the two, or a Redis unreachable for longer than the retry buffer holds
// (MAX_PENDING_KEYS tenant-hours) or at close, loses those counts (logged). A pipeline that fails
// is retried whole: if Redis applied part of it before the error (a timeout after it ran), that
// part counts twice; a refused connection applies nothing.
import { Redis } from 'ioredis';
import type pg from 'pg';
import type { Logger } from './log.js';
import { UsageStoreCountsDropped, UsageStoreCountsLost, UsageStoreRedisError } from './telemetry/index.js';
import { limitValues, NO_LIMITS, type LimitValues } from './tenancy/limits.js';
import { PLANS } from './tenancy/plans.js';

export interface UsageTotals { events: number; bytes: number; anomalies: number }
export interface UsageBucket extends UsageTotals { /** Start of the hour or day (UTC), ISO 8601. */ start: string }
export type UsageGranularity = 'hour' | 'day';
export const USAGE_FIELDS = ['events', 'bytes', 'anomalies'] as const;

export interface UsageStore {
  readonly kind: 'table' | 'redis';
  /**
   * Counts usage accepted now (engine, after a COMMIT). The table store ignores it: the sink
   * counts in usage_counters in its own transaction (in both modes).
   */
  add(tenantId: string, delta: Partial<UsageTotals>, at?: number): void;
  /** Totals of the UTC calendar month that contains `at`. */
  month(tenantId: string, at?: number): Promise<UsageTotals>;
  /** Buckets with any usage in [from, to), oldest first. */
  range(tenantId: string, from: Date, to: Date, by: UsageGranularity): Promise<UsageBucket[]>;
  close(): Promise<void>;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Hour keys live a little over three months, month roll-ups a little over a year. */
export const HOUR_KEY_TTL_SECONDS = 100 * 86_400;
export const MONTH_KEY_TTL_SECONDS = 400 * 86_400;
/** Tenant-hours waiting for Redis at most (when it is down); beyond it new counts are dropped and logged. */
const MAX_PENDING_KEYS = 100_000;
/** A failed pipeline is retried after this long (or at the next count or read, if sooner). */
const RETRY_MS = 1_000;
/** range() reads at most this many hours (a little over a year). */
export const MAX_RANGE_HOURS = 24 * 400;

/** Start of the UTC month that contains `at` (ms). */
export function monthStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Start of the next UTC month (ms). */
export function nextMonthStart(at: number): number {
  const d = new Date(at);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** `2026112205` */
export const hourTag = (at: number): string => {
  const d = new Date(at);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}`;
};
/** `m202611` */
export const monthTag = (at: number): string => {
  const d = new Date(at);
  return `m${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}`;
};

const zero = (): UsageTotals => ({ events: 0, bytes: 0, anomalies: 0 });

/** Adds hour buckets into hour or day buckets, dropping empty ones. */
function bucketize(hours: Iterable<[number, UsageTotals]>, by: UsageGranularity): UsageBucket[] {
  const out = new Map<number, UsageTotals>();
  for (const [at, t] of hours) {
    if (t.events === 0 && t.bytes === 0 && t.anomalies === 0) continue;
    const k = by === 'hour' ? at - (at % HOUR_MS) : at - (at % DAY_MS);
    const o = out.get(k) ?? zero();
    o.events += t.events;
    o.bytes += t.bytes;
    o.anomalies += t.anomalies;
    out.set(k, o);
  }
  return [...out].sort((a, b) => a[0] - b[0]).map(([k, t]) => ({ start: new Date(k).toISOString(), ...t }));
}

/** The usage_counters table (written by the engine's sinks inside their transactions, whatever the store in use). */
export class TableUsageStore implements UsageStore {
  readonly kind = 'table' as const;
  readonly #pool: pg.Pool;
  constructor(pool: pg.Pool) { this.#pool = pool; }

  add(): void {}

  async month(tenantId: string, at = Date.now()): Promise<UsageTotals> {
    const { rows } = await this.#pool.query<{ events: string; bytes: string; anomalies: string }>(
      `SELECT COALESCE(sum(events), 0) AS events, COALESCE(sum(bytes), 0) AS bytes, COALESCE(sum(anomalies), 0) AS anomalies
         FROM usage_counters WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3`,
      [tenantId, new Date(monthStart(at)), new Date(nextMonthStart(at))],
    );
    return { events: Number(rows[0].events), bytes: Number(rows[0].bytes), anomalies: Number(rows[0].anomalies) };
  }

  async range(tenantId: string, from: Date, to: Date, by: UsageGranularity): Promise<UsageBucket[]> {
    const { rows } = await this.#pool.query<{ bucket: Date; events: string; bytes: string; anomalies: string }>(
      `SELECT bucket, events, bytes, anomalies FROM usage_counters
        WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 ORDER BY bucket`,
      [tenantId, from, to],
    );
    return bucketize(rows.map((r) => [r.bucket.getTime(), { events: Number(r.events), bytes: Number(r.bytes), anomalies: Number(r.anomalies) }]), by);
  }

  async close(): Promise<void> {}
}

export interface RedisUsageOptions {
  /** REDIS_KEY_PREFIX (`dw:`); keys are `<prefix>usage:...`. */
  prefix: string;
  /** The usage_counters table's pool: the source of truth Redis is seeded from, and read while Redis is away. */
  pool: pg.Pool;
  log: Logger;
  commandTimeoutMs?: number;
}

/**
 * Redis counters. add() merges into a map of pending deltas and sends them all in one pipeline
 * on the next tick; reads send what is pending first on the same connection, so a read sees
 * every add() made before it (Redis runs one connection's commands in order). A failed
 * pipeline puts its deltas back and is retried at the next add() or read.
 */
export class RedisUsageStore implements UsageStore {
  readonly kind = 'redis' as const;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #log: Logger;
  readonly #table: TableUsageStore;
  /** `<tenant>\0<hour start ms>` ─► deltas not yet sent. */
  #pending = new Map<string, UsageTotals>();
  #scheduled = false;
  #retry: NodeJS.Timeout | undefined;
  /** One log gate for this store's Redis errors (the connection's and the pipelines'). */
  readonly #gate = UsageStoreRedisError.gate();
  /** Counters (STYLE.md §11). */
  readonly stats = { pipelines: 0, pipelineErrors: 0, droppedDeltas: 0, seeded: 0, tableReads: 0 };

  private constructor(redis: Redis, opts: RedisUsageOptions) {
    this.#redis = redis;
    this.#prefix = `${opts.prefix}usage:`;
    this.#log = opts.log;
    this.#table = new TableUsageStore(opts.pool);
  }

  static async open(url: string, opts: RedisUsageOptions): Promise<RedisUsageStore> {
    const redis = new Redis(url, {
      enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: opts.commandTimeoutMs ?? 1_000, connectTimeout: 2_000,
    });
    const store = new RedisUsageStore(redis, opts);
    redis.on('error', (err: Error) => UsageStoreRedisError.emit(store.#log, { err, pending: store.#pending.size }, 1, store.#gate));
    await new Promise<void>((resolve) => {
      const done = (): void => { clearTimeout(timer); redis.off('ready', done); redis.off('error', done); resolve(); };
      const timer = setTimeout(done, 2_000);
      redis.once('ready', done);
      redis.once('error', done);
    });
    return store;
  }


  #key(tenantId: string, tag: string, field: string): string { return `${this.#prefix}${tenantId}:${tag}:${field}`; }

  add(tenantId: string, delta: Partial<UsageTotals>, at = Date.now()): void {
    const hour = at - (at % HOUR_MS);
    const k = `${tenantId}\u0000${hour}`;
    let t = this.#pending.get(k);
    if (t === undefined) {
      if (this.#pending.size >= MAX_PENDING_KEYS) {
        this.stats.droppedDeltas++;
        UsageStoreCountsDropped.emit(this.#log, { pending: this.#pending.size });
        return;
      }
      t = zero();
      this.#pending.set(k, t);
    }
    t.events += delta.events ?? 0;
    t.bytes += delta.bytes ?? 0;
    t.anomalies += delta.anomalies ?? 0;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => { this.#scheduled = false; void this.flush(); });
    }
  }

  /** Sends every pending delta in one pipeline (issued synchronously; resolves when Redis answered). */
  flush(): Promise<void> {
    if (this.#pending.size === 0) return Promise.resolve();
    const batch = this.#pending;
    this.#pending = new Map();
    const p = this.#redis.pipeline();
    for (const [k, t] of batch) {
      const [tenantId, hourMs] = k.split('\u0000');
      const at = Number(hourMs);
      for (const [tag, ttl] of [[hourTag(at), HOUR_KEY_TTL_SECONDS], [monthTag(at), MONTH_KEY_TTL_SECONDS]] as const) {
        for (const f of USAGE_FIELDS) {
          if (t[f] === 0) continue;
          const key = this.#key(tenantId, tag, f);
          p.incrby(key, t[f]);
          p.expire(key, ttl);
        }
      }
    }
    this.stats.pipelines++;
    return p.exec().then((res) => {
      const failed = res?.find(([err]) => err !== null);
      if (res === null || failed !== undefined) throw failed?.[0] ?? new Error('pipeline aborted');
    }).catch((err: unknown) => {
      // Not known to be counted: put back and retry (an INCRBY that did apply before the error
      // would then count twice; Redis pipelines fail as a whole when the connection is down).
      this.stats.pipelineErrors++;
      for (const [k, t] of batch) {
        const cur = this.#pending.get(k);
        if (cur === undefined) this.#pending.set(k, t);
        else { cur.events += t.events; cur.bytes += t.bytes; cur.anomalies += t.anomalies; }
      }
      UsageStoreRedisError.emit(this.#log, { err, pending: this.#pending.size, retryInMs: 1_000 }, 1, this.#gate);
      this.#retry ??= setTimeout(() => { this.#retry = undefined; void this.flush(); }, RETRY_MS).unref();
    });
  }

  /**
   * The month's totals from Redis, seeded from the usage_counters table (the source of truth)
   * when Redis lacks them: a new or flushed Redis, or evicted keys, must not reset a tenant's
   * quota to 0 (issue 12, item 5). A month counts as seeded while its marker key and its events
   * key exist; else SEED_SCRIPT raises each field to the table's total (keeping increments made
   * since the loss, which the table already holds too: max, not sum) and sets the marker. While
   * Redis does not answer, the table answers (issue 12, item 4).
   */
  async month(tenantId: string, at = Date.now()): Promise<UsageTotals> {
    void this.flush();
    const tag = monthTag(at);
    const keys = USAGE_FIELDS.map((f) => this.#key(tenantId, tag, f));
    const marker = this.#key(tenantId, tag, 'seeded');
    let vals: (string | null)[];
    try {
      vals = await this.#redis.mget([...keys, marker]);
    } catch (err) {
      UsageStoreRedisError.emit(this.#log, { err, pending: this.#pending.size, fallback: 'usage_counters' }, 1, this.#gate);
      this.stats.tableReads++;
      return this.#table.month(tenantId, at);
    }
    if (vals[3] !== null && vals[0] !== null) return { events: Number(vals[0]), bytes: Number(vals[1] ?? 0), anomalies: Number(vals[2] ?? 0) };
    const t = await this.#table.month(tenantId, at);
    this.stats.seeded++;
    try {
      const out = await this.#redis.eval(SEED_SCRIPT, 4, ...keys, marker, t.events, t.bytes, t.anomalies, MONTH_KEY_TTL_SECONDS) as number[];
      return { events: Number(out[0]), bytes: Number(out[1]), anomalies: Number(out[2]) };
    } catch (err) {
      UsageStoreRedisError.emit(this.#log, { err, pending: this.#pending.size, fallback: 'usage_counters', seeding: true }, 1, this.#gate);
      return t;
    }
  }

  /** By hour or day from Redis's hour keys; from the usage_counters table while Redis does not answer. */
  async range(tenantId: string, from: Date, to: Date, by: UsageGranularity): Promise<UsageBucket[]> {
    void this.flush();
    const hours: number[] = [];
    // Hours that start in [from, to), like the table's `bucket >= from AND bucket < to`.
    for (let at = Math.ceil(from.getTime() / HOUR_MS) * HOUR_MS; at < to.getTime() && hours.length < MAX_RANGE_HOURS; at += HOUR_MS) hours.push(at);
    if (hours.length === 0) return [];
    const keys = hours.flatMap((h) => USAGE_FIELDS.map((f) => this.#key(tenantId, hourTag(h), f)));
    let vals: (string | null)[];
    try {
      vals = await this.#redis.mget(keys);
    } catch (err) {
      UsageStoreRedisError.emit(this.#log, { err, pending: this.#pending.size, fallback: 'usage_counters' }, 1, this.#gate);
      this.stats.tableReads++;
      return this.#table.range(tenantId, from, to, by);
    }
    const out: [number, UsageTotals][] = hours.map((h, i) => [h, {
      events: Number(vals[3 * i] ?? 0), bytes: Number(vals[3 * i + 1] ?? 0), anomalies: Number(vals[3 * i + 2] ?? 0),
    }]);
    return bucketize(out, by);
  }

  async close(): Promise<void> {
    await this.flush();
    clearTimeout(this.#retry);
    if (this.#pending.size > 0) UsageStoreCountsLost.emit(this.#log, { pending: this.#pending.size });
    if (this.#redis.status === 'ready') {
      try { await this.#redis.quit(); return; } catch { /* drop it below */ }
    }
    this.#redis.disconnect();
  }
}

/**
 * KEYS: the month's events, bytes, anomalies keys and its marker; ARGV: the table's totals and
 * the keys' TTL. Unless the marker and the events key both exist, raises each field to at
 * least the table's total and sets the marker. Returns the three values.
 */
const SEED_SCRIPT = `
local seeded = redis.call('EXISTS', KEYS[4]) == 1 and redis.call('EXISTS', KEYS[1]) == 1
local out = {}
for i = 1, 3 do
  local cur = tonumber(redis.call('GET', KEYS[i]) or '0')
  local want = tonumber(ARGV[i])
  if not seeded and want > cur then
    redis.call('SET', KEYS[i], want, 'EX', ARGV[4])
    cur = want
  end
  out[i] = cur
end
if not seeded then redis.call('SET', KEYS[4], '1', 'EX', ARGV[4]) end
return out`;

/** The store in use: Redis when REDIS_URL is set, else the usage_counters table. */
export async function openUsageStore(opts: { pool: pg.Pool; redisUrl: string | undefined; redisKeyPrefix: string; log: Logger }): Promise<UsageStore> {
  if (opts.redisUrl === undefined) return new TableUsageStore(opts.pool);
  return RedisUsageStore.open(opts.redisUrl, { prefix: opts.redisKeyPrefix, pool: opts.pool, log: opts.log.child({ component: 'usage' }) });
}

export interface PlanUsage {
  plan: string;
  planName: string;
  /** events_per_month of the plan; null = unlimited. */
  limit: number | null;
  retentionDays: number;
  /** This UTC month's usage. */
  usage: UsageTotals;
  /** The plan's ingest limits and the tenant's overrides (src/core/tenancy/limits.ts; null = not set). */
  planLimits: LimitValues;
  tenantLimits: LimitValues;
}

/**
 * A tenant's plan (tenants.plan joined with plans; an unknown plan counts as free for the quota,
 * and sets no ingest limits), its limit overrides (tenant_limits) and its usage in the UTC month
 * that contains `at`: what the quota (and, from it, the engine's per-tenant limits) and
 * GET /api/v1/usage read. One query for the plan and limits.
 */
export async function planUsage(pool: pg.Pool, store: UsageStore, tenantId: string, at = Date.now()): Promise<PlanUsage> {
  const [plan, usage] = await Promise.all([
    pool.query<{ plan: string; name: string | null; events_per_month: string | null; retention_days: number | null } & Record<string, unknown>>(
      `SELECT t.plan, p.name, p.events_per_month, p.retention_days,
              p.max_body_bytes AS p_max_body_bytes, p.max_batch_events AS p_max_batch_events, p.events_per_second AS p_events_per_second,
              l.max_body_bytes AS t_max_body_bytes, l.max_batch_events AS t_max_batch_events, l.events_per_second AS t_events_per_second
         FROM tenants t LEFT JOIN plans p ON p.id = t.plan LEFT JOIN tenant_limits l ON l.tenant_id = t.id
        WHERE t.id = $1`, [tenantId]),
    store.month(tenantId, at),
  ]);
  const r = plan.rows[0];
  const tenantLimits = limitValues(r, 't_');
  if (r === undefined || r.name === null) {
    const free = PLANS.free;
    return { plan: r?.plan ?? 'free', planName: free.name, limit: free.eventsPerMonth, retentionDays: free.retentionDays, usage, planLimits: NO_LIMITS, tenantLimits };
  }
  return {
    plan: r.plan, planName: r.name, limit: r.events_per_month === null ? null : Number(r.events_per_month),
    retentionDays: r.retention_days ?? PLANS.free.retentionDays, usage, planLimits: limitValues(r, 'p_'), tenantLimits,
  };
}
