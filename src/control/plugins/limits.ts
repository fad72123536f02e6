// The caller's tenant's ingest limits (src/core/tenancy/limits.ts): what the engine applies to its bodies or
// frames, batches and rate, and where each value comes from (config, plan or tenant override).
//
//   GET /api/v1/limits ─▶ tenants.plan + plans + tenant_limits, with this process's MAX_BODY_BYTES,
//                         MAX_BATCH_EVENTS and TENANT_EVENTS_PER_SECOND (the engine's, when they
//                         are given the same configuration)
// Overrides are set in SQL for now (tenant_limits; README "Plans and quotas").
import type { FastifyInstance } from 'fastify';
import { DwError } from '../../core/errors.js';
import { readTenantLimits, type EffectiveLimit, type LimitValues } from '../../core/tenancy/limits.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';

const nullableInt = { type: ['integer', 'null'] } as const;
const limit = {
  type: 'object',
  properties: {
    value: { type: 'integer', description: 'the limit the engine applies (events_per_second: 0 = unlimited)' },
    source: { type: 'string', enum: ['config', 'plan', 'tenant'], description: 'where the value comes from' },
    config: { type: 'integer', description: "the engine's global setting (for sizes also the ceiling)" },
    plan: nullableInt,
    tenant: nullableInt,
  },
  required: ['value', 'source', 'config', 'plan', 'tenant'],
} as const;

export const limitsPlugin = definePlugin(async function limits(app: FastifyInstance): Promise<void> {
  const { pool, config } = app;

  app.get('/limits', {
    onRequest: authenticate({ scope: 'read' }),
    schema: {
      summary: "The caller's tenant's ingest limits (body or frame bytes, events per batch, events per second) and where each comes from",
      tags: ['usage'],
      response: {
        200: {
          type: 'object',
          properties: { plan: { type: 'string' }, max_body_bytes: limit, max_batch_events: limit, events_per_second: limit },
          required: ['plan', 'max_body_bytes', 'max_batch_events', 'events_per_second'],
        },
      },
    },
  }, async function tenantLimits(req) {
    const p = principalOf(req);
    const v = await readTenantLimits(pool, config, p.tenantId);
    if (v === undefined) throw new DwError('DW_ERR_NOT_FOUND', 'tenant not found');
    const row = (e: EffectiveLimit, key: keyof LimitValues, global: number) =>
      ({ value: e.value, source: e.source, config: global, plan: v.plan_limits[key], tenant: v.tenant_limits[key] });
    return {
      plan: v.plan,
      max_body_bytes: row(v.effective.maxBodyBytes, 'maxBodyBytes', config.maxBodyBytes),
      max_batch_events: row(v.effective.maxBatchEvents, 'maxBatchEvents', config.maxBatchEvents),
      events_per_second: row(v.effective.eventsPerSecond, 'eventsPerSecond', config.tenantEventsPerSecond),
    };
  });
}, {
  name: 'driftwatch-limits', dependencies: ['driftwatch-context'],
  decorators: { fastify: ['pool', 'config', 'resolver', 'sessions'], request: ['principal'] },
});
