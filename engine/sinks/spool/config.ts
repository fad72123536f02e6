// Options of the on-disk spool (service.ts): one defaults object, checked once, frozen.
import { isAbsolute } from 'node:path';

export interface SpoolOptions {
  /** Directory of the segment files (absolute); one engine process per directory (a LOCK file says which). */
  readonly dir: string;
  /** Bytes of segments (framed records) the spool may hold; an append beyond it is refused (DW_ERR_SPOOL_FULL). */
  readonly maxBytes: number;
  /** Group-fsync window: appends within it share one write + fdatasync (0: the next turn of the event loop). */
  readonly syncMs: number;
  /** A segment is closed once it holds this many bytes (checked between group writes); default maxBytes / 8 in [64 KiB, 64 MiB]. */
  readonly segmentBytes: number;
  /** Replay: rows in one wave at most (default 10,000: one group commit of the sink). */
  readonly replayMaxRows: number;
  /** Replay: writes in one wave at most. */
  readonly replayMaxWrites: number;
  /** Replay: framed bytes read for one wave at most (one record always fits). */
  readonly replayMaxBytes: number;
  /**
   * A write refused by the sink waits this long at most for earlier direct writes still in flight
   * before it is appended; past that, a copy of each such write is spooled in its place first
   * (router.ts #overtake), so spool order stays submission order while acks are not held back.
   */
  readonly fallbackOrderMs: number;
  /** Seconds of Retry-After when the spool is full. */
  readonly retryAfterSeconds: number;
  /** Replay progress is logged at most this often. */
  readonly progressLogMs: number;
  /** Appends are refused when full; the caller answers 503 / nack (STYLE.md §8). */
  readonly whenFull: 'drop_newest';
}

export const spoolDefaults = Object.freeze({
  syncMs: 2,
  replayMaxRows: 10_000,
  replayMaxWrites: 1_000,
  replayMaxBytes: 32 * 1024 * 1024,
  retryAfterSeconds: 2,
  fallbackOrderMs: 1_000,
  progressLogMs: 2_000,
  whenFull: 'drop_newest' as const,
});

const MIN_SEGMENT = 64 * 1024;
const MAX_SEGMENT = 64 * 1024 * 1024;

function positiveInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new TypeError(`options.${name} must be an integer of at least ${min}`);
  }
  return v;
}

/** Resolves and checks the spool's options; throws TypeError naming the bad one. */
export function spoolOptions(input: Partial<SpoolOptions> & Pick<SpoolOptions, 'dir' | 'maxBytes'>): Readonly<SpoolOptions> {
  if (typeof input.dir !== 'string' || !isAbsolute(input.dir)) throw new TypeError('options.dir must be an absolute path');
  const maxBytes = positiveInt('maxBytes', input.maxBytes, 1024);
  const segmentBytes = input.segmentBytes ?? Math.min(MAX_SEGMENT, Math.max(MIN_SEGMENT, Math.floor(maxBytes / 8)));
  if (input.whenFull !== undefined && input.whenFull !== 'drop_newest') throw new TypeError("options.whenFull must be 'drop_newest'");
  return Object.freeze({
    dir: input.dir,
    maxBytes,
    syncMs: positiveInt('syncMs', input.syncMs ?? spoolDefaults.syncMs, 0),
    segmentBytes: positiveInt('segmentBytes', segmentBytes, 1024),
    replayMaxRows: positiveInt('replayMaxRows', input.replayMaxRows ?? spoolDefaults.replayMaxRows),
    replayMaxWrites: positiveInt('replayMaxWrites', input.replayMaxWrites ?? spoolDefaults.replayMaxWrites),
    replayMaxBytes: positiveInt('replayMaxBytes', input.replayMaxBytes ?? spoolDefaults.replayMaxBytes),
    fallbackOrderMs: positiveInt('fallbackOrderMs', input.fallbackOrderMs ?? spoolDefaults.fallbackOrderMs, 0),
    retryAfterSeconds: positiveInt('retryAfterSeconds', input.retryAfterSeconds ?? spoolDefaults.retryAfterSeconds),
    progressLogMs: positiveInt('progressLogMs', input.progressLogMs ?? spoolDefaults.progressLogMs, 0),
    whenFull: spoolDefaults.whenFull,
  });
}
