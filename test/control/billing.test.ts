// The billing routes against real PostgreSQL and the real stripe SDK talking to the fake Stripe
// server, which checks the parameters and Idempotency-Key of every call; and the same routes on a
// server without STRIPE_SECRET_KEY.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedEvent, startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

const SECRET = 'sk_test_driftwatch_routes';
const WHSEC = 'whsec_test_routes';
const PRICES = { free: 'price_free', pro: 'price_pro_flat', business: 'price_business_metered' };
const SUCCESS = 'https://app.example.com/billing?done=1';
const CANCEL = 'https://app.example.com/billing';

let fake: FakeStripe;
let h: Harness;
let off: Harness;
let half: Harness;

beforeAll(async () => {
  fake = await startFakeStripe({
    secretKey: SECRET, meterEventName: 'dw_test_events',
    prices: [{ id: PRICES.free, metered: false }, { id: PRICES.pro, metered: false }, { id: PRICES.business, metered: true }],
  });
  h = await startHarness({
    stripeSecretKey: SECRET, stripePublishableKey: 'pk_test_driftwatch', stripeWebhookSecret: WHSEC, stripeApiBase: fake.url,
    stripeFreePlanId: PRICES.free, stripeProPlanId: PRICES.pro, stripeBusinessPlanId: PRICES.business,
    stripeSuccessUrl: SUCCESS, stripeCancelUrl: CANCEL, stripeMeterEventName: 'dw_test_events', stripeCurrency: 'eur',
  });
  off = await startHarness({});
  // A secret key, but no webhook secret and no redirect URLs.
  half = await startHarness({ stripeSecretKey: SECRET, stripeApiBase: fake.url, stripeProPlanId: PRICES.pro });
});
afterAll(async () => {
  await h?.close();
  await off?.close();
  await half?.close();
  await fake?.close();
});

async function asRole(app: Harness, role: 'member' | 'admin'): Promise<string> {
  const m = await signUp(app.app, role);
  await app.db.pool.query('UPDATE users SET role = $2 WHERE id = $1', [m.user.id, role]);
  return (await call(app.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } })).body.token;
}

async function apiKey(app: Harness, owner: SignedUp): Promise<string> {
  return (await call(app.app, 'POST', '/api/v1/api-keys', { token: owner.token, body: { scopes: ['read', 'ingest'] } })).body.key;
}

/** Subscribes a tenant through the webhook, as Stripe would after Checkout. */
async function subscribe(u: SignedUp, price: string, periodStart?: number): Promise<{ subId: string; customer: string }> {
  const tenantId = u.user.tenant_id;
  let customer = (await h.db.pool.query('SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1', [tenantId])).rows[0]?.stripe_customer_id;
  if (customer === undefined) {
    customer = fake.putCustomer(tenantId);
    await h.db.pool.query('INSERT INTO billing_customers (tenant_id, stripe_customer_id) VALUES ($1, $2)', [tenantId, customer]);
  }
  const sub = fake.putSubscription({ customer, status: 'active', price, tenantId, periodStart });
  const ev = signedEvent('customer.subscription.created', sub, WHSEC);
  const r = await call(h.app, 'POST', '/api/v1/webhooks/stripe', { payload: ev.payload, headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature } });
  expect(r.body.outcome).toBe('applied');
  return { subId: sub.id, customer };
}

