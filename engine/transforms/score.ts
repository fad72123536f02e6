// Score: durable events ──► per-stream queues ──► piscina tasks ──► anomaly rows.
//
//   push(tenant, records) ─► stream queue (tenant, type, stream) ─► ready FIFO ─┐
//                                                                              │ ≤ maxInFlight tasks in all,
//                                 ┌────────────────────────────────────────────┘ ≤ 1 per stream (order holds)
//                                 ▼
//   settings(tenant, stream) ─► threshold (cached lookup, at scoring time: never on the ack path)
//                                 │
//   ScoreTask{stream, streamType, state, events + columns (encodeTask: ts, texts as one UTF-8 string; transferred), threshold} ─► worker
//                                 │
//   ScoreResult{ok, state, findings} ─► state kept per stream; findings ─► onAnomalies(rows)
//
// Events that arrive while a stream's task runs accumulate and go in its next task. A stream with
// fewer than minTaskEvents waiting gathers more for up to maxTaskWaitMs (from its oldest waiting
// event) before its task is queued: a task has a fixed cost (the detector state decoded and
// encoded, the hand-over to a thread; 0.1-1 ms for a logs stream), so many small tasks cost the
// CPU that ingest needs on a small machine (bench/README.md, "the pipeline's own ceiling, and
// task size"). drain() and close() do not wait for a gathering stream. Bounded:
// beyond highWaterEvents waiting, room() gives writers a promise to await before they store
// more (the engine awaits it before each write, so a detector slower than ingest slows the acks
// instead of piling decoded events up in memory); at most maxPendingEvents wait in all, and
// beyond that new events are not scored (whenFull: 'drop_newest'), counted in
// stats.eventsDropped and logged, never silently (only a writer that ignores room() gets there).
// The per-stream entries (queue + detector state) are bounded too: at most maxStreams are kept;
// beyond that the least recently used idle ones (not running, nothing waiting) are evicted, and
// an idle entry untouched for streamIdleTtlMs is evicted whenever the scorer is next used:
// counted in stats.streamsEvicted and logged (ScoreStreamsEvicted). A running or waiting stream
// is never evicted, so the bound may be exceeded by at most the streams with work in flight.
// With a StateStore a stream's first task waits for its saved state (score-checkpoints.ts);
// changed states are saved every checkpointIntervalMs, on eviction and at close(), so an evicted
// or restarted stream resumes; without one it starts fresh (the detector warms up again).
//
// Fairness between tenants (issue 12): streams with work are taken round-robin by tenant;
// room(tenant) holds back only a tenant with a quarter of highWaterEvents waiting (or a task's
// worth while the whole backlog is over it); over maxStreams, streams of tenants above their
// fair share go first; a tenant's anomaly rows being written are capped (then dropped, counted).
// An anomaly write refused as unavailable (PostgreSQL down) is tried again until it is stored or
// close() gives up: its events are stored or spooled, so their findings are not dropped.
// Idle ticks (idle-ticks.ts): a quiet logs/traces stream gets a tick with its event time, queued
// behind its waiting events like one more (never counted as an event), so its silence is judged.
// size-exception: queue, bounds, fairness, eviction and checkpoint hooks share the per-stream
// entries; the scheduling (ready FIFO, in-flight cap) can move out with issue 11's engine work.
import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import type { Logger } from '../../src/core/log.js';
import {
  ScoreAnomalyWriteError, ScoreEventsDropped, scoreMetrics, ScoreShutdownDeadline, ScoreStreamsEvicted, ScoreTaskError, ScoreTaskRefusedError, ScoreWorkerError,
} from '../../src/core/telemetry/index.js';
import { workerFile } from '../../src/core/paths.js';
import type { ScoreInput, ScoreResult, ScoreTask, StreamType } from '../../workers/types.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { StateStore } from '../sinks/postgres/state.js';
import { Checkpoints, type PendingState } from './score-checkpoints.js';
import { anomalyRowOf } from './anomaly-row.js';
import type { EventRecord } from '../types.js';
import type { StreamProfile } from './stream-settings.js';

import { loadIncidents, saveIncidents, type IncidentMap } from './incidents.js';
import { RoundRobin } from './round-robin.js';
import { IdleTicker, idleTickOptions, pickTicks, tickRecord, type IdleTickOptions } from './idle-ticks.js';

export { InOrder } from './in-order.js';

