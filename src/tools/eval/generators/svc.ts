// Generator `svc`: a JVM shop behind a service mesh, a third style beside `logs` and `k8s`
// (issue 11: does the detector hold up on a style it was never tuned on?).
//
//   seed ─► seeded() ─► 75 minutes of event time from a morning start: traffic ramps from 0.45×
//   │       to 1.5× the mean (half a cosine), with one 3-minute benign surge (a marketing push,
//   │       2× on every route) and bursty arrivals (a client session is 1-12 requests, ~0.7 s
//   │       apart); six streams in six formats at very different rates:
//   │         mesh/ingress    Istio/Envoy access log, ~8/s: eight routes, three of them fail
//   │                         normally (recommender 503 UF,URX; search 504 UT; reviews 500), two
//   │                         are normally slow (recommender ~420 ms, search ~160 ms)
//   │         shop/orders     Spring Boot (orders, payments, inventory loggers), ~3/s; a benign
//   │                         OrderNotFoundException with its stack trace (one event per line)
//   │                         every few minutes; a rollout restarts the pod (new pid, startup
//   │                         banner lines); metadata {pod, zone}
//   │         db/postgres     PostgreSQL: sampled statement durations with their DETAIL lines,
//   │                         connections, checkpoints, autovacuum, an occasional serialization
//   │                         failure, ~1.5/s
//   │         edge/haproxy    HAProxy HTTP log of the legacy admin backends, ~0.8/s
//   │         host/bastion    RFC 5424 syslog: sshd logins of three service users, internet
//   │                         scanners in short bursts, cron every minute, systemd sessions
//   │         cache/redis     Redis RDB save cycles (5 lines every 1-2 minutes)
//   │       benign novelty on normal lines: fresh order and customer ids, amounts, uuids, IPs,
//   │       ports, pids, SKUs, thread names, scanner user names
//   └─► incidents after a 6-minute warm-up (svc-incidents.ts), labelled new_error, rare_error,
//       unusual_value, unseen_category, retry_storm
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { seeded } from './random.js';
import { injectSvcIncidents } from './svc-incidents.js';
import { isoSpace, lines, MESH_ROUTES, type Lines, type Row } from './svc-lines.js';

export const SVC_KINDS = ['new_error', 'rare_error', 'retry_storm', 'unseen_category', 'unusual_value'] as const;
export const CURRENCIES = ['EUR', 'USD', 'GBP', 'SEK', 'PLN'];
export const NEW_CURRENCIES = ['JPY', 'BRL', 'INR', 'MXN', 'ZAR'];
export const PLANS = ['free', 'plus', 'business'];
export const NEW_PLANS = ['enterprise_trial', 'legacy_reseller', 'internal'];
export const SSH_USERS = ['deploy', 'ansible', 'backup'];
export const NEW_SSH_USERS = ['root', 'postgres', 'ubuntu'];
const ZONES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'];
const PSPS = ['adyen', 'stripe', 'klarna'];

/** The run: its clock, rate, streams' shared line makers and the orders service's pods. */
export interface Svc extends Lines {
  t0: number;
  end: number;
  seed: number;
  rolloutAt: number;
  /** The orders pod (pid, name) at a time. */
  pod: (ts: number) => { pid: number; name: string };
  thread: () => string;
  order: () => number;
  customer: () => number;
  /** Arrival times of a Poisson process at the run's rate (thinning), `perSecond` on average. */
  arrivals: (perSecond: number) => number[];
}

function world(seed: number, minutes: number): Svc {
  const r = seeded(seed * 104_729 + 7);
  const t0 = Date.UTC(2026, 0, 5, 6, 30, 0) + (seed % 700) * 86_400_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  const rolloutAt = t0 + Math.round((0.35 + 0.4 * r.next()) * (end - t0));
  const surgeAt = t0 + Math.round((0.15 + 0.7 * r.next()) * (end - t0));
  const pods = [0, 1].map(() => ({ pid: r.int(1, 99), name: `orders-${r.hex(9).replace(/[0-9]/g, (c) => 'bcdfghjklm'[Number(c)])}-${r.hex(5).replace(/[0-9]/g, 'x')}` }));
  const rate = (t: number): number => {
    const x = (t - t0) / (end - t0);
    const surge = t >= surgeAt && t < surgeAt + 180_000 ? 2 : 1;
    return (0.45 + 1.05 * (1 - Math.cos(Math.PI * x)) / 2) * surge;
  };
  const L = lines(r);
  return {
    ...L, t0, end, seed, rolloutAt,
    pod: (ts) => pods[ts < rolloutAt ? 0 : 1],
    thread: () => r.chance(0.85) ? `nio-8080-exec-${r.int(1, 200)}` : r.pick(['ntainer#0-0-C-1', 'ntainer#1-0-C-1', 'scheduling-1']),
    order: () => r.int(1_000_000, 9_999_999),
    customer: () => r.int(10_000, 999_999),
    arrivals: (perSecond) => {
      const out: number[] = [];
      const max = perSecond * 3;
      for (let t = t0 + r.exp(1000 / max); t < end; t += r.exp(1000 / max)) {
        if (r.next() * 3 < rate(t)) out.push(Math.round(t));
      }
      return out;
    },
  };
}

