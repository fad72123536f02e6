// Billing in the control API: plans, Stripe Checkout and the billing portal, the tenant's
// subscription, and usage per day. The Stripe webhook is its own plugin (webhooks.ts: raw body).
//
//   billingContextPlugin (global): app.billing = { stripe | undefined, prices }, and when
//     STRIPE_SECRET_KEY is set a ticker every STRIPE_USAGE_REPORT_INTERVAL_SECONDS:
//       expireGrace (past due beyond the grace period ─▶ free)
//       + when STRIPE_USAGE_ENABLED: UsageReporter.runOnce (closed hours ─▶ meter events)
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
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type Stripe from 'stripe';
import { manualIdentifier, STRIPE_METER_WINDOW_MS } from '../billing/meter.js';
import { UsageReporter } from '../billing/reporter.js';
import { applySubscription, customerOf, expireGrace, getSubscription, lockTenant, saveCustomer, type StoredSubscription } from '../billing/store.js';
import { createStripeClient, isStripeRejection, planPrices, upstreamError, type PlanPrices } from '../billing/stripe.js';
import { graceEndsAt, LIVE_STATUSES, stateFromStripe } from '../billing/subscription.js';
import { DwError } from '../../core/errors.js';
import { loadPlans, PLAN_IDS, PLANS, type PlanId } from '../../core/tenancy/plans.js';
import { clientIp } from './audit.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';
import { iso } from './schemas.js';
import { withTransaction } from '../../core/db.js';

export interface BillingContext {
  /** undefined: STRIPE_SECRET_KEY unset, billing disabled. */
  readonly stripe: Stripe | undefined;
  readonly prices: PlanPrices;
  /** Present when billing is enabled; runs only when STRIPE_USAGE_ENABLED. */
  readonly reporter: UsageReporter | undefined;
  /** The Stripe client, or DW_ERR_BILLING_DISABLED. */
  need(): Stripe;
}

declare module 'fastify' {
  interface FastifyInstance {
    billing: BillingContext;
  }
}

