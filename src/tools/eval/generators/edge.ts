// Generator `edge`: a company's network edge and security boxes, a style written without reading
// the detector (issue 11: does detection hold up on a style nobody tuned on?).
//
//   seed ─► world() (edge-lines.ts) ─► 8 hours of event time from midnight: a night trough near
//   │       03:30 and a morning ramp to the peak at 08:00 (diurnal()), six streams in five formats:
//   │         fw/netfilter  the gateway's kernel LOG lines via syslog (FW-DROP-WAN: internet
//   │                       background noise, 1-4 knocks per source on common ports, flat all night;
//   │                       FW-DROP-LAN: a laptop trying port 25 or 53 out), ~0.5/s
//   │         dns/unbound   unbound's log-replies: internal names from local-data, external names
//   │                       cached or not, a far zone that is normally slow, NXDOMAIN for search
//   │                       suffixes and wpad; a monitoring host's check of 12 names every 5
//   │                       minutes (a normal burst), ~0.7/s
//   │         mail/postfix  Postfix: inbound mail through postscreen and smtpd to LMTP, outbound
//   │                       submission to partners, greylisting and a flaky MX (normal deferrals),
//   │                       spam bots rejected; the nightly backup's 25-40 report mails at 02:00
//   │                       (a normal burst)
//   │         vpn/openvpn   OpenVPN sessions (TLS, auth, cipher, pool address, exit), an
//   │                       occasional ping-restart; the morning login wave
//   │         waf/edge      a Cloudflare-like JSON record per request to five hosts, with managed
//   │                       rules blocking or challenging scanners (normal)
//   │         dhcp/dhcpd    ISC dhcpd: new leases (DISCOVER/OFFER/REQUEST/ACK) and renewals on
//   │                       three LAN interfaces
//   │       benign novelty on normal lines: fresh IPs, ports, queue ids, message ids, users, MACs,
//   │       host names, CDN names, byte counts
//   └─► incidents after a 20-minute warm-up (edge-incidents.ts): new_error, rare_error, retry_storm,
//       unseen_category, unusual_value, scan (a port scan: one source, 40-160 ports in seconds)
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { COUNTRIES, dropLine, EXTERNAL, INTERNAL, KNOCKED, replyLine, SLOW_ZONE, WAF_ROUTES, wafLine, world, type Edge, type Row } from './edge-lines.js';
import { injectEdgeIncidents } from './edge-incidents.js';

export const EDGE_KINDS = ['new_error', 'rare_error', 'retry_storm', 'unseen_category', 'unusual_value', 'scan'] as const;
export const CIPHERS = ['AES-256-GCM', 'AES-256-GCM', 'AES-256-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'];
export const NEW_CIPHERS = ['BF-CBC', 'AES-128-CBC', 'DES-EDE3-CBC'];
export const DHCP_IFACES = ['eth1', 'eth1', 'eth1', 'eth2', 'eth3'];
export const PARTNERS = ['hanse-logistik.de', 'partner-bank.eu', 'kanzlei-weber.de', 'gmail.com', 'outlook.com', 'supplier-nord.nl', 'slowcorp.de', 'agentur-blau.de'];
const SENDERS = ['gmail.com', 'outlook.com', 'web.de', 'gmx.net', 'partner-bank.eu', 'hanse-logistik.de', 'newsletter.saas-tool.io', 'notifications.github.com'];
export const FLAKY_MX = 'mx1.hanse-logistik.de';
const RULES: [string, string][] = [['100015', 'WordPress login brute force'], ['100173', 'PHP path traversal'], ['942100', 'SQL Injection Attack Detected via libinjection'], ['913100', 'Found User-Agent associated with security scanner'], ['930120', 'OS File Access Attempt']];

const spid = (e: Edge): number => e.pid();

