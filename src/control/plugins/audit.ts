// The audit log in the control API: `auditPlugin` puts the writer on the instance (routes call
// `app.audit.record(...)` after the action they describe), `auditRoutesPlugin` lets a tenant's
// owners and admins read their own tenant's rows, newest first.
//
//   auth, api-keys ─▶ app.audit.record ─▶ audit_log ◀─ GET /api/v1/audit (owner/admin, own tenant)
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AUDIT_ACTIONS, AuditLog, type AuditAction } from '../../core/audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { TenantFilter } from '../tenant-filter.js';
import { coerceQueryNumbers, paginationProps } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    audit: AuditLog;
  }
}

export const AUDIT_READER_ROLES = Object.freeze(['owner', 'admin'] as const);

/** The caller's address as the audit log keeps it. */
export const clientIp = (req: FastifyRequest): string | null => req.ip ?? null;

export const auditPlugin = definePlugin(async function audit(app: FastifyInstance): Promise<void> {
  app.decorate('audit', new AuditLog(app.pool, app.log.child({ component: 'audit' })));
}, { name: 'driftwatch-audit', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['pool'] } });

const auditEntrySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, tenant_id: { type: ['string', 'null'] }, actor_user_id: { type: ['string', 'null'] },
    actor_kind: { type: 'string' }, action: { type: 'string' }, target: { type: ['string', 'null'] },
    ip: { type: ['string', 'null'] }, details: {}, created_at: { type: 'string' },
  },
  required: ['id', 'tenant_id', 'actor_user_id', 'actor_kind', 'action', 'target', 'ip', 'created_at'],
} as const;

interface AuditRow {
  id: string; tenant_id: string | null; actor_user_id: string | null; actor_kind: string; action: string;
  target: string | null; ip: string | null; details: unknown; created_at: Date;
}

interface ListQuery { limit: number; offset: number; action?: AuditAction }

export const auditRoutesPlugin = definePlugin(async function auditRoutes(app: FastifyInstance): Promise<void> {
  const { pool } = app;

  const listQuery = {
    type: 'object',
    properties: {
      ...paginationProps,
      action: { type: 'string', enum: [...AUDIT_ACTIONS] },
    },
  };

  app.get<{ Querystring: ListQuery }>('/audit', {
    onRequest: authenticate({ roles: AUDIT_READER_ROLES }),
    preValidation: coerceQueryNumbers(listQuery),
    schema: {
      summary: "The tenant's audit log, newest first (owners and admins)",
      tags: ['audit'],
      querystring: listQuery,
      response: {
        200: {
          type: 'object',
          properties: { entries: { type: 'array', items: auditEntrySchema }, limit: { type: 'integer' }, offset: { type: 'integer' } },
          required: ['entries', 'limit', 'offset'],
        },
      },
    },
  }, async function listAudit(req) {
    const p = principalOf(req);
    const q = req.query;
    const f = new TenantFilter(p.tenantId).add('action = ?', q.action);
    const pg = f.page(q.limit, q.offset);
    const { rows } = await pool.query<AuditRow>(
      `SELECT id, tenant_id, actor_user_id, actor_kind, action, target, ip, details, created_at FROM audit_log
        WHERE ${f.where} ORDER BY created_at DESC, id DESC ${pg.clause}`, pg.params);
    return {
      entries: rows.map((r) => ({
        id: String(r.id), tenant_id: r.tenant_id, actor_user_id: r.actor_user_id, actor_kind: r.actor_kind, action: r.action,
        target: r.target, ip: r.ip, details: r.details, created_at: r.created_at.toISOString(),
      })),
      limit: q.limit,
      offset: q.offset,
    };
  });
}, {
  name: 'driftwatch-audit-routes',
  dependencies: ['driftwatch-context'],
  decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] },
});
