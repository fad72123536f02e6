// Billing over HTTP: plans, Stripe Checkout and the billing portal, the tenant's subscription,
// and usage per day. The work (SQL, Stripe calls, audit rows) is the billing service's
// (src/control/billing/service.ts); the Stripe webhook is its own plugin (webhooks.ts: raw body).
//
//   billingContextPlugin (global): app.billing = BillingService { stripe | undefined, prices, reporter },
//     and when STRIPE_SECRET_KEY is set a ticker every STRIPE_USAGE_REPORT_INTERVAL_SECONDS
//     running app.billing.tick() (grace periods, usage reports when STRIPE_USAGE_ENABLED),
//     stopped (and a run in progress awaited) when the app closes.
//
//   /api/v1/billing ─┬─ GET    /plans          any reader     plans, quotas, price ids      (works without Stripe)
//                    ├─ POST   /checkout       owner/admin    Checkout Session for a plan
//                    ├─ GET    /portal         owner/admin    billing portal session
//                    ├─ GET    /subscription   any reader     the subscription as last read from Stripe
//                    ├─ DELETE /subscription   owner/admin    cancel (at period end; ?immediately=true now)
//                    ├─ GET    /usage          any reader     events per day of the current period (works without Stripe)
//                    └─ POST   /usage          owner/admin    a manual usage record, sent as its own meter event
//
// Without STRIPE_SECRET_KEY the routes that need Stripe answer 501 DW_ERR_BILLING_DISABLED.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BillingService, type BillingActor, type ManualUsageInput, type ManualUsageRow, type TenantSubscription } from '../billing/service.js';
import { graceEndsAt } from '../billing/subscription.js';
import { PLAN_IDS, type PlanId } from '../../core/tenancy/plans.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { iso } from './schemas.js';

declare module 'fastify' {
  interface FastifyInstance {
    billing: BillingService;
  }
}

export const billingContextPlugin = definePlugin(async function billingContext(app: FastifyInstance): Promise<void> {
  const { config } = app;
  const billing = new BillingService({ pool: app.pool, config, audit: app.audit, log: app.log.child({ component: 'billing' }) });
  app.decorate('billing', billing);
  const reporter = billing.reporter;
  if (reporter === undefined) return;
  app.addHook('onReady', async function startBillingTicker() {
    reporter.start(config.stripeUsageReportIntervalSeconds * 1000, () => billing.tick());
  });
  app.addHook('onClose', async function stopBillingTicker() {
    await reporter.stop();
  });
}, {
  name: 'driftwatch-billing-context', global: true,
  dependencies: ['driftwatch-context', 'driftwatch-audit'], decorators: { fastify: ['pool', 'config', 'audit'] },
});

const OWNER_ROLES = Object.freeze(['owner', 'admin']);
const nullableIso = { type: ['string', 'null'] } as const;

const plansResponse = {
  type: 'object',
  properties: {
    billing_enabled: { type: 'boolean' }, publishable_key: { type: ['string', 'null'] }, currency: { type: 'string' },
    current_plan: { type: 'string' },
    plans: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, name: { type: 'string' }, events_per_month: { type: ['integer', 'null'] },
          retention_days: { type: 'integer' }, price_id: { type: ['string', 'null'] },
        },
        required: ['id', 'name', 'events_per_month', 'retention_days', 'price_id'],
      },
    },
  },
  required: ['billing_enabled', 'publishable_key', 'currency', 'current_plan', 'plans'],
} as const;

const subscriptionSchema = {
  type: 'object',
  properties: {
    plan: { type: 'string', description: "the tenant's plan now (tenants.plan)" },
    subscription: {
      type: ['object', 'null'],
      properties: {
        id: { type: 'string' }, status: { type: 'string' }, plan: { type: ['string', 'null'] }, price_id: { type: ['string', 'null'] },
        current_period_start: nullableIso, current_period_end: nullableIso, cancel_at: nullableIso,
        cancel_at_period_end: { type: 'boolean' }, canceled_at: nullableIso, past_due_since: nullableIso,
        grace_ends_at: { ...nullableIso, description: 'past due: the plan is kept until then, then free' },
        updated_at: { type: 'string' },
      },
      required: ['id', 'status', 'plan', 'price_id', 'current_period_start', 'current_period_end', 'cancel_at', 'cancel_at_period_end', 'canceled_at', 'past_due_since', 'grace_ends_at', 'updated_at'],
    },
  },
  required: ['plan', 'subscription'],
} as const;

