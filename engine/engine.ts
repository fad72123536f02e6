// The engine: ingest over HTTP and WebSocket, durable storage with COPY, detection in workers.
//
//   sources/http.ts ───────┐                                   (ack path: answered after COMMIT)
//   POST /events/ingest    │  authenticate ─► transforms/decode.ts ─► the tenant's own limits (body or
//                          │    frame bytes, events per batch: 413 / nack; src/core/tenancy/limits.ts, read with its quota
//                          │    reading) ─► transforms/limit.ts (per-tenant
//                          │    events/s: 429 / nack) ─► transforms/quota.ts (plan's events per month:
//                          │    429 / nack DW_ERR_QUOTA_EXCEEDED) ─► sinks/postgres/blocks.ts (a compressed
//                          │    block per stream) ─► sinks/spool ─► sinks/postgres (events sink)
//                          │    (PostgreSQL slow or down: acked once fsync'd in the spool, replayed in order)
//   sources/websocket.ts ──┤                                           │ group commit: one COPY per window,
//   GET /stream (frames)   │                                           │ ingest_batches + usage_counters
//                          │                                           │ (and, with REDIS_URL, INCRBY after COMMIT: src/core/usage.ts)
//   sources/otlp.ts ───────┘ (POST /v1/logs: OTLP/HTTP JSON ─► transforms/otlp.ts)
//                                                                      ▼ in the same transaction
//                                                     durable records ─► InOrder (released in
//                                                     submission order) ─► transforms/score.ts
//                                                     (not on the ack path)   │ per-stream queue, ≤1 task
//                                                                             ▼ per stream, piscina pool
//                                                             workers/score.ts (dist/workers/score.js)
//                                                                             │ findings
//                                                                             ▼
//                                                     sinks/postgres (anomalies sink) ─► anomalies table
//
// close(): refuse new requests, upgrades and frames (DW_ERR_SHUTTING_DOWN) and close the
// listen socket ─► wait for every batch in flight (each one answered after its COMMIT or its
// spool fsync) ─► let the spool drain while PostgreSQL takes it (up to the rest of the grace
// period), then stop its replay (what is left is replayed by the next start) ─►
// flush the events sink ─► drain the scorer (its anomalies written) ─► flush the anomalies
// sink ─► stop retention (waiting for a run in progress) ─► destroy the worker pool ─► end the
// remaining WebSocket connections (1001) and idle keep-alive HTTP connections.
// Retention (sinks/postgres/retention.ts): at start and hourly, in the background.
import uWS from 'uWebSockets.js';
import type pg from 'pg';
import { PrincipalResolver, requireScope, resolverOptions } from '../src/core/auth/principal.js';
import type { TokenService } from '../src/core/auth/jwt.js';
import type { Config } from '../src/core/config.js';
import { DwError } from '../src/core/errors.js';
import type { Logger } from '../src/core/log.js';
import { BLOCK_COLUMNS, blockLines } from './sinks/postgres/blocks.js';
import { ANOMALY_COLUMNS, anomalyLines } from './sinks/postgres/copy.js';
import { Retention } from './sinks/postgres/retention.js';
import { CopySink, type SinkWrite } from './sinks/postgres/service.js';
import { spoolOptions } from './sinks/spool/config.js';
import { SpooledSink, type SpoolStats } from './sinks/spool/service.js';
import { isDatabaseDown, type SourceContext } from './sources/common.js';
import { httpSource } from './sources/http.js';
import { otlpSource } from './sources/otlp.js';
import { websocketSource } from './sources/websocket.js';
import type { EventRecord } from './types.js';
import { TenantRateLimiter } from './transforms/limit.js';
import { TenantQuota, type QuotaReading } from './transforms/quota.js';
import { effectiveLimits, NO_LIMITS, type EffectiveLimits, type LimitSource } from '../src/core/tenancy/limits.js';
import { openUsageStore, planUsage, type UsageStore } from '../src/core/usage.js';
import { InOrder, Scorer } from './transforms/score.js';
import { StreamSettings } from './transforms/stream-settings.js';

/** Retention by plan (partitions ahead, expired blocks and anomalies) runs at start and this often. */
const RETENTION_EVERY_MS = 3_600_000;

