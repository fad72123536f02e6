// Per-stream detection settings and feedback on anomalies, over HTTP (the work is
// src/control/streams/service.ts):
//
//   POST /anomalies/:id/feedback {feedback}  (signed-in users) ─▶ anomaly status false_positive | confirmed
//        └▶ stream_settings.threshold_offset += 0.02 (false positive) | -0.01 (confirmed), within [-0.15, 0.2]
//   GET  /streams/:stream/settings           (any reader)      ─▶ profile, offset, effective threshold, session field
//   PUT  /streams/:stream/settings {profile?, session_field?} (owner/admin) ─▶ profile, session field (null: automatic)
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { FEEDBACK_STEP, OFFSET_MAX, OFFSET_MIN, PROFILES, SESSION_FIELD_PATTERN, effectiveThreshold, type Feedback } from '../../core/tenancy/profiles.js';
import { StreamSettingsService, type SettingsRow, type SettingsUpdate, type StreamActor } from '../streams/service.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { anomalyJson, anomalySchema, uuidParams } from './schemas.js';

const SESSION_FIELD_DESCRIPTION = "logs and traces: the metadata field whose value groups the stream's events into sessions for the sequence detector (then that field alone); null: automatic (a trace/request/session id in the metadata, else a blk_ id or trace/request id in the text)";

export const streamSettingsSchema = {
  type: 'object',
  properties: {
    stream: { type: 'string' },
    profile: { type: 'string', enum: [...PROFILES] },
    threshold_offset: { type: 'number', description: `moved by feedback, within [${OFFSET_MIN}, ${OFFSET_MAX}]` },
    threshold: { type: 'number', description: 'the finding threshold the detectors use: profile base + offset, within [0.3, 0.85]' },
    session_field: { type: ['string', 'null'], description: SESSION_FIELD_DESCRIPTION },
    feedback_fp: { type: 'integer' },
    feedback_confirmed: { type: 'integer' },
    updated_at: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['stream', 'profile', 'threshold_offset', 'threshold', 'session_field', 'feedback_fp', 'feedback_confirmed', 'updated_at'],
} as const;

function settingsJson(r: SettingsRow): Record<string, unknown> {
  const offset = Number(r.threshold_offset);
  return {
    stream: r.stream, profile: r.profile, threshold_offset: offset, threshold: effectiveThreshold(r.profile, offset), session_field: r.session_field,
    feedback_fp: r.feedback_fp, feedback_confirmed: r.feedback_confirmed,
    updated_at: r.updated_at === null ? null : r.updated_at.toISOString(),
  };
}

const streamParams = {
  type: 'object',
  properties: { stream: { type: 'string', minLength: 1, maxLength: 500 } },
  required: ['stream'],
} as const;

const feedbackSchema = {
  summary: "Mark an anomaly a false positive or confirmed; moves its stream's threshold",
  tags: ['anomalies'],
  params: uuidParams,
  body: {
    type: 'object',
    properties: { feedback: { type: 'string', enum: Object.keys(FEEDBACK_STEP) } },
    required: ['feedback'],
    additionalProperties: false,
  },
  response: {
    200: {
      type: 'object',
      properties: { anomaly: anomalySchema, stream_settings: streamSettingsSchema },
      required: ['anomaly', 'stream_settings'],
    },
  },
} as const;

const putSettingsSchema = {
  summary: "Set a stream's detection profile (sensitive 0.4, balanced 0.5, strict 0.65 before feedback) and/or its session field",
  tags: ['streams'],
  params: streamParams,
  body: {
    type: 'object',
    properties: {
      profile: { type: 'string', enum: [...PROFILES] },
      session_field: { type: ['string', 'null'], pattern: SESSION_FIELD_PATTERN, description: `${SESSION_FIELD_DESCRIPTION}; a string of ${SESSION_FIELD_PATTERN}, else 400 DW_ERR_VALIDATION` },
    },
    minProperties: 1,
    additionalProperties: false,
  },
  response: { 200: streamSettingsSchema },
} as const;

function actorOf(req: FastifyRequest): StreamActor {
  const p = principalOf(req);
  return { tenantId: p.tenantId, userId: p.subject, ip: clientIp(req) };
}

export const streamsPlugin = definePlugin(async function streams(app: FastifyInstance): Promise<void> {
  const service = new StreamSettingsService({ pool: app.pool, audit: app.audit });

  app.post<{ Params: { id: string }; Body: { feedback: Feedback } }>('/anomalies/:id/feedback', {
    onRequest: authenticate({ kind: 'user' }), schema: feedbackSchema,
  }, async function anomalyFeedback(req) {
    const { anomaly, settings } = await service.feedback(actorOf(req), req.params.id, req.body.feedback);
    return { anomaly: anomalyJson(anomaly), stream_settings: settingsJson(settings) };
  });

  app.get<{ Params: { stream: string } }>('/streams/:stream/settings', {
    onRequest: authenticate({ scope: 'read' }),
    schema: { summary: "A stream's detection profile and threshold", tags: ['streams'], params: streamParams, response: { 200: streamSettingsSchema } },
  }, async function getStreamSettings(req) {
    return settingsJson(await service.settings(principalOf(req).tenantId, req.params.stream));
  });

  app.put<{ Params: { stream: string }; Body: SettingsUpdate }>('/streams/:stream/settings', {
    onRequest: authenticate({ roles: ['owner', 'admin'] }), schema: putSettingsSchema,
  }, async function putStreamSettings(req) {
    return settingsJson(await service.update(actorOf(req), req.params.stream, req.body));
  });
}, {
  name: 'driftwatch-streams',
  dependencies: ['driftwatch-context', 'driftwatch-audit'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit'], request: ['principal'] },
});