function subscriptionJson({ plan, subscription: s }: TenantSubscription): Record<string, unknown> {
  return {
    plan,
    subscription: s === null ? null : {
      id: s.stripe_subscription_id, status: s.status, plan: s.plan, price_id: s.price_id,
      current_period_start: iso(s.current_period_start), current_period_end: iso(s.current_period_end),
      cancel_at: iso(s.cancel_at), cancel_at_period_end: s.cancel_at_period_end, canceled_at: iso(s.canceled_at),
      past_due_since: iso(s.past_due_since),
      grace_ends_at: iso(graceEndsAt({ status: s.status, pastDueSince: s.past_due_since })),
      updated_at: s.updated_at.toISOString(),
    },
  };
}

const usageDaySchema = {
  type: 'object',
  properties: {
    date: { type: 'string' }, events: { type: 'integer' }, bytes: { type: 'integer' }, anomalies: { type: 'integer' },
    reported_events: { type: 'integer', description: 'events of this day already sent to Stripe as meter events' },
    manual_events: { type: 'integer', description: 'events recorded by hand (POST /billing/usage)' },
  },
  required: ['date', 'events', 'bytes', 'anomalies', 'reported_events', 'manual_events'],
} as const;

const usageResponse = {
  type: 'object',
  properties: {
    plan: { type: 'string' }, events_per_month: { type: ['integer', 'null'] },
    period_start: { type: 'string' }, period_end: { type: 'string' },
    period_source: { type: 'string', enum: ['subscription', 'calendar_month'] },
    totals: {
      type: 'object',
      properties: { events: { type: 'integer' }, bytes: { type: 'integer' }, anomalies: { type: 'integer' }, reported_events: { type: 'integer' }, manual_events: { type: 'integer' } },
      required: ['events', 'bytes', 'anomalies', 'reported_events', 'manual_events'],
    },
    days: { type: 'array', items: usageDaySchema },
  },
  required: ['plan', 'events_per_month', 'period_start', 'period_end', 'period_source', 'totals', 'days'],
} as const;

const manualRecordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, events: { type: 'integer' }, timestamp: { type: 'string' }, reason: { type: ['string', 'null'] },
    identifier: { type: 'string' }, status: { type: 'string' },
  },
  required: ['id', 'events', 'timestamp', 'reason', 'identifier', 'status'],
} as const;

const manualJson = (r: ManualUsageRow): Record<string, unknown> => ({
  id: r.id, events: Number(r.events), timestamp: r.ts.toISOString(), reason: r.reason, identifier: r.identifier, status: r.status,
});