/** Client sessions of 1-12 requests (6.5 on average) ~0.7 s apart; the mean rate is ~8 requests/s. */
function mesh(s: Svc, rows: Row[]): void {
  const { r } = s;
  for (const t of s.arrivals(8 / 6.5)) {
    let ts = t;
    const n = r.int(1, 12);
    for (let j = 0; j < n; j++) {
      ts += Math.round(r.exp(700));
      const route = r.pick(MESH_ROUTES);
      if (route.fail !== undefined && r.chance(route.fail.p)) {
        const ms = route.fail.status === '504' ? r.int(3000, 3004) : route.fail.status === '503' ? r.int(1, 40) : s.around(route.ms);
        rows.push(s.row(ts, 'mesh/ingress', s.envoy(ts, route, route.fail.status, ms, route.fail)));
      } else {
        rows.push(s.row(ts, 'mesh/ingress', s.envoy(ts, route, r.pick(route.statuses), s.around(route.ms))));
      }
    }
  }
  for (let ts = s.t0 + r.int(0, 14_999); ts < s.end; ts += 15_000 + r.int(-30, 30)) {
    rows.push(s.row(ts, 'mesh/ingress', `[${new Date(ts).toISOString()}] "GET /stats/prometheus HTTP/1.1" 200 - via_upstream - "-" 0 ${r.int(48_000, 52_000)} ${r.int(2, 6)} - "-" "Prometheus/2.53.0" "${s.uuid()}" "10.8.0.17:15090" "-" prometheus_stats - 10.8.0.17:15090 10.8.3.41:${r.int(32768, 60999)} - -`));
  }
}

export const orderLine = (s: Svc, ts: number, currency: string, plan: string): string =>
  s.java(ts, s.pod(ts).pid, 'INFO', s.thread(), 'c.e.shop.order.OrderController', `Created order ${s.order()} for customer ${s.customer()} total=${(4 + s.r.next() * 480).toFixed(2)} ${currency} plan=${plan} items=${s.r.int(1, 9)}`);
export const retryLine = (s: Svc, ts: number): string =>
  s.java(ts, s.pod(ts).pid, 'WARN', s.thread(), 'c.e.shop.inventory.InventoryClient', `Retrying reserveStock for order ${s.order()} (attempt ${s.r.int(2, 3)}/3) after ${s.r.pick([100, 200, 400])} ms: Read timed out`);
export const orderMeta = (s: Svc, ts: number): Record<string, string> => ({ pod: s.pod(ts).name, zone: s.r.pick(ZONES) });

/** A stack trace: the header line and its frames, one event each, all at the header's time. */
export function stackTrace(s: Svc, ts: number, stream: string, head: string, frames: string[], kind?: string): Row[] {
  const meta = orderMeta(s, ts);
  return [s.row(ts, stream, head, meta, kind), ...frames.map((f) => s.row(ts, stream, `\tat ${f}`, meta, kind))];
}

