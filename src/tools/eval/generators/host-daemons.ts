// The `host` generator's shared daemons (see host.ts), each line as the daemon writes it: sshd
// sessions with pam_unix, systemd-logind and the session scope; sudo; cron jobs with their pam
// sessions; systemd units run by timers (Starting, Deactivated, Finished, Consumed … CPU time);
// chrony; the bastion's internet noise (scanners trying user names, banner grabs, UFW blocks).
import { ADMINS, SCAN_USERS, type Host, type HostName, type Row } from './host-lines.js';

/** Each admin's key fingerprint (fixed per user), and the CI's and backup host's. */
export const KEYS: Record<string, string> = {
  alice: 'SHA256:3nYq8sV0xQm2bR7tK1uHc9LwZpD4eF6gJ5aN0oS8iTk', bob: 'SHA256:Qk7vP2mZ9cX4nB1wR8yT5uL3hG6fD0sA2eJ9iO7pK4M', carol: 'SHA256:m1N8bV5cX2zL9kJ6hG3fD0sA7pO4iU1yT8rE5wQ2eR6',
  dmitri: 'SHA256:Z9xC6vB3nM0lK7jH4gF1dS8aP5oI2uY9tR6eW3qA0sD', esra: 'SHA256:aS4dF7gH0jK3lZ6xC9vB2nM5qW8eR1tY4uI7oP0aS3d', deploy: 'SHA256:dP1oY2cI3kE4yG5hJ6kL7zX8cV9bN0mQ1wE2rT3yU4i', borg: 'SHA256:bO7rG1bA2cK3uP4hO5sT6kE7yF8oR9pU0lL1mO2dE3x',
};
export const BASTION_IP = '10.0.1.5';
export const CI_IP = '10.0.2.14';
export const BACKUP_IP = '10.0.1.30';

/** systemd's format_timespan at millisecond accuracy: 312ms, 1.234s, 1min 3.204s. */
export function cpuTime(secs: number): string {
  if (secs < 1) return `${Math.max(1, Math.round(secs * 1000))}ms`;
  if (secs < 60) return `${secs.toFixed(3).replace(/\.?0+$/, '')}s`;
  const m = Math.floor(secs / 60);
  return `${m}min ${(secs - m * 60).toFixed(3).replace(/\.?0+$/, '')}s`;
}

/** A systemd unit run by its timer: Starting …, its own lines (`body`), Deactivated, Finished, Consumed. */
export function unitRun(h: Host, rows: Row[], host: HostName, ts: number, unit: string, desc: string, secs: number, cpu: number, kind?: string): number {
  const end = ts + Math.round(secs * 1000);
  rows.push(h.log(ts, host, 'daemon', 'info', 'systemd', 1, `Starting ${unit} - ${desc}...`, kind));
  rows.push(h.log(end, host, 'daemon', 'info', 'systemd', 1, `${unit}: Deactivated successfully.`, kind));
  rows.push(h.log(end, host, 'daemon', 'info', 'systemd', 1, `Finished ${unit} - ${desc}.`, kind));
  if (cpu >= 0.05) rows.push(h.log(end, host, 'daemon', 'info', 'systemd', 1, `${unit}: Consumed ${cpuTime(cpu)} CPU time.`, kind));
  return end;
}

/** A cron job: its pam session opened, the CMD line, the session closed when it ends. */
export function cronJob(h: Host, rows: Row[], host: HostName, ts: number, user: string, uid: number, cmd: string, secs = 0.2 + h.r.exp(0.5), kind?: string): number {
  const pid = h.pid(host);
  const end = ts + Math.round(secs * 1000);
  rows.push(h.log(ts, host, 'authpriv', 'info', 'CRON', pid, `pam_unix(cron:session): session opened for user ${user}(uid=${uid}) by (uid=0)`, kind));
  rows.push(h.log(ts, host, 'cron', 'info', 'CRON', pid, `(${user}) CMD (${cmd})`, kind));
  rows.push(h.log(end, host, 'authpriv', 'info', 'CRON', pid, `pam_unix(cron:session): session closed for user ${user}`, kind));
  return end;
}

/** One sudo command: the command line, the pam session for root opened and closed. */
export function sudo(h: Host, rows: Row[], host: HostName, ts: number, user: string, uid: number, tty: string, pwd: string, command: string, target = 'root', kind?: string, hold = 40 + h.r.int(0, 20_000)): void {
  const pid = undefined; // sudo logs without its pid
  const tuid = target === 'root' ? 0 : target === 'postgres' ? 114 : target === 'www-data' ? 33 : 999;
  rows.push(h.log(ts, host, 'authpriv', 'notice', 'sudo', pid, `${user.padStart(8, ' ')} : TTY=${tty} ; PWD=${pwd} ; USER=${target} ; COMMAND=${command}`, kind));
  rows.push(h.log(ts + 2, host, 'authpriv', 'info', 'sudo', pid, `pam_unix(sudo:session): session opened for user ${target}(uid=${tuid}) by ${user}(uid=${uid})`, kind));
  rows.push(h.log(ts + hold, host, 'authpriv', 'info', 'sudo', pid, `pam_unix(sudo:session): session closed for user ${target}`, kind));
}

