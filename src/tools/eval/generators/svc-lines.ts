// The `svc` generator's line makers (see svc.ts): one seeded source shared by every stream, so the
// order of calls is the seed's. Each format is written as its software writes it:
//   envoy   Istio's default access log ([start] "METHOD PATH PROTO" code flags details ...)
//   java    Spring Boot's console pattern (date  LEVEL pid --- [thread, 15 chars] logger : message)
//   pg      PostgreSQL's stderr log (log_line_prefix '%m [%p] %q%u@%d ')
//   syslog  RFC 5424 (<PRI>1 timestamp host app procid msgid - message)
//   haproxy HAProxy's HTTP log format; redis its own (pid:role date level message)
import { gauss } from './k8s.js';
import type { GeneratedEvent } from './index.js';
import type { Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** 2026-12-06 10:02:11.123 (Spring Boot, PostgreSQL %m without the zone). */
export const isoSpace = (ts: number): string => new Date(ts).toISOString().slice(0, 23).replace('T', ' ');
/** 06/Dec/2026:10:02:11.123 (HAProxy). */
const clfMs = (ts: number): string => { const d = new Date(ts); return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${d.toISOString().slice(11, 23)}`; };
/** 06 Dec 2026 10:02:11.123 (Redis). */
const redisTime = (ts: number): string => { const d = new Date(ts); return `${pad(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${d.toISOString().slice(11, 23)}`; };

/** A route behind the mesh ingress: usual statuses (weighted by repetition), median ms, and the 5xx it shows normally (if any). */
export interface MeshRoute {
  method: string;
  path: (r: Random) => string;
  cluster: string;
  statuses: string[];
  ms: number;
  /** Share of requests that fail normally, and how. */
  fail?: { p: number; status: string; flags: string; details: string };
}

export const FAIL_503 = { status: '503', flags: 'UF,URX', details: 'upstream_reset_before_response_started{connection_failure}' };
export const FAIL_504 = { status: '504', flags: 'UT', details: 'response_timeout' };
export const FAIL_500 = { status: '500', flags: '-', details: 'via_upstream' };

const SKU = (r: Random): string => `SKU-${r.int(10000, 99999)}`;
export const MESH_ROUTES: MeshRoute[] = [
  { method: 'GET', path: (r) => `/api/v1/catalog/items/${SKU(r)}`, cluster: 'catalog', statuses: ['200', '200', '200', '200', '200', '200', '404'], ms: 14 },
  { method: 'GET', path: (r) => `/api/v1/cart/${r.hex(8)}-${r.hex(4)}`, cluster: 'cart', statuses: ['200'], ms: 9 },
  { method: 'POST', path: () => '/api/v1/cart/items', cluster: 'cart', statuses: ['201', '201', '201', '201', '400'], ms: 22 },
  { method: 'POST', path: () => '/api/v1/orders', cluster: 'orders', statuses: ['201', '201', '201', '201', '201', '409', '422'], ms: 85 },
  { method: 'GET', path: (r) => `/api/v1/orders/${r.int(1_000_000, 9_999_999)}`, cluster: 'orders', statuses: ['200', '200', '200', '404'], ms: 18 },
  { method: 'GET', path: (r) => `/api/v1/recommendations?user=${r.int(10_000, 999_999)}&limit=${r.pick([6, 12, 24])}`, cluster: 'recommender', statuses: ['200'], ms: 420, fail: { p: 0.015, ...FAIL_503 } },
  { method: 'GET', path: (r) => `/api/v1/search?q=${r.pick(['boots', 'kettle', 'desk+lamp', 'hoodie', 'usb-c', 'tent', 'mug'])}&page=${r.int(1, 4)}`, cluster: 'search', statuses: ['200'], ms: 160, fail: { p: 0.008, ...FAIL_504 } },
  { method: 'GET', path: (r) => `/api/v1/reviews/${SKU(r)}?sort=${r.pick(['recent', 'helpful'])}`, cluster: 'reviews', statuses: ['200', '200', '200', '204'], ms: 60, fail: { p: 0.006, ...FAIL_500 } },
];
/** Routes that never show a 5xx and answer fast (where an unusual value is placed). */
export const QUIET_ROUTES = MESH_ROUTES.filter((x) => x.fail === undefined && x.ms < 30);

const UAS = ['okhttp/4.12.0', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'shop-ios/7.3.1 CFNetwork/1498.700.2 Darwin/23.6.0', 'python-requests/2.32.3'];

export interface Lines {
  r: Random;
  /** A log-normal draw around `median`. */
  around: (median: number, spread?: number) => number;
  uuid: () => string;
  publicIp: () => string;
  podIp: () => string;
  envoy: (ts: number, route: MeshRoute, status: string, ms: number, fail?: { flags: string; details: string }) => string;
  java: (ts: number, pid: number, level: string, thread: string, logger: string, msg: string) => string;
  pg: (ts: number, pid: number, who: string, msg: string) => string;
  syslog: (ts: number, pri: number, app: string, procid: string | number, msg: string) => string;
  haproxy: (ts: number, backend: string, server: string, tr: number, status: string, path: string) => string;
  redis: (ts: number, pid: number, role: string, level: string, msg: string) => string;
  row: (ts: number, stream: string, data: string, metadata?: Record<string, string | number>, kind?: string) => Row;
}

export function lines(r: Random): Lines {
  const upstreams = new Map<string, string[]>();
  const upstream = (cluster: string): string => {
    let hosts = upstreams.get(cluster);
    if (hosts === undefined) { hosts = [0, 1, 2].map(() => `10.8.${r.int(0, 15)}.${r.int(2, 250)}:8080`); upstreams.set(cluster, hosts); }
    return r.pick(hosts);
  };
  const L: Lines = {
    r,
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    uuid: () => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`,
    publicIp: () => `${r.int(1, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    podIp: () => `10.8.${r.int(0, 15)}.${r.int(2, 250)}`,
    envoy: (ts, route, status, ms, fail) => {
      const d = Math.max(1, Math.round(ms));
      const failed = fail !== undefined && fail.flags !== '-';
      const up = failed ? '-' : String(Math.max(0, d - r.int(0, 2)));
      const sent = status === '204' || failed ? (failed ? r.int(91, 95) : 0) : r.int(180, 42_000);
      const host = `${route.cluster}.shop.svc.cluster.local`;
      return `[${new Date(ts).toISOString()}] "${route.method} ${route.path(r)} HTTP/${r.pick(['1.1', '2'])}" ${status} ${fail?.flags ?? '-'} ${fail?.details ?? 'via_upstream'} - "-" ${route.method === 'POST' ? r.int(60, 2400) : 0} ${sent} ${d} ${up} "${L.publicIp()}" "${r.pick(UAS)}" "${L.uuid()}" "api.shop.example.com" "${failed && fail.flags.startsWith('UF') ? '-' : upstream(route.cluster)}" outbound|8080||${host} ${L.podIp()}:${r.int(32768, 60999)} 10.8.0.17:8443 ${L.publicIp()}:${r.int(1024, 65535)} api.shop.example.com default`;
    },
    java: (ts, pid, level, thread, logger, msg) => `${isoSpace(ts)} ${level.padStart(5)} ${pid} --- [${thread.length > 15 ? thread.slice(-15) : thread.padStart(15)}] ${logger.padEnd(40)} : ${msg}`,
    pg: (ts, pid, who, msg) => `${isoSpace(ts)} UTC [${pid}] ${who}${who === '' ? '' : ' '}${msg}`,
    syslog: (ts, pri, app, procid, msg) => `<${pri}>1 ${new Date(ts).toISOString().replace('Z', `${pad(r.int(0, 999), 3)}+00:00`)} bastion-1 ${app} ${procid} - - ${msg}`,
    haproxy: (ts, backend, server, tr, status, path) => {
      const ta = tr + r.int(0, 3);
      const conns = r.int(8, 60);
      return `haproxy[2113]: ${L.publicIp()}:${r.int(1024, 65535)} [${clfMs(ts)}] fe_https~ ${backend}/${server} 0/0/${r.int(0, 2)}/${tr}/${ta} ${status} ${r.int(300, 90_000)} - - ---- ${conns}/${conns}/${r.int(1, conns)}/${r.int(0, 9)}/0 0/0 "${path} HTTP/1.1"`;
    },
    redis: (ts, pid, role, level, msg) => `${pid}:${role} ${redisTime(ts)} ${level} ${msg}`,
    row: (ts, stream, data, metadata, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      if (metadata !== undefined) ev.metadata = metadata;
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
  return L;
}
