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
// A tenant's turns are granted in the order taken, so its batches (a connection's frames in
// flight) reach the store, and the scorer, in arrival order: a light tenant's turns still queued
// from before it was light are granted first, at once, then its new one. (On main the new one went
// ahead of them: its stream's events were scored out of order, with other findings: bench/fairness
// stored 18 or 20 of B's 19 anomalies under A's flood.)
//
//   enter(tenant) ─► a tenant over its share (shares.ts heavy: others are active) holds at most
//                    HEAVY_IN_FLIGHT batches between decode and ack; its further frames wait here,
//                    undecoded, so it uses a share of the CPU and PostgreSQL, not all of them
import { RoundRobin } from './round-robin.js';
import { TenantShares } from './shares.js';

/** Batches a heavy tenant may have between decode and ack while other tenants are active. */
export const HEAVY_IN_FLIGHT = 2;

export class TenantTurns {
  readonly #queue = new RoundRobin<() => void>();
  readonly #shares = new TenantShares();
  #waiting = 0;
  #scheduled = false;
  /** Per tenant: batches entered and not left, and those waiting to enter. */
  readonly #inFlight = new Map<string, { n: number; queued: (() => void)[] }>();
  /** Turns granted so far, those of them taken at once by a light tenant, and entries that waited (heavy tenant at its cap) (counters). */
  readonly stats = { granted: 0, light: 0, capped: 0 };

  constructor(readonly heavyInFlight = HEAVY_IN_FLIGHT) {}

  /**
   * A batch enters (before it is decoded); call the returned function when it is answered.
   * Waits while its tenant is over its share and already has heavyInFlight batches in.
   */
  async enter(tenantId: string): Promise<() => void> {
    let e = this.#inFlight.get(tenantId);
    if (e === undefined) { e = { n: 0, queued: [] }; this.#inFlight.set(tenantId, e); }
    if (e.n >= this.heavyInFlight && this.#shares.heavy(tenantId, Date.now())) {
      this.stats.capped++;
      const mine = e;
      await new Promise<void>((resolve) => mine.queued.push(resolve)); // counted in by whoever wakes it
    } else e.n++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      e.n--;
      // Waiting batches enter while the tenant is under its cap; all of them once it is no longer
      // heavy. (Not one per batch answered: a tenant that became heavy with many batches in, its
      // others entered while it was alone, would keep that many in for as long as it floods.)
      const heavy = this.#shares.heavy(tenantId, Date.now());
      while (e.queued.length > 0 && (!heavy || e.n < this.heavyInFlight)) {
        e.n++;
        e.queued.shift()!();
      }
      if (e.n === 0 && e.queued.length === 0) this.#inFlight.delete(tenantId);
    };
  }

  /** A tenant's batches entered and not left (0 when none). */
  inFlight(tenantId: string): number { return this.#inFlight.get(tenantId)?.n ?? 0; }

  /**
   * Resolves when it is the tenant's turn; the caller's synchronous work until its next await is
   * the turn. `bytes`: the size of the batch about to be decoded (what the shares count).
   */
  take(tenantId: string, bytes = 0): Promise<void> {
    const now = Date.now();
    if (bytes > 0) this.#shares.add(tenantId, bytes, now);
    if (this.#shares.light(tenantId, now)) {
      // Its turns queued before it was light go first (resolved first, their continuations run first).
      const earlier = this.#queue.takeAll(tenantId);
      if (earlier.length > 0) {
        this.#waiting -= earlier.length;
        this.stats.granted += earlier.length;
        this.stats.light += earlier.length;
        for (const resolve of earlier) resolve();
      }
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
