// The `host` generator's two web hosts (see host.ts): `invoiced`, a Go invoicing API logging with
// slog's text handler to journald (time= level= msg= key=value), one request line per request on
// seven routes with their own status mix and latency (the export route takes seconds, /api/v1/me
// milliseconds and never fails), payments with their currency, a rare PSP retry; its sweeper run
// by a systemd timer every 15 minutes; on web-01 the reminders job from cron every 15 minutes;
// a deploy from CI (ssh as deploy, sudo systemctl restart invoiced, the service's stop and start).
import type { Random } from './random.js';
import { CI_IP, cronJob, KEYS, sshSession, sudo, unitRun } from './host-daemons.js';
import type { Host, HostName, Row } from './host-lines.js';

export interface Route { method: string; path: (r: Random) => string; statuses: number[]; ms: number; spread: number; bytes: number; weight: number }
const months = (r: Random): string => `2026-${String(r.int(1, 12)).padStart(2, '0')}`;
export const ROUTES: Route[] = [
  { method: 'GET', path: (r) => `/api/v1/invoices/${r.int(10_000, 99_999)}`, statuses: [...Array<number>(97).fill(200), 404, 404, 404], ms: 25, spread: 0.5, bytes: 1800, weight: 30 },
  { method: 'GET', path: (r) => `/api/v1/invoices?page=${r.int(1, 9)}&status=${r.pick(['open', 'paid', 'overdue'])}`, statuses: [200], ms: 60, spread: 0.5, bytes: 14_000, weight: 15 },
  { method: 'POST', path: () => '/api/v1/invoices', statuses: [...Array<number>(95).fill(201), 422, 422, 422, 422, 422], ms: 80, spread: 0.4, bytes: 900, weight: 6 },
  { method: 'GET', path: () => '/api/v1/me', statuses: [200], ms: 8, spread: 0.4, bytes: 420, weight: 25 },
  { method: 'POST', path: () => '/api/v1/payments', statuses: [...Array<number>(90).fill(200), 402, 402, 402, 402, 402, 402, 402, 402, 502, 502], ms: 400, spread: 0.5, bytes: 310, weight: 5 },
  { method: 'GET', path: (r) => `/api/v1/reports/export?month=${months(r)}`, statuses: [200], ms: 4000, spread: 0.6, bytes: 2_400_000, weight: 2 },
  { method: 'GET', path: (r) => `/api/v1/customers/${r.int(1000, 9999)}/invoices`, statuses: [...Array<number>(98).fill(200), 404, 404], ms: 45, spread: 0.5, bytes: 6000, weight: 12 },
];
export const CURRENCIES = ['EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'EUR', 'USD', 'USD', 'USD', 'GBP', 'GBP', 'CHF'];
export const NEW_CURRENCIES = ['SEK', 'PLN', 'JPY', 'NOK', 'CZK'];
const WEIGHTED = ROUTES.flatMap((x, i) => Array<number>(x.weight).fill(i));

const slogTime = (ts: number): string => `${new Date(ts).toISOString().slice(0, 23)}Z`;
/** One app line, slog's text handler (msg quoted when it has spaces). */
export function appLine(h: Host, ts: number, host: HostName, level: 'INFO' | 'WARN' | 'ERROR', msg: string, attrs: string, kind?: string, app = 'invoiced'): Row {
  const sev = level === 'ERROR' ? 'err' : level === 'WARN' ? 'warning' : 'info';
  return h.log(ts, host, 'local0', sev, app, h.daemon(host, app), `time=${slogTime(ts)} level=${level} msg=${msg.includes(' ') ? `"${msg}"` : msg} ${attrs}`.trimEnd(), kind);
}

export interface Users { user: () => string; reqId: () => string }
export function users(r: Random): Users {
  const pool = Array.from({ length: 2500 }, () => `usr_${r.hex(6)}`);
  const B32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
  return {
    user: () => pool[Math.min(pool.length - 1, Math.floor(r.exp(500)))],
    reqId: () => `01J${Array.from({ length: 23 }, () => B32[r.int(0, 31)]).join('')}`,
  };
}

/** A request line; status and latency as given (or drawn from the route). */
export function request(h: Host, u: Users, ts: number, host: HostName, which: number, opt: { status?: number; ms?: number; bytes?: number; currency?: string; kind?: string } = {}): Row[] {
  const { r } = h;
  const route = ROUTES[which];
  const status = opt.status ?? r.pick(route.statuses);
  const ms = opt.ms ?? h.around(route.ms, route.spread);
  const bytes = opt.bytes ?? (status >= 400 ? r.int(60, 240) : Math.round(h.around(route.bytes, 0.3)));
  const user = u.user();
  const level = status >= 500 ? 'ERROR' : 'INFO';
  const out = [appLine(h, ts, host, level, 'request', `method=${route.method} path=${route.path(r)} status=${status} dur_ms=${ms.toFixed(2)} bytes=${bytes} user=${user} req_id=${u.reqId()}`, opt.kind)];
  if (which === 4 && status === 200) {
    const amount = (Math.round(h.around(120, 0.9) * 100) / 100).toFixed(2);
    out.unshift(appLine(h, ts - 1, host, 'INFO', 'payment captured', `invoice=INV-2026-${String(r.int(1, 99_999)).padStart(5, '0')} amount=${amount} currency=${opt.currency ?? r.pick(CURRENCIES)} psp=stripe psp_ref=pi_3Q${r.hex(20)} user=${user}`, opt.kind));
  }
  return out;
}

/** The PSP call that failed and is retried (rare: a few a night). */
export function pspRetry(h: Host, ts: number, host: HostName, kind?: string): Row {
  const { r } = h;
  return appLine(h, ts, host, 'WARN', 'psp call failed, retrying', `psp=stripe attempt=${r.pick([1, 1, 1, 2])} err="${r.pick(['context deadline exceeded', 'context deadline exceeded', 'unexpected EOF', 'read: connection reset by peer'])}" backoff_ms=${r.pick([200, 400, 800])} req_id=01J${r.hex(12).toUpperCase()}`, kind);
}

/** A deploy of invoiced on `host` from CI: ssh, sudo restart, the service's stop and start. */
export function deploy(h: Host, rows: Row[], host: HostName, ts: number, version: string): void {
  const { r } = h;
  sshSession(h, rows, host, ts, { user: 'deploy', uid: 1100, from: CI_IP, key: KEYS.deploy }, 9000 + r.int(0, 4000));
  sudo(h, rows, host, ts + 4000, 'deploy', 1100, 'unknown', '/home/deploy', '/usr/bin/systemctl restart invoiced');
  const t = ts + 4100;
  rows.push(h.log(t, host, 'daemon', 'info', 'systemd', 1, 'Stopping invoiced.service - Invoice API...'));
  rows.push(appLine(h, t + 5, host, 'INFO', 'shutting down', 'signal=terminated inflight=' + String(r.int(0, 4))));
  rows.push(h.log(t + 900, host, 'daemon', 'info', 'systemd', 1, 'invoiced.service: Deactivated successfully.'));
  rows.push(h.log(t + 900, host, 'daemon', 'info', 'systemd', 1, 'Stopped invoiced.service - Invoice API.'));
  rows.push(h.log(t + 900, host, 'daemon', 'info', 'systemd', 1, `invoiced.service: Consumed ${r.int(1, 59)}min ${(r.next() * 60).toFixed(3)}s CPU time.`));
  rows.push(h.log(t + 950, host, 'daemon', 'info', 'systemd', 1, 'Started invoiced.service - Invoice API.'));
  h.restart(host, 'invoiced');
  rows.push(appLine(h, t + 1200, host, 'INFO', 'starting', `version=${version} commit=${r.hex(7)} go=go1.23.4`));
  rows.push(appLine(h, t + 1300, host, 'INFO', 'migrations up to date', `schema=${r.int(140, 160)}`));
  rows.push(appLine(h, t + 1400, host, 'INFO', 'listening', 'addr=127.0.0.1:8080'));
}

/** The sweeper's run by its timer (`cpu` s of CPU); `kind` labels its end (the sweep's result and systemd's lines). */
export function sweeper(h: Host, rows: Row[], host: HostName, ts: number, cpu: number, kind?: string): void {
  const { r } = h;
  const secs = cpu * 1.4 + r.next();
  const n = rows.length;
  const end = unitRun(h, rows, host, ts, 'invoiced-sweeper.service', 'Invoice API sweeper', secs, cpu);
  rows.push(appLine(h, end - 5, host, 'INFO', 'sweep done', `expired_sessions=${r.int(0, 400)} drafts_purged=${r.int(0, 12)} took=${(secs - 0.1).toFixed(2)}s`, undefined, 'invoiced-sweeper'));
  h.restart(host, 'invoiced-sweeper');
  if (kind !== undefined) for (const x of rows.slice(n)) if (x.ts >= end - 5) x.kind = kind;
}

/** One web host: requests (none while it is out of the balancer, or silent), the sweeper, cron, retries. */
export function webHost(h: Host, rows: Row[], host: HostName, u: Users): void {
  const { r } = h;
  const quiet = (t: number): boolean => host === 'web-01' && t >= h.quiet.from && t < h.quiet.to;
  for (const ts of h.arrivals(0.45)) if (!quiet(ts)) rows.push(...request(h, u, ts, host, r.pick(WEIGHTED)));
  for (const ts of h.arrivals(1 / 5400)) rows.push(pspRetry(h, ts, host));
  for (let ts = h.t0 + r.int(0, 899_000); ts < h.end; ts += 900_000 + r.int(-2000, 2000)) sweeper(h, rows, host, ts, h.around(1.3, 0.25));
  if (host !== 'web-01') return;
  for (let ts = h.t0 + 60_000 * r.int(0, 14) + r.int(0, 900); ts < h.end; ts += 900_000) {
    const end = cronJob(h, rows, host, ts, 'invoiced', 998, '/opt/invoiced/bin/invoiced-cli send-reminders --batch 200', 0.5 + r.exp(2));
    rows.push(appLine(h, end - 100, host, 'INFO', 'reminders sent', `count=${Math.round(h.around(12, 0.8) * h.load(ts))} took=${((end - ts) / 1000).toFixed(2)}s`, undefined, 'invoiced-cli'));
    h.restart(host, 'invoiced-cli');
  }
}

/** The API's pid follows its restarts in event time (lines are made stream by stream, deploys and crashes later): each `msg=starting` line sets it. */
export function followRestarts(rows: Row[]): void {
  const byTime = [...rows].sort((a, b) => a.ts - b.ts);
  const current = new Map<string, string>();
  for (const x of byTime) {
    const data = String(x.ev.data);
    const m = / (web-0\d) invoiced (\d+) - - /.exec(data);
    if (m === null) continue;
    if (data.includes(' msg=starting ') || !current.has(m[1])) current.set(m[1], m[2]);
    const pid = current.get(m[1]);
    if (pid !== m[2]) x.ev.data = data.replace(` ${m[1]} invoiced ${m[2]} - - `, ` ${m[1]} invoiced ${pid} - - `);
  }
}
