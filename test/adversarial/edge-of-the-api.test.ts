// Issue 12, lows: security headers; a Stripe signature dated an hour ahead; an external HS256
// token whose issuer says the email is not verified.
import { SignJWT } from 'jose';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

const SECRET = 'super-secret-jwt-token-with-at-least-32-characters-long';
const WHSEC = 'whsec_test_adversarial';
let h: Harness;
let alice: SignedUp;

beforeAll(async () => {
  h = await startHarness({ externalJwtSecret: SECRET, stripeSecretKey: 'sk_test_adversarial', stripeWebhookSecret: WHSEC, stripeApiBase: 'http://127.0.0.1:9' });
  alice = await signUp(h.app, 'Alice');
});
afterAll(async () => { await h?.close(); });

describe('security headers', () => {
  it('nosniff and frame policies everywhere; no-store on answers carrying tokens', async () => {
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email: alice.email, password: alice.password } });
    expect(login.statusCode).toBe(200);
    expect(login.headers['cache-control']).toBe('no-store');
    for (const url of ['/health', '/docs/json', '/api/v1/nothing']) {
      const r = await h.app.inject({ method: 'GET', url });
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(String(r.headers['content-security-policy'])).toContain("frame-ancestors 'none'");
    }
    expect((await h.app.inject({ method: 'GET', url: '/health' })).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('Stripe webhook signatures', () => {
  it('a correct signature dated an hour ahead is refused', async () => {
    const payload = JSON.stringify({ id: 'evt_future', object: 'event', type: 'customer.created', data: { object: { id: 'cus_x', object: 'customer' } }, created: Math.floor(Date.now() / 1000) });
    const signature = Stripe.webhooks.generateTestHeaderString({ payload, secret: WHSEC, timestamp: Math.floor(Date.now() / 1000) + 3600 });
    const r = await call(h.app, 'POST', '/api/v1/webhooks/stripe', { payload, headers: { 'content-type': 'application/json', 'stripe-signature': signature } });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_WEBHOOK_SIGNATURE']);
  });
});

describe('external tokens', () => {
  const token = (claims: Record<string, unknown>): Promise<string> => new SignJWT({ role: 'authenticated', sub: 'ext-1', email: alice.email, ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setAudience('authenticated').setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));

  it('email_verified false (top level or user_metadata) is refused; true or absent signs in', async () => {
    for (const c of [{ email_verified: false }, { user_metadata: { email_verified: false } }]) {
      const r = await call(h.app, 'GET', '/api/v1/user', { token: await token(c) });
      expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
    }
    for (const c of [{ email_verified: true }, {}]) {
      expect((await call(h.app, 'GET', '/api/v1/user', { token: await token(c) })).status).toBe(200);
    }
  });
});
