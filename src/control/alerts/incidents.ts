// Anomalies to notifications: one delivery per detection incident and channel.
//
//   LiveHub.onAnomalies(tenant, anomalies)  (every instance hears every NOTIFY)
//     ─► group by the incident each notifies as (format.ts alertIncidentId: detection's
//        incident_id; a row without one: its stream, detector and window)
//     ─► per incident, for each enabled rule matching the stream with an anomaly ≥ min_score:
//          INSERT alert_deliveries (channel, incident_id, dedupe 'incident:<id>') ON CONFLICT DO NOTHING
//            (status suppressed when in the rule's quiet hours or the stream/pattern is muted)
//     ─► the dispatcher is woken when something was queued
//
// Nothing else is kept. The incident itself (count, first and last time, its lines) is the
// anomalies grouped by incident_id (src/control/anomalies/incidents.ts, GET /api/v1/incidents);
// the delivery log's unique (channel, dedupe_key) is the whole notification state: an incident is
// queued once per channel however many batches its lines come in and however many instances hear
// them (each makes the same inserts; the first wins, the others change nothing). A later line of
// an incident already queued, sent or suppressed queues nothing.
import type pg from 'pg';
import { type AlertMessage, alertIncidentId, inQuietHours, streamMatches } from './format.js';

export interface FoldAnomaly {
  id: string; stream: string; detector: string; score: number; explanation: string; event: unknown; details: unknown; detected_at: string;
  /** Detection's incident (anomalies.incident_id); null for rows stored before incidents. */
  incident_id?: string | null;
}

interface RuleRow { id: string; name: string; streams: string[] | null; min_score: number; channel_ids: string[]; quiet_start: string | null; quiet_end: string | null; quiet_tz: string | null }
/** One incident's anomalies in this call, oldest first. */
interface Incident { id: string; first: FoldAnomaly; added: FoldAnomaly[] }

export interface FoldOptions { windowMs: number; dashboardUrl: string; now: () => Date }

/** Queues the notifications of one tenant's anomalies; returns how many anomalies were looked at and how many deliveries were queued (pending). */
export async function foldAnomalies(pool: pg.Pool, tenantId: string, list: readonly FoldAnomaly[], o: FoldOptions): Promise<{ folded: number; queued: number }> {
  if (list.length === 0) return { folded: 0, queued: 0 };
  const groups = new Map<string, FoldAnomaly[]>();
  for (const a of list) {
    const k = alertIncidentId(tenantId, a, o.windowMs);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [a]); else g.push(a);
  }
  const { rows: rules } = await pool.query<RuleRow>(
    `SELECT id, name, streams, min_score, channel_ids, quiet_start, quiet_end, quiet_tz FROM alert_rules
      WHERE tenant_id = $1 AND enabled ORDER BY created_at, id`, [tenantId]);
  let queued = 0;
  if (rules.length > 0) {
    for (const [id, group] of groups) {
      group.sort((a, b) => Date.parse(a.detected_at) - Date.parse(b.detected_at));
      queued += await queueDeliveries(pool, tenantId, rules, { id, first: group[0], added: group }, o);
    }
  }
  return { folded: list.length, queued };
}

/** Why a notification for this anomaly is held back (a mute of the stream or of a pattern it contains), or undefined. */
async function muted(db: pg.Pool, tenantId: string, a: FoldAnomaly): Promise<string | undefined> {
  const { rows } = await db.query<{ pattern: string | null }>(
    `SELECT pattern FROM stream_mutes WHERE tenant_id = $1 AND stream = $2 AND until > now()
        AND (pattern IS NULL OR strpos($3, pattern) > 0 OR strpos($4, pattern) > 0) LIMIT 1`,
    [tenantId, a.stream, a.explanation, JSON.stringify(a.event)]);
  if (rows.length === 0) return undefined;
  return rows[0].pattern === null ? 'stream muted' : `pattern muted: ${rows[0].pattern}`;
}

async function queueDeliveries(db: pg.Pool, tenantId: string, rules: readonly RuleRow[], inc: Incident, o: FoldOptions): Promise<number> {
  let mute: string | undefined | null = null;
  const todo: { r: RuleRow; trigger: FoldAnomaly; why: string | null }[] = [];
  for (const r of rules) {
    if (!streamMatches(r.streams, inc.first.stream)) continue;
    const trigger = inc.added.find((a) => a.score >= r.min_score);
    if (trigger === undefined) continue;
    if (mute === null) mute = await muted(db, tenantId, trigger);
    const quiet = r.quiet_start !== null && r.quiet_end !== null && inQuietHours(o.now(), r.quiet_start, r.quiet_end, r.quiet_tz ?? 'UTC');
    todo.push({ r, trigger, why: mute ?? (quiet ? `quiet hours ${r.quiet_start}-${r.quiet_end} ${r.quiet_tz ?? 'UTC'}` : null) });
  }
  // Rules that send go first: a channel that one rule would hold back and another send is sent to.
  todo.sort((x, y) => Number(x.why !== null) - Number(y.why !== null));
  let queued = 0;
  for (const { r, trigger, why } of todo) {
    const payload = incidentMessage(inc, trigger, r, o.dashboardUrl);
    const { rowCount } = await db.query(
      `INSERT INTO alert_deliveries (tenant_id, channel_id, incident_id, rule_id, event, dedupe_key, payload, status, last_error)
       SELECT $1, c.id, $2, $3, $4, $5, $6, $7, $8 FROM alert_channels c WHERE c.tenant_id = $1 AND c.id = ANY($9::uuid[])
       ON CONFLICT (tenant_id, channel_id, dedupe_key) DO NOTHING`,
      [tenantId, inc.id, r.id, payload.event, `incident:${inc.id}`, payload, why === null ? 'pending' : 'suppressed', why, r.channel_ids]);
    if (why === null) queued += rowCount ?? 0;
  }
  return queued;
}

function incidentMessage(inc: Incident, a: FoldAnomaly, rule: RuleRow, dashboardUrl: string): AlertMessage {
  const url = `${dashboardUrl}/#/anomaly/${a.id}`;
  const line = typeof a.event === 'string' ? a.event : JSON.stringify(a.event);
  return {
    event: 'incident.opened',
    title: `Anomaly in ${a.stream} (score ${a.score.toFixed(2)})`,
    text: `${a.explanation}\n\n${line.length > 500 ? `${line.slice(0, 497)}...` : line}\n\nDetector ${a.detector}; further anomalies of this kind in ${a.stream} within the incident window are folded into this incident (no new notification).`,
    url,
    data: {
      incident: { id: inc.id, stream: a.stream, detector: a.detector, first_anomaly_id: inc.first.id, opened_at: inc.first.detected_at, detected: (a.incident_id ?? null) !== null },
      anomaly: { id: a.id, stream: a.stream, score: a.score, detector: a.detector, explanation: a.explanation, event: a.event, detected_at: a.detected_at },
      rule: { id: rule.id, name: rule.name },
    },
  };
}
