// A local HTTP server that answers the Stripe API calls driftwatch makes, for the real `stripe`
// SDK pointed at it (STRIPE_API_BASE). It checks each request's shape the way Stripe would
// (secret key, API version header, form-encoded parameters, Idempotency-Key on every POST,
// the parameters of each endpoint) and records it; a request that breaks a rule is answered 400
// and listed in `problems`, which tests expect to be empty.
//
//   POST   /v1/customers                      GET  /v1/prices/:id
//   POST   /v1/checkout/sessions              POST /v1/billing_portal/sessions
//   GET    /v1/subscriptions/:id              POST /v1/subscriptions/:id    DELETE /v1/subscriptions/:id
//   POST   /v1/billing/meter_events           (identifier unique, timestamp within 35 days)
//
// Idempotency as Stripe does it: the same key with the same parameters replays the first answer
// (Idempotent-Replayed: true); with other parameters it is a 400. `failNext(n)` / `down` make
// it answer 500s (an outage).
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface RecordedRequest {
  method: string;
  path: string;
  params: Record<string, any>;
  headers: IncomingMessage['headers'];
  status: number;
  replayed: boolean;
}

export interface FakePrice { id: string; metered: boolean }

export interface FakeStripeOptions {
  secretKey: string;
  meterEventName: string;
  prices: FakePrice[];
  now?: () => number;
}

/** Decodes Stripe's form encoding (`a[b][0][c]=v`) into nested objects; all-digit keys become arrays. */
export function decodeForm(body: string): Record<string, any> {
  const root: Record<string, any> = {};
  for (const [k, v] of new URLSearchParams(body)) {
    const path = k.split(/\[|\]\[|\]/).filter((p) => p !== '');
    let node: Record<string, any> = root;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]] ??= {};
    node[path[path.length - 1]] = v;
  }
  const arrays = (o: any): any => {
    if (o === null || typeof o !== 'object') return o;
    const keys = Object.keys(o);
    const out: any = keys.length > 0 && keys.every((k) => /^\d+$/.test(k)) ? keys.sort((a, b) => Number(a) - Number(b)).map((k) => arrays(o[k])) : {};
    if (!Array.isArray(out)) for (const k of keys) out[k] = arrays(o[k]);
    return out;
  };
  return arrays(root);
}

const id = (prefix: string): string => `${prefix}_${randomBytes(8).toString('hex')}`;

export class FakeStripe {
  readonly requests: RecordedRequest[] = [];
  readonly problems: string[] = [];
  readonly customers = new Map<string, any>();
  readonly subscriptions = new Map<string, any>();
  readonly prices = new Map<string, FakePrice>();
  /** Accepted meter events by identifier. */
  readonly meterEvents = new Map<string, { event_name: string; timestamp: number; payload: Record<string, string> }>();
  /** Answer 500 to every request while true. */
  down = false;
  #failNext = 0;
  #idem = new Map<string, { params: string; status: number; body: unknown }>();
  #server: Server;
  #o: FakeStripeOptions;
  url = '';

  constructor(opts: FakeStripeOptions) {
    this.#o = opts;
    for (const p of opts.prices) this.prices.set(p.id, p);
    this.#server = createServer((req, res) => { this.#handle(req, res).catch((err) => { this.problems.push(String(err)); res.statusCode = 500; res.end(); }); });
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** The next n requests answer 500 (a Stripe outage). */
  failNext(n: number): void { this.#failNext = n; }

  /** Requests to one endpoint (method and path prefix), not counting replays unless asked. */
  calls(method: string, pathPrefix: string, opts: { replays?: boolean } = {}): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.startsWith(pathPrefix) && (opts.replays === true || !r.replayed));
  }

  /** Sum of accepted meter event values for a customer. */
  billed(customer: string): number {
    let n = 0;
    for (const e of this.meterEvents.values()) if (e.payload.stripe_customer_id === customer) n += Number(e.payload.value);
    return n;
  }

