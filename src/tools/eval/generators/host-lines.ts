// The `host` generator's world and line makers (see host.ts): one seeded source shared by every
// host, so the order of calls is the seed's. Each host's syslog agent sends lines as it writes them:
//   rfc3164  bastion-01 and backup-01 (rsyslog's default forwarding template):
//            <PRI>Dec  6 23:00:01 host app[pid]: msg; the kernel's lines carry its uptime
//            ([ 12345.678901]) as imklog reads them; no metadata
//   rfc5424  web-01, web-02 and mail-01 (rsyslog's RSYSLOG_SyslogProtocol23Format from journald):
//            <PRI>1 2026-12-06T23:00:01.123456+00:00 host app pid - - msg; the collector adds
//            metadata {appname, facility, severity} parsed from the header
// PRI = facility × 8 + severity, as each daemon logs it (sshd auth, pam authpriv, cron, daemon,
// kern, mail, the custom app local0).
import { gauss } from './k8s.js';
import type { GeneratedEvent } from './index.js';
import { seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

export const HOSTS = ['bastion-01', 'web-01', 'web-02', 'mail-01', 'backup-01'] as const;
export type HostName = (typeof HOSTS)[number];
const RFC5424: ReadonlySet<HostName> = new Set<HostName>(['web-01', 'web-02', 'mail-01']);

export const FACILITY = { kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, cron: 9, authpriv: 10, local0: 16 } as const;
export const SEVERITY = { emerg: 0, alert: 1, crit: 2, err: 3, warning: 4, notice: 5, info: 6, debug: 7 } as const;
export type Facility = keyof typeof FACILITY;
export type Severity = keyof typeof SEVERITY;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
/** Dec  6 23:00:01 (RFC 3164: the day padded with a space). */
const bsdTime = (ts: number): string => { const d = new Date(ts); return `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`; };

/** The admins who log in through the bastion (and their uids). */
export const ADMINS: { user: string; uid: number }[] = [
  { user: 'alice', uid: 1001 }, { user: 'bob', uid: 1002 }, { user: 'carol', uid: 1003 }, { user: 'dmitri', uid: 1004 }, { user: 'esra', uid: 1005 },
];
/** User names internet scanners try on sshd (a long tail: most are seen a few times, some once). */
export const SCAN_USERS = ['admin', 'test', 'user', 'ubuntu', 'oracle', 'postgres', 'git', 'ftpuser', 'guest', 'pi', 'support', 'deploy', 'jenkins', 'hadoop', 'minecraft', 'steam', 'nagios', 'tomcat', 'debian', 'centos', 'mysql', 'www', 'dev', 'vagrant', 'ansible', 'es', 'elastic', 'redis', 'sonar', 'gitlab', 'teamspeak', 'odoo', 'zabbix', 'kafka', 'solana', 'sol', 'validator', 'node', 'docker', 'k8s', 'backup', 'sysadmin', 'operator', 'admin1', 'testuser', 'student', 'mongodb', 'uucp', 'bin', 'daemon'];
/** Mail users of mail-01. */
export const MAILBOXES = ['alice', 'bob', 'carol', 'dmitri', 'esra', 'info', 'billing', 'support', 'frank', 'gina', 'hannah', 'ivan', 'jana', 'karl'];

export interface Host {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** 00:00 of the night (logrotate, man-db, dpkg-db-backup), 2 hours in. */
  midnight: number;
  /** web-02's forwarder stalls: nothing from it for 15-30 minutes (the silence incident). */
  silence: { stream: string; from: number; to: number };
  /** web-01 is out of the load balancer: no requests for 20-40 minutes (the template silence). */
  quiet: { from: number; to: number };
  /** Share of the evening's load in (0, 1]: 1 at 22:00, ~0.2 at 04:00 (people asleep). */
  load: (ts: number) => number;
  /** Arrival times of a Poisson process at `perSecond` × load (thinning); flat=true ignores the load. */
  arrivals: (perSecond: number, flat?: boolean) => number[];
  /** A log-normal draw around `median`. */
  around: (median: number, spread?: number) => number;
  /** A fresh pid on a host (pids grow, wrapping at pid_max). */
  pid: (host: HostName) => number;
  /** The pid of a long-running daemon of a host (fixed until restart()). */
  daemon: (host: HostName, name: string) => number;
  restart: (host: HostName, name: string) => number;
  /** An internet address (scanners, mail senders). */
  publicIp: () => string;
  /** An admin's address on the VPN (10.8.0.x). */
  vpnIp: () => string;
  /** A logind session number (they grow). */
  session: () => number;
  /** A Postfix queue id (long format off: 10-11 upper-case hex digits). */
  queueId: () => string;
  /** A line from `host` by `app` at a facility and severity, in the host's format. */
  log: (ts: number, host: HostName, fac: Facility, sev: Severity, app: string, pid: number | undefined, msg: string, kind?: string) => Row;
}

function formatLine(ts: number, host: HostName, pri: number, app: string, pid: number | undefined, msg: string, uptime: string): string {
  if (RFC5424.has(host)) return `<${pri}>1 ${new Date(ts).toISOString().slice(0, 23)}${pad(ts % 997 % 1000, 3)}+00:00 ${host} ${app} ${pid ?? '-'} - - ${msg}`;
  const tag = app === 'kernel' ? `kernel: [${uptime}]` : `${app}${pid === undefined ? '' : `[${pid}]`}:`;
  return `<${pri}>${bsdTime(ts)} ${host} ${tag} ${msg}`;
}

export function world(seed: number, hours: number): Host {
  const r = seeded(seed * 104_729 + 17);
  const t0 = Date.UTC(2026, 0, 5, 22, 0, 0) + (seed % 400) * 86_400_000;
  const end = t0 + hours * 3_600_000;
  const span = end - t0;
  const boot = new Map<HostName, number>(HOSTS.map((h) => [h, r.int(300_000, 9_000_000)]));
  const pids = new Map<HostName, number>(HOSTS.map((h) => [h, r.int(20_000, 900_000)]));
  const daemons = new Map<string, number>();
  let sess = r.int(2_000, 40_000);
  const silenceFrom = t0 + Math.round((0.35 + 0.4 * r.next()) * span);
  const quietFrom = t0 + Math.round((0.2 + 0.5 * r.next()) * span);
  const load = (ts: number): number => { const x = Math.min(1, Math.max(0, (ts - t0) / (6 * 3_600_000))); return 0.2 + 0.8 * (1 - x) ** 1.3; };
  const pid = (host: HostName): number => { let p = (pids.get(host) ?? 20_000) + r.int(1, 30); if (p > 4_194_000) p = 2_000; pids.set(host, p); return p; };
  const H: Host = {
    r, seed, t0, end, load,
    midnight: t0 + 2 * 3_600_000,
    silence: { stream: 'syslog/web-02', from: silenceFrom, to: silenceFrom + r.int(15, 30) * 60_000 },
    quiet: { from: quietFrom, to: quietFrom + r.int(20, 40) * 60_000 },
    arrivals: (perSecond, flat = false) => {
      const out: number[] = [];
      for (let t = t0 + r.exp(1000 / perSecond); t < end; t += r.exp(1000 / perSecond)) if (flat || r.next() < load(t)) out.push(Math.round(t));
      return out;
    },
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    pid,
    daemon: (host, name) => { const k = `${host}/${name}`; const p = daemons.get(k) ?? r.int(300, 1900); daemons.set(k, p); return p; },
    restart: (host, name) => { const p = pid(host); daemons.set(`${host}/${name}`, p); return p; },
    publicIp: () => `${r.pick([45, 61, 80, 92, 103, 112, 141, 159, 167, 178, 185, 193, 194, 200, 211, 218, 222])}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`,
    vpnIp: () => `10.8.0.${r.int(2, 60)}`,
    session: () => { sess += r.int(1, 4); return sess; },
    queueId: () => r.hex(r.int(10, 11)).toUpperCase(),
    log: (ts, host, fac, sev, app, p, msg, kind) => {
      const uptime = `${((ts - t0) / 1000 + (boot.get(host) ?? 0)).toFixed(3)}${pad((ts * 7) % 1000, 3)}`.padStart(12, ' ');
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream: `syslog/${host}`, stream_type: 'logs', data: formatLine(ts, host, FACILITY[fac] * 8 + SEVERITY[sev], app, p, msg, uptime) };
      if (RFC5424.has(host)) ev.metadata = { appname: app, facility: fac, severity: sev };
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
  return H;
}
