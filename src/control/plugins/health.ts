// Liveness (the process answers) and readiness (PostgreSQL answers within a deadline).
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { definePlugin } from './define.js';

export const READY_TIMEOUT_MS = 2_000;

const statusSchema = (value: string) => ({
  type: 'object',
  properties: { status: { type: 'string', enum: [value] } },
  required: ['status'],
}) as const;

export const healthPlugin = definePlugin(async function health(app: FastifyInstance): Promise<void> {
  app.get('/health', {
    schema: { summary: 'Liveness', tags: ['health'], response: { 200: statusSchema('ok') } },
  }, async function health() {
    return { status: 'ok' };
  });

  app.get('/ready', {
    schema: { summary: 'Readiness: the database answers', tags: ['health'], response: { 200: statusSchema('ready') } },
  }, async function ready(req) {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        app.pool.query('SELECT 1'),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS); }),
      ]);
    } catch (err) {
      req.log.warn({ err }, 'readiness check: database unavailable');
      throw new DwError('DW_ERR_DATABASE_UNAVAILABLE');
    } finally {
      clearTimeout(timer);
    }
    return { status: 'ready' };
  });
}, { name: 'driftwatch-health', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool'] } });
