// The engine: ingest over HTTP and WebSocket, durable storage with COPY, detection in workers.
// This file only wires the stages together; admission lives in ingest.ts, the operator
// endpoints (/metrics, /ready) in probes.ts.
//
//   sources/http.ts ───────┐                                   (ack path: answered after COMMIT)
//   POST /events/ingest    │  authenticate ─► transforms/decode.ts ─► ingest.ts: checkTenantLimits (body or
//                          │    frame bytes, events per batch: 413 / nack; src/core/tenancy/limits.ts, read with
//                          │    its quota reading) ─► takeRate (transforms/limit.ts: per-tenant events/s: 429 /
//                          │    nack) ─► waitForBacklog (the scorer's) ─► admitQuota (transforms/quota.ts: plan's
//                          │    events per month: 429 / nack DW_ERR_QUOTA_EXCEEDED) ─► store: sinks/postgres/
//                          │    blocks.ts (a compressed block per stream) ─► sinks/spool ─► sinks/postgres
//                          │    (events sink; PostgreSQL slow or down: acked once fsync'd in the spool, replayed in order)
//   sources/websocket.ts ──┤                                           │ group commit: one COPY per window,
//   GET /stream (frames)   │                                           │ ingest_batches + usage_counters
//                          │                                           │ (and, with REDIS_URL, INCRBY after COMMIT: src/core/usage.ts)
//   sources/otlp.ts ───────┤ (POST /v1/logs, /v1/metrics, /v1/traces: OTLP/HTTP ─► transforms/otlp*.ts)
//   sources/loki.ts, ──────┘ elasticsearch.ts, splunk-hec.ts (the push APIs, sources/push.ts: the
//                            same admission; transforms/loki*.ts, es-bulk.ts, hec.ts ─► push-events.ts)
//                                                                      ▼ in the same transaction,
//                                                                        stream_minutes + stream_totals (rollup)
//                                                     durable records ─► InOrder (released in
//                                                     submission order) ─► transforms/score.ts
//                                                     (not on the ack path)   │ per-stream queue, ≤1 task
//                      transforms/idle-ticks.ts ─► (a quiet logs/traces   ▼ per stream, piscina pool
//                      stream: an idle tick at its event time, same queue)
//                                                             workers/score.ts (dist/workers/score.js)
//                                                                             │ findings
//                                                                             ▼
//                                                     sinks/postgres (anomalies sink) ─► anomalies table
//                                                       + pg_notify('dw_anomalies') at COMMIT (src/core/anomaly-feed.ts)
//   probes.ts: GET /metrics (the process's Prometheus registry), GET /ready (PostgreSQL, or the spool)
//
// close(): the close steps of lifecycle.ts, in order (each runs even when one before it failed):
//   refuse new requests, upgrades and frames (DW_ERR_SHUTTING_DOWN) and close the listen socket
//   ─► wait for every batch in flight (each answered after its COMMIT or its spool fsync)
//   ─► let the spool drain while PostgreSQL takes it (up to the rest of the grace period), then stop
//      its replay (what is left is replayed by the next start) ─► flush the events sink
//   ─► drain the scorer (its anomalies written) ─► flush the anomalies sink ─► stop retention
//      (waiting for a run in progress) ─► close the usage store (if the engine opened it)
//   ─► end the remaining WebSocket connections (1001) and idle keep-alive HTTP connections.
// A failed listen() runs the same steps. Retention (sinks/postgres/retention.ts): at start and hourly.
import uWS from 'uWebSockets.js';
import type pg from 'pg';
import { PrincipalResolver, requireScope, resolverOptions } from '../src/core/auth/principal.js';
import type { TokenService } from '../src/core/auth/jwt.js';
import { parseTrustProxy, type Config } from '../src/core/config.js';
import { isDatabaseDown } from '../src/core/db.js';
import { DwError } from '../src/core/errors.js';
import type { Logger } from '../src/core/log.js';
import { anomalyNotes } from '../src/core/anomaly-feed.js';
import { EngineListenStarted, EngineShutdownCompleted, spoolMetrics } from '../src/core/telemetry/index.js';
import { openUsageStore, type UsageStore } from '../src/core/usage.js';
import { startCluster, withClusterSteps, type Cluster } from './cluster/cluster.js';
import { Ingest } from './ingest.js';
import type { TenantTurns } from './transforms/turns.js';
import { closeSteps, listen, runCloseSteps, track, type Door } from './lifecycle.js';
import { probes } from './probes.js';
import { anomaliesSinkOptions, eventsSinkOptions } from './sinks/postgres/config.js';
import { anomalyLines, type AnomalyRow } from './sinks/postgres/copy.js';
import { Retention, scheduleRetention } from './sinks/postgres/retention.js';
import { CopySink, type SinkWrite, type WriteResult } from './sinks/postgres/service.js';
import { spoolOptions } from './sinks/spool/config.js';
import { SpooledSink, type SpoolStats } from './sinks/spool/service.js';
import type { SourceContext } from './sources/common.js';
import { elasticsearchSource } from './sources/elasticsearch.js';
import { httpSource } from './sources/http.js';
import { lokiSource } from './sources/loki.js';
import { splunkHecSource } from './sources/splunk-hec.js';
import { otlpSource } from './sources/otlp.js';
import { websocketSource } from './sources/websocket.js';
import { ignoredLabels } from './transforms/loki.js';
import type { TenantQuota } from './transforms/quota.js';
import type { TenantRateLimiter } from './transforms/limit.js';
import { DETECTOR_NICE, InOrder, Scorer } from './transforms/score.js';
import { DetectorStates } from './sinks/postgres/state.js';
import { StreamSettings } from './transforms/stream-settings.js';
import type { EventRecord } from './types.js';

