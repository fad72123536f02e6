// TenantShares: what each tenant put through a shared stage recently (rows, bytes), decayed
// exponentially (half-life halfLifeMs), and whether it is over or well under its share: the
// mean over the tenants active now. Pure (the clock passed in).
//
//   add(tenant, units, now) ─► heavy(tenant, now): > heavyFactor × mean   (the sink's heavy lane: group.ts;
//                           │                                              the in-flight cap: turns.ts enter)
//                           ─► light(tenant, now): < lightFactor × mean   (turns.ts: no wait for a turn)
//
// Active: a tenant that added within the activity window (activeMs, default two half-lives, by
// when an idle tenant's weight is down to a quarter). A tenant that stops sending no longer
// makes another heavy once its window has passed (2 s by default), not once its decayed weight
// is under one unit (a light tenant's 100 kB/s took ~17 half-lives to get there).
// With one tenant active no one is heavy or light; with tenants of like size, no one is.
export class TenantShares {
  readonly #of = new Map<string, { v: number; at: number }>();
  readonly #k: number;
  readonly #heavy: number;
  readonly #light: number;
  readonly #activeMs: number;
  /** The active tenants and the sum of their decayed weights at #activeAt (counted at most once per millisecond). */
  #active = 0;
  #activeSum = 0;
  #activeAt = -1;

  constructor(halfLifeMs = 1_000, heavyFactor = 1.5, lightFactor = 0.5, activeMs = 2 * halfLifeMs) {
    this.#k = Math.LN2 / halfLifeMs;
    this.#heavy = heavyFactor;
    this.#light = lightFactor;
    this.#activeMs = activeMs;
  }

  #decayed(e: { v: number; at: number }, now: number): number { return now > e.at ? e.v * Math.exp(-this.#k * (now - e.at)) : e.v; }

  #isActive(e: { at: number }, now: number): boolean { return now - e.at <= this.#activeMs; }

  add(tenantId: string, rows: number, now: number): void {
    this.#activeAt = -1;
    const e = this.#of.get(tenantId);
    if (e === undefined) this.#of.set(tenantId, { v: rows, at: now });
    else { e.v = this.#decayed(e, now) + rows; e.at = now; }
    // Forget tenants idle past their window.
    if (this.#of.size > 64) for (const [t, x] of this.#of) if (!this.#isActive(x, now)) this.#of.delete(t);
  }

  /** The tenant's weight ÷ the mean over the active tenants (0 when it is not active itself); undefined with fewer than two active. */
  #ratio(tenantId: string, now: number): number | undefined {
    if (this.#of.size < 2) return undefined;
    if (now !== this.#activeAt) {
      this.#active = 0;
      this.#activeSum = 0;
      for (const x of this.#of.values()) if (this.#isActive(x, now)) { this.#active++; this.#activeSum += this.#decayed(x, now); }
      this.#activeAt = now;
    }
    if (this.#active < 2) return undefined;
    const e = this.#of.get(tenantId);
    if (e === undefined || !this.#isActive(e, now)) return 0;
    return this.#decayed(e, now) / (this.#activeSum / this.#active);
  }

  /** Over its share: more than heavyFactor × the mean of the active tenants. */
  heavy(tenantId: string, now: number): boolean {
    const r = this.#ratio(tenantId, now);
    return r !== undefined && r > this.#heavy;
  }

  /** Well under its share while others are active: less than lightFactor × the mean. */
  light(tenantId: string, now: number): boolean {
    const r = this.#ratio(tenantId, now);
    return r !== undefined && r < this.#light;
  }
}