function firewall(e: Edge, rows: Row[]): void {
  const { r } = e;
  for (const t of e.arrivals(0.18, true)) {
    const src = e.publicIp();
    let ts = t;
    for (let k = r.int(1, 4); k > 0; k--) {
      const dpt = r.chance(0.8) ? KNOCKED[Math.min(KNOCKED.length - 1, Math.floor(r.exp(5)))] : r.int(1, 65_535);
      rows.push(e.row(ts, 'fw/netfilter', dropLine(e, ts, src, dpt)));
      ts += r.int(200, 9000);
    }
  }
  for (const ts of e.arrivals(0.02)) {
    const dpt = r.pick([25, 25, 53, 853, 6881]);
    rows.push(e.row(ts, 'fw/netfilter', e.bsd(ts, 'gw01', 'kernel', `[${e.uptime(ts)}] FW-DROP-LAN: IN=eth1 OUT=eth0 MAC=00:16:3e:4a:10:02:${e.mac()}:08:00 SRC=${e.lanIp()} DST=${e.publicIp()} LEN=60 TOS=0x00 PREC=0x00 TTL=63 ID=${r.int(1, 65_535)} DF PROTO=${dpt === 53 || dpt === 6881 ? 'UDP' : 'TCP'} SPT=${r.int(32_768, 60_999)} DPT=${dpt} ${dpt === 53 || dpt === 6881 ? `LEN=${r.int(30, 90)}` : 'WINDOW=64240 RES=0x00 SYN URGP=0'}`)));
  }
}

/** One normal query's reply (internal names answered locally, external cached or not). */
export function dnsReply(e: Edge, ts: number, client = e.lanIp()): string {
  const { r } = e;
  const k = r.next();
  const type = r.pick(['A', 'A', 'A', 'AAAA', 'AAAA', 'HTTPS']);
  if (k < 0.25) return replyLine(e, ts, client, r.pick(INTERNAL), type === 'HTTPS' ? 'A' : type, type === 'AAAA' ? 'NOERROR' : 'NOERROR', 0, true);
  if (k < 0.3) return replyLine(e, ts, client, r.pick(['wpad.corp.example.', `${e.word()}.corp.example.corp.example.`, `_ldap._tcp.${r.pick(['dc1', 'site-b'])}._sites.corp.example.`]), r.pick(['A', 'SRV']), 'NXDOMAIN', 0, true);
  if (k < 0.32) return replyLine(e, ts, client, SLOW_ZONE, 'A', 'NOERROR', e.around(1.2, 0.3), false);
  const name = k < 0.42 ? `${r.pick(['d', 'e', ''])}${r.hex(r.int(8, 13))}.${r.pick(['cloudfront.net.', 'akamaized.net.', 'fastly.net.', 'azureedge.net.'])}` : r.pick(EXTERNAL);
  const cached = r.chance(0.6);
  return replyLine(e, ts, client, name, type, 'NOERROR', cached ? 0 : e.around(0.03, 0.6), cached);
}

function dns(e: Edge, rows: Row[]): void {
  const { r } = e;
  for (const ts of e.arrivals(1.1)) rows.push(e.row(ts, 'dns/unbound', dnsReply(e, ts)));
  const checks = [...INTERNAL.slice(0, 6), ...EXTERNAL.slice(0, 6)];
  for (let ts = e.t0 + r.int(0, 299_999); ts < e.end; ts += 300_000) {
    checks.forEach((name, k) => { const t = ts + k * r.int(5, 40); rows.push(e.row(t, 'dns/unbound', replyLine(e, t, '10.20.0.5', name, 'A', 'NOERROR', 0, true))); });
  }
  for (let ts = e.t0 + r.int(0, 3_600_000); ts < e.end; ts += r.int(2_400_000, 4_800_000)) {
    rows.push(e.row(ts, 'dns/unbound', e.bsd(ts, 'ns1', 'unbound', `[1187:0] info: ${r.pick(['generate keytag query _ta-4f66. NULL IN', 'validation success . DNSKEY IN'])}`)));
  }
}

/** A Postfix line from mx1. */
export const pf = (e: Edge, ts: number, daemon: string, pid: number | string, msg: string): string => e.bsd(ts, 'mx1', `postfix/${daemon}[${pid}]`, msg);
const msgId = (e: Edge, domain: string): string => `<${e.r.hex(16)}.${e.r.int(1000, 99_999)}@${domain}>`;