export interface ScorerOptions {
  threads: number;
  /** Worker task file; defaults to dist/workers/score.js. */
  workerFilename?: string;
  /** Tasks in flight over all streams (default 2 × threads). */
  maxInFlight?: number;
  /** Events in one task at most; the rest stay queued for the stream's next task. */
  maxTaskEvents?: number;
  /** A stream's task waits for this many events (default 1,000, at most maxTaskEvents)... */
  minTaskEvents?: number;
  /** ...or until its oldest waiting event has waited this long (ms; default 100; 0: never waits). */
  maxTaskWaitMs?: number;
  /** Events waiting over all streams at most (default 1,000,000); beyond it they are not scored. */
  maxPendingEvents?: number;
  /** Events waiting over all streams above which room() asks writers to wait (default 100,000). */
  highWaterEvents?: number;
  whenFull?: 'drop_newest';
  /** Per-stream entries kept at most (default 100,000); beyond it the least recently used idle ones go. */
  maxStreams?: number;
  /** An idle stream's entry is evicted after this long unused (default 1 h; 0: never by age). */
  streamIdleTtlMs?: number;
  /**
   * The stream's profile and threshold (engine: StreamSettings, a cached stream_settings lookup).
   * Without it every task gets the default threshold (no field: the balanced profile).
   */
  settings?: {
    peek(tenantId: string, stream: string): Readonly<StreamProfile> | undefined;
    get(tenantId: string, stream: string): Promise<Readonly<StreamProfile>>;
  };
  /**
   * The detector threads' niceness (Linux, macOS: setpriority on each worker thread, through
   * piscina; default 0). The engine passes DETECTOR_NICE: scoring is off the ack path, so on a
   * small machine the event loop and PostgreSQL go first and the detector takes the CPU left.
   */
  niceIncrement?: number;
  /** Where detector states are checkpointed and loaded from (absent: states live only in memory). */
  checkpoint?: StateStore;
  /** How often changed states are saved (default 30 s). */
  checkpointIntervalMs?: number;
  /** Anomaly rows of one tenant being written at once at most (default 25,000); beyond it they are dropped and counted. */
  maxAnomalyRowsPerTenant?: number;
  /** Idle ticks for quiet logs/traces streams (idle-ticks.ts; default: every 10 s, up to 1 h, 1,000 a sweep; everyMs 0: none). */
  idleTicks?: Partial<IdleTickOptions>;
  /** Receives the anomaly rows of each result; its promise is awaited by drain(). Rejected with DW_ERR_UNAVAILABLE: called again later (storage is down). */
  onAnomalies: (rows: AnomalyRow[]) => Promise<unknown>;
}

interface StreamQueue {
  /** Its key in the streams map. */
  key: string;
  tenantId: string;
  stream: string;
  streamType: StreamType;
  state: Uint8Array | null;
  /** logs, traces: the session tracker's state (null until a line carries a session key). */
  sessionState: Uint8Array | null;
  pending: EventRecord[];
  running: boolean;
  ready: boolean;
  /** Waiting for minTaskEvents (or maxTaskWaitMs) before it is queued (in Scorer.#gathering). */
  gathering: boolean;
  /** Date.now() when the oldest of its waiting events arrived (meaningful while pending is not empty). */
  since: number;
  /** Date.now() when the stream last got work or finished a task (the map is kept in this order). */
  lastUsed: number;
  /** Its checkpoint has been looked up (always true without a StateStore). */
  loaded: boolean;
  /** Its state changed since it was last saved. */
  dirty: boolean;
  /** Open incidents by key (incidents.ts): from the checkpoint, else created with the stream's first finding; saved with the state. */
  incidents?: IncidentMap;
  /** Idle ticks (idle-ticks.ts): latest event time pushed, Date.now() of that push, of its last tick; a tick waiting for its task. */
  lastTs: number;
  seenAt: number;
  tickedAt: number;
  tick: EventRecord | undefined;
}


/** A stream's open incidents as checkpointed with its state (null: none). */
const savedIncidents = (q: StreamQueue): string | null => (q.incidents === undefined || q.incidents.size === 0 ? null : saveIncidents(q.incidents));

/**
 * The engine's detector threads run at this niceness (ScorerOptions.niceIncrement). Under one
 * tenant's flood on a 2-core machine the detector thread (busy with that tenant's backlog), the
 * event loop and the PostgreSQL backends all want a core: at equal priority every hop of another
 * tenant's batch (its turn, each round trip of its transaction) waited its share behind the
 * detector. At 10 the kernel gives the detector about a tenth of a contended core's time; it still
 * has every idle cycle, and a tenant whose backlog grows past its share waits in room(), so
 * nothing acked goes unscored.
 */
export const DETECTOR_NICE = 10;

/** Non-idle entries passed over in one eviction pass at most (keeps a pass cheap). */
const EVICT_SCAN_LIMIT = 1_024;

