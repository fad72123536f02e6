// Generator `pay`: a payments platform, written for issue 11's held-out log streams from the
// issue's description alone (not from the detectors), to give a never-tuned figure.
//
//   seed ─► world() (pay-lines.ts) ─► 4-6 hours of event time from 01:00-02:30 UTC: the night
//   │       trough, then the morning ramp (0.55× → 1.5×); 30-45 merchants (country, currency, usual
//   │       amount, share of payments); seven streams in seven formats:
//   │         gateway/envoy       Envoy access log: every API request (payments, lookups,
//   │                             refunds, balance, customers: each route its own latency and
//   │                             statuses; only POST /v1/payments ever answers 5xx, an upstream
//   │                             timeout now and then)
//   │         fraud/scorer        Python: every payment scored (amount, currency, card country),
//   │                             feature-store timeouts (~1 %), the hourly model check
//   │         network/iso8583     Go (zerolog) card-network adapter: 0110 responses with ISO 8583
//   │                             response codes, echo tests per scheme every minute, issuer
//   │                             stand-in and retransmissions (rare warnings)
//   │         payments/api        Spring Boot JSON: payments authorized, declined or blocked,
//   │                             refunds, 3DS fallbacks; metadata {pod, region}
//   │         ledger/postgres,    PostgreSQL, the Kafka ledger writer and the Node.js webhook
//   │         kafka/ledger-writer, dispatcher (pay-backoffice.ts)
//   │         webhooks/dispatcher
//   │       one payment writes a line in each of up to seven streams, close in time;
//   │       benign novelty: fresh payment, request and trace ids, BINs, amounts, client addresses;
//   │       benign events: a pod added in the warm-up, a rolling deploy of a new version (its
//   │       startup lines and a schema migration), PLN enabled by a config reload and then used
//   │       by Polish merchants, the 04:00 UTC settlement run, routine warnings (~1 %)
//   └─► incidents after a 30-minute warm-up (pay-incidents.ts), labelled new_error, rare_error
//       (lone lines) and rare_burst (its one burst), unusual_value, unseen_category, retry_storm,
//       silence and card_testing (a bot's burst of small authorisations on one merchant and BIN)
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { backoffice } from './pay-backoffice.js';
import { injectPayIncidents } from './pay-incidents.js';
import { CARD_COUNTRIES, CURRENCY_CODES, declineReason, RESPONSE_CODES, SCHEMES, STREAMS, weighted, world, type Merchant, type P, type Row, type Scheme } from './pay-lines.js';
import { labelledSet } from './labelled.js';

export const PAY_KINDS = ['card_testing', 'new_error', 'rare_burst', 'rare_error', 'retry_storm', 'silence', 'unseen_category', 'unusual_value'] as const;
export const WARMUP_MS = 1_800_000;

/** The gateway's routes besides POST /v1/payments: median ms and statuses (a route never shows others). */
export const ROUTES = [
  { method: 'GET', route: '/v1/payments/{id}', ms: 14, statuses: [200, 200, 200, 200, 200, 200, 200, 200, 200, 404], share: 0.45 },
  { method: 'POST', route: '/v1/refunds', ms: 70, statuses: [201, 201, 201, 201, 201, 201, 201, 201, 201, 400], share: 0.1 },
  { method: 'GET', route: '/v1/balance', ms: 38, statuses: [200], share: 0.15 },
  { method: 'POST', route: '/v1/customers', ms: 30, statuses: [201, 201, 201, 201, 201, 201, 201, 201, 201, 422], share: 0.2 },
  { method: 'GET', route: '/v1/payouts', ms: 55, statuses: [200], share: 0.1 },
] as const;
export type Route = (typeof ROUTES)[number];
const SDKS = ['acme-pay-java/5.2.0', 'acme-pay-node/8.1.3', 'acme-pay-python/3.4.1', 'acme-pay-php/2.9.0', 'okhttp/4.12.0', 'acme-pay-ruby/4.0.2'];
const MODEL = 'gbm-2026.03.2';

