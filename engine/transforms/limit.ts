// Limit: a per-tenant token bucket on ingested events, in this engine process's memory.
//
//   source (after authentication and decoding) ─► take(tenant, events) ─► 0: store the batch
//                                                                      └► n > 0: refuse, retry after n s
//
// Each tenant's bucket holds at most `eventsPerSecond` tokens (one second's worth) and refills
// continuously at that rate. A batch is taken when the bucket holds as many tokens as it has
// events, or when the bucket is full whatever the batch's size (so a batch larger than one
// second's worth still gets through); the tokens may then go below zero, and the tenant waits
// until the debt is repaid: the average rate holds. A refused batch takes no tokens. The
// answer's wait is exact for the batch refused (Retry-After). Buckets that have refilled are
// forgotten (at most once a minute), so the map holds only tenants active in the last minute.
// Several engine processes each apply the limit on their own. A tenant's rate may differ from the
// global one (its plan or override: src/core/tenancy/limits.ts): take() is given it, the bucket keeps the rate
// it was last given, and a lower rate caps the tokens at once (a raised one refills up to it).

/** How often full buckets are forgotten. */
const SWEEP_MS = 60_000;

interface Bucket {
  tokens: number;
  /** Events per second this bucket refills at (the tenant's rate at its last take). */
  rate: number;
  /** Date.now() of the last refill. */
  at: number;
}

export class TenantRateLimiter {
  readonly #rate: number;
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep = 0;
  /** Batches and events refused (STYLE.md §11: counters). */
  readonly stats = { batchesRefused: 0, eventsRefused: 0 };

  /** eventsPerSecond: 0 = unlimited. */
  constructor(eventsPerSecond: number) {
    if (!Number.isSafeInteger(eventsPerSecond) || eventsPerSecond < 0) {
      throw new TypeError('options.tenantEventsPerSecond must be a non-negative integer');
    }
    this.#rate = eventsPerSecond;
  }

  get limit(): number { return this.#rate; }

  /** Tenants with a bucket now. */
  get tenants(): number { return this.#buckets.size; }

  /**
   * Takes `events` tokens from the tenant's bucket: 0 when taken, else the whole seconds to wait
   * before retrying. `rate`: the tenant's events per second (default: the global one; 0 = unlimited).
   */
  take(tenantId: string, events: number, now: number = Date.now(), rate: number = this.#rate): number {
    if (rate === 0 || events <= 0) return 0;
    if (now - this.#lastSweep >= SWEEP_MS) this.#sweep(now);
    let b = this.#buckets.get(tenantId);
    if (b === undefined) {
      b = { tokens: rate, rate, at: now };
      this.#buckets.set(tenantId, b);
    } else {
      if (now > b.at) {
        b.tokens = Math.min(b.rate, b.tokens + ((now - b.at) * b.rate) / 1000);
        b.at = now;
      }
      if (b.rate !== rate) {
        b.rate = rate;
        b.tokens = Math.min(rate, b.tokens);
      }
    }
    if (b.tokens >= events || b.tokens >= rate) {
      b.tokens -= events;
      return 0;
    }
    this.stats.batchesRefused++;
    this.stats.eventsRefused += events;
    // Tokens needed: the batch's events, or a full bucket for a batch larger than one.
    const need = Math.min(events, rate) - b.tokens;
    return Math.max(1, Math.ceil(need / rate));
  }

  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [tenant, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) * b.rate) / 1000 >= b.rate) this.#buckets.delete(tenant);
    }
  }
}
