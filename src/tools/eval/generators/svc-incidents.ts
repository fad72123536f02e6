// The `svc` generator's labelled incidents (see svc.ts), all after a 6-minute warm-up and none in
// the last 30 s:
//   new_error        3 never-seen error templates, each in its stream's own format: a Java
//                    exception with its stack trace (every line labelled), a PostgreSQL PANIC or
//                    constraint violation, an OOM kill in syslog, a Redis fork failure, an HAProxy
//                    server going DOWN
//   rare_error       one error template (Java on even seeds, PostgreSQL on odd ones) recurring
//                    all run long: 3 lone lines anywhere, one long burst (100-150 over 1-2.5
//                    minutes) in the first half, then 6 lone lines after the burst
//   unusual_value    5 known lines with an unusual value for their context: a 5xx on a mesh route
//                    that never fails (while three other routes fail normally, with the same
//                    flags), 30× the latency of a fast route (two routes are normally slower than
//                    that), 30× a fast SQL statement's duration (the hourly report is slower),
//                    30× an admin page's HAProxy Tr (the reports backend is normally that slow)
//   unseen_category  3 values never seen in a low-cardinality slot: a currency, a tenant plan
//                    (orders service) or an ssh login user (bastion)
//   retry_storm      2 bursts of a normal but infrequent line: the Java inventory retry warning
//                    (40-90 in 2-6 s) or PostgreSQL's serialization failure with its STATEMENT line
//                    (25-45 pairs in 3-8 s)
import { CURRENCIES, NEW_CURRENCIES, NEW_PLANS, NEW_SSH_USERS, orderLine, orderMeta, PLANS, retryLine, serializationLines, sshLogin, stackTrace, STATEMENTS, statementLines, type Svc } from './svc.js';
import { FAIL_500, FAIL_503, FAIL_504, QUIET_ROUTES, type Row } from './svc-lines.js';

type Maker = (s: Svc, ts: number) => Row[];

const NEW_ERRORS: Maker[] = [
  (s, ts) => stackTrace(s, ts, 'shop/orders', s.java(ts, s.pod(ts).pid, 'ERROR', s.thread(), 'o.a.c.c.C.[.[.[/].[dispatcherServlet]', 'Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing failed: java.lang.NullPointerException: Cannot invoke "com.example.shop.payment.Psp.authorize(com.example.shop.payment.Charge)" because "this.fallbackPsp" is null] with root cause'), [
    'com.example.shop.payment.PaymentClient.charge(PaymentClient.java:131)',
    'com.example.shop.order.OrderService.place(OrderService.java:77)',
    'com.example.shop.order.OrderController.create(OrderController.java:41)',
  ], 'new_error'),
  (s, ts) => stackTrace(s, ts, 'shop/orders', s.java(ts, s.pod(ts).pid, 'ERROR', s.thread(), 'o.h.engine.jdbc.spi.SqlExceptionHelper', 'HikariPool-1 - Connection is not available, request timed out after 30000ms (total=10, active=10, idle=0, waiting=57)'), [
    'com.zaxxer.hikari.pool.HikariPool.createTimeoutException(HikariPool.java:686)',
    'com.zaxxer.hikari.pool.HikariPool.getConnection(HikariPool.java:179)',
    'org.hibernate.engine.jdbc.connections.internal.DatasourceConnectionProviderImpl.getConnection(DatasourceConnectionProviderImpl.java:122)',
  ], 'new_error'),
  (s, ts) => [s.row(ts, 'db/postgres', s.pg(ts, 61, '', `PANIC:  could not write to file "pg_wal/xlogtemp.61": No space left on device`), undefined, 'new_error')],
  (s, ts) => {
    const pid = s.r.int(20_000, 90_000);
    return [
      s.row(ts, 'db/postgres', s.pg(ts, pid, 'orders@shop', 'ERROR:  duplicate key value violates unique constraint "orders_pkey"'), undefined, 'new_error'),
      s.row(ts, 'db/postgres', s.pg(ts, pid, 'orders@shop', `DETAIL:  Key (id)=(${s.order()}) already exists.`), undefined, 'new_error'),
    ];
  },
  (s, ts) => [s.row(ts, 'host/bastion', s.syslog(ts, 3, 'kernel', '-', `Out of memory: Killed process ${s.r.int(2000, 60_000)} (java) total-vm:${s.r.int(8_000_000, 9_000_000)}kB, anon-rss:${s.r.int(3_900_000, 4_100_000)}kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:${s.r.int(8000, 9000)}kB oom_score_adj:1000`), undefined, 'new_error')],
  (s, ts) => [s.row(ts, 'cache/redis', s.redis(ts, 1, 'M', '#', "Can't save in background: fork: Cannot allocate memory"), undefined, 'new_error')],
  (s, ts) => [s.row(ts, 'edge/haproxy', `haproxy[2113]: Server be_admin/admin-${s.r.int(1, 3)} is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.`, undefined, 'new_error')],
];

