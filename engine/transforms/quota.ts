// Quota: a tenant's plan allows so many events per UTC calendar month (plans.events_per_month;
// null = unlimited). Checked per batch after authentication, decoding and the rate limit,
// before storing; a batch that would take the tenant over its limit is refused whole with
// DW_ERR_QUOTA_EXCEEDED (429 / nack), naming the plan and the limit.
//
//   admit(tenant, n) ─► entry: reading {plan, limit, used this month} + own + inFlight
//        │  reading missing or from another month ─► await read()
//        │  reading older than refreshMs ─► read() in the background
//        │  older than 3 × refreshMs, or this batch would take more than half of what it left ─► await read()
//        ├─ used + own + inFlight + n ≤ limit ─► ticket (inFlight += n) ─► store ─► settle(ticket, stored)
//        └─ over ─► (reading not exact, or older than FORCED_READ_MS) await read() once, check again ─► refuse
//
// Cheap on the hot path: no I/O per batch, one read (plan + month total) per tenant every
// refreshMs, a few more (about log2(headroom / batch)) as a tenant nears its limit, and at most
// one per FORCED_READ_MS for a tenant at its limit (so an upgrade lifts the limit within about
// half a second for a refused tenant, refreshMs for one still sending).
//
// `own` counts what this engine stored since the reading was sent; it is subtracted again from
// the next reading's `own`, since the store now includes it. A reading is exact ("clean") when no
// write of the tenant was in flight or started while it was taken; otherwise writes that
// committed during the read may be counted twice until the next reading: an over-estimate, so
// the error is a refusal slightly early, never an overshoot. Before refusing on a reading that is
// not clean the quota reads again. With one engine the limit is therefore exact: the tenant can
// store exactly `limit` events a month. With E engines each sees the others' events only at its
// next reading: the overshoot is at most what the other E − 1 engines store for the tenant in
// one refreshMs (plus their batches in flight), i.e. ≤ (E − 1) × TENANT_EVENTS_PER_SECOND ×
// refreshMs / 1000, and at most (E − 1) × the limit. Since an engine also reads again when it
// is about to take more than half of the headroom its last reading left, in practice it is about
// one batch per other engine (two engines racing for a 2,000 limit in batches of 100 stored
// 2,100 in each of 8 runs, with 4-5 quota reads in all; 4,000 before this rule: test/engine/quota.test.ts).
//
// With NATS_URL (issue 15) ingest nodes share one count: once the local check passes, a limited
// tenant's batch is also reserved in `shared` (engine/cluster/quota.ts: a PostgreSQL row of the
// events admitted this month, checked and raised in one statement), and what is not stored is given back at
// settle(). Nodes together then never admit more than the limit (test/cluster/quota.e2e.test.ts:
// two ingest nodes racing for 2,000 admit exactly 2,000). A reservation that fails (PostgreSQL
// unreachable) falls back to the local estimate above (stats.sharedErrors).
//
// A read that fails (PostgreSQL or Redis down) keeps the last reading (own keeps growing, so the
// estimate stays an upper bound); with no reading at all the batch is let through (fail open:
// storing needs PostgreSQL anyway), counted in stats.readErrors and logged by the caller's hook.
import { DwError } from '../../src/core/errors.js';
import type { LimitValues } from '../../src/core/tenancy/limits.js';
import { monthStart, nextMonthStart } from '../../src/core/usage.js';

export interface QuotaReading {
  /** tenants.plan */
  plan: string;
  /** The plan's display name (`Free`). */
  planName: string;
  /** Events per month; null = unlimited. */
  limit: number | null;
  /** Events stored this month, as the usage store has them. */
  used: number;
  /** The plan's ingest limits and the tenant's overrides (src/core/tenancy/limits.ts); absent = none (the global settings). */
  limits?: { plan: LimitValues; tenant: LimitValues };
}

