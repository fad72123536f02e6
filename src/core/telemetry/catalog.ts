// Every metric and telemetry event of driftwatch, in one place: the engine, the control API and
// the edge proxy of a process share them (one registry), so `driftwatch up` answers the same
// set on every server. Metric names: driftwatch_<noun>_<unit>_total for counters; labels with
// few values only (error codes, source and sink names; never tenant ids or stream names).
// Queue depths are pushed/popped counter pairs (depth = pushed − popped), not gauges.
import { errorCodes } from '../errors.js';
import { defineEvent } from './event.js';
import { Counter, Histogram, Collected, type CounterChild } from './metrics.js';

// ── Refusals, by server and error code ───────────────────────────────────────────────────────
const refusals = new Counter('driftwatch_refusals_total',
  'requests, batches and frames answered with an error, by server (engine, control, edge) and DW_ERR_* code', ['server', 'error_code']);
export type Server = 'engine' | 'control' | 'edge';
const refusalChildren = new Map<string, CounterChild>();
/** Counts one refusal (a Map lookup and an increment; codes outside the registry count as DW_ERR_INTERNAL). */
export function countRefusal(server: Server, code: string): void {
  const key = server + code;
  let c = refusalChildren.get(key);
  if (c === undefined) {
    c = refusals.child(server, Object.hasOwn(errorCodes, code) ? code : 'DW_ERR_INTERNAL');
    refusalChildren.set(key, c);
  }
  c.inc();
}

// ── Engine: events refused one by one (per-event acceptance), by code ─────────────────────────
const rejectedEvents = new Counter('driftwatch_ingest_rejected_events_total',
  'events refused on their own while the rest of their batch was judged (per-event acceptance), by DW_ERR_* code', ['error_code']);
const rejectedChildren = new Map<string, CounterChild>();
/** Counts n (default 1) rejected events by their code (never by tenant). */
export function countRejectedEvent(code: string, n = 1): void {
  let c = rejectedChildren.get(code);
  if (c === undefined) {
    c = rejectedEvents.child(Object.hasOwn(errorCodes, code) ? code : 'DW_ERR_INTERNAL');
    rejectedChildren.set(code, c);
  }
  c.inc(n);
}

// ── Engine: refusals logged for the shipper's operator (engine/sources/refusals.ts) ───────────
// Log only: they are counted by code in driftwatch_refusals_total and
// driftwatch_ingest_rejected_events_total in the same call. One line per tenant and code per
// 10 s at most (a gate per tenant and code), so one noisy tenant does not hide another's.
export const IngestRequestRefused = defineEvent({ name: 'IngestRequestRefused', level: 'warn', everyMs: 10_000,
  message: 'a request, upgrade or frame was refused whole; the client sees this code and reason' });
export const IngestEventsRejected = defineEvent({ name: 'IngestEventsRejected', level: 'warn', everyMs: 10_000,
  message: 'events were refused one by one, the rest of their batch stored; the client sees each code and reason' });

// ── Engine: ingest ───────────────────────────────────────────────────────────────────────────
export const ingestMetrics = {
  receivedBatches: new Counter('driftwatch_ingest_received_batches_total', 'decoded batches (HTTP bodies, OTLP requests, WebSocket frames) handed to admission').child(),
  receivedEvents: new Counter('driftwatch_ingest_received_events_total', 'events of the decoded batches handed to admission').child(),
  receivedBytes: new Counter('driftwatch_ingest_received_bytes_total', 'body or frame bytes of the decoded batches handed to admission').child(),
  ackedEvents: new Counter('driftwatch_ingest_acked_events_total', 'events acknowledged (durable in PostgreSQL or the spool; resends included)').child(),
  ackedBatches: new Counter('driftwatch_ingest_acked_batches_total', 'batches acknowledged, by where they became durable (postgresql, spool, jetstream: NATS_URL) or duplicate (a resend)', ['storage']),
  backlogWaits: new Counter('driftwatch_ingest_backlog_waits_total', 'batches that waited for the scorer\'s backlog to go under its high-water mark before being stored').child(),
  requestSeconds: new Histogram('driftwatch_ingest_request_duration_seconds',
    'from a request\'s headers or a frame\'s receipt to its answer (ack or refusal)', [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]),
};

export const IngestTenantLimited = defineEvent({ name: 'IngestTenantLimited', level: 'warn', everyMs: 5_000,
  message: 'a batch is over one of its tenant\'s limits (size, events or rate)' });