function rareError(s: Svc, rows: Row[], at: () => number): void {
  const { r } = s;
  const one = (ts: number): Row[] => {
    if (s.seed % 2 === 0) {
      return [s.row(ts, 'shop/orders', s.java(ts, s.pod(ts).pid, 'ERROR', s.thread(), 'c.e.shop.payment.PaymentClient', `Payment gateway call failed for order ${s.order()} psp=${r.pick(['adyen', 'stripe'])}: java.net.SocketTimeoutException: Read timed out`), orderMeta(s, ts), 'rare_error')];
    }
    const pid = r.int(20_000, 90_000);
    return [
      s.row(ts, 'db/postgres', s.pg(ts, pid, 'orders@shop', 'ERROR:  canceling statement due to lock timeout'), undefined, 'rare_error'),
      s.row(ts, 'db/postgres', s.pg(ts, pid, 'orders@shop', `STATEMENT:  ${STATEMENTS[2][0]}`), undefined, 'rare_error'),
    ];
  };
  const burstAt = s.t0 + 420_000 + Math.floor(r.next() * (s.end - s.t0) * 0.35);
  const n = r.int(100, 150);
  const gap = r.int(600, 1000);
  let ts = burstAt;
  for (let j = 0; j < n; j++) { rows.push(...one(ts)); ts += r.int(gap - 500, gap + 500); }
  for (let k = 0; k < 3; k++) rows.push(...one(at()));
  const after = ts + 30_000;
  for (let k = 0; k < 6; k++) rows.push(...one(after + Math.floor(r.next() * (s.end - 30_000 - after))));
}

function unusualValue(s: Svc, rows: Row[], ts: number, which: number): void {
  const { r } = s;
  if (which === 0 || which === 3) {
    const route = r.pick(QUIET_ROUTES);
    const fail = r.pick([FAIL_500, FAIL_503, FAIL_504, { ...FAIL_500, status: '502' }]);
    const ms = fail.status === '504' ? r.int(3000, 3004) : fail.status === '503' ? r.int(1, 40) : s.around(route.ms);
    rows.push(s.row(ts, 'mesh/ingress', s.envoy(ts, route, fail.status, ms, fail), undefined, 'unusual_value'));
  } else if (which === 1) {
    const route = r.pick(QUIET_ROUTES);
    rows.push(s.row(ts, 'mesh/ingress', s.envoy(ts, route, route.statuses[0], s.around(route.ms, 0.15) * 30), undefined, 'unusual_value'));
  } else if (which === 2) {
    const w = r.int(0, 3);
    for (const l of statementLines(s, ts, r.int(20_000, 90_000), w, s.around(STATEMENTS[w][1], 0.15) * 30)) rows.push(s.row(ts, 'db/postgres', l, undefined, 'unusual_value'));
  } else {
    rows.push(s.row(ts, 'edge/haproxy', s.haproxy(ts, 'be_admin', `admin-${r.int(1, 3)}`, Math.round(s.around(45, 0.15) * 30), '200', `GET /admin/orders?page=${r.int(1, 40)}`), undefined, 'unusual_value'));
  }
}

function unseenCategory(s: Svc, rows: Row[], ts: number, which: number): void {
  const { r } = s;
  if (which === 0) rows.push(s.row(ts, 'shop/orders', orderLine(s, ts, r.pick(NEW_CURRENCIES), r.pick(PLANS)), orderMeta(s, ts), 'unseen_category'));
  else if (which === 1) rows.push(s.row(ts, 'shop/orders', orderLine(s, ts, r.pick(CURRENCIES), r.pick(NEW_PLANS)), orderMeta(s, ts), 'unseen_category'));
  else sshLogin(s, rows, ts, r.pick(NEW_SSH_USERS), 'unseen_category');
}

function retryStorm(s: Svc, rows: Row[], ts: number, java: boolean): void {
  const { r } = s;
  const n = java ? r.int(40, 90) : r.int(25, 45);
  const span = java ? r.int(2000, 6000) : r.int(3000, 8000);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n);
    if (java) rows.push(s.row(t, 'shop/orders', retryLine(s, t), orderMeta(s, t), 'retry_storm'));
    else for (const l of serializationLines(s, t, r.int(20_000, 90_000))) rows.push(s.row(t, 'db/postgres', l, undefined, 'retry_storm'));
  }
}

/** Every kind, at random times after the warm-up. */
export function injectSvcIncidents(s: Svc, rows: Row[]): void {
  const { r } = s;
  const used: number[] = [];
  // A time after the warm-up, 3 s from every incident placed so far (two lone incidents stay two).
  const at = (): number => {
    let t = 0;
    for (let tries = 0; tries < 100; tries++) {
      t = s.t0 + 360_000 + Math.floor(r.next() * (s.end - s.t0 - 390_000));
      if (used.every((u) => Math.abs(u - t) >= 3000)) break;
    }
    used.push(t);
    return t;
  };
  for (let k = 0; k < 3; k++) {
    const ts = at();
    rows.push(...NEW_ERRORS[(s.seed * 3 + k) % NEW_ERRORS.length](s, ts));
  }
  rareError(s, rows, at);
  for (let k = 0; k < 5; k++) unusualValue(s, rows, at(), (s.seed + k) % 5);
  for (let k = 0; k < 3; k++) unseenCategory(s, rows, at(), (s.seed + k) % 3);
  for (let k = 0; k < 2; k++) retryStorm(s, rows, at(), (s.seed + k) % 2 === 0);
}
