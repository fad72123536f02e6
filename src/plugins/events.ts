// The tenant's stored events, newest first (timestamp, then id), paginated.
import type { FastifyInstance } from 'fastify';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { coerceQueryNumbers, TenantFilter, EVENT_COLUMNS, STREAM_TYPES, eventJson, eventSchema, paginationProps, type EventRow } from './schemas.js';

interface ListQuery { limit: number; offset: number; stream?: string; stream_type?: string; since?: string; until?: string }

export const eventsPlugin = definePlugin(async function events(app: FastifyInstance): Promise<void> {
  const { pool } = app;

  const listQuery = {
    type: 'object',
    properties: {
      ...paginationProps,
      stream: { type: 'string', minLength: 1, maxLength: 500 },
      stream_type: { type: 'string', enum: [...STREAM_TYPES] },
      since: { type: 'string', format: 'date-time', description: 'timestamp >= since' },
      until: { type: 'string', format: 'date-time', description: 'timestamp < until' },
    },
  };

  app.get<{ Querystring: ListQuery }>('/events', {
    onRequest: authenticate({ scope: 'read' }),
    preValidation: coerceQueryNumbers(listQuery),
    schema: {
      summary: "The tenant's events, newest first",
      tags: ['events'],
      querystring: listQuery,
      response: {
        200: {
          type: 'object',
          properties: { events: { type: 'array', items: eventSchema }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          required: ['events', 'limit', 'offset'],
        },
      },
    },
  }, async function listEvents(req) {
    const p = principalOf(req);
    const q = req.query;
    const f = new TenantFilter(p.tenantId)
      .add('stream = ?', q.stream)
      .add('stream_type = ?', q.stream_type)
      .add('ts >= ?', q.since)
      .add('ts < ?', q.until);
    const pg = f.page(q.limit, q.offset);
    const { rows } = await pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE ${f.where} ORDER BY ts DESC, id DESC ${pg.clause}`, pg.params);
    return { events: rows.map(eventJson), limit: q.limit, offset: q.offset };
  });
}, { name: 'driftwatch-events', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