export const IngestTenantQuotaExceeded = defineEvent({ name: 'IngestTenantQuotaExceeded', level: 'warn', everyMs: 5_000,
  message: 'a tenant is over its plan\'s events per month' });
export const IngestQuotaReadError = defineEvent({ name: 'IngestQuotaReadError', level: 'warn', everyMs: 10_000,
  counter: new Counter('driftwatch_ingest_quota_read_errors_total', 'failed reads of a tenant\'s plan and month usage (the last reading, or none: no limit, applies)').child(),
  message: 'plan or usage could not be read; the last reading (or none: no limit) applies' });
export const EngineDatabaseUnavailableError = defineEvent({ name: 'EngineDatabaseUnavailableError', level: 'warn', everyMs: 5_000,
  message: 'PostgreSQL is not reachable; answering 503 DW_ERR_UNAVAILABLE' });
export const EngineInternalError = defineEvent({ name: 'EngineInternalError', level: 'error',
  message: 'an unexpected error; answering 500 DW_ERR_INTERNAL' });
export const EngineShutdownGraceExpired = defineEvent({ name: 'EngineShutdownGraceExpired', level: 'warn',
  message: 'refusing what is still in flight' });
export const EngineListenStarted = defineEvent({ name: 'EngineListenStarted', level: 'info', message: 'engine listening' });
export const EngineShutdownCompleted = defineEvent({ name: 'EngineShutdownCompleted', level: 'info', message: 'engine closed' });
export const EngineCloseStepError = defineEvent({ name: 'EngineCloseStepError', level: 'error',
  message: 'a shutdown step failed; the next steps run anyway' });

// ── Engine: scoring ──────────────────────────────────────────────────────────────────────────
const scoreQueue = {
  pushed: new Counter('driftwatch_score_queue_pushed_events_total', 'stored events queued for scoring').child(),
  popped: new Counter('driftwatch_score_queue_popped_events_total', 'events taken off the scoring queue (handed to a task, or dropped)').child(),
};
const scoreDropped = new Counter('driftwatch_score_dropped_events_total', 'stored events not scored, on purpose (intentional), by reason', ['reason', 'intentional']);
export const scoreMetrics = {
  queuePushed: scoreQueue.pushed,
  queuePopped: scoreQueue.popped,
  scoredEvents: new Counter('driftwatch_score_scored_events_total', 'events scored by the detectors').child(),
  tasks: new Counter('driftwatch_score_tasks_total', 'scoring tasks run on the worker pool').child(),
  anomalies: new Counter('driftwatch_score_anomalies_total', 'anomalies found').child(),
  idleTicks: new Counter('driftwatch_score_idle_ticks_total', 'idle ticks sent to quiet logs/traces streams (STREAM_IDLE_TICK_MS): not events, never stored').child(),
};
export const ScoreEventsDropped = defineEvent({ name: 'ScoreEventsDropped', level: 'warn', everyMs: 5_000, intentional: true,
  counter: scoreDropped.child('queue_full', 'true'), message: 'the scoring queue is full' });
export const ScoreShutdownDeadline = defineEvent({ name: 'ScoreShutdownDeadline', level: 'warn', intentional: true,
  counter: scoreDropped.child('shutdown_deadline', 'true'),
  message: 'events still queued at the shutdown deadline are stored but not scored' });
export const ScoreStreamsEvicted = defineEvent({ name: 'ScoreStreamsEvicted', level: 'info', everyMs: 5_000,
  counter: new Counter('driftwatch_score_evicted_streams_total', 'idle streams whose detector state was evicted (MAX_STREAMS, STREAM_IDLE_TTL_MS)').child(),
  message: 'idle streams dropped their detector state; they warm up again on their next events' });
const scoreErrors = new Counter('driftwatch_score_errors_total', 'scoring failures, by error_code', ['error_code']);
export const ScoreWorkerError = defineEvent({ name: 'ScoreWorkerError', level: 'error', counter: scoreErrors.child('worker'),
  message: 'a detector worker failed outside a task; piscina replaces it' });
export const ScoreTaskError = defineEvent({ name: 'ScoreTaskError', level: 'error', everyMs: 5_000, counter: scoreErrors.child('task_failed'),
  message: 'the worker failed' });
export const ScoreTaskRefusedError = defineEvent({ name: 'ScoreTaskRefusedError', level: 'warn', everyMs: 5_000, counter: scoreErrors.child('task_refused'),
  message: 'the detector refused the task' });
