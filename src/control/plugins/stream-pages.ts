// What the dashboard's stream pages read and do, over HTTP only (src/control/streams/views.ts
// holds the SQL):
//
//   GET    /streams                          (any reader)   every stream: type, totals, open anomalies, profile, sparkline
//   GET    /streams/:stream/series           (any reader)   ?from&to&bucket: buckets from the per-minute rollup + markers
//   DELETE /streams/:stream                  (owner/admin)  the stream's events, rollup, anomalies, settings, mutes
//   POST   /streams/:stream/mute             (signed-in)    {minutes, pattern?}: no alerts for it until then
//   GET    /streams/:stream/mutes            (any reader)   the mutes in force
//   DELETE /streams/:stream/mute             (signed-in)    lift them
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { PROFILES } from '../../core/tenancy/profiles.js';
import { StreamsService } from '../streams/views.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { coerceQueryNumbers } from './schemas.js';

const DAY_MS = 86_400_000;
/** The longest range a series may cover (the longest plan retention). */
export const SERIES_MAX_RANGE_MS = 90 * DAY_MS;

const streamParams = {
  type: 'object',
  properties: { stream: { type: 'string', minLength: 1, maxLength: 500 } },
  required: ['stream'],
} as const;

const isoOrNull = { type: ['string', 'null'] } as const;

const streamSummarySchema = {
  type: 'object',
  properties: {
    name: { type: 'string' }, stream_type: { type: 'string' }, events_total: { type: 'integer' },
    first_seen: { type: 'string' }, last_seen: { type: 'string', description: 'the greatest event time stored' },
    anomalies_open: { type: 'integer' }, profile: { type: 'string', enum: [...PROFILES] }, muted_until: isoOrNull,
    rate_last_hour: { type: 'array', items: { type: 'integer' }, description: 'events per minute over the last 60 minutes (event time), oldest first' },
  },
  required: ['name', 'stream_type', 'events_total', 'first_seen', 'last_seen', 'anomalies_open', 'profile', 'muted_until', 'rate_last_hour'],
} as const;

const numOrNull = { type: ['number', 'null'] } as const;
const seriesSchema = {
  type: 'object',
  properties: {
    stream: { type: 'string' }, stream_type: { type: ['string', 'null'] }, from: { type: 'string' }, to: { type: 'string' },
    bucket: { type: 'integer', description: 'seconds per point' },
    points: {
      type: 'array',
      items: {
        type: 'object',
        properties: { t: { type: 'string' }, events: { type: 'integer' }, values: { type: 'integer' }, mean: numOrNull, min: numOrNull, max: numOrNull },
        required: ['t', 'events', 'values', 'mean', 'min', 'max'],
      },
    },
    anomalies: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, t: { type: 'string' }, score: { type: 'number' }, status: { type: 'string' }, explanation: { type: 'string' } },
        required: ['id', 't', 'score', 'status', 'explanation'],
      },
    },
    anomalies_in_range: { type: 'integer' },
  },
  required: ['stream', 'stream_type', 'from', 'to', 'bucket', 'points', 'anomalies', 'anomalies_in_range'],
} as const;

const muteSchema = {
  type: 'object',
  properties: { stream: { type: 'string' }, pattern: { type: ['string', 'null'] }, until: { type: 'string' }, created_at: { type: 'string' } },
  required: ['stream', 'pattern', 'until', 'created_at'],
} as const;

/** A time given as ISO 8601 or epoch milliseconds; a day its month does not have (2020-02-30) is refused, not moved to the next month. */
function timeParam(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined || v === '') return fallback;
  const t = /^\d{1,15}$/.test(v) ? Number(v) : Date.parse(v);
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(v);
  // Date.parse moves 2020-02-30 to 2020-03-01: the written day must exist in its month.
  const realDay = ymd === null || Number(ymd[3]) <= new Date(Date.UTC(Number(ymd[1]), Number(ymd[2]), 0)).getUTCDate();
  if (!Number.isFinite(t) || !realDay) throw new DwError('DW_ERR_VALIDATION', `\`${name}\` must be an ISO 8601 time (a real date) or epoch milliseconds`);
  return t;
}

/** The hooks that let a request through: any reader, a signed-in user, an owner or admin. */
interface Guards {
  reader: ReturnType<typeof authenticate>;
  user: ReturnType<typeof authenticate>;
  admin: ReturnType<typeof authenticate>;
}

