// The scorer's checkpoint runs: changed detector states saved in batches through a StateStore
// (engine/sinks/postgres/state.ts), one run at a time, a failed batch logged and left changed.
//
//   Scorer.checkpoint() ──► run(collect) ──► collect() = changed(entries): the changed states
//                           │                 (evicted ones, entries not running), each with what to
//                           │                 do when it is saved or its save fails
//                           ▼
//                     store.save(≤ CHECKPOINT_BATCH rows) ──► saved() | failed() + ScoreCheckpointError
//   a stream's first task ──► load() ──► its saved state, or null (none, or the load failed: logged)
//
// A stream's first task waits for the load (it stays `running` meanwhile, so its order holds);
// states changed since their last save are saved every checkpointIntervalMs, when their entry is
// evicted, and at close() after the drain. So a restart, an upgrade or an eviction resumes the
// stream where it was instead of warming it up again (at most one interval of scoring is lost
// if the process dies without close()).
import type { Logger } from '../../src/core/log.js';
import type { SavedState, StateKey, StateRow, StateStore } from '../sinks/postgres/state.js';
import { savedIncidents, type StreamQueue } from './score-queue.js';

/** States saved in one upsert at most. */
export const CHECKPOINT_BATCH = 1_000;

export interface PendingState {
  row: StateRow;
  saved?: () => void;
  failed?: () => void;
}

export class Checkpoints {
  readonly store: StateStore;
  readonly #log: Logger;
  #run: Promise<void> | undefined;
  #lastErrorLog = 0;
  /** States of evicted entries not yet saved: a stream that comes back before the save takes its state from here. */
  readonly unsaved = new Map<string, StateRow>();

  constructor(store: StateStore, log: Logger) {
    this.store = store;
    this.#log = log;
  }

  /** A stream's saved state; a failed load is logged and counted, and the stream starts fresh. */
  async load(key: StateKey, stats: { checkpointErrors: number }): Promise<SavedState | null> {
    try {
      return await this.store.load({ tenantId: key.tenantId, streamType: key.streamType, stream: key.stream });
    } catch (err) {
      stats.checkpointErrors++;
      this.#log.warn({ err, stream: key.stream }, "ScoreCheckpointError: the stream's detector state could not be loaded; it starts fresh");
      return null;
    }
  }

  /** The states changed since their last save: evicted entries' (unsaved), and those of the entries given that are not running. */
  changed(entries: Iterable<StreamQueue>): PendingState[] {
    const out: PendingState[] = [];
    for (const [key, row] of this.unsaved) out.push({ row, saved: () => { if (this.unsaved.get(key) === row) this.unsaved.delete(key); } });
    for (const q of entries) {
      if (!q.dirty || q.running || q.state === null) continue;
      // Copies: the entry's own buffers are transferred to a worker by its next task.
      out.push({ row: { tenantId: q.tenantId, streamType: q.streamType, stream: q.stream, state: q.state.slice(), sessionState: q.sessionState?.slice() ?? null, incidents: savedIncidents(q) }, failed: () => { q.dirty = true; } });
      q.dirty = false;
    }
    return out;
  }

  /** One run at a time: a call during a run waits for it, then collects and saves. */
  async run(collect: () => PendingState[], stats: { statesSaved: number; checkpointErrors: number }): Promise<void> {
    while (this.#run !== undefined) await this.#run;
    const run = this.#save(collect(), stats);
    this.#run = run;
    try {
      await run;
    } finally {
      this.#run = undefined;
    }
  }

  async #save(rows: PendingState[], stats: { statesSaved: number; checkpointErrors: number }): Promise<void> {
    for (let i = 0; i < rows.length; i += CHECKPOINT_BATCH) {
      const part = rows.slice(i, i + CHECKPOINT_BATCH);
      try {
        await this.store.save(part.map((r) => r.row));
        stats.statesSaved += part.length;
        for (const p of part) p.saved?.();
      } catch (err) {
        stats.checkpointErrors++;
        for (const p of part) p.failed?.();
        const now = Date.now();
        if (now - this.#lastErrorLog > 5_000) {
          this.#lastErrorLog = now;
          this.#log.warn({ err, states: part.length, errors: stats.checkpointErrors }, 'ScoreCheckpointError: detector states were not saved; they are tried again at the next checkpoint');
        }
      }
    }
  }
}
