// The `k8s` generator's labelled incidents (see k8s.ts), all after a 5-minute warm-up:
//   new_error            3 never-seen error templates, each 1-3 lines, in any stream's own format
//                        (JSON panic, logfmt, nginx error log, klog)
//   rare_error           one error template (payments on even seeds, inventory on odd ones)
//                        recurring sporadically all run long: one long burst (90-130 lines over
//                        about a minute), then 7 lone recurrences
//   unusual_value        a known line with an unusual value in its text: an ingress line with a
//                        5xx on a route that never shows one, 30× the route's request_time, or a
//                        checkout JSON duration_ms 30× its usual
//   unseen_category      a currency never seen, in a checkout JSON body or a payments logfmt line
//   meta_unusual_value   a payments line whose metadata status_code is 5xx or latency_ms 30×
//   meta_unseen_category a region (payments) or warehouse (inventory) never seen, in metadata
//   retry_storm          the usually infrequent checkout retry line 40-90 times within 2-5 s
import { chargeLine, CURRENCIES, klog, NEW_CURRENCIES, NEW_REGIONS, NEW_WAREHOUSES, REGIONS, retryJson, WAREHOUSES, ROUTES, type Row, type Shop, stockLine } from './k8s.js';

const NEW_ERRORS: ((s: Shop, ts: number) => [string, string, Record<string, string | number>?])[] = [
  (s, ts) => ['shop/checkout', s.json(ts, 'error', 'checkout.orders', 'panic recovered: runtime error: invalid memory address or nil pointer dereference', { goroutine: s.r.int(100, 9999), handler: 'PlaceOrder' }), { pod: s.pod('checkout', ts), node: 'ip-10-0-2-48.ec2.internal' }],
  (s, ts) => ['shop/payments', s.logfmt(ts, 'error', 'ledger write rejected', { err: `pq: duplicate key value violates unique constraint "ledger_entries_pkey"`, entry: s.r.hex(12) }), s.payMeta(ts, s.r.pick(REGIONS), 500, s.payLatency())],
  (s, ts) => [`ingress-nginx/controller-${s.r.int(0, 1)}`, `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ').replace(/-/g, '/')} [error] 31#31: *${s.r.int(100000, 999999)} upstream prematurely closed connection while reading response header from upstream, client: ${s.ip()}, server: shop.example.com, request: "POST /api/v2/checkout HTTP/1.1", upstream: "http://10.42.1.${s.r.int(2, 250)}:8080/api/v2/checkout"`],
  (s, ts) => ['platform/scheduler', `${klog('E', ts)}       1 job_controller.go:1604] "Job failed" err="BackoffLimitExceeded" job="shop/exchange-rates-${s.r.int(29000000, 29999999)}"`],
  (s, ts) => ['shop/inventory', s.logfmt(ts, 'error', 'redis: connection pool exhausted', { pool_size: 64, waiters: s.r.int(65, 300) }), { pod: s.pod('inventory', ts), warehouse: 'ams-1' }],
  (s, ts) => ['shop/checkout', s.json(ts, 'error', 'checkout.tax', 'tax provider returned an invalid certificate: x509: certificate has expired or is not yet valid', { provider: 'taxjar' }), { pod: s.pod('checkout', ts), node: 'ip-10-0-1-17.ec2.internal' }],
  (s, ts) => ['shop/payments', s.logfmt(ts, 'fatal', 'config: missing required secret PSP_WEBHOOK_KEY; exiting', {}), s.payMeta(ts, s.r.pick(REGIONS), 500, 0)],
  (s, ts) => ['platform/scheduler', `${klog('W', ts)}       1 eviction_manager.go:${s.r.int(340, 380)}] "Eviction manager: pods evicted" pod="shop/checkout-${s.r.hex(9)}" reason="MemoryPressure"`],
];

function rareError(s: Shop, rows: Row[], at: () => number): void {
  const { r } = s;
  const inPayments = s.seed % 2 === 0;
  const one = (ts: number): Row => inPayments
    ? s.row(ts, 'shop/payments', s.logfmt(ts, 'error', 'psp request failed', { psp: r.pick(['adyen', 'stripe']), err: 'context deadline exceeded', after: '30s', txn: `txn_${r.hex(16)}` }), s.payMeta(ts, r.pick(REGIONS), 504, r.int(30000, 30100)), 'rare_error')
    : ((wh: string) => s.row(ts, 'shop/inventory', s.logfmt(ts, 'error', 'warehouse sync failed', { warehouse: wh, err: 'read tcp: connection reset by peer', retry_in: '60s' }), { pod: s.pod('inventory', ts), warehouse: wh }, 'rare_error'))(r.pick(WAREHOUSES));
  const burstAt = s.t0 + 420_000 + Math.floor(r.next() * 600_000);
  const n = r.int(90, 130);
  let ts = burstAt;
  for (let j = 0; j < n; j++) { rows.push(one(ts)); ts += r.int(100, 1000); }
  for (let k = 0; k < 7; k++) rows.push(one(at()));
}

