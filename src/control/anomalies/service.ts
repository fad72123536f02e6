// The tenant's anomalies in PostgreSQL: list (filters, newest first, a page and the total),
// read, delete, resolve, the latest few. Every statement filters on the caller's tenant; another
// tenant's id is "not found" (undefined / false here).
import type pg from 'pg';
import { TenantFilter } from '../tenant-filter.js';

export interface AnomalyRow {
  id: string; stream: string; stream_type: string; score: number; detector: string; explanation: string;
  event: unknown; details: unknown; event_ts: Date | null; detected_at: Date; status: string; resolved_at: Date | null;
  incident_id: string | null;
}
export const ANOMALY_COLUMNS = 'id, stream, stream_type, score, detector, explanation, event, details, event_ts, detected_at, status, resolved_at, incident_id';

export interface AnomalyFilter {
  stream?: string; stream_type?: string; status?: string;
  /** detected_at >= since, < until (ISO date-times). */
  since?: string; until?: string; min_score?: number;
}

/** One page, newest first (detected_at, then id), and how many match in all. */
export async function listAnomalies(pool: pg.Pool, tenantId: string, q: AnomalyFilter, limit: number, offset: number): Promise<{ rows: AnomalyRow[]; total: number }> {
  const f = new TenantFilter(tenantId)
    .add('stream = ?', q.stream)
    .add('stream_type = ?', q.stream_type)
    .add('status = ?', q.status)
    .add('detected_at >= ?', q.since)
    .add('detected_at < ?', q.until)
    .add('score >= ?', q.min_score);
  const pg = f.page(limit, offset);
  const [page, count] = await Promise.all([
    pool.query<AnomalyRow>(
      `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE ${f.where} ORDER BY detected_at DESC, id DESC ${pg.clause}`, pg.params),
    pool.query<{ n: string }>(`SELECT count(*) AS n FROM anomalies WHERE ${f.where}`, f.params),
  ]);
  return { rows: page.rows, total: Number(count.rows[0].n) };
}

export async function anomalyById(pool: pg.Pool, tenantId: string, id: string): Promise<AnomalyRow | undefined> {
  const { rows } = await pool.query<AnomalyRow>(`SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0];
}

/** false when the tenant has no such anomaly. */
export async function deleteAnomaly(pool: pg.Pool, tenantId: string, id: string): Promise<boolean> {
  const { rowCount } = await pool.query('DELETE FROM anomalies WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rowCount !== 0;
}

/** Marks it resolved (the first resolution time is kept). */
export async function resolveAnomaly(pool: pg.Pool, tenantId: string, id: string): Promise<AnomalyRow | undefined> {
  const { rows } = await pool.query<AnomalyRow>(
    `UPDATE anomalies SET status = 'resolved', resolved_at = coalesce(resolved_at, now())
      WHERE id = $1 AND tenant_id = $2 RETURNING ${ANOMALY_COLUMNS}`, [id, tenantId]);
  return rows[0];
}

/** The tenant's `n` latest anomalies. */
export async function recentAnomalies(pool: pg.Pool, tenantId: string, n: number): Promise<AnomalyRow[]> {
  const { rows } = await pool.query<AnomalyRow>(
    `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE tenant_id = $1 ORDER BY detected_at DESC, id DESC LIMIT ${n}`, [tenantId]);
  return rows;
}
