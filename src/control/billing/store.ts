// Billing state in PostgreSQL: customers, the subscription as last read from Stripe, and the
// tenant's plan that follows from it. Every write that moves tenants.plan runs with the
// tenant's row locked (lockTenant), so two webhooks for one tenant apply one after the other.
//
//   webhook / DELETE /billing/subscription ─▶ lockTenant ─▶ (read Stripe) ─▶ applySubscription ─▶ billing_subscriptions, tenants.plan
//   scheduler tick ─▶ expireGrace ─▶ tenants.plan = free for past-due subscriptions past their grace
import type pg from 'pg';
import { LIVE_STATUSES, PAST_DUE_GRACE_MS, effectivePlan, type SubscriptionState } from './subscription.js';

type Db = pg.Pool | pg.PoolClient;

export interface StoredSubscription {
  tenant_id: string;
  stripe_subscription_id: string;
  stripe_customer_id: string;
  status: string;
  price_id: string | null;
  plan: string | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  cancel_at: Date | null;
  cancel_at_period_end: boolean;
  canceled_at: Date | null;
  past_due_since: Date | null;
  updated_at: Date;
}

export async function getSubscription(db: Db, tenantId: string): Promise<StoredSubscription | null> {
  const { rows } = await db.query<StoredSubscription>('SELECT * FROM billing_subscriptions WHERE tenant_id = $1', [tenantId]);
  return rows[0] ?? null;
}

export async function customerOf(db: Db, tenantId: string): Promise<string | null> {
  const { rows } = await db.query<{ stripe_customer_id: string }>('SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1', [tenantId]);
  return rows[0]?.stripe_customer_id ?? null;
}

export async function tenantOfCustomer(db: Db, customerId: string): Promise<string | null> {
  const { rows } = await db.query<{ tenant_id: string }>('SELECT tenant_id FROM billing_customers WHERE stripe_customer_id = $1', [customerId]);
  return rows[0]?.tenant_id ?? null;
}

/** Records the tenant's customer; keeps the first one if the tenant already has one. Returns the tenant's customer. */
export async function saveCustomer(db: Db, tenantId: string, customerId: string): Promise<string> {
  await db.query(
    'INSERT INTO billing_customers (tenant_id, stripe_customer_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [tenantId, customerId]);
  return (await customerOf(db, tenantId)) ?? customerId;
}

/** Locks the tenant's row for the rest of the transaction; returns its plan, or null if there is no such tenant. */
export async function lockTenant(client: pg.PoolClient, tenantId: string): Promise<string | null> {
  const { rows } = await client.query<{ plan: string }>('SELECT plan FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
  return rows[0]?.plan ?? null;
}

export interface ApplyResult {
  /** false: the subscription was older news (a finished one while another is live) and was ignored. */
  applied: boolean;
  from: string;
  to: string;
  changed: boolean;
}

/**
 * Stores the subscription read from Stripe and sets tenants.plan from it. Call inside a
 * transaction after lockTenant(). A finished subscription does not replace a different live one
 * (a late `deleted` for the subscription a tenant replaced must not downgrade it).
 */
export async function applySubscription(
  client: pg.PoolClient, tenantId: string, currentPlan: string, s: SubscriptionState, now: Date, graceMs = PAST_DUE_GRACE_MS,
): Promise<ApplyResult> {
  const prev = await getSubscription(client, tenantId);
  if (prev !== null && prev.stripe_subscription_id !== s.subscriptionId &&
      LIVE_STATUSES.includes(prev.status) && !LIVE_STATUSES.includes(s.status)) {
    return { applied: false, from: currentPlan, to: currentPlan, changed: false };
  }
  const samePrev = prev !== null && prev.stripe_subscription_id === s.subscriptionId ? prev : null;
  const pastDueSince = s.status === 'past_due' ? (samePrev?.past_due_since ?? now) : null;
  await client.query(
    `INSERT INTO billing_subscriptions (tenant_id, stripe_subscription_id, stripe_customer_id, status, price_id, plan,
       current_period_start, current_period_end, cancel_at, cancel_at_period_end, canceled_at, past_due_since, updated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, now())
     ON CONFLICT (tenant_id) DO UPDATE SET
       stripe_subscription_id = EXCLUDED.stripe_subscription_id, stripe_customer_id = EXCLUDED.stripe_customer_id,
       status = EXCLUDED.status, price_id = EXCLUDED.price_id, plan = EXCLUDED.plan,
       current_period_start = EXCLUDED.current_period_start, current_period_end = EXCLUDED.current_period_end,
       cancel_at = EXCLUDED.cancel_at, cancel_at_period_end = EXCLUDED.cancel_at_period_end,
       canceled_at = EXCLUDED.canceled_at, past_due_since = EXCLUDED.past_due_since, updated_at = now()`,
    [tenantId, s.subscriptionId, s.customerId, s.status, s.priceId, s.plan, s.periodStart, s.periodEnd,
      s.cancelAt, s.cancelAtPeriodEnd, s.canceledAt, pastDueSince],
  );
  const to = effectivePlan({ status: s.status, plan: s.plan, pastDueSince }, now, graceMs) ?? currentPlan;
  if (to !== currentPlan) await client.query('UPDATE tenants SET plan = $2 WHERE id = $1', [tenantId, to]);
  return { applied: true, from: currentPlan, to, changed: to !== currentPlan };
}

/** Moves tenants whose subscription has been past due for longer than the grace period to free. */
export async function expireGrace(pool: pg.Pool, now: Date, graceMs = PAST_DUE_GRACE_MS): Promise<{ tenantId: string; from: string }[]> {
  const { rows } = await pool.query<{ id: string; from_plan: string }>(
    `WITH due AS (
       SELECT t.id, t.plan FROM tenants t JOIN billing_subscriptions s ON s.tenant_id = t.id
        WHERE s.status = 'past_due' AND s.past_due_since + make_interval(secs => $2::float8 / 1000) <= $1
          AND t.plan <> 'free'
        FOR UPDATE OF t)
     UPDATE tenants SET plan = 'free' FROM due WHERE tenants.id = due.id RETURNING tenants.id, due.plan AS from_plan`,
    [now, graceMs],
  );
  return rows.map((r) => ({ tenantId: r.id, from: r.from_plan }));
}
