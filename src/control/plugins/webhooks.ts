// POST /api/v1/webhooks/stripe: Stripe's events, verified on the raw body.
//
//   raw body (Buffer: this plugin's own application/json parser, nothing else sees it)
//     ─▶ stripe.webhooks.constructEvent(raw, Stripe-Signature, STRIPE_WEBHOOK_SECRET) ── bad ─▶ 400 DW_ERR_WEBHOOK_SIGNATURE
//     ─▶ processWebhookEvent (billing/webhooks.ts: once per event id, subscription re-read) ─▶ 200 {received, outcome}
//
// No credentials: the signature is the authentication. Stripe retries anything but a 2xx, so a
// failure to reach Stripe or PostgreSQL answers 5xx and the event is applied on the retry.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { upstreamError } from '../billing/stripe.js';
import { processWebhookEvent } from '../billing/webhooks.js';
import { DwError, isDwError } from '../../core/errors.js';
import { definePlugin } from './define.js';

/** Stripe's events are a few KiB; a full invoice with many lines stays well under this. */
export const WEBHOOK_BODY_LIMIT = 1024 * 1024;

/** How far a Stripe signature's timestamp may be from now, either way (Stripe's default tolerance). */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export const webhooksPlugin = definePlugin(async function webhooks(app: FastifyInstance): Promise<void> {
  const { pool, config, audit } = app;
  const ctx = app.billing;
  const log = app.log.child({ component: 'billing-webhooks' });
  // Encapsulated: the raw parser applies to this plugin's route only; the rest of the API parses JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT },
    function rawJson(_req: FastifyRequest, body: Buffer, done: (err: Error | null, body?: unknown) => void) { done(null, body); });

  app.post('/webhooks/stripe', {
    bodyLimit: WEBHOOK_BODY_LIMIT,
    schema: {
      summary: 'Stripe webhook endpoint (signed with STRIPE_WEBHOOK_SECRET; each event applied once)', tags: ['billing'],
      response: {
        200: {
          type: 'object',
          properties: { received: { type: 'boolean' }, outcome: { type: 'string', enum: ['applied', 'ignored', 'duplicate'] } },
          required: ['received', 'outcome'],
        },
      },
    },
  }, async function stripeWebhook(req) {
    const stripe = ctx.need();
    const secret = config.stripeWebhookSecret;
    if (secret === undefined) throw new DwError('DW_ERR_BILLING_DISABLED', 'STRIPE_WEBHOOK_SECRET is not set');
    const raw = req.body;
    if (!Buffer.isBuffer(raw)) throw new DwError('DW_ERR_WEBHOOK_SIGNATURE', 'send the event as application/json');
    const sig = req.headers['stripe-signature'];
    if (typeof sig !== 'string' || sig === '') throw new DwError('DW_ERR_WEBHOOK_SIGNATURE', 'no Stripe-Signature header');
    // Stripe's library refuses only timestamps older than its tolerance; one dated ahead passed.
    const t = Number(/(?:^|,)\s*t=(\d{1,12})(?:,|$)/.exec(sig)?.[1]);
    if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > WEBHOOK_TOLERANCE_SECONDS) {
      log.warn({ event: 'BillingWebhookSignatureError', err: 'timestamp missing or outside the tolerance' }, 'Stripe webhook signature refused');
      throw new DwError('DW_ERR_WEBHOOK_SIGNATURE', `the signature's timestamp is more than ${WEBHOOK_TOLERANCE_SECONDS} s from now`);
    }
    let event;
    try {
      event = stripe.webhooks.constructEvent(raw, sig, secret, WEBHOOK_TOLERANCE_SECONDS);
    } catch (err) {
      log.warn({ event: 'BillingWebhookSignatureError', err: (err as Error).message }, 'Stripe webhook signature refused');
      throw new DwError('DW_ERR_WEBHOOK_SIGNATURE');
    }
    try {
      const out = await processWebhookEvent({ pool, stripe, prices: ctx.prices, log, audit }, event);
      return { received: true, outcome: out.outcome };
    } catch (err) {
      if (isDwError(err)) throw err;
      const e = err as { type?: string };
      if (typeof e?.type === 'string' && e.type.startsWith('Stripe')) throw upstreamError(err, `reading Stripe for ${event.type}`);
      throw err;
    }
  });
}, {
  name: 'driftwatch-webhooks',
  dependencies: ['driftwatch-context', 'driftwatch-audit', 'driftwatch-billing-context'],
  decorators: { fastify: ['pool', 'config', 'audit', 'billing'] },
});
