// Generator `k8s`: a small shop on Kubernetes, in a deliberately different style from `logs`
// (issue 11: is the detector fitted to our own generator's style?).
//
//   seed ─► seeded() ─► 60 minutes of event time, a diurnal rate (one sine period over the run,
//   │       0.35×–1.65× the mean) and bursty arrivals (an ingress "page view" is 1-8 requests
//   │       within 300 ms); five streams with very different rates and formats:
//   │         ingress-nginx/controller-0|1  nginx access lines (ingress-nginx's format: status,
//   │                                       bytes, request_time, upstream), ~7/s each, plus a
//   │                                       kube-probe /healthz every 10 s per pod
//   │         shop/checkout                 JSON bodies (ts, trace_id, order ids, amounts,
//   │                                       currency, duration_ms), ~4/s; metadata {pod, node}
//   │         shop/payments                 logfmt, ~1.5/s; metadata {pod, region, status_code,
//   │                                       latency_ms} (the status and latency only in metadata)
//   │         shop/inventory                logfmt, ~0.4/s; metadata {pod, warehouse}
//   │         platform/scheduler            klog lines, one per ~30 s
//   │       benign novelty on normal lines: fresh ids, users, amounts, IPs, paths with ids, JSON
//   │       timestamps, and one rollout per run that renames the checkout and payments pods
//   │       (fresh pod names in metadata); a few rare benign lines (klog reloads, HPA scaling)
//   └─► incidents after a 5-minute warm-up (k8s-incidents.ts), each labelled with its kind:
//         new_error, rare_error, unusual_value, unseen_category, retry_storm (as in `logs`), and
//         meta_unusual_value / meta_unseen_category: the value only in `metadata`
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedEvent, GeneratedSet, Generator } from './index.js';
import { injectK8sIncidents } from './k8s-incidents.js';
import { labelledSet } from './labelled.js';
import { gauss, seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

export const K8S_KINDS = ['meta_unseen_category', 'meta_unusual_value', 'new_error', 'rare_error', 'retry_storm', 'unseen_category', 'unusual_value'] as const;

export const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1'];
export const NEW_REGIONS = ['ap-northeast-1', 'sa-east-1', 'me-south-1', 'af-south-1'];
export const CURRENCIES = ['EUR', 'USD', 'GBP', 'CAD'];
export const NEW_CURRENCIES = ['JPY', 'BRL', 'TRY', 'ZAR', 'KRW'];
export const WAREHOUSES = ['ams-1', 'fra-2', 'iad-1'];
export const NEW_WAREHOUSES = ['sin-1', 'gru-1', 'syd-2'];
const PSPS = ['adyen', 'stripe', 'braintree'];
const UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'shop-android/4.12.0 okhttp/4.12.0',
  'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An ingress route: its path (ids drawn afresh), upstream, usual statuses and median seconds. */
export interface Route { method: string; path: (r: Random) => string; upstream: string; statuses: string[]; median: number }
export const ROUTES: Route[] = [
  { method: 'GET', path: (r) => `/api/v2/products/${r.int(10000, 99999)}`, upstream: 'shop-catalog-8080', statuses: ['200', '200', '200', '200', '404'], median: 0.018 },
  { method: 'GET', path: (r) => `/api/v2/search?q=${r.pick(['shoes', 'lamp', 'desk', 'jacket', 'mug', 'cable'])}&page=${r.int(1, 5)}`, upstream: 'shop-search-8080', statuses: ['200'], median: 0.085 },
  { method: 'POST', path: () => '/api/v2/cart/items', upstream: 'shop-checkout-8080', statuses: ['201', '201', '200'], median: 0.032 },
  { method: 'POST', path: () => '/api/v2/checkout', upstream: 'shop-checkout-8080', statuses: ['200', '200', '200', '409'], median: 0.240 },
  { method: 'POST', path: () => '/login', upstream: 'shop-auth-8080', statuses: ['302', '302', '302', '401'], median: 0.060 },
  { method: 'GET', path: (r) => `/static/js/app.${r.pick(['3f9a1c', 'b71e02'])}.js`, upstream: 'shop-web-80', statuses: ['200', '304', '304'], median: 0.002 },
];

export { gauss };

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** nginx $time_local: 05/Dec/2026:13:00:00 +0000. */
const clf = (ts: number): string => { const d = new Date(ts); return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`; };
/** klog header: I1205 13:00:00.123456. */
export const klog = (sev: string, ts: number): string => { const d = new Date(ts); return `${sev}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}${pad(Math.floor((ts * 7) % 1000), 3)}`; };

/** The line makers every part of the generator shares (one seeded source, so the order of calls is the seed's). */
export interface Shop {
  r: Random;
  t0: number;
  end: number;
  seed: number;
  rolloutAt: number;
  user: () => string;
  ip: () => string;
  access: (ts: number, route: Route, status: string, seconds: number) => string;
  seconds: (route: Route) => number;
  json: (ts: number, level: string, logger: string, msg: string, fields: Record<string, string | number>) => string;
  logfmt: (ts: number, level: string, msg: string, fields: Record<string, string | number>) => string;
  pod: (service: string, ts: number) => string;
  payMeta: (ts: number, region: string, status: number, latencyMs: number) => Record<string, string | number>;
  payLatency: () => number;
  row: (ts: number, stream: string, data: string, metadata?: Record<string, string | number>, kind?: string) => Row;
}

function shop(seed: number, minutes: number): Shop {
  const r = seeded(seed * 7919 + 11);
  const t0 = Date.UTC(2026, 2, 9, 0, 0, 0) + (seed % 500) * 86_400_000 + r.int(0, 23) * 3_600_000;
  const end = t0 + minutes * 60_000;
  const rolloutAt = t0 + Math.round((0.3 + 0.4 * r.next()) * (end - t0));
  const hashes = new Map<string, [string, string]>();
  const podsOf = (service: string): [string, string] => {
    let h = hashes.get(service);
    if (h === undefined) { h = [r.hex(10), r.hex(10)]; hashes.set(service, h); }
    return h;
  };
  const suffix = (s: string, k: number): string => s.slice(0, 5).replace(/[0-9]/g, (c) => 'bcdfghjklm'[Number(c)]) + k;
  const s: Shop = {
    r, t0, end, seed, rolloutAt,
    user: () => `u_${r.int(100000, 999999)}`,
    ip: () => r.chance(0.7) ? `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}` : `10.${r.int(0, 3)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    seconds: (route) => Math.max(0.001, route.median * Math.exp(0.45 * gauss(r))),
    access: (ts, route, status, secs) => {
      const up = Math.max(0.001, secs - 0.001 * r.int(0, 2));
      return `${s.ip()} - - [${clf(ts)}] "${route.method} ${route.path(r)} HTTP/${r.pick(['1.1', '2.0'])}" ${status} ${status === '304' ? 0 : r.int(120, 48000)} "${r.pick(['-', 'https://shop.example.com/', 'https://shop.example.com/cart'])}" "${r.pick(UAS)}" ${r.int(180, 900)} ${secs.toFixed(3)} [shop-${route.upstream}] [] 10.42.${r.int(0, 9)}.${r.int(2, 250)}:8080 ${r.int(100, 48000)} ${up.toFixed(3)} ${status} ${r.hex(32)}`;
    },
    json: (ts, level, logger, msg, fields) => JSON.stringify({ level, ts: new Date(ts).toISOString(), logger, msg, ...fields, trace_id: r.hex(32) }),
    logfmt: (ts, level, msg, fields) => `ts=${new Date(ts).toISOString()} level=${level} msg="${msg}" ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' && v.includes(' ') ? JSON.stringify(v) : v}`).join(' ')}`,
    pod: (service, ts) => { const [a, b] = podsOf(service); const h = service === 'inventory' || ts < rolloutAt ? a : b; return `${service}-${h.slice(0, 9)}-${suffix(h.slice(3), r.int(0, 2))}`; },
    payLatency: () => Math.round(140 * Math.exp(0.4 * gauss(r))),
    payMeta: (ts, region, status, latencyMs) => ({ pod: s.pod('payments', ts), region, status_code: status, latency_ms: latencyMs }),
    row: (ts, stream, data, metadata, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      if (metadata !== undefined) ev.metadata = metadata;
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
  return s;
}

/** Arrival times of a Poisson process with the run's diurnal rate (thinning). */
function arrivals(s: Shop, perSecond: number, phase: number): number[] {
  const out: number[] = [];
  const max = perSecond * 1.65;
  for (let t = s.t0 + s.r.exp(1000 / max); t < s.end; t += s.r.exp(1000 / max)) {
    const f = 1 + 0.65 * Math.sin(2 * Math.PI * ((t - s.t0) / (s.end - s.t0)) + phase);
    if (s.r.next() * 1.65 < f) out.push(Math.round(t));
  }
  return out;
}

function ingress(s: Shop, rows: Row[]): void {
  const { r } = s;
  for (const t of arrivals(s, 14 / 4.5, 0)) {
    const pod = `ingress-nginx/controller-${r.int(0, 1)}`;
    const n = r.int(1, 8);
    for (let j = 0; j < n; j++) {
      const ts = t + r.int(0, 300);
      const route = j === 0 ? r.pick(ROUTES.slice(0, 5)) : r.pick(ROUTES);
      rows.push(s.row(ts, pod, s.access(ts, route, r.pick(route.statuses), s.seconds(route))));
    }
  }
  for (let k = 0; k < 2; k++) {
    for (let ts = s.t0 + r.int(0, 9999); ts < s.end; ts += 10_000 + r.int(-40, 40)) {
      rows.push(s.row(ts, `ingress-nginx/controller-${k}`, `10.42.0.1 - - [${clf(ts)}] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.29" 112 0.000 [-] [] - - - - ${r.hex(32)}`));
    }
  }
}

