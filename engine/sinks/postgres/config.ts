// Options of the PostgreSQL sinks (service.ts): the events sink and the anomalies sink, one
// defaults object, checked once, frozen; eventsSinkOptions / anomaliesSinkOptions derive them
// from the engine's configuration.
import type { Config } from '../../../src/core/config.js';
import { BLOCK_COLUMNS } from './blocks.js';
import { ANOMALY_CHANNEL } from '../../../src/core/anomaly-feed.js';
import { ANOMALY_COLUMNS } from './copy.js';

export interface CopySinkOptions {
  /** For logs and metrics: 'events' or 'anomalies'. */
  name: 'events' | 'anomalies';
  table: string;
  columns: readonly string[];
  usageColumn: 'events' | 'anomalies';
  countBytes: boolean;
  flushIntervalMs: number;
  flushMaxRows: number;
  maxPendingRows: number;
  /**
   * Size of the COPY lines waiting, at most (default 64 MiB). Counted as each write's `lines.length`
   * (UTF-16 code units: the bytes the string holds for ASCII text, O(1) to read), so rows of 64 KiB
   * events cannot pile up gigabytes under the row bound.
   */
  maxPendingBytes?: number;
  maxConcurrentFlushes: number;
  /**
   * Flushes in flight that may hold one tenant's writes (default: maxConcurrentFlushes). Below
   * maxConcurrentFlushes, the remaining slots stay open to the other tenants: a heavy tenant's
   * backlog cannot make everyone else's write wait for its flushes (service.ts #take).
   */
  maxFlushesPerTenant?: number;
  whenFull: 'drop_newest';
  /** Prune ingest_batches / ingest_commits rows older than 7 days at most this often (default 1 h). */
  retentionCheckMs?: number;
  /** Rows deleted per statement when pruning (default 10,000; at most 100 statements per table per run). */
  retentionChunk?: number;
  /** LISTEN/NOTIFY channel of the writes' `notify` payloads (the anomalies sink: ANOMALY_CHANNEL). */
  notifyChannel?: string;
}

export const copySinkDefaults = Object.freeze({
  maxPendingBytes: 64 * 1024 * 1024,
  retentionCheckMs: 3_600_000,
  retentionChunk: 10_000,
});

/** The events sink holds at most this many maximal bodies' worth of COPY lines waiting (at least 64 MiB). */
const PENDING_BODIES = 4;
/** The anomalies sink's group-commit window is at least this long (anomalies are not on the ack path). */
const MIN_ANOMALY_FLUSH_MS = 50;

function positiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new TypeError(`options.${name} must be an integer of at least ${min}`);
  return v;
}

/** Resolves and checks a sink's options; throws TypeError naming the bad one. */
/** A sink's options once resolved: every default filled in (notifyChannel stays optional). */
export type ResolvedCopySinkOptions = Readonly<Required<Omit<CopySinkOptions, 'notifyChannel'>> & Pick<CopySinkOptions, 'notifyChannel'>>;

export function copySinkOptions(o: CopySinkOptions): ResolvedCopySinkOptions {
  if (o.name !== 'events' && o.name !== 'anomalies') throw new TypeError("options.name must be 'events' or 'anomalies'");
  if (o.whenFull !== 'drop_newest') throw new TypeError("options.whenFull must be 'drop_newest'");
  if (o.columns.length === 0) throw new TypeError('options.columns must be a non-empty array');
  return Object.freeze({
    ...o,
    columns: Object.freeze([...o.columns]),
    flushIntervalMs: positiveInt('flushIntervalMs', o.flushIntervalMs, 0),
    flushMaxRows: positiveInt('flushMaxRows', o.flushMaxRows),
    maxPendingRows: positiveInt('maxPendingRows', o.maxPendingRows),
    maxPendingBytes: positiveInt('maxPendingBytes', o.maxPendingBytes ?? copySinkDefaults.maxPendingBytes),
    maxConcurrentFlushes: positiveInt('maxConcurrentFlushes', o.maxConcurrentFlushes),
    maxFlushesPerTenant: Math.min(positiveInt('maxFlushesPerTenant', o.maxFlushesPerTenant ?? o.maxConcurrentFlushes), o.maxConcurrentFlushes),
    retentionCheckMs: positiveInt('retentionCheckMs', o.retentionCheckMs ?? copySinkDefaults.retentionCheckMs, 0),
    retentionChunk: positiveInt('retentionChunk', o.retentionChunk ?? copySinkDefaults.retentionChunk),
  });
}

const pendingRowsOf = (c: Pick<Config, 'flushMaxRows'>): number => Math.max(10 * c.flushMaxRows, 100_000);

/**
 * The events sink (event_blocks): three flushes at once, at most two holding one tenant's writes
 * (so one stays open to the others), bounded by rows and by bytes (100,000 rows of 64 KiB events would be 6 GiB).
 */
export const eventsSinkOptions = (c: Pick<Config, 'flushIntervalMs' | 'flushMaxRows' | 'maxBodyBytes'>): CopySinkOptions => ({
  name: 'events', table: 'event_blocks', columns: BLOCK_COLUMNS, usageColumn: 'events', countBytes: true,
  flushIntervalMs: c.flushIntervalMs, flushMaxRows: c.flushMaxRows, maxPendingRows: pendingRowsOf(c),
  maxPendingBytes: Math.max(PENDING_BODIES * c.maxBodyBytes, copySinkDefaults.maxPendingBytes), maxConcurrentFlushes: 3, maxFlushesPerTenant: 2, whenFull: 'drop_newest',
});

/** The anomalies sink: one flush at a time, a window of at least 50 ms. */
export const anomaliesSinkOptions = (c: Pick<Config, 'flushIntervalMs' | 'flushMaxRows'>): CopySinkOptions => ({
  name: 'anomalies', table: 'anomalies', columns: ANOMALY_COLUMNS, usageColumn: 'anomalies', countBytes: false,
  // Announced at COMMIT (src/core/anomaly-feed.ts): control-API instances push them to open pages.
  notifyChannel: ANOMALY_CHANNEL,
  flushIntervalMs: Math.max(c.flushIntervalMs, MIN_ANOMALY_FLUSH_MS), flushMaxRows: c.flushMaxRows, maxPendingRows: pendingRowsOf(c),
  maxConcurrentFlushes: 1, whenFull: 'drop_newest',
});