/** A payment attempt: everything the streams print about it (drawn by `payment` unless given). */
export interface Attempt {
  m: Merchant; amount: number; currency: string; scheme: Scheme; bin: string; country: string;
  rc: string; score: number; rtt: number; client: string; ua: string; region?: string; took?: number;
}
/** Which lines of an attempt carry a label, by stream. */
export type Labels = Partial<Record<'gateway' | 'fraud' | 'network' | 'payments' | 'webhook' | 'posted', string>>;

export const publicIp = (p: P): string => `${p.r.pick([31, 46, 62, 77, 85, 91, 109, 151, 178, 185, 193, 212, 213])}.${p.r.int(0, 255)}.${p.r.int(0, 255)}.${p.r.int(1, 254)}`;
export const podThread = (p: P): string => `http-nio-8080-exec-${p.r.int(1, 48)}`;
export const money = (x: number): number => Math.round(x * 100) / 100;
export const cardBin = (p: P, s: Scheme): string => { const pre = p.r.pick(s.prefix); let b = pre; while (b.length < 6) b += String(p.r.int(0, 9)); return b; };

/** A fresh attempt of merchant `m` at `ts`: its amount around the merchant's usual (within 8×), a card and its issuer's answer. */
export function attempt(p: P, ts: number, m: Merchant = p.merchant()): Attempt {
  const { r } = p;
  const scheme = weighted(r, SCHEMES.map((s) => [s, s.share] as const));
  return {
    m, amount: money(Math.min(m.median * 8, Math.max(m.median / 8, p.around(m.median, 0.6)))), currency: p.currencyOf(m, ts), scheme, bin: cardBin(p, scheme),
    country: r.chance(0.55) && CARD_COUNTRIES.some(([c]) => c === m.country) ? m.country : weighted(r, CARD_COUNTRIES),
    rc: weighted(r, RESPONSE_CODES), score: 0.95 * r.next() ** 9, rtt: p.around(scheme.rtt, 0.3), client: publicIp(p), ua: r.pick(SDKS),
  };
}

/** A gateway access-log line (labelled `kind` if any). */
export function access(p: P, ts: number, method: string, path: string, status: number, ms: number, client = publicIp(p), ua = p.r.pick(SDKS), kind?: string): Row {
  const flags = status === 504 ? 'UT' : '-';
  return p.row(ts, STREAMS.gateway, p.envoy(ts, { method, path, status, flags, rx: p.r.int(180, 900), tx: status >= 400 ? p.r.int(90, 260) : p.r.int(300, 2400), ms, client, ua, id: p.uuid(), upstream: `10.4.${p.r.int(0, 3)}.${p.r.int(2, 250)}:8080` }), undefined, kind);
}