/**
 * While PostgreSQL is unreachable, an API key or session this process verified within this
 * long is still honoured (nothing can be revoked while the database is down), so that ingest
 * keeps going into the spool.
 */
const AUTH_STALE_IF_DOWN_MS = 3_600_000;

export interface EngineHandle {
  readonly port: number;
  /** With NATS_URL: the cluster roles this engine runs (engine/cluster/). */
  readonly cluster?: Cluster;
  /** Counters of the events sink, the anomalies sink and the scorer, and the stream entries the scorer holds. */
  stats(): {
    events: CopySink['stats']; anomalies: CopySink['stats']; score: Scorer['stats']; streams: number;
    /** Stored events waiting to be scored (new batches wait while it is over the high-water mark). */
    scorePending: number;
    rateLimit: TenantRateLimiter['stats'];
    quota: TenantQuota['stats']; retention: Retention['stats'];
    /** The on-disk spool (undefined when SPOOL_MAX_BYTES is 0). */
    spool: SpoolStats | undefined;
    /** The event loop's turns between tenants and the in-flight cap's waits (transforms/turns.ts). */
    turns: TenantTurns['stats'];
  };
  /**
   * Resolves once every event handed to the scorer so far has been scored and its anomalies
   * committed (the scorer drained, the anomalies sink idle): a caller that has every ack of its
   * batches (so they are stored and queued for scoring) then reads all their anomalies.
   */
  drained(): Promise<void>;
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
  /** Tests: bytes of WebSocket frames held in memory at once (default: sources/websocket.ts). */
  maxFrameBytesInMemory?: number;
  /** close(): how long requests already received may take to finish (default 10 s). */
  shutdownGraceMs?: number;
  /** Where usage is counted; default: opened from config (Redis when REDIS_URL is set, else the table), closed with the engine. */
  usage?: UsageStore;
  /** With NATS_URL, detect role: a partition lease not renewed for this long is taken over (default 5 s). */
  leaseMs?: number;
}

/** What the sources are given: authentication, admission (ingest.ts), the door, and the work tracker. */
function sourceContext(opts: EngineOptions, log: Logger, ingest: Ingest, door: Door, inFlight: Set<Promise<unknown>>): SourceContext {
  const { config } = opts;
  return {
    log,
    limits: { maxBatchEvents: config.maxBatchEvents, maxEventBytes: config.maxEventBytes },
    maxBodyBytes: config.maxBodyBytes,
    minBodyBytesPerSecond: config.minBodyBytesPerSecond,
    wsMaxConnectionsPerTenant: config.wsMaxConnectionsPerTenant,
    maxFrameBytesInMemory: opts.maxFrameBytesInMemory,
    trustProxy: parseTrustProxy(config.trustProxy),
    async tenantLimits(tenantId) {
      const lim = await ingest.limits(tenantId);
      return {
        maxBodyBytes: lim.maxBodyBytes.value, maxBatchEvents: lim.maxBatchEvents.value, maxEventBytes: config.maxEventBytes,
        sources: { maxBodyBytes: lim.maxBodyBytes.source, maxBatchEvents: lim.maxBatchEvents.source },
      };
    },
    authenticate: authenticator(opts),
    ingest: (tenantId, records, bytes, batchKey, fingerprint) => ingest.ingest(tenantId, records, bytes, batchKey, fingerprint),
    turn: (tenantId, bytes) => ingest.turns.take(tenantId, bytes),
    enter: (tenantId) => ingest.turns.enter(tenantId),
    get closing() { return door.closing; },
    track: (p) => track(inFlight, p),
  };
}

