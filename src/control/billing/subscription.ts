// A Stripe subscription as driftwatch keeps it, and the plan it entitles the tenant to.
// Pure: no I/O (src/control/billing/store.ts writes it, src/control/billing/webhooks.ts reads it from Stripe).
//
//   Stripe.Subscription ─▶ stateFromStripe() ─▶ SubscriptionState ─▶ effectivePlan(now) ─▶ tenants.plan
//
// What a user expects, and what we chose:
//   active, trialing            the plan of the subscription's price
//   past_due                    that plan for PAST_DUE_GRACE_DAYS after it first went past due
//                               (Stripe retries the payment meanwhile), then free
//   canceled, unpaid, incomplete, incomplete_expired, paused    free
//   cancel_at_period_end        still active: the plan is kept until Stripe ends the
//                               subscription at the period's end (customer.subscription.deleted)
//   a price we do not know      tenants.plan is left as it is (logged), rather than guessed
import type Stripe from 'stripe';
import type { PlanId } from '../../core/tenancy/plans.js';
import { PLAN_RANK, type PlanPrices } from './stripe.js';

/** Days a past-due subscription keeps its plan before the tenant falls back to free. */
export const PAST_DUE_GRACE_DAYS = 7;
export const PAST_DUE_GRACE_MS = PAST_DUE_GRACE_DAYS * 86_400_000;

/** Statuses in which the subscription still counts as the tenant's current one. */
export const LIVE_STATUSES: readonly string[] = Object.freeze(['active', 'trialing', 'past_due']);

export interface SubscriptionState {
  subscriptionId: string;
  customerId: string;
  status: string;
  priceId: string | null;
  /** The plan of priceId; null for a price that is not one of STRIPE_*_PLAN_ID. */
  plan: PlanId | null;
  periodStart: Date | null;
  periodEnd: Date | null;
  cancelAt: Date | null;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  /** metadata.tenant_id, set through Checkout's subscription_data. */
  tenantId: string | null;
}

const date = (s: number | null | undefined): Date | null => (typeof s === 'number' ? new Date(s * 1000) : null);
const idOf = (v: string | { id: string } | null | undefined): string | null => (v == null ? null : typeof v === 'string' ? v : v.id);

/**
 * Reads what we keep from a subscription (API version 2025-03-31 and later keep the current
 * period on the items). With several items, the one whose price maps to the highest plan wins.
 */
export function stateFromStripe(sub: Stripe.Subscription, prices: PlanPrices): SubscriptionState {
  const items = sub.items?.data ?? [];
  let best: Stripe.SubscriptionItem | undefined;
  let bestRank = -1;
  for (const it of items) {
    const plan = prices.planOf(it.price?.id);
    const rank = plan === undefined ? -1 : PLAN_RANK[plan];
    if (best === undefined || rank > bestRank) { best = it; bestRank = rank; }
  }
  const legacy = sub as unknown as { current_period_start?: number; current_period_end?: number };
  const priceId = best?.price?.id ?? null;
  return {
    subscriptionId: sub.id,
    customerId: idOf(sub.customer) ?? '',
    status: sub.status,
    priceId,
    plan: prices.planOf(priceId) ?? null,
    periodStart: date(best?.current_period_start ?? legacy.current_period_start),
    periodEnd: date(best?.current_period_end ?? legacy.current_period_end),
    cancelAt: date(sub.cancel_at),
    cancelAtPeriodEnd: sub.cancel_at_period_end === true,
    canceledAt: date(sub.canceled_at),
    tenantId: typeof sub.metadata?.tenant_id === 'string' ? sub.metadata.tenant_id : null,
  };
}

/**
 * The plan the tenant is entitled to now; null means "leave tenants.plan as it is" (a live
 * subscription on a price we do not know).
 */
export function effectivePlan(
  s: { status: string; plan: PlanId | null; pastDueSince: Date | null }, now: Date, graceMs = PAST_DUE_GRACE_MS,
): PlanId | null {
  switch (s.status) {
    case 'active':
    case 'trialing':
      return s.plan;
    case 'past_due':
      if (s.pastDueSince !== null && now.getTime() >= s.pastDueSince.getTime() + graceMs) return 'free';
      return s.plan;
    default:
      return 'free';
  }
}

/** When a past-due subscription's grace ends (null when it is not past due). */
export function graceEndsAt(s: { status: string; pastDueSince: Date | null }, graceMs = PAST_DUE_GRACE_MS): Date | null {
  if (s.status !== 'past_due' || s.pastDueSince === null) return null;
  return new Date(s.pastDueSince.getTime() + graceMs);
}
