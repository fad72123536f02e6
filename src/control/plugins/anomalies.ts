// The tenant's anomalies: list (filters, newest first, paginated), read, delete, resolve.
// Every statement filters on the caller's tenant; another tenant's id is "not found".
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { coerceQueryNumbers, TenantFilter, ANOMALY_COLUMNS, ANOMALY_STATUSES, STREAM_TYPES, anomalyJson, anomalySchema, paginationProps, uuidParams, type AnomalyRow } from './schemas.js';

interface ListQuery {
  limit: number; offset: number; stream?: string; stream_type?: string; status?: string;
  since?: string; until?: string; min_score?: number;
}

export const anomaliesPlugin = definePlugin(async function anomalies(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const reader = authenticate({ scope: 'read' });

  const listQuery = {
    type: 'object',
    properties: {
      ...paginationProps,
      stream: { type: 'string', minLength: 1, maxLength: 500 },
      stream_type: { type: 'string', enum: [...STREAM_TYPES] },
      status: { type: 'string', enum: [...ANOMALY_STATUSES] },
      since: { type: 'string', format: 'date-time', description: 'detected_at >= since' },
      until: { type: 'string', format: 'date-time', description: 'detected_at < until' },
      min_score: { type: 'number' },
    },
  };

  app.get<{ Querystring: ListQuery }>('/anomalies', {
    onRequest: reader,
    preValidation: coerceQueryNumbers(listQuery),
    schema: {
      summary: "The tenant's anomalies, newest first (detected_at, then id)",
      tags: ['anomalies'],
      querystring: listQuery,
      response: {
        200: {
          type: 'object',
          properties: { anomalies: { type: 'array', items: anomalySchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          required: ['anomalies', 'total', 'limit', 'offset'],
        },
      },
    },
  }, async function listAnomalies(req) {
    const p = principalOf(req);
    const q = req.query;
    const f = new TenantFilter(p.tenantId)
      .add('stream = ?', q.stream)
      .add('stream_type = ?', q.stream_type)
      .add('status = ?', q.status)
      .add('detected_at >= ?', q.since)
      .add('detected_at < ?', q.until)
      .add('score >= ?', q.min_score);
    const pg = f.page(q.limit, q.offset);
    const [page, count] = await Promise.all([
      pool.query<AnomalyRow>(
        `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE ${f.where} ORDER BY detected_at DESC, id DESC ${pg.clause}`, pg.params),
      pool.query<{ n: string }>(`SELECT count(*) AS n FROM anomalies WHERE ${f.where}`, f.params),
    ]);
    return { anomalies: page.rows.map(anomalyJson), total: Number(count.rows[0].n), limit: q.limit, offset: q.offset };
  });

  app.get<{ Params: { id: string } }>('/anomalies/:id', {
    onRequest: reader,
    schema: { summary: 'One anomaly', tags: ['anomalies'], params: uuidParams, response: { 200: anomalySchema } },
  }, async function getAnomaly(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<AnomalyRow>(
      `SELECT ${ANOMALY_COLUMNS} FROM anomalies WHERE id = $1 AND tenant_id = $2`, [req.params.id, p.tenantId]);
    if (rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'anomaly');
    return anomalyJson(rows[0]);
  });

  // Changing anomalies is for signed-in users (and any API key that has `read` may only read).
  const writer = authenticate({ kind: 'user' });

  app.delete<{ Params: { id: string } }>('/anomalies/:id', {
    onRequest: writer,
    schema: { summary: 'Delete an anomaly', tags: ['anomalies'], params: uuidParams, response: { 204: { type: 'null' } } },
  }, async function deleteAnomaly(req, reply) {
    const p = principalOf(req);
    const { rowCount } = await pool.query('DELETE FROM anomalies WHERE id = $1 AND tenant_id = $2', [req.params.id, p.tenantId]);
    if (rowCount === 0) throw new DwError('DW_ERR_NOT_FOUND', 'anomaly');
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string } }>('/anomalies/:id/resolve', {
    onRequest: writer,
    schema: { summary: 'Mark an anomaly resolved', tags: ['anomalies'], params: uuidParams, response: { 200: anomalySchema } },
  }, async function resolveAnomaly(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<AnomalyRow>(
      `UPDATE anomalies SET status = 'resolved', resolved_at = coalesce(resolved_at, now())
        WHERE id = $1 AND tenant_id = $2 RETURNING ${ANOMALY_COLUMNS}`, [req.params.id, p.tenantId]);
    if (rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'anomaly');
    return anomalyJson(rows[0]);
  });
}, { name: 'driftwatch-anomalies', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
