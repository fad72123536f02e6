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
//   Which file holds what (each symbol importers used is still exported from this file):
//   score.ts               Scorer: push, the ready FIFO and the in-flight cap, a task's run
//                          (checkpoint load, settings, submit, result), ticks, drain, close
//   score-options.ts       ScorerOptions, defaults and checks (scorerLimits), the pool, DETECTOR_NICE
//   score-queue.ts         StreamQueue: the per-stream entries and their bound (LRU, TTL, fair share)
//   score-gather.ts        a small task gathers (minTaskEvents, maxTaskWaitMs)
//   score-backlog.ts       the events waiting, in all and per tenant: room(), room(tenant)
//   round-robin.ts         the ready FIFO's turns by tenant
//   score-task.ts          ScoreTask from a batch (buildTask, encodeTask); findings ─► anomaly rows
//   score-anomalies.ts     onAnomalies: the per-tenant cap, retried while storage is unavailable
//   score-checkpoints.ts   states loaded and saved (StateStore); idle-ticks.ts the idle ticks
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

import type { Piscina } from 'piscina';
import type { Logger } from '../../src/core/log.js';
import {
  ScoreEventsDropped, scoreMetrics, ScoreShutdownDeadline, ScoreStreamsEvicted, ScoreTaskError, ScoreTaskRefusedError, ScoreWorkerError,
} from '../../src/core/telemetry/index.js';
import type { ScoreResult } from '../../workers/types.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import { Checkpoints } from './score-checkpoints.js';
import type { EventRecord } from '../types.js';
import type { StreamProfile } from './stream-settings.js';
import { loadIncidents } from './incidents.js';
import { RoundRobin } from './round-robin.js';
import { IdleTicker, idleTickOptions, pickTicks, tickRecord, type IdleTickOptions } from './idle-ticks.js';
import { StreamEntries, type StreamQueue } from './score-queue.js';
import { Gathering } from './score-gather.js';
import { Backlog } from './score-backlog.js';
import { buildTask, findingRows } from './score-task.js';
import { AnomalyWrites } from './score-anomalies.js';
import { scorePool, scorerLimits, type ScorerLimits, type ScorerOptions } from './score-options.js';

export { InOrder } from './in-order.js';
export { encodeTask } from './score-task.js';
export { DETECTOR_NICE } from './score-options.js';
export type { ScorerOptions } from './score-options.js';

