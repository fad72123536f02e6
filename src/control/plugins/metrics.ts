// GET /metrics: the process's Prometheus registry (src/core/telemetry), the same set the engine
// and the edge of this process answer; bearer METRICS_TOKEN when it is set. Every answer is
// counted by status class, every error answer by its code (the errors plugin).
//
//   GET /metrics ─▶ metricsAllowed(Authorization) ── no ─▶ 401 DW_ERR_UNAUTHORIZED
//                                                 └─ yes ─▶ 200 text/plain; version=0.0.4
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DwError } from '../../core/errors.js';
import { controlMetrics, METRICS_CONTENT_TYPE, METRICS_PATH, metricsAccess, metricsText, type CounterChild } from '../../core/telemetry/index.js';
import { definePlugin } from './define.js';

export const metricsPlugin = definePlugin(async function metrics(app: FastifyInstance): Promise<void> {
  const allowed = metricsAccess(app.config.metricsToken);
  const byClass: CounterChild[] = ['1xx', '2xx', '3xx', '4xx', '5xx'].map((c) => controlMetrics.requests.child(c));
  app.addHook('onResponse', async function countResponse(_req: FastifyRequest, reply: FastifyReply) {
    byClass[Math.min(4, Math.max(0, Math.floor(reply.statusCode / 100) - 1))].inc();
  });

  app.get(METRICS_PATH, {
    schema: {
      summary: 'Prometheus metrics of this process (engine, control API and edge share one registry); bearer METRICS_TOKEN when it is set',
      tags: ['health'],
      response: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } } },
    },
  }, async function metricsRoute(req: FastifyRequest, reply: FastifyReply) {
    reply.header('cache-control', 'no-store');
    if (!allowed(req.headers.authorization)) throw new DwError('DW_ERR_UNAUTHORIZED', 'GET /metrics needs the metrics token (METRICS_TOKEN) as a bearer token');
    const text = await metricsText();
    return reply.type(METRICS_CONTENT_TYPE).send(text);
  });
}, { name: 'driftwatch-metrics', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['config'] } });