  /** Puts (or replaces) a subscription in the fake's state; the shape of API version 2025-10-29. */
  putSubscription(s: { id?: string; customer: string; status: string; price: string; tenantId?: string; periodStart?: number; periodEnd?: number; cancelAtPeriodEnd?: boolean }): any {
    const now = Math.floor(this.#now() / 1000);
    const start = s.periodStart ?? now - 86_400;
    const end = s.periodEnd ?? start + 30 * 86_400;
    const subId = s.id ?? id('sub');
    const sub = {
      id: subId, object: 'subscription', customer: s.customer, status: s.status,
      cancel_at: s.cancelAtPeriodEnd === true ? end : null, cancel_at_period_end: s.cancelAtPeriodEnd === true,
      canceled_at: s.status === 'canceled' ? now : null, created: start, livemode: false,
      metadata: s.tenantId === undefined ? {} : { tenant_id: s.tenantId },
      items: {
        object: 'list', has_more: false, url: `/v1/subscription_items?subscription=${subId}`,
        data: [{
          id: id('si'), object: 'subscription_item', subscription: subId, quantity: 1,
          price: { id: s.price, object: 'price', recurring: { interval: 'month', usage_type: this.prices.get(s.price)?.metered ? 'metered' : 'licensed' } },
          current_period_start: start, current_period_end: end,
        }],
      },
    };
    this.subscriptions.set(subId, sub);
    return sub;
  }

  putCustomer(tenantId: string): string {
    const c = { id: id('cus'), object: 'customer', metadata: { tenant_id: tenantId } };
    this.customers.set(c.id, c);
    return c.id;
  }

  #now(): number { return this.#o.now?.() ?? Date.now(); }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const params = method === 'GET' || method === 'DELETE' ? decodeForm(url.search.slice(1) + (raw ? `&${raw}` : '')) : decodeForm(raw);
    const rec: RecordedRequest = { method, path: url.pathname, params, headers: req.headers, status: 0, replayed: false };
    this.requests.push(rec);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...headers });
      res.end(JSON.stringify(body));
    };
    const refuse = (message: string, status = 400): void => {
      this.problems.push(`${method} ${url.pathname}: ${message}`);
      send(status, { error: { type: 'invalid_request_error', message } });
    };
    if (req.headers.authorization !== `Bearer ${this.#o.secretKey}`) return refuse('wrong or missing secret key', 401);
    if (typeof req.headers['stripe-version'] !== 'string') return refuse('no Stripe-Version header');
    if (this.down || this.#failNext > 0) {
      if (this.#failNext > 0) this.#failNext--;
      rec.status = 500;
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: 'fake outage' } }));
      return;
    }
    let key: string | undefined;
    if (method === 'POST') {
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return refuse('POST body must be form-encoded');
      key = req.headers['idempotency-key'] as string | undefined;
      if (typeof key !== 'string' || key === '') return refuse('driftwatch sends an Idempotency-Key on every POST');
      const seen = this.#idem.get(key);
      if (seen !== undefined) {
        if (seen.params !== raw) return send(400, { error: { type: 'idempotency_error', message: 'Keys for idempotent requests can only be used with the same parameters they were first used with.' } });
        rec.replayed = true;
        return send(seen.status, seen.body, { 'idempotent-replayed': 'true' });
      }
    }
    const [status, body] = this.#route(method, url.pathname, params, refuse);
    if (status === 0) return; // refused (answered)
    if (key !== undefined && status < 500) this.#idem.set(key, { params: raw, status, body });
    send(status, body);
  }

  #route(method: string, path: string, p: Record<string, any>, refuse: (m: string) => void): [number, unknown] {
    const bad = (m: string): [number, unknown] => { refuse(m); return [0, null]; };
    let m: RegExpExecArray | null;
    if (method === 'POST' && path === '/v1/customers') {
      if (typeof p.metadata?.tenant_id !== 'string') return bad('customers.create without metadata[tenant_id]');
      const c = { id: id('cus'), object: 'customer', email: p.email ?? null, name: p.name ?? null, metadata: p.metadata };
      this.customers.set(c.id, c);
      return [200, c];
    }
    if (method === 'GET' && (m = /^\/v1\/prices\/([^/]+)$/.exec(path))) {
      const price = this.prices.get(m[1]);
      if (price === undefined) return [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such price: '${m[1]}'` } }];
      return [200, { id: price.id, object: 'price', active: true, recurring: { interval: 'month', usage_type: price.metered ? 'metered' : 'licensed' } }];
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      if (p.mode !== 'subscription') return bad('mode must be subscription');
      if (!this.customers.has(p.customer)) return bad(`unknown customer ${p.customer}`);
      if (typeof p.client_reference_id !== 'string') return bad('no client_reference_id');
      if (p.metadata?.tenant_id !== p.client_reference_id) return bad('metadata[tenant_id] must name the tenant');
      if (p.subscription_data?.metadata?.tenant_id !== p.client_reference_id) return bad('subscription_data[metadata][tenant_id] must name the tenant');
      for (const u of ['success_url', 'cancel_url']) if (typeof p[u] !== 'string' || !/^https?:\/\//.test(p[u])) return bad(`${u} must be a URL`);
      if (!Array.isArray(p.line_items) || p.line_items.length === 0) return bad('line_items must be a list');
      for (const li of p.line_items) {
        const price = this.prices.get(li.price);
        if (price === undefined) return bad(`unknown price ${li.price}`);
        if (price.metered && li.quantity !== undefined) return bad('Quantity should not be defined when recurring.usage_type=metered');
        if (!price.metered && li.quantity !== '1') return bad('a licensed price needs quantity 1');
      }
      const s = { id: id('cs_test'), object: 'checkout.session', mode: 'subscription', customer: p.customer, client_reference_id: p.client_reference_id, metadata: p.metadata, url: `https://checkout.stripe.test/c/pay/${id('cs')}` };
      return [200, s];
    }
    if (method === 'POST' && path === '/v1/billing_portal/sessions') {
      if (!this.customers.has(p.customer)) return bad(`unknown customer ${p.customer}`);
      if (typeof p.return_url !== 'string') return bad('no return_url');
      return [200, { id: id('bps'), object: 'billing_portal.session', customer: p.customer, return_url: p.return_url, url: `https://billing.stripe.test/p/session/${id('s')}` }];
    }
    if ((m = /^\/v1\/subscriptions\/([^/]+)$/.exec(path))) {
      const sub = this.subscriptions.get(m[1]);
      if (sub === undefined) return [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: `No such subscription: '${m[1]}'` } }];
      if (method === 'GET') return [200, sub];
      if (method === 'POST') {
        if (p.cancel_at_period_end !== 'true') return bad('only cancel_at_period_end=true is expected');
        sub.cancel_at_period_end = true;
        sub.cancel_at = sub.items.data[0].current_period_end;
        return [200, sub];
      }
      if (method === 'DELETE') {
        sub.status = 'canceled';
        sub.canceled_at = Math.floor(this.#now() / 1000);
        return [200, sub];
      }
    }
    if (method === 'POST' && path === '/v1/billing/meter_events') {
      if (p.event_name !== this.#o.meterEventName) return bad(`event_name ${p.event_name} is not the meter's ${this.#o.meterEventName}`);
      if (typeof p.identifier !== 'string' || p.identifier.length === 0 || p.identifier.length > 100) return bad('identifier must be 1-100 characters');
      if (!/^\d+$/.test(p.timestamp ?? '')) return bad('timestamp must be given, in epoch seconds');
      const ts = Number(p.timestamp);
      const nowS = Math.floor(this.#now() / 1000);
      if (ts < nowS - 35 * 86_400) return bad('timestamp is more than 35 days in the past');
      if (ts > nowS + 300) return bad('timestamp is more than 5 minutes in the future');
      if (!this.customers.has(p.payload?.stripe_customer_id)) return bad(`payload[stripe_customer_id] ${p.payload?.stripe_customer_id} is not a customer`);
      if (!/^\d+$/.test(p.payload?.value ?? '')) return bad('payload[value] must be a whole number');
      if (this.meterEvents.has(p.identifier)) {
        // Not a shape problem of ours to hide: recorded separately from `problems` by the caller's checks.
        return [400, { error: { type: 'invalid_request_error', message: `An event with identifier ${p.identifier} already exists` } }];
      }
      this.meterEvents.set(p.identifier, { event_name: p.event_name, timestamp: ts, payload: p.payload });
      return [200, { object: 'billing.meter_event', created: nowS, event_name: p.event_name, identifier: p.identifier, livemode: false, payload: p.payload, timestamp: ts }];
    }
    return bad(`the fake does not implement ${method} ${path}`);
  }
}

export async function startFakeStripe(opts: FakeStripeOptions): Promise<FakeStripe> {
  return new FakeStripe(opts).listen();
}

let evtSeq = 0;
/** A Stripe event around an object, and its body and Stripe-Signature header signed with the secret. */
export function signedEvent(type: string, object: unknown, secret: string, opts: { id?: string; created?: number } = {}): { id: string; payload: string; signature: string } {
  const evId = opts.id ?? `evt_test_${Date.now()}_${++evtSeq}`;
  const payload = JSON.stringify({
    id: evId, object: 'event', api_version: Stripe.API_VERSION, created: opts.created ?? Math.floor(Date.now() / 1000),
    type, livemode: false, pending_webhooks: 1, request: { id: null, idempotency_key: null }, data: { object },
  });
  return { id: evId, payload, signature: Stripe.webhooks.generateTestHeaderString({ payload, secret }) };
}
