// Generator `host`: Linux host syslog from five hosts as their agents forward it, a style written
// without reading the detector (issue 11: does detection hold up on a style nobody tuned on?).
//
//   seed ─► world() (host-lines.ts) ─► 6 hours from 22:00, people's load falling to ~0.2× by 04:00;
//   │       one stream per host (syslog/<host>), two header formats (RFC 3164 from bastion-01 and
//   │       backup-01, RFC 5424 with {appname, facility, severity} metadata from the others):
//   │         bastion-01  sshd's internet noise (scanners trying user names, banner grabs), UFW
//   │                     blocks, the admins' sessions (pam, logind, session scopes)
//   │         web-01/02   invoiced, a Go API (slog lines: requests on seven routes, payments
//   │                     with their currency, a rare PSP retry), its sweeper timer, the admins'
//   │                     sessions and sudo, deploys from CI (ssh, sudo restart, stop/start)
//   │         mail-01     Postfix and Dovecot (host-mail.ts)
//   │         backup-01   a quiet host: smartd, the nightly borg pull at 01:00 (which logs in to
//   │                     every other host as borg)
//   │       on every host: cron (pam sessions, CMD lines: every 5 minutes, hourly at :17),
//   │       systemd timers (sysstat every 10 minutes; logrotate with rsyslog's HUP, man-db,
//   │       dpkg-db-backup after midnight; apt-daily, tmpfiles, certbot once), chrony
//   │       benign novelty on normal lines: fresh pids, ports, IPs, session numbers, queue ids,
//   │       message ids, users, request ids, amounts, durations drawn log-normal
//   └─► incidents after a 30-minute warm-up (host-incidents.ts): new_error, rare_error,
//       unusual_value, unseen_category, retry_storm, brute_force, silence, template_silence
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { adminVisit, BACKUP_IP, chrony, cronJob, internetNoise, KEYS, sshSession, unitRun } from './host-daemons.js';
import { HOSTS, world, type Host, type HostName, type Row } from './host-lines.js';
import { mailHost } from './host-mail.js';
import { deploy, followRestarts, users, webHost } from './host-web.js';
import { injectHostIncidents } from './host-incidents.js';

export const HOST_KINDS = ['new_error', 'rare_error', 'unusual_value', 'unseen_category', 'retry_storm', 'brute_force', 'silence', 'template_silence'] as const;

/** Timers and cron on every host: sysstat every 10 minutes, cron every 5 minutes and hourly, the nightly units. */
function periodic(h: Host, rows: Row[], host: HostName): void {
  const { r } = h;
  for (let ts = h.t0 + 600_000 - (h.t0 % 600_000) + r.int(200, 3000); ts < h.end; ts += 600_000) {
    unitRun(h, rows, host, ts + r.int(0, 900), 'sysstat-collect.service', 'system activity accounting tool', 0.05 + r.next() * 0.2, 0);
  }
  for (let ts = h.t0 + 17 * 60_000 + r.int(0, 900); ts < h.end; ts += 3_600_000) cronJob(h, rows, host, ts, 'root', 0, 'cd / && run-parts --report /etc/cron.hourly', 0.02 + r.next() * 0.1);
  if (host === 'web-01' || host === 'web-02' || host === 'mail-01') {
    for (let ts = h.t0 + r.int(0, 900); ts < h.end; ts += 300_000) cronJob(h, rows, host, ts, 'root', 0, '/usr/local/bin/textfile-collector.sh >/dev/null 2>&1', 0.3 + r.exp(0.4));
  }
  const nightly = (unit: string, desc: string, secs: number, cpu: number, body?: (t: number) => void): void => {
    const t = h.midnight + r.int(0, 3_600_000);
    unitRun(h, rows, host, t, unit, desc, secs, cpu);
    body?.(t);
  };
  nightly('logrotate.service', 'Rotate log files', h.around(1.5, 0.5), h.around(0.4, 0.5), (t) => {
    rows.push(h.log(t + 700, host, 'syslog', 'info', 'rsyslogd', h.daemon(host, 'rsyslogd'), `[origin software="rsyslogd" swVersion="8.2302.0" x-pid="${h.daemon(host, 'rsyslogd')}" x-info="https://www.rsyslog.com"] rsyslogd was HUPed`));
  });
  nightly('man-db.service', 'Daily man-db regeneration', h.around(3, 0.5), h.around(1.2, 0.5));
  nightly('dpkg-db-backup.service', 'Daily dpkg database backup service', h.around(0.3, 0.3), 0);
  const once = (unit: string, desc: string, secs: number, cpu: number): void => { unitRun(h, rows, host, h.t0 + r.int(600_000, h.end - h.t0 - 600_000), unit, desc, secs, cpu); };
  once('apt-daily.service', 'Daily apt download activities', h.around(12, 0.5), h.around(2.5, 0.4));
  once('systemd-tmpfiles-clean.service', 'Cleanup of Temporary Directories', h.around(0.2, 0.3), 0);
  if (host === 'mail-01' || host === 'bastion-01') once('certbot.service', 'Certbot', h.around(4, 0.4), h.around(1.5, 0.3));
  chrony(h, rows, host);
}