/** Reads a tenant's plan and its usage in the month that starts at `monthStartMs`. */
export type QuotaRead = (tenantId: string, monthStartMs: number) => Promise<QuotaReading>;

/** A count of admitted events shared by every ingest node (engine/cluster/quota.ts). */
export interface SharedQuota {
  /** Adds n to the tenant's month unless that passes `limit`; the count is raised to `floor` (events stored) first. */
  reserve(tenantId: string, month: number, n: number, limit: number, floor: number): Promise<{ ok: boolean; used: number }>;
  /** Gives back n (admitted, not stored). */
  release(tenantId: string, month: number, n: number): Promise<void>;
}

export interface QuotaOptions {
  /** With NATS_URL: the count every ingest node shares. */
  shared?: SharedQuota;
  /** How old a reading may get before the next is taken (QUOTA_REFRESH_MS). */
  refreshMs: number;
  /** Told about every failed read (the caller's emit() rate-limits the log). */
  onReadError?: (err: unknown, tenantId: string) => void;
  /** Tests: the clock. */
  now?: () => number;
}

/** At a refusal, the reading is retaken when it is older than this (so upgrades apply quickly). */
export const FORCED_READ_MS = 500;
/** ... and at most this often when the reading is not exact (writes were in flight while it was taken). */
const FORCED_READ_MIN_GAP_MS = 20;
/** A reading older than this many refreshMs is waited for (a tenant idle for a while), a younger stale one is renewed in the background. */
const STALE_FACTOR = 3;
/** Entries are swept this often, and forgotten when their reading is this old (a tenant idle that long reads again anyway). */
const SWEEP_MS = 60_000;
const IDLE_MS = 600_000;

interface Entry {
  month: number;
  reading: QuotaReading | undefined;
  readAt: number;
  clean: boolean;
  own: number;
  inFlight: number;
  /** Writes admitted so far (tells whether one started during a read). */
  started: number;
  reading$: Promise<void> | undefined;
  lastForced: number;
}

/** What admit() reserved; give it back to settle(). */
export interface QuotaTicket { readonly tenantId: string; readonly events: number; readonly month: number; readonly shared?: boolean }

export class TenantQuota {
  readonly #read: QuotaRead;
  readonly #refreshMs: number;
  readonly #now: () => number;
  readonly #onReadError: (err: unknown, tenantId: string) => void;
  readonly #shared: SharedQuota | undefined;
  readonly #entries = new Map<string, Entry>();
  #lastSweep: number;
  /** Counters (STYLE.md §11). */
  readonly stats = { batchesRefused: 0, eventsRefused: 0, reads: 0, readErrors: 0, failedOpen: 0, sharedErrors: 0 };

  constructor(read: QuotaRead, opts: QuotaOptions) {
    if (!Number.isSafeInteger(opts.refreshMs) || opts.refreshMs < 0) throw new TypeError('options.refreshMs must be a non-negative integer');
    this.#read = read;
    this.#refreshMs = opts.refreshMs;
    this.#now = opts.now ?? Date.now;
    this.#onReadError = opts.onReadError ?? (() => {});
    this.#shared = opts.shared;
    this.#lastSweep = this.#now();
  }

