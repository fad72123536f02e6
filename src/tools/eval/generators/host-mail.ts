// The `host` generator's mail host (see host.ts): Postfix and Dovecot on mail-01, as they log:
// inbound mail (smtpd, cleanup, qmgr, delivery to Dovecot over LMTP), staff submissions (SASL) and
// the web hosts' invoice mails relayed out (smtp to the recipients' MX; greylisting and a flaky
// partner MX give normal deferrals), RBL rejects and SASL guessing from the internet (normal), IMAP
// logins and logouts (phones idling for long, desktops over the VPN).
import type { Host, Row, Severity } from './host-lines.js';
import { MAILBOXES } from './host-lines.js';

const HOST = 'mail-01';
export const pf = (h: Host, ts: number, app: string, msg: string, kind?: string, sev: Severity = 'info'): Row =>
  h.log(ts, HOST, 'mail', sev, app, app === 'dovecot' ? undefined : app === 'postfix/qmgr' ? h.daemon(HOST, 'qmgr') : smtpdPid(h, app), msg, kind);
/** Postfix reuses a process for up to 100 sessions: a small pool of pids per service that changes slowly. */
function smtpdPid(h: Host, app: string): number {
  return h.r.chance(0.03) ? h.restart(HOST, `${app}#${h.r.int(0, 2)}`) : h.daemon(HOST, `${app}#${h.r.int(0, 2)}`);
}