export const ScoreAnomalyWriteError = defineEvent({ name: 'ScoreAnomalyWriteError', level: 'error', everyMs: 5_000, counter: scoreErrors.child('anomaly_write'),
  message: 'anomalies were not stored' });
export const ScoreSettingsLookupError = defineEvent({ name: 'ScoreSettingsLookupError', level: 'warn', everyMs: 5_000, counter: scoreErrors.child('settings_lookup'),
  message: 'using the last known or default profile' });

// ── Engine: sinks (events, anomalies) ────────────────────────────────────────────────────────
export type SinkName = 'events' | 'anomalies';
const sinkPushed = new Counter('driftwatch_sink_queue_pushed_rows_total', 'rows accepted into a PostgreSQL sink\'s pending queue, by sink', ['sink']);
const sinkPopped = new Counter('driftwatch_sink_queue_popped_rows_total', 'rows taken off a PostgreSQL sink\'s pending queue by a flush, by sink', ['sink']);
const sinkRows = new Counter('driftwatch_sink_written_rows_total', 'rows committed by a PostgreSQL sink (duplicates not included), by sink', ['sink']);
const sinkFlushes = new Counter('driftwatch_sink_flushes_total', 'group commits (one COPY transaction each), by sink', ['sink']);
const sinkRefused = new Counter('driftwatch_sink_refused_writes_total', 'writes refused because the sink\'s queue was full (whenFull: drop_newest), by sink', ['sink']);
const sinkErrors = new Counter('driftwatch_sink_errors_total', 'sink failures, by sink and error_code', ['sink', 'error_code']);
/** The counters of one sink, resolved once when the sink is made. */
export function sinkMetrics(sink: SinkName) {
  return {
    pushed: sinkPushed.child(sink), popped: sinkPopped.child(sink), rows: sinkRows.child(sink),
    flushes: sinkFlushes.child(sink), refused: sinkRefused.child(sink),
    ambiguous: sinkErrors.child(sink, 'commit_ambiguous'), buildError: sinkErrors.child(sink, 'request_build'),
    retry: sinkErrors.child(sink, 'transient_retry'), failed: sinkErrors.child(sink, 'write_failed'),
    retention: sinkErrors.child(sink, 'retention'),
  };
}
export const SinkCommitAmbiguous = defineEvent({ name: 'SinkCommitAmbiguous', level: 'warn', message: 'the connection failed after COMMIT was sent' });
export const SinkRequestBuildError = defineEvent({ name: 'SinkRequestBuildError', level: 'warn', everyMs: 5_000,
  message: 'a row was refused; retrying each write alone' });
export const SinkFlushRetried = defineEvent({ name: 'SinkFlushRetried', level: 'warn', everyMs: 5_000, message: 'transient, retrying' });
export const SinkFlushError = defineEvent({ name: 'SinkFlushError', level: 'error', everyMs: 5_000, message: 'write failed' });
export const SinkRetentionError = defineEvent({ name: 'SinkRetentionError', level: 'warn',
  message: 'old batch keys were not deleted; next try in an hour' });

// ── Engine: spool (read at scrape time from each open spool's stats) ─────────────────────────
export const spoolMetrics = {
  bytes: new Collected('driftwatch_spool_bytes', 'bytes the on-disk spool holds (on disk and queued), all engines of this process'),
  batches: new Collected('driftwatch_spool_batches', 'batches in the spool not yet replayed into PostgreSQL'),
  spooling: new Collected('driftwatch_spool_engaged', '1 while an engine acknowledges from the spool (PostgreSQL slow or down)'),
  appended: new Collected('driftwatch_spool_appended_batches_total', 'batches appended to the spool (acknowledged from it)', 'counter'),
  replayed: new Collected('driftwatch_spool_replayed_batches_total', 'spooled batches replayed into PostgreSQL (duplicates included)', 'counter'),
  refusedFull: new Collected('driftwatch_spool_refused_full_batches_total', 'batches refused with DW_ERR_SPOOL_FULL', 'counter'),
  errors: new Collected('driftwatch_spool_errors_total', 'spool write errors, replay rejections, undecodable and torn records', 'counter'),
};

// The spool's own counters (stats) are read at scrape time (spoolMetrics); these events only log, rate-limited per spool.
export const SpoolFull = defineEvent({ name: 'SpoolFull', level: 'warn', everyMs: 5_000,
  message: 'refusing batches (503 / nack) until the replay frees space' });