/** Delivery to a staff mailbox over LMTP (`delay` in seconds; normally ~0.3). */
export const lmtpLine = (e: Edge, ts: number, qid: string, user: string, delay: number): string => {
  const a = (delay * 0.7).toFixed(2), d = (delay * 0.3 - 0.02).toFixed(2);
  return pf(e, ts, 'lmtp', e.pid(), `${qid}: to=<${user}@corp.example>, relay=mail.corp.example[private/dovecot-lmtp], delay=${delay.toFixed(2)}, delays=${a}/0.01/0.01/${d}, dsn=2.0.0, status=sent (250 2.0.0 <${user}@corp.example> ${e.r.hex(8)}${e.r.hex(8)}: Saved)`);
};
/** A deferral to the flaky partner MX (normally a few an hour). */
export const flakyLines = (e: Edge, ts: number, qid: string): string[] => {
  const ip = e.publicIp();
  return [
    pf(e, ts, 'smtp', e.pid(), `connect to ${FLAKY_MX}[${ip}]:25: Connection timed out`),
    pf(e, ts, 'smtp', e.pid(), `${qid}: to=<${e.user().replace('.', '')}@hanse-logistik.de>, relay=none, delay=${e.r.int(30, 900)}, delays=${e.r.int(0, 870)}/0.01/30/0, dsn=4.4.1, status=deferred (connect to ${FLAKY_MX}[${ip}]:25: Connection timed out)`),
  ];
};

function inbound(e: Edge, rows: Row[], t: number): void {
  const { r } = e;
  const ip = e.publicIp(), port = r.int(1024, 65_535), pid = spid(e), qid = e.queueId(), from = r.pick(SENDERS);
  const host = `mail-${e.word()}${r.int(1, 99)}.${from}`;
  const user = e.user();
  const push = (dt: number, l: (ts: number) => string): void => { rows.push(e.row(t + dt, 'mail/postfix', l(t + dt))); };
  push(0, (ts) => pf(e, ts, 'postscreen', 1190, `CONNECT from [${ip}]:${port} to [10.0.0.25]:25`));
  push(1, (ts) => pf(e, ts, 'postscreen', 1190, `PASS OLD [${ip}]:${port}`));
  push(2, (ts) => pf(e, ts, 'smtpd', pid, `connect from ${host}[${ip}]`));
  push(300, (ts) => pf(e, ts, 'smtpd', pid, `${qid}: client=${host}[${ip}]`));
  push(420, (ts) => pf(e, ts, 'cleanup', e.pid(), `${qid}: message-id=${msgId(e, from)}`));
  push(450, (ts) => pf(e, ts, 'qmgr', 1187, `${qid}: from=<${e.word()}@${from}>, size=${Math.round(e.around(18_000, 0.9))}, nrcpt=1 (queue active)`));
  push(470, (ts) => pf(e, ts, 'smtpd', pid, `disconnect from ${host}[${ip}] ehlo=2 starttls=1 mail=1 rcpt=1 data=1 quit=1 commands=7`));
  const delay = e.around(0.3, 0.4);
  push(470 + Math.round(delay * 1000), (ts) => lmtpLine(e, ts, qid, user, delay));
  push(480 + Math.round(delay * 1000), (ts) => pf(e, ts, 'qmgr', 1187, `${qid}: removed`));
}

function outbound(e: Edge, rows: Row[], t: number): void {
  const { r } = e;
  const pid = spid(e), qid = e.queueId(), user = e.user(), lan = e.lanIp(), to = r.pick(PARTNERS);
  const push = (dt: number, l: (ts: number) => string): void => { rows.push(e.row(t + dt, 'mail/postfix', l(t + dt))); };
  push(0, (ts) => pf(e, ts, 'submission/smtpd', pid, `connect from unknown[${lan}]`));
  push(200, (ts) => pf(e, ts, 'submission/smtpd', pid, `${qid}: client=unknown[${lan}], sasl_method=PLAIN, sasl_username=${user}`));
  push(260, (ts) => pf(e, ts, 'cleanup', e.pid(), `${qid}: message-id=${msgId(e, 'corp.example')}`));
  push(280, (ts) => pf(e, ts, 'qmgr', 1187, `${qid}: from=<${user}@corp.example>, size=${Math.round(e.around(25_000, 1.1))}, nrcpt=${r.pick([1, 1, 1, 2, 3])} (queue active)`));
  push(300, (ts) => pf(e, ts, 'submission/smtpd', pid, `disconnect from unknown[${lan}] ehlo=2 starttls=1 auth=1 mail=1 rcpt=1 data=1 quit=1 commands=8`));
  const k = r.next();
  if (to === 'slowcorp.de' && k < 0.5) {
    const ip = e.publicIp();
    push(900, (ts) => pf(e, ts, 'smtp', e.pid(), `${qid}: to=<${e.word()}@slowcorp.de>, relay=mx.slowcorp.de[${ip}]:25, delay=0.9, delays=0.3/0.01/0.2/0.4, dsn=4.2.0, status=deferred (host mx.slowcorp.de[${ip}] said: 450 4.2.0 <${e.word()}@slowcorp.de>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/slowcorp.de.html (in reply to RCPT TO command))`));
    return;
  }
  if (to === 'hanse-logistik.de' && k < 0.12) { flakyLines(e, t + 30_000, qid).forEach((l, j) => push(30_000 + j, () => l)); return; }
  const mx = `${r.pick(['mx', 'mx1', 'mail', 'smtp-in'])}.${to}`;
  const d = e.around(0.9, 0.5);
  push(300 + Math.round(d * 1000), (ts) => pf(e, ts, 'smtp', e.pid(), `${qid}: to=<${e.word()}@${to}>, relay=${mx}[${e.publicIp()}]:25, delay=${d.toFixed(1)}, delays=0.05/0.01/${(d * 0.4).toFixed(2)}/${(d * 0.5).toFixed(2)}, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ${e.queueId()})`));
  push(310 + Math.round(d * 1000), (ts) => pf(e, ts, 'qmgr', 1187, `${qid}: removed`));
}

