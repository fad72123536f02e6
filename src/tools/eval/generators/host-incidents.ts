// The `host` generator's labelled incidents (see host.ts), all after a 30-minute warm-up and none in
// the last 3 minutes, 90 s apart, none in or near web-02's silence or web-01's quiet spell:
//   new_error         4 never-seen error episodes in their host's format: the OOM killer taking
//                     invoiced (kernel and systemd lines, the restart), a kernel soft lockup with
//                     its register dump, ext4 errors remounting the backup disk read-only, a
//                     Postfix fatal on a missing lookup table, Dovecot's process limit, a Go panic
//                     (its stack on stderr lines), sshd's too many authentication failures
//   rare_error        one error recurring all run long: a disk read error on backup-01 (even seeds,
//                     kernel I/O and buffer errors) or an NFS timeout on a web host (odd seeds): 3
//                     lone occurrences anywhere, one long burst (60-120 lines over 1-3 minutes) in
//                     the first half, then 6 lone occurrences after it
//   unusual_value     4 known lines with an unusual value: a 503 on /api/v1/me (which never fails;
//                     payments see 502s), 30-60× the latency of an invoice fetch (the export route
//                     takes seconds), the sweeper using 40× its CPU (its result and systemd's end
//                     lines), an LMTP delivery 30-100× its delay, 40× the bytes of /api/v1/me
//   unseen_category   4 values never seen in a low-cardinality slot: sudo to a target user other
//                     than root, sudo by the app's user, an ssh login by password (keys only
//                     otherwise), a payment in a new currency, a cron job of www-data
//   retry_storm       2 bursts of a normal but infrequent line: Postfix deferrals to the flaky
//                     partner MX (30-80 in 10-60 s: its queue flushed) or invoiced's PSP retries
//                     (40-120 in 20-90 s)
//   brute_force       one source trying 80-200 user names on the bastion's sshd in 1-3 minutes
//                     (the lines of normal scanners, who try 1-4), a few past MaxStartups
//   silence           web-02 sends nothing for 15-30 minutes; its first line after the gap
//   template_silence  web-01 out of the balancer for 20-40 minutes (no requests, cron and timers go
//                     on); its first line 5 minutes into the quiet spell
import { cronJob, scanner, sshSession, sudo, KEYS, BASTION_IP } from './host-daemons.js';
import { ADMINS, type Host, type HostName, type Row } from './host-lines.js';
import { FLAKY, inbound, pf, smtpOut } from './host-mail.js';
import { appLine, NEW_CURRENCIES, pspRetry, request, ROUTES, sweeper, type Users } from './host-web.js';

type Maker = (h: Host, ts: number, rows: Row[]) => void;
const web = (h: Host): HostName => h.r.pick(['web-01', 'web-02'] as HostName[]);
const kern = (h: Host, rows: Row[], ts: number, host: HostName, sev: 'emerg' | 'alert' | 'crit' | 'err' | 'warning' | 'info', lines: string[], kind: string): void => {
  lines.forEach((l, j) => rows.push(h.log(ts + j, host, 'kern', sev, 'kernel', undefined, l, kind)));
};
const sysd = (h: Host, rows: Row[], ts: number, host: HostName, lines: string[], kind: string): void => {
  lines.forEach((l, j) => rows.push(h.log(ts + j, host, 'daemon', j === 0 ? 'notice' : 'warning', 'systemd', 1, l, kind)));
};