/** Every ingest source on the one uWS app; the WebSocket source is returned for the close steps. */
function registerSources(app: uWS.TemplatedApp, ctx: SourceContext, config: EngineOptions['config']): ReturnType<typeof websocketSource> {
  httpSource(app, ctx);
  otlpSource(app, ctx);
  lokiSource(app, ctx, { ignoredLabels: ignoredLabels(config.lokiIgnoredLabels) });
  elasticsearchSource(app, ctx);
  splunkHecSource(app, ctx);
  return websocketSource(app, ctx);
}

export async function startEngine(opts: EngineOptions): Promise<EngineHandle> {
  const { config, pool } = opts;
  const log = opts.log.child({ component: 'engine' });
  // The sinks count usage in usage_counters inside their transaction (billing meters from it);
  // with REDIS_URL it is also counted in Redis after COMMIT (ingest.ts, and at a spooled batch's
  // replay), where the quota reads it.
  const usage = opts.usage ?? await openUsageStore({ pool, redisUrl: config.redisUrl, redisKeyPrefix: config.redisKeyPrefix, log });
  const events = new CopySink(pool, log, eventsSinkOptions(config));
  const anomalies = new CopySink(pool, log, anomaliesSinkOptions(config));
  const scorer = new Scorer(log, {
    threads: config.workerThreads, workerFilename: opts.workerFilename, highWaterEvents: opts.scoreHighWaterEvents, niceIncrement: DETECTOR_NICE,
    settings: new StreamSettings(pool, log), checkpoint: new DetectorStates(pool, log), maxStreams: config.maxStreams, streamIdleTtlMs: config.streamIdleTtlMs,
    // No ticks past the state's own idle TTL (it is evicted then; 0: one hour).
    idleTicks: { everyMs: config.streamIdleTickMs, horizonMs: Math.max(config.streamIdleTickMs, config.streamIdleTtlMs || 3_600_000), maxPerSweep: config.streamIdleTicksMax },
    onAnomalies: (rows) => writeAnomalies(anomalies, usage, rows),
  });
  const retention = new Retention(pool, log);
  const retentionRuns = scheduleRetention(retention, log);
  // Two flushes run at once and a flush may retry, so writes can commit out of order: committed
  // records go to the scorer in the order their writes were submitted (per stream, frame order).
  const toScore = new InOrder<{ tenantId: string; records: EventRecord[] }>((x) => scorer.push(x.tenantId, x.records));
  const spool = await openSpool(config, events, log, usage, toScore).catch(async (err: unknown) => {
    await retentionRuns.stop();
    await scorer.close();
    throw err;
  });
  // With NATS_URL: the roles of --roles, joined by JetStream (engine/cluster/); without it, undefined.
  const cluster = await startCluster({ config, pool, log, usage, events, anomalies, workerFilename: opts.workerFilename, leaseMs: opts.leaseMs }).catch(async (err: unknown) => {
    await spool?.close(0);
    await retentionRuns.stop();
    await scorer.close();
    throw err;
  });
  const ingest = new Ingest({ config, pool, log, usage, scorer, events, spool, toScore, publish: cluster?.publish, sharedQuota: cluster?.quota });
  // Idle ticks for quiet logs/traces streams (transforms/idle-ticks.ts); the cluster's detect role sends none (docs/scaling.md).
  // None while the spool holds acknowledged writes: their events reach the scorer at replay, so their streams only look quiet.
  scorer.startIdleTicks(() => spool?.stats.spooling === true);
  const stopSpoolMetrics = trackSpool(spool);

  const door: Door = { closing: false, graceEnd: Infinity, listenSocket: undefined };
  const inFlight = new Set<Promise<unknown>>();
  const ctx = sourceContext(opts, log, ingest, door, inFlight);
  const app = uWS.App();
  probes(app, {
    pool, metricsToken: config.metricsToken, get closing() { return door.closing; },
    spool: () => (spool === undefined ? undefined : { spooling: spool.stats.spooling, bytes: spool.stats.bytes, maxBytes: config.spoolMaxBytes }),
  });
  const ws = registerSources(app, ctx, config);
  const steps = withClusterSteps(closeSteps(door, {
    log, graceMs: opts.shutdownGraceMs ?? 10_000, inFlight, spool, events, scorer, anomalies, retentionRuns,
    usage: opts.usage === undefined ? usage : undefined, app, ws, stopSpoolMetrics,
  }), cluster);
  door.listenSocket = await listen(app, config).catch(async (err: unknown) => {
    await runCloseSteps(steps, log).catch(() => {});
    throw err;
  });
  const port = uWS.us_socket_local_port(door.listenSocket);
  EngineListenStarted.emit(log, { host: config.host, port, tenantId: config.tenantId });

  let closed: Promise<void> | undefined;
  return {
    port,
    cluster,
    stats: () => ({
      events: events.stats, anomalies: anomalies.stats, score: scorer.stats, streams: scorer.streams, scorePending: scorer.pendingEvents,
      rateLimit: ingest.rateLimit.stats, quota: ingest.quota.stats, retention: retention.stats, spool: spool?.stats,
      turns: ingest.turns.stats,
    }),
    async drained() {
      await scorer.drain();
      await anomalies.drain();
    },
    close() {
      closed ??= runCloseSteps(steps, log).then(() => {
        EngineShutdownCompleted.emit(log, { events: events.stats, anomalies: anomalies.stats, score: scorer.stats, spool: spool?.stats });
      });
      return closed;
    },
  };
}

