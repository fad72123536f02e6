import { describe, expect, it } from 'vitest';
import { backoffMs, lastClosedHour, oldestSendableHour, usageIdentifier } from '../../src/control/billing/meter.js';
import { planPrices } from '../../src/control/billing/stripe.js';
import { stateFromStripe } from '../../src/control/billing/subscription.js';

describe('meter arithmetic', () => {
  it('an hour is closed 5 minutes after it ends', () => {
    expect(lastClosedHour(new Date('2026-11-22T10:04:59Z')).toISOString()).toBe('2026-11-22T08:00:00.000Z');
    expect(lastClosedHour(new Date('2026-11-22T10:05:00Z')).toISOString()).toBe('2026-11-22T09:00:00.000Z');
  });

  it('the oldest sendable hour is an hour inside Stripe\'s 35 days', () => {
    expect(oldestSendableHour(new Date('2026-11-22T10:30:00Z')).toISOString()).toBe('2026-10-18T12:00:00.000Z');
    expect(oldestSendableHour(new Date('2026-11-22T10:00:00Z')).toISOString()).toBe('2026-10-18T11:00:00.000Z');
  });

  it('identifiers are deterministic, per tenant and UTC hour, within Stripe\'s 100 characters', () => {
    const t = '6f1c0c8e-3a52-4a55-9a3e-0d6c1d2b9f10';
    const id = usageIdentifier(t, new Date('2026-11-22T09:00:00Z'));
    expect(id).toBe(`dwu-${t}-2026-11-22T09`);
    expect(id.length).toBeLessThanOrEqual(100);
    expect(usageIdentifier(t, new Date('2026-11-22T09:00:00Z'))).toBe(id);
    expect(usageIdentifier(t, new Date('2026-11-22T10:00:00Z'))).not.toBe(id);
  });

  it('backoff doubles, is capped, and jitters by at most 20% downwards', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(a, 1000, 5000, () => 1))).toEqual([1000, 2000, 4000, 5000]);
    expect(backoffMs(3, 1000, 30_000, () => 0)).toBe(3200);
  });
});

describe('stateFromStripe', () => {
  const prices = planPrices({ stripeFreePlanId: 'p_free', stripeProPlanId: 'p_pro', stripeBusinessPlanId: 'p_biz' });
  const item = (price: string, start: number) => ({ id: `si_${price}`, price: { id: price }, current_period_start: start, current_period_end: start + 100 });
  it('takes the highest known plan among the items and its period; unknown prices map to null', () => {
    const sub = { id: 'sub_1', customer: 'cus_1', status: 'active', cancel_at: null, cancel_at_period_end: false, canceled_at: null, metadata: { tenant_id: 't' },
      items: { data: [item('p_other', 5), item('p_biz', 10), item('p_pro', 20)] } };
    expect(stateFromStripe(sub as never, prices)).toMatchObject({ plan: 'business', priceId: 'p_biz', periodStart: new Date(10_000), periodEnd: new Date(110_000), tenantId: 't' });
    const unknown = { ...sub, items: { data: [item('p_other', 5)] } };
    expect(stateFromStripe(unknown as never, prices)).toMatchObject({ plan: null, priceId: 'p_other' });
  });
});
