// The audit log: one row per security-relevant action (sign-ups, logins and failed logins,
// refresh-token reuse, logouts, API keys created and revoked), written after the action and
// never allowed to fail it: a failed write is logged and counted, and the caller goes on.
//
//   route ─▶ audit.record(entry) ─▶ INSERT audit_log ─┬▶ driftwatch_audit_rows_total
//                                                    └▶ (error) log AuditRowWriteError, driftwatch_audit_write_errors_total
import type pg from 'pg';

/** The part of a pino (or fastify) logger the writer uses. */
export interface AuditLogger { error(obj: object, msg: string): void }

/** Every action the log records; the list route filters on these. */
export const AUDIT_ACTIONS = Object.freeze([
  'auth.register',
  'auth.login',
  'auth.login_failed',
  'auth.refresh_reuse',
  'auth.logout',
  'api_key.create',
  'api_key.revoke',
  'tenant.plan_set',
  'user.password_reset',
  'user.password_change',
  'anomaly.feedback',
  'stream.settings_update',
  'stream.delete',
  'stream.mute',
  'vm.start',
  'vm.stop',
  'vm.crash',
  'vm.recover',
  'billing.checkout',
  'billing.cancel',
  'billing.plan_change',
  'billing.usage_record',
  'alert_channel.create',
  'alert_channel.delete',
  'alert_rule.create',
  'alert_rule.update',
  'alert_rule.delete',
] as const);
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** Who acted: a signed-in user, an API key, nobody we know (a failed login), or driftwatch itself (the VM health loop, a Stripe webhook, a grace period ending). */
export type ActorKind = 'user' | 'api_key' | 'anonymous' | 'system';

export interface AuditEntry {
  /** null only when no tenant is known (a failed login with an unknown address). */
  tenantId: string | null;
  actorUserId: string | null;
  actorKind: ActorKind;
  action: AuditAction;
  /** What the action was about: `session:<id>`, `api_key:<id>`, an email address. */
  target: string | null;
  ip: string | null;
  details?: Record<string, unknown>;
}

export interface AuditCounters {
  driftwatch_audit_rows_total: number;
  driftwatch_audit_write_errors_total: number;
}

export class AuditLog {
  #pool: pg.Pool;
  #log: AuditLogger;
  readonly counters: AuditCounters = { driftwatch_audit_rows_total: 0, driftwatch_audit_write_errors_total: 0 };

  constructor(pool: pg.Pool, log: AuditLogger) {
    this.#pool = pool;
    this.#log = log;
  }

  /** Writes one row; resolves false (and logs, and counts) instead of throwing when it cannot. */
  async record(e: AuditEntry): Promise<boolean> {
    try {
      await this.#pool.query(
        `INSERT INTO audit_log (tenant_id, actor_user_id, actor_kind, action, target, ip, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [e.tenantId, e.actorUserId, e.actorKind, e.action, e.target, e.ip, e.details ?? null],
      );
      this.counters.driftwatch_audit_rows_total++;
      return true;
    } catch (err) {
      this.counters.driftwatch_audit_write_errors_total++;
      this.#log.error({ err, event: 'AuditRowWriteError', action: e.action, tenant_id: e.tenantId, error_code: 'audit_write' },
        'could not write an audit row');
      return false;
    }
  }
}
