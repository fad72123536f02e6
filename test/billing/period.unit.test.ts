import { describe, expect, it } from 'vitest';
import type { StoredSubscription } from '../../src/control/billing/store.js';
import { billingPeriod } from '../../src/control/billing/usage.js';

const sub = (status: string, start: string | null, end: string | null): StoredSubscription => ({
  tenant_id: 't', stripe_subscription_id: 'sub_1', stripe_customer_id: 'cus_1', status, price_id: 'price_pro', plan: 'pro',
  current_period_start: start === null ? null : new Date(start), current_period_end: end === null ? null : new Date(end),
  cancel_at: null, cancel_at_period_end: false, canceled_at: null, past_due_since: null, updated_at: new Date(),
});

describe('billingPeriod (GET /billing/usage)', () => {
  const now = new Date('2026-12-04T22:15:00Z');

  it("is a live subscription's current period", () => {
    for (const status of ['active', 'trialing', 'past_due']) {
      expect(billingPeriod(sub(status, '2026-11-20T00:00:00Z', '2026-12-20T00:00:00Z'), now)).toEqual({
        start: new Date('2026-11-20T00:00:00Z'), end: new Date('2026-12-20T00:00:00Z'), source: 'subscription',
      });
    }
  });

  it('is the calendar month (UTC) without a live subscription or without its period', () => {
    const month = { start: new Date('2026-12-01T00:00:00Z'), end: new Date('2027-01-01T00:00:00Z'), source: 'calendar_month' };
    expect(billingPeriod(null, now)).toEqual(month);
    expect(billingPeriod(sub('canceled', '2026-11-20T00:00:00Z', '2026-12-20T00:00:00Z'), now)).toEqual(month);
    expect(billingPeriod(sub('active', null, null), now)).toEqual(month);
  });
});
