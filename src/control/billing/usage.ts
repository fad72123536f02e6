// Usage per day (UTC) of a tenant's current billing period, as GET /api/v1/billing/usage shows
// it: events, bytes and anomalies counted by the engines, events already sent to Stripe by the
// usage reporter, and events recorded by hand.
//
//   period: the live subscription's, else the calendar month
//     ─▶ usage_counters, billing_usage_reports ('sent'), billing_manual_usage ('sent'), grouped by day
//     ─▶ one entry per day from the period's start to now (days without usage are zeros) + totals
import type pg from 'pg';
import type { StoredSubscription } from './store.js';
import { LIVE_STATUSES } from './subscription.js';

export interface UsageDay { date: string; events: number; bytes: number; anomalies: number; reported_events: number; manual_events: number }
export type UsageTotals = Omit<UsageDay, 'date'>;

export interface BillingPeriod { start: Date; end: Date; source: 'subscription' | 'calendar_month' }

/** The live subscription's current period, else the calendar month (UTC) that holds `now`. */
export function billingPeriod(sub: StoredSubscription | null, now: Date): BillingPeriod {
  if (sub !== null && LIVE_STATUSES.includes(sub.status) && sub.current_period_start !== null && sub.current_period_end !== null) {
    return { start: sub.current_period_start, end: sub.current_period_end, source: 'subscription' };
  }
  return {
    start: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)),
    end: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)),
    source: 'calendar_month',
  };
}

const day = (column: string): string => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;

/** The period's days, oldest first, up to now, and their totals. */
export async function usageByDay(pool: pg.Pool, tenantId: string, period: BillingPeriod, now: Date): Promise<{ days: UsageDay[]; totals: UsageTotals }> {
  const { start, end } = period;
  const [counted, reported, manual] = await Promise.all([
    pool.query<{ day: string; events: string; bytes: string; anomalies: string }>(
      `SELECT ${day('bucket')} AS day, sum(events) AS events, sum(bytes) AS bytes, sum(anomalies) AS anomalies
         FROM usage_counters WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY 1`, [tenantId, start, end]),
    pool.query<{ day: string; events: string }>(
      `SELECT ${day('bucket')} AS day, sum(events) AS events FROM billing_usage_reports
        WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 AND status = 'sent' GROUP BY 1`, [tenantId, start, end]),
    pool.query<{ day: string; events: string }>(
      `SELECT ${day('ts')} AS day, sum(events) AS events FROM billing_manual_usage
        WHERE tenant_id = $1 AND ts >= $2 AND ts < $3 AND status = 'sent' GROUP BY 1`, [tenantId, start, end]),
  ]);
  const byDay = new Map<string, UsageDay>();
  const at = (d: string): UsageDay => {
    let v = byDay.get(d);
    if (v === undefined) { v = { date: d, events: 0, bytes: 0, anomalies: 0, reported_events: 0, manual_events: 0 }; byDay.set(d, v); }
    return v;
  };
  const last = Math.min(end.getTime() - 1, now.getTime());
  for (let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); t <= last; t += 86_400_000) {
    at(new Date(t).toISOString().slice(0, 10));
  }
  for (const r of counted.rows) Object.assign(at(r.day), { events: Number(r.events), bytes: Number(r.bytes), anomalies: Number(r.anomalies) });
  for (const r of reported.rows) at(r.day).reported_events = Number(r.events);
  for (const r of manual.rows) at(r.day).manual_events = Number(r.events);
  const days = [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
  const totals: UsageTotals = { events: 0, bytes: 0, anomalies: 0, reported_events: 0, manual_events: 0 };
  for (const d of days) for (const k of Object.keys(totals) as (keyof UsageTotals)[]) totals[k] += d[k];
  return { days, totals };
}
