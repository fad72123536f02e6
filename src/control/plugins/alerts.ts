// Alerts over HTTP: a tenant's channels (webhook signed with HMAC, Slack incoming webhook,
// email), its rules, a "send test" per channel and the delivery log. Owners and admins only;
// changes are audited. The work is in src/control/alerts/ (store, incidents, dispatcher).
//
//   alertsContextPlugin (global)  app.alerts: { store, dispatcher }; the dispatcher listens to
//                                 app.live's stored anomalies and starts its timers; closed with the app
//   alertsPlugin                  /alerts/channels[/:id[/test]], /alerts/rules[/:id], /alerts/deliveries
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AlertDispatcher } from '../alerts/dispatcher.js';
import { Senders } from '../alerts/senders.js';
import { AlertStore, CHANNEL_KINDS, type ChannelInput, type RuleInput } from '../alerts/service.js';
import { isHhMm, isTimeZone } from '../alerts/format.js';
import { DwError } from '../../core/errors.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { coerceQueryNumbers, uuidParams } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance { alerts: { store: AlertStore; dispatcher: AlertDispatcher } }
}

export const ALERT_ADMIN_ROLES = Object.freeze(['owner', 'admin'] as const);

const channelSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, kind: { type: 'string', enum: [...CHANNEL_KINDS] }, name: { type: 'string' },
    target: { type: 'string', description: 'webhook: its URL; slack: the URL without its secret path; email: the address' },
    system_alerts: { type: 'boolean' }, created_at: { type: 'string' },
  },
  required: ['id', 'kind', 'name', 'target', 'system_alerts', 'created_at'],
} as const;

const ruleBody = {
  type: 'object',
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    streams: { type: ['array', 'null'], items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 100, description: 'null: every stream; else names, or patterns with * (api-*)' },
    min_score: { type: 'number', minimum: 0, maximum: 1 },
    channel_ids: { type: 'array', items: { type: 'string', format: 'uuid' }, minItems: 1, maxItems: 20 },
    enabled: { type: 'boolean' },
    quiet_hours: {
      type: ['object', 'null'],
      properties: { start: { type: 'string', description: 'HH:MM' }, end: { type: 'string', description: 'HH:MM (before start: spans midnight)' }, time_zone: { type: 'string', description: 'IANA time zone, default UTC' } },
      required: ['start', 'end'], additionalProperties: false,
    },
  },
  required: ['name', 'channel_ids'],
  additionalProperties: false,
} as const;

const ruleSchema = {
  type: 'object',
  properties: {
    ...ruleBody.properties, id: { type: 'string' }, created_at: { type: 'string' }, updated_at: { type: 'string' },
    quiet_hours: { type: ['object', 'null'], properties: { start: { type: 'string' }, end: { type: 'string' }, time_zone: { type: 'string' } } },
  },
} as const;

const deliverySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, channel_id: { type: 'string' }, channel_name: { type: 'string' }, channel_kind: { type: 'string' },
    incident_id: { type: ['string', 'null'], description: "incident.opened: detection's incident (GET /api/v1/incidents/{id}); a quota or VM alert: its system event; null for a test" }, rule_id: { type: ['string', 'null'] }, event: { type: 'string' }, title: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'sending', 'sent', 'failed', 'suppressed'] }, attempts: { type: 'integer' },
    last_error: { type: ['string', 'null'] }, response_code: { type: ['integer', 'null'] },
    created_at: { type: 'string' }, sent_at: { type: ['string', 'null'] }, next_attempt_at: { type: ['string', 'null'] },
  },
} as const;

type RuleBody = Omit<RuleInput, 'streams' | 'min_score' | 'enabled' | 'quiet_hours'> & {
  streams?: string[] | null; min_score?: number; enabled?: boolean; quiet_hours?: { start: string; end: string; time_zone?: string } | null;
};

function ruleInput(b: RuleBody): RuleInput {
  const q = b.quiet_hours ?? null;
  if (q !== null) {
    if (!isHhMm(q.start) || !isHhMm(q.end)) throw new DwError('DW_ERR_VALIDATION', 'quiet_hours start and end are HH:MM (00:00 to 23:59)');
    if (q.time_zone !== undefined && !isTimeZone(q.time_zone)) throw new DwError('DW_ERR_VALIDATION', `unknown time zone ${q.time_zone}`);
  }
  return {
    name: b.name.trim(), streams: b.streams === undefined || b.streams === null || b.streams.length === 0 ? null : b.streams,
    min_score: b.min_score ?? 0.5, channel_ids: b.channel_ids, enabled: b.enabled ?? true,
    quiet_hours: q === null ? null : { start: q.start, end: q.end, time_zone: q.time_zone ?? 'UTC' },
  };
}

