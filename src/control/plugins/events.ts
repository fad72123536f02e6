// The tenant's stored events, newest first (timestamp, then id), paginated; decoded from their
// compressed blocks by src/core/event-blocks.ts.
import type { FastifyInstance } from 'fastify';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { CURSOR_PATTERN, listEvents as readEvents } from '../../core/event-blocks.js';
import { coerceQueryNumbers, STREAM_TYPES, eventSchema, paginationProps } from './schemas.js';

/** The largest offset GET /events takes (it holds offset + limit decoded events while it pages). */
export const MAX_EVENTS_OFFSET = 100_000;

interface ListQuery { limit: number; offset: number; stream?: string; stream_type?: string; since?: string; until?: string; cursor?: string }

export const eventsPlugin = definePlugin(async function events(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const bounds = { maxDecodedBytes: app.config.eventsReadMaxDecodedBytes, maxResponseBytes: app.config.eventsReadMaxResponseBytes };

  const listQuery = {
    type: 'object',
    properties: {
      ...paginationProps,
      // Events are decoded from blocks to count an offset off: deep pages go by cursor.
      offset: { ...paginationProps.offset, maximum: MAX_EVENTS_OFFSET },
      stream: { type: 'string', minLength: 1, maxLength: 500 },
      stream_type: { type: 'string', enum: [...STREAM_TYPES] },
      since: { type: 'string', format: 'date-time', description: 'timestamp >= since' },
      until: { type: 'string', format: 'date-time', description: 'timestamp < until' },
      cursor: { type: 'string', pattern: CURSOR_PATTERN, description: 'next_cursor of the previous page: the events after it (offset counts from there)' },
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
          properties: {
            events: { type: 'array', items: eventSchema }, limit: { type: 'integer' }, offset: { type: 'integer' },
            next_cursor: { type: 'string', description: 'present when the page is full or ended early at the read bounds: pass it as `cursor` for the next page' },
            next_offset: { type: 'integer', description: 'with next_cursor when the page ended before its offset was used up: the offset to pass with that cursor' },
          },
          required: ['events', 'limit', 'offset'],
        },
      },
    },
  }, async function listEvents(req) {
    const p = principalOf(req);
    const q = req.query;
    const page = await readEvents(pool, p.tenantId, {
      limit: q.limit, offset: q.offset, stream: q.stream, streamType: q.stream_type, since: q.since, until: q.until, cursor: q.cursor,
    }, bounds);
    return {
      events: page.events, limit: q.limit, offset: q.offset,
      ...(page.next_cursor === undefined ? {} : { next_cursor: page.next_cursor }),
      ...(page.next_offset === undefined ? {} : { next_offset: page.next_offset }),
    };
  });
}, { name: 'driftwatch-events', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'config', 'resolver', 'sessions'], request: ['principal'] } });
