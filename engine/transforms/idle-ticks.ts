// Idle ticks: a log or trace stream that has gone quiet gets, now and then, a tick carrying its own
// event time, so the detector judges its silence without waiting for a new event (issue 11;
// workers/detectors/logs.ts judges the whole stream's silence at an idle tick {ts, idle: true}).
//
//   Scorer.push ─► per stream entry: lastTs (latest event time), seenAt (wall clock of its arrival)
//        │
//   timer, every everyMs ─► pickTicks(the scorer's entries, now):
//        │   logs/traces streams quiet for ≥ everyMs (wall clock) and ≤ horizonMs,
//        │   not ticked for everyMs, at most maxPerSweep per sweep, least recently used streams
//        │   first (the rest wait for a later sweep: 100k quiet streams are no tick storm;
//        │   a tick's task moves its stream to the recent end, so the sweeps take turns),
//        │   none while the scorer has a backlog (room() would hold writers), nor while the
//        │   spool holds acknowledged writes (their events reach the scorer at replay: the
//        │   streams only look quiet; a tick would judge a silence that is not there and date it
//        │   after events still to come)
//        ▼
//   tick ts = lastTs + (now − seenAt)  (the stream's event time advanced by the wall time since)
//        ─► Scorer: a tick record queued behind the stream's waiting events, in its next task
//           (one task per stream at a time, so a tick never overtakes a batch in flight)
//
// A tick is not an event: it is never stored, counted in usage or quotas, nor in the scorer's
// pending events or events scored. The detector dates a silence at the window boundary of event
// time where it became significant (Finding.ts), so the finding does not depend on when the timer
// fired, and a replay of the same events gives the same finding at the same event time.
import type { StreamType } from '../../workers/types.js';
import type { EventRecord } from '../types.js';

export interface IdleTickOptions {
  /** A stream quiet this long (wall clock, ms) gets a tick; also the sweep period. 0: no ticks. */
  everyMs: number;
  /** A stream quiet longer than this gets no more ticks (ms). */
  horizonMs: number;
  /** Ticks sent per sweep at most. */
  maxPerSweep: number;
}

export const IDLE_TICK_DEFAULTS: Readonly<IdleTickOptions> = Object.freeze({ everyMs: 10_000, horizonMs: 3_600_000, maxPerSweep: 1_000 });

export function idleTickOptions(o: Partial<IdleTickOptions> = {}): Readonly<IdleTickOptions> {
  const out = { ...IDLE_TICK_DEFAULTS, ...o };
  if (!Number.isSafeInteger(out.everyMs) || out.everyMs < 0) throw new TypeError('options.idleTicks.everyMs must be a non-negative integer');
  if (!Number.isSafeInteger(out.horizonMs) || out.horizonMs < out.everyMs) throw new TypeError('options.idleTicks.horizonMs must be an integer at least everyMs');
  if (!Number.isSafeInteger(out.maxPerSweep) || out.maxPerSweep < 1) throw new TypeError('options.idleTicks.maxPerSweep must be a positive integer');
  return Object.freeze(out);
}

/** What the ticker reads of a scorer entry. */
export interface TickEntry {
  readonly stream: string;
  readonly streamType: StreamType;
  /** Latest event time pushed (-Infinity: none yet). */
  lastTs: number;
  /** Date.now() when its latest events were pushed. */
  seenAt: number;
  /** Date.now() of its last tick (0: none since its last events). */
  tickedAt: number;
}

/** The tick's event time for an entry now, or undefined when it gets none. */
export function tickTime(e: TickEntry, now: number, o: Readonly<IdleTickOptions>): number | undefined {
  if (e.streamType !== 'logs' && e.streamType !== 'traces') return undefined;
  if (!Number.isFinite(e.lastTs)) return undefined;
  const quiet = now - e.seenAt;
  if (quiet < o.everyMs || quiet > o.horizonMs) return undefined;
  // Half an interval: one tick per sweep, whatever the timer's jitter.
  if (e.tickedAt > 0 && now - e.tickedAt < o.everyMs / 2) return undefined;
  return e.lastTs + quiet;
}

/** Up to maxPerSweep entries due for a tick, with their tick times, in the entries' order. */
export function pickTicks<E extends TickEntry>(entries: Iterable<E>, now: number, o: Readonly<IdleTickOptions>): { entry: E; ts: number }[] {
  const out: { entry: E; ts: number }[] = [];
  for (const e of entries) {
    const ts = tickTime(e, now, o);
    if (ts === undefined) continue;
    out.push({ entry: e, ts });
    if (out.length >= o.maxPerSweep) break;
  }
  return out;
}

/** The record a tick travels as in the scorer's queue (never stored: only a finding on it is, with this event). */
export function tickRecord(e: TickEntry, ts: number): EventRecord {
  return { stream: e.stream, streamType: e.streamType, ts, dataJson: 'null', metadataJson: '{"idle_tick":true}', explicitStream: true, text: undefined, value: undefined, bytes: 0, idle: true };
}

/** The sweep timer (unref'd: it never keeps a process alive). */
export class IdleTicker {
  readonly #o: Readonly<IdleTickOptions>;
  readonly #sweep: (now: number) => void;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: Readonly<IdleTickOptions>, sweep: (now: number) => void) {
    this.#o = o;
    this.#sweep = sweep;
  }

  start(): void {
    if (this.#o.everyMs === 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.#sweep(Date.now()), this.#o.everyMs).unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
