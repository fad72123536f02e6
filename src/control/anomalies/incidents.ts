// Incidents: the tenant's anomalies grouped by incident_id (engine/transforms/incidents.ts folds
// related findings of a stream into one). An incident is read, never stored apart: its count,
// first and last event time, top score, status (open while any of its lines is open), its
// first explanation and sample lines. Every statement filters on the caller's tenant.
import type pg from 'pg';
import { TenantFilter } from '../tenant-filter.js';
import { ANOMALY_COLUMNS, type AnomalyRow } from './service.js';

export interface IncidentRow {
  id: string; stream: string; stream_type: string; detector: string; explanation: string;
  count: string; max_score: number; first_ts: Date | null; last_ts: Date | null;
  first_detected_at: Date; last_detected_at: Date; open: boolean; samples: unknown[];
}

export interface IncidentFilter {
  stream?: string; status?: 'open' | 'closed';
  /** last detected_at >= since, first < until (ISO date-times). */
  since?: string; until?: string;
}

/** Sample lines kept per incident in lists and reads (the first lines, in event time). */
export const INCIDENT_SAMPLES = 3;

const AGGREGATE = `incident_id AS id, min(stream) AS stream, min(stream_type) AS stream_type,
  (array_agg(detector ORDER BY event_ts, id))[1] AS detector,
  (array_agg(explanation ORDER BY event_ts, id))[1] AS explanation,
  count(*) AS count, max(score) AS max_score, min(event_ts) AS first_ts, max(event_ts) AS last_ts,
  min(detected_at) AS first_detected_at, max(detected_at) AS last_detected_at,
  bool_or(status = 'open') AS open,
  (array_agg(event ORDER BY event_ts, id))[1:${INCIDENT_SAMPLES}] AS samples`;

/** One page of incidents, the most recently active first, and how many match in all. */
export async function listIncidents(pool: pg.Pool, tenantId: string, q: IncidentFilter, limit: number, offset: number): Promise<{ rows: IncidentRow[]; total: number }> {
  const f = new TenantFilter(tenantId)
    .add('stream = ?', q.stream)
    .addHaving('max(detected_at) >= ?', q.since)
    .addHaving('min(detected_at) < ?', q.until)
    .addHaving("bool_or(status = 'open')", q.status === 'open')
    .addHaving("NOT bool_or(status = 'open')", q.status === 'closed');
  const base = `FROM anomalies WHERE ${f.where} AND incident_id IS NOT NULL GROUP BY incident_id ${f.havingClause}`;
  const pg = f.page(limit, offset);
  const [page, count] = await Promise.all([
    pool.query<IncidentRow>(`SELECT ${AGGREGATE} ${base} ORDER BY max(detected_at) DESC, incident_id DESC ${pg.clause}`, pg.params),
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM (SELECT 1 ${base}) AS i`, f.params),
  ]);
  return { rows: page.rows, total: Number(count.rows[0].n) };
}

/** One incident and a page of its lines (in event time), or undefined when the tenant has none such. */
export async function incidentById(pool: pg.Pool, tenantId: string, id: string, limit: number, offset: number): Promise<{ incident: IncidentRow; lines: AnomalyRow[] } | undefined> {
  const head = await pool.query<IncidentRow>(`SELECT ${AGGREGATE} FROM anomalies WHERE tenant_id = $1 AND incident_id = $2 GROUP BY incident_id`, [tenantId, id]);
  if (head.rows.length === 0) return undefined;
  const lines = await pool.query<AnomalyRow>(
    `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE tenant_id = $1 AND incident_id = $2 ORDER BY event_ts, id LIMIT $3 OFFSET $4`, [tenantId, id, limit, offset]);
  return { incident: head.rows[0], lines: lines.rows };
}

/** Resolves every open line of the incident; false when the tenant has no such incident. */
export async function resolveIncident(pool: pg.Pool, tenantId: string, id: string): Promise<number | undefined> {
  const { rowCount } = await pool.query(
    `UPDATE anomalies SET status = 'resolved', resolved_at = coalesce(resolved_at, now())
      WHERE tenant_id = $1 AND incident_id = $2 AND status = 'open'`, [tenantId, id]);
  if (rowCount !== 0) return rowCount ?? 0;
  const any = await pool.query('SELECT 1 FROM anomalies WHERE tenant_id = $1 AND incident_id = $2 LIMIT 1', [tenantId, id]);
  return any.rows.length === 0 ? undefined : 0;
}