export const billingContextPlugin = definePlugin(async function billingContext(app: FastifyInstance): Promise<void> {
  const { config, pool } = app;
  const log = app.log.child({ component: 'billing' });
  const stripe = createStripeClient(config);
  const prices = planPrices(config);
  const reporter = stripe === undefined ? undefined : new UsageReporter(pool, createStripeClient(config, { maxNetworkRetries: 0 })!, {
    eventName: config.stripeMeterEventName, log,
  });
  const billing: BillingContext = Object.freeze({
    stripe, prices, reporter,
    need(): Stripe {
      if (stripe === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SECRET_KEY is not set');
      return stripe;
    },
  });
  app.decorate('billing', billing);
  if (reporter === undefined) return;
  const tick = async (): Promise<void> => {
    for (const t of await expireGrace(pool, new Date())) {
      log.info({ event: 'BillingPlanChanged', tenant_id: t.tenantId, from: t.from, to: 'free', status: 'past_due' }, 'past-due grace period over');
      await app.audit.record({
        tenantId: t.tenantId, actorUserId: null, actorKind: 'system', action: 'billing.plan_change', target: null, ip: null,
        details: { from: t.from, to: 'free', status: 'past_due', reason: 'grace period over' },
      });
    }
    if (config.stripeUsageEnabled) await reporter.runOnce();
    // Stripe retries an event for up to 3 days; ids older than 30 days cannot come back.
    await pool.query("DELETE FROM stripe_webhook_events WHERE received_at < now() - interval '30 days'");
  };
  app.addHook('onReady', async function startBillingTicker() {
    reporter.start(config.stripeUsageReportIntervalSeconds * 1000, tick);
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

function subscriptionJson(plan: string, s: StoredSubscription | null): Record<string, unknown> {
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

const manualRecordSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' }, events: { type: 'integer' }, timestamp: { type: 'string' }, reason: { type: ['string', 'null'] },
    identifier: { type: 'string' }, status: { type: 'string' },
  },
  required: ['id', 'events', 'timestamp', 'reason', 'identifier', 'status'],
} as const;

interface ManualRow { id: string; events: string; ts: Date; reason: string | null; identifier: string; status: string; stripe_customer_id: string }
const manualJson = (r: ManualRow): Record<string, unknown> => ({
  id: r.id, events: Number(r.events), timestamp: r.ts.toISOString(), reason: r.reason, identifier: r.identifier, status: r.status,
});

async function tenantPlan(app: FastifyInstance, tenantId: string): Promise<string> {
  const { rows } = await app.pool.query<{ plan: string }>('SELECT plan FROM tenants WHERE id = $1', [tenantId]);
  return rows[0]?.plan ?? 'free';
}

const idempotencyKeyOf = (req: FastifyRequest): string | undefined => {
  const v = req.headers['idempotency-key'];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
};

const idempotencyHeaders = {
  type: 'object',
  properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

export const billingPlugin = definePlugin(async function billing(app: FastifyInstance): Promise<void> {
  const { pool, config, audit } = app;
  const ctx = app.billing;
  const reader = authenticate({ scope: 'read' });
  const owner = authenticate({ roles: OWNER_ROLES });
  const meteredPrices = new Map<string, boolean>();

  async function isMetered(stripe: Stripe, price: string): Promise<boolean> {
    let m = meteredPrices.get(price);
    if (m === undefined) {
      const p = await stripe.prices.retrieve(price).catch((err: unknown) => { throw upstreamError(err, 'prices.retrieve'); });
      m = p.recurring?.usage_type === 'metered';
      meteredPrices.set(price, m);
    }
    return m;
  }

  app.get('/billing/plans', {
    onRequest: reader,
    schema: {
      summary: 'Plans with their quotas and Stripe prices, and the tenant\'s plan', tags: ['billing'],
      response: {
        200: {
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
        },
      },
    },
  }, async function listPlans(req) {
    const p = principalOf(req);
    const plans = await loadPlans(pool);
    return {
      billing_enabled: ctx.stripe !== undefined,
      publishable_key: config.stripePublishableKey ?? null,
      currency: config.stripeCurrency,
      current_plan: await tenantPlan(app, p.tenantId),
      plans: PLAN_IDS.map((id) => ({
        id, name: plans[id].name, events_per_month: plans[id].eventsPerMonth, retention_days: plans[id].retentionDays,
        price_id: ctx.prices.priceOf(id) ?? null,
      })),
    };
  });

  app.post<{ Body: { plan: PlanId } }>('/billing/checkout', {
    onRequest: owner,
    schema: {
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
    },
  }, async function checkout(req) {
    const stripe = ctx.need();
    const p = principalOf(req);
    const plan = req.body.plan;
    if (config.stripeSuccessUrl === undefined || config.stripeCancelUrl === undefined) {
      throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SUCCESS_URL and STRIPE_CANCEL_URL must be set for Checkout');
    }
    const price = ctx.prices.priceOf(plan);
    if (price === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', `the ${plan} plan has no Stripe price (STRIPE_${plan.toUpperCase()}_PLAN_ID)`);
    const current = await getSubscription(pool, p.tenantId);
    if (current !== null && LIVE_STATUSES.includes(current.status)) {
      throw new DwError('DW_ERR_CONFLICT', 'the tenant already has a subscription; change plans in the billing portal (GET /api/v1/billing/portal)');
    }
    let customer = await customerOf(pool, p.tenantId);
    if (customer === null) {
      const { rows } = await pool.query<{ name: string }>('SELECT name FROM tenants WHERE id = $1', [p.tenantId]);
      const created = await stripe.customers.create({
        ...(p.email !== undefined ? { email: p.email } : {}), name: rows[0]?.name ?? p.tenantId, metadata: { tenant_id: p.tenantId },
      }, { idempotencyKey: `dw-customer-${p.tenantId}` }).catch((err: unknown) => { throw upstreamError(err, 'customers.create'); });
      customer = await saveCustomer(pool, p.tenantId, created.id);
    }
    const metered = await isMetered(stripe, price);
    const key = idempotencyKeyOf(req);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: p.tenantId,
      metadata: { tenant_id: p.tenantId, plan },
      subscription_data: { metadata: { tenant_id: p.tenantId, plan } },
      // A metered price takes no quantity: Stripe bills the meter events reported against it.
      line_items: [metered ? { price } : { price, quantity: 1 }],
      success_url: config.stripeSuccessUrl,
      cancel_url: config.stripeCancelUrl,
    }, { idempotencyKey: `dw-checkout-${p.tenantId}-${plan}-${key ?? randomUUID()}` })
      .catch((err: unknown) => { throw upstreamError(err, 'checkout.sessions.create'); });
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'billing.checkout',
      target: `checkout_session:${session.id}`, ip: clientIp(req), details: { plan, price },
    });
    return { session_id: session.id, url: session.url ?? null, plan };
  });

  app.get('/billing/portal', {
    onRequest: owner,
    schema: {
      summary: "A Stripe billing portal session for the tenant's customer; answers its URL", tags: ['billing'],
      response: { 200: { type: 'object', properties: { url: { type: 'string' } }, required: ['url'] } },
    },
  }, async function portal(req) {
    const stripe = ctx.need();
    const p = principalOf(req);
    const returnUrl = config.stripeSuccessUrl ?? config.stripeCancelUrl;
    if (returnUrl === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SUCCESS_URL (the portal\'s return URL) is not set');
    const customer = await customerOf(pool, p.tenantId);
    if (customer === null) throw new DwError('DW_ERR_NOT_FOUND', 'no billing account yet: subscribe with POST /api/v1/billing/checkout first');
    const session = await stripe.billingPortal.sessions.create({ customer, return_url: returnUrl })
      .catch((err: unknown) => { throw upstreamError(err, 'billingPortal.sessions.create'); });
    return { url: session.url };
  });

  app.get('/billing/subscription', {
    onRequest: reader,
    schema: { summary: "The tenant's plan and subscription (as last read from Stripe)", tags: ['billing'], response: { 200: subscriptionSchema } },
  }, async function getSub(req) {
    ctx.need();
    const p = principalOf(req);
    return subscriptionJson(await tenantPlan(app, p.tenantId), await getSubscription(pool, p.tenantId));
  });

  app.delete<{ Querystring: { immediately?: 'true' | 'false' } }>('/billing/subscription', {
    onRequest: owner,
    schema: {
      summary: 'Cancel the subscription at the end of the paid period (?immediately=true: now, back to free)', tags: ['billing'],
      querystring: { type: 'object', properties: { immediately: { type: 'string', enum: ['true', 'false'] } }, additionalProperties: false },
      response: { 200: subscriptionSchema },
    },
  }, async function cancelSub(req) {
    const stripe = ctx.need();
    const p = principalOf(req);
    const now = req.query.immediately === 'true';
    const current = await getSubscription(pool, p.tenantId);
    if (current === null || !LIVE_STATUSES.includes(current.status)) throw new DwError('DW_ERR_NOT_FOUND', 'no live subscription');
    const id = current.stripe_subscription_id;
    const sub = await (now
      ? stripe.subscriptions.cancel(id, {}, { idempotencyKey: `dw-cancel-${id}` })
      : stripe.subscriptions.update(id, { cancel_at_period_end: true }, { idempotencyKey: `dw-cancel-at-end-${id}` })
    ).catch((err: unknown) => { throw upstreamError(err, now ? 'subscriptions.cancel' : 'subscriptions.update'); });
    const result = await withTransaction(pool, async (client) => {
      const plan = (await lockTenant(client, p.tenantId)) ?? 'free';
      return applySubscription(client, p.tenantId, plan, stateFromStripe(sub, ctx.prices), new Date());
    });
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'billing.cancel', target: `subscription:${id}`,
      ip: clientIp(req), details: { immediately: now, status: sub.status, from: result.from, to: result.to },
    });
    return subscriptionJson(result.to, await getSubscription(pool, p.tenantId));
  });

  app.get('/billing/usage', {
    onRequest: reader,
    schema: {
      summary: 'Usage per day (UTC) of the current billing period (the calendar month without a subscription)', tags: ['billing'],
      response: {
        200: {
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
        },
      },
    },
  }, async function usage(req) {
    const p = principalOf(req);
    const now = new Date();
    const sub = await getSubscription(pool, p.tenantId);
    let start: Date;
    let end: Date;
    let source: 'subscription' | 'calendar_month';
    if (sub !== null && LIVE_STATUSES.includes(sub.status) && sub.current_period_start !== null && sub.current_period_end !== null) {
      start = sub.current_period_start; end = sub.current_period_end; source = 'subscription';
    } else {
      start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
      end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
      source = 'calendar_month';
    }
    const day = "to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD')";
    const [counted, reported, manual] = await Promise.all([
      pool.query<{ day: string; events: string; bytes: string; anomalies: string }>(
        `SELECT ${day.replace('%s', 'bucket')} AS day, sum(events) AS events, sum(bytes) AS bytes, sum(anomalies) AS anomalies
           FROM usage_counters WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 GROUP BY 1`, [p.tenantId, start, end]),
      pool.query<{ day: string; events: string }>(
        `SELECT ${day.replace('%s', 'bucket')} AS day, sum(events) AS events FROM billing_usage_reports
          WHERE tenant_id = $1 AND bucket >= $2 AND bucket < $3 AND status = 'sent' GROUP BY 1`, [p.tenantId, start, end]),
      pool.query<{ day: string; events: string }>(
        `SELECT ${day.replace('%s', 'ts')} AS day, sum(events) AS events FROM billing_manual_usage
          WHERE tenant_id = $1 AND ts >= $2 AND ts < $3 AND status = 'sent' GROUP BY 1`, [p.tenantId, start, end]),
    ]);
    const byDay = new Map<string, { date: string; events: number; bytes: number; anomalies: number; reported_events: number; manual_events: number }>();
    const last = Math.min(end.getTime() - 1, now.getTime());
    for (let t = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate()); t <= last; t += 86_400_000) {
      const date = new Date(t).toISOString().slice(0, 10);
      byDay.set(date, { date, events: 0, bytes: 0, anomalies: 0, reported_events: 0, manual_events: 0 });
    }
    const at = (d: string) => {
      let v = byDay.get(d);
      if (v === undefined) { v = { date: d, events: 0, bytes: 0, anomalies: 0, reported_events: 0, manual_events: 0 }; byDay.set(d, v); }
      return v;
    };
    for (const r of counted.rows) Object.assign(at(r.day), { events: Number(r.events), bytes: Number(r.bytes), anomalies: Number(r.anomalies) });
    for (const r of reported.rows) at(r.day).reported_events = Number(r.events);
    for (const r of manual.rows) at(r.day).manual_events = Number(r.events);
    const days = [...byDay.values()].sort((a, b) => a.date.localeCompare(b.date));
    const totals = { events: 0, bytes: 0, anomalies: 0, reported_events: 0, manual_events: 0 };
    for (const d of days) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += d[k];
    const plan = await tenantPlan(app, p.tenantId);
    const plans = await loadPlans(pool);
    return {
      plan, events_per_month: (plans[plan as PlanId] ?? PLANS.free).eventsPerMonth,
      period_start: start.toISOString(), period_end: end.toISOString(), period_source: source, totals, days,
    };
  });

  app.post<{ Body: { events: number; timestamp?: string; reason?: string } }>('/billing/usage', {
    onRequest: owner,
    schema: {
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
    },
  }, async function recordUsage(req, reply) {
    const stripe = ctx.need();
    const p = principalOf(req);
    const ts = req.body.timestamp === undefined ? new Date() : new Date(req.body.timestamp);
    const nowMs = Date.now();
    if (Number.isNaN(ts.getTime()) || ts.getTime() < nowMs - STRIPE_METER_WINDOW_MS + 60_000 || ts.getTime() > nowMs + 5 * 60_000) {
      throw new DwError('DW_ERR_VALIDATION', 'timestamp must be within the past 35 days (Stripe\'s meter window) and not in the future', { in: 'body', path: '/timestamp' });
    }
    const customer = await customerOf(pool, p.tenantId);
    if (customer === null) throw new DwError('DW_ERR_NOT_FOUND', 'no billing account yet: subscribe with POST /api/v1/billing/checkout first');
    const key = idempotencyKeyOf(req);
    const id = randomUUID();
    const cols = 'id, events, ts, reason, identifier, status, stripe_customer_id';
    let row: ManualRow | undefined = (await pool.query<ManualRow>(
      `INSERT INTO billing_manual_usage (id, tenant_id, idempotency_key, identifier, stripe_customer_id, events, ts, reason, actor_user_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING ${cols}`,
      [id, p.tenantId, key ?? null, manualIdentifier(id), customer, req.body.events, ts, req.body.reason ?? null, p.subject])).rows[0];
    let replay = false;
    if (row === undefined) {
      // The same Idempotency-Key again: answer the first record (resending it if it was not sent).
      row = (await pool.query<ManualRow>(`SELECT ${cols} FROM billing_manual_usage WHERE tenant_id = $1 AND idempotency_key = $2`, [p.tenantId, key])).rows[0];
      replay = true;
      if (row.status === 'sent') return reply.code(200).send(manualJson(row));
    }
    try {
      await stripe.billing.meterEvents.create({
        event_name: config.stripeMeterEventName, identifier: row.identifier, timestamp: Math.floor(row.ts.getTime() / 1000),
        payload: { stripe_customer_id: row.stripe_customer_id, value: String(row.events) },
      }, { idempotencyKey: row.identifier });
    } catch (err) {
      // Refused: forget the record. Not reached: keep it pending; a retry with the same Idempotency-Key resends it.
      if (isStripeRejection(err)) await pool.query('DELETE FROM billing_manual_usage WHERE id = $1', [row.id]);
      throw upstreamError(err, 'billing.meterEvents.create');
    }
    row = (await pool.query<ManualRow>(`UPDATE billing_manual_usage SET status = 'sent', sent_at = now() WHERE id = $1 RETURNING ${cols}`, [row.id])).rows[0];
    await audit.record({
      tenantId: p.tenantId, actorUserId: p.subject, actorKind: 'user', action: 'billing.usage_record', target: `usage:${row.id}`,
      ip: clientIp(req), details: { events: Number(row.events), timestamp: row.ts.toISOString(), reason: row.reason },
    });
    return reply.code(replay ? 200 : 201).send(manualJson(row));
  });
}, {
  name: 'driftwatch-billing',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-billing-context'],
  decorators: { fastify: ['pool', 'resolver', 'sessions', 'audit', 'billing'], request: ['principal'] },
});
