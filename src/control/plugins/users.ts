// The signed-in user's own account: read it, rename it.
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { USER_COLUMNS, userJson, userSchema, type UserRow } from './schemas.js';

export const usersPlugin = definePlugin(async function users(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const asUser = authenticate({ kind: 'user' });

  app.get('/user', {
    onRequest: asUser,
    schema: { summary: 'The signed-in user', tags: ['user'], response: { 200: userSchema } },
  }, async function getUser(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 AND tenant_id = $2`, [p.subject, p.tenantId]);
    if (rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'user');
    return userJson(rows[0]);
  });

  app.put<{ Body: { name?: string } }>('/user', {
    onRequest: asUser,
    schema: {
      summary: 'Update the signed-in user',
      tags: ['user'],
      body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 200 } }, additionalProperties: false },
      response: { 200: userSchema },
    },
  }, async function putUser(req) {
    const p = principalOf(req);
    const { rows } = await pool.query<UserRow>(
      `UPDATE users SET name = coalesce($3, name), updated_at = now() WHERE id = $1 AND tenant_id = $2 RETURNING ${USER_COLUMNS}`,
      [p.subject, p.tenantId, req.body.name?.trim() ?? null]);
    if (rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'user');
    return userJson(rows[0]);
  });
}, { name: 'driftwatch-users', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