function spamBot(e: Edge, rows: Row[], t: number): void {
  const { r } = e;
  const ip = e.publicIp(), port = r.int(1024, 65_535);
  rows.push(e.row(t, 'mail/postfix', pf(e, t, 'postscreen', 1190, `CONNECT from [${ip}]:${port} to [10.0.0.25]:25`)));
  if (r.chance(0.6)) {
    rows.push(e.row(t + 60, 'mail/postfix', pf(e, t + 60, 'postscreen', 1190, `DNSBL rank ${r.int(2, 6)} for [${ip}]:${port}`)));
    rows.push(e.row(t + 6000, 'mail/postfix', pf(e, t + 6000, 'postscreen', 1190, `NOQUEUE: reject: RCPT from [${ip}]:${port}: 550 5.7.1 Service unavailable; client [${ip}] blocked using zen.spamhaus.org; from=<${e.word()}@${e.word()}.${r.pick(['top', 'xyz', 'ru', 'info'])}>, to=<${e.user()}@corp.example>, proto=ESMTP, helo=<${r.pick(['User', 'localhost', `[${ip}]`])}>`)));
  } else {
    rows.push(e.row(t + 30, 'mail/postfix', pf(e, t + 30, 'postscreen', 1190, `PREGREET ${r.int(11, 30)} after 0.${r.int(10, 99)} from [${ip}]:${port}: EHLO ${r.pick(['User', 'ylmf-pc', 'WIN-' + e.r.hex(6).toUpperCase()])}\\r\\n`)));
  }
  rows.push(e.row(t + 6100, 'mail/postfix', pf(e, t + 6100, 'postscreen', 1190, `DISCONNECT [${ip}]:${port}`)));
}

function postfix(e: Edge, rows: Row[]): void {
  const { r } = e;
  for (const t of e.arrivals(0.05)) inbound(e, rows, t);
  for (const t of e.arrivals(0.04)) outbound(e, rows, t);
  for (const t of e.arrivals(0.03, true)) spamBot(e, rows, t);
  // The nightly backup's reports: one mail per job, from a local pickup, at 02:00 and a few minutes after.
  const day = e.t0 - (e.t0 % 86_400_000);
  for (let t = day + 7_200_000 + r.int(0, 60_000), n = r.int(25, 40); n > 0 && t < e.end; n--, t += r.int(1_000, 9_000)) {
    const qid = e.queueId(), pid = e.pid();
    rows.push(e.row(t, 'mail/postfix', pf(e, t, 'pickup', pid, `${qid}: uid=998 from=<backup>`)));
    rows.push(e.row(t + 20, 'mail/postfix', pf(e, t + 20, 'cleanup', e.pid(), `${qid}: message-id=<${t}.${r.int(100, 999)}@backup01.corp.example>`)));
    rows.push(e.row(t + 40, 'mail/postfix', pf(e, t + 40, 'qmgr', 1187, `${qid}: from=<backup@corp.example>, size=${r.int(2_000, 9_000)}, nrcpt=1 (queue active)`)));
    const d = e.around(0.2, 0.3);
    rows.push(e.row(t + 40 + Math.round(d * 1000), 'mail/postfix', lmtpLine(e, t + 40 + Math.round(d * 1000), qid, 'ops', d)));
    rows.push(e.row(t + 60 + Math.round(d * 1000), 'mail/postfix', pf(e, t + 60 + Math.round(d * 1000), 'qmgr', 1187, `${qid}: removed`)));
  }
}

