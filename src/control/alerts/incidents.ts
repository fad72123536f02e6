// Folding stored anomalies into incidents, and queueing one delivery per incident and channel.
//
//   LiveHub.onAnomalies(tenant, anomalies)  (every instance hears every NOTIFY)
//     ─► group by incidentKey: detection's incident_id (then the alert incident has that id),
//        else stream + detector within the window (rows stored before incidents; format.ts)
//     ─► per group, one transaction under pg_advisory_xact_lock(tenant, key):
//          drop anomalies already folded (alert_incident_anomalies, primary key: once across instances)
//          join the incident of that id, or (no id) the key's incident whose last anomaly is < window before; else open one
//          for each enabled rule matching the stream with a new anomaly ≥ min_score:
//            INSERT alert_deliveries (channel, 'incident:<id>') ON CONFLICT DO NOTHING
//              (status suppressed when in the rule's quiet hours or the stream/pattern is muted)
//     ─► the dispatcher is woken when something was queued
import type pg from 'pg';
import { type AlertMessage, inQuietHours, incidentKey, streamMatches } from './format.js';

export interface FoldAnomaly {
  id: string; stream: string; detector: string; score: number; explanation: string; event: unknown; details: unknown; detected_at: string;
  /** Detection's incident (anomalies.incident_id); null for rows stored before incidents. */
  incident_id?: string | null;
}

interface RuleRow { id: string; name: string; streams: string[] | null; min_score: number; channel_ids: string[]; quiet_start: string | null; quiet_end: string | null; quiet_tz: string | null }
interface Incident { id: string; last: number; fresh: boolean; count: number; first: FoldAnomaly; added: FoldAnomaly[] }

export interface FoldOptions { windowMs: number; dashboardUrl: string; now: () => Date }

/** Folds the anomalies of one tenant; returns how many were folded here (not before) and how many deliveries were queued (pending). */
export async function foldAnomalies(pool: pg.Pool, tenantId: string, list: readonly FoldAnomaly[], o: FoldOptions): Promise<{ folded: number; queued: number }> {
  const groups = new Map<string, FoldAnomaly[]>();
  for (const a of list) {
    const k = incidentKey(a);
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [a]); else g.push(a);
  }
  const out = { folded: 0, queued: 0 };
  for (const [key, group] of groups) {
    const r = await foldGroup(pool, tenantId, key, group, o);
    out.folded += r.folded;
    out.queued += r.queued;
  }
  return out;
}

async function foldGroup(pool: pg.Pool, tenantId: string, key: string, group: FoldAnomaly[], o: FoldOptions): Promise<{ folded: number; queued: number }> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`alerts:${tenantId}:${key}`]);
    const seen = await client.query<{ anomaly_id: string }>(
      'SELECT anomaly_id FROM alert_incident_anomalies WHERE tenant_id = $1 AND anomaly_id = ANY($2::uuid[])', [tenantId, group.map((a) => a.id)]);
    const done = new Set(seen.rows.map((r) => r.anomaly_id));
    const fresh = group.filter((a) => !done.has(a.id)).sort((a, b) => Date.parse(a.detected_at) - Date.parse(b.detected_at));
    if (fresh.length === 0) {
      await client.query('COMMIT');
      return { folded: 0, queued: 0 };
    }
    const incidents = await assign(client, tenantId, key, fresh, o.windowMs);
    let queued = 0;
    for (const inc of incidents) {
      await saveIncident(client, tenantId, key, inc);
      queued += await queueDeliveries(client, tenantId, inc, o);
    }
    await client.query('COMMIT');
    return { folded: fresh.length, queued };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** The incidents the anomalies (oldest first) join: detection's incident (by id), or the key's open one, or new ones where the gap exceeds the window. */