export interface Login { user: string; uid: number; from: string; key: string; method?: string; keyType?: string }

/** An ssh session: accepted, pam session, logind and scope; `dur` ms later its end. Returns the session's tty. */
export function sshSession(h: Host, rows: Row[], host: HostName, ts: number, who: Login, dur: number, kind?: string, acceptKind = kind): { end: number; pid: number } {
  const { r } = h;
  const pid = h.pid(host), port = r.int(32768, 60999), s = h.session(), logind = h.daemon(host, 'systemd-logind');
  const auth = who.method === 'password' ? 'password' : `publickey`;
  const key = who.method === 'password' ? '' : `: ${who.keyType ?? 'ED25519'} ${who.key}`;
  rows.push(h.log(ts, host, 'auth', 'info', 'sshd', pid, `Accepted ${auth} for ${who.user} from ${who.from} port ${port} ssh2${key}`, acceptKind));
  rows.push(h.log(ts + 3, host, 'authpriv', 'info', 'sshd', pid, `pam_unix(sshd:session): session opened for user ${who.user}(uid=${who.uid}) by (uid=0)`, kind));
  rows.push(h.log(ts + 9, host, 'auth', 'info', 'systemd-logind', logind, `New session ${s} of user ${who.user}.`, kind));
  rows.push(h.log(ts + 11, host, 'daemon', 'info', 'systemd', 1, `Started session-${s}.scope - Session ${s} of User ${who.user}.`, kind));
  const end = ts + Math.max(2000, Math.round(dur));
  if (end >= h.end) return { end, pid };
  const closer = who.user === 'deploy' || who.user === 'borg' ? 'disconnected by user' : r.pick(['disconnected by user', 'disconnected by user', 'disconnected by user', 'Connection reset by peer']);
  if (closer === 'Connection reset by peer') rows.push(h.log(end, host, 'auth', 'info', 'sshd', pid, `Connection reset by ${who.from} port ${port}`, kind));
  else {
    rows.push(h.log(end, host, 'auth', 'info', 'sshd', pid, `Received disconnect from ${who.from} port ${port}:11: disconnected by user`, kind));
    rows.push(h.log(end, host, 'auth', 'info', 'sshd', pid, `Disconnected from user ${who.user} ${who.from} port ${port}`, kind));
  }
  rows.push(h.log(end + 2, host, 'authpriv', 'info', 'sshd', pid, `pam_unix(sshd:session): session closed for user ${who.user}`, kind));
  rows.push(h.log(end + 5, host, 'daemon', 'info', 'systemd', 1, `session-${s}.scope: Deactivated successfully.`, kind));
  rows.push(h.log(end + 5, host, 'auth', 'info', 'systemd-logind', logind, `Session ${s} logged out. Waiting for processes to exit.`, kind));
  rows.push(h.log(end + 7, host, 'auth', 'info', 'systemd-logind', logind, `Removed session ${s}.`, kind));
  return { end, pid };
}

/** What admins run with sudo on each kind of host. */
const SUDO_CMDS: Record<HostName, string[]> = {
  'bastion-01': ['/usr/bin/journalctl -u ssh --since -2h', '/usr/sbin/ufw status verbose', '/usr/bin/apt list --upgradable', '/usr/bin/tail -n 200 /var/log/auth.log'],
  'web-01': ['/usr/bin/systemctl status invoiced', '/usr/bin/journalctl -u invoiced --since -1h', '/usr/bin/tail -f /var/log/syslog', '/usr/bin/systemctl status nginx', '/usr/bin/ss -tlnp', '/usr/bin/apt list --upgradable'],
  'web-02': ['/usr/bin/systemctl status invoiced', '/usr/bin/journalctl -u invoiced --since -1h', '/usr/bin/tail -f /var/log/syslog', '/usr/bin/systemctl status nginx', '/usr/bin/ss -tlnp', '/usr/bin/apt list --upgradable'],
  'mail-01': ['/usr/sbin/postqueue -p', '/usr/bin/tail -n 500 /var/log/mail.log', '/usr/bin/doveadm who', '/usr/sbin/postqueue -f', '/usr/bin/systemctl status postfix@-'],
  'backup-01': ['/usr/bin/borg list /srv/borg/web-01', '/usr/bin/df -h', '/usr/sbin/smartctl -a /dev/sdb', '/usr/bin/tail -n 100 /var/log/borg-pull.log', '/usr/bin/zpool status'],
};

/** An admin's visit: a tunnel session on the bastion, a shell on a target host with 0-4 sudo commands. */
export function adminVisit(h: Host, rows: Row[], ts: number, target: HostName): void {
  const { r } = h;
  const a = r.pick(ADMINS);
  const dur = 60_000 + r.exp(1_200_000);
  sshSession(h, rows, 'bastion-01', ts, { user: a.user, uid: a.uid, from: h.vpnIp(), key: KEYS[a.user] }, dur + 4000);
  if (target === 'bastion-01') return;
  sshSession(h, rows, target, ts + 1500, { user: a.user, uid: a.uid, from: BASTION_IP, key: KEYS[a.user] }, dur);
  for (let k = r.int(0, 4), t = ts + 20_000; k > 0 && t < ts + dur; k--, t += r.int(10_000, Math.max(20_000, Math.round(dur / 3)))) {
    sudo(h, rows, target, t, a.user, a.uid, `pts/${r.int(0, 3)}`, `/home/${a.user}`, r.pick(SUDO_CMDS[target]));
  }
}