describe('GET /api/v1/billing/plans', () => {
  it('lists the plans with quotas and price ids, and the tenant\'s plan; 401 without a token', async () => {
    const u = await signUp(h.app, 'Plans');
    const r = await call(h.app, 'GET', '/api/v1/billing/plans', { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      billing_enabled: true, publishable_key: 'pk_test_driftwatch', currency: 'eur', current_plan: 'free',
      plans: [
        { id: 'free', name: 'Free', events_per_month: 10_000, retention_days: 7, price_id: PRICES.free },
        { id: 'pro', name: 'Pro', events_per_month: 100_000, retention_days: 30, price_id: PRICES.pro },
        { id: 'business', name: 'Business', events_per_month: null, retention_days: 90, price_id: PRICES.business },
      ],
    });
    // An API key with read may see them too.
    expect((await call(h.app, 'GET', '/api/v1/billing/plans', { token: await apiKey(h, u) })).status).toBe(200);
    const none = await call(h.app, 'GET', '/api/v1/billing/plans');
    expect([none.status, codeOf(none)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });
});

describe('POST /api/v1/billing/checkout', () => {
  it('creates the customer once and a subscription Checkout session carrying the tenant (client_reference_id and metadata)', async () => {
    const u = await signUp(h.app, 'Buyer');
    const tenantId = u.user.tenant_id;
    const r = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body: { plan: 'pro' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ session_id: expect.stringMatching(/^cs_test_/), url: expect.stringMatching(/^https:\/\/checkout\.stripe\.test\//), plan: 'pro' });
    const customers = fake.calls('POST', '/v1/customers').filter((c) => c.params.metadata?.tenant_id === tenantId);
    expect(customers).toHaveLength(1);
    expect(customers[0].params).toMatchObject({ email: u.email, metadata: { tenant_id: tenantId } });
    const customerId = (await h.db.pool.query('SELECT stripe_customer_id FROM billing_customers WHERE tenant_id = $1', [tenantId])).rows[0].stripe_customer_id;
    expect(fake.customers.has(customerId)).toBe(true);
    const sessions = fake.calls('POST', '/v1/checkout/sessions').filter((c) => c.params.client_reference_id === tenantId);
    expect(sessions).toHaveLength(1);
    expect(sessions[0].params).toEqual({
      mode: 'subscription', customer: customerId, client_reference_id: tenantId,
      metadata: { tenant_id: tenantId, plan: 'pro' }, subscription_data: { metadata: { tenant_id: tenantId, plan: 'pro' } },
      line_items: [{ price: PRICES.pro, quantity: '1' }], success_url: SUCCESS, cancel_url: CANCEL,
    });
    expect(sessions[0].headers['idempotency-key']).toMatch(new RegExp(`^dw-checkout-${tenantId}-pro-`));
    // A metered price goes without a quantity; the customer is reused.
    const b = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body: { plan: 'business' }, headers: { 'idempotency-key': 'click-1' } });
    expect(b.status).toBe(200);
    const last = fake.calls('POST', '/v1/checkout/sessions').at(-1)!;
    expect(last.params.line_items).toEqual([{ price: PRICES.business }]);
    expect(last.headers['idempotency-key']).toBe(`dw-checkout-${tenantId}-business-click-1`);
    expect(fake.calls('POST', '/v1/customers').filter((c) => c.params.metadata?.tenant_id === tenantId)).toHaveLength(1);
    const audit = await h.db.pool.query("SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'billing.checkout' ORDER BY id", [tenantId]);
    expect(audit.rows.map((x) => x.details.plan)).toEqual(['pro', 'business']);
    expect(fake.problems).toEqual([]);
  });

  it('refuses no token, an API key, a member, a bad body, and a tenant that already subscribes', async () => {
    const u = await signUp(h.app, 'Refused');
    const none = await call(h.app, 'POST', '/api/v1/billing/checkout', { body: { plan: 'pro' } });
    expect([none.status, codeOf(none)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    const viaKey = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: await apiKey(h, u), body: { plan: 'pro' } });
    expect([viaKey.status, codeOf(viaKey)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const member = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: await asRole(h, 'member'), body: { plan: 'pro' } });
    expect([member.status, codeOf(member)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    for (const body of [{}, { plan: 'gold' }, { plan: 'free' }, { plan: 'pro', extra: 1 }, { plan: 5 }]) {
      const r = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body });
      expect([r.status, codeOf(r)], JSON.stringify(body)).toEqual([400, 'DW_ERR_VALIDATION']);
    }
    const admin = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: await asRole(h, 'admin'), body: { plan: 'pro' } });
    expect(admin.status).toBe(200);
    await subscribe(u, PRICES.pro);
    const again = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body: { plan: 'business' } });
    expect([again.status, codeOf(again)]).toEqual([409, 'DW_ERR_CONFLICT']);
  });

  it('Stripe failing answers 502 DW_ERR_BILLING_UPSTREAM', async () => {
    const u = await signUp(h.app, 'Down');
    fake.down = true;
    try {
      const r = await call(h.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body: { plan: 'pro' } });
      expect([r.status, codeOf(r)]).toEqual([502, 'DW_ERR_BILLING_UPSTREAM']);
    } finally {
      fake.down = false;
    }
  });
});