export class Scorer {
  readonly #pool: Piscina;
  readonly #log: Logger;
  readonly #settings: ScorerOptions['settings'];
  /** The numeric options, defaults applied (score-options.ts). */
  readonly #limits: Readonly<ScorerLimits>;
  /** Streams gathering events for their next task (score-gather.ts). */
  readonly #gathering: Gathering;
  /** Events waiting, in all and per tenant, and writers waiting in room() (score-backlog.ts). */
  readonly #backlog: Backlog;
  /** The per-stream entries (score-queue.ts). */
  readonly #streams: StreamEntries;
  /** Streams with work, taken round-robin by tenant. */
  readonly #ready = new RoundRobin<StreamQueue>();
  readonly #anomalyWrites: AnomalyWrites;
  #inFlight = 0;
  #idle: (() => void)[] = [];
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
    this.#settings = opts.settings;
    const l = this.#limits = scorerLimits(opts);
    this.#gathering = new Gathering(l.minTaskEvents, l.maxTaskWaitMs, (q) => this.#enqueue(q), () => this.#pump());
    this.#backlog = new Backlog(l.highWater, l.maxTaskEvents);
    this.#anomalyWrites = new AnomalyWrites(this.#log, opts.onAnomalies, l.maxAnomalyRows, this.stats, () => this.#checkIdle());
    this.#checkpoints = opts.checkpoint === undefined ? undefined : new Checkpoints(opts.checkpoint, this.#log);
    this.#streams = new StreamEntries(l.maxStreams, l.ttlMs, this.#checkpoints);
    if (this.#checkpoints !== undefined) this.#checkpointTimer = setInterval(() => { void this.checkpoint(); }, l.checkpointIntervalMs).unref();
    this.#tickOpts = idleTickOptions(opts.idleTicks);
    this.#ticker = new IdleTicker(this.#tickOpts, (now) => this.tick(now));
    this.#pool = scorePool(opts, l.maxInFlight);
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
    if (this.#backlog.full || this.#ticksHeld()) return 0;
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
  get pendingEvents(): number { return this.#backlog.events; }

  /**
   * Backpressure for writers: undefined while fewer than highWaterEvents wait, else a promise
   * that resolves once the backlog is under it again (tasks starting take events off it).
   * room(tenant): undefined unless that tenant's own backlog holds it back (score-backlog.ts).
   */
  room(tenantId?: string): Promise<void> | undefined { return this.#backlog.room(tenantId); }

  #enqueue(q: StreamQueue): void { q.ready = true; this.#ready.push(q.tenantId, q); }

  /** Queues a tenant's durable events for scoring. Never blocks; see whenFull. */
  push(tenantId: string, records: readonly EventRecord[]): void {
    const now = Date.now();
    // This batch's streams by name: the entry key (a string per event) is built once per stream.
    const seen = new Map<string, StreamQueue>();
    const backlog = this.#backlog;
    const { maxPending, minTaskEvents } = this.#limits;
    let added = 0;
    for (const r of records) {
      if (backlog.events >= maxPending) {
        this.stats.eventsDropped++;
        ScoreEventsDropped.emit(this.#log);
        continue;
      }
      let q = seen.get(r.stream);
      if (q === undefined || q.streamType !== r.streamType) q = this.#streams.entry(tenantId, r, now, seen);
      if (q.pending.length === 0) q.since = now;
      q.pending.push(r);
      if (r.ts > q.lastTs) q.lastTs = r.ts;
      q.seenAt = now;
      q.tickedAt = 0;
      backlog.events++;
      added++;
      if (!q.running && !q.ready && (!q.gathering || q.pending.length >= minTaskEvents)) {
        if (!q.gathering) this.#streams.touch(q, now);
        this.#gathering.offer(q, now);
      }
    }
    // The tenant's count once per batch (the backlog's events, which the bound reads, per event).
    if (added > 0) {
      backlog.pushed(tenantId, added);
      scoreMetrics.queuePushed.inc(added);
    }
    this.#evict(now);
    this.#pump();
  }

  /** Evicts idle entries (score-queue.ts); their changed states are saved at once. */
  #evict(now: number): void {
    const evicted = this.#streams.evict(now);
    if (evicted === 0) return;
    if ((this.#checkpoints?.unsaved.size ?? 0) > 0) void this.checkpoint();
    this.stats.streamsEvicted += evicted;
    ScoreStreamsEvicted.emit(this.#log, { evicted, total: this.stats.streamsEvicted, streams: this.#streams.size, maxStreams: this.#limits.maxStreams, checkpointed: this.#checkpoints !== undefined }, evicted);
  }

  /** Resolves when every queued event has been scored and its anomalies handed over and written. */
  drain(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    // Nothing more is coming that the gathering streams would wait for.
    if (this.#gathering.size > 0) this.#gathering.flush(true);
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
    this.#anomalyWrites.giveUp();
    this.#ticker.stop();
    await this.drain();
    clearInterval(this.#checkpointTimer);
    this.#gathering.stop();
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
    const c = this.#checkpoints;
    await c?.run(() => c.changed(this.#streams.values()), this.stats);
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
    this.#ready.clear();
    this.#backlog.clear();
    this.stats.eventsDropped += dropped;
    scoreMetrics.queuePopped.inc(dropped);
    this.#pump();
    this.#checkIdle();
    return dropped;
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#backlog.events === 0 && this.#ticks === 0 && this.#anomalyWrites.size === 0;
  }

  #checkIdle(): void {
    if (this.#isIdle()) for (const f of this.#idle.splice(0)) f();
  }

  #pump(): void {
    while (this.#inFlight < this.#limits.maxInFlight) {
      const q = this.#ready.shift();
      if (q === undefined) break;
      q.ready = false;
      this.#run(q);
    }
    this.#backlog.wake();
  }

  #run(q: StreamQueue): void {
    const { maxTaskEvents } = this.#limits;
    let batch = q.pending.length <= maxTaskEvents ? q.pending : q.pending.slice(0, maxTaskEvents);
    q.pending = batch === q.pending ? [] : q.pending.slice(maxTaskEvents);
    this.#backlog.add(q.tenantId, -batch.length);
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

  /** Builds the stream's task (score-task.ts: its states go with it) and runs it on a detector thread. */
  #submit(q: StreamQueue, batch: EventRecord[], profile: Readonly<StreamProfile> | undefined): void {
    const { task, transferList } = buildTask(q, batch, profile);
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
      const rows: AnomalyRow[] = findingRows(q, batch, res.findings, profile);
      this.stats.anomalies += rows.length;
      scoreMetrics.anomalies.inc(rows.length);
      this.#anomalyWrites.write(q.tenantId, rows);
    }
    this.#finish(q, res.state, res.sessionState ?? null);
  }

  #finish(q: StreamQueue, state: Uint8Array | null, sessionState: Uint8Array | null = null): void {
    q.state = state;
    q.sessionState = sessionState;
    if (state !== null) q.dirty = true;
    q.running = false;
    this.#inFlight--;
    const now = Date.now();
    if (q.pending.length > 0 && !q.ready) this.#gathering.offer(q, now);
    else if (q.tick !== undefined && !q.ready && !q.gathering) this.#enqueue(q);
    this.#streams.touch(q, now);
    // Entries kept over the bound while they ran can go now that they are idle.
    this.#evict(now);
    this.#pump();
    this.#checkIdle();
  }
}
