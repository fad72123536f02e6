// Billing as the control API offers it: plans, Stripe Checkout and the billing portal, the
// tenant's subscription, usage per day, manual usage records, and the periodic tick (grace
// periods, usage reports, old webhook ids). The HTTP side is src/control/plugins/billing.ts;
// the Stripe webhook is src/control/billing/webhooks.ts.
//
//   checkout ─▶ (no live subscription) ─▶ customer (create once) ─▶ checkout.sessions.create ─▶ audit
//   cancel   ─▶ subscriptions.cancel | update(cancel_at_period_end) ─▶ lockTenant + applySubscription ─▶ audit
//   recordUsage ─▶ billing_manual_usage 'pending' (once per Idempotency-Key) ─▶ meterEvents.create ─▶ 'sent' ─▶ audit
//   tick ─▶ expireGrace (past due beyond grace ─▶ free, audit) ─▶ UsageReporter.runOnce ─▶ prune webhook ids
//
// Without STRIPE_SECRET_KEY, what needs Stripe throws DW_ERR_BILLING_DISABLED (501).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type Stripe from 'stripe';
import type { AuditLog } from '../../core/audit.js';
import type { Config } from '../../core/config.js';
import { withTransaction } from '../../core/db.js';
import { DwError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { loadPlans, PLAN_IDS, PLANS, type PlanId } from '../../core/tenancy/plans.js';
import { manualIdentifier, STRIPE_METER_WINDOW_MS } from './meter.js';
import { UsageReporter } from './reporter.js';
import { applySubscription, customerOf, expireGrace, getSubscription, lockTenant, saveCustomer, type StoredSubscription } from './store.js';
import { createStripeClient, isStripeRejection, planPrices, upstreamError, type PlanPrices } from './stripe.js';
import { LIVE_STATUSES, stateFromStripe } from './subscription.js';
import { billingPeriod, usageByDay, type UsageDay, type UsageTotals } from './usage.js';

export interface BillingContext {
  /** undefined: STRIPE_SECRET_KEY unset, billing disabled. */
  readonly stripe: Stripe | undefined;
  readonly prices: PlanPrices;
  /** Present when billing is enabled; runs only when STRIPE_USAGE_ENABLED. */
  readonly reporter: UsageReporter | undefined;
  /** The Stripe client, or DW_ERR_BILLING_DISABLED. */
  need(): Stripe;
}

/** The signed-in user acting, and the address the audit log keeps. */
export interface BillingActor { tenantId: string; userId: string; email?: string; ip: string | null }

export interface PlanListing {
  billing_enabled: boolean; publishable_key: string | null; currency: string; current_plan: string;
  plans: { id: PlanId; name: string; events_per_month: number | null; retention_days: number; price_id: string | null }[];
}

export interface TenantSubscription { plan: string; subscription: StoredSubscription | null }

export interface PeriodUsage {
  plan: string; events_per_month: number | null; period_start: string; period_end: string;
  period_source: 'subscription' | 'calendar_month'; totals: UsageTotals; days: UsageDay[];
}

export interface ManualUsageRow { id: string; events: string; ts: Date; reason: string | null; identifier: string; status: string; stripe_customer_id: string }
export interface ManualUsageInput { events: number; timestamp?: string; reason?: string }

export type BillingConfig = Pick<Config,
  'stripeSecretKey' | 'stripeApiBase' | 'stripeFreePlanId' | 'stripeProPlanId' | 'stripeBusinessPlanId' | 'stripePublishableKey' |
  'stripeCurrency' | 'stripeSuccessUrl' | 'stripeCancelUrl' | 'stripeMeterEventName' | 'stripeUsageEnabled'>;

const MANUAL_COLUMNS = 'id, events, ts, reason, identifier, status, stripe_customer_id';
const noBillingAccount = (): DwError => new DwError('DW_ERR_NOT_FOUND', 'no billing account yet: subscribe with POST /api/v1/billing/checkout first');

export class BillingService implements BillingContext {
  readonly stripe: Stripe | undefined;
  readonly prices: PlanPrices;
  readonly reporter: UsageReporter | undefined;
  readonly #pool: pg.Pool;
  readonly #config: BillingConfig;
  readonly #audit: AuditLog;
  readonly #log: Pick<Logger, 'info' | 'warn' | 'error'>;
  readonly #meteredPrices = new Map<string, boolean>();

  constructor(deps: { pool: pg.Pool; config: BillingConfig; audit: AuditLog; log: Pick<Logger, 'info' | 'warn' | 'error'> }) {
    this.#pool = deps.pool;
    this.#config = deps.config;
    this.#audit = deps.audit;
    this.#log = deps.log;
    this.stripe = createStripeClient(deps.config);
    this.prices = planPrices(deps.config);
    this.reporter = this.stripe === undefined ? undefined
      : new UsageReporter(deps.pool, createStripeClient(deps.config, { maxNetworkRetries: 0 })!, { eventName: deps.config.stripeMeterEventName, log: deps.log });
  }

  need(): Stripe {
    if (this.stripe === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SECRET_KEY is not set');
    return this.stripe;
  }

  /** One run of the periodic work: grace periods that ended, usage reports, old webhook ids. */
  async tick(): Promise<void> {
    for (const t of await expireGrace(this.#pool, new Date())) {
      this.#log.info({ event: 'BillingPlanChanged', tenant_id: t.tenantId, from: t.from, to: 'free', status: 'past_due' }, 'past-due grace period over');
      await this.#audit.record({
        tenantId: t.tenantId, actorUserId: null, actorKind: 'system', action: 'billing.plan_change', target: null, ip: null,
        details: { from: t.from, to: 'free', status: 'past_due', reason: 'grace period over' },
      });
    }
    if (this.#config.stripeUsageEnabled && this.reporter !== undefined) await this.reporter.runOnce();
    // Stripe retries an event for up to 3 days; ids older than 30 days cannot come back.
    await this.#pool.query("DELETE FROM stripe_webhook_events WHERE received_at < now() - interval '30 days'");
  }

  async tenantPlan(tenantId: string): Promise<string> {
    const { rows } = await this.#pool.query<{ plan: string }>('SELECT plan FROM tenants WHERE id = $1', [tenantId]);
    return rows[0]?.plan ?? 'free';
  }

  /** Plans with their quotas and prices, and the tenant's plan (works without Stripe). */
  async plans(tenantId: string): Promise<PlanListing> {
    const plans = await loadPlans(this.#pool);
    return {
      billing_enabled: this.stripe !== undefined,
      publishable_key: this.#config.stripePublishableKey ?? null,
      currency: this.#config.stripeCurrency,
      current_plan: await this.tenantPlan(tenantId),
      plans: PLAN_IDS.map((id) => ({
        id, name: plans[id].name, events_per_month: plans[id].eventsPerMonth, retention_days: plans[id].retentionDays,
        price_id: this.prices.priceOf(id) ?? null,
      })),
    };
  }

  /** A Checkout session (mode subscription) for a paid plan; `idempotencyKey` makes a retry answer the same session. */
  async checkout(actor: BillingActor, plan: PlanId, idempotencyKey: string | undefined): Promise<{ session_id: string; url: string | null; plan: PlanId }> {
    const stripe = this.need();
    const { stripeSuccessUrl, stripeCancelUrl } = this.#config;
    if (stripeSuccessUrl === undefined || stripeCancelUrl === undefined) {
      throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SUCCESS_URL and STRIPE_CANCEL_URL must be set for Checkout');
    }
    const price = this.prices.priceOf(plan);
    if (price === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', `the ${plan} plan has no Stripe price (STRIPE_${plan.toUpperCase()}_PLAN_ID)`);
    const current = await getSubscription(this.#pool, actor.tenantId);
    if (current !== null && LIVE_STATUSES.includes(current.status)) {
      throw new DwError('DW_ERR_CONFLICT', 'the tenant already has a subscription; change plans in the billing portal (GET /api/v1/billing/portal)');
    }
    const customer = await this.#customerFor(stripe, actor);
    const metered = await this.#isMetered(stripe, price);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      customer,
      client_reference_id: actor.tenantId,
      metadata: { tenant_id: actor.tenantId, plan },
      subscription_data: { metadata: { tenant_id: actor.tenantId, plan } },
      // A metered price takes no quantity: Stripe bills the meter events reported against it.
      line_items: [metered ? { price } : { price, quantity: 1 }],
      success_url: stripeSuccessUrl,
      cancel_url: stripeCancelUrl,
    }, { idempotencyKey: `dw-checkout-${actor.tenantId}-${plan}-${idempotencyKey ?? randomUUID()}` })
      .catch((err: unknown) => { throw upstreamError(err, 'checkout.sessions.create'); });
    await this.#audit.record({
      tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'billing.checkout',
      target: `checkout_session:${session.id}`, ip: actor.ip, details: { plan, price },
    });
    return { session_id: session.id, url: session.url ?? null, plan };
  }

  /** The tenant's Stripe customer, created (once: idempotency key per tenant) when it has none. */
  async #customerFor(stripe: Stripe, actor: BillingActor): Promise<string> {
    const customer = await customerOf(this.#pool, actor.tenantId);
    if (customer !== null) return customer;
    const { rows } = await this.#pool.query<{ name: string }>('SELECT name FROM tenants WHERE id = $1', [actor.tenantId]);
    const created = await stripe.customers.create({
      ...(actor.email !== undefined ? { email: actor.email } : {}), name: rows[0]?.name ?? actor.tenantId, metadata: { tenant_id: actor.tenantId },
    }, { idempotencyKey: `dw-customer-${actor.tenantId}` }).catch((err: unknown) => { throw upstreamError(err, 'customers.create'); });
    return saveCustomer(this.#pool, actor.tenantId, created.id);
  }

  async #isMetered(stripe: Stripe, price: string): Promise<boolean> {
    let m = this.#meteredPrices.get(price);
    if (m === undefined) {
      const p = await stripe.prices.retrieve(price).catch((err: unknown) => { throw upstreamError(err, 'prices.retrieve'); });
      m = p.recurring?.usage_type === 'metered';
      this.#meteredPrices.set(price, m);
    }
    return m;
  }

  /** A billing portal session for the tenant's customer; answers its URL. */
  async portal(tenantId: string): Promise<{ url: string }> {
    const stripe = this.need();
    const returnUrl = this.#config.stripeSuccessUrl ?? this.#config.stripeCancelUrl;
    if (returnUrl === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_SUCCESS_URL (the portal\'s return URL) is not set');
    const customer = await customerOf(this.#pool, tenantId);
    if (customer === null) throw noBillingAccount();
    const session = await stripe.billingPortal.sessions.create({ customer, return_url: returnUrl })
      .catch((err: unknown) => { throw upstreamError(err, 'billingPortal.sessions.create'); });
    return { url: session.url };
  }

  /** The tenant's plan and subscription as last read from Stripe. */
  async subscription(tenantId: string): Promise<TenantSubscription> {
    this.need();
    return { plan: await this.tenantPlan(tenantId), subscription: await getSubscription(this.#pool, tenantId) };
  }

  /** Cancels the live subscription at the end of its period, or now (back to free). */
  async cancel(actor: BillingActor, immediately: boolean): Promise<TenantSubscription> {
    const stripe = this.need();
    const current = await getSubscription(this.#pool, actor.tenantId);
    if (current === null || !LIVE_STATUSES.includes(current.status)) throw new DwError('DW_ERR_NOT_FOUND', 'no live subscription');
    const id = current.stripe_subscription_id;
    const sub = await (immediately
      ? stripe.subscriptions.cancel(id, {}, { idempotencyKey: `dw-cancel-${id}` })
      : stripe.subscriptions.update(id, { cancel_at_period_end: true }, { idempotencyKey: `dw-cancel-at-end-${id}` })
    ).catch((err: unknown) => { throw upstreamError(err, immediately ? 'subscriptions.cancel' : 'subscriptions.update'); });
    const result = await withTransaction(this.#pool, async (client) => {
      const plan = (await lockTenant(client, actor.tenantId)) ?? 'free';
      return applySubscription(client, actor.tenantId, plan, stateFromStripe(sub, this.prices), new Date());
    });
    await this.#audit.record({
      tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'billing.cancel', target: `subscription:${id}`,
      ip: actor.ip, details: { immediately, status: sub.status, from: result.from, to: result.to },
    });
    return { plan: result.to, subscription: await getSubscription(this.#pool, actor.tenantId) };
  }

  /** Usage per day of the current billing period (works without Stripe). */
  async usage(tenantId: string): Promise<PeriodUsage> {
    const now = new Date();
    const period = billingPeriod(await getSubscription(this.#pool, tenantId), now);
    const { days, totals } = await usageByDay(this.#pool, tenantId, period, now);
    const plan = await this.tenantPlan(tenantId);
    const plans = await loadPlans(this.#pool);
    return {
      plan, events_per_month: (plans[plan as PlanId] ?? PLANS.free).eventsPerMonth,
      period_start: period.start.toISOString(), period_end: period.end.toISOString(), period_source: period.source, totals, days,
    };
  }

  /**
   * Records usage by hand, sent to Stripe as its own meter event. The same Idempotency-Key again
   * answers the first record (`replay`), resending it if it was not sent.
   */
  async recordUsage(actor: BillingActor, input: ManualUsageInput, idempotencyKey: string | undefined): Promise<{ row: ManualUsageRow; replay: boolean }> {
    const stripe = this.need();
    const ts = input.timestamp === undefined ? new Date() : new Date(input.timestamp);
    const nowMs = Date.now();
    if (Number.isNaN(ts.getTime()) || ts.getTime() < nowMs - STRIPE_METER_WINDOW_MS + 60_000 || ts.getTime() > nowMs + 5 * 60_000) {
      throw new DwError('DW_ERR_VALIDATION', 'timestamp must be within the past 35 days (Stripe\'s meter window) and not in the future', { in: 'body', path: '/timestamp' });
    }
    const customer = await customerOf(this.#pool, actor.tenantId);
    if (customer === null) throw noBillingAccount();
    const id = randomUUID();
    let row: ManualUsageRow | undefined = (await this.#pool.query<ManualUsageRow>(
      `INSERT INTO billing_manual_usage (id, tenant_id, idempotency_key, identifier, stripe_customer_id, events, ts, reason, actor_user_id, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending') ON CONFLICT (tenant_id, idempotency_key) DO NOTHING RETURNING ${MANUAL_COLUMNS}`,
      [id, actor.tenantId, idempotencyKey ?? null, manualIdentifier(id), customer, input.events, ts, input.reason ?? null, actor.userId])).rows[0];
    const replay = row === undefined;
    if (row === undefined) {
      row = (await this.#pool.query<ManualUsageRow>(
        `SELECT ${MANUAL_COLUMNS} FROM billing_manual_usage WHERE tenant_id = $1 AND idempotency_key = $2`, [actor.tenantId, idempotencyKey])).rows[0];
      if (row.status === 'sent') return { row, replay };
    }
    row = await this.#sendManual(stripe, actor.tenantId, row);
    await this.#audit.record({
      tenantId: actor.tenantId, actorUserId: actor.userId, actorKind: 'user', action: 'billing.usage_record', target: `usage:${row.id}`,
      ip: actor.ip, details: { events: Number(row.events), timestamp: row.ts.toISOString(), reason: row.reason },
    });
    return { row, replay };
  }

  async #sendManual(stripe: Stripe, tenantId: string, row: ManualUsageRow): Promise<ManualUsageRow> {
    try {
      await stripe.billing.meterEvents.create({
        event_name: this.#config.stripeMeterEventName, identifier: row.identifier, timestamp: Math.floor(row.ts.getTime() / 1000),
        payload: { stripe_customer_id: row.stripe_customer_id, value: String(row.events) },
      }, { idempotencyKey: row.identifier });
    } catch (err) {
      // Refused: forget the record. Not reached: keep it pending; a retry with the same Idempotency-Key resends it.
      if (isStripeRejection(err)) await this.#pool.query('DELETE FROM billing_manual_usage WHERE tenant_id = $1 AND id = $2', [tenantId, row.id]);
      throw upstreamError(err, 'billing.meterEvents.create');
    }
    return (await this.#pool.query<ManualUsageRow>(
      `UPDATE billing_manual_usage SET status = 'sent', sent_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING ${MANUAL_COLUMNS}`, [tenantId, row.id])).rows[0];
  }
}