export class Scorer {
  readonly #pool: Piscina;
  readonly #log: Logger;
  readonly #onAnomalies: ScorerOptions['onAnomalies'];
  readonly #settings: ScorerOptions['settings'];
  readonly #maxInFlight: number;
  readonly #maxTaskEvents: number;
  readonly #minTaskEvents: number;
  readonly #maxTaskWaitMs: number;
  /** Streams gathering events for their next task, and the timer that queues them when their wait is over. */
  readonly #gathering = new Set<StreamQueue>();
  #gatherTimer: NodeJS.Timeout | undefined;
  readonly #maxPending: number;
  readonly #highWater: number;
  /** Writers waiting in room() for the backlog to go under highWaterEvents. */
  #roomWaiters: (() => void)[] = [];
  #room: Promise<void> | undefined;
  readonly #streams = new Map<string, StreamQueue>();
  /** Entries per tenant (for the fair share of maxStreams). */
  readonly #streamsOf = new Map<string, number>();
  /** Streams with work, taken round-robin by tenant. */
  readonly #ready = new RoundRobin<StreamQueue>();
  /** Events waiting per tenant, and writers waiting in room(tenant). */
  readonly #pendingOf = new Map<string, number>();
  readonly #tenantRoom = new Map<string, { promise: Promise<void>; resolve: () => void }>();
  /** Events waiting that hold a tenant back: on its own, or while the whole backlog is over highWater. */
  readonly #tenantHighWater: number; readonly #tenantFloor: number;
  readonly #maxAnomalyRows: number;
  readonly #anomalyRowsOf = new Map<string, number>();
  #lastAnomalyDropLog = 0;
  #inFlight = 0;
  #pendingEvents = 0;
  #writes = new Set<Promise<unknown>>();
  /** Anomaly writes waiting to be tried again (storage unavailable), and whether close() has given up on them. */
  readonly #retryWaits = new Set<() => void>();
  #giveUp = false;
  #idle: (() => void)[] = [];
  readonly #maxStreams: number;
  readonly #ttlMs: number;
  readonly #checkpoints: Checkpoints | undefined;
  #checkpointTimer: NodeJS.Timeout | undefined;
  readonly stats = {
    tasksRun: 0, tasksFailed: 0, eventsScored: 0, eventsDropped: 0, anomalies: 0, anomalyWritesFailed: 0, anomalyWriteRetries: 0, anomaliesDropped: 0, streamsEvicted: 0, workerErrors: 0,
    statesLoaded: 0, statesSaved: 0, checkpointErrors: 0, idleTicks: 0,
  };
  readonly #ticker: IdleTicker;
  readonly #tickOpts: Readonly<IdleTickOptions>;
  /** Ticks queued or running (drain() waits for them too). */
  #ticks = 0;
  /** Whether events wait upstream (startIdleTicks): no ticks meanwhile. */
  #ticksHeld: () => boolean = () => false;

