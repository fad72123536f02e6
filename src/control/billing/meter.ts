// Which hours of usage are billed, under which identifier, and how long to wait between tries.
// Pure: src/control/billing/reporter.ts does the I/O.
//
//   usage_counters (tenant, hour) ─▶ closed? (hour end + HOUR_SETTLE_MS <= now)
//                                 ─▶ within Stripe's window? (hour >= now - 35 days + margin) ── no ─▶ expired (logged)
//                                 ─▶ meter event { identifier: usageIdentifier(tenant, hour), timestamp: hour }

/** Stripe accepts meter events whose timestamp is at most 35 calendar days old. */
export const STRIPE_METER_WINDOW_MS = 35 * 86_400_000;
/** We stop an hour short of the edge, so that a request in flight does not cross it. */
export const METER_WINDOW_MARGIN_MS = 3_600_000;
export const HOUR_MS = 3_600_000;
/**
 * The engine counts an event in the hour its transaction started (date_trunc('hour', now())), so
 * an hour's row can still grow for as long as a transaction that began in it is open: we wait
 * this long after the hour ends before billing it.
 */
export const HOUR_SETTLE_MS = 5 * 60_000;

/** The last hour bucket that is complete at `now`. */
export function lastClosedHour(now: Date, settleMs = HOUR_SETTLE_MS): Date {
  const t = now.getTime() - settleMs - HOUR_MS;
  return new Date(Math.floor(t / HOUR_MS) * HOUR_MS);
}

/** The oldest hour bucket that may still be sent. */
export function oldestSendableHour(now: Date): Date {
  const t = now.getTime() - STRIPE_METER_WINDOW_MS + METER_WINDOW_MARGIN_MS;
  return new Date(Math.ceil(t / HOUR_MS) * HOUR_MS);
}

/**
 * The meter event identifier of a tenant's hour: `dwu-<tenant id>-YYYY-MM-DDTHH` (UTC, 54
 * characters; Stripe allows 100). The SQL in reporter.ts builds the same string (USAGE_IDENTIFIER_SQL).
 */
export function usageIdentifier(tenantId: string, bucket: Date): string {
  return `dwu-${tenantId}-${bucket.toISOString().slice(0, 13)}`;
}

/** SQL expression of usageIdentifier() over columns tenant_id and bucket. */
export const USAGE_IDENTIFIER_SQL =
  `'dwu-' || u.tenant_id::text || '-' || to_char(u.bucket AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24')`;

/** Identifier of a manual record (POST /api/v1/billing/usage). */
export const manualIdentifier = (id: string): string => `dwm-${id}`;

/** Delay before retry number `attempt` (1, 2, ...): exponential, capped, with up to 20% jitter. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (0.8 + 0.2 * random()));
}