/**
 * While PostgreSQL is unreachable, an API key or session this process verified within this
 * long is still honoured (nothing can be revoked while the database is down), so that ingest
 * keeps going into the spool.
 */
const AUTH_STALE_IF_DOWN_MS = 3_600_000;

/** At shutdown, scoring the queue gets at least this long even when the grace period is used up. */
const SCORE_DRAIN_MIN_MS = 5_000;

/** The events sink holds at most this many maximal bodies' worth of COPY lines waiting (at least 64 MiB). */
const PENDING_BODIES = 4;
const MIN_PENDING_BYTES = 64 * 1024 * 1024;

export interface EngineHandle {
  readonly port: number;
  /** Counters of the events sink, the anomalies sink and the scorer, and the stream entries the scorer holds. */
  stats(): {
    events: CopySink['stats']; anomalies: CopySink['stats']; score: Scorer['stats']; streams: number;
    /** Stored events waiting to be scored (new batches wait while it is over the high-water mark). */
    scorePending: number;
    rateLimit: TenantRateLimiter['stats'];
    quota: TenantQuota['stats']; retention: Retention['stats'];
    /** The on-disk spool (undefined when SPOOL_MAX_BYTES is 0). */
    spool: SpoolStats | undefined;
  };
  close(): Promise<void>;
}

export interface EngineOptions {
  config: Readonly<Config>;
  pool: pg.Pool;
  tokens: TokenService;
  log: Logger;
  /** Tests: a fixture worker task file instead of dist/workers/score.js. */
  workerFilename?: string;
  /** Tests: events waiting to be scored above which new batches wait before they are stored (default 100,000). */
  scoreHighWaterEvents?: number;
  /** close(): how long requests already received may take to finish (default 10 s). */
  shutdownGraceMs?: number;
  /** Where usage is counted; default: opened from config (Redis when REDIS_URL is set, else the table), closed with the engine. */
  usage?: UsageStore;
}

