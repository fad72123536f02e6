// The signed-in user's own account: read it, rename it (SQL in src/control/accounts/users.ts).
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { renameUser, userById } from '../accounts/users.js';
import { userSchema } from './schemas.js';

export const usersPlugin = definePlugin(async function users(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const asUser = authenticate({ kind: 'user' });

  app.get('/user', {
    onRequest: asUser,
    schema: { summary: 'The signed-in user', tags: ['user'], response: { 200: userSchema } },
  }, async function getUser(req) {
    const p = principalOf(req);
    const user = await userById(pool, p.subject, p.tenantId);
    if (user === undefined) throw new DwError('DW_ERR_NOT_FOUND', 'user');
    return user;
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
    const user = await renameUser(pool, p.subject, p.tenantId, req.body.name?.trim() ?? null);
    if (user === undefined) throw new DwError('DW_ERR_NOT_FOUND', 'user');
    return user;
  });
}, { name: 'driftwatch-users', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
