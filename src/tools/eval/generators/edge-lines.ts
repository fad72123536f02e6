// The `edge` generator's world and line makers (see edge.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. Each format is written as its software writes it:
//   bsd      RFC 3164 syslog header (Dec  6 01:02:03 host app[pid]: ...), used by the kernel's
//            netfilter log (iptables LOG target), unbound, Postfix, OpenVPN and ISC dhcpd
//   netfilter  the kernel's LOG line (IN= OUT= MAC= SRC= DST= LEN= ... PROTO= SPT= DPT= ...)
//   unbound  log-replies (client name. TYPE IN RCODE seconds cached bytes)
//   waf      a Cloudflare-like http_requests Logpush record, one JSON object per request
import { gauss } from './k8s.js';
import type { GeneratedEvent } from './index.js';
import { seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** Dec  6 01:02:03 (RFC 3164: the day padded with a space). */
export const bsdTime = (ts: number): string => { const d = new Date(ts); return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`; };

/** Share of the peak rate at an hour of the day (UTC = local here): a night trough near 03:30, a morning ramp to 1 at 08:00. */
export function diurnal(ts: number): number {
  const h = (ts % 86_400_000) / 3_600_000;
  if (h < 3.5) return 0.45 - 0.25 * (h / 3.5);
  return 0.2 + 0.8 * (1 - Math.cos(Math.PI * Math.min(1, (h - 3.5) / 4.5))) / 2;
}

const SYL = ['ka', 'lo', 'mi', 'ra', 'te', 'no', 'vi', 'sa', 'du', 'pe', 'ri', 'ko', 'an', 'el', 'or', 'us', 'ta', 'be'];
const FIRST = ['anna', 'ben', 'carla', 'dmitri', 'elif', 'farid', 'greta', 'hugo', 'ines', 'jonas', 'kim', 'lena', 'marco', 'nora', 'omar', 'paula', 'quentin', 'rosa', 'sven', 'tara', 'ugo', 'vera', 'wei', 'yusuf', 'zoe'];

export interface Edge {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** Kernel uptime in seconds at a time (the netfilter line's [ 12345.678901]). */
  uptime: (ts: number) => string;
  /** Arrival times of a Poisson process at `peakPerSecond` × diurnal() (thinning); flat=true ignores the day's shape. */
  arrivals: (peakPerSecond: number, flat?: boolean) => number[];
  around: (median: number, spread?: number) => number;
  publicIp: () => string;
  lanIp: (subnet?: number) => string;
  mac: () => string;
  /** A Postfix queue id (10-11 upper-case hex digits). */
  queueId: () => string;
  /** A staff member's login (a pool of ~400: most are seen a few times, some once). */
  user: () => string;
  word: () => string;
  pid: () => number;
  bsd: (ts: number, host: string, app: string, msg: string) => string;
  row: (ts: number, stream: string, data: string, kind?: string) => Row;
}

export function world(seed: number, hours: number): Edge {
  const r = seeded(seed * 130_363 + 11);
  const t0 = Date.UTC(2026, 2, 2, 0, 0, 0) + (seed % 300) * 86_400_000 + r.int(0, 30) * 60_000;
  const end = t0 + hours * 3_600_000;
  const boot = r.int(200_000, 4_000_000);
  const users = Array.from({ length: 400 }, () => `${r.pick(FIRST)}.${r.pick(SYL)}${r.pick(SYL)}${r.chance(0.2) ? String(r.int(2, 9)) : ''}`);
  const E: Edge = {
    r, seed, t0, end,
    uptime: (ts) => `${((ts - t0) / 1000 + boot).toFixed(3)}${pad(r.int(0, 999), 3)}`.padStart(13, ' '),
    arrivals: (peak, flat = false) => {
      const out: number[] = [];
      for (let t = t0 + r.exp(1000 / peak); t < end; t += r.exp(1000 / peak)) {
        if (flat || r.next() < diurnal(t)) out.push(Math.round(t));
      }
      return out;
    },
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    publicIp: () => `${r.pick([5, 23, 31, 45, 62, 77, 91, 103, 109, 141, 159, 176, 185, 193, 212, 218])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    lanIp: (subnet) => `10.20.${subnet ?? r.int(0, 3)}.${r.int(2, 250)}`,
    mac: () => Array.from({ length: 6 }, () => r.hex(2)).join(':'),
    queueId: () => r.hex(r.int(10, 11)).toUpperCase(),
    user: () => r.pick(users),
    word: () => r.pick(SYL) + r.pick(SYL) + r.pick(SYL),
    pid: () => r.int(1000, 65_000),
    bsd: (ts, host, app, msg) => `${bsdTime(ts)} ${host} ${app}: ${msg}`,
    row: (ts, stream, data, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
  return E;
}


/** The WAN address the firewall protects, and the ports it forwards (mail, VPN, web). */
export const WAN = '198.51.100.10';
/** Ports internet scanners knock on, most often first. */
export const KNOCKED = [23, 22, 445, 3389, 80, 8080, 443, 5060, 1433, 3306, 6379, 2323, 8443, 5900, 9200, 81, 8888, 7547, 37215, 52869, 21, 25, 110, 139, 161, 5555, 27017, 11211];

/** One netfilter LOG line of a dropped inbound packet. */
export function dropLine(e: Edge, ts: number, src: string, dpt: number, o: { spt?: number; ttl?: number; id?: number; udp?: boolean } = {}): string {
  const { r } = e;
  const mac = `00:16:3e:4a:10:01:${r.pick(['84:78:ac:5a:19:c1', '84:78:ac:5a:19:c1', '00:1c:73:00:00:99'])}:08:00`;
  const udp = o.udp ?? (dpt === 5060 || dpt === 161 || dpt === 11211);
  const tail = udp
    ? `PROTO=UDP SPT=${o.spt ?? r.int(1024, 65535)} DPT=${dpt} LEN=${r.int(20, 120)}`
    : `PROTO=TCP SPT=${o.spt ?? r.int(1024, 65535)} DPT=${dpt} WINDOW=${r.pick([1024, 29200, 65535, 14600])} RES=0x00 SYN URGP=0`;
  return e.bsd(ts, 'gw01', 'kernel', `[${e.uptime(ts)}] FW-DROP-WAN: IN=eth0 OUT= MAC=${mac} SRC=${src} DST=${WAN} LEN=${udp ? r.int(48, 148) : r.pick([40, 44, 60])} TOS=0x00 PREC=0x00 TTL=${o.ttl ?? r.int(40, 245)} ID=${o.id ?? r.int(1, 65_535)} ${udp ? '' : 'DF '}${tail}`.replace('  ', ' '));
}

/** Internal names with the share of queries they get; answered from local-data (cached, ~0 s). */
export const INTERNAL = ['intranet.corp.example.', 'mail.corp.example.', 'gitlab.corp.example.', 'grafana.corp.example.', 'vault.corp.example.', 'nas01.corp.example.', 'printer-2f.corp.example.', 'jira.corp.example.', 'ldap.corp.example.'];
export const EXTERNAL = ['www.google.com.', 'outlook.office365.com.', 'api.github.com.', 'slack.com.', 'edge-chat.slack.com.', 'zoom.us.', 'update.microsoft.com.', 'cdn.jsdelivr.net.', 'registry.npmjs.org.', 'pypi.org.', 'files.pythonhosted.org.', 'docker.io.', 'production.cloudflare.docker.com.', 'ocsp.digicert.com.', 'time.apple.com.', 'www.wikipedia.org.', 'login.microsoftonline.com.', 'fonts.gstatic.com.', 'teams.microsoft.com.', 's3.eu-central-1.amazonaws.com.'];
/** A far-away zone that is normally slow to resolve (so 1-2 s is normal there, not for local names). */
export const SLOW_ZONE = 'cdn.far-east-mirror.cn.';

/** One unbound reply line. */
export function replyLine(e: Edge, ts: number, client: string, name: string, type: string, rcode: string, seconds: number, cached: boolean): string {
  const bytes = rcode === 'NXDOMAIN' ? e.r.int(90, 140) : type === 'AAAA' ? e.r.int(60, 220) : e.r.int(45, 190);
  return e.bsd(ts, 'ns1', 'unbound', `[${1187}:${e.r.int(0, 1)}] info: ${client} ${name} ${type} IN ${rcode} ${seconds.toFixed(6)} ${cached ? 1 : 0} ${bytes}`);
}

/** The hosts behind the WAF with their routes: [method, path maker, median ms, median bytes]. */
export interface WafRoute { host: string; method: string; path: (r: Random) => string; ms: number; bytes: number; statuses: number[] }
export const WAF_ROUTES: WafRoute[] = [
  { host: 'www.example.com', method: 'GET', path: (r) => r.pick(['/', '/pricing', '/about', '/blog/', `/blog/${r.pick(['edge-caching', 'zero-trust', 'release-notes-4-2', 'hiring'])}`]), ms: 35, bytes: 38_000, statuses: [200, 200, 200, 200, 304] },
  { host: 'shop.example.com', method: 'GET', path: (r) => `/products/${r.int(1000, 99_999)}`, ms: 60, bytes: 22_000, statuses: [200, 200, 200, 200, 404] },
  { host: 'shop.example.com', method: 'POST', path: () => '/cart/add', ms: 45, bytes: 900, statuses: [200, 200, 200, 422] },
  { host: 'api.example.com', method: 'GET', path: () => '/v1/me', ms: 12, bytes: 1_400, statuses: [200, 200, 200, 200, 401] },
  { host: 'api.example.com', method: 'GET', path: (r) => `/v1/orders?page=${r.int(1, 30)}`, ms: 80, bytes: 14_000, statuses: [200, 200, 200, 200, 429] },
  { host: 'api.example.com', method: 'POST', path: () => '/v1/reports/export', ms: 2_400, bytes: 450_000, statuses: [200, 200, 200, 504] },
  { host: 'status.example.com', method: 'GET', path: () => '/', ms: 8, bytes: 6_000, statuses: [200] },
];
export const COUNTRIES = ['de', 'de', 'de', 'de', 'at', 'ch', 'nl', 'fr', 'us', 'us', 'gb', 'pl', 'se'];
export const NEW_COUNTRIES = ['kp', 'ir', 'by', 'ng', 've'];
const UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/132.0.0.0 Safari/537.36', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.2 Safari/605.1.15', 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148', 'okhttp/4.12.0', 'python-requests/2.32.3', 'curl/8.5.0'];

export interface WafFields { status?: number; ms?: number; bytes?: number; action?: string; rule?: [string, string]; country?: string; host?: string; ip?: string; ua?: string; path?: string; method?: string }

/** One WAF record for a request to `route` (defaults drawn around the route's medians). */
export function wafLine(e: Edge, ts: number, route: WafRoute, f: WafFields = {}): string {
  const { r } = e;
  const status = f.status ?? r.pick(route.statuses);
  const rec = {
    EdgeStartTimestamp: new Date(ts).toISOString(),
    RayID: `${r.hex(16)}-FRA`,
    ClientIP: f.ip ?? e.publicIp(),
    ClientCountry: f.country ?? r.pick(COUNTRIES),
    ClientRequestHost: f.host ?? route.host,
    ClientRequestMethod: f.method ?? route.method,
    ClientRequestPath: f.path ?? route.path(r),
    ClientRequestUserAgent: f.ua ?? r.pick(UAS),
    EdgeResponseStatus: status,
    EdgeResponseBytes: Math.round(f.bytes ?? (status === 304 ? r.int(180, 260) : e.around(route.bytes, 0.3))),
    OriginResponseDurationMs: Math.max(1, Math.round(f.ms ?? e.around(route.ms, 0.35))),
    SecurityAction: f.action ?? 'allow',
    SecurityRuleID: f.rule?.[0] ?? '',
    SecurityRuleDescription: f.rule?.[1] ?? '',
    WAFAttackScore: f.rule === undefined ? r.int(70, 99) : r.int(1, 25),
  };
  return JSON.stringify(rec);
}