export async function startEngine(opts: EngineOptions): Promise<EngineHandle> {
  const { config, pool, tokens } = opts;
  const log = opts.log.child({ component: 'engine' });
  const resolver = new PrincipalResolver(pool, tokens, {
    ...resolverOptions(config), staleIfUnavailableMs: AUTH_STALE_IF_DOWN_MS, isUnavailable: isDatabaseDown,
  });
  const usage = opts.usage ?? await openUsageStore({ pool, redisUrl: config.redisUrl, redisKeyPrefix: config.redisKeyPrefix, log });
  // The sinks count usage in usage_counters inside their transaction (billing meters from it);
  // with REDIS_URL it is also counted in Redis after COMMIT (below, and at a spooled batch's
  // replay), where the quota reads it.

  const events = new CopySink(pool, log, {
    name: 'events', table: 'event_blocks', columns: BLOCK_COLUMNS, usageColumn: 'events', countBytes: true,
    flushIntervalMs: config.flushIntervalMs, flushMaxRows: config.flushMaxRows,
    maxPendingRows: Math.max(10 * config.flushMaxRows, 100_000),
    // Bytes as well as rows: 100,000 rows of 64 KiB events would be 6 GiB.
    maxPendingBytes: Math.max(PENDING_BODIES * config.maxBodyBytes, MIN_PENDING_BYTES), maxConcurrentFlushes: 2, whenFull: 'drop_newest',
  });
  const anomalies = new CopySink(pool, log, {
    name: 'anomalies', table: 'anomalies', columns: ANOMALY_COLUMNS, usageColumn: 'anomalies', countBytes: false,
    flushIntervalMs: Math.max(config.flushIntervalMs, 50), flushMaxRows: config.flushMaxRows,
    maxPendingRows: Math.max(10 * config.flushMaxRows, 100_000), maxConcurrentFlushes: 1, whenFull: 'drop_newest',
  });
  const scorer = new Scorer(log, {
    threads: config.workerThreads,
    workerFilename: opts.workerFilename,
    highWaterEvents: opts.scoreHighWaterEvents,
    settings: new StreamSettings(pool, log),
    maxStreams: config.maxStreams,
    streamIdleTtlMs: config.streamIdleTtlMs,
    onAnomalies(rows) {
      // One anomalies write per tenant (usage is counted per tenant).
      const byTenant = new Map<string, typeof rows>();
      for (const r of rows) {
        const list = byTenant.get(r.tenantId);
        if (list === undefined) byTenant.set(r.tenantId, [r]);
        else list.push(r);
      }
      return Promise.all([...byTenant].map(async ([tenantId, list]) => {
        const r = await anomalies.write({ tenantId, lines: anomalyLines(list), rows: list.length, bytes: 0 });
        if (!r.duplicate) usage.add(tenantId, { anomalies: r.rows });
        return r;
      }));
    },
  });

  // Retention: in the background (a slow delete never delays start-up or ingest), one run at a time.
  const retention = new Retention(pool, log);
  let retentionRun: Promise<void> | undefined;
  const runRetention = (): void => {
    retentionRun ??= retention.run().then(() => undefined, (err: unknown) => {
      log.warn({ err }, 'RetentionRunError: old event blocks and anomalies were not deleted; next try in an hour');
    }).finally(() => { retentionRun = undefined; });
  };
  runRetention();
  const retentionTimer = setInterval(runRetention, RETENTION_EVERY_MS).unref();

  // Two flushes run at once and a flush may retry, so writes can commit out of order: committed
  // records go to the scorer in the order their writes were submitted (per stream, frame order).
  const toScore = new InOrder<{ tenantId: string; records: EventRecord[] }>((x) => scorer.push(x.tenantId, x.records));

  // The spool in front of the events sink: a spooled batch is scored when its replay commits,
  // in spool order, through the same InOrder (after every direct write submitted before it).
  let spool: SpooledSink<SinkWrite, EventRecord[]> | undefined;
  if (config.spoolMaxBytes > 0) {
    try {
      spool = await SpooledSink.open<SinkWrite, EventRecord[]>(events, log,
        spoolOptions({ dir: config.spoolDir, maxBytes: config.spoolMaxBytes, syncMs: config.spoolSyncMs, replayMaxRows: config.flushMaxRows }), {
          rowsOf: (_w, records) => records.length,
          onReplayed(w, records, r) {
            if (!r.duplicate && r.rows > 0) usage.add(w.tenantId, { events: r.rows, bytes: w.bytes });
            toScore.complete(toScore.take(), r.duplicate ? null : { tenantId: w.tenantId, records });
          },
        });
    } catch (err) {
      await scorer.close();
      throw err;
    }
  }

  const rateLimit = new TenantRateLimiter(config.tenantEventsPerSecond);
  // Per-tenant limits: computed once per quota reading (a reading is replaced, never changed).
  const globalLimits = effectiveLimits(config, NO_LIMITS, NO_LIMITS);
  const limitsOf = new WeakMap<QuotaReading, EffectiveLimits>();
  const tenantLimits = (r: QuotaReading | undefined): EffectiveLimits => {
    if (r?.limits === undefined) return globalLimits;
    let l = limitsOf.get(r);
    if (l === undefined) {
      l = effectiveLimits(config, r.limits.plan, r.limits.tenant);
      limitsOf.set(r, l);
    }
    return l;
  };
  const sourceName = (s: LimitSource): string => (s === 'config' ? 'the engine\'s setting' : s === 'plan' ? 'its plan' : 'its own override');
  let lastLimitLog = 0;
  const limitRefused = (tenantId: string, what: 'body' | 'batch' | 'rate', lim: EffectiveLimits): void => {
    const now = Date.now();
    if (now - lastLimitLog <= 5_000) return;
    lastLimitLog = now;
    log.warn({ tenantId, what, limits: lim, refused: rateLimit.stats.batchesRefused }, 'IngestTenantLimited: a batch is over one of its tenant\'s limits (size, events or rate)');
  };
  const quota = new TenantQuota(async (tenantId, monthStartMs) => {
    const p = await planUsage(pool, usage, tenantId, monthStartMs);
    return { plan: p.plan, planName: p.planName, limit: p.limit, used: p.usage.events, limits: { plan: p.planLimits, tenant: p.tenantLimits } };
  }, {
    refreshMs: config.quotaRefreshMs,
    onReadError: (err, tenantId) => log.warn({ err, tenantId }, 'IngestQuotaReadError: plan or usage could not be read; the last reading (or none: no limit) applies'),
  });
  let lastQuotaLog = 0;
  const quotaRefused = (tenantId: string, err: unknown): void => {
    const now = Date.now();
    if (now - lastQuotaLog < 5_000) return;
    lastQuotaLog = now;
    log.warn({ tenantId, refused: quota.stats.batchesRefused, details: (err as DwError).details }, 'IngestTenantQuotaExceeded: a tenant is over its plan\'s events per month');
  };
  const batchStored = async (tenantId: string, batchKey: string): Promise<boolean> =>
    (await pool.query('SELECT 1 FROM ingest_batches WHERE tenant_id = $1 AND batch_key = $2', [tenantId, batchKey])).rowCount === 1;

  // A per-tenant engine (DRIFTWATCH_TENANT_ID, set by the VM providers) serves one tenant only.
  const onlyTenant = config.tenantId;

  let closing = false;
  const inFlight = new Set<Promise<unknown>>();
  const ctx: SourceContext = {
    log,
    limits: { maxBatchEvents: config.maxBatchEvents, maxEventBytes: config.maxEventBytes },
    maxBodyBytes: config.maxBodyBytes,
    async authenticate(authorization) {
      const p = await resolver.resolve(authorization);
      if (onlyTenant !== undefined && p.tenantId !== onlyTenant) {
        throw new DwError('DW_ERR_FORBIDDEN', 'this engine serves a single tenant (DRIFTWATCH_TENANT_ID) and these credentials belong to another one');
      }
      requireScope(p, 'ingest');
      return p;
    },
    async ingest(tenantId, records, bytes, batchKey, bodyFingerprint) {
      if (records.length === 0) return { accepted: 0, duplicate: false };
      // The tenant's own limits (its plan's or its override, src/core/tenancy/limits.ts), read with its quota
      // reading (no I/O per batch). The global ones were applied before decoding.
      const lim = tenantLimits(await quota.current(tenantId));
      if (bytes > lim.maxBodyBytes.value) {
        limitRefused(tenantId, 'body', lim);
        throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE',
          `the body or frame is ${bytes} bytes; this tenant's limit is ${lim.maxBodyBytes.value} (${sourceName(lim.maxBodyBytes.source)})`,
          { limit: lim.maxBodyBytes.value, source: lim.maxBodyBytes.source, bytes });
      }
      if (records.length > lim.maxBatchEvents.value) {
        limitRefused(tenantId, 'batch', lim);
        throw new DwError('DW_ERR_TOO_MANY_EVENTS',
          `the batch has ${records.length} events; this tenant's limit is ${lim.maxBatchEvents.value} (${sourceName(lim.maxBatchEvents.source)})`,
          { limit: lim.maxBatchEvents.value, source: lim.maxBatchEvents.source, events: records.length });
      }
      // Per-tenant rate (after authentication and decoding, before storing): 429 + Retry-After, or a nack.
      const rate = lim.eventsPerSecond.value;
      const wait = rateLimit.take(tenantId, records.length, Date.now(), rate);
      if (wait > 0) {
        limitRefused(tenantId, 'rate', lim);
        throw new DwError('DW_ERR_RATE_LIMITED', `more than ${rate} events per second for this tenant (${sourceName(lim.eventsPerSecond.source)}); retry after ${wait} s`,
          { limit: rate, source: lim.eventsPerSecond.source, retryAfterSeconds: wait });
      }
      // The detector's backlog: while more than its high-water mark of stored events wait to be
      // scored, new batches wait here (not yet stored, not acked), so memory stays bounded and
      // ingest runs at the rate detection keeps up with.
      const room = scorer.room();
      if (room !== undefined) await room;
      // The plan's monthly quota: a batch that would go over is refused whole.
      let ticket;
      try {
        ticket = await quota.admit(tenantId, records.length);
      } catch (err) {
        // A resend of a batch already stored (its ack was lost) is acknowledged again, not refused:
        // the sink finds it a duplicate and counts nothing. One lookup, only on the refusal path.
        if (batchKey !== undefined && await batchStored(tenantId, batchKey)) {
          ticket = { tenantId, events: 0, month: 0 };
        } else {
          quotaRefused(tenantId, err);
          throw err;
        }
      }
      // One compressed block per stream of this batch (blocks.ts).
      const built = blockLines(tenantId, records, batchKey, undefined, batchKey !== undefined && bodyFingerprint === undefined);
      const lines = built.lines;
      const fingerprint = batchKey === undefined ? undefined : bodyFingerprint ?? built.fingerprint;
      const slot = toScore.take();
      const w: SinkWrite = { tenantId, lines, rows: records.length, bytes, batchKey, fingerprint };
      let r;
      try {
        r = spool !== undefined ? await spool.write(w, records) : { ...(await events.write(w)), spooled: false };
      } catch (err) {
        quota.settle(ticket, 0);
        toScore.complete(slot, null);
        throw err;
      }
      // Counted only when stored now: a resent batch (duplicate) is acknowledged, not counted. A
      // spooled batch is not stored yet: it is counted in Redis and scored when its replay commits
      // (onReplayed), but it takes its place in this engine's quota now.
      const stored = r.duplicate || r.spooled ? 0 : r.rows;
      if (stored > 0) usage.add(tenantId, { events: stored, bytes });
      quota.settle(ticket, r.duplicate ? 0 : r.rows);
      toScore.complete(slot, r.duplicate || r.spooled ? null : { tenantId, records });
      return { accepted: r.rows, duplicate: r.duplicate };
    },
    get closing() { return closing; },
    track(p) {
      inFlight.add(p);
      void p.then(() => inFlight.delete(p), () => inFlight.delete(p));
      return p;
    },
  };

  const app = uWS.App();
  httpSource(app, ctx);
  otlpSource(app, ctx);
  const ws = websocketSource(app, ctx);

  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen(config.host, config.enginePort, (s) => {
      if (s === false) reject(new Error(`engine: cannot listen on ${config.host}:${config.enginePort}`));
      else resolve(s);
    });
  }).catch(async (err: unknown) => {
    clearInterval(retentionTimer);
    await retentionRun;
    await spool?.close();
    await scorer.close();
    if (opts.usage === undefined) await usage.close();
    throw err;
  });
  const port = uWS.us_socket_local_port(listenSocket);
  log.info({ host: config.host, port, tenantId: onlyTenant }, 'engine listening');

  let closed: Promise<void> | undefined;
  return {
    port,
    stats: () => ({
      events: events.stats, anomalies: anomalies.stats, score: scorer.stats, streams: scorer.streams, scorePending: scorer.pendingEvents, rateLimit: rateLimit.stats,
      quota: quota.stats, retention: retention.stats, spool: spool?.stats,
    }),
    close() {
      closed ??= (async () => {
        closing = true;
        uWS.us_listen_socket_close(listenSocket);
        // Requests whose headers arrived before close() are finished (a body still streaming
        // in gets until the grace period ends; after that it is refused, never half-stored).
        const graceEnd = Date.now() + (opts.shutdownGraceMs ?? 10_000);
        while (inFlight.size > 0 && Date.now() < graceEnd) {
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([
            Promise.allSettled([...inFlight]),
            new Promise((r) => { timer = setTimeout(r, Math.max(0, graceEnd - Date.now())); }),
          ]);
          clearTimeout(timer);
        }
        if (inFlight.size > 0) log.warn({ requests: inFlight.size }, 'EngineShutdownGraceExpired: refusing what is still in flight');
        // While PostgreSQL takes the replay, the spool gets the rest of the grace period to drain.
        await spool?.close(Math.max(1_000, graceEnd - Date.now()));
        await events.close();
        // Scoring what is queued gets what is left of the grace period, at least SCORE_DRAIN_MIN_MS.
        await scorer.close(Math.max(SCORE_DRAIN_MIN_MS, graceEnd - Date.now()));
        await anomalies.close();
        clearInterval(retentionTimer);
        await retentionRun;
        if (opts.usage === undefined) await usage.close();
        ws.closeAll();
        // Idle keep-alive HTTP connections would keep the process alive until the client
        // drops them; App.close() (in this uWS build, missing from its typings) closes them.
        (app as unknown as { close?: () => void }).close?.();
        log.info({ events: events.stats, anomalies: anomalies.stats, score: scorer.stats, spool: spool?.stats }, 'engine closed');
      })();
      return closed;
    },
  };
}