/** The bastion's internet noise: scanners trying 1-4 user names each (sshd, one process per try), banner grabs, UFW blocks. */
export function internetNoise(h: Host, rows: Row[]): void {
  const { r } = h;
  for (const ts of h.arrivals(0.035, true)) scanner(h, rows, ts, h.publicIp(), r.int(1, 4), 2000 + r.int(0, 6000));
  for (const ts of h.arrivals(1 / 180, true)) {
    const pid = h.pid('bastion-01'), ip = h.publicIp(), port = r.int(1024, 65535);
    if (r.chance(0.7)) {
      rows.push(h.log(ts, 'bastion-01', 'auth', 'err', 'sshd', pid, 'error: kex_exchange_identification: Connection closed by remote host'));
      rows.push(h.log(ts, 'bastion-01', 'auth', 'info', 'sshd', pid, `Connection closed by ${ip} port ${port}`));
    } else rows.push(h.log(ts, 'bastion-01', 'auth', 'info', 'sshd', pid, `banner exchange: Connection from ${ip} port ${port}: invalid format`));
  }
  for (const ts of h.arrivals(0.1, true)) rows.push(h.log(ts, 'bastion-01', 'kern', 'warning', 'kernel', undefined, ufwBlock(h)));
}

const MAC = '52:54:00:3c:1a:7e:fa:16:3e:21:9b:04:08:00';
export function ufwBlock(h: Host, src = h.publicIp(), dpt = h.r.pick([23, 23, 23, 80, 443, 445, 3389, 8080, 5900, 6379, 1433, 8443, 2375, 9200, 5060, 81, 8888, 3306])): string {
  const { r } = h;
  return `[UFW BLOCK] IN=eth0 OUT= MAC=${MAC} SRC=${src} DST=203.0.113.5 LEN=${r.pick([40, 44, 60])} TOS=0x00 PREC=0x00 TTL=${r.int(40, 250)} ID=${r.int(1, 65535)}${r.chance(0.3) ? ' DF' : ''} PROTO=TCP SPT=${r.int(1024, 65535)} DPT=${dpt} WINDOW=${r.pick([1024, 14600, 29200, 65535])} RES=0x00 SYN URGP=0`;
}

/** One internet source trying `tries` user names over `span` ms (each try its own sshd process). */
export function scanner(h: Host, rows: Row[], ts: number, ip: string, tries: number, span: number, kind?: string): void {
  const { r } = h;
  for (let k = 0; k < tries; k++) {
    const t = ts + Math.round((k * span) / Math.max(1, tries)) + r.int(0, 300);
    const pid = h.pid('bastion-01'), port = r.int(1024, 65535);
    if (r.chance(0.2)) {
      const user = r.pick(['root', 'root', 'root', 'ubuntu']);
      rows.push(h.log(t + 400, 'bastion-01', 'auth', 'info', 'sshd', pid, `Connection closed by authenticating user ${user} ${ip} port ${port} [preauth]`, kind));
      continue;
    }
    const user = r.chance(0.8) ? SCAN_USERS[Math.min(SCAN_USERS.length - 1, Math.floor(r.exp(10)))] : r.pick(SCAN_USERS);
    rows.push(h.log(t, 'bastion-01', 'auth', 'info', 'sshd', pid, `Invalid user ${user} from ${ip} port ${port}`, kind));
    if (r.chance(0.6)) {
      rows.push(h.log(t + 300, 'bastion-01', 'auth', 'info', 'sshd', pid, `Received disconnect from ${ip} port ${port}:11: Bye Bye [preauth]`, kind));
      rows.push(h.log(t + 300, 'bastion-01', 'auth', 'info', 'sshd', pid, `Disconnected from invalid user ${user} ${ip} port ${port} [preauth]`, kind));
    } else rows.push(h.log(t + 300, 'bastion-01', 'auth', 'info', 'sshd', pid, `Connection closed by invalid user ${user} ${ip} port ${port} [preauth]`, kind));
  }
}

/** chronyd changing its selected source now and then (a few times a night per host). */
export function chrony(h: Host, rows: Row[], host: HostName): void {
  const { r } = h;
  for (let t = h.t0 + r.exp(7_200_000); t < h.end; t += r.exp(7_200_000)) {
    rows.push(h.log(Math.round(t), host, 'daemon', 'info', 'chronyd', h.daemon(host, 'chronyd'), `Selected source ${r.pick(['162.159.200.1', '162.159.200.123', '85.199.214.98', '194.58.204.20', '195.201.19.162'])} (${r.int(0, 3)}.debian.pool.ntp.org)`));
  }
}
