// POST /api/v1/webhooks/stripe against real PostgreSQL and the real stripe SDK talking to the
// fake Stripe server (test/helpers/fake-stripe.ts); events signed with generateTestHeaderString.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expireGrace } from '../../src/control/billing/store.js';
import { effectivePlan, PAST_DUE_GRACE_MS } from '../../src/control/billing/subscription.js';
import { signedEvent, startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

const SECRET = 'sk_test_driftwatch_webhooks';
const WHSEC = 'whsec_test_driftwatch';
const PRICES = { free: 'price_free', pro: 'price_pro', business: 'price_business_metered' };

let fake: FakeStripe;
let h: Harness;

beforeAll(async () => {
  fake = await startFakeStripe({
    secretKey: SECRET, meterEventName: 'driftwatch_events',
    prices: [{ id: PRICES.free, metered: false }, { id: PRICES.pro, metered: false }, { id: PRICES.business, metered: true }],
  });
  h = await startHarness({
    stripeSecretKey: SECRET, stripeWebhookSecret: WHSEC, stripeApiBase: fake.url,
    stripeFreePlanId: PRICES.free, stripeProPlanId: PRICES.pro, stripeBusinessPlanId: PRICES.business,
    stripeSuccessUrl: 'https://app.example.com/billing?done=1', stripeCancelUrl: 'https://app.example.com/billing',
  });
});
afterAll(async () => {
  await h?.close();
  await fake?.close();
});

async function deliver(type: string, object: unknown, opts: { id?: string; secret?: string; tamper?: (p: string) => string; noSignature?: boolean } = {}) {
  const ev = signedEvent(type, object, opts.secret ?? WHSEC, { id: opts.id });
  const payload = opts.tamper ? opts.tamper(ev.payload) : ev.payload;
  const r = await call(h.app, 'POST', '/api/v1/webhooks/stripe', {
    payload, headers: { 'content-type': 'application/json; charset=utf-8', ...(opts.noSignature ? {} : { 'stripe-signature': ev.signature }) },
  });
  return { ...r, eventId: ev.id };
}

const planOf = async (tenantId: string): Promise<string> =>
  (await h.db.pool.query<{ plan: string }>('SELECT plan FROM tenants WHERE id = $1', [tenantId])).rows[0].plan;

/** A tenant with a Stripe customer known to both the fake and our table. */
async function customerTenant(name: string): Promise<{ u: SignedUp; tenantId: string; customer: string }> {
  const u = await signUp(h.app, name);
  const tenantId = u.user.tenant_id;
  const customer = fake.putCustomer(tenantId);
  await h.db.pool.query('INSERT INTO billing_customers (tenant_id, stripe_customer_id) VALUES ($1, $2)', [tenantId, customer]);
  return { u, tenantId, customer };
}

describe('Stripe webhook: signature', () => {
  it('refuses a missing, wrong or stale signature with 400 DW_ERR_WEBHOOK_SIGNATURE and applies nothing', async () => {
    const { tenantId, customer } = await customerTenant('Sig');
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.business, tenantId });
    for (const opts of [{ noSignature: true }, { secret: 'whsec_someone_else' }, { tamper: (p: string) => p.replace('"livemode":false', '"livemode":true') }]) {
      const r = await deliver('customer.subscription.created', sub, opts);
      expect(r.status, JSON.stringify(opts)).toBe(400);
      expect(codeOf(r)).toBe('DW_ERR_WEBHOOK_SIGNATURE');
    }
    const bogus = await call(h.app, 'POST', '/api/v1/webhooks/stripe', {
      payload: '{"id":"evt_x"}', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=deadbeef' },
    });
    expect(codeOf(bogus)).toBe('DW_ERR_WEBHOOK_SIGNATURE');
    expect(await planOf(tenantId)).toBe('free');
    expect((await h.db.pool.query('SELECT count(*)::int AS n FROM stripe_webhook_events')).rows[0].n).toBe(0);
  });

  it('the raw-body parser is the webhook route\'s only: other routes still parse JSON', async () => {
    const u = await signUp(h.app, 'Json');
    const r = await call(h.app, 'PUT', '/api/v1/user', { token: u.token, body: { name: 'Jason' } });
    expect(r.status).toBe(200);
    expect(r.body.name ?? r.body.user?.name).toBe('Jason');
  });
});