async function assign(client: pg.PoolClient, tenantId: string, key: string, fresh: FoldAnomaly[], windowMs: number): Promise<Incident[]> {
  const detected = fresh[0].incident_id ?? null;
  const { rows } = detected !== null
    ? await client.query<{ id: string; last_at: Date; count: number }>(
      `SELECT id, last_at, count FROM alert_incidents WHERE id = $1 AND tenant_id = $2`, [detected, tenantId])
    : await client.query<{ id: string; last_at: Date; count: number }>(
      `SELECT id, last_at, count FROM alert_incidents WHERE tenant_id = $1 AND kind = 'anomaly' AND key = $2
        ORDER BY last_at DESC LIMIT 1`, [tenantId, key]);
  const window = detected !== null ? Infinity : windowMs;
  const out: Incident[] = [];
  let cur: Incident | undefined;
  const open = rows[0];
  for (const a of fresh) {
    const t = Date.parse(a.detected_at);
    if (cur === undefined && open !== undefined && t - open.last_at.getTime() <= window) {
      cur = { id: open.id, last: open.last_at.getTime(), fresh: false, count: open.count, first: a, added: [] };
      out.push(cur);
    }
    if (cur === undefined || t - cur.last > window) {
      const id = detected ?? (await client.query<{ id: string }>('SELECT gen_random_uuid() AS id')).rows[0].id;
      cur = { id, last: t, fresh: true, count: 0, first: a, added: [] };
      out.push(cur);
    }
    cur.added.push(a);
    cur.count++;
    cur.last = Math.max(cur.last, t);
  }
  return out;
}

async function saveIncident(client: pg.PoolClient, tenantId: string, key: string, inc: Incident): Promise<void> {
  const max = Math.max(...inc.added.map((a) => a.score));
  if (inc.fresh) {
    await client.query(
      `INSERT INTO alert_incidents (id, tenant_id, kind, key, stream, detector, first_anomaly_id, first_at, last_at, count, max_score)
       VALUES ($1, $2, 'anomaly', $3, $4, $5, $6, $7, $8, $9, $10)`,
      [inc.id, tenantId, key, inc.first.stream, inc.first.detector, inc.first.id, inc.first.detected_at, new Date(inc.last), inc.count, max]);
  } else {
    await client.query(
      `UPDATE alert_incidents SET last_at = greatest(last_at, $2), count = count + $3, max_score = greatest(max_score, $4) WHERE tenant_id = $5 AND id = $1`,
      [inc.id, new Date(inc.last), inc.added.length, max, tenantId]);
  }
  await client.query(
    `INSERT INTO alert_incident_anomalies (tenant_id, anomaly_id, incident_id) SELECT $3, unnest($1::uuid[]), $2 ON CONFLICT DO NOTHING`,
    [inc.added.map((a) => a.id), inc.id, tenantId]);
}

/** Why a notification for this anomaly is held back (a mute of the stream or of a pattern it contains), or undefined. */
async function muted(client: pg.PoolClient, tenantId: string, a: FoldAnomaly): Promise<string | undefined> {
  const { rows } = await client.query<{ pattern: string | null }>(
    `SELECT pattern FROM stream_mutes WHERE tenant_id = $1 AND stream = $2 AND until > now()
        AND (pattern IS NULL OR strpos($3, pattern) > 0 OR strpos($4, pattern) > 0) LIMIT 1`,
    [tenantId, a.stream, a.explanation, JSON.stringify(a.event)]);
  if (rows.length === 0) return undefined;
  return rows[0].pattern === null ? 'stream muted' : `pattern muted: ${rows[0].pattern}`;
}

async function queueDeliveries(client: pg.PoolClient, tenantId: string, inc: Incident, o: FoldOptions): Promise<number> {
  const { rows: rules } = await client.query<RuleRow>(
    `SELECT id, name, streams, min_score, channel_ids, quiet_start, quiet_end, quiet_tz FROM alert_rules
      WHERE tenant_id = $1 AND enabled ORDER BY created_at, id`, [tenantId]);
  let mute: string | undefined | null = null;
  const todo: { r: RuleRow; trigger: FoldAnomaly; why: string | null }[] = [];
  for (const r of rules) {
    if (!streamMatches(r.streams, inc.first.stream)) continue;
    const trigger = inc.added.find((a) => a.score >= r.min_score);
    if (trigger === undefined) continue;
    if (mute === null) mute = await muted(client, tenantId, trigger);
    const quiet = r.quiet_start !== null && r.quiet_end !== null && inQuietHours(o.now(), r.quiet_start, r.quiet_end, r.quiet_tz ?? 'UTC');
    todo.push({ r, trigger, why: mute ?? (quiet ? `quiet hours ${r.quiet_start}-${r.quiet_end} ${r.quiet_tz ?? 'UTC'}` : null) });
  }
  // Rules that send go first: a channel that one rule would hold back and another send is sent to.
  todo.sort((x, y) => Number(x.why !== null) - Number(y.why !== null));
  let queued = 0;
  for (const { r, trigger, why } of todo) {
    const payload = incidentMessage(inc, trigger, r, o.dashboardUrl);
    const { rowCount } = await client.query(
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
