// System alerts: a tenant's usage reaching 80% and 100% of its plan's monthly quota (at 100% the
// engine refuses its ingest with 429 DW_ERR_QUOTA_EXCEEDED until the month turns or the plan
// grows), and its engine VM crashing (the machine registry's vm.crash audit rows). Sent to the
// tenant's channels with system_alerts on, ignoring rules and quiet hours.
//
//   tenants with a system channel ─► planUsage (this UTC month) ─► threshold reached
//   vm.crash audit rows of the last hour ─┐                       │
//                                         ▼                       ▼
//     INSERT alert_incidents (tenant, key) ON CONFLICT DO NOTHING (key quota:<month>:<80|100>, vm_crash:<audit id>)
//       └─ inserted (by exactly one instance) ─► one delivery per system channel
import type pg from 'pg';
import { monthTag, planUsage, type UsageStore } from '../../core/usage.js';
import type { AlertMessage } from './format.js';

export const QUOTA_THRESHOLDS = [80, 100] as const;
/** How long the delivery log and system events are kept (finished deliveries; system events by last_at). */
export const ALERT_HISTORY_DAYS = 90;
const CRASH_LOOKBACK = '1 hour';

/** Raises what is due; returns how many deliveries were queued. */
export async function checkSystem(pool: pg.Pool, usage: UsageStore, o: { now: Date; dashboardUrl: string }): Promise<number> {
  const { rows: tenants } = await pool.query<{ tenant_id: string }>('SELECT DISTINCT tenant_id FROM alert_channels WHERE system_alerts');
  let queued = 0;
  for (const { tenant_id: tenantId } of tenants) {
    const u = await planUsage(pool, usage, tenantId, o.now.getTime());
    if (u.limit === null || u.limit <= 0) continue;
    const pct = (u.usage.events / u.limit) * 100;
    for (const t of QUOTA_THRESHOLDS) {
      if (pct < t) continue;
      const month = monthTag(o.now.getTime()).slice(1);
      const full = t >= 100;
      queued += await raise(pool, tenantId, 'quota', `quota:${month}:${t}`, {
        event: 'usage.quota',
        title: full ? `Quota used up: ingest is refused (${u.planName} plan)` : `${t}% of this month's quota used (${u.planName} plan)`,
        text: `${u.usage.events.toLocaleString('en-US')} of ${u.limit.toLocaleString('en-US')} events this month (${Math.floor(pct)}%).` +
          (full ? ' The engine refuses further events (429 DW_ERR_QUOTA_EXCEEDED) until the month ends or the plan is upgraded.' : ' Upgrade the plan before ingest is refused at 100%.'),
        url: `${o.dashboardUrl}/#/account`,
        data: { threshold: t, events: u.usage.events, limit: u.limit, plan: u.plan, month, ingest_refused: full },
      });
    }
  }
  const { rows: crashes } = await pool.query<{ id: string; tenant_id: string; target: string | null; details: Record<string, unknown> | null; created_at: Date }>(
    `SELECT a.id, a.tenant_id, a.target, a.details, a.created_at FROM audit_log a
      WHERE a.tenant_id IN (SELECT tenant_id FROM alert_channels WHERE system_alerts)
        AND a.action = 'vm.crash' AND a.created_at > now() - interval '${CRASH_LOOKBACK}' ORDER BY a.id`);
  for (const c of crashes) {
    const problem = typeof c.details?.problem === 'string' ? c.details.problem : 'unknown';
    queued += await raise(pool, c.tenant_id, 'vm_crash', `vm_crash:${c.id}`, {
      event: 'vm.crashed',
      title: "Your engine VM crashed",
      text: `The engine machine ${c.target ?? ''} was found unhealthy at ${c.created_at.toISOString()} (${problem}); driftwatch restarts it with back-off. Ingest to it fails until it is back.`,
      url: `${o.dashboardUrl}/#/account`,
      data: { machine: c.target, problem, at: c.created_at.toISOString(), next_attempt_at: c.details?.next_attempt_at ?? null },
    });
  }
  return queued;
}

/** The incident once per (tenant, key), with one delivery per system channel; 0 when it was raised before. */
async function raise(pool: pg.Pool, tenantId: string, kind: 'quota' | 'vm_crash', key: string, m: AlertMessage): Promise<number> {
  const { rowCount } = await pool.query(
    `WITH inc AS (
       INSERT INTO alert_incidents (tenant_id, kind, key, details) VALUES ($1, $2, $3, $4)
       ON CONFLICT (tenant_id, key) WHERE kind <> 'anomaly' DO NOTHING RETURNING id)
     INSERT INTO alert_deliveries (tenant_id, channel_id, incident_id, event, dedupe_key, payload)
     SELECT $1, c.id, inc.id, $5, 'incident:' || inc.id, $6 FROM inc, alert_channels c WHERE c.tenant_id = $1 AND c.system_alerts`,
    [tenantId, kind, key, m.data, m.event, m]);
  return rowCount ?? 0;
}

/**
 * Drops delivery-log rows (sent, failed, suppressed) and system events (alert_incidents) older
 * than ALERT_HISTORY_DAYS. Returns how many rows went. A detection incident's notification state
 * is its delivery rows, so once they are pruned a line folded into that incident 90 days on
 * (the engine's fold gap is 5 minutes of event time: only a replay of old events does that)
 * would notify again.
 */
export async function pruneHistory(pool: pg.Pool): Promise<number> {
  const d = await pool.query(
    `DELETE FROM alert_deliveries WHERE created_at < now() - make_interval(days => $1) AND status IN ('sent', 'failed', 'suppressed')`, [ALERT_HISTORY_DAYS]);
  const i = await pool.query(`DELETE FROM alert_incidents WHERE last_at < now() - make_interval(days => $1)`, [ALERT_HISTORY_DAYS]);
  return (d.rowCount ?? 0) + (i.rowCount ?? 0);
}