/** Every kind, at random times after the warm-up (none in the last 30 s). */
export function injectK8sIncidents(s: Shop, rows: Row[]): void {
  const { r } = s;
  const at = (): number => s.t0 + 300_000 + Math.floor(r.next() * (s.end - s.t0 - 330_000));
  for (let k = 0; k < 3; k++) {
    const ts = at();
    const make = NEW_ERRORS[(s.seed * 3 + k) % NEW_ERRORS.length];
    const n = r.int(1, 3);
    for (let j = 0; j < n; j++) { const [stream, line, meta] = make(s, ts + j * 200); rows.push(s.row(ts + j * 200, stream, line, meta, 'new_error')); }
  }
  rareError(s, rows, at);
  for (let k = 0; k < 4; k++) {
    const ts = at();
    const route = ROUTES[r.int(0, ROUTES.length - 1)];
    const pod = `ingress-nginx/controller-${r.int(0, 1)}`;
    const kind = (s.seed + k) % 4;
    if (kind === 0 || kind === 3) rows.push(s.row(ts, pod, s.access(ts, route, r.pick(['500', '502', '503', '504']), s.seconds(route)), undefined, 'unusual_value'));
    else if (kind === 1) rows.push(s.row(ts, pod, s.access(ts, route, r.pick(route.statuses), s.seconds(route) * 30), undefined, 'unusual_value'));
    else rows.push(s.row(ts, 'shop/checkout', s.json(ts, 'info', 'checkout.inventory', 'inventory reserved', { sku: `SKU-${r.int(1000, 9999)}`, qty: r.int(1, 4), duration_ms: Math.round(35 * 30 * Math.exp(0.2 * r.next())) }), { pod: s.pod('checkout', ts), node: 'ip-10-0-3-112.ec2.internal' }, 'unusual_value'));
  }
  for (let k = 0; k < 3; k++) {
    const ts = at();
    if ((s.seed + k) % 2 === 0) rows.push(s.row(ts, 'shop/checkout', s.json(ts, 'info', 'checkout.orders', 'order placed', { order_id: `ord_${r.hex(14)}`, user_id: s.user(), amount: Number((5 + r.next() * 400).toFixed(2)), currency: r.pick(NEW_CURRENCIES), items: r.int(1, 9) }), { pod: s.pod('checkout', ts), node: 'ip-10-0-1-17.ec2.internal' }, 'unseen_category'));
    else rows.push(s.row(ts, 'shop/payments', chargeLine(s, ts, r.pick(NEW_CURRENCIES)), s.payMeta(ts, r.pick(REGIONS), 200, s.payLatency()), 'unseen_category'));
  }
  for (let k = 0; k < 3; k++) {
    const ts = at();
    if ((s.seed + k) % 2 === 0) rows.push(s.row(ts, 'shop/payments', chargeLine(s, ts, r.pick(CURRENCIES)), s.payMeta(ts, r.pick(REGIONS), r.pick([500, 502, 503]), s.payLatency()), 'meta_unusual_value'));
    else rows.push(s.row(ts, 'shop/payments', chargeLine(s, ts, r.pick(CURRENCIES)), s.payMeta(ts, r.pick(REGIONS), 200, s.payLatency() * 30), 'meta_unusual_value'));
  }
  for (let k = 0; k < 3; k++) {
    const ts = at();
    if ((s.seed + k) % 2 === 0) rows.push(s.row(ts, 'shop/payments', chargeLine(s, ts, r.pick(CURRENCIES)), s.payMeta(ts, r.pick(NEW_REGIONS), 200, s.payLatency()), 'meta_unseen_category'));
    else rows.push(s.row(ts, 'shop/inventory', stockLine(s, ts), { pod: s.pod('inventory', ts), warehouse: r.pick(NEW_WAREHOUSES) }, 'meta_unseen_category'));
  }
  for (let k = 0; k < 2; k++) {
    const ts = at();
    const n = r.int(40, 90);
    const span = r.int(2000, 5000);
    for (let j = 0; j < n; j++) { const t = ts + Math.round((j * span) / n); rows.push(s.row(t, 'shop/checkout', retryJson(s, t), { pod: s.pod('checkout', t), node: `ip-10-0-${r.int(1, 3)}-48.ec2.internal` }, 'retry_storm')); }
  }
}
