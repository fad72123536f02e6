// The tenant's anomalies over HTTP: list (filters, newest first, paginated), read, delete,
// resolve. The SQL is src/control/anomalies/service.ts; another tenant's id is "not found".
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import * as store from '../anomalies/service.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { coerceQueryNumbers, ANOMALY_STATUSES, STREAM_TYPES, anomalyJson, anomalySchema, paginationProps, uuidParams } from './schemas.js';

interface ListQuery extends store.AnomalyFilter { limit: number; offset: number }

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

const listSchema = {
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
};

const notFound = (): DwError => new DwError('DW_ERR_NOT_FOUND', 'anomaly');

export const anomaliesPlugin = definePlugin(async function anomalies(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const reader = authenticate({ scope: 'read' });
  // Changing anomalies is for signed-in users (and any API key that has `read` may only read).
  const writer = authenticate({ kind: 'user' });

  app.get<{ Querystring: ListQuery }>('/anomalies', {
    onRequest: reader, preValidation: coerceQueryNumbers(listQuery), schema: listSchema,
  }, async function listAnomalies(req) {
    const q = req.query;
    const { rows, total } = await store.listAnomalies(pool, principalOf(req).tenantId, q, q.limit, q.offset);
    return { anomalies: rows.map(anomalyJson), total, limit: q.limit, offset: q.offset };
  });

  app.get<{ Params: { id: string } }>('/anomalies/:id', {
    onRequest: reader,
    schema: { summary: 'One anomaly', tags: ['anomalies'], params: uuidParams, response: { 200: anomalySchema } },
  }, async function getAnomaly(req) {
    const row = await store.anomalyById(pool, principalOf(req).tenantId, req.params.id);
    if (row === undefined) throw notFound();
    return anomalyJson(row);
  });

  app.delete<{ Params: { id: string } }>('/anomalies/:id', {
    onRequest: writer,
    schema: { summary: 'Delete an anomaly', tags: ['anomalies'], params: uuidParams, response: { 204: { type: 'null' } } },
  }, async function deleteAnomaly(req, reply) {
    if (!(await store.deleteAnomaly(pool, principalOf(req).tenantId, req.params.id))) throw notFound();
    return reply.code(204).send();
  });

  app.put<{ Params: { id: string } }>('/anomalies/:id/resolve', {
    onRequest: writer,
    schema: { summary: 'Mark an anomaly resolved', tags: ['anomalies'], params: uuidParams, response: { 200: anomalySchema } },
  }, async function resolveAnomaly(req) {
    const row = await store.resolveAnomaly(pool, principalOf(req).tenantId, req.params.id);
    if (row === undefined) throw notFound();
    return anomalyJson(row);
  });
}, { name: 'driftwatch-anomalies', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