const NEW_ERRORS: Maker[] = [
  (h, ts, rows) => {
    const host = web(h), r = h.r, pid = h.daemon(host, 'invoiced');
    kern(h, rows, ts, host, 'warning', [`invoiced invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=0`, `oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/invoiced.service,task=invoiced,pid=${pid},uid=998`], 'new_error');
    kern(h, rows, ts + 5, host, 'err', [`Out of memory: Killed process ${pid} (invoiced) total-vm:${r.int(2_400_000, 3_900_000)}kB, anon-rss:${r.int(1_700_000, 1_950_000)}kB, file-rss:${r.int(0, 900)}kB, shmem-rss:0kB, UID:998 pgtables:${r.int(3800, 4400)}kB oom_score_adj:0`], 'new_error');
    sysd(h, rows, ts + 40, host, ['invoiced.service: A process of this unit has been killed by the OOM killer.', 'invoiced.service: Main process exited, code=killed, status=9/KILL', "invoiced.service: Failed with result 'oom-kill'.", 'invoiced.service: Scheduled restart job, restart counter is at 1.'], 'new_error');
    rows.push(h.log(ts + 150, host, 'daemon', 'info', 'systemd', 1, 'Started invoiced.service - Invoice API.', 'new_error'));
    h.restart(host, 'invoiced');
    rows.push(appLine(h, ts + 400, host, 'INFO', 'starting', `version=v2.${r.int(10, 30)}.${r.int(0, 9)} commit=${r.hex(7)} go=go1.23.4`, 'new_error'));
  },
  (h, ts, rows) => {
    const host = h.r.pick(['web-01', 'web-02', 'mail-01', 'backup-01', 'bastion-01'] as HostName[]), cpu = h.r.int(0, 3), pid = h.pid(host), comm = `kworker/${cpu}:${h.r.int(0, 2)}`;
    kern(h, rows, ts, host, 'emerg', [`watchdog: BUG: soft lockup - CPU#${cpu} stuck for ${h.r.int(22, 27)}s! [${comm}:${pid}]`], 'new_error');
    kern(h, rows, ts + 1, host, 'warning', ['Modules linked in: nft_chain_nat xt_MASQUERADE nf_nat nf_conntrack_netlink xfrm_user br_netfilter bridge stp llc overlay binfmt_misc ext4 crc16 mbcache jbd2 virtio_net virtio_blk', `CPU: ${cpu} PID: ${pid} Comm: ${comm} Not tainted 6.1.0-28-amd64 #1  Debian 6.1.119-1`, 'Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014', `RIP: 0010:_raw_spin_unlock_irqrestore+0x${h.r.int(16, 40).toString(16)}/0x40`], 'new_error');
  },
  (h, ts, rows) => {
    kern(h, rows, ts, 'backup-01', 'crit', [`EXT4-fs error (device sdb1): ext4_find_entry:1663: inode #${h.r.int(2, 900_000)}: comm borg: reading directory lblock 0`, 'Aborting journal on device sdb1-8.', 'EXT4-fs (sdb1): Remounting filesystem read-only'], 'new_error');
    rows.push(h.log(ts + 900, 'backup-01', 'user', 'err', 'borg-pull', h.pid('backup-01'), "web-01: borg create failed: [Errno 30] Read-only file system: '/srv/borg/web-01/lock.exclusive'", 'new_error'));
  },
  (h, ts, rows) => {
    const p = h.pid('mail-01');
    rows.push(pf(h, ts, 'postfix/smtpd', 'fatal: open database /etc/postfix/sender_access.db: No such file or directory', 'new_error', 'crit'));
    rows.push(h.log(ts + 2, 'mail-01', 'mail', 'warning', 'postfix/master', h.daemon('mail-01', 'master'), `warning: process /usr/lib/postfix/sbin/smtpd pid ${p} exit status 1`, 'new_error'));
    rows.push(h.log(ts + 3, 'mail-01', 'mail', 'warning', 'postfix/master', h.daemon('mail-01', 'master'), 'warning: /usr/lib/postfix/sbin/smtpd: bad command startup -- throttling', 'new_error'));
  },
  (h, ts, rows) => {
    rows.push(pf(h, ts, 'dovecot', 'master: Warning: service(imap-login): process_limit (100) reached, client connections are being dropped', 'new_error', 'warning'));
    rows.push(pf(h, ts + 30, 'dovecot', 'master: Error: service(imap): command startup failed, throttling for 2.000 secs', 'new_error', 'err'));
  },
  (h, ts, rows) => {
    const host = web(h), r = h.r;
    const stderr = ['panic: runtime error: invalid memory address or nil pointer dereference', `[signal SIGSEGV: segmentation violation code=0x1 addr=0x28 pc=0x${r.hex(6)}]`, `goroutine ${r.int(1000, 90_000)} [running]:`, `github.com/acme/invoiced/internal/payments.(*Client).Capture(0x0, {0xb1c2e0, 0xc000${r.hex(6)}}, 0xc000${r.hex(6)})`, '\t/src/internal/payments/client.go:142 +0x52'];
    stderr.forEach((l, j) => rows.push(h.log(ts + j, host, 'local0', 'info', 'invoiced', h.daemon(host, 'invoiced'), l, 'new_error')));
    sysd(h, rows, ts + 20, host, ['invoiced.service: Main process exited, code=exited, status=2/INVALIDARGUMENT', "invoiced.service: Failed with result 'exit-code'.", 'invoiced.service: Scheduled restart job, restart counter is at 1.'], 'new_error');
    rows.push(h.log(ts + 130, host, 'daemon', 'info', 'systemd', 1, 'Started invoiced.service - Invoice API.', 'new_error'));
    h.restart(host, 'invoiced');
    rows.push(appLine(h, ts + 380, host, 'INFO', 'starting', `version=v2.${r.int(10, 30)}.${r.int(0, 9)} commit=${r.hex(7)} go=go1.23.4`, 'new_error'));
  },
  (h, ts, rows) => {
    const pid = h.pid('bastion-01'), ip = h.publicIp(), port = h.r.int(1024, 65535);
    rows.push(h.log(ts, 'bastion-01', 'auth', 'err', 'sshd', pid, `error: maximum authentication attempts exceeded for root from ${ip} port ${port} ssh2 [preauth]`, 'new_error'));
    rows.push(h.log(ts + 1, 'bastion-01', 'auth', 'info', 'sshd', pid, `Disconnecting authenticating user root ${ip} port ${port}: Too many authentication failures [preauth]`, 'new_error'));
  },
];