function checkout(s: Shop, rows: Row[]): void {
  const { r } = s;
  for (const ts of arrivals(s, 4, 0.3)) {
    const meta = { pod: s.pod('checkout', ts), node: `ip-10-0-${r.int(1, 3)}-${r.pick([17, 48, 112, 201])}.ec2.internal` };
    const k = r.next();
    let line: string;
    if (k < 0.35) line = s.json(ts, 'info', 'checkout.orders', 'order placed', { order_id: `ord_${r.hex(14)}`, user_id: s.user(), amount: Number((5 + r.next() * 400).toFixed(2)), currency: r.pick(CURRENCIES), items: r.int(1, 9) });
    else if (k < 0.7) line = s.json(ts, 'debug', 'checkout.cart', 'cart loaded', { cart_id: `cart_${r.hex(12)}`, user_id: s.user(), items: r.int(0, 14) });
    else if (k < 0.985) line = s.json(ts, 'info', 'checkout.inventory', 'inventory reserved', { sku: `SKU-${r.int(1000, 9999)}`, qty: r.int(1, 4), duration_ms: Math.round(35 * Math.exp(0.4 * gauss(r))) });
    else line = retryJson(s, ts);
    rows.push(s.row(ts, 'shop/checkout', line, meta));
  }
}

export const retryJson = (s: Shop, ts: number): string => s.json(ts, 'warn', 'checkout.inventory', 'retrying inventory reservation', { sku: `SKU-${s.r.int(1000, 9999)}`, attempt: s.r.int(2, 3), backoff_ms: s.r.pick([100, 200, 400]) });
export const chargeLine = (s: Shop, ts: number, currency: string): string =>
  s.logfmt(ts, 'info', 'charge authorized', { txn: `txn_${s.r.hex(16)}`, amount: (3 + s.r.next() * 600).toFixed(2), currency, psp: s.r.pick(PSPS), card: s.r.pick(['visa', 'mastercard', 'amex']) });