function orders(s: Svc, rows: Row[]): void {
  const { r } = s;
  for (const ts of s.arrivals(3)) {
    const k = r.next();
    const pid = s.pod(ts).pid;
    let line: string;
    if (k < 0.3) line = orderLine(s, ts, r.pick(CURRENCIES), r.pick(PLANS));
    else if (k < 0.55) line = s.java(ts, pid, 'INFO', s.thread(), 'c.e.shop.order.OrderService', `Reserved stock for order ${s.order()}: ${r.int(1, 9)} lines in ${Math.round(s.around(35))} ms`);
    else if (k < 0.8) line = s.java(ts, pid, 'INFO', s.thread(), 'c.e.shop.payment.PaymentClient', `Payment authorized for order ${s.order()} psp=${r.pick(PSPS)} auth=${r.hex(6).toUpperCase()} in ${Math.round(s.around(240))} ms`);
    else if (k < 0.95) line = s.java(ts, pid, 'INFO', s.thread(), 'c.e.shop.cart.CartEventListener', `Cart ${s.uuid()} converted to order ${s.order()}`);
    else if (k < 0.992) line = s.java(ts, pid, 'WARN', s.thread(), 'c.e.shop.payment.PaymentClient', `Payment declined for order ${s.order()}: ${r.pick(['card_declined', 'insufficient_funds', 'expired_card', 'do_not_honor'])}`);
    else line = retryLine(s, ts);
    rows.push(s.row(ts, 'shop/orders', line, orderMeta(s, ts)));
  }
  for (let ts = s.t0 + r.int(30_000, 200_000); ts < s.end; ts += r.int(90_000, 300_000)) {
    const id = s.order();
    rows.push(...stackTrace(s, ts, 'shop/orders', s.java(ts, s.pod(ts).pid, 'ERROR', s.thread(), 'o.a.c.c.C.[.[.[/].[dispatcherServlet]', `Servlet.service() for servlet [dispatcherServlet] in context with path [] threw exception [Request processing failed: com.example.shop.order.OrderNotFoundException: Order ${id} not found] with root cause`), [
      `com.example.shop.order.OrderService.find(OrderService.java:${r.pick([88, 91])})`,
      'com.example.shop.order.OrderController.get(OrderController.java:54)',
      'java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)',
      'org.springframework.web.method.support.InvocableHandlerMethod.doInvoke(InvocableHandlerMethod.java:255)',
      'org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1014)',
    ]));
  }
  startup(s, rows);
}