describe('GET /api/v1/billing/portal', () => {
  it('answers a portal URL for the tenant\'s own customer; 404 before there is one; owners and admins only', async () => {
    const u = await signUp(h.app, 'Portal');
    const before = await call(h.app, 'GET', '/api/v1/billing/portal', { token: u.token });
    expect([before.status, codeOf(before)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    const { customer } = await subscribe(u, PRICES.pro);
    const r = await call(h.app, 'GET', '/api/v1/billing/portal', { token: u.token });
    expect(r.status).toBe(200);
    expect(r.body.url).toMatch(/^https:\/\/billing\.stripe\.test\//);
    expect(fake.calls('POST', '/v1/billing_portal/sessions').at(-1)!.params).toEqual({ customer, return_url: SUCCESS });
    const member = await call(h.app, 'GET', '/api/v1/billing/portal', { token: await asRole(h, 'member') });
    expect([member.status, codeOf(member)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const none = await call(h.app, 'GET', '/api/v1/billing/portal');
    expect(none.status).toBe(401);
  });
});

describe('GET and DELETE /api/v1/billing/subscription', () => {
  it('shows only the caller\'s tenant; cancels at the period end (plan kept), then immediately (free)', async () => {
    const a = await signUp(h.app, 'SubA');
    const b = await signUp(h.app, 'SubB');
    const { subId } = await subscribe(a, PRICES.business);
    const ga = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: a.token });
    expect(ga.body).toMatchObject({ plan: 'business', subscription: { id: subId, status: 'active', plan: 'business' } });
    const gb = await call(h.app, 'GET', '/api/v1/billing/subscription', { token: b.token });
    expect(gb.body).toEqual({ plan: 'free', subscription: null });
    // B cannot cancel A's subscription: B has none.
    const db = await call(h.app, 'DELETE', '/api/v1/billing/subscription', { token: b.token });
    expect([db.status, codeOf(db)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    const member = await call(h.app, 'DELETE', '/api/v1/billing/subscription', { token: await asRole(h, 'member') });
    expect([member.status, codeOf(member)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const badQuery = await call(h.app, 'DELETE', '/api/v1/billing/subscription?immediately=yes', { token: a.token });
    expect([badQuery.status, codeOf(badQuery)]).toEqual([400, 'DW_ERR_VALIDATION']);

    const atEnd = await call(h.app, 'DELETE', '/api/v1/billing/subscription', { token: a.token });
    expect(atEnd.status).toBe(200);
    expect(atEnd.body).toMatchObject({ plan: 'business', subscription: { status: 'active', cancel_at_period_end: true } });
    expect(atEnd.body.subscription.cancel_at).toBe(atEnd.body.subscription.current_period_end);
    const upd = fake.calls('POST', `/v1/subscriptions/${subId}`).at(-1)!;
    expect(upd.params).toEqual({ cancel_at_period_end: 'true' });
    expect(upd.headers['idempotency-key']).toBe(`dw-cancel-at-end-${subId}`);

    const now = await call(h.app, 'DELETE', '/api/v1/billing/subscription?immediately=true', { token: a.token });
    expect(now.status).toBe(200);
    expect(now.body).toMatchObject({ plan: 'free', subscription: { status: 'canceled' } });
    expect(fake.calls('DELETE', `/v1/subscriptions/${subId}`)).toHaveLength(1);
    expect((await h.db.pool.query('SELECT plan FROM tenants WHERE id = $1', [a.user.tenant_id])).rows[0].plan).toBe('free');
    const audit = await h.db.pool.query("SELECT details FROM audit_log WHERE tenant_id = $1 AND action = 'billing.cancel' ORDER BY id", [a.user.tenant_id]);
    expect(audit.rows.map((x) => [x.details.immediately, x.details.to])).toEqual([[false, 'business'], [true, 'free']]);
    const gone = await call(h.app, 'DELETE', '/api/v1/billing/subscription', { token: a.token });
    expect([gone.status, codeOf(gone)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    expect((await call(h.app, 'GET', '/api/v1/billing/subscription')).status).toBe(401);
    expect(fake.problems).toEqual([]);
  });
});

describe('GET /api/v1/billing/usage', () => {
  it('sums the tenant\'s own hourly counters per UTC day of the period, with what was reported', async () => {
    const a = await signUp(h.app, 'UseA');
    const b = await signUp(h.app, 'UseB');
    const now = new Date();
    const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const hour = (d: Date, hh: number) => new Date(d.getTime() + hh * 3_600_000);
    const ins = (t: string, bucket: Date, events: number) => h.db.pool.query(
      'INSERT INTO usage_counters (tenant_id, bucket, events, bytes, anomalies) VALUES ($1, $2, $3, $4, $5)', [t, bucket, events, events * 100, 1]);
    await ins(a.user.tenant_id, hour(today, 0), 40);
    await ins(b.user.tenant_id, hour(today, 0), 999);
    // Without a subscription the period is the calendar month.
    const r = await call(h.app, 'GET', '/api/v1/billing/usage', { token: await apiKey(h, a) });
    expect(r.status).toBe(200);
    const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    expect(r.body).toMatchObject({ plan: 'free', events_per_month: 10_000, period_source: 'calendar_month', period_start: monthStart.toISOString() });
    expect(r.body.days).toHaveLength(now.getUTCDate());
    expect(r.body.days.at(-1)).toEqual({ date: today.toISOString().slice(0, 10), events: 40, bytes: 4000, anomalies: 1, reported_events: 0, manual_events: 0 });
    expect(r.body.totals).toEqual({ events: 40, bytes: 4000, anomalies: 1, reported_events: 0, manual_events: 0 });

    // With a subscription: its current period; an earlier hour of the period counts, one before it does not.
    // The period began two days ago at 00:30 UTC.
    const start = new Date(today.getTime() - 2 * 86_400_000 + 30 * 60_000);
    const { customer } = await subscribe(a, PRICES.pro, start.getTime() / 1000);
    await ins(a.user.tenant_id, hour(start, -0.5 - 1), 7); // 23:00 the day before: outside the period
    await ins(a.user.tenant_id, hour(start, 0.5), 5); // 01:00: inside
    await h.db.pool.query(`INSERT INTO billing_usage_reports (tenant_id, bucket, identifier, stripe_customer_id, events, status)
      VALUES ($1, $2, 'x-test', $3, 40, 'sent')`, [a.user.tenant_id, hour(today, 0), customer]);
    const s = await call(h.app, 'GET', '/api/v1/billing/usage', { token: a.token });
    expect(s.body).toMatchObject({ plan: 'pro', events_per_month: 100_000, period_source: 'subscription', period_start: start.toISOString() });
    expect(s.body.totals.events).toBe(45);
    expect(s.body.days.map((d: any) => d.events)).toEqual([5, 0, 40]);
    expect(s.body.totals.reported_events).toBe(40);
    expect(s.body.days.find((d: any) => d.date === today.toISOString().slice(0, 10)).reported_events).toBe(40);
    expect((await call(h.app, 'GET', '/api/v1/billing/usage')).status).toBe(401);
  });
});

describe('POST /api/v1/billing/usage', () => {
  it('sends a manual record as one meter event; the same Idempotency-Key does not send it again', async () => {
    const u = await signUp(h.app, 'Manual');
    const noCustomer = await call(h.app, 'POST', '/api/v1/billing/usage', { token: u.token, body: { events: 5 } });
    expect([noCustomer.status, codeOf(noCustomer)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    const { customer } = await subscribe(u, PRICES.business);
    for (const body of [{}, { events: 0 }, { events: 1.5 }, { events: 3, timestamp: 'yesterday' }, { events: 3, note: 'x' },
      { events: 3, timestamp: new Date(Date.now() - 40 * 86_400_000).toISOString() }]) {
      const r = await call(h.app, 'POST', '/api/v1/billing/usage', { token: u.token, body });
      expect([r.status, codeOf(r)], JSON.stringify(body)).toEqual([400, 'DW_ERR_VALIDATION']);
    }
    const when = new Date(Date.now() - 2 * 3_600_000); // inside the subscription's period (it began a day ago)
    const body = { events: 1234, timestamp: when.toISOString(), reason: 'agent outage backfill' };
    const first = await call(h.app, 'POST', '/api/v1/billing/usage', { token: u.token, body, headers: { 'idempotency-key': 'backfill-1' } });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), events: 1234, timestamp: when.toISOString(), reason: 'agent outage backfill', identifier: `dwm-${first.body.id}`, status: 'sent' });
    const sent = fake.calls('POST', '/v1/billing/meter_events').filter((c) => c.params.identifier === first.body.identifier);
    expect(sent).toHaveLength(1);
    expect(sent[0].params).toEqual({
      event_name: 'dw_test_events', identifier: first.body.identifier, timestamp: String(Math.floor(when.getTime() / 1000)),
      payload: { stripe_customer_id: customer, value: '1234' },
    });
    expect(sent[0].headers['idempotency-key']).toBe(first.body.identifier);
    const again = await call(h.app, 'POST', '/api/v1/billing/usage', { token: u.token, body, headers: { 'idempotency-key': 'backfill-1' } });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(fake.calls('POST', '/v1/billing/meter_events', { replays: true }).filter((c) => c.params.identifier === first.body.identifier)).toHaveLength(1);
    expect(fake.billed(customer)).toBe(1234);
    const member = await call(h.app, 'POST', '/api/v1/billing/usage', { token: await asRole(h, 'member'), body: { events: 1 } });
    expect([member.status, codeOf(member)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const usage = await call(h.app, 'GET', '/api/v1/billing/usage', { token: u.token });
    expect(usage.body.totals.manual_events).toBe(1234);
    expect(fake.problems).toEqual([]);
  });
});

describe('billing disabled (no STRIPE_SECRET_KEY)', () => {
  it('the Stripe routes answer 501 DW_ERR_BILLING_DISABLED; plans, usage and the rest of the API work', async () => {
    const u = await signUp(off.app, 'Off');
    for (const [method, url, body] of [
      ['POST', '/api/v1/billing/checkout', { plan: 'pro' }], ['GET', '/api/v1/billing/portal', undefined],
      ['GET', '/api/v1/billing/subscription', undefined], ['DELETE', '/api/v1/billing/subscription', undefined],
      ['POST', '/api/v1/billing/usage', { events: 1 }],
    ] as const) {
      const r = await call(off.app, method, url, { token: u.token, ...(body ? { body } : {}) });
      expect([r.status, codeOf(r)], `${method} ${url}`).toEqual([501, 'DW_ERR_BILLING_DISABLED']);
      expect(r.body.error.message).toMatch(/STRIPE_SECRET_KEY/);
    }
    const ev = signedEvent('customer.subscription.created', { id: 'sub_1', object: 'subscription' }, 'whsec_x');
    const hook = await call(off.app, 'POST', '/api/v1/webhooks/stripe', { payload: ev.payload, headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature } });
    expect([hook.status, codeOf(hook)]).toEqual([501, 'DW_ERR_BILLING_DISABLED']);
    const plans = await call(off.app, 'GET', '/api/v1/billing/plans', { token: u.token });
    expect(plans.status).toBe(200);
    expect(plans.body).toMatchObject({ billing_enabled: false, publishable_key: null, current_plan: 'free' });
    expect(plans.body.plans.map((p: any) => p.price_id)).toEqual([null, null, null]);
    expect((await call(off.app, 'GET', '/api/v1/billing/usage', { token: u.token })).status).toBe(200);
    expect((await call(off.app, 'GET', '/api/v1/user', { token: u.token })).status).toBe(200);
    expect((await call(off.app, 'GET', '/api/v1/anomalies', { token: u.token })).status).toBe(200);
  });
});

describe('billing partly configured', () => {
  it('names the missing setting: STRIPE_WEBHOOK_SECRET, STRIPE_SUCCESS_URL', async () => {
    const u = await signUp(half.app, 'Half');
    const ev = signedEvent('customer.subscription.created', { id: 'sub_1', object: 'subscription' }, 'whsec_x');
    const hook = await call(half.app, 'POST', '/api/v1/webhooks/stripe', { payload: ev.payload, headers: { 'content-type': 'application/json', 'stripe-signature': ev.signature } });
    expect([hook.status, codeOf(hook)]).toEqual([501, 'DW_ERR_BILLING_DISABLED']);
    expect(hook.body.error.message).toMatch(/STRIPE_WEBHOOK_SECRET/);
    const pro = await call(half.app, 'POST', '/api/v1/billing/checkout', { token: u.token, body: { plan: 'pro' } });
    expect([pro.status, codeOf(pro)]).toEqual([501, 'DW_ERR_BILLING_DISABLED']);
    expect(pro.body.error.message).toMatch(/STRIPE_SUCCESS_URL/);
    const portal = await call(half.app, 'GET', '/api/v1/billing/portal', { token: u.token });
    expect(portal.body.error.message).toMatch(/STRIPE_SUCCESS_URL/);
    const sub = await call(half.app, 'GET', '/api/v1/billing/subscription', { token: u.token });
    expect(sub.body).toEqual({ plan: 'free', subscription: null });
  });
});