interface Peer { name: string; ip: string }
const SENDERS: ((h: Host) => [Peer, string])[] = [
  (h) => [{ name: `mail-${h.r.pick(['wm1', 'wr1', 'ej1', 'lf1'])}-f${h.r.int(41, 199)}.google.com`, ip: `209.85.${h.r.int(128, 221)}.${h.r.int(1, 254)}` }, `${h.r.pick(['jan.k', 'maria.lopez', 'tom', 'kundenservice'])}@gmail.com`],
  (h) => [{ name: `mail-${h.r.pick(['db8eur05', 'am6eur02', 'vi1eur04'])}on20${h.r.int(600, 799)}.outbound.protection.outlook.com`, ip: `40.107.${h.r.int(0, 255)}.${h.r.int(1, 254)}` }, `${h.r.pick(['einkauf', 'buchhaltung', 'p.meyer'])}@${h.r.pick(['stadtwerke-nord.de', 'partner-bank.eu', 'hanse-cargo.de'])}`],
  (h) => [{ name: `mail${h.r.int(10, 250)}.sea${h.r.int(11, 99)}.mcsv.net`, ip: `198.2.${h.r.int(128, 191)}.${h.r.int(1, 254)}` }, `bounce-mc.us${h.r.int(1, 21)}_${h.r.int(1e6, 9e6)}@mail${h.r.int(10, 250)}.mcsv.net`],
  (h) => [{ name: `mail-${h.r.hex(4)}.github.com`, ip: `192.30.252.${h.r.int(190, 210)}` }, 'noreply@github.com'],
];
export const RECIPIENT_MX: Peer[] = [
  { name: 'gmail-smtp-in.l.google.com', ip: '142.250.102.27' }, { name: 'example-com.mail.protection.outlook.com', ip: '52.101.68.14' },
  { name: 'mx00.ionos.de', ip: '212.227.15.41' }, { name: 'mx.web.de', ip: '212.227.17.8' }, { name: 'mx1.hanse-cargo.de', ip: '81.2.194.70' },
];
export const FLAKY = RECIPIENT_MX[4];
const at = (h: Host): string => `${h.r.pick(MAILBOXES)}@example.org`;
const msgId = (h: Host, domain: string): string => `<${h.r.hex(16)}.${h.r.int(1e5, 9e5)}@${domain}>`;
const sid = (h: Host): string => Array.from({ length: 16 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[h.r.int(0, 63)]).join('');

/** Delivery to Dovecot over LMTP; `delay` s in the queue (0.1-0.6 s normally). */
export function lmtp(h: Host, ts: number, q: string, rcpt: string, delay: number, kind?: string): Row[] {
  const { r } = h;
  const d = [delay * 0.55, 0.01, delay * 0.15, delay * 0.29].map((x) => x.toFixed(2).replace(/^0\.00$/, '0'));
  const dsid = `${sid(h).slice(0, 6)}${r.hex(6)}AAAAp1C+Gg`;
  return [
    pf(h, ts - 20, 'dovecot', `lmtp(${rcpt})<${r.int(3000, 90_000)}><${dsid}>: msgid=${msgId(h, 'mail.gmail.com')}: saved mail to INBOX`, kind),
    pf(h, ts, 'postfix/lmtp', `${q}: to=<${rcpt}>, relay=mail-01[private/dovecot-lmtp], delay=${delay.toFixed(2)}, delays=${d.join('/')}, dsn=2.0.0, status=sent (250 2.0.0 <${rcpt}> ${dsid} Saved)`, kind),
    pf(h, ts + 2, 'postfix/qmgr', `${q}: removed`, kind),
  ];
}

export function inbound(h: Host, ts: number, kind?: string, lmtpKind = kind): Row[] {
  const { r } = h;
  const [peer, from] = r.pick(SENDERS)(h);
  const q = h.queueId(), rcpt = at(h), size = Math.round(h.around(12_000, 1));
  const delay = h.around(0.3, 0.35);
  return [
    pf(h, ts, 'postfix/smtpd', `connect from ${peer.name}[${peer.ip}]`, kind),
    pf(h, ts + 180, 'postfix/smtpd', `${q}: client=${peer.name}[${peer.ip}]`, kind),
    pf(h, ts + 260, 'postfix/cleanup', `${q}: message-id=${msgId(h, peer.name.split('.').slice(-2).join('.'))}`, kind),
    pf(h, ts + 270, 'postfix/qmgr', `${q}: from=<${from}>, size=${size}, nrcpt=1 (queue active)`, kind),
    pf(h, ts + 300, 'postfix/smtpd', `disconnect from ${peer.name}[${peer.ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`, kind),
    ...lmtp(h, ts + 270 + Math.round(delay * 1000), q, rcpt, delay, lmtpKind),
  ];
}

/** An outbound relay line from smtp; deferred lines say why. */
export function smtpOut(h: Host, ts: number, q: string, to: string, mx: { name: string; ip: string }, delay: number, outcome: 'sent' | 'greylist' | 'timeout', kind?: string): Row {
  const { r } = h;
  const d = `${(delay * 0.3).toFixed(2)}/0.01/${(delay * 0.4).toFixed(2)}/${(delay * 0.3).toFixed(2)}`;
  if (outcome === 'timeout') return pf(h, ts, 'postfix/smtp', `${q}: to=<${to}>, relay=none, delay=${delay.toFixed(0)}, delays=${(delay - 30).toFixed(0)}/0.01/30/0, dsn=4.4.1, status=deferred (connect to ${mx.name}[${mx.ip}]:25: Connection timed out)`, kind);
  if (outcome === 'greylist') return pf(h, ts, 'postfix/smtp', `${q}: to=<${to}>, relay=${mx.name}[${mx.ip}]:25, delay=${delay.toFixed(2)}, delays=${d}, dsn=4.7.1, status=deferred (host ${mx.name}[${mx.ip}] said: 450 4.7.1 <${to}>: Recipient address rejected: Greylisted, see https://postgrey.schweikert.ch/help/${to.split('@')[1]}.html (in reply to RCPT TO command))`, kind);
  return pf(h, ts, 'postfix/smtp', `${q}: to=<${to}>, relay=${mx.name}[${mx.ip}]:25, delay=${delay.toFixed(2)}, delays=${d}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${r.hex(10).toUpperCase()})`, kind);
}

const CUSTOMERS = ['buchhaltung', 'rechnung', 'office', 'info', 'finance', 'ap', 'kontakt'];
const DOMAINS = ['gmail.com', 'mueller-bau.de', 'kanzlei-weber.de', 'studio-nord.de', 'hanse-cargo.de', 'web.de', 'praxis-lehmann.de', 'bistro-elbe.de'];
/** An outbound mail: a staff submission or an invoice mail relayed for a web host; 8% greylisted, retried minutes later. */
export function outbound(h: Host, ts: number, app: boolean): Row[] {
  const { r } = h;
  const q = h.queueId();
  const web = r.int(1, 2);
  const client = app ? `web-0${web}.lan[10.0.1.${10 + web}]` : `unknown[${h.vpnIp()}]`;
  const svc = app ? 'postfix/smtpd' : 'postfix/submission/smtpd';
  const from = app ? 'billing@example.org' : at(h);
  const domain = r.pick(DOMAINS);
  const to = `${r.pick(CUSTOMERS)}@${domain}`;
  const mx = domain === 'hanse-cargo.de' ? FLAKY : domain === 'gmail.com' ? RECIPIENT_MX[0] : domain === 'web.de' ? RECIPIENT_MX[3] : r.pick(RECIPIENT_MX.slice(1, 3));
  const rows = [
    pf(h, ts, svc, `connect from ${client}`),
    pf(h, ts + 120, svc, app ? `${q}: client=${client}` : `${q}: client=${client}, sasl_method=PLAIN, sasl_username=${from}`),
    pf(h, ts + 200, 'postfix/cleanup', `${q}: message-id=${msgId(h, 'example.org')}`),
    pf(h, ts + 210, 'postfix/qmgr', `${q}: from=<${from}>, size=${Math.round(h.around(app ? 48_000 : 20_000, 0.6))}, nrcpt=1 (queue active)`),
    pf(h, ts + 240, svc, `disconnect from ${client} ehlo=${app ? 1 : 2}${app ? '' : ' starttls=1 auth=1'} mail=1 rcpt=1 data=1 quit=1 commands=${app ? 5 : 8}`),
  ];
  let t = ts + 210 + Math.round(h.around(900, 0.5));
  const flaky = mx === FLAKY && r.chance(0.25);
  if (flaky || r.chance(0.08)) {
    rows.push(smtpOut(h, t + (flaky ? 30_000 : 0), q, to, mx, flaky ? 30 + r.next() : h.around(0.9), flaky ? 'timeout' : 'greylist'));
    t += r.int(300_000, 1_200_000);
  }
  rows.push(smtpOut(h, t, q, to, mx, (t - ts) / 1000, 'sent'));
  rows.push(pf(h, t + 2, 'postfix/qmgr', `${q}: removed`));
  return rows;
}

/** Internet background on mail-01: RBL rejects and SASL password guessing (normal, flat all night). */
function background(h: Host, rows: Row[]): void {
  const { r } = h;
  for (const ts of h.arrivals(1 / 300, true)) {
    const ip = h.publicIp();
    rows.push(pf(h, ts, 'postfix/smtpd', `connect from unknown[${ip}]`));
    rows.push(pf(h, ts + 900, 'postfix/smtpd', `NOQUEUE: reject: RCPT from unknown[${ip}]: 554 5.7.1 Service unavailable; Client host [${ip}] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/${ip}; from=<${r.hex(8)}@${r.pick(['mail.ru', 'qq.com', 'outlook.com', 'yahoo.co.jp'])}> to=<${at(h)}> proto=ESMTP helo=<${r.pick(['User', 'localhost', `[${ip}]`, `${r.hex(6)}.com`])}>`));
    rows.push(pf(h, ts + 1100, 'postfix/smtpd', `disconnect from unknown[${ip}] ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4`));
  }
  for (const ts of h.arrivals(1 / 240, true)) {
    const ip = h.publicIp();
    rows.push(pf(h, ts, 'postfix/submission/smtpd', `connect from unknown[${ip}]`));
    rows.push(pf(h, ts + 2400, 'postfix/submission/smtpd', `warning: unknown[${ip}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`, undefined, 'warning'));
    rows.push(pf(h, ts + 2500, 'postfix/submission/smtpd', `lost connection after AUTH from unknown[${ip}]`));
    rows.push(pf(h, ts + 2500, 'postfix/submission/smtpd', `disconnect from unknown[${ip}] ehlo=1 auth=0/1 rset=1 commands=2/3`));
  }
  for (const ts of h.arrivals(1 / 600, true)) rows.push(pf(h, ts, 'dovecot', `imap-login: Disconnected: Connection closed (auth failed, ${r.int(1, 3)} attempts in ${r.int(2, 14)} secs): user=<${r.pick(['info', 'admin', 'test', 'office', 'sales'])}@example.org>, method=PLAIN, rip=${h.publicIp()}, lip=10.0.1.20, TLS, session=<${sid(h)}>`));
}

/** IMAP sessions: phones (public addresses, long IDLE) and desktops on the VPN. */
function imap(h: Host, rows: Row[]): void {
  const { r } = h;
  for (const ts of h.arrivals(1 / 30)) {
    const user = at(h), phone = r.chance(0.6), rip = phone ? h.publicIp() : h.vpnIp(), mpid = h.pid(HOST), s = sid(h);
    rows.push(pf(h, ts, 'dovecot', `imap-login: Login: user=<${user}>, method=PLAIN, rip=${rip}, lip=10.0.1.20, mpid=${mpid}, TLS, session=<${s}>`));
    const secs = phone ? h.around(1500, 0.5) : h.around(200, 1);
    const out = ts + Math.round(secs * 1000);
    if (out >= h.end) continue;
    const traffic = `in=${r.int(40, 4000)} out=${Math.round(h.around(9000, 1.2))} deleted=${r.int(0, 1) * r.int(0, 3)} expunged=0 trashed=0 hdr_count=0 hdr_bytes=0 body_count=${r.int(0, 4)} body_bytes=${r.int(0, 90_000)}`;
    rows.push(pf(h, out, 'dovecot', phone
      ? `imap(${user})<${mpid}><${s}>: Disconnected: Connection closed (IDLE running for 0.001 + waiting input for ${secs.toFixed(3)} secs, 2 B in + 10 B out, state=wait-input) ${traffic}`
      : `imap(${user})<${mpid}><${s}>: Disconnected: Logged out ${traffic}`));
  }
}

/** mail-01's mail: inbound, staff submissions, invoice mails relayed for the web hosts, background. */
export function mailHost(h: Host, rows: Row[]): void {
  for (const ts of h.arrivals(1 / 60)) rows.push(...inbound(h, ts));
  for (const ts of h.arrivals(1 / 400)) rows.push(...outbound(h, ts, false));
  for (const ts of h.arrivals(1 / 150)) rows.push(...outbound(h, ts, true));
  background(h, rows);
  imap(h, rows);
}
