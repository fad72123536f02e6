// Applies one verified Stripe event, once:
//
//   event ─▶ BEGIN ─▶ INSERT stripe_webhook_events (id) ── exists ─▶ COMMIT, "duplicate"
//                          │ new
//                          ▼
//            tenant (client_reference_id / our customer table / metadata.tenant_id)
//                          ▼
//            lock the tenant's row ─▶ subscriptions.retrieve (Stripe's state now, not the event's)
//                          ▼
//            applySubscription ─▶ billing_subscriptions, tenants.plan ─▶ COMMIT ─▶ audit billing.plan_change
//
// Re-reading the subscription under the tenant's lock makes the order of deliveries irrelevant:
// an `updated` delivered before its `created`, or an old event retried late, applies Stripe's
// current state. A failure (Stripe unreachable) rolls the event id back, so Stripe's retry
// applies it.
import type pg from 'pg';
import type Stripe from 'stripe';
import type { AuditLog } from '../../core/audit.js';
import { UUID_RE } from '../../core/auth/sessions.js';
import type { Logger } from '../../core/log.js';
import { applySubscription, lockTenant, saveCustomer, tenantOfCustomer, type ApplyResult } from './store.js';
import type { PlanPrices } from './stripe.js';
import { stateFromStripe } from './subscription.js';

export const HANDLED_EVENTS: readonly string[] = Object.freeze([
  'checkout.session.completed',
  'customer.subscription.created',
  'customer.subscription.updated',
  'customer.subscription.deleted',
  'invoice.payment_succeeded',
  'invoice.payment_failed',
]);

export interface WebhookDeps {
  pool: pg.Pool;
  stripe: Stripe;
  prices: PlanPrices;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  audit: AuditLog;
  now?: () => Date;
}

export type WebhookOutcome =
  | { outcome: 'duplicate' }
  | { outcome: 'ignored'; reason: string; tenantId: string | null }
  | { outcome: 'applied'; tenantId: string; subscriptionId: string; status: string; result: ApplyResult };

const idOf = (v: unknown): string | null =>
  typeof v === 'string' ? v : v !== null && typeof v === 'object' && typeof (v as { id?: unknown }).id === 'string' ? (v as { id: string }).id : null;

const uuidOrNull = (v: unknown): string | null => (typeof v === 'string' && UUID_RE.test(v) ? v.toLowerCase() : null);

interface Located { tenantId: string | null; customerId: string | null; subscriptionId: string | null }

async function locate(client: pg.PoolClient, event: Stripe.Event): Promise<Located> {
  const obj = event.data.object as unknown as Record<string, unknown>;
  const customerId = idOf(obj.customer);
  const byCustomer = customerId === null ? null : await tenantOfCustomer(client, customerId);
  const metadata = (obj.metadata ?? {}) as Record<string, unknown>;
  if (event.type === 'checkout.session.completed') {
    return {
      tenantId: uuidOrNull(obj.client_reference_id) ?? uuidOrNull(metadata.tenant_id) ?? byCustomer,
      customerId, subscriptionId: idOf(obj.subscription),
    };
  }
  if (event.type.startsWith('customer.subscription.')) {
    return { tenantId: byCustomer ?? uuidOrNull(metadata.tenant_id), customerId, subscriptionId: idOf(obj.id) };
  }
  // invoice.*: API versions from 2025-03-31 name the subscription under parent.subscription_details.
  const parent = obj.parent as { subscription_details?: { subscription?: unknown; metadata?: Record<string, unknown> } } | null | undefined;
  const subscriptionId = idOf(parent?.subscription_details?.subscription) ?? idOf(obj.subscription);
  return { tenantId: byCustomer ?? uuidOrNull(parent?.subscription_details?.metadata?.tenant_id), customerId, subscriptionId };
}

async function readSubscription(stripe: Stripe, id: string, event: Stripe.Event): Promise<Stripe.Subscription> {
  try {
    return await stripe.subscriptions.retrieve(id);
  } catch (err) {
    // A deleted subscription that Stripe no longer returns: the event's own copy is final.
    const e = err as { statusCode?: number };
    if (e.statusCode === 404 && event.type === 'customer.subscription.deleted') return event.data.object;
    throw err;
  }
}

export async function processWebhookEvent(deps: WebhookDeps, event: Stripe.Event): Promise<WebhookOutcome> {
  const now = deps.now ?? (() => new Date());
  const client = await deps.pool.connect();
  let out: WebhookOutcome;
  try {
    await client.query('BEGIN');
    const ins = await client.query(
      'INSERT INTO stripe_webhook_events (id, type) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id', [event.id, event.type]);
    if (ins.rowCount === 0) {
      await client.query('COMMIT');
      return { outcome: 'duplicate' };
    }
    out = await apply(deps, client, event, now());
    if (out.outcome !== 'duplicate' && out.tenantId !== null) {
      await client.query('UPDATE stripe_webhook_events SET tenant_id = $2 WHERE id = $1', [event.id, out.tenantId]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  if (out.outcome === 'applied' && out.result.changed) {
    deps.log.info({ event: 'BillingPlanChanged', tenant_id: out.tenantId, from: out.result.from, to: out.result.to, status: out.status }, 'plan changed by Stripe');
    await deps.audit.record({
      tenantId: out.tenantId, actorUserId: null, actorKind: 'system', action: 'billing.plan_change',
      target: `subscription:${out.subscriptionId}`, ip: null,
      details: { from: out.result.from, to: out.result.to, status: out.status, stripe_event: event.id, stripe_event_type: event.type },
    });
  } else if (out.outcome === 'ignored') {
    deps.log.warn({ event: 'BillingWebhookIgnored', stripe_event: event.id, type: event.type, reason: out.reason }, 'Stripe event not applied');
  }
  return out;
}

async function apply(deps: WebhookDeps, client: pg.PoolClient, event: Stripe.Event, now: Date): Promise<WebhookOutcome> {
  if (!HANDLED_EVENTS.includes(event.type)) return { outcome: 'ignored', reason: 'event type not handled', tenantId: null };
  const where = await locate(client, event);
  if (where.tenantId === null) return { outcome: 'ignored', reason: 'no tenant for this customer or session', tenantId: null };
  const plan = await lockTenant(client, where.tenantId);
  if (plan === null) return { outcome: 'ignored', reason: 'the tenant does not exist', tenantId: null };
  if (event.type === 'checkout.session.completed' && where.customerId !== null) {
    await saveCustomer(client, where.tenantId, where.customerId);
  }
  if (where.subscriptionId === null) return { outcome: 'ignored', reason: 'no subscription in the event', tenantId: where.tenantId };
  const sub = await readSubscription(deps.stripe, where.subscriptionId, event);
  const state = stateFromStripe(sub, deps.prices);
  if (state.plan === null && state.priceId !== null) {
    deps.log.warn({ event: 'BillingPriceUnknown', tenant_id: where.tenantId, price: state.priceId }, 'subscription price is none of STRIPE_*_PLAN_ID; plan left as it is');
  }
  const result = await applySubscription(client, where.tenantId, plan, state, now);
  if (!result.applied) return { outcome: 'ignored', reason: 'a finished subscription while another one is live', tenantId: where.tenantId };
  return { outcome: 'applied', tenantId: where.tenantId, subscriptionId: state.subscriptionId, status: state.status, result };
}