export const SpoolReplayRetry = defineEvent({ name: 'SpoolReplayRetry', level: 'warn', everyMs: 5_000,
  message: 'storage still unavailable; retrying' });

// ── Engine: retention, usage ─────────────────────────────────────────────────────────────────
export const RetentionRunCompleted = defineEvent({ name: 'RetentionRunCompleted', level: 'info',
  counter: new Counter('driftwatch_retention_runs_total', 'retention runs completed').child(), message: 'old partitions, blocks and anomalies removed' });
export const RetentionRunError = defineEvent({ name: 'RetentionRunError', level: 'warn',
  counter: new Counter('driftwatch_retention_errors_total', 'retention runs that failed').child(),
  message: 'old event blocks and anomalies were not deleted; next try in an hour' });
const usageErrors = new Counter('driftwatch_usage_store_errors_total', 'usage counter failures in Redis, by error_code', ['error_code']);
export const UsageStoreRedisError = defineEvent({ name: 'UsageStoreRedisError', level: 'warn', everyMs: 10_000, counter: usageErrors.child('redis'),
  message: 'Redis unreachable; usage counts wait (in memory) and are sent again' });
export const UsageStoreCountsDropped = defineEvent({ name: 'UsageStoreCountsDropped', level: 'warn', everyMs: 10_000, counter: usageErrors.child('dropped'),
  message: 'too many tenant-hours wait for Redis; new counts are not recorded in Redis' });
export const UsageStoreCountsLost = defineEvent({ name: 'UsageStoreCountsLost', level: 'warn', counter: usageErrors.child('lost_at_close'),
  message: 'Redis unreachable at close; these usage counts are not recorded' });

// ── Control API ──────────────────────────────────────────────────────────────────────────────
export const controlMetrics = {
  requests: new Counter('driftwatch_control_requests_total', 'control-API requests answered, by status class (2xx, 3xx, 4xx, 5xx)', ['status_class']),
};
export const RateLimitStoreError = defineEvent({ name: 'RateLimitStoreError', level: 'warn', everyMs: 10_000,
  counter: new Counter('driftwatch_rate_limit_store_errors_total', 'rate-limit checks that failed because the store did not answer (counted in the instance\'s memory instead)').child(),
  message: "rate-limit store failed: counted in this instance's memory until it is back" });
export const rateLimitRefused = new Counter('driftwatch_rate_limit_refused_requests_total', 'control-API requests refused by a rate limit').child();

// ── Control API: alerts ──────────────────────────────────────────────────────────────────────
export const alertMetrics = {
  attempts: new Counter('driftwatch_alert_delivery_attempts_total', 'alert delivery attempts, by channel kind (webhook, slack, email) and outcome (sent, retry, failed)', ['kind', 'outcome']),
  folded: new Counter('driftwatch_alert_folded_anomalies_total', 'stored anomalies this control API instance looked at for incident notifications (every instance counts each one)').child(),
};
export const AlertDeliveryError = defineEvent({ name: 'AlertDeliveryError', level: 'warn', everyMs: 10_000,
  message: 'an alert notification could not be sent; it is retried with back-off until ALERT_MAX_ATTEMPTS' });
export const AlertFoldError = defineEvent({ name: 'AlertFoldError', level: 'warn', everyMs: 10_000,
  counter: new Counter('driftwatch_alert_fold_errors_total', 'announced anomalies that could not be folded into incidents (database errors): no notification for them').child(),
  message: 'announced anomalies could not be folded into incidents; they raise no notification' });

// ── Edge proxy ───────────────────────────────────────────────────────────────────────────────
export const edgeMetrics = {
  requests: new Counter('driftwatch_edge_requests_total', 'requests the edge proxy received, by kind (http, upgrade)', ['kind']),
};
export const EdgeRouteLookupError = defineEvent({ name: 'EdgeRouteLookupError', level: 'warn', everyMs: 5_000,
  counter: new Counter('driftwatch_edge_route_lookup_errors_total', 'route lookups that failed (answered 503)').child(), message: 'route lookup failed' });
export const EdgeUpstreamError = defineEvent({ name: 'EdgeUpstreamError', level: 'warn', everyMs: 5_000,
  counter: new Counter('driftwatch_edge_upstream_errors_total', 'requests and upgrades whose engine could not be reached (answered 502)').child(),
  message: 'engine unreachable' });
