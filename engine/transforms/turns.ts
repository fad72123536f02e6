// TenantTurns: the event loop shared fairly between tenants. The synchronous work of a batch
// (decoding a frame or body, building its compressed blocks) waits for its tenant's turn:
//
//   take(tenant) ─► RoundRobin (one queue per tenant) ─► one grant per event-loop iteration (setImmediate)
//                                                        ─► the holder runs until its next await
//
// Between two grants the loop polls for I/O, so a light tenant's PostgreSQL replies and frames
// are handled after at most one of a heavy tenant's batches, not after every batch that arrived
// in the same read; and tenants with work waiting are served in turn, one batch each.
// A tenant well under its share of the bytes decoded recently (shares.ts light: under half the
// mean of the active tenants) does not wait at all: its small batch runs at once, instead of one
// or two event-loop iterations later, each as long as a heavy tenant's batch and the I/O around it.
import { RoundRobin } from './round-robin.js';
import { TenantShares } from './shares.js';

export class TenantTurns {
  readonly #queue = new RoundRobin<() => void>();
  readonly #shares = new TenantShares();
  #waiting = 0;
  #scheduled = false;
  /** Turns granted so far, and those of them taken at once by a light tenant (counters). */
  readonly stats = { granted: 0, light: 0 };

  /**
   * Resolves when it is the tenant's turn; the caller's synchronous work until its next await is
   * the turn. `bytes`: the size of the batch about to be decoded (what the shares count).
   */
  take(tenantId: string, bytes = 0): Promise<void> {
    const now = Date.now();
    if (bytes > 0) this.#shares.add(tenantId, bytes, now);
    if (this.#shares.light(tenantId, now)) {
      this.stats.granted++;
      this.stats.light++;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      this.#queue.push(tenantId, resolve);
      this.#waiting++;
      this.#schedule();
    });
  }

  /** Batches waiting for their turn. */
  get waiting(): number { return this.#waiting; }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#grant);
  }

  readonly #grant = (): void => {
    this.#scheduled = false;
    const next = this.#queue.shift();
    if (next !== undefined) {
      this.#waiting--;
      this.stats.granted++;
      next();
    }
    if (this.#waiting > 0) this.#schedule();
  };
}