/** A payment on every stream it touches, from the API request to the webhook; `a` and `kinds` shape and label it. */
export function payment(p: P, rows: Row[], ts: number, a: Attempt = attempt(p, ts), kinds: Labels = {}): void {
  const { r } = p;
  const id = `pay_${r.hex(24)}`;
  const decision = a.score > 0.8 ? 'block' : a.score > 0.55 ? 'review' : 'approve';
  const took = a.took ?? p.around(4.5, 0.35);
  const scored = ts + r.int(3, 12) + Math.round(took);
  const amt = `${a.amount.toFixed(2)} ${a.currency}`;
  rows.push(p.row(scored, STREAMS.fraud, p.python(scored, 'INFO', 'fraud.scoring', `scored payment=${id} merchant=${a.m.id} amount=${amt} card_country=${a.country} bin=${a.bin} score=${a.score.toFixed(4)} decision=${decision} model=${MODEL} took=${took.toFixed(1)}ms`), undefined, kinds.fraud));
  if (r.chance(0.01)) rows.push(p.row(scored - 1, STREAMS.fraud, p.python(scored - 1, 'WARNING', 'fraud.features', `feature store timeout after 50ms for merchant=${a.m.id}, scoring with cached features`)));
  let done = scored + r.int(2, 8);
  const approved = decision !== 'block' && a.rc === '00';
  if (decision !== 'block') {
    const sent = done;
    const stip = r.chance(0.005);
    if (stip) rows.push(p.row(sent + 2500, STREAMS.network, p.zerolog(sent + 2500, 'WRN', 'issuer not responding, stand-in processing', { net: a.scheme.name, bin: a.bin, after: '2500ms' })));
    if (r.chance(0.004)) rows.push(retransmit(p, sent + 1000, a.scheme.name));
    done = sent + Math.round(a.rtt) + (stip ? 2600 : 0);
    rows.push(p.row(done, STREAMS.network, p.zerolog(done, 'INF', 'auth response', {
      mti: '0110', net: a.scheme.name, stan: String(r.int(0, 999_999)).padStart(6, '0'), rrn: `${r.int(100_000, 999_999)}${r.int(100_000, 999_999)}`, bin: a.bin, ctry: a.country,
      amt: String(Math.round(a.amount * 100)).padStart(12, '0'), cur: CURRENCY_CODES[a.currency] ?? '999', rc: a.rc, src: stip ? 'stip' : 'issuer', rtt: `${Math.round(a.rtt)}ms`,
    }), undefined, kinds.network));
  }
  done += r.int(4, 20);
  const pod = p.podAt(done);
  const region = a.region ?? pod.region;
  const msg = decision === 'block' ? 'Payment blocked by risk rules' : approved ? 'Payment authorized' : 'Payment declined by issuer';
  if (approved && decision === 'review' && r.chance(0.15)) rows.push(p.row(done - 3, STREAMS.payments, p.spring(done - 3, 'WARN', 'com.acme.payments.threeds.ChallengeService', podThread(p), '3DS challenge timed out, falling back to frictionless flow', { payment_id: id, merchant_id: a.m.id, trace_id: r.hex(32), app_version: p.versionAt(done) }), { pod: pod.pod, region: pod.region }));
  rows.push(p.row(done, STREAMS.payments, p.spring(done, decision === 'block' ? 'WARN' : 'INFO', 'com.acme.payments.authorization.AuthorizationService', podThread(p), msg, {
    payment_id: id, merchant_id: a.m.id, mcc: a.m.mcc, amount: a.amount, currency: a.currency, card_network: a.scheme.name, card_bin_country: a.country,
    ...(approved ? { auth_code: r.hex(6).toUpperCase() } : { decline_code: decision === 'block' ? 'fraud_suspected' : declineReason(a.rc) }),
    risk_score: Number(a.score.toFixed(4)), latency_ms: done - ts, region, trace_id: r.hex(32), app_version: p.versionAt(done),
  }), { pod: pod.pod, region }, kinds.payments));
  const status = !approved ? 402 : r.chance(0.003) ? 504 : 201;
  rows.push(access(p, done + 2, 'POST', '/v1/payments', status, status === 504 ? 15_000 + r.int(0, 30) : done + 2 - ts, a.client, a.ua, kinds.gateway));
  followUps(p, rows, done, id, a.m, approved, kinds);
}

/** A payment's webhook and (approved) its ledger posting. */
function followUps(p: P, rows: Row[], ts: number, id: string, m: Merchant, approved: boolean, kinds: Labels): void {
  const { r } = p;
  if (r.chance(0.75)) rows.push(webhook(p, ts + r.int(300, 4000), m, approved ? 'payment_intent.succeeded' : 'payment_intent.payment_failed', kinds.webhook));
  if (approved) rows.push(posted(p, ts + r.int(200, 2500), id, kinds.posted));
}

export const retransmit = (p: P, ts: number, net: string, kind?: string): Row =>
  p.row(ts, STREAMS.network, p.zerolog(ts, 'WRN', 'no response yet, retransmitting', { mti: '0100', net, stan: String(p.r.int(0, 999_999)).padStart(6, '0'), attempt: 2 }), undefined, kind);

/** A webhook delivered to a merchant's endpoint (pay-backoffice.ts's pino line). */
export function webhook(p: P, ts: number, m: Merchant, type: string, kind?: string): Row {
  const { r } = p;
  return p.row(ts, STREAMS.webhooks, p.pino(ts, 30, webhookHost(p), 'webhook delivered', { event_id: `evt_${r.hex(24)}`, type, account: m.id, endpoint: m.hook, status: r.pick([200, 200, 200, 204, 202]), attempt: 1, duration_ms: Math.round(p.around(180, 0.5)) }), undefined, kind);
}
export const webhookHost = (p: P): string => `webhooks-7c9d4f-${['k2x9p', 'm8q4z', 'w3n7t'][p.r.int(0, 2)]}`;

