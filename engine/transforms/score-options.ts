// The scorer's options (transforms/score.ts): ScorerOptions as the engine and tests pass them,
// resolved once in the Scorer's constructor (defaults applied, each checked: a bad one throws
// `TypeError('options.x must be …')`), and the detector pool they configure.
//
//   ScorerOptions ─► scorerLimits(opts) ─► ScorerLimits (frozen) ─► the Scorer and its parts
//                 ─► scorePool(opts, maxInFlight) ─► Piscina (workers/score.ts on threads,
//                    at niceIncrement: the engine passes DETECTOR_NICE)
import { Piscina } from 'piscina';
import { workerFile } from '../../src/core/paths.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { StateStore } from '../sinks/postgres/state.js';
import type { IdleTickOptions } from './idle-ticks.js';
import type { StreamProfile } from './stream-settings.js';

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
   * The stream's profile, threshold and session field (engine: StreamSettings, a cached
   * stream_settings lookup). Without it every task gets the default threshold (no field: the
   * balanced profile) and automatic session keys.
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

/** The numeric options with their defaults applied. */
export interface ScorerLimits {
  maxInFlight: number;
  maxTaskEvents: number;
  minTaskEvents: number;
  maxTaskWaitMs: number;
  maxPending: number;
  highWater: number;
  maxAnomalyRows: number;
  maxStreams: number;
  ttlMs: number;
  checkpointIntervalMs: number;
}

/** The options' defaults applied and each checked (in this order; the first bad one throws a TypeError). */
export function scorerLimits(opts: ScorerOptions): Readonly<ScorerLimits> {
  const maxInFlight = opts.maxInFlight ?? 2 * opts.threads;
  const maxTaskEvents = opts.maxTaskEvents ?? 5_000;
  const minTaskEvents = Math.min(maxTaskEvents, opts.minTaskEvents ?? 1_000);
  const maxTaskWaitMs = opts.maxTaskWaitMs ?? 100;
  if (!Number.isSafeInteger(minTaskEvents) || minTaskEvents < 1) throw new TypeError('options.minTaskEvents must be a positive integer');
  if (!Number.isSafeInteger(maxTaskWaitMs) || maxTaskWaitMs < 0) throw new TypeError('options.maxTaskWaitMs must be a non-negative integer');
  const maxPending = opts.maxPendingEvents ?? 1_000_000;
  const highWater = opts.highWaterEvents ?? 100_000;
  if (!Number.isSafeInteger(highWater) || highWater < 1) throw new TypeError('options.highWaterEvents must be a positive integer');
  const maxAnomalyRows = opts.maxAnomalyRowsPerTenant ?? 25_000;
  const maxStreams = opts.maxStreams ?? 100_000;
  const ttlMs = opts.streamIdleTtlMs ?? 3_600_000;
  if (!Number.isSafeInteger(maxStreams) || maxStreams < 1) throw new TypeError('options.maxStreams must be a positive integer');
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 0) throw new TypeError('options.streamIdleTtlMs must be a non-negative integer');
  const checkpointIntervalMs = opts.checkpointIntervalMs ?? 30_000;
  if (!Number.isSafeInteger(checkpointIntervalMs) || checkpointIntervalMs < 1) throw new TypeError('options.checkpointIntervalMs must be a positive integer');
  return Object.freeze({ maxInFlight, maxTaskEvents, minTaskEvents, maxTaskWaitMs, maxPending, highWater, maxAnomalyRows, maxStreams, ttlMs, checkpointIntervalMs });
}

/** The detector threads (workers/score.ts unless workerFilename says otherwise). */
export function scorePool(opts: ScorerOptions, maxInFlight: number): Piscina {
  return new Piscina({
    filename: opts.workerFilename ?? workerFile('score'),
    minThreads: 1,
    maxThreads: opts.threads,
    idleTimeout: 30_000,
    // The in-flight tasks are posted to the workers at once (each worker still runs one at a
    // time, in order): a worker starts its next task as soon as one ends, instead of waiting
    // idle for the main thread to take the result and post the next (measured: the detector
    // thread waited 62% of the time with a backlog queued; bench/README.md).
    concurrentTasksPerWorker: Math.max(1, Math.ceil(maxInFlight / Math.max(1, opts.threads))),
    niceIncrement: opts.niceIncrement ?? 0,
  });
}
