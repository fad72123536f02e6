// Counts for the tenant's dashboard, and its latest anomalies.
import type { FastifyInstance } from 'fastify';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { eventTotals } from '../../core/event-blocks.js';
import { recentAnomalies } from '../anomalies/service.js';
import { anomalyJson, anomalySchema } from './schemas.js';

export const RECENT_ANOMALIES = 10;

export const dashboardPlugin = definePlugin(async function dashboard(app: FastifyInstance): Promise<void> {
  const { pool } = app;
  const reader = authenticate({ scope: 'read' });

  app.get('/dashboard/stats', {
    onRequest: reader,
    schema: {
      summary: "Totals for the tenant: events, anomalies, open anomalies, distinct streams",
      tags: ['dashboard'],
      response: {
        200: {
          type: 'object',
          properties: {
            events_total: { type: 'integer' }, anomalies_total: { type: 'integer' },
            anomalies_open: { type: 'integer' }, streams: { type: 'integer' },
          },
          required: ['events_total', 'anomalies_total', 'anomalies_open', 'streams'],
        },
      },
    },
  }, async function stats(req) {
    const p = principalOf(req);
    const [ev, an] = await Promise.all([
      eventTotals(pool, p.tenantId),
      pool.query<{ anomalies_total: string; anomalies_open: string }>(
        `SELECT count(*) AS anomalies_total, count(*) FILTER (WHERE status = 'open') AS anomalies_open
           FROM anomalies WHERE tenant_id = $1`, [p.tenantId]),
    ]);
    return {
      events_total: ev.events,
      anomalies_total: Number(an.rows[0].anomalies_total),
      anomalies_open: Number(an.rows[0].anomalies_open),
      streams: ev.streams,
    };
  });

  app.get('/dashboard/recent', {
    onRequest: reader,
    schema: {
      summary: `The tenant's ${RECENT_ANOMALIES} latest anomalies`,
      tags: ['dashboard'],
      response: { 200: { type: 'object', properties: { anomalies: { type: 'array', items: anomalySchema } }, required: ['anomalies'] } },
    },
  }, async function recent(req) {
    const rows = await recentAnomalies(pool, principalOf(req).tenantId, RECENT_ANOMALIES);
    return { anomalies: rows.map(anomalyJson) };
  });
}, { name: 'driftwatch-dashboard', dependencies: ['driftwatch-context'], decorators: { fastify: ['pool', 'resolver', 'sessions'], request: ['principal'] } });