function payments(s: Shop, rows: Row[]): void {
  const { r } = s;
  for (const ts of arrivals(s, 1.5, 0.5)) {
    const region = r.pick(REGIONS);
    const k = r.next();
    if (k < 0.8) rows.push(s.row(ts, 'shop/payments', chargeLine(s, ts, r.pick(CURRENCIES)), s.payMeta(ts, region, 200, s.payLatency())));
    else if (k < 0.92) rows.push(s.row(ts, 'shop/payments', s.logfmt(ts, 'info', 'charge declined', { txn: `txn_${r.hex(16)}`, reason: r.pick(['insufficient_funds', 'do_not_honor', 'expired_card']), psp: r.pick(PSPS) }), s.payMeta(ts, region, 402, s.payLatency())));
    else rows.push(s.row(ts, 'shop/payments', s.logfmt(ts, 'info', 'refund created', { refund: `re_${r.hex(14)}`, amount: (r.next() * 90).toFixed(2), currency: r.pick(CURRENCIES) }), s.payMeta(ts, region, 201, s.payLatency())));
  }
}

/** The warehouse is only in the metadata. */
export const stockLine = (s: Shop, ts: number): string =>
  s.logfmt(ts, 'info', 'stock level updated', { sku: `SKU-${s.r.int(1000, 9999)}`, delta: s.r.int(-5, 40), on_hand: s.r.int(0, 900) });

