// The Stripe client and the plan <-> price mapping, resolved once from the frozen config.
//
//   config ─▶ createStripeClient() ─▶ Stripe (api.stripe.com, or STRIPE_API_BASE's protocol/host/port)
//   config ─▶ planPrices()          ─▶ { priceOf(plan), planOf(price) }
import Stripe from 'stripe';
import type { Config } from '../../core/config.js';
import { DwError } from '../../core/errors.js';
import { PLAN_IDS, type PlanId } from '../../core/tenancy/plans.js';

export type StripeConfig = Pick<Config, 'stripeSecretKey' | 'stripeApiBase'>;

export interface StripeClientOptions {
  /** Retries the SDK itself makes (POSTs carry our Idempotency-Key). The usage reporter uses 0 and backs off itself. */
  maxNetworkRetries?: number;
  timeoutMs?: number;
}

/** A Stripe client, or undefined when STRIPE_SECRET_KEY is unset (billing disabled). */
export function createStripeClient(config: StripeConfig, opts: StripeClientOptions = {}): Stripe | undefined {
  if (config.stripeSecretKey === undefined) return undefined;
  const base = config.stripeApiBase === undefined ? undefined : new URL(config.stripeApiBase);
  const protocol = base === undefined ? undefined : base.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(config.stripeSecretKey, {
    maxNetworkRetries: opts.maxNetworkRetries ?? 1,
    timeout: opts.timeoutMs ?? 20_000,
    appInfo: { name: 'driftwatch' },
    ...(base === undefined ? {} : {
      host: base.hostname,
      port: base.port === '' ? (protocol === 'http' ? 80 : 443) : Number(base.port),
      protocol,
    }),
  });
}

export interface PlanPrices {
  /** The price id configured for a plan, if any. */
  priceOf(plan: PlanId): string | undefined;
  /** The plan a price id belongs to; undefined for a price we do not know. */
  planOf(priceId: string | null | undefined): PlanId | undefined;
}

export function planPrices(config: Pick<Config, 'stripeFreePlanId' | 'stripeProPlanId' | 'stripeBusinessPlanId'>): PlanPrices {
  const byPlan: Record<PlanId, string | undefined> = {
    free: config.stripeFreePlanId, pro: config.stripeProPlanId, business: config.stripeBusinessPlanId,
  };
  const byPrice = new Map<string, PlanId>();
  for (const plan of PLAN_IDS) {
    const price = byPlan[plan];
    if (price !== undefined) byPrice.set(price, plan);
  }
  return Object.freeze({
    priceOf: (plan: PlanId) => byPlan[plan],
    planOf: (priceId: string | null | undefined) => (priceId == null ? undefined : byPrice.get(priceId)),
  });
}

/** Plans ordered by rank: a subscription with several known prices takes the highest. */
export const PLAN_RANK: Readonly<Record<PlanId, number>> = Object.freeze({ free: 0, pro: 1, business: 2 });

/**
 * Whether Stripe refused the request itself (400 invalid request, 402), so that sending it again
 * cannot succeed. Anything else (5xx, 429, 409, network errors, timeouts, and 401/403/404, which
 * are configuration mistakes an operator fixes) is worth trying again later.
 */
export function isStripeRejection(err: unknown): boolean {
  const e = err as { type?: string; statusCode?: number };
  return (e?.statusCode === 400 || e?.statusCode === 402) && e?.type !== 'StripeIdempotencyError';
}

/** Maps an SDK failure to DW_ERR_BILLING_UPSTREAM, keeping Stripe's own message for the log. */
export function upstreamError(err: unknown, what: string): DwError {
  const e = err as { type?: string; statusCode?: number; code?: string; message?: string };
  return new DwError('DW_ERR_BILLING_UPSTREAM', `${what} failed`, {
    stripe_status: e?.statusCode ?? null, stripe_type: e?.type ?? null, stripe_code: e?.code ?? null,
  });
}