/** The ledger writer's posting of an approved payment. */
export function posted(p: P, ts: number, id: string, kind?: string): Row {
  const { r } = p;
  const part = r.int(0, 11);
  return p.row(ts, STREAMS.consumer, p.log4j(ts, 'INFO', `ledger-writer-${part % 4}`, 'c.a.ledger.PostingConsumer', `Posted ${r.pick([2, 2, 2, 3])} entries for payment ${id} (partition=${part}, offset=${Math.floor((ts - p.t0) / 900) + part * 7_000_000 + 41_000_000}, lag=${r.int(0, 12)})`), undefined, kind);
}

/** A request on another route (labelled `kind` if any): refunds also write their payments line. */
export function request(p: P, rows: Row[], ts: number, route: Route, status: number = p.r.pick(route.statuses), ms = p.around(route.ms, 0.35), kind?: string): void {
  const { r } = p;
  const path = route.route.replace('{id}', `pay_${r.hex(24)}`);
  if (route.route === '/v1/refunds' && status === 201 && kind === undefined) {
    const m = p.merchant();
    const pod = p.podAt(ts);
    rows.push(p.row(ts + Math.round(ms) - 3, STREAMS.payments, p.spring(ts + Math.round(ms) - 3, 'INFO', 'com.acme.payments.refunds.RefundService', podThread(p), 'Refund created', {
      refund_id: `re_${r.hex(24)}`, payment_id: `pay_${r.hex(24)}`, merchant_id: m.id, amount: money(p.around(m.median * 0.7, 0.5)), currency: p.currencyOf(m, ts), reason: r.pick(['requested_by_customer', 'duplicate', 'fraudulent']), trace_id: r.hex(32), app_version: p.versionAt(ts),
    }), pod));
    if (r.chance(0.75)) rows.push(webhook(p, ts + r.int(500, 3000), m, 'charge.refunded'));
  }
  rows.push(access(p, ts + Math.round(ms), route.method, path, status, ms, undefined, undefined, kind));
}

function api(p: P, rows: Row[]): void {
  const { r } = p;
  for (const ts of p.arrivals(0.3)) payment(p, rows, ts);
  for (const ts of p.arrivals(0.32)) {
    let v = r.next();
    request(p, rows, ts, ROUTES.find((x) => (v -= x.share) < 0) ?? ROUTES[0]);
  }
  for (const s of SCHEMES) {
    for (let ts = p.t0 + r.int(0, 59_999); ts < p.end; ts += 60_000 + r.int(-30, 30)) {
      rows.push(p.row(ts, STREAMS.network, p.zerolog(ts, 'INF', 'network echo', { mti: '0810', net: s.name, stan: String(r.int(0, 999_999)).padStart(6, '0'), rc: '00', rtt: `${Math.round(p.around(s.rtt * 0.4, 0.2))}ms` })));
    }
  }
  for (let ts = p.t0 + r.int(0, 3_599_999); ts < p.end; ts += 3_600_000) {
    rows.push(p.row(ts, STREAMS.fraud, p.python(ts, 'INFO', 'fraud.models', `model registry: ${MODEL} is current (checked ${r.int(2, 6)} candidates in ${r.int(40, 400)}ms)`)));
  }
}

/** The platform's seven streams over `minutes` of event time (4-6 hours by seed), with labelled incidents. */
export function generatePay(seed: number, minutes = 240 + ((seed * 41) % 121)): GeneratedSet {
  const p = world(seed, minutes);
  const rows: Row[] = [];
  api(p, rows);
  backoffice(p, rows);
  injectPayIncidents(p, rows);
  return labelledSet(rows.filter((x) => x.ts >= p.t0 && x.ts < p.end));
}

export const payGenerator: Generator = {
  describe: 'a payments platform: an Envoy gateway, a Spring Boot payments service (JSON), a Python fraud scorer, a Go ISO 8583 card-network adapter, PostgreSQL ledger, a Kafka ledger writer and a Node.js webhook dispatcher over 4-6 hours, a deploy, a currency enabled by config reload, the 04:00 settlement; incidents: new_error, rare_error, rare_burst, unusual_value, unseen_category, retry_storm, silence, card_testing',
  generate: (seed) => generatePay(seed),
};
