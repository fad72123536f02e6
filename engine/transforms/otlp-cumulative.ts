// Cumulative ──► delta for OTLP metrics (transforms/otlp-metrics.ts): the last cumulative value
// of each series, per tenant, so a cumulative monotonic sum, histogram or summary is stored as
// what changed since its previous point.
//
//   point (cumulative) ─► series key ─► previous (this request's earlier point, else the state)
//     none ─────────────► its start time is after this state began: the whole value is new (delta = value)
//                         else (series begun before: engine restart, eviction): a baseline, stored as nothing
//     start time changed, or the value (count) dropped ─► a reset: delta = the new value
//     else ─────────────► delta = value − previous (histograms: count and sum each)
//   the request's last point per series ─► commit() after the batch is durable (a refused or
//     failed request leaves the state as it was, so its resend computes the same deltas)
//
// Where the state lives and its bound: in memory, in the engine process that received the
// point (one CumulativeState per engine, created with its OTLP source); per tenant at most
// `maxSeriesPerTenant` series (default 10,000), the least recently updated evicted first, so one
// tenant's many series cannot evict another's. Lost on restart: each series' next point is then
// a baseline (OpenTelemetry Collector's cumulativetodelta `initial_value: auto` rule), never a
// spike of the whole count. With several engines behind a balancer, a series whose points
// alternate between engines gets baselines and deltas from each; keep one exporter on one engine
// (HTTP keep-alive does) or convert to delta in the Collector.

/** The previous cumulative point of one series. */
export interface SeriesPoint {
  /** startTimeUnixNano as sent ('' or '0' when unset). */
  readonly start: string;
  /** The cumulative value (a sum's value, a histogram's or summary's count). */
  readonly value: number;
  /** A histogram's or summary's cumulative sum (NaN when absent). */
  readonly sum: number;
}

export const MAX_SERIES_PER_TENANT = 10_000;

/** What changed since the previous point, or undefined for a baseline (nothing to store). */
export interface Delta {
  readonly value: number;
  readonly sum: number;
  readonly reset: boolean;
}

const startMs = (start: string): number => (/^\d{7,21}$/.test(start) ? Number(start.slice(0, -6)) : 0);

/**
 * The delta of `cur` after `prev`; `startedAtMs` is when the state began (a first point whose
 * series started after it was entirely seen here).
 */
export function cumulativeDelta(prev: SeriesPoint | undefined, cur: SeriesPoint, startedAtMs: number): Delta | undefined {
  if (prev === undefined) {
    const s = startMs(cur.start);
    return s > 0 && s >= startedAtMs ? { value: cur.value, sum: cur.sum, reset: false } : undefined;
  }
  const restarted = cur.start !== prev.start && startMs(cur.start) > 0;
  if (restarted || cur.value < prev.value) return { value: cur.value, sum: cur.sum, reset: true };
  return { value: cur.value - prev.value, sum: cur.sum - prev.sum, reset: false };
}

export class CumulativeState {
  readonly startedAtMs: number;
  readonly maxSeriesPerTenant: number;
  readonly #tenants = new Map<string, Map<string, SeriesPoint>>();

  constructor(startedAtMs: number, maxSeriesPerTenant = MAX_SERIES_PER_TENANT) {
    if (!Number.isSafeInteger(maxSeriesPerTenant) || maxSeriesPerTenant < 1) throw new TypeError('maxSeriesPerTenant must be a positive integer');
    this.startedAtMs = startedAtMs;
    this.maxSeriesPerTenant = maxSeriesPerTenant;
  }

  get(tenantId: string, key: string): SeriesPoint | undefined {
    return this.#tenants.get(tenantId)?.get(key);
  }

  /** Series held for a tenant. */
  size(tenantId: string): number {
    return this.#tenants.get(tenantId)?.size ?? 0;
  }

  /** Stores each series' latest point (moved to the newest end), evicting the tenant's oldest past the bound. */
  commit(tenantId: string, updates: ReadonlyMap<string, SeriesPoint>): void {
    if (updates.size === 0) return;
    let series = this.#tenants.get(tenantId);
    if (series === undefined) {
      series = new Map();
      this.#tenants.set(tenantId, series);
    }
    for (const [key, point] of updates) {
      series.delete(key);
      series.set(key, point);
    }
    // A Map iterates in insertion order: the first keys are the least recently updated.
    for (const key of series.keys()) {
      if (series.size <= this.maxSeriesPerTenant) break;
      series.delete(key);
    }
  }
}
