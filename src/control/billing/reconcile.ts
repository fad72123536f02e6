// Counted against reported: every closed hour of every tenant with a Stripe customer, from
// usage_counters, beside what billing_usage_reports says was sent for it.
//
//   usage_counters ⋈ billing_customers (closed hours) ──FULL JOIN── billing_usage_reports ─▶ one row per tenant and hour
//
// An hour matches when its row was sent with exactly the counted value. Anything else is a
// mismatch: unreported (counted, never claimed: the reporter has not run since), pending (claimed,
// Stripe not reached yet), differs (the counter grew after the hour was sent), rejected (Stripe
// refused it), expired (older than Stripe's window when first seen), no_counter (sent, but no
// counter row: the counter was deleted).
import type pg from 'pg';
import { HOUR_SETTLE_MS, lastClosedHour } from './meter.js';

export type ReconcileStatus = 'ok' | 'unreported' | 'pending' | 'differs' | 'rejected' | 'expired' | 'no_counter';

export interface ReconcileRow {
  tenantId: string;
  hour: Date;
  counted: number;
  /** Events in the meter event sent for the hour (0 unless sent). */
  reported: number;
  status: ReconcileStatus;
}

export interface ReconcileResult {
  checked: number;
  mismatches: ReconcileRow[];
  counted: number;
  reported: number;
}

export async function reconcile(pool: pg.Pool, opts: { now?: Date; settleMs?: number; since?: Date } = {}): Promise<ReconcileResult> {
  const closed = lastClosedHour(opts.now ?? new Date(), opts.settleMs ?? HOUR_SETTLE_MS);
  const since = opts.since ?? new Date(0);
  const { rows } = await pool.query<{ tenant_id: string; bucket: Date; counted: string | null; claimed: string | null; status: string | null }>(
    `WITH counted AS (
       SELECT u.tenant_id, u.bucket, u.events FROM usage_counters u JOIN billing_customers c ON c.tenant_id = u.tenant_id
        WHERE u.events > 0 AND u.bucket >= date_trunc('hour', c.created_at) AND u.bucket <= $1 AND u.bucket >= $2),
     reports AS (SELECT tenant_id, bucket, events, status FROM billing_usage_reports WHERE bucket >= $2)
     SELECT coalesce(k.tenant_id, r.tenant_id) AS tenant_id, coalesce(k.bucket, r.bucket) AS bucket,
            k.events AS counted, r.events AS claimed, r.status
       FROM counted k FULL JOIN reports r ON r.tenant_id = k.tenant_id AND r.bucket = k.bucket
      ORDER BY 1, 2`, [closed, since]);
  const out: ReconcileResult = { checked: rows.length, mismatches: [], counted: 0, reported: 0 };
  for (const r of rows) {
    const counted = Number(r.counted ?? 0);
    const reported = r.status === 'sent' ? Number(r.claimed) : 0;
    let status: ReconcileStatus;
    if (r.status === null) status = 'unreported';
    else if (r.status !== 'sent') status = r.status as ReconcileStatus;
    else if (r.counted === null) status = 'no_counter';
    else status = reported === counted ? 'ok' : 'differs';
    out.counted += counted;
    out.reported += reported;
    if (status !== 'ok') out.mismatches.push({ tenantId: r.tenant_id, hour: r.bucket, counted, reported, status });
  }
  return out;
}

/** The table `driftwatch billing reconcile` prints, and its last line. */
export function formatReconcile(r: ReconcileResult): string {
  const lines = [];
  if (r.mismatches.length > 0) {
    lines.push(`${'tenant'.padEnd(36)}  ${'hour (UTC)'.padEnd(17)}  ${'counted'.padStart(12)}  ${'reported'.padStart(12)}  status`);
    for (const m of r.mismatches) {
      lines.push(`${m.tenantId}  ${m.hour.toISOString().slice(0, 16)}Z  ${String(m.counted).padStart(12)}  ${String(m.reported).padStart(12)}  ${m.status}`);
    }
  }
  lines.push(`checked ${r.checked} tenant-hours: ${r.checked - r.mismatches.length} match, ${r.mismatches.length} mismatch; counted ${r.counted} events, reported ${r.reported}`);
  return lines.join('\n');
}