export const alertsContextPlugin = definePlugin(async function alertsContext(app: FastifyInstance): Promise<void> {
  const c = app.config;
  const store = new AlertStore(app.pool, { smtp: c.smtpUrl !== undefined, allowPrivate: c.alertAllowPrivateTargets });
  const senders = new Senders({ smtpUrl: c.smtpUrl, emailFrom: c.alertEmailFrom, allowPrivate: c.alertAllowPrivateTargets });
  const dispatcher = new AlertDispatcher(app.pool, app.log as never, senders, app.usage, {
    retryBaseMs: c.alertRetryBaseMs, maxAttempts: c.alertMaxAttempts, pollMs: c.alertPollMs, systemCheckMs: c.alertSystemCheckMs,
    windowMs: c.alertIncidentWindowSeconds * 1000, dashboardUrl: (c.dashboardUrl ?? `http://${c.host === '0.0.0.0' || c.host === '::' ? '127.0.0.1' : c.host}:${c.controlPort}`).replace(/\/$/, ''),
  });
  app.decorate('alerts', { store, dispatcher });
  app.live.onAnomalies((tenantId, list) => dispatcher.onAnomalies(tenantId, list));
  app.addHook('onReady', async () => { dispatcher.start(); });
  app.addHook('preClose', async () => { await dispatcher.close(); });
}, {
  name: 'driftwatch-alerts-context', global: true,
  dependencies: ['driftwatch-context', 'driftwatch-live', 'driftwatch-usage-store'], decorators: { fastify: ['pool', 'config', 'live', 'usage'] },
});

type AlertAction = 'alert_channel.create' | 'alert_channel.delete' | 'alert_rule.create' | 'alert_rule.update' | 'alert_rule.delete';
const recorder = (app: FastifyInstance) => (req: FastifyRequest, action: AlertAction, target: string, details?: Record<string, unknown>) => {
  const p = principalOf(req);
  return app.audit.record({ tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action, target, ip: clientIp(req), details });
};

/** Channels: create, list, delete, send test. */
function channelRoutes(app: FastifyInstance): void {
  const { store, dispatcher } = app.alerts;
  const asAdmin = authenticate({ roles: ALERT_ADMIN_ROLES });
  const record = recorder(app);

  app.post<{ Body: ChannelInput }>('/alerts/channels', {
    onRequest: asAdmin,
    schema: {
      summary: 'Create an alert channel (a webhook\'s signing secret is in this answer only)', tags: ['alerts'],
      body: {
        type: 'object',
        properties: {
          kind: { type: 'string', enum: [...CHANNEL_KINDS] }, name: { type: 'string', minLength: 1, maxLength: 100 },
          url: { type: 'string', maxLength: 2000, description: 'webhook and slack: where to POST' },
          email: { type: 'string', maxLength: 254, description: 'email: the address (needs SMTP_URL)' },
          system_alerts: { type: 'boolean', description: 'also quota (80%, 100%) and engine VM alerts; default true' },
        },
        required: ['kind', 'name'], additionalProperties: false,
      },
      response: { 201: { type: 'object', properties: { ...channelSchema.properties, secret: { type: 'string', description: 'webhook only: the HMAC-SHA256 key, shown once' } } } },
    },
  }, async function createChannel(req, reply) {
    const p = principalOf(req);
    const ch = await store.createChannel(p.tenantId, p.subject, { ...req.body, name: req.body.name.trim() });
    await record(req, 'alert_channel.create', `alert_channel:${ch.id}`, { kind: ch.kind, name: ch.name, target: ch.target });
    return reply.code(201).send(ch);
  });

  app.get('/alerts/channels', {
    onRequest: asAdmin,
    schema: { summary: "The tenant's alert channels (never their secrets)", tags: ['alerts'], response: { 200: { type: 'object', properties: { channels: { type: 'array', items: channelSchema } } } } },
  }, async function listChannels(req) { return { channels: await store.channels(principalOf(req).tenantId) }; });

  app.delete<{ Params: { id: string } }>('/alerts/channels/:id', {
    onRequest: asAdmin, schema: { summary: 'Delete an alert channel (and its delivery log)', tags: ['alerts'], params: uuidParams, response: { 204: { type: 'null' } } },
  }, async function deleteChannel(req, reply) {
    if (!await store.deleteChannel(principalOf(req).tenantId, req.params.id)) throw new DwError('DW_ERR_NOT_FOUND', 'alert channel');
    await record(req, 'alert_channel.delete', `alert_channel:${req.params.id}`);
    return reply.code(204).send();
  });

  app.post<{ Params: { id: string } }>('/alerts/channels/:id/test', {
    onRequest: asAdmin,
    schema: { summary: 'Send a test notification now (retried like any delivery when it fails)', tags: ['alerts'], params: uuidParams, response: { 200: deliverySchema } },
  }, async function testChannel(req) {
    const p = principalOf(req);
    const id = await dispatcher.sendTest(p.tenantId, req.params.id);
    return await store.delivery(p.tenantId, id);
  });

}