describe('Stripe webhook: events', () => {
  it('checkout.session.completed: finds the tenant by client_reference_id, stores the customer and moves the tenant to the plan of the price', async () => {
    const u = await signUp(h.app, 'Checkout');
    const tenantId = u.user.tenant_id;
    const customer = fake.putCustomer(tenantId);
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.pro, tenantId });
    const r = await deliver('checkout.session.completed', {
      id: 'cs_test_1', object: 'checkout.session', mode: 'subscription', client_reference_id: tenantId,
      metadata: { tenant_id: tenantId }, customer, subscription: sub.id, status: 'complete',
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ received: true, outcome: 'applied' });
    expect(await planOf(tenantId)).toBe('pro');
    const c = await h.db.pool.query('SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1', [tenantId]);
    expect(c.rows[0].stripe_customer_id).toBe(customer);
    const s = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(s.status).toBe(200);
    expect(s.body.plan).toBe('pro');
    expect(s.body.subscription).toMatchObject({ id: sub.id, status: 'active', plan: 'pro', price_id: PRICES.pro, cancel_at_period_end: false, grace_ends_at: null });
    expect(new Date(s.body.subscription.current_period_end).getTime()).toBe(sub.items.data[0].current_period_end * 1000);
    const audit = await h.db.pool.query("SELECT actor_kind, details FROM audit_log WHERE tenant_id = $1 AND action = 'billing.plan_change'", [tenantId]);
    expect(audit.rows).toHaveLength(1);
    expect(audit.rows[0]).toMatchObject({ actor_kind: 'system', details: { from: 'free', to: 'pro', status: 'active', stripe_event_type: 'checkout.session.completed' } });
    expect(fake.problems).toEqual([]);
  });

  it('the same event id delivered twice is applied once', async () => {
    const { tenantId, customer } = await customerTenant('Dup');
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.pro, tenantId });
    const before = fake.calls('GET', `/v1/subscriptions/${sub.id}`).length;
    const id = `evt_dup_${tenantId}`;
    const first = await deliver('customer.subscription.created', sub, { id });
    expect(first.body.outcome).toBe('applied');
    // Meanwhile the subscription changes at Stripe; a redelivery of the old event must not re-read and re-apply.
    fake.putSubscription({ id: sub.id, customer, status: 'active', price: PRICES.business, tenantId });
    const [second, third] = await Promise.all([deliver('customer.subscription.created', sub, { id }), deliver('customer.subscription.created', sub, { id })]);
    expect([second.status, third.status]).toEqual([200, 200]);
    expect([second.body.outcome, third.body.outcome]).toEqual(['duplicate', 'duplicate']);
    expect(fake.calls('GET', `/v1/subscriptions/${sub.id}`).length - before).toBe(1);
    expect(await planOf(tenantId)).toBe('pro');
    const n = await h.db.pool.query('SELECT count(*)::int AS n FROM stripe_webhook_events WHERE id = $1', [id]);
    expect(n.rows[0].n).toBe(1);
  });

  it('out of order: updated (to business) delivered before created (pro) ends on business, Stripe\'s current state', async () => {
    const { tenantId, customer } = await customerTenant('Order');
    const created = fake.putSubscription({ customer, status: 'active', price: PRICES.pro, tenantId });
    const createdCopy = structuredClone(created);
    const updated = fake.putSubscription({ id: created.id, customer, status: 'active', price: PRICES.business, tenantId });
    expect((await deliver('customer.subscription.updated', updated)).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('business');
    // The older event arrives last, carrying the pro price in its payload.
    expect(createdCopy.items.data[0].price.id).toBe(PRICES.pro);
    expect((await deliver('customer.subscription.created', createdCopy)).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('business');
    const s = await h.db.pool.query('SELECT plan, price_id FROM billing_subscriptions WHERE tenant_id = $1', [tenantId]);
    expect(s.rows[0]).toEqual({ plan: 'business', price_id: PRICES.business });
  });

  it('customer.subscription.deleted: the tenant falls back to free', async () => {
    const { u, tenantId, customer } = await customerTenant('Cancel');
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.pro, tenantId });
    await deliver('customer.subscription.created', sub);
    expect(await planOf(tenantId)).toBe('pro');
    const gone = fake.putSubscription({ id: sub.id, customer, status: 'canceled', price: PRICES.pro, tenantId });
    expect((await deliver('customer.subscription.deleted', gone)).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('free');
    const s = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(s.body).toMatchObject({ plan: 'free', subscription: { status: 'canceled' } });
  });

  it('a late deleted event for a replaced subscription does not downgrade the tenant on its new one', async () => {
    const { tenantId, customer } = await customerTenant('Replace');
    const old = fake.putSubscription({ customer, status: 'canceled', price: PRICES.pro, tenantId });
    const fresh = fake.putSubscription({ customer, status: 'active', price: PRICES.business, tenantId });
    await deliver('customer.subscription.created', fresh);
    expect(await planOf(tenantId)).toBe('business');
    expect((await deliver('customer.subscription.deleted', old)).body.outcome).toBe('ignored');
    expect(await planOf(tenantId)).toBe('business');
  });

  it('invoice.payment_failed: past due keeps the plan through the grace period, then free; payment_succeeded clears it', async () => {
    const { u, tenantId, customer } = await customerTenant('PastDue');
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.pro, tenantId });
    await deliver('customer.subscription.created', sub);
    fake.putSubscription({ id: sub.id, customer, status: 'past_due', price: PRICES.pro, tenantId });
    const invoice = (id: string) => ({
      id, object: 'invoice', customer, status: 'open',
      parent: { type: 'subscription_details', subscription_details: { subscription: sub.id, metadata: { tenant_id: tenantId } } },
    });
    expect((await deliver('invoice.payment_failed', invoice('in_1'))).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('pro');
    const s = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(s.body.subscription.status).toBe('past_due');
    const since = new Date(s.body.subscription.past_due_since).getTime();
    expect(new Date(s.body.subscription.grace_ends_at).getTime()).toBe(since + PAST_DUE_GRACE_MS);
    // A second failure does not restart the grace period.
    await deliver('invoice.payment_failed', invoice('in_2'));
    const again = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(new Date(again.body.subscription.past_due_since).getTime()).toBe(since);
    // Before the grace ends nothing moves; after it, the sweep moves the tenant to free.
    expect((await expireGrace(h.db.pool, new Date(since + PAST_DUE_GRACE_MS - 1000))).map((t) => t.tenantId)).not.toContain(tenantId);
    expect(await planOf(tenantId)).toBe('pro');
    const moved = await expireGrace(h.db.pool, new Date(since + PAST_DUE_GRACE_MS + 1000));
    expect(moved).toContainEqual({ tenantId, from: 'pro' });
    expect(await planOf(tenantId)).toBe('free');
    // Paid at last: back to pro.
    fake.putSubscription({ id: sub.id, customer, status: 'active', price: PRICES.pro, tenantId });
    expect((await deliver('invoice.payment_succeeded', invoice('in_3'))).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('pro');
    const paid = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(paid.body.subscription).toMatchObject({ status: 'active', past_due_since: null, grace_ends_at: null });
  });

  it('Stripe unreachable while applying: 502, the event is not marked processed, and the redelivery applies it', async () => {
    const { tenantId, customer } = await customerTenant('Outage');
    const sub = fake.putSubscription({ customer, status: 'active', price: PRICES.business, tenantId });
    const id = `evt_outage_${tenantId}`;
    fake.down = true;
    try {
      const r = await deliver('customer.subscription.created', sub, { id });
      expect(r.status).toBe(502);
      expect(codeOf(r)).toBe('DW_ERR_BILLING_UPSTREAM');
    } finally {
      fake.down = false;
    }
    expect((await h.db.pool.query('SELECT 1 FROM stripe_webhook_events WHERE id = $1', [id])).rowCount).toBe(0);
    expect(await planOf(tenantId)).toBe('free');
    expect((await deliver('customer.subscription.created', sub, { id })).body.outcome).toBe('applied');
    expect(await planOf(tenantId)).toBe('business');
  });

  it('an event for one tenant leaves the others alone; unknown customers and event types are acknowledged and ignored', async () => {
    const a = await customerTenant('TenantA');
    const b = await customerTenant('TenantB');
    const sub = fake.putSubscription({ customer: a.customer, status: 'active', price: PRICES.business, tenantId: a.tenantId });
    await deliver('customer.subscription.created', sub);
    expect(await planOf(a.tenantId)).toBe('business');
    expect(await planOf(b.tenantId)).toBe('free');
    const sb = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: b.u.token });
    expect(sb.body).toEqual({ plan: 'free', subscription: null });
    const stranger = fake.putSubscription({ customer: 'cus_nobody', status: 'active', price: PRICES.business });
    expect((await deliver('customer.subscription.created', stranger)).body).toEqual({ received: true, outcome: 'ignored' });
    expect((await deliver('charge.refunded', { id: 'ch_1', object: 'charge' })).body).toEqual({ received: true, outcome: 'ignored' });
  });
});

describe('effectivePlan', () => {
  const now = new Date('2026-11-22T00:00:00Z');
  it('follows the status', () => {
    expect(effectivePlan({ status: 'active', plan: 'pro', pastDueSince: null }, now)).toBe('pro');
    expect(effectivePlan({ status: 'trialing', plan: 'business', pastDueSince: null }, now)).toBe('business');
    for (const status of ['canceled', 'unpaid', 'incomplete', 'incomplete_expired', 'paused']) {
      expect(effectivePlan({ status, plan: 'pro', pastDueSince: null }, now), status).toBe('free');
    }
    expect(effectivePlan({ status: 'active', plan: null, pastDueSince: null }, now)).toBeNull();
    const day = 86_400_000;
    expect(effectivePlan({ status: 'past_due', plan: 'pro', pastDueSince: new Date(now.getTime() - 6 * day) }, now)).toBe('pro');
    expect(effectivePlan({ status: 'past_due', plan: 'pro', pastDueSince: new Date(now.getTime() - 7 * day) }, now)).toBe('free');
  });
});