function slowStreams(s: Shop, rows: Row[]): void {
  const { r } = s;
  for (const ts of arrivals(s, 0.4, 1.1)) {
    const wh = r.pick(WAREHOUSES);
    rows.push(s.row(ts, 'shop/inventory', stockLine(s, ts), { pod: s.pod('inventory', ts), warehouse: wh }));
  }
  for (let ts = s.t0 + r.int(0, 30_000); ts < s.end; ts += r.int(20_000, 40_000)) {
    const cj = r.pick(['reindex', 'sitemap', 'abandoned-carts', 'exchange-rates']);
    const line = r.chance(0.5)
      ? `${klog('I', ts)}       1 job_controller.go:${r.pick([563, 1041])}] "Job created" cronjob="shop/${cj}" job="shop/${cj}-${r.int(29000000, 29999999)}"`
      : `${klog('I', ts)}       1 job_controller.go:1228] "Job completed" job="shop/${cj}-${r.int(29000000, 29999999)}" duration="${r.int(2, 95)}s"`;
    rows.push(s.row(ts, 'platform/scheduler', line));
  }
  // Rare benign lines (not labelled): ingress reloads, autoscaling.
  for (let k = 0; k < 5; k++) {
    const ts = s.t0 + Math.floor(r.next() * (s.end - s.t0));
    if (k % 2 === 0) rows.push(s.row(ts, `ingress-nginx/controller-${r.int(0, 1)}`, `${klog('I', ts)}       7 controller.go:${r.pick([190, 214])}] "Configuration changes detected, backend reload required"`));
    else rows.push(s.row(ts, 'platform/scheduler', `${klog('I', ts)}       1 horizontal.go:${r.int(800, 899)}] "Successful rescale" HPA="shop/checkout" currentReplicas=${r.int(2, 4)} desiredReplicas=${r.int(3, 6)} reason="cpu resource utilization (percentage of request) above target"`));
  }
}

/** A shop's streams over `minutes` of event time, with labelled incidents. */
export function generateK8s(seed: number, minutes = 60): GeneratedSet {
  const s = shop(seed, minutes);
  const rows: Row[] = [];
  ingress(s, rows);
  checkout(s, rows);
  payments(s, rows);
  slowStreams(s, rows);
  injectK8sIncidents(s, rows);
  return labelledSet(rows);
}

export const k8sGenerator: Generator = {
  describe: 'a shop on Kubernetes: nginx access lines (two ingress pods), JSON, logfmt and klog services at very different rates, a diurnal and bursty rate, status/region/latency in metadata, a pod rollout; incidents: new_error, rare_error, unusual_value, unseen_category, retry_storm, meta_unusual_value, meta_unseen_category',
  generate: (seed) => generateK8s(seed),
};
