// Usage in the control API: `usageStorePlugin` opens the usage store once (Redis when REDIS_URL is
// set, else the usage_counters table: src/core/usage.ts) and puts it on the instance as `app.usage`
// (billing's metering reads it too); `usageRoutesPlugin` serves the tenant's own month.
//
//   GET /api/v1/usage ─▶ planUsage(tenant): tenants.plan + plans ─┬─ this month's events, bytes, anomalies
//                                                                 └─ ?by=day|hour: the month's buckets
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../../core/log.js';
import { monthStart, nextMonthStart, openUsageStore, planUsage, type UsageGranularity, type UsageStore } from '../../core/usage.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';

declare module 'fastify' {
  interface FastifyInstance {
    usage: UsageStore;
  }
}

export const usageStorePlugin = definePlugin(async function usageStore(app: FastifyInstance): Promise<void> {
  const { redisUrl, redisKeyPrefix } = app.config;
  const store = await openUsageStore({ pool: app.pool, redisUrl, redisKeyPrefix, log: app.log as unknown as Logger });
  app.decorate('usage', store);
  app.addHook('onClose', async function closeUsageStore() { await store.close(); });
}, { name: 'driftwatch-usage-store', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'config'] } });

const totals = { events: { type: 'integer' }, bytes: { type: 'integer' }, anomalies: { type: 'integer' } } as const;

export const usageRoutesPlugin = definePlugin(async function usageRoutes(app: FastifyInstance): Promise<void> {
  const { pool, usage } = app;

  app.get<{ Querystring: { by?: UsageGranularity } }>('/usage', {
    onRequest: authenticate({ scope: 'read' }),
    schema: {
      summary: "This UTC month's usage of the caller's tenant (events and bytes accepted, anomalies found) and its plan's limit",
      tags: ['usage'],
      querystring: {
        type: 'object',
        properties: { by: { type: 'string', enum: ['hour', 'day'], description: 'also list the month by hour or by day' } },
        additionalProperties: false,
      },
      response: {
        200: {
          type: 'object',
          properties: {
            plan: { type: 'string' }, plan_name: { type: 'string' },
            period_start: { type: 'string' }, period_end: { type: 'string' },
            ...totals,
            events_limit: { type: ['integer', 'null'], description: 'events per month of the plan; null: unlimited' },
            events_remaining: { type: ['integer', 'null'] },
            retention_days: { type: 'integer' },
            store: { type: 'string', enum: ['redis', 'table'] },
            buckets: { type: 'array', items: { type: 'object', properties: { start: { type: 'string' }, ...totals }, required: ['start', 'events', 'bytes', 'anomalies'] } },
          },
          required: ['plan', 'plan_name', 'period_start', 'period_end', 'events', 'bytes', 'anomalies', 'events_limit', 'events_remaining', 'retention_days', 'store'],
        },
      },
    },
  }, async function monthUsage(req) {
    const p = principalOf(req);
    const now = Date.now();
    const start = monthStart(now);
    const end = nextMonthStart(now);
    const u = await planUsage(pool, usage, p.tenantId, now);
    const buckets = req.query.by === undefined ? undefined : await usage.range(p.tenantId, new Date(start), new Date(end), req.query.by);
    return {
      plan: u.plan, plan_name: u.planName,
      period_start: new Date(start).toISOString(), period_end: new Date(end).toISOString(),
      ...u.usage,
      events_limit: u.limit,
      events_remaining: u.limit === null ? null : Math.max(0, u.limit - u.usage.events),
      retention_days: u.retentionDays,
      store: usage.kind,
      ...(buckets !== undefined ? { buckets } : {}),
    };
  });
}, {
  name: 'driftwatch-usage', dependencies: ['driftwatch-context', 'driftwatch-usage-store'],
  decorators: { fastify: ['pool', 'usage', 'resolver', 'sessions'], request: ['principal'] },
});