  constructor(log: Logger, opts: ScorerOptions) {
    this.#log = log.child({ transform: 'score' });
    this.#onAnomalies = opts.onAnomalies;
    this.#settings = opts.settings;
    this.#maxInFlight = opts.maxInFlight ?? 2 * opts.threads;
    this.#maxTaskEvents = opts.maxTaskEvents ?? 5_000;
    this.#minTaskEvents = Math.min(this.#maxTaskEvents, opts.minTaskEvents ?? 1_000);
    this.#maxTaskWaitMs = opts.maxTaskWaitMs ?? 100;
    if (!Number.isSafeInteger(this.#minTaskEvents) || this.#minTaskEvents < 1) throw new TypeError('options.minTaskEvents must be a positive integer');
    if (!Number.isSafeInteger(this.#maxTaskWaitMs) || this.#maxTaskWaitMs < 0) throw new TypeError('options.maxTaskWaitMs must be a non-negative integer');
    this.#maxPending = opts.maxPendingEvents ?? 1_000_000;
    this.#highWater = opts.highWaterEvents ?? 100_000;
    if (!Number.isSafeInteger(this.#highWater) || this.#highWater < 1) throw new TypeError('options.highWaterEvents must be a positive integer');
    this.#tenantHighWater = Math.max(1, Math.floor(this.#highWater / 4));
    this.#tenantFloor = Math.min(this.#tenantHighWater, this.#maxTaskEvents);
    this.#maxAnomalyRows = opts.maxAnomalyRowsPerTenant ?? 25_000;
    this.#maxStreams = opts.maxStreams ?? 100_000;
    this.#ttlMs = opts.streamIdleTtlMs ?? 3_600_000;
    if (!Number.isSafeInteger(this.#maxStreams) || this.#maxStreams < 1) throw new TypeError('options.maxStreams must be a positive integer');
    if (!Number.isSafeInteger(this.#ttlMs) || this.#ttlMs < 0) throw new TypeError('options.streamIdleTtlMs must be a non-negative integer');
    this.#checkpoints = opts.checkpoint === undefined ? undefined : new Checkpoints(opts.checkpoint, this.#log);
    const every = opts.checkpointIntervalMs ?? 30_000;
    if (!Number.isSafeInteger(every) || every < 1) throw new TypeError('options.checkpointIntervalMs must be a positive integer');
    if (this.#checkpoints !== undefined) this.#checkpointTimer = setInterval(() => { void this.checkpoint(); }, every).unref();
    this.#tickOpts = idleTickOptions(opts.idleTicks);
    this.#ticker = new IdleTicker(this.#tickOpts, (now) => this.tick(now));
    this.#pool = new Piscina({
      filename: opts.workerFilename ?? workerFile('score'),
      minThreads: 1,
      maxThreads: opts.threads,
      idleTimeout: 30_000,
      // The in-flight tasks are posted to the workers at once (each worker still runs one at a
      // time, in order): a worker starts its next task as soon as one ends, instead of waiting
      // idle for the main thread to take the result and post the next (measured: the detector
      // thread waited 62% of the time with a backlog queued; bench/README.md).
      concurrentTasksPerWorker: Math.max(1, Math.ceil(this.#maxInFlight / Math.max(1, opts.threads))),
      niceIncrement: opts.niceIncrement ?? 0,
    });
    // A worker fault piscina cannot tie to a task (an idle worker that fails to load or dies) is
    // emitted on the pool; without a listener it would be an uncaught exception and end the engine.
    this.#pool.on('error', (err: unknown) => {
      this.stats.workerErrors++;
      ScoreWorkerError.emit(this.#log, { err });
    });
  }

  /**
   * Starts the idle ticks' sweep timer (the engine does; tests may call tick(now) themselves).
   * `held`: whether acknowledged events wait upstream, not yet handed to the scorer (the engine:
   * while the spool holds writes); no ticks then, as their streams only look quiet.
   */
  startIdleTicks(held: () => boolean = () => false): void {
    this.#ticksHeld = held;
    this.#ticker.start();
  }

  /**
   * One sweep of idle ticks (idle-ticks.ts): each quiet logs/traces stream due for one gets a tick
   * at its event time advanced by the wall time since its last events, behind whatever it has
   * waiting. None while the backlog holds writers back, nor while events wait upstream (held).
   * Returns the ticks sent.
   */
  tick(now: number): number {
    if (this.#pendingEvents >= this.#highWater || this.#ticksHeld()) return 0;
    const due = pickTicks(this.#streams.values(), now, this.#tickOpts);
    for (const { entry: q, ts } of due) {
      q.tickedAt = now;
      if (q.tick === undefined) this.#ticks++;
      q.tick = tickRecord(q, ts);
      if (!q.running && !q.ready && !q.gathering) this.#enqueue(q);
    }
    this.stats.idleTicks += due.length;
    if (due.length > 0) scoreMetrics.idleTicks.inc(due.length);
    this.#pump();
    return due.length;
  }

  /** Per-stream entries held now (queue and detector state). */
  get streams(): number { return this.#streams.size; }

  /** Events queued and not yet handed to a task. */
  get pendingEvents(): number { return this.#pendingEvents; }

  /**
   * Backpressure for writers: undefined while fewer than highWaterEvents wait, else a promise
   * that resolves once the backlog is under it again (tasks starting take events off it).
   */
  room(tenantId?: string): Promise<void> | undefined {
    if (tenantId !== undefined) {
      if (!this.#blocked(tenantId)) return undefined;
      let w = this.#tenantRoom.get(tenantId);
      if (w === undefined) {
        let resolve = (): void => {};
        this.#tenantRoom.set(tenantId, w = { promise: new Promise<void>((r) => { resolve = r; }), resolve });
      }
      return w.promise;
    }
    if (this.#pendingEvents < this.#highWater) return undefined;
    this.#room ??= new Promise((resolve) => this.#roomWaiters.push(resolve));
    return this.#room;
  }

  /** Whether room(tenant) holds the tenant's writers back: its own share, or the whole backlog over the mark while it has a task's worth waiting. */
  #blocked(tenantId: string): boolean {
    const mine = this.#pendingOf.get(tenantId) ?? 0;
    return mine >= this.#tenantHighWater || (this.#pendingEvents >= this.#highWater && mine >= this.#tenantFloor);
  }

  #addPending(tenantId: string, n: number): void {
    const left = (this.#pendingOf.get(tenantId) ?? 0) + n;
    if (left > 0) this.#pendingOf.set(tenantId, left); else this.#pendingOf.delete(tenantId);
    this.#pendingEvents += n;
  }

  #enqueue(q: StreamQueue): void { q.ready = true; this.#ready.push(q.tenantId, q); }

  /**
   * A stream with events waiting, neither running nor queued: queued now if it has a task's worth
   * (minTaskEvents) or its oldest event has waited maxTaskWaitMs, else it gathers until then.
   */
  #offer(q: StreamQueue, now: number): void {
    if (q.pending.length >= this.#minTaskEvents || now - q.since >= this.#maxTaskWaitMs) {
      if (q.gathering) {
        q.gathering = false;
        this.#gathering.delete(q);
        if (this.#gathering.size === 0) { clearTimeout(this.#gatherTimer); this.#gatherTimer = undefined; }
      }
      this.#enqueue(q);
      return;
    }
    if (q.gathering) return;
    q.gathering = true;
    this.#gathering.add(q);
    // Referenced (not unref'd): a caller awaiting drain() keeps the process alive until the wait is over.
    this.#gatherTimer ??= setTimeout(() => this.#gathered(), Math.max(1, q.since + this.#maxTaskWaitMs - now));
  }

  /** The gathering timer: queues the streams whose wait is over; re-armed for the next one. */
  #gathered(): void {
    this.#gatherTimer = undefined;
    this.#flushGathering(false);
  }

  /** Queues gathering streams: those whose wait is over, or all of them (drain). */
  #flushGathering(all: boolean): void {
    const now = Date.now();
    let next = Infinity;
    for (const q of this.#gathering) {
      if (all || q.pending.length >= this.#minTaskEvents || now - q.since >= this.#maxTaskWaitMs) {
        q.gathering = false;
        this.#gathering.delete(q);
        this.#enqueue(q);
      } else next = Math.min(next, q.since + this.#maxTaskWaitMs);
    }
    if (all) { clearTimeout(this.#gatherTimer); this.#gatherTimer = undefined; }
    if (next !== Infinity && this.#gatherTimer === undefined) this.#gatherTimer = setTimeout(() => this.#gathered(), Math.max(1, next - now));
    this.#pump();
  }

  /** Queues a tenant's durable events for scoring. Never blocks; see whenFull. */
  push(tenantId: string, records: readonly EventRecord[]): void {
    const now = Date.now();
    // This batch's streams by name: the entry key (a string per event) is built once per stream.
    const seen = new Map<string, StreamQueue>();
    let added = 0;
    for (const r of records) {
      if (this.#pendingEvents >= this.#maxPending) {
        this.stats.eventsDropped++;
        ScoreEventsDropped.emit(this.#log);
        continue;
      }
      let q = seen.get(r.stream);
      if (q === undefined || q.streamType !== r.streamType) q = this.#entry(tenantId, r, now, seen);
      if (q.pending.length === 0) q.since = now;
      q.pending.push(r);
      if (r.ts > q.lastTs) q.lastTs = r.ts;
      q.seenAt = now;
      q.tickedAt = 0;
      this.#pendingEvents++;
      added++;
      if (!q.running && !q.ready && (!q.gathering || q.pending.length >= this.#minTaskEvents)) {
        if (!q.gathering) this.#touch(q, now);
        this.#offer(q, now);
      }
    }
    // The tenant's count once per batch (#pendingEvents, which the bound reads, per event).
    if (added > 0) {
      this.#pendingOf.set(tenantId, (this.#pendingOf.get(tenantId) ?? 0) + added);
      scoreMetrics.queuePushed.inc(added);
    }
    this.#evict(now);
    this.#pump();
  }

  /** The entry of the record's stream (created, with a state kept from an eviction, if none). */
  #entry(tenantId: string, r: EventRecord, now: number, seen: Map<string, StreamQueue>): StreamQueue {
    const key = `${tenantId}\u0000${r.streamType}\u0000${r.stream}`;
    let q = this.#streams.get(key);
    if (q === undefined) {
      const kept = this.#checkpoints?.unsaved.get(key);
      if (kept !== undefined) this.#checkpoints?.unsaved.delete(key);
      q = {
        tenantId, stream: r.stream, streamType: r.streamType, state: kept?.state ?? null, sessionState: kept?.sessionState ?? null, pending: [], running: false, ready: false, gathering: false, since: now, lastUsed: now, key,
        loaded: this.#checkpoints === undefined || kept !== undefined, dirty: kept !== undefined, lastTs: -Infinity, seenAt: now, tickedAt: 0, tick: undefined,
      };
      if (kept?.incidents != null) q.incidents = loadIncidents(kept.incidents);
      this.#streams.set(key, q);
      this.#streamsOf.set(tenantId, (this.#streamsOf.get(tenantId) ?? 0) + 1);
    }
    seen.set(r.stream, q);
    return q;
  }

  /** Moves an entry to the most recently used end of the map (once per batch, not per event). */
  #touch(q: StreamQueue, now: number): void {
    q.lastUsed = now;
    this.#streams.delete(q.key);
    this.#streams.set(q.key, q);
  }

  /**
   * Evicts idle entries from the least recently used end: while there are more than maxStreams,
   * and those unused for longer than the TTL. Running or waiting entries are passed over.
   */
  #evict(now: number): void {
    const over = (): boolean => this.#streams.size > this.#maxStreams;
    const cutoff = this.#ttlMs > 0 ? now - this.#ttlMs : -Infinity;
    // Over the bound, a tenant within its fair share keeps its idle streams (others' go first).
    const fair = Math.max(1, Math.floor(this.#maxStreams / Math.max(1, this.#streamsOf.size)));
    let skipped = 0;
    let evicted = 0;
    for (const [key, q] of this.#streams) {
      if (!over() && q.lastUsed >= cutoff) break;
      const expired = q.lastUsed < cutoff;
      if (q.running || q.ready || q.pending.length > 0 || q.tick !== undefined || (!expired && (this.#streamsOf.get(q.tenantId) ?? 0) <= fair)) {
        if (++skipped >= EVICT_SCAN_LIMIT) break;
        continue;
      }
      this.#streams.delete(key);
      if (q.dirty && q.state !== null) this.#checkpoints?.unsaved.set(key, { tenantId: q.tenantId, streamType: q.streamType, stream: q.stream, state: q.state, sessionState: q.sessionState, incidents: savedIncidents(q) });
      const n = (this.#streamsOf.get(q.tenantId) ?? 1) - 1;
      if (n > 0) this.#streamsOf.set(q.tenantId, n); else this.#streamsOf.delete(q.tenantId);
      evicted++;
    }
    if (evicted === 0) return;
    if ((this.#checkpoints?.unsaved.size ?? 0) > 0) void this.checkpoint();
    this.stats.streamsEvicted += evicted;
    ScoreStreamsEvicted.emit(this.#log, { evicted, total: this.stats.streamsEvicted, streams: this.#streams.size, maxStreams: this.#maxStreams, checkpointed: this.#checkpoints !== undefined }, evicted);
  }

  /** Resolves when every queued event has been scored and its anomalies handed over and written. */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    // Nothing more is coming that the gathering streams would wait for.
    if (this.#gathering.size > 0) this.#flushGathering(true);
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /**
   * drain(), then stops the worker threads. With a deadline (ms): events still queued when it
   * passes are not scored (counted in stats.eventsDropped and logged as ScoreShutdownDeadline,
   * intentional: they are stored, only their scoring is skipped); tasks already running finish
   * and their anomalies are written.
   */
  async close(deadlineMs = Infinity): Promise<void> {
    if (Number.isFinite(deadlineMs)) {
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([
        this.drain().then(() => false),
        new Promise<boolean>((r) => { timer = setTimeout(() => r(true), Math.max(0, deadlineMs)); }),
      ]);
      clearTimeout(timer);
      if (late) {
        const dropped = this.#dropQueued();
        ScoreShutdownDeadline.emit(this.#log, { dropped, deadlineMs }, dropped);
      }
    }
    // Past the deadline (or without one), anomaly writes waiting for storage to return fail now (counted and logged).
    this.#giveUp = true;
    for (const wake of this.#retryWaits) wake();
    this.#retryWaits.clear();
    this.#ticker.stop();
    await this.drain();
    clearInterval(this.#checkpointTimer);
    clearTimeout(this.#gatherTimer);
    // The last checkpoint: every state changed since its last save (nothing runs any more).
    await this.checkpoint();
    await this.#pool.destroy();
  }

  /**
   * Saves every state changed since its last save (entries not running, and evicted ones), in
   * upserts of CHECKPOINT_BATCH (score-checkpoints.ts). One run at a time. A failed save is
   * logged and counted; those states stay changed and go in the next run.
   */
  async checkpoint(): Promise<void> {
    await this.#checkpoints?.run(() => this.#changed(), this.stats);
  }

  #changed(): PendingState[] {
    const c = this.#checkpoints as Checkpoints;
    const out: PendingState[] = [];
    for (const [key, row] of c.unsaved) out.push({ row, saved: () => { if (c.unsaved.get(key) === row) c.unsaved.delete(key); } });
    for (const q of this.#streams.values()) {
      if (!q.dirty || q.running || q.state === null) continue;
      // Copies: the entry's own buffers are transferred to a worker by its next task.
      out.push({ row: { tenantId: q.tenantId, streamType: q.streamType, stream: q.stream, state: q.state.slice(), sessionState: q.sessionState?.slice() ?? null, incidents: savedIncidents(q) }, failed: () => { q.dirty = true; } });
      q.dirty = false;
    }
    return out;
  }

  /** Empties every stream's queue (tasks in flight go on); returns the events dropped. */
  #dropQueued(): number {
    let dropped = 0;
    for (const q of this.#streams.values()) {
      dropped += q.pending.length;
      q.pending = [];
      q.ready = false;
      q.gathering = false;
      q.tick = undefined;
    }
    this.#ticks = 0;
    this.#gathering.clear();
    clearTimeout(this.#gatherTimer);
    this.#gatherTimer = undefined;
    this.#ready.clear();
    this.#pendingOf.clear();
    this.#pendingEvents = 0;
    this.stats.eventsDropped += dropped;
    scoreMetrics.queuePopped.inc(dropped);
    this.#pump();
    this.#checkIdle();
    return dropped;
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#pendingEvents === 0 && this.#ticks === 0 && this.#writes.size === 0;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const f of this.#idle.splice(0)) f();
  }

  #pump(): void {
    while (this.#inFlight < this.#maxInFlight) {
      const q = this.#ready.shift();
      if (q === undefined) break;
      q.ready = false;
      this.#run(q);
    }
    for (const [tenantId, w] of this.#tenantRoom) {
      if (this.#blocked(tenantId)) continue;
      this.#tenantRoom.delete(tenantId);
      w.resolve();
    }
    if (this.#room !== undefined && this.#pendingEvents < this.#highWater) {
      this.#room = undefined;
      for (const f of this.#roomWaiters.splice(0)) f();
    }
  }

  #run(q: StreamQueue): void {
    let batch = q.pending.length <= this.#maxTaskEvents ? q.pending : q.pending.slice(0, this.#maxTaskEvents);
    q.pending = batch === q.pending ? [] : q.pending.slice(this.#maxTaskEvents);
    this.#addPending(q.tenantId, -batch.length);
    scoreMetrics.queuePopped.inc(batch.length);
    // A tick goes after every event pushed before it (its time is past theirs), in the same task.
    if (q.tick !== undefined && q.pending.length === 0) {
      batch = batch.length === 0 ? [q.tick] : [...batch, q.tick];
      q.tick = undefined;
      this.#ticks--;
    }
    q.running = true;
    this.#inFlight++;
    // The stream stays `running` while its checkpoint and settings are looked up, so its tasks keep their order.
    const cps = this.#checkpoints;
    if (!q.loaded && cps !== undefined) {
      void cps.load(q, this.stats).then((saved) => {
        if (saved !== null && q.state === null) {
          q.state = saved.state;
          q.sessionState = saved.sessionState;
          q.incidents ??= loadIncidents(saved.incidents);
          this.stats.statesLoaded++;
        }
        q.loaded = true;
        this.#withSettings(q, batch);
      });
      return;
    }
    this.#withSettings(q, batch);
  }

  #withSettings(q: StreamQueue, batch: EventRecord[]): void {
    const settings = this.#settings;
    if (settings === undefined) {
      this.#submit(q, batch, undefined);
      return;
    }
    const hit = settings.peek(q.tenantId, q.stream);
    if (hit !== undefined) this.#submit(q, batch, hit);
    else void settings.get(q.tenantId, q.stream).then((p) => this.#submit(q, batch, p));
  }

  #submit(q: StreamQueue, batch: EventRecord[], profile: Readonly<StreamProfile> | undefined): void {
    const { events, columns, buffers } = encodeTask(batch);
    const state = q.state;
    const sessionState = q.sessionState;
    q.state = null;
    q.sessionState = null;
    const task: ScoreTask = { stream: q.stream, streamType: q.streamType, state, events };
    if (columns !== undefined) task.columns = columns;
    if (sessionState !== null) task.sessionState = sessionState;
    if (profile !== undefined) task.threshold = profile.threshold;
    const transferList: ArrayBuffer[] = buffers;
    if (state !== null && state.byteLength > 0) transferList.push(state.buffer as ArrayBuffer);
    if (sessionState !== null && sessionState.byteLength > 0) transferList.push(sessionState.buffer as ArrayBuffer);
    this.stats.tasksRun++;
    scoreMetrics.tasks.inc();
    this.#pool.run(task, { transferList }).then(
      (res: ScoreResult) => this.#done(q, batch, res, profile),
      (err: unknown) => {
        this.stats.tasksFailed++;
        ScoreTaskError.emit(this.#log, { err, stream: q.stream });
        this.#finish(q, null);
      },
    );
  }

  #done(q: StreamQueue, batch: EventRecord[], res: ScoreResult, profile: Readonly<StreamProfile> | undefined): void {
    if (!res.ok) {
      this.stats.tasksFailed++;
      ScoreTaskRefusedError.emit(this.#log, { stream: q.stream, code: res.code, message: res.message });
      this.#finish(q, null);
      return;
    }
    this.stats.eventsScored += res.scored;
    scoreMetrics.scoredEvents.inc(res.scored);
    if (res.findings.length > 0) {
      const now = Date.now();
      const rows: AnomalyRow[] = [];
      q.incidents ??= new Map();
      for (const f of res.findings) {
        const r = batch[f.index];
        if (r === undefined) continue;
        rows.push(anomalyRowOf({
          id: randomUUID(), tenantId: q.tenantId, stream: q.stream, streamType: q.streamType, finding: f, event: r, profile, incidents: q.incidents, detectedAt: now,
        }));
      }
      this.stats.anomalies += rows.length;
      scoreMetrics.anomalies.inc(rows.length);
      this.#write(q.tenantId, rows);
    }
    this.#finish(q, res.state, res.sessionState ?? null);
  }

  /** Hands a tenant's anomaly rows to the sink, within its share of rows being written (else dropped and counted). */
  #write(tenantId: string, rows: AnomalyRow[]): void {
    const held = this.#anomalyRowsOf.get(tenantId) ?? 0;
    if (held + rows.length > this.#maxAnomalyRows) {
      this.stats.anomaliesDropped += rows.length;
      if (Date.now() - this.#lastAnomalyDropLog <= 5_000) return;
      this.#lastAnomalyDropLog = Date.now();
      this.#log.warn({ tenantId, dropped: this.stats.anomaliesDropped, intentional: true }, 'ScoreAnomaliesDropped: a tenant has too many anomaly rows being written');
      return;
    }
    this.#anomalyRowsOf.set(tenantId, held + rows.length);
    const p = this.#writeWhileUnavailable(rows).catch((err: unknown) => {
      this.stats.anomalyWritesFailed++;
      ScoreAnomalyWriteError.emit(this.#log, { err, rows: rows.length });
    });
    this.#writes.add(p);
    void p.finally(() => {
      const left = (this.#anomalyRowsOf.get(tenantId) ?? rows.length) - rows.length;
      if (left > 0) this.#anomalyRowsOf.set(tenantId, left); else this.#anomalyRowsOf.delete(tenantId);
      this.#writes.delete(p);
      this.#checkIdle();
    });
  }

  /**
   * onAnomalies(rows), again while storage is unavailable (PostgreSQL down: the sink's own retries
   * span ~350 ms), every 100 ms doubling to 2 s, until stored or the scorer gives up at close():
   * the rows' events are stored (or spooled), so their findings are kept too, not dropped when an
   * outage begins while they are being written. Bounded by maxAnomalyRowsPerTenant (rows being
   * written). A retry of a write that did commit fails on the rows' keys and is not stored twice.
   */
  async #writeWhileUnavailable(rows: AnomalyRow[]): Promise<void> {
    for (let wait = 100; ; wait = Math.min(2 * wait, 2_000)) {
      try {
        await this.#onAnomalies(rows);
        return;
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if ((code !== 'DW_ERR_UNAVAILABLE' && code !== 'DW_ERR_DATABASE_UNAVAILABLE') || this.#giveUp) throw err;
        this.stats.anomalyWriteRetries++;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => { this.#retryWaits.delete(wake); resolve(); }, wait);
          const wake = (): void => { clearTimeout(t); resolve(); };
          this.#retryWaits.add(wake);
        });
      }
    }
  }

  #finish(q: StreamQueue, state: Uint8Array | null, sessionState: Uint8Array | null = null): void {
    q.state = state;
    q.sessionState = sessionState;
    if (state !== null) q.dirty = true;
    q.running = false;
    this.#inFlight--;
    const now = Date.now();
    if (q.pending.length > 0 && !q.ready) this.#offer(q, now);
    else if (q.tick !== undefined && !q.ready && !q.gathering) this.#enqueue(q);
    this.#touch(q, now);
    // Entries kept over the bound while they ran can go now that they are idle.
    this.#evict(now);
    this.#pump();
    this.#checkIdle();
  }
}

const textEncoder = new TextEncoder();

/**
 * A task's events as columns (ScoreTask.columns): ts, and the texts as one UTF-8 string with
 * their end offsets, or the values; JSON of ScoreInput[] only for a batch mixing both (not one
 * the engine makes: a stream has one type). Measured on the varied Loghub case, JSON.stringify
 * + encode was 4% of the main thread (bench/README.md). Every buffer is its own (TextEncoder,
 * typed arrays), so all can be transferred.
 */
export function encodeTask(batch: readonly EventRecord[]): { events: Uint8Array; columns?: NonNullable<ScoreTask['columns']>; buffers: ArrayBuffer[] } {
  const n = batch.length;
  const ts = new Float64Array(n);
  let values = 0;
  let ticks = 0;
  for (let i = 0; i < n; i++) { ts[i] = batch[i].ts; if (batch[i].value !== undefined) values++; if (batch[i].idle === true) ticks++; }
  if (ticks > 0) return encodeJson(batch);
  if (values === n) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = batch[i].value as number;
    const events = new Uint8Array(0);
    return { events, columns: { ts, values: v }, buffers: [events.buffer, ts.buffer, v.buffer] };
  }
  if (values === 0) {
    const ends = new Uint32Array(n);
    const texts = new Array<string>(n);
    let at = 0;
    for (let i = 0; i < n; i++) { const t = batch[i].text ?? ''; texts[i] = t; at += t.length; ends[i] = at; }
    const events = textEncoder.encode(texts.join(''));
    // Metadata (logs, traces; llm detectors do not read it): the JSON text decode already made, as one array.
    let meta: Uint8Array | undefined;
    if (batch.some((r) => typeof r.metadataJson === 'string' && r.streamType !== 'llm')) {
      let json = '[';
      for (let i = 0; i < n; i++) json += (i > 0 ? ',' : '') + (batch[i].metadataJson ?? 'null');
      meta = textEncoder.encode(json + ']');
    }
    const buffers: ArrayBuffer[] = [events.buffer, ts.buffer, ends.buffer];
    if (meta !== undefined) buffers.push(meta.buffer as ArrayBuffer);
    return { events, columns: meta === undefined ? { ts, ends } : { ts, ends, meta }, buffers };
  }
  return encodeJson(batch);
}

/** JSON of ScoreInput[]: a batch mixing texts and values, or with an idle tick ({ts, idle: true}: a task of its own, mostly). */
function encodeJson(batch: readonly EventRecord[]): { events: Uint8Array; buffers: ArrayBuffer[] } {
  const inputs = batch.map((r): ScoreInput => (r.idle === true ? { ts: r.ts, idle: true } : r.value !== undefined ? { ts: r.ts, value: r.value }
    : typeof r.metadataJson !== 'string' || r.streamType === 'llm' ? { ts: r.ts, text: r.text } : { ts: r.ts, text: r.text, metadata: JSON.parse(r.metadataJson) as Record<string, unknown> }));
  const events = textEncoder.encode(JSON.stringify(inputs));
  return { events, buffers: [events.buffer] };
}