  /** Forgets tenants idle for IDLE_MS (nothing in flight, no read running): the map holds active tenants only. */
  #sweep(now: number): void {
    this.#lastSweep = now;
    for (const [tenant, e] of this.#entries) {
      if (e.inFlight === 0 && e.reading$ === undefined && now - e.readAt >= IDLE_MS) this.#entries.delete(tenant);
    }
  }

  /** Tenants with an entry now. */
  get tenants(): number { return this.#entries.size; }

  /**
   * The tenant's reading (its plan and, for the engine's per-tenant limits, its limit values),
   * taken or renewed on the same schedule as admit()'s: no I/O while it is younger than refreshMs.
   * Undefined when none could be read (fail open, as admit()).
   */
  async current(tenantId: string): Promise<QuotaReading | undefined> {
    const now = this.#now();
    const e = this.#entry(tenantId, now);
    if (e.reading === undefined) {
      if (e.readAt === 0 || now - e.readAt >= this.#refreshMs) await this.#refresh(tenantId, e);
    } else if (now - e.readAt >= STALE_FACTOR * this.#refreshMs) {
      await this.#refresh(tenantId, e);
    } else if (now - e.readAt >= this.#refreshMs) {
      void this.#refresh(tenantId, e);
    }
    return e.reading;
  }

  #entry(tenantId: string, now: number): Entry {
    if (now - this.#lastSweep >= SWEEP_MS) this.#sweep(now);
    const month = monthStart(now);
    let e = this.#entries.get(tenantId);
    if (e === undefined) {
      e = { month, reading: undefined, readAt: 0, clean: false, own: 0, inFlight: 0, started: 0, reading$: undefined, lastForced: -Infinity };
      this.#entries.set(tenantId, e);
    }
    if (e.month !== month) {
      // A new month: last month's count no longer matters (batches still in flight settle into nothing).
      e.month = month;
      e.reading = undefined;
      e.own = 0;
      e.inFlight = 0;
    }
    return e;
  }

  /** Admits a batch of `events` or throws DW_ERR_QUOTA_EXCEEDED; settle() the ticket once the write is done. */
  async admit(tenantId: string, events: number): Promise<QuotaTicket> {
    const now = this.#now();
    const e = this.#entry(tenantId, now);
    if (e.reading === undefined) {
      // The first reading (or after failed ones: at most one try per refreshMs).
      if (e.readAt === 0 || now - e.readAt >= this.#refreshMs) await this.#refresh(tenantId, e);
    } else if (now - e.readAt >= STALE_FACTOR * this.#refreshMs || this.#halfSpent(e, events)) {
      // Idle for a while (the plan may have changed meanwhile), or about to take the second half
      // of what the reading left: wait for a fresh reading.
      await this.#refresh(tenantId, e);
    } else if (now - e.readAt >= this.#refreshMs) {
      void this.#refresh(tenantId, e);
    }

    if (this.#over(e, events)) {
      const t = this.#now();
      // Read again before refusing: at once when the reading may over-count, else at most every
      // FORCED_READ_MS (a tenant at its limit that upgrades is let through within that).
      if (e.clean ? t - e.readAt >= FORCED_READ_MS : t - e.lastForced >= FORCED_READ_MIN_GAP_MS) {
        e.lastForced = t;
        await this.#refresh(tenantId, e, true);
      }
      if (this.#over(e, events)) this.#refuse(e, events, e.reading!.used + e.own + e.inFlight);
    }
    // No await on the single-node path: the check above and the inFlight below stay in one turn of
    // the event loop, or concurrent batches would all pass the check (12 batches of 1,000 stored 11
    // of a 10,000 limit). With NATS_URL the shared row decides, whatever the local estimate.
    const shared = this.#shared === undefined ? false : await this.#reserve(tenantId, e, events);
    e.inFlight += events;
    e.started++;
    return { tenantId, events, month: e.month, shared };
  }

  /** The shared count (with NATS_URL): true when reserved there; refuses when the nodes together would pass the limit. */
  async #reserve(tenantId: string, e: Entry, events: number): Promise<boolean> {
    if (this.#shared === undefined || e.reading === undefined || e.reading.limit === null) return false;
    try {
      let r = await this.#shared.reserve(tenantId, e.month, events, e.reading.limit, e.reading.used);
      if (!r.ok && this.#now() - e.readAt >= FORCED_READ_MS) {
        // Before refusing, the plan again (an upgrade lifts the limit within FORCED_READ_MS).
        await this.#refresh(tenantId, e, true);
        if (e.reading?.limit === null) return false;
        r = await this.#shared.reserve(tenantId, e.month, events, e.reading.limit, e.reading.used);
      }
      if (!r.ok) this.#refuse(e, events, r.used);
      return true;
    } catch (err) {
      if ((err as DwError).code === 'DW_ERR_QUOTA_EXCEEDED') throw err;
      this.stats.sharedErrors++;
      this.#onReadError(err, tenantId);
      return false;
    }
  }

  #refuse(e: Entry, events: number, usedNow: number): never {
    this.stats.batchesRefused++;
    this.stats.eventsRefused += events;
    const r = e.reading!;
    const used = Math.min(r.limit!, usedNow);
    const resetsAt = nextMonthStart(this.#now());
    throw new DwError('DW_ERR_QUOTA_EXCEEDED',
      `the ${r.planName} plan allows ${r.limit!.toLocaleString('en-US')} events per month (UTC); ` +
      `${used.toLocaleString('en-US')} are used this month and this batch has ${events.toLocaleString('en-US')}. ` +
      `Upgrade the plan, or wait until ${new Date(resetsAt).toISOString()}`,
      { plan: r.plan, limit: r.limit, used, batch: events, resetsAt: new Date(resetsAt).toISOString(),
        retryAfterSeconds: Math.max(1, Math.ceil((resetsAt - this.#now()) / 1000)) });
  }

  /** A write is done: `stored` events of it were stored now (0 when it failed or was a duplicate). */
  settle(ticket: QuotaTicket, stored: number): void {
    const e = this.#entries.get(ticket.tenantId);
    if (e === undefined || e.month !== ticket.month) return;
    e.inFlight = Math.max(0, e.inFlight - ticket.events);
    e.own += stored;
    if (ticket.shared === true && stored < ticket.events) {
      void this.#shared!.release(ticket.tenantId, ticket.month, ticket.events - stored).catch((err: unknown) => {
        this.stats.sharedErrors++;
        this.#onReadError(err, ticket.tenantId);
      });
    }
  }

  /**
   * Near the limit, read more often: before this engine takes more than half of what the last
   * reading left, it reads again (and waits for it), so engines sharing a tenant see each
   * other's events at every halving of the headroom, not only every refreshMs. About
   * log2(limit / batch) reads a month for a tenant that reaches its limit.
   */
  #halfSpent(e: Entry, events: number): boolean {
    const r = e.reading;
    if (r === undefined || r.limit === null) return false;
    const taken = e.own + e.inFlight + events;
    // A batch that does not fit at all goes to the refusal path (its reads are rate-limited).
    return r.used + taken <= r.limit && 2 * taken > r.limit - r.used;
  }

  #over(e: Entry, events: number): boolean {
    const r = e.reading;
    if (r === undefined || r.limit === null) return false;
    return r.used + e.own + e.inFlight + events > r.limit;
  }

  /** Takes a reading (one at a time per tenant; a forced read waits for a fresh one). */
  async #refresh(tenantId: string, e: Entry, forced = false): Promise<void> {
    if (e.reading$ !== undefined) {
      await e.reading$;
      if (!forced) return;
    }
    const run = async (): Promise<void> => {
      const month = e.month;
      const ownAtSend = e.own;
      const startedAtSend = e.started;
      const idleAtSend = e.inFlight === 0;
      this.stats.reads++;
      try {
        const r = await this.#read(tenantId, month);
        if (e.month !== month) return;
        e.reading = r;
        e.own -= ownAtSend;
        e.readAt = this.#now();
        e.clean = idleAtSend && e.inFlight === 0 && e.started === startedAtSend;
      } catch (err) {
        this.stats.readErrors++;
        const now = this.#now();
        this.#onReadError(err, tenantId);
        // Fail open until a read succeeds (storing needs PostgreSQL anyway); a known reading is kept.
        if (e.reading === undefined) this.stats.failedOpen++;
        e.readAt = now;
      }
    };
    const p = run().finally(() => { if (e.reading$ === p) e.reading$ = undefined; });
    e.reading$ = p;
    await p;
  }
}