/** GET /streams and GET /streams/:stream/series. */
function readRoutes(app: FastifyInstance, streams: StreamsService, { reader }: Guards): void {
  app.get('/streams', {
    onRequest: reader,
    schema: {
      summary: "The tenant's streams: type, events stored, last event, open anomalies, profile, events per minute over the last hour",
      tags: ['streams'],
      response: { 200: { type: 'object', properties: { streams: { type: 'array', items: streamSummarySchema } }, required: ['streams'] } },
    },
  }, async function listStreams(req) {
    return { streams: await streams.list(principalOf(req).tenantId) };
  });

  const seriesQuery = {
    type: 'object',
    properties: {
      from: { type: 'string', maxLength: 40, description: 'ISO 8601 or epoch ms (default: `to` − 1 hour)' },
      to: { type: 'string', maxLength: 40, description: 'ISO 8601 or epoch ms (default: now)' },
      bucket: { type: 'integer', minimum: 60, description: 'seconds per point, whole minutes (default: about 720 points)' },
    },
    additionalProperties: false,
  } as const;
  app.get<{ Params: { stream: string }; Querystring: { from?: string; to?: string; bucket?: number } }>('/streams/:stream/series', {
    onRequest: reader,
    preValidation: coerceQueryNumbers(seriesQuery),
    schema: {
      summary: "A stream's events per bucket (and metric mean/min/max) in a range, from the per-minute rollup, with the range's anomalies",
      tags: ['streams'],
      params: streamParams,
      querystring: seriesQuery,
      response: { 200: seriesSchema },
    },
  }, async function streamSeries(req) {
    const p = principalOf(req);
    const to = timeParam('to', req.query.to, Date.now());
    const from = timeParam('from', req.query.from, to - 3_600_000);
    if (to - from > SERIES_MAX_RANGE_MS) throw new DwError('DW_ERR_VALIDATION', 'a series covers at most 90 days');
    return streams.series(p.tenantId, req.params.stream, from, to, req.query.bucket);
  });
}

/** DELETE /streams/:stream (audited). */
function deleteRoute(app: FastifyInstance, streams: StreamsService, { admin }: Guards): void {
  const { audit } = app;
  app.delete<{ Params: { stream: string } }>('/streams/:stream', {
    onRequest: admin,
    schema: {
      summary: 'Delete a stream: its stored events, rollup, anomalies, settings and mutes',
      tags: ['streams'],
      params: streamParams,
      response: { 200: { type: 'object', properties: { blocks: { type: 'integer' }, anomalies: { type: 'integer' } }, required: ['blocks', 'anomalies'] } },
    },
  }, async function deleteStream(req) {
    const p = principalOf(req);
    const r = await streams.remove(p.tenantId, req.params.stream);
    if (!r.deleted) throw new DwError('DW_ERR_NOT_FOUND', 'stream');
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'stream.delete',
      target: `stream:${req.params.stream}`, ip: clientIp(req), details: { blocks: r.blocks, anomalies: r.anomalies },
    });
    return { blocks: r.blocks, anomalies: r.anomalies };
  });
}

/** The mutes: POST /streams/:stream/mute (audited), GET /streams/:stream/mutes, DELETE /streams/:stream/mute. */
function muteRoutes(app: FastifyInstance, streams: StreamsService, { reader, user }: Guards): void {
  const { audit } = app;
  app.post<{ Params: { stream: string }; Body: { minutes: number; pattern?: string } }>('/streams/:stream/mute', {
    onRequest: user,
    schema: {
      summary: 'Mute a stream, or its anomalies containing a pattern, for a while: no alerts (they are still stored and shown)',
      tags: ['streams'],
      params: streamParams,
      body: {
        type: 'object',
        properties: { minutes: { type: 'integer', minimum: 1, maximum: 60 * 24 * 90 }, pattern: { type: 'string', minLength: 1, maxLength: 500 } },
        required: ['minutes'],
        additionalProperties: false,
      },
      response: { 201: muteSchema },
    },
  }, async function muteStream(req, reply) {
    const p = principalOf(req);
    const m = await streams.mute(p.tenantId, req.params.stream, req.body.pattern ?? null, Date.now() + req.body.minutes * 60_000, p.subject);
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'stream.mute',
      target: `stream:${req.params.stream}`, ip: clientIp(req), details: { minutes: req.body.minutes, pattern: m.pattern },
    });
    return reply.code(201).send(m);
  });

  app.get<{ Params: { stream: string } }>('/streams/:stream/mutes', {
    onRequest: reader,
    schema: {
      summary: "A stream's mutes in force", tags: ['streams'], params: streamParams,
      response: { 200: { type: 'object', properties: { mutes: { type: 'array', items: muteSchema } }, required: ['mutes'] } },
    },
  }, async function streamMutes(req) {
    return { mutes: await streams.mutes(principalOf(req).tenantId, req.params.stream) };
  });

  app.delete<{ Params: { stream: string } }>('/streams/:stream/mute', {
    onRequest: user,
    schema: {
      summary: "Lift a stream's mutes", tags: ['streams'], params: streamParams,
      response: { 200: { type: 'object', properties: { lifted: { type: 'integer' } }, required: ['lifted'] } },
    },
  }, async function unmuteStream(req) {
    return { lifted: await streams.unmute(principalOf(req).tenantId, req.params.stream) };
  });
}

export const streamPagesPlugin = definePlugin(async function streamPages(app: FastifyInstance): Promise<void> {
  const streams = new StreamsService(app.pool);
  const guards: Guards = {
    reader: authenticate({ scope: 'read' }),
    user: authenticate({ kind: 'user' }),
    admin: authenticate({ roles: ['owner', 'admin'] }),
  };
  readRoutes(app, streams, guards);
  deleteRoute(app, streams, guards);
  muteRoutes(app, streams, guards);
}, {
  name: 'driftwatch-stream-pages',
  dependencies: ['driftwatch-context', 'driftwatch-audit'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit'], request: ['principal'] },
});