const idempotencyKeyOf = (req: FastifyRequest): string | undefined => {
  const v = req.headers['idempotency-key'];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

const idempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

const checkoutSchema = {
  summary: 'Start a Stripe Checkout session (mode subscription) for a paid plan; answers its URL', tags: ['billing'],
  headers: idempotencyHeaders,
  body: {
    type: 'object', properties: { plan: { type: 'string', enum: PLAN_IDS.filter((id) => id !== 'free') } },
    required: ['plan'], additionalProperties: false,
  },
  response: {
    200: {
      type: 'object', properties: { session_id: { type: 'string' }, url: { type: ['string', 'null'] }, plan: { type: 'string' } },
      required: ['session_id', 'url', 'plan'],
    },
  },
} as const;

const recordUsageSchema = {
  summary: 'Record usage by hand (owners and admins): sent to Stripe as its own meter event; Idempotency-Key makes a retry safe', tags: ['billing'],
  headers: idempotencyHeaders,
  body: {
    type: 'object',
    properties: {
      events: { type: 'integer', minimum: 1, maximum: 1_000_000_000_000 },
      timestamp: { type: 'string', format: 'date-time', description: 'when the usage happened (default now); within the past 35 days' },
      reason: { type: 'string', maxLength: 500 },
    },
    required: ['events'], additionalProperties: false,
  },
  response: { 200: manualRecordSchema, 201: manualRecordSchema },
} as const;

/** The signed-in user (or key) of the request, as the billing service takes it. */
function actorOf(req: FastifyRequest): BillingActor {
  const p = principalOf(req);
  return { tenantId: p.tenantId, userId: p.subject, ...(p.email !== undefined ? { email: p.email } : {}), ip: clientIp(req) };
}

const reader = authenticate({ scope: 'read' });
const owner = authenticate({ roles: OWNER_ROLES });

/** GET /plans, POST /checkout, GET /portal. */
function planRoutes(app: FastifyInstance, billing: BillingService): void {
  app.get('/billing/plans', {
    onRequest: reader,
    schema: { summary: 'Plans with their quotas and Stripe prices, and the tenant\'s plan', tags: ['billing'], response: { 200: plansResponse } },
  }, async function listPlans(req) {
    return billing.plans(principalOf(req).tenantId);
  });

  app.post<{ Body: { plan: PlanId } }>('/billing/checkout', { onRequest: owner, schema: checkoutSchema }, async function checkout(req) {
    return billing.checkout(actorOf(req), req.body.plan, idempotencyKeyOf(req));
  });

  app.get('/billing/portal', {
    onRequest: owner,
    schema: {
      summary: "A Stripe billing portal session for the tenant's customer; answers its URL", tags: ['billing'],
      response: { 200: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] } },
    },
  }, async function portal(req) {
    return billing.portal(principalOf(req).tenantId);
  });
}

/** GET and DELETE /subscription. */
function subscriptionRoutes(app: FastifyInstance, billing: BillingService): void {
  app.get('/billing/subscription', {
    onRequest: reader,
    schema: { summary: "The tenant's plan and subscription (as last read from Stripe)", tags: ['billing'], response: { 200: subscriptionSchema } },
  }, async function getSub(req) {
    return subscriptionJson(await billing.subscription(principalOf(req).tenantId));
  });

  app.delete<{ Querystring: { immediately?: 'true' | 'false' } }>('/billing/subscription', {
    onRequest: owner,
    schema: {
      summary: 'Cancel the subscription at the end of the paid period (?immediately=true: now, back to free)', tags: ['billing'],
      querystring: { type: 'object', properties: { immediately: { type: 'string', enum: ['true', 'false'] } }, additionalProperties: false },
      response: { 200: subscriptionSchema },
    },
  }, async function cancelSub(req) {
    return subscriptionJson(await billing.cancel(actorOf(req), req.query.immediately === 'true'));
  });
}

/** GET and POST /usage. */
function usageRoutes(app: FastifyInstance, billing: BillingService): void {
  app.get('/billing/usage', {
    onRequest: reader,
    schema: {
      summary: 'Usage per day (UTC) of the current billing period (the calendar month without a subscription)', tags: ['billing'],
      response: { 200: usageResponse },
    },
  }, async function usage(req) {
    return billing.usage(principalOf(req).tenantId);
  });

  app.post<{ Body: ManualUsageInput }>('/billing/usage', { onRequest: owner, schema: recordUsageSchema }, async function recordUsage(req, reply) {
    const { row, replay } = await billing.recordUsage(actorOf(req), req.body, idempotencyKeyOf(req));
    return reply.code(replay ? 200 : 201).send(manualJson(row));
  });
}

export const billingPlugin = definePlugin(async function billing(app: FastifyInstance): Promise<void> {
  planRoutes(app, app.billing);
  subscriptionRoutes(app, app.billing);
  usageRoutes(app, app.billing);
}, {
  name: 'driftwatch-billing',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-billing-context'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit', 'billing'], request: ['principal'] },
});
