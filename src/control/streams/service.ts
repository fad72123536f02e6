// Per-stream detection settings and feedback on anomalies, in PostgreSQL:
//
//   feedback(anomaly, false_positive | confirmed) ─▶ anomaly status (row locked)
//     └▶ status changed: stream_settings.threshold_offset += 0.02 (false positive) | -0.01 (confirmed), within [-0.15, 0.2]
//     └▶ audit anomaly.feedback
//   settings(stream) ─▶ the row, or the defaults (balanced, offset 0)
//   update(stream, {profile?, session_field?}) ─▶ upsert of the given columns ─▶ audit stream.settings_update
//
// The engine's scorer reads stream_settings (cached a few seconds) into each task's threshold and
// session field (the metadata field that keys the stream's sessions; null: automatic).
// Every statement filters on the caller's tenant; another tenant's anomaly is "not found".
// Feedback that repeats the anomaly's current status changes nothing (it does not move the offset twice).
import type pg from 'pg';
import type { AuditLog } from '../../core/audit.js';
import { withTransaction } from '../../core/db.js';
import { DwError } from '../../core/errors.js';
import { FEEDBACK_STEP, OFFSET_MAX, OFFSET_MIN, type Feedback, type Profile } from '../../core/tenancy/profiles.js';
import { ANOMALY_COLUMNS, type AnomalyRow } from '../anomalies/service.js';

export interface SettingsRow {
  stream: string; profile: Profile; threshold_offset: number; session_field: string | null; feedback_fp: number; feedback_confirmed: number; updated_at: Date | null;
}

/** What a PUT changes: each given key (session_field null: back to automatic). */
export interface SettingsUpdate { profile?: Profile; session_field?: string | null }

const SETTINGS_COLUMNS = 'stream, profile, threshold_offset, session_field, feedback_fp, feedback_confirmed, updated_at';

const defaults = (stream: string): SettingsRow => ({
  stream, profile: 'balanced', threshold_offset: 0, session_field: null, feedback_fp: 0, feedback_confirmed: 0, updated_at: null,
});

/** The signed-in user acting, and the address the audit log keeps. */
export interface StreamActor { tenantId: string; userId: string; ip: string | null }

async function settingsOf(db: pg.Pool | pg.PoolClient, tenantId: string, stream: string): Promise<SettingsRow> {
  const { rows } = await db.query<SettingsRow>(
    `SELECT ${SETTINGS_COLUMNS} FROM stream_settings WHERE tenant_id = $1 AND stream = $2`, [tenantId, stream]);
  return rows[0] ?? defaults(stream);
}

/** Moves the stream's threshold offset one feedback step, within [OFFSET_MIN, OFFSET_MAX]. */
async function moveOffset(client: pg.PoolClient, tenantId: string, stream: string, feedback: Feedback): Promise<SettingsRow> {
  const fp = feedback === 'false_positive' ? 1 : 0;
  const { rows } = await client.query<SettingsRow>(
    `INSERT INTO stream_settings AS s (tenant_id, stream, threshold_offset, feedback_fp, feedback_confirmed)
     VALUES ($1, $2, round(least(greatest($3::float8, $5::float8), $6::float8)::numeric, 6)::float8, $4, 1 - $4)
     ON CONFLICT (tenant_id, stream) DO UPDATE SET
       threshold_offset = round(least(greatest(s.threshold_offset + $3::float8, $5::float8), $6::float8)::numeric, 6)::float8,
       feedback_fp = s.feedback_fp + $4, feedback_confirmed = s.feedback_confirmed + 1 - $4, updated_at = now()
     RETURNING ${SETTINGS_COLUMNS}`,
    [tenantId, stream, FEEDBACK_STEP[feedback], fp, OFFSET_MIN, OFFSET_MAX]);
  return rows[0];
}

export class StreamSettingsService {
  readonly #pool: pg.Pool;
  readonly #audit: AuditLog;

  constructor(deps: { pool: pg.Pool; audit: AuditLog }) {
    this.#pool = deps.pool;
    this.#audit = deps.audit;
  }

  /** Marks the anomaly; a changed status moves its stream's threshold. DW_ERR_NOT_FOUND for another tenant's. */
  async feedback(actor: StreamActor, anomalyId: string, feedback: Feedback): Promise<{ anomaly: AnomalyRow; settings: SettingsRow }> {
    const { tenantId } = actor;
    const { anomaly, settings, moved } = await withTransaction(this.#pool, async (client) => {
      const cur = await client.query<{ status: string; stream: string }>(
        'SELECT status, stream FROM anomalies WHERE id = $1 AND tenant_id = $2 FOR UPDATE', [anomalyId, tenantId]);
      if (cur.rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'anomaly');
      const { stream } = cur.rows[0];
      const moved = cur.rows[0].status !== feedback;
      const upd = await client.query<AnomalyRow>(
        `UPDATE anomalies SET status = $3 WHERE id = $1 AND tenant_id = $2 RETURNING ${ANOMALY_COLUMNS}`, [anomalyId, tenantId, feedback]);
      const settings = moved ? await moveOffset(client, tenantId, stream, feedback) : await settingsOf(client, tenantId, stream);
      return { anomaly: upd.rows[0], settings, moved };
    });
    await this.#audit.record({
      tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'anomaly.feedback',
      target: `anomaly:${anomalyId}`, ip: actor.ip,
      details: { feedback, stream: settings.stream, threshold_offset: Number(settings.threshold_offset), moved },
    });
    return { anomaly, settings };
  }

  settings(tenantId: string, stream: string): Promise<SettingsRow> {
    return settingsOf(this.#pool, tenantId, stream);
  }

  /** Sets the given settings (the route's schema has checked them); the others stay as they are. */
  async update(actor: StreamActor, stream: string, set: SettingsUpdate): Promise<SettingsRow> {
    const hasProfile = set.profile !== undefined;
    const hasField = set.session_field !== undefined;
    const { rows } = await this.#pool.query<SettingsRow>(
      `INSERT INTO stream_settings AS s (tenant_id, stream, profile, session_field) VALUES ($1, $2, coalesce($3, 'balanced'), $4)
       ON CONFLICT (tenant_id, stream) DO UPDATE SET
         profile = CASE WHEN $5 THEN EXCLUDED.profile ELSE s.profile END,
         session_field = CASE WHEN $6 THEN EXCLUDED.session_field ELSE s.session_field END,
         updated_at = now()
       RETURNING ${SETTINGS_COLUMNS}`, [actor.tenantId, stream, set.profile ?? null, set.session_field ?? null, hasProfile, hasField]);
    const details: Record<string, unknown> = {};
    if (hasProfile) details.profile = set.profile;
    if (hasField) details.session_field = set.session_field;
    await this.#audit.record({
      tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'stream.settings_update',
      target: `stream:${stream}`, ip: actor.ip, details,
    });
    return rows[0];
  }
}
