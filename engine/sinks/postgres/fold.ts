// The events sink's fold lane (countsAfterCommit, service.ts): after a group commit, its
// counter_deltas rows are moved into usage_counters, stream_minutes and stream_totals
// (rollup.ts foldQuery: delete + add in one statement, so each delta counts exactly once).
//
//   committed flush ──fold(tenants, marker)──► queue ──(one fold at a time; it takes every pair
//   queued meanwhile, FOLD_LIMIT per statement)──► resolve: the flush's writes are acknowledged
//
// A sweep (any delta, not only the queued ones: what a crash left between COMMIT and its fold)
// rides on the sink's first fold, and again after a failed fold or when the sink asks (with
// each prune, about hourly). A fold that fails after its retries is reported and resolves all
// the same: the deltas stay committed and the next sweep folds them.
import type pg from 'pg';
import { isTransientPgError } from '../../../src/core/db.js';
import { FOLD_LIMIT, foldQuery } from './rollup.js';

interface FoldQueue { tenants: string[]; ids: string[]; sweep: boolean; done: (() => void)[] }
const emptyQueue = (): FoldQueue => ({ tenants: [], ids: [], sweep: false, done: [] });
const RETRIES = 3;
/** A sweep stops after this many full statements (the rest waits for the next sweep). */
const SWEEP_MAX_ROUNDS = 100;

export class CountsFolder {
  readonly #pool: pg.Pool;
  readonly #onError: (err: unknown, deltas: number) => void;
  #queue = emptyQueue();
  #running = false;
  /** Whether the next fold also sweeps deltas it was not given. */
  sweepDue = true;
  /** Fold statements run, counter_deltas rows they folded, folds that failed after their retries. */
  readonly stats = { folds: 0, deltasFolded: 0, foldErrors: 0 };

  constructor(pool: pg.Pool, onError: (err: unknown, deltas: number) => void) {
    this.#pool = pool;
    this.#onError = onError;
  }

  /** Folds the deltas of `marker` (one row per tenant); resolves once folded, or once the fold failed. */
  fold(tenants: readonly string[], marker: string): Promise<void> {
    return new Promise((resolve) => {
      const q = this.#queue;
      for (const t of tenants) { q.tenants.push(t); q.ids.push(marker); }
      if (this.sweepDue) { q.sweep = true; this.sweepDue = false; }
      q.done.push(resolve);
      if (!this.#running) void this.#run();
    });
  }

  async #run(): Promise<void> {
    this.#running = true;
    while (this.#queue.done.length > 0) {
      const q = this.#queue;
      this.#queue = emptyQueue();
      await this.#foldOnce(q);
      for (const f of q.done) f();
    }
    this.#running = false;
  }

  async #statement(pairs: { tenants: string[]; ids: string[] } | undefined): Promise<number> {
    const f = foldQuery(pairs);
    const n = (await this.#pool.query<{ n: number }>(f.text, f.values)).rows[0].n;
    this.stats.folds++;
    this.stats.deltasFolded += n;
    return n;
  }

  async #foldOnce(q: FoldQueue): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        for (let i = 0; i < q.ids.length; i += FOLD_LIMIT) {
          await this.#statement({ tenants: q.tenants.slice(i, i + FOLD_LIMIT), ids: q.ids.slice(i, i + FOLD_LIMIT) });
        }
        for (let round = 0; q.sweep && round < SWEEP_MAX_ROUNDS; round++) {
          if (await this.#statement(undefined) < FOLD_LIMIT) break;
        }
        return;
      } catch (err) {
        // A retry folds what is left: the rows already folded were deleted by their statement.
        if (isTransientPgError(err) && attempt < RETRIES) {
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          continue;
        }
        this.stats.foldErrors++;
        this.sweepDue = true;
        this.#onError(err, q.ids.length);
        return;
      }
    }
  }
}