/** An OpenVPN line from vpn1. */
export const ovpn = (e: Edge, ts: number, msg: string): string => e.bsd(ts, 'vpn1', 'ovpn-server[1532]', msg);
export interface VpnPeer { user: string; ip: string; port: number }
export const peerOf = (e: Edge): VpnPeer => ({ user: e.user(), ip: e.publicIp(), port: e.r.int(1024, 65_535) });
/** A client instance's ping-restart (normally a few an hour). */
export const pingRestart = (e: Edge, ts: number, p: VpnPeer): string[] => [
  ovpn(e, ts, `${p.user}/${p.ip}:${p.port} [${p.user}] Inactivity timeout (--ping-restart), restarting`),
  ovpn(e, ts, `${p.user}/${p.ip}:${p.port} SIGUSR1[soft,ping-restart] received, client-instance restarting`),
];

/** A session's opening lines, the data channel's cipher among them. */
export function vpnLogin(e: Edge, t: number, p: VpnPeer, cipher: string): string[] {
  const { r } = e;
  const a = `${p.ip}:${p.port}`;
  return [
    ovpn(e, t, `${a} TLS: Initial packet from [AF_INET]${a}, sid=${r.hex(8)} ${r.hex(8)}`),
    ovpn(e, t, `${a} VERIFY OK: depth=1, CN=Corp VPN CA 2024`),
    ovpn(e, t, `${a} VERIFY OK: depth=0, CN=${p.user}`),
    ovpn(e, t, `${a} peer info: IV_VER=${r.pick(['2.6.12', '2.6.10', '2.5.11', '3.git::d3f8b18b'])}`),
    ovpn(e, t, `${a} peer info: IV_PLAT=${r.pick(['win', 'win', 'mac', 'linux', 'ios', 'android'])}`),
    ovpn(e, t, `${a} TLS: Username/Password authentication succeeded for username '${p.user}'`),
    ovpn(e, t, `${a} Control Channel: TLSv1.3, cipher TLSv1.3 TLS_AES_256_GCM_SHA384, peer certificate: 2048 bits RSA, signature: RSA-SHA256`),
    ovpn(e, t, `${a} [${p.user}] Peer Connection Initiated with [AF_INET]${a}`),
    ovpn(e, t, `${p.user}/${a} MULTI_sva: pool returned IPv4=10.8.${r.int(0, 3)}.${r.int(2, 254)}, IPv6=(Not enabled)`),
    ovpn(e, t, `${p.user}/${a} Data Channel: cipher '${cipher}', peer-id: ${r.int(0, 120)}`),
  ];
}

function vpn(e: Edge, rows: Row[]): void {
  const { r } = e;
  for (const t of e.arrivals(0.035)) {
    const p = peerOf(e);
    if (r.chance(0.04)) {
      const a = `${p.ip}:${p.port}`;
      rows.push(e.row(t, 'vpn/openvpn', ovpn(e, t, `${a} TLS Auth Error: Auth Username/Password verification failed for peer`)));
      rows.push(e.row(t + 5, 'vpn/openvpn', ovpn(e, t + 5, `${a} SIGUSR1[soft,tls-error] received, client-instance restarting`)));
      continue;
    }
    vpnLogin(e, t, p, r.pick(CIPHERS)).forEach((l, j) => rows.push(e.row(t + j * 15, 'vpn/openvpn', l)));
    const out = t + Math.round(r.exp(3_600_000));
    const a = `${p.user}/${p.ip}:${p.port}`;
    if (r.chance(0.08)) pingRestart(e, out, p).forEach((l) => rows.push(e.row(out, 'vpn/openvpn', l)));
    else rows.push(e.row(out, 'vpn/openvpn', ovpn(e, out, r.chance(0.7) ? `${a} SIGTERM[soft,remote-exit] received, client-instance exiting` : `${a} Connection reset, restarting [0]`)));
  }
}

