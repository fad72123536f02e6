// What the spool's parts share: the sink they sit in front of, the caller's hooks, the counters,
// and the state that more than one part reads or moves (spooling, bytes held, batches held).
import type { Logger } from '../../../src/core/log.js';
import type { SpoolOptions } from './config.js';
import { SpoolFull, SpoolReplayRetry } from '../../../src/core/telemetry/index.js';

/** What the spool needs of a sink write: its tenant and idempotency key; the rest is carried as plain data. */
export interface SpoolableWrite {
  tenantId: string;
  batchKey?: string;
}

export interface SinkResult {
  duplicate: boolean;
  rows: number;
}

export interface SpoolWriteResult extends SinkResult {
  /** True when the write was acknowledged from the spool (stored later by the replayer). */
  spooled: boolean;
}

export interface Sink<W> {
  write(w: W): Promise<SinkResult>;
}

export interface SpoolHooks<W, A> {
  /** Rows of a write (replay waves are bounded by rows, to fit one group commit). */
  rowsOf(w: W, a: A): number;
  /** A replayed write is final (stored, or found already stored): called once per entry, in spool order. */
  onReplayed(w: W, a: A, result: SinkResult): void;
}

export interface SpoolStats {
  /** Writes go to the spool (something is spooled, or was, and has not drained yet). */
  spooling: boolean;
  bytes: number;
  batches: number;
  /** Writes held for the replay's hand-off (its last wave), sent to the sink once it drains. */
  held: number;
  appended: number;
  appendedBytes: number;
  fsyncs: number;
  refusedFull: number;
  writeErrors: number;
  engaged: number;
  drained: number;
  /** Replayed writes stored by the sink, and those it found already stored. */
  replayed: number;
  replayedDuplicates: number;
  replayRejected: number;
  replayRetries: number;
  replayUndecodable: number;
  /**
   * Direct writes overtaken while in flight by later spooled writes (router.ts): a copy of each
   * was spooled in its place; those whose direct write committed after all were skipped at replay.
   */
  copies: number;
  copiesSkipped: number;
  /** Batches found at start, left by a previous process. */
  recovered: number;
  tornRecords: number;
  tornBytes: number;
  corruptSegments: number;
  segmentsDeleted: number;
}

export type SpoolCounters = Omit<SpoolStats, 'spooling' | 'bytes' | 'batches' | 'held'>;

/** State the router, the segments and the replayer share; one per spool. */
export class SpoolState {
  /** Writes go to the spool until it drains. */
  spooling = false;
  /** Bytes held: durable segment bytes + queued records. */
  bytes = 0;
  /** Entries in the spool whose replay is not final yet. */
  records = 0;
  /** close() was called: new writes are refused. */
  closed = false;
  /** The replayer stops (close, after the drain wait). */
  stopping = false;
  /** Copies confirmed in the segments a previous process left (recovery): the replay stores those, skips the others. */
  readonly confirmed = new Set<string>();
  /** Log gates of this spool's repeated warnings (telemetry emit(): once per 5 s each). */
  readonly gates = { full: SpoolFull.gate(), replay: SpoolReplayRetry.gate() };
  readonly counters: SpoolCounters = {
    appended: 0, appendedBytes: 0, fsyncs: 0, refusedFull: 0, writeErrors: 0, engaged: 0, drained: 0,
    replayed: 0, replayedDuplicates: 0, replayRejected: 0, replayRetries: 0, replayUndecodable: 0, copies: 0, copiesSkipped: 0,
    recovered: 0, tornRecords: 0, tornBytes: 0, corruptSegments: 0, segmentsDeleted: 0,
  };

  constructor(readonly opts: Readonly<SpoolOptions>, readonly log: Logger) {}
}

export const isUnavailable = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'DW_ERR_UNAVAILABLE' || code === 'DW_ERR_DATABASE_UNAVAILABLE';
};