/** One occurrence of the seed's rare error on `host`. */
function rareError(h: Host, rows: Row[], ts: number, host: HostName): void {
  if (h.seed % 2 === 0) {
    const sector = h.r.int(1_000_000, 3_900_000_000);
    kern(h, rows, ts, 'backup-01', 'err', [`I/O error, dev sdb, sector ${sector} op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2`, `Buffer I/O error on dev sdb1, logical block ${Math.floor(sector / 8)}, async page read`], 'rare_error');
  } else kern(h, rows, ts, host, 'warning', ['nfs: server nas-01.lan not responding, timed out'], 'rare_error');
}

type WithUsers = (h: Host, ts: number, rows: Row[], u: Users) => void;
const UNUSUAL: WithUsers[] = [
  (h, ts, rows, u) => { rows.push(...request(h, u, ts, web(h), 3, { status: 503, kind: 'unusual_value' })); },
  (h, ts, rows, u) => { rows.push(...request(h, u, ts, web(h), 0, { ms: ROUTES[0].ms * (30 + h.r.next() * 30), kind: 'unusual_value' })); },
  (h, ts, rows) => { sweeper(h, rows, web(h), ts, 40 * h.around(1.3, 0.1), 'unusual_value'); },
  (h, ts, rows) => { const all = inbound(h, ts); rows.push(...all.slice(0, 5)); const q = /([0-9A-F]{10,11}): client=/.exec(String(all[1].ev.data))?.[1] ?? 'X'; rows.push(...lmtpSlow(h, ts, q)); },
  (h, ts, rows, u) => { rows.push(...request(h, u, ts, web(h), 3, { bytes: Math.round(40 * h.around(ROUTES[3].bytes, 0.1)), kind: 'unusual_value' })); },
];
function lmtpSlow(h: Host, ts: number, q: string): Row[] {
  const delay = h.around(0.3, 0.2) * (30 + h.r.next() * 70);
  const rcpt = 'billing@example.org';
  return [
    pf(h, ts + Math.round(delay * 1000) - 20, 'dovecot', `lmtp(${rcpt})<${h.r.int(3000, 90_000)}><${h.r.hex(6)}AAAAp1C+Gg>: msgid=<${h.r.hex(16)}@mail.gmail.com>: saved mail to INBOX`, 'unusual_value'),
    pf(h, ts + Math.round(delay * 1000), 'postfix/lmtp', `${q}: to=<${rcpt}>, relay=mail-01[private/dovecot-lmtp], delay=${delay.toFixed(2)}, delays=${(delay * 0.05).toFixed(2)}/0.01/0.02/${(delay * 0.94).toFixed(2)}, dsn=2.0.0, status=sent (250 2.0.0 <${rcpt}> ${h.r.hex(6)}AAAAp1C+Gg Saved)`, 'unusual_value'),
    pf(h, ts + Math.round(delay * 1000) + 2, 'postfix/qmgr', `${q}: removed`, 'unusual_value'),
  ];
}

const UNSEEN: WithUsers[] = [
  (h, ts, rows) => { const a = h.r.pick(ADMINS), host = h.r.pick(['web-01', 'mail-01'] as HostName[]); sudo(h, rows, host, ts, a.user, a.uid, 'pts/1', `/home/${a.user}`, h.r.pick(['/usr/bin/psql', '/usr/bin/bash', '/usr/bin/ls -la /var/lib/postgresql']), h.r.pick(['postgres', 'www-data']), 'unseen_category', 60); },
  (h, ts, rows) => { sudo(h, rows, web(h), ts, 'invoiced', 998, 'unknown', '/opt/invoiced', h.r.pick(['/usr/bin/systemctl reload nginx', '/usr/bin/cat /etc/shadow', '/usr/bin/bash -c id']), 'root', 'unseen_category', 50); },
  (h, ts, rows) => { const a = h.r.pick(ADMINS); sshSession(h, rows, h.r.pick(['web-01', 'web-02', 'mail-01'] as HostName[]), ts, { user: a.user, uid: a.uid, from: BASTION_IP, key: KEYS[a.user], method: 'password' }, 60_000 + h.r.exp(600_000), undefined, 'unseen_category'); },
  (h, ts, rows, u) => { rows.push(...request(h, u, ts, web(h), 4, { status: 200, currency: h.r.pick(NEW_CURRENCIES), kind: 'unseen_category' })); },
  (h, ts, rows) => { cronJob(h, rows, web(h), ts, 'www-data', 33, h.r.pick(['/var/www/.cache/.x/update.sh >/dev/null 2>&1', '/tmp/.ICE-unix/kworker -c /tmp/.ICE-unix/.cfg']), 0.1, 'unseen_category'); },
];

