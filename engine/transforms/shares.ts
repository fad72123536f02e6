// TenantShares: what each tenant put through a shared stage recently (rows, bytes), decayed
// exponentially (half-life halfLifeMs), and whether it is over or well under its share: the
// mean over the tenants active in that window. Pure (the clock passed in).
//
//   add(tenant, units, now) ─► heavy(tenant, now): > heavyFactor × mean   (the sink's heavy lane: group.ts)
//                           ─► light(tenant, now): < lightFactor × mean   (turns.ts: no wait for a turn)
//
// With one tenant active no one is heavy or light; with tenants of like size, no one is.
export class TenantShares {
  readonly #of = new Map<string, { v: number; at: number }>();
  readonly #k: number;
  readonly #heavy: number;
  readonly #light: number;
  #total = 0;
  #totalAt = 0;
  /** Tenants active at #activeAt (counted at most once per millisecond). */
  #active = 0;
  #activeAt = -1;

  constructor(halfLifeMs = 1_000, heavyFactor = 1.5, lightFactor = 0.5) {
    this.#k = Math.LN2 / halfLifeMs;
    this.#heavy = heavyFactor;
    this.#light = lightFactor;
  }

  #decayed(e: { v: number; at: number }, now: number): number { return now > e.at ? e.v * Math.exp(-this.#k * (now - e.at)) : e.v; }

  add(tenantId: string, rows: number, now: number): void {
    this.#activeAt = -1;
    const e = this.#of.get(tenantId);
    if (e === undefined) this.#of.set(tenantId, { v: rows, at: now });
    else { e.v = this.#decayed(e, now) + rows; e.at = now; }
    this.#total = this.#decayed({ v: this.#total, at: this.#totalAt }, now) + rows;
    this.#totalAt = now;
    // Forget tenants whose share has decayed to nothing (a few half-lives idle).
    if (this.#of.size > 64) for (const [t, x] of this.#of) if (this.#decayed(x, now) < 1) this.#of.delete(t);
  }

  /** The tenant's weight ÷ the mean over tenants with at least a unit's weight; undefined with fewer than two such tenants. */
  #ratio(tenantId: string, now: number): number | undefined {
    if (this.#of.size < 2) return undefined;
    if (now !== this.#activeAt) {
      this.#active = 0;
      for (const x of this.#of.values()) if (this.#decayed(x, now) >= 1) this.#active++;
      this.#activeAt = now;
    }
    const active = this.#active;
    if (active < 2) return undefined;
    const e = this.#of.get(tenantId);
    const mean = this.#decayed({ v: this.#total, at: this.#totalAt }, now) / active;
    return e === undefined ? 0 : this.#decayed(e, now) / mean;
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