function waf(e: Edge, rows: Row[]): void {
  const { r } = e;
  const weights = [6, 5, 2, 5, 3, 1, 2];
  const total = weights.reduce((a, b) => a + b, 0);
  for (const ts of e.arrivals(0.3)) {
    let x = r.next() * total, k = 0;
    while (x >= weights[k]) { x -= weights[k]; k++; }
    rows.push(e.row(ts, 'waf/edge', wafLine(e, ts, WAF_ROUTES[k])));
  }
  // Scanners and bots caught by managed rules: blocked or challenged.
  for (const ts of e.arrivals(0.02, true)) {
    const rule = r.pick(RULES);
    const route = WAF_ROUTES[r.int(0, 2)];
    const path = rule[0] === '100015' ? '/wp-login.php' : rule[0] === '100173' ? `/index.php?file=${'../'.repeat(r.int(3, 7))}etc/passwd` : rule[0] === '942100' ? `/products/1%27%20OR%20${r.int(1, 9)}=${r.int(1, 9)}--` : r.pick(['/.env', '/.git/config', '/admin/', '/server-status', '/phpmyadmin/']);
    const action = r.chance(0.7) ? 'block' : 'managed_challenge';
    rows.push(e.row(ts, 'waf/edge', wafLine(e, ts, route, { status: 403, action, rule, path, country: r.pick([...COUNTRIES, 'cn', 'ru', 'vn', 'br']), ua: r.pick(['Mozilla/5.0 zgrab/0.x', 'sqlmap/1.8.2#stable', 'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)', 'python-requests/2.31.0']), ms: 0 })));
  }
}

export const dhcpd = (e: Edge, ts: number, msg: string): string => e.bsd(ts, 'dhcp1', 'dhcpd[812]', msg);
const SUBNET: Record<string, number> = { eth1: 0, eth2: 2, eth3: 3, eth0: 9 };
/** A new lease: DISCOVER, OFFER, REQUEST, ACK. */
export function dhcpLease(e: Edge, t: number, via: string): string[] {
  const { r } = e;
  const mac = e.mac(), ip = `10.20.${SUBNET[via] + (via === 'eth1' ? r.int(0, 1) : 0)}.${r.int(10, 250)}`;
  const host = r.pick([`LAPTOP-${r.hex(7).toUpperCase()}`, `${e.user().split('.')[0]}s-MBP`, 'iPhone', `android-${r.hex(16)}`, `SEP${r.hex(12).toUpperCase()}`, `NPI${r.hex(6).toUpperCase()}`]);
  return [
    dhcpd(e, t, `DHCPDISCOVER from ${mac} via ${via}`),
    dhcpd(e, t, `DHCPOFFER on ${ip} to ${mac} (${host}) via ${via}`),
    dhcpd(e, t, `DHCPREQUEST for ${ip} (10.20.0.2) from ${mac} (${host}) via ${via}`),
    dhcpd(e, t, `DHCPACK on ${ip} to ${mac} (${host}) via ${via}`),
  ];
}

function dhcp(e: Edge, rows: Row[]): void {
  const { r } = e;
  for (const t of e.arrivals(0.05)) {
    const via = r.pick(DHCP_IFACES);
    const k = r.next();
    if (k < 0.35) dhcpLease(e, t, via).forEach((l, j) => rows.push(e.row(t + j * r.int(1, 400), 'dhcp/dhcpd', l)));
    else if (k < 0.95) {
      const ip = `10.20.${SUBNET[via]}.${r.int(10, 250)}`, mac = e.mac();
      rows.push(e.row(t, 'dhcp/dhcpd', dhcpd(e, t, `DHCPREQUEST for ${ip} from ${mac} via ${via}`)));
      rows.push(e.row(t + 2, 'dhcp/dhcpd', dhcpd(e, t + 2, `DHCPACK on ${ip} to ${mac} via ${via}`)));
    } else rows.push(e.row(t, 'dhcp/dhcpd', dhcpd(e, t, `DHCPINFORM from 10.20.${SUBNET[via]}.${r.int(10, 250)} via ${via}`)));
  }
}

/** The edge's six streams over `hours` of event time, with labelled incidents. */
export function generateEdge(seed: number, hours = 8): GeneratedSet {
  const e = world(seed, hours);
  const rows: Row[] = [];
  firewall(e, rows);
  dns(e, rows);
  postfix(e, rows);
  vpn(e, rows);
  waf(e, rows);
  dhcp(e, rows);
  injectEdgeIncidents(e, rows);
  return labelledSet(rows.filter((x) => x.ts < e.end));
}

export const edgeGenerator: Generator = {
  describe: 'a network edge and its security boxes: netfilter drops via syslog, unbound replies, Postfix, OpenVPN, a Cloudflare-like WAF JSON log and ISC dhcpd over 8 hours with a night trough, a nightly backup\'s mails and a morning ramp; incidents: new_error, rare_error, retry_storm, unseen_category, unusual_value, scan',
  generate: (seed) => generateEdge(seed),
};