/** backup-01: smartd's temperature notes every 30 minutes, the borg pull of every host at 01:00. */
function backupHost(h: Host, rows: Row[]): void {
  const { r } = h;
  const temp: Record<string, number> = { sda: r.int(31, 36), sdb: r.int(32, 38) };
  for (let ts = h.t0 + r.int(0, 1_799_000); ts < h.end; ts += 1_800_000) {
    for (const disk of ['sda', 'sdb']) {
      if (!r.chance(0.5)) continue;
      const from = temp[disk];
      temp[disk] = Math.min(41, Math.max(29, from + r.pick([-1, 1, 1, -1, 2, -2])));
      if (temp[disk] !== from) rows.push(h.log(ts, 'backup-01', 'daemon', 'info', 'smartd', h.daemon('backup-01', 'smartd'), `Device: /dev/${disk} [SAT], SMART Usage Attribute: 194 Temperature_Celsius changed from ${from} to ${temp[disk]}`));
    }
  }
  let ts = h.midnight + 3_600_000 + r.int(0, 60_000);
  const start = ts, pid = h.pid('backup-01');
  const log = (t: number, msg: string): void => { rows.push(h.log(t, 'backup-01', 'user', 'notice', 'borg-pull', pid, msg)); };
  for (const target of ['web-01', 'web-02', 'mail-01', 'bastion-01'] as HostName[]) {
    const secs = h.around(target === 'mail-01' ? 600 : 240, 0.3);
    const archive = `${target}-${new Date(ts).toISOString().slice(0, 16)}`;
    log(ts, `starting archive ${archive}`);
    sshSession(h, rows, target, ts + 300, { user: 'borg', uid: 1200, from: BACKUP_IP, key: KEYS.borg }, secs * 1000);
    ts += Math.round(secs * 1000) + 800;
    log(ts, `${target}: archive ${archive} created, original ${(h.around(14, 0.2)).toFixed(2)} GB, deduplicated ${(h.around(90, 0.6)).toFixed(1)} MB, duration ${Math.floor(secs / 60)}m${Math.round(secs % 60)}s`);
    log(ts + 3000, `${target}: pruned, kept 7 daily, 4 weekly, 6 monthly archives`);
    ts += 4000;
  }
  log(ts, `done: 4 hosts, 0 failed, ${Math.round((ts - start) / 1000)}s`);
  cronJob(h, rows, 'backup-01', start - 40, 'root', 0, '/usr/local/sbin/borg-pull.sh >>/var/log/borg-pull.log 2>&1', (ts - start) / 1000 + 0.1);
}

/** Admins' visits through the bastion (fewer as the night goes on) and the deploys of invoiced. */
function people(h: Host, rows: Row[]): void {
  const { r } = h;
  for (const ts of h.arrivals(1 / 1500)) adminVisit(h, rows, ts, r.pick(['web-01', 'web-01', 'web-01', 'web-02', 'web-02', 'mail-01', 'mail-01', 'backup-01', 'bastion-01'] as HostName[]));
  const release = (ts: number, minor: number): void => {
    const v = `v2.${minor}.${r.int(0, 9)}`;
    deploy(h, rows, 'web-01', ts, v);
    deploy(h, rows, 'web-02', ts + r.int(40_000, 90_000), v);
  };
  const minor = r.int(10, 30);
  release(h.t0 + r.int(300_000, 1_200_000), minor);
  if (r.chance(0.6)) release(h.t0 + r.int(3_600_000, h.end - h.t0 - 1_800_000), minor + 1);
}

/** Five hosts' syslog over `hours` of event time, with labelled incidents. */
export function generateHost(seed: number, hours = 6): GeneratedSet {
  const h = world(seed, hours);
  const rows: Row[] = [];
  const u = users(h.r);
  internetNoise(h, rows);
  webHost(h, rows, 'web-01', u);
  webHost(h, rows, 'web-02', u);
  mailHost(h, rows);
  backupHost(h, rows);
  people(h, rows);
  for (const host of HOSTS) periodic(h, rows, host);
  const kept = injectHostIncidents(h, rows, u).filter((x) => x.ts < h.end);
  followRestarts(kept);
  return labelledSet(kept);
}

export const hostGenerator: Generator = {
  describe: 'Linux host syslog from five hosts over 6 night hours (RFC 3164 and 5424 as agents forward them): sshd with internet noise, sudo, cron, systemd timers, kernel, Postfix/Dovecot, a Go API, a nightly borg pull; incidents: new_error, rare_error, unusual_value, unseen_category, retry_storm, brute_force, silence (a host stops; the line after the gap), template_silence (a web host gets no requests)',
  generate: (seed) => generateHost(seed),
};
