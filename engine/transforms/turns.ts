// TenantTurns: the event loop shared fairly between tenants. The synchronous work of a batch
// (decoding a frame or body, building its compressed blocks) waits for its tenant's turn:
//
//   take(tenant) ─► RoundRobin (one queue per tenant) ─► one grant per event-loop iteration (setImmediate)
//                                                        ─► the holder runs until its next await
//
// Between two grants the loop polls for I/O, so a light tenant's PostgreSQL replies and frames
// are handled after at most one of a heavy tenant's batches, not after every batch that arrived
// in the same read; and tenants with work waiting are served in turn, one batch each.
import { RoundRobin } from './round-robin.js';

export class TenantTurns {
  readonly #queue = new RoundRobin<() => void>();
  #waiting = 0;
  #scheduled = false;
  /** Turns granted so far (a counter). */
  readonly stats = { granted: 0 };

  /** Resolves when it is the tenant's turn; the caller's synchronous work until its next await is the turn. */
  take(tenantId: string): Promise<void> {
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