function startup(s: Svc, rows: Row[]): void {
  const { r } = s;
  const ts0 = s.rolloutAt;
  const { pid } = s.pod(ts0);
  const msgs: [string, string, string][] = [
    ['INFO', 'c.e.shop.OrdersApplication', `Starting OrdersApplication v3.${r.int(10, 19)}.${r.int(0, 9)} using Java 21.0.5 with PID ${pid} (/app/orders.jar started by app in /app)`],
    ['INFO', 'c.e.shop.OrdersApplication', 'The following 1 profile is active: "prod"'],
    ['INFO', 'o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat initialized with port 8080 (http)'],
    ['INFO', 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Starting...'],
    ['INFO', 'com.zaxxer.hikari.pool.HikariPool', `HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@${r.hex(8)}`],
    ['INFO', 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Start completed.'],
    ['INFO', 'o.s.b.a.e.web.EndpointLinksResolver', 'Exposing 3 endpoints beneath base path \'/actuator\''],
    ['INFO', 'o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat started on port 8080 (http) with context path \'/\''],
    ['INFO', 'c.e.shop.OrdersApplication', `Started OrdersApplication in ${(8 + r.next() * 6).toFixed(3)} seconds (process running for ${(9 + r.next() * 6).toFixed(3)})`],
  ];
  msgs.forEach(([level, logger, msg], k) => {
    const ts = ts0 - 12_000 + k * 1300;
    rows.push(s.row(ts, 'shop/orders', s.java(ts, pid, level, 'main', logger, msg), orderMeta(s, ts)));
  });
}

/** Sampled statements: [statement, median ms, parameter count]; the hourly report is slow. */
export const STATEMENTS: [string, number, number][] = [
  ['SELECT o.id, o.status, o.total FROM orders o WHERE o.id = $1', 0.6, 1],
  ['SELECT * FROM cart_items WHERE cart_id = $1 ORDER BY added_at', 1.1, 1],
  ['UPDATE inventory SET reserved = reserved + $1 WHERE sku = $2', 1.8, 2],
  ['INSERT INTO orders (customer_id, total, currency, plan) VALUES ($1, $2, $3, $4) RETURNING id', 2.4, 4],
  ["SELECT date_trunc('hour', created_at) AS h, count(*), sum(total) FROM orders WHERE created_at > $1 GROUP BY 1 ORDER BY 1", 880, 1],
];
export const statementLines = (s: Svc, ts: number, pid: number, which: number, ms: number): [string, string] => {
  const [sql, , n] = STATEMENTS[which];
  const params = Array.from({ length: n }, (_, i) => `$${i + 1} = '${i === 0 && which === 4 ? isoSpace(ts - 3_600_000).slice(0, 19) : s.r.int(1, 999_999)}'`).join(', ');
  return [s.pg(ts, pid, 'orders@shop', `LOG:  duration: ${ms.toFixed(3)} ms  execute S_${which + 1}: ${sql}`), s.pg(ts, pid, 'orders@shop', `DETAIL:  parameters: ${params}`)];
};
export const serializationLines = (s: Svc, ts: number, pid: number): [string, string] =>
  [s.pg(ts, pid, 'orders@shop', 'ERROR:  could not serialize access due to concurrent update'), s.pg(ts, pid, 'orders@shop', `STATEMENT:  ${STATEMENTS[2][0]}`)];

function postgres(s: Svc, rows: Row[]): void {
  const { r } = s;
  const push = (ts: number, ls: string[]): void => { for (const l of ls) rows.push(s.row(ts, 'db/postgres', l)); };
  for (const ts of s.arrivals(0.5)) {
    const pid = r.int(20_000, 90_000);
    const k = r.next();
    if (k < 0.78) { const w = r.pick([0, 0, 1, 1, 2, 3]); push(ts, statementLines(s, ts, pid, w, s.around(STATEMENTS[w][1], 0.5))); }
    else if (k < 0.8) push(ts, statementLines(s, ts, pid, 4, s.around(STATEMENTS[4][1], 0.3)));
    else if (k < 0.992) {
      const ip = s.podIp(), port = r.int(32768, 60999);
      push(ts, [s.pg(ts, pid, '[unknown]@[unknown]', `LOG:  connection received: host=${ip} port=${port}`), s.pg(ts + 2, pid, 'orders@shop', `LOG:  connection authorized: user=orders database=shop application_name=PostgreSQL JDBC Driver`)]);
      const out = ts + r.int(500, 90_000);
      push(out, [s.pg(out, pid, 'orders@shop', `LOG:  disconnection: session time: 0:0${r.int(0, 1)}:${String(r.int(0, 59)).padStart(2, '0')}.${r.int(100, 999)} user=orders database=shop host=${ip} port=${port}`)]);
    } else push(ts, serializationLines(s, ts, pid));
  }
  for (let ts = s.t0 + r.int(0, 299_000); ts < s.end; ts += 300_000) {
    const took = r.int(200, 280);
    push(ts, [s.pg(ts, 61, '', 'LOG:  checkpoint starting: time')]);
    const done = ts + took * 1000;
    push(done, [s.pg(done, 61, '', `LOG:  checkpoint complete: wrote ${r.int(300, 9000)} buffers (${(r.next() * 8).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${r.int(0, 4)} recycled; write=${took - 1}.${r.int(100, 999)} s, sync=0.0${r.int(10, 99)} s, total=${took}.${r.int(100, 999)} s; sync files=${r.int(20, 60)}, longest=0.00${r.int(1, 9)} s, average=0.001 s; distance=${r.int(4000, 90_000)} kB, estimate=${r.int(40_000, 95_000)} kB; lsn=${r.int(1, 9)}/${r.hex(8).toUpperCase()}, redo lsn=${r.int(1, 9)}/${r.hex(8).toUpperCase()}`)]);
  }
  for (let ts = s.t0 + r.int(0, 200_000); ts < s.end; ts += r.int(150_000, 400_000)) {
    const table = r.pick(['orders', 'cart_items', 'inventory', 'sessions']);
    push(ts, [s.pg(ts, r.int(20_000, 90_000), '', `LOG:  automatic vacuum of table "shop.public.${table}": index scans: ${r.int(0, 1)}, pages: 0 removed, ${r.int(900, 90_000)} remain, ${r.int(0, 400)} scanned (${(r.next() * 5).toFixed(2)}% of total), tuples: ${r.int(0, 9000)} removed, ${r.int(10_000, 900_000)} remain, 0 are dead but not yet removable`)]);
  }
}

function edge(s: Svc, rows: Row[]): void {
  const { r } = s;
  for (const ts of s.arrivals(0.8)) {
    const page = r.next();
    const [backend, path, tr] = page < 0.6 ? ['be_admin', `GET /admin/orders?page=${r.int(1, 40)}`, Math.round(s.around(45))] as const
      : page < 0.9 ? ['be_admin', `POST /admin/orders/${s.order()}/notes`, Math.round(s.around(70))] as const
        : ['be_reports', `GET /reports/daily.csv?day=${new Date(ts - r.int(1, 30) * 86_400_000).toISOString().slice(0, 10)}`, Math.round(s.around(1400, 0.3))] as const;
    rows.push(s.row(ts, 'edge/haproxy', s.haproxy(ts, backend, `${backend.slice(3)}-${r.int(1, 3)}`, tr, path.startsWith('POST') ? '303' : r.pick(['200', '200', '200', '304']), path)));
  }
}

function bastion(s: Svc, rows: Row[]): void {
  const { r } = s;
  for (let ts = s.t0 + r.int(0, 59_999); ts < s.end; ts += 60_000) rows.push(s.row(ts, 'host/bastion', s.syslog(ts, 78, 'CRON', r.int(2000, 60_000), '(backup) CMD (/usr/local/bin/pg-wal-archive.sh >/dev/null 2>&1)')));
  for (const t of s.arrivals(1 / 150)) sshLogin(s, rows, t, r.pick(SSH_USERS));
  for (const t of s.arrivals(1 / 200)) {
    const ip = s.publicIp();
    let ts = t;
    for (let k = r.int(1, 6); k > 0; k--) {
      const user = r.pick(['admin', 'test', 'oracle', 'user', 'guest', 'pi', 'git', 'ftpuser']) + (r.chance(0.3) ? String(r.int(1, 99)) : '');
      const pid = r.int(2000, 60_000), port = r.int(1024, 65535);
      rows.push(s.row(ts, 'host/bastion', s.syslog(ts, 38, 'sshd', pid, `Invalid user ${user} from ${ip} port ${port}`)));
      rows.push(s.row(ts + 200, 'host/bastion', s.syslog(ts + 200, 38, 'sshd', pid, `Connection closed by invalid user ${user} ${ip} port ${port} [preauth]`)));
      ts += r.int(800, 4000);
    }
  }
}

export function sshLogin(s: Svc, rows: Row[], ts: number, user: string, kind?: string): void {
  const { r } = s;
  const pid = r.int(2000, 60_000), ip = `10.0.${r.int(0, 7)}.${r.int(2, 250)}`, port = r.int(32768, 60999), session = r.int(1000, 99_999);
  const uid = 1001 + Math.max(0, SSH_USERS.indexOf(user));
  rows.push(s.row(ts, 'host/bastion', s.syslog(ts, 38, 'sshd', pid, `Accepted publickey for ${user} from ${ip} port ${port} ssh2: ED25519 SHA256:${r.hex(20)}`), undefined, kind));
  if (kind !== undefined) return;
  rows.push(s.row(ts + 20, 'host/bastion', s.syslog(ts + 20, 86, 'sshd', pid, `pam_unix(sshd:session): session opened for user ${user}(uid=${uid}) by (uid=0)`)));
  rows.push(s.row(ts + 40, 'host/bastion', s.syslog(ts + 40, 30, 'systemd', 1, `Started session-${session}.scope - Session ${session} of User ${user}.`)));
  const out = ts + r.int(5_000, 600_000);
  rows.push(s.row(out, 'host/bastion', s.syslog(out, 38, 'sshd', pid, `Disconnected from user ${user} ${ip} port ${port}`)));
  rows.push(s.row(out + 30, 'host/bastion', s.syslog(out + 30, 30, 'systemd', 1, `session-${session}.scope: Deactivated successfully.`)));
}

function redis(s: Svc, rows: Row[]): void {
  const { r } = s;
  for (let ts = s.t0 + r.int(0, 90_000); ts < s.end; ts += r.int(60_000, 120_000)) {
    const child = r.int(100, 30_000);
    rows.push(s.row(ts, 'cache/redis', s.redis(ts, 1, 'M', '*', `${r.pick([100, 10_000])} changes in ${r.pick([60, 300])} seconds. Saving...`)));
    rows.push(s.row(ts + 1, 'cache/redis', s.redis(ts + 1, 1, 'M', '*', `Background saving started by pid ${child}`)));
    const done = ts + r.int(200, 2500);
    rows.push(s.row(done, 'cache/redis', s.redis(done, child, 'C', '*', 'DB saved on disk')));
    rows.push(s.row(done + 1, 'cache/redis', s.redis(done + 1, child, 'C', '*', `Fork CoW for RDB: current ${r.int(1, 9)} MB, peak ${r.int(2, 12)} MB, average ${r.int(1, 6)} MB`)));
    rows.push(s.row(done + 90, 'cache/redis', s.redis(done + 90, 1, 'M', '*', 'Background saving terminated with success')));
  }
}

/** The service mesh's six streams over `minutes` of event time, with labelled incidents. */
export function generateSvc(seed: number, minutes = 75): GeneratedSet {
  const s = world(seed, minutes);
  const rows: Row[] = [];
  mesh(s, rows);
  orders(s, rows);
  postgres(s, rows);
  edge(s, rows);
  bastion(s, rows);
  redis(s, rows);
  injectSvcIncidents(s, rows);
  return labelledSet(rows.filter((x) => x.ts < s.end));
}

export const svcGenerator: Generator = {
  describe: 'a JVM shop behind a service mesh: Envoy access log, Spring Boot with stack traces, PostgreSQL, HAProxy, RFC 5424 syslog and Redis at very different rates, a morning ramp and a benign surge, a pod restart; incidents: new_error, rare_error, unusual_value, unseen_category, retry_storm',
  generate: (seed) => generateSvc(seed),
};