/** Rules: create, list, replace, delete; and the delivery log. */
function ruleRoutes(app: FastifyInstance): void {
  const { store } = app.alerts;
  const asAdmin = authenticate({ roles: ALERT_ADMIN_ROLES });
  const record = recorder(app);
  app.post<{ Body: RuleBody }>('/alerts/rules', {
    onRequest: asAdmin,
    schema: { summary: 'Create an alert rule', tags: ['alerts'], body: ruleBody, response: { 201: ruleSchema } },
  }, async function createRule(req, reply) {
    const rule = await store.createRule(principalOf(req).tenantId, ruleInput(req.body));
    await record(req, 'alert_rule.create', `alert_rule:${rule.id}`, { name: rule.name });
    return reply.code(201).send(rule);
  });

  app.get('/alerts/rules', {
    onRequest: asAdmin,
    schema: { summary: "The tenant's alert rules", tags: ['alerts'], response: { 200: { type: 'object', properties: { rules: { type: 'array', items: ruleSchema } } } } },
  }, async function listRules(req) { return { rules: await store.rules(principalOf(req).tenantId) }; });

  app.put<{ Params: { id: string }; Body: RuleBody }>('/alerts/rules/:id', {
    onRequest: asAdmin,
    schema: { summary: 'Replace an alert rule', tags: ['alerts'], params: uuidParams, body: ruleBody, response: { 200: ruleSchema } },
  }, async function updateRule(req) {
    const rule = await store.updateRule(principalOf(req).tenantId, req.params.id, ruleInput(req.body));
    if (rule === undefined) throw new DwError('DW_ERR_NOT_FOUND', 'alert rule');
    await record(req, 'alert_rule.update', `alert_rule:${rule.id}`, { name: rule.name });
    return rule;
  });

  app.delete<{ Params: { id: string } }>('/alerts/rules/:id', {
    onRequest: asAdmin, schema: { summary: 'Delete an alert rule', tags: ['alerts'], params: uuidParams, response: { 204: { type: 'null' } } },
  }, async function deleteRule(req, reply) {
    if (!await store.deleteRule(principalOf(req).tenantId, req.params.id)) throw new DwError('DW_ERR_NOT_FOUND', 'alert rule');
    await record(req, 'alert_rule.delete', `alert_rule:${req.params.id}`);
    return reply.code(204).send();
  });

  const deliveriesQuery = { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } }, additionalProperties: false } as const;
  app.get<{ Querystring: { limit?: number } }>('/alerts/deliveries', {
    onRequest: asAdmin,
    preValidation: coerceQueryNumbers(deliveriesQuery),
    schema: { summary: 'The delivery log, newest first', tags: ['alerts'], querystring: deliveriesQuery, response: { 200: { type: 'object', properties: { deliveries: { type: 'array', items: deliverySchema } } } } },
  }, async function listDeliveries(req) {
    return { deliveries: await store.deliveries(principalOf(req).tenantId, req.query.limit ?? 100) };
  });
}

export const alertsPlugin = definePlugin(async function alerts(app: FastifyInstance): Promise<void> {
  channelRoutes(app);
  ruleRoutes(app);
}, {
  name: 'driftwatch-alerts',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-alerts-context'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit', 'alerts'], request: ['principal'] },
});
