// The tenant's incidents over HTTP: related findings folded into one (list, read with its lines,
// resolve). The SQL is src/control/anomalies/incidents.ts; another tenant's id is "not found".
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import * as store from '../anomalies/incidents.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { anomalyJson, anomalySchema, coerceQueryNumbers, incidentSchema, iso, paginationProps, uuidParams } from './schemas.js';

interface ListQuery extends store.IncidentFilter { limit: number; offset: number }

const listQuery = {
  type: 'object',
  properties: {
    ...paginationProps,
    stream: { type: 'string', minLength: 1, maxLength: 500 },
    status: { type: 'string', enum: ['open', 'closed'] },
    since: { type: 'string', format: 'date-time', description: 'last detected_at >= since' },
    until: { type: 'string', format: 'date-time', description: 'first detected_at < until' },
  },
} as const;

const pageQuery = { type: 'object', properties: { ...paginationProps } } as const;

const hms = (d: Date | null): string => (d === null ? '?' : d.toISOString().slice(11, 19));

export function incidentJson(r: store.IncidentRow) {
  const count = Number(r.count);
  const span = r.first_ts !== null && r.last_ts !== null && r.first_ts.getTime() !== r.last_ts.getTime()
    ? `between ${hms(r.first_ts)} and ${hms(r.last_ts)}` : `at ${hms(r.first_ts)}`;
  return {
    id: r.id, stream: r.stream, stream_type: r.stream_type, detector: r.detector, explanation: r.explanation,
    count, max_score: r.max_score, first_ts: iso(r.first_ts), last_ts: iso(r.last_ts),
    first_detected_at: r.first_detected_at.toISOString(), last_detected_at: r.last_detected_at.toISOString(),
    status: r.open ? 'open' : 'closed', samples: r.samples,
    summary: count === 1 ? `1 line ${span}` : `${count} lines like this ${span}`,
  };
}

const notFound = (): DwError => new DwError('DW_ERR_NOT_FOUND', 'incident');

export const incidentsPlugin = definePlugin(async function incidents(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const reader = authenticate({ scope: 'read' });
  const writer = authenticate({ kind: 'user' });

  app.get<{ Querystring: ListQuery }>('/incidents', {
    onRequest: reader, preValidation: coerceQueryNumbers(listQuery),
    schema: {
      summary: "The tenant's incidents (related findings of a stream folded into one), most recently active first", tags: ['anomalies'],
      querystring: listQuery,
      response: { 200: { type: 'object', properties: { incidents: { type: 'array', items: incidentSchema }, total: { type: 'integer' }, limit: { type: 'integer' }, offset: { type: 'integer' } }, required: ['incidents', 'total', 'limit', 'offset'] } },
    },
  }, async function listIncidents(req) {
    const q = req.query;
    const { rows, total } = await store.listIncidents(pool, principalOf(req).tenantId, q, q.limit, q.offset);
    return { incidents: rows.map(incidentJson), total, limit: q.limit, offset: q.offset };
  });

  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number } }>('/incidents/:id', {
    onRequest: reader, preValidation: coerceQueryNumbers(pageQuery),
    schema: {
      summary: 'One incident and a page of its lines (anomalies, in event time)', tags: ['anomalies'], params: uuidParams, querystring: pageQuery,
      response: { 200: { type: 'object', properties: { incident: incidentSchema, lines: { type: 'array', items: anomalySchema }, limit: { type: 'integer' }, offset: { type: 'integer' } }, required: ['incident', 'lines', 'limit', 'offset'] } },
    },
  }, async function getIncident(req) {
    const r = await store.incidentById(pool, principalOf(req).tenantId, req.params.id, req.query.limit, req.query.offset);
    if (r === undefined) throw notFound();
    return { incident: incidentJson(r.incident), lines: r.lines.map(anomalyJson), limit: req.query.limit, offset: req.query.offset };
  });

  app.put<{ Params: { id: string } }>('/incidents/:id/resolve', {
    onRequest: writer,
    schema: {
      summary: 'Resolve every open line of an incident', tags: ['anomalies'], params: uuidParams,
      response: { 200: { type: 'object', properties: { resolved: { type: 'integer' } }, required: ['resolved'] } },
    },
  }, async function resolveIncident(req) {
    const n = await store.resolveIncident(pool, principalOf(req).tenantId, req.params.id);
    if (n === undefined) throw notFound();
    return { resolved: n };
  });
}, { name: 'driftwatch-incidents', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