function storm(h: Host, rows: Row[], ts: number, mail: boolean): void {
  const { r } = h;
  const n = mail ? r.int(30, 80) : r.int(40, 120), span = mail ? r.int(10_000, 60_000) : r.int(20_000, 90_000);
  const host = web(h);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 40);
    rows.push(mail ? smtpOut(h, t, h.queueId(), `${r.pick(['einkauf', 'buchhaltung', 'p.meyer', 'dispo', 'lager'])}@hanse-cargo.de`, FLAKY, r.int(300, 40_000) + r.next(), 'timeout', 'retry_storm') : pspRetry(h, t, host, 'retry_storm'));
  }
}

function bruteForce(h: Host, rows: Row[], ts: number): void {
  const { r } = h;
  const ip = h.publicIp(), tries = r.int(80, 200), span = r.int(60_000, 180_000);
  scanner(h, rows, ts, ip, tries, span, 'brute_force');
  for (let k = r.int(0, 3); k > 0; k--) rows.push(h.log(ts + r.int(0, span), 'bastion-01', 'auth', 'info', 'sshd', h.daemon('bastion-01', 'sshd'), `drop connection #${r.int(10, 30)} from [${ip}]:${r.int(1024, 65535)} on [10.0.1.5]:22 past MaxStartups`, 'brute_force'));
}

/** Every kind at random times after the warm-up; then the silences cut out (the lines after them labelled). */
export function injectHostIncidents(h: Host, rows: Row[], u: Users): Row[] {
  const { r } = h;
  const used: { from: number; to: number }[] = [h.silence, h.quiet].map((w) => ({ from: w.from - 120_000, to: w.to + 120_000 }));
  /** A start in [lo, hi) whose run of `len` ms keeps 90 s from every run placed and from the silences. */
  const at = (len = 0, lo = h.t0 + 1_800_000, hi = h.end - 180_000 - len): number => {
    let t = 0;
    for (let tries = 0; tries < 400; tries++) {
      t = lo + Math.floor(r.next() * (hi - lo));
      if (used.every((w) => t + len + 90_000 <= w.from || t >= w.to + 90_000)) break;
    }
    used.push({ from: t, to: t + len });
    return t;
  };
  for (let k = 0; k < 4; k++) NEW_ERRORS[(h.seed * 4 + k) % NEW_ERRORS.length](h, at(2000), rows);
  const rareHost = web(h), mid = h.t0 + (h.end - h.t0) / 2;
  for (let k = 0; k < 3; k++) rareError(h, rows, at(), rareHost);
  const n = r.int(60, 120), span = r.int(60_000, 180_000), burst = at(span, h.t0 + 1_800_000, mid);
  for (let j = 0; j < n; j++) rareError(h, rows, burst + Math.round((j * span) / n), rareHost);
  for (let k = 0; k < 6; k++) rareError(h, rows, at(0, burst + span + 120_000), rareHost);
  for (let k = 0; k < 4; k++) UNUSUAL[(h.seed + k) % UNUSUAL.length](h, at(120_000), rows, u);
  for (let k = 0; k < 4; k++) UNSEEN[(h.seed + k) % UNSEEN.length](h, at(1000), rows, u);
  for (let k = 0; k < 2; k++) storm(h, rows, at(90_000), (h.seed + k) % 2 === 0);
  bruteForce(h, rows, at(180_000));
  const kept = rows.filter((x) => !(x.ev.stream === h.silence.stream && x.ts >= h.silence.from && x.ts < h.silence.to));
  const first = (stream: string, from: number): Row | undefined => {
    let best: Row | undefined;
    for (const x of kept) if (x.ev.stream === stream && x.ts >= from && x.kind === undefined && (best === undefined || x.ts < best.ts)) best = x;
    return best;
  };
  const s = first(h.silence.stream, h.silence.to);
  if (s !== undefined) s.kind = 'silence';
  const q = first('syslog/web-01', h.quiet.from + 300_000);
  if (q !== undefined) q.kind = 'template_silence';
  return kept;
}
