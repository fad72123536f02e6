// Per-stream detection settings and feedback on anomalies:
//
//   POST /anomalies/:id/feedback {feedback}  (signed-in users) ─▶ anomaly status false_positive | confirmed
//        └▶ stream_settings.threshold_offset += 0.02 (false positive) | -0.01 (confirmed), within [-0.15, 0.2]
//   GET  /streams/:stream/settings           (any reader)      ─▶ profile, offset, effective threshold
//   PUT  /streams/:stream/settings {profile} (owner/admin)     ─▶ profile
//
// The engine's scorer reads stream_settings (cached a few seconds) into each task's threshold.
// Every statement filters on the caller's tenant; another tenant's anomaly is "not found".
// Feedback that repeats the anomaly's current status changes nothing (it does not move the offset twice).
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { FEEDBACK_STEP, OFFSET_MAX, OFFSET_MIN, PROFILES, effectiveThreshold, type Feedback, type Profile } from '../../core/tenancy/profiles.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { ANOMALY_COLUMNS, anomalyJson, anomalySchema, uuidParams, type AnomalyRow } from './schemas.js';
import { withTransaction } from '../../core/db.js';

interface SettingsRow {
  stream: string; profile: Profile; threshold_offset: number; feedback_fp: number; feedback_confirmed: number; updated_at: Date | null;
}

const SETTINGS_COLUMNS = 'stream, profile, threshold_offset, feedback_fp, feedback_confirmed, updated_at';

export const streamSettingsSchema = {
  type: 'object',
  properties: {
    stream: { type: 'string' },
    profile: { type: 'string', enum: [...PROFILES] },
    threshold_offset: { type: 'number', description: `moved by feedback, within [${OFFSET_MIN}, ${OFFSET_MAX}]` },
    threshold: { type: 'number', description: 'the finding threshold the detectors use: profile base + offset, within [0.3, 0.85]' },
    feedback_fp: { type: 'integer' },
    feedback_confirmed: { type: 'integer' },
    updated_at: { type: ['string', 'null'], format: 'date-time' },
  },
  required: ['stream', 'profile', 'threshold_offset', 'threshold', 'feedback_fp', 'feedback_confirmed', 'updated_at'],
} as const;

function settingsJson(r: SettingsRow): Record<string, unknown> {
  const offset = Number(r.threshold_offset);
  return {
    stream: r.stream, profile: r.profile, threshold_offset: offset, threshold: effectiveThreshold(r.profile, offset),
    feedback_fp: r.feedback_fp, feedback_confirmed: r.feedback_confirmed,
    updated_at: r.updated_at === null ? null : r.updated_at.toISOString(),
  };
}

const defaults = (stream: string): SettingsRow => ({
  stream, profile: 'balanced', threshold_offset: 0, feedback_fp: 0, feedback_confirmed: 0, updated_at: null,
});

const streamParams = {
  type: 'object',
  properties: { stream: { type: 'string', minLength: 1, maxLength: 500 } },
  required: ['stream'],
} as const;

export const streamsPlugin = definePlugin(async function streams(app: FastifyInstance): Promise<void> {
  const { pool, audit } = app;
  const reader = authenticate({ scope: 'read' });
  const writer = authenticate({ kind: 'user' });
  const settingsAdmin = authenticate({ roles: ['owner', 'admin'] });

  app.post<{ Params: { id: string }; Body: { feedback: Feedback } }>('/anomalies/:id/feedback', {
    onRequest: writer,
    schema: {
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
    },
  }, async function anomalyFeedback(req) {
    const p = principalOf(req);
    const feedback = req.body.feedback;
    const { anomaly, settings, moved } = await withTransaction(pool, async (client) => {
      const cur = await client.query<{ status: string; stream: string }>(
        'SELECT status, stream FROM anomalies WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [req.params.id, p.tenantId]);
      if (cur.rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'anomaly');
      const { stream } = cur.rows[0];
      const moved = cur.rows[0].status !== feedback;
      const upd = await client.query<AnomalyRow>(
        `UPDATE anomalies SET status = $3 WHERE id = $1 AND tenant_id = $2 RETURNING ${ANOMALY_COLUMNS}`, [req.params.id, p.tenantId, feedback]);
      const anomaly = upd.rows[0];
      let settings: SettingsRow;
      if (moved) {
        const fp = feedback === 'false_positive' ? 1 : 0;
        const { rows } = await client.query<SettingsRow>(
          `INSERT INTO stream_settings AS s (tenant_id, stream, threshold_offset, feedback_fp, feedback_confirmed)
           VALUES ($1, $2, round(least(greatest($3::float8, $5::float8), $6::float8)::numeric, 6)::float8, $4, 1 - $4)
           ON CONFLICT (tenant_id, stream) DO UPDATE SET
             threshold_offset = round(least(greatest(s.threshold_offset + $3::float8, $5::float8), $6::float8)::numeric, 6)::float8,
             feedback_fp = s.feedback_fp + $4, feedback_confirmed = s.feedback_confirmed + 1 - $4, updated_at = now()
           RETURNING ${SETTINGS_COLUMNS}`,
          [p.tenantId, stream, FEEDBACK_STEP[feedback], fp, OFFSET_MIN, OFFSET_MAX]);
        settings = rows[0];
      } else {
        const { rows } = await client.query<SettingsRow>(
          `SELECT ${SETTINGS_COLUMNS} FROM stream_settings WHERE tenant_id = $1 AND stream = $2`, [p.tenantId, stream]);
        settings = rows[0] ?? defaults(stream);
      }
      return { anomaly, settings, moved };
    });
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'anomaly.feedback',
      target: `anomaly:${req.params.id}`, ip: clientIp(req),
      details: { feedback, stream: settings.stream, threshold_offset: Number(settings.threshold_offset), moved },
    });
    return { anomaly: anomalyJson(anomaly), stream_settings: settingsJson(settings) };
  });

  app.get<{ Params: { stream: string } }>('/streams/:stream/settings', {
    onRequest: reader,
    schema: { summary: "A stream's detection profile and threshold", tags: ['streams'], params: streamParams, response: { 200: streamSettingsSchema } },
  }, async function getStreamSettings(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<SettingsRow>(
      `SELECT ${SETTINGS_COLUMNS} FROM stream_settings WHERE tenant_id = $1 AND stream = $2`, [p.tenantId, req.params.stream]);
    return settingsJson(rows[0] ?? defaults(req.params.stream));
  });

  app.put<{ Params: { stream: string }; Body: { profile: Profile } }>('/streams/:stream/settings', {
    onRequest: settingsAdmin,
    schema: {
      summary: "Set a stream's detection profile (sensitive 0.4, balanced 0.5, strict 0.65 before feedback)",
      tags: ['streams'],
      params: streamParams,
      body: { type: 'object', properties: { profile: { type: 'string', enum: [...PROFILES] } }, required: ['profile'], additionalProperties: false },
      response: { 200: streamSettingsSchema },
    },
  }, async function putStreamSettings(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<SettingsRow>(
      `INSERT INTO stream_settings AS s (tenant_id, stream, profile) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, stream) DO UPDATE SET profile = EXCLUDED.profile, updated_at = now()
       RETURNING ${SETTINGS_COLUMNS}`, [p.tenantId, req.params.stream, req.body.profile]);
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'stream.settings_update',
      target: `stream:${req.params.stream}`, ip: clientIp(req), details: { profile: req.body.profile },
    });
    return settingsJson(rows[0]);
  });
}, {
  name: 'driftwatch-streams',
  dependencies: ['driftwatch-context', 'driftwatch-audit'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit'], request: ['principal'] },
});
