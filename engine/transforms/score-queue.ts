// The scorer's per-stream entries (transforms/score.ts) and their bound: one StreamQueue per
// (tenant, type, stream) with its waiting events and detector state, kept in least recently used
// order and evicted when idle.
//
//   Scorer.push ─► entry(tenant, record) ─► the stream's StreamQueue (new: with the state its
//        │           eviction left unsaved, if any)
//   touch(entry) ─► moved to the most recently used end of the map
//   evict(now)   ─► from the least recently used end, idle entries (not running, nothing waiting,
//                   no tick): while over maxStreams (a tenant within its fair share of maxStreams
//                   keeps its idle ones), and those unused for streamIdleTtlMs; a changed state
//                   goes to Checkpoints.unsaved (score-checkpoints.ts) until it is saved
import type { StreamType } from '../../workers/types.js';
import type { EventRecord } from '../types.js';
import type { Checkpoints } from './score-checkpoints.js';
import { loadIncidents, saveIncidents, type IncidentMap } from './incidents.js';

/** A stream's entry: its waiting events, detector state and scheduling flags. */
export interface StreamQueue {
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
  /** Waiting for minTaskEvents (or maxTaskWaitMs) before it is queued (in Gathering, score-gather.ts). */
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
export const savedIncidents = (q: StreamQueue): string | null => (q.incidents === undefined || q.incidents.size === 0 ? null : saveIncidents(q.incidents));

/** Non-idle entries passed over in one eviction pass at most (keeps a pass cheap). */
const EVICT_SCAN_LIMIT = 1_024;

/** The entries by key, least recently used first, and how many each tenant has. */
export class StreamEntries {
  readonly #streams = new Map<string, StreamQueue>();
  /** Entries per tenant (for the fair share of maxStreams). */
  readonly #streamsOf = new Map<string, number>();
  readonly maxStreams: number;
  readonly #ttlMs: number;
  readonly #checkpoints: Checkpoints | undefined;

  constructor(maxStreams: number, ttlMs: number, checkpoints: Checkpoints | undefined) {
    this.maxStreams = maxStreams;
    this.#ttlMs = ttlMs;
    this.#checkpoints = checkpoints;
  }

  get size(): number { return this.#streams.size; }

  values(): IterableIterator<StreamQueue> { return this.#streams.values(); }

  /** The entry of the record's stream (created, with a state kept from an eviction, if none). */
  entry(tenantId: string, r: EventRecord, now: number, seen: Map<string, StreamQueue>): StreamQueue {
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
  touch(q: StreamQueue, now: number): void {
    q.lastUsed = now;
    this.#streams.delete(q.key);
    this.#streams.set(q.key, q);
  }

  /**
   * Evicts idle entries from the least recently used end: while there are more than maxStreams,
   * and those unused for longer than the TTL. Running or waiting entries are passed over.
   * Returns the entries evicted.
   */
  evict(now: number): number {
    const over = (): boolean => this.#streams.size > this.maxStreams;
    const cutoff = this.#ttlMs > 0 ? now - this.#ttlMs : -Infinity;
    // Over the bound, a tenant within its fair share keeps its idle streams (others' go first).
    const fair = Math.max(1, Math.floor(this.maxStreams / Math.max(1, this.#streamsOf.size)));
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
    return evicted;
  }
}