/** Resolves `Authorization` to a principal with the `ingest` scope; a per-tenant engine (DRIFTWATCH_TENANT_ID) serves one tenant only. */
function authenticator(opts: EngineOptions): SourceContext['authenticate'] {
  const { config, pool, tokens } = opts;
  const resolver = new PrincipalResolver(pool, tokens, {
    ...resolverOptions(config), staleIfUnavailableMs: AUTH_STALE_IF_DOWN_MS, isUnavailable: isDatabaseDown,
  });
  const onlyTenant = config.tenantId;
  return async function authenticate(authorization) {
    const p = await resolver.resolve(authorization);
    if (onlyTenant !== undefined && p.tenantId !== onlyTenant) {
      throw new DwError('DW_ERR_FORBIDDEN', 'this engine serves a single tenant (DRIFTWATCH_TENANT_ID) and these credentials belong to another one');
    }
    requireScope(p, 'ingest');
    return p;
  };
}

/** One anomalies write per tenant (usage is counted per tenant). */
function writeAnomalies(anomalies: CopySink, usage: UsageStore, rows: AnomalyRow[]): Promise<WriteResult[]> {
  const byTenant = new Map<string, AnomalyRow[]>();
  for (const r of rows) {
    const list = byTenant.get(r.tenantId);
    if (list === undefined) byTenant.set(r.tenantId, [r]);
    else list.push(r);
  }
  return Promise.all([...byTenant].map(async ([tenantId, list]) => {
    const r = await anomalies.write({ tenantId, lines: anomalyLines(list), rows: list.length, bytes: 0, notify: anomalyNotes(tenantId, list.map((a) => a.id)) });
    if (!r.duplicate) usage.add(tenantId, { anomalies: r.rows });
    return r;
  }));
}

/**
 * The spool in front of the events sink (undefined when SPOOL_MAX_BYTES is 0): a spooled batch
 * is counted and scored when its replay commits, in spool order, through the same InOrder
 * (after every direct write submitted before it).
 */
async function openSpool(
  config: Readonly<Config>, events: CopySink, log: Logger, usage: UsageStore, toScore: InOrder<{ tenantId: string; records: EventRecord[] }>,
): Promise<SpooledSink<SinkWrite, EventRecord[]> | undefined> {
  if (config.spoolMaxBytes === 0) return undefined;
  return SpooledSink.open<SinkWrite, EventRecord[]>(events, log,
    spoolOptions({ dir: config.spoolDir, maxBytes: config.spoolMaxBytes, syncMs: config.spoolSyncMs, replayMaxRows: config.flushMaxRows }), {
      rowsOf: (_w, records) => records.length,
      onReplayed(w, records, r) {
        if (!r.duplicate && r.rows > 0) usage.add(w.tenantId, { events: r.rows, bytes: w.bytes });
        toScore.complete(toScore.take(), r.duplicate ? null : { tenantId: w.tenantId, records });
      },
    });
}

/** The spool's gauges and counters, read from its stats at scrape time; returns the function that stops reading. */
function trackSpool(spool: SpooledSink<SinkWrite, EventRecord[]> | undefined): () => void {
  if (spool === undefined) return () => {};
  const m = spoolMetrics;
  const stops = [
    m.bytes.track(() => spool.stats.bytes),
    m.batches.track(() => spool.stats.batches),
    m.spooling.track(() => (spool.stats.spooling ? 1 : 0)),
    m.appended.track(() => spool.stats.appended),
    m.replayed.track(() => spool.stats.replayed + spool.stats.replayedDuplicates),
    m.refusedFull.track(() => spool.stats.refusedFull),
    m.errors.track(() => { const s = spool.stats; return s.writeErrors + s.replayRejected + s.replayUndecodable + s.tornRecords; }),
  ];
  return () => { for (const stop of stops) stop(); };
}
