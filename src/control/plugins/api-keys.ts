// API keys for agents: created by a tenant's owner or admin (the clear key is in that one
// answer), listed without secrets, revoked. The engine honours a revocation within
// API_KEY_CACHE_MS (PrincipalResolver's cache).
import type { FastifyInstance } from 'fastify';
import { API_KEY_SCOPES, createApiKey } from '../../core/auth/api-keys.js';
import { DwError } from '../../core/errors.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { absentBodyIsEmpty, iso, uuidParams } from './schemas.js';

export const KEY_ADMIN_ROLES = Object.freeze(['owner', 'admin'] as const);

const keySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, prefix: { type: 'string' }, name: { type: 'string' },
    scopes: { type: 'array', items: { type: 'string' } },
    created_at: { type: 'string' }, last_used_at: { type: ['string', 'null'] }, revoked_at: { type: ['string', 'null'] },
  },
  required: ['id', 'prefix', 'name', 'scopes', 'created_at'],
} as const;

interface KeyRow { id: string; prefix: string; name: string; scopes: string[]; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }

export const apiKeysPlugin = definePlugin(async function apiKeys(app: FastifyInstance): Promise<void> {
  const { pool, audit } = app;
  const asKeyAdmin = authenticate({ roles: KEY_ADMIN_ROLES });

  app.post<{ Body: { name?: string; scopes?: string[] } }>('/api-keys', {
    onRequest: asKeyAdmin,
    preValidation: absentBodyIsEmpty,
    schema: {
      summary: 'Create an API key (the key is shown in this answer only)',
      tags: ['api-keys'],
      body: {
        type: 'object',
        properties: {
          name: { type: 'string', maxLength: 100 },
          scopes: { type: 'array', items: { type: 'string', enum: [...API_KEY_SCOPES] }, minItems: 1, uniqueItems: true },
        },
        additionalProperties: false,
      },
      response: {
        201: {
          type: 'object',
          properties: { ...keySchema.properties, key: { type: 'string' } },
          required: ['id', 'key', 'prefix', 'name', 'scopes', 'created_at'],
        },
      },
    },
  }, async function createKey(req, reply) {
    const p = principalOf(req);
    const body = req.body;
    const key = await createApiKey(pool, p.tenantId, { name: body.name?.trim(), scopes: body.scopes, createdBy: p.subject });
    req.log.info({ tenant_id: p.tenantId, key_id: key.id, scopes: key.scopes }, 'API key created');
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'api_key.create',
      target: `api_key:${key.id}`, ip: clientIp(req), details: { name: key.name, prefix: key.prefix, scopes: key.scopes },
    });
    return reply.code(201).send(key);
  });

  app.get('/api-keys', {
    onRequest: authenticate({ kind: 'user' }),
    schema: {
      summary: "The tenant's API keys (never the keys themselves)",
      tags: ['api-keys'],
      response: { 200: { type: 'object', properties: { api_keys: { type: 'array', items: keySchema } }, required: ['api_keys'] } },
    },
  }, async function listKeys(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<KeyRow>(
      `SELECT id, prefix, name, scopes, created_at, last_used_at, revoked_at FROM api_keys
        WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, [p.tenantId]);
    return {
      api_keys: rows.map((r) => ({
        id: r.id, prefix: r.prefix, name: r.name, scopes: r.scopes,
        created_at: r.created_at.toISOString(), last_used_at: iso(r.last_used_at), revoked_at: iso(r.revoked_at),
      })),
    };
  });

  app.delete<{ Params: { id: string } }>('/api-keys/:id', {
    onRequest: asKeyAdmin,
    schema: { summary: 'Revoke an API key', tags: ['api-keys'], params: uuidParams, response: { 204: { type: 'null' } } },
  }, async function revokeKey(req, reply) {
    const p = principalOf(req);
    // Revoking twice is fine (the first revoked_at stays); another tenant's key is "not found".
    const { rowCount } = await pool.query(
      'UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 AND tenant_id = $2', [req.params.id, p.tenantId]);
    if (rowCount === 0) throw new DwError('DW_ERR_NOT_FOUND', 'API key');
    req.log.info({ tenant_id: p.tenantId, key_id: req.params.id }, 'API key revoked');
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'api_key.revoke',
      target: `api_key:${req.params.id}`, ip: clientIp(req),
    });
    return reply.code(204).send();
  });
}, {
  name: 'driftwatch-api-keys',
  dependencies: ['driftwatch-context', 'driftwatch-audit'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit'], request: ['principal'] },
});
