// The `edge` generator's labelled incidents (see edge.ts), all after a 20-minute warm-up and none in
// the last minute:
//   new_error        3 never-seen error templates, each in its stream's own format: conntrack
//                    table full (kernel), unbound's trust anchor failure or SERVFAIL of an
//                    internal zone, a Postfix fatal on a missing lookup table or a TLS failure,
//                    an OpenVPN certificate expiry, a WAF origin error, dhcpd's "no free leases"
//   rare_error       one error template recurring all run long (kernel SYN-flood cookies on even
//                    seeds, Postfix SASL authentication failures on odd ones): 3 lone lines
//                    anywhere, one long burst (60-120 lines over 1-3 minutes) in the first half,
//                    then 6 lone lines after it
//   retry_storm      2 bursts of a normal but infrequent line: deferrals to the flaky partner MX
//                    (25-60 mails in 5-20 s: a queue flush) or OpenVPN ping-restarts (15-40
//                    clients in 3-10 s: a link flap)
//   unseen_category  3 values never seen in a low-cardinality field: the VPN data channel's
//                    cipher (a downgrade), the WAF client country, a DHCP interface (leases on
//                    the WAN side)
//   unusual_value    4 known lines with an unusual value: an internal name answered in 1-3 s
//                    uncached (a far zone is normally that slow), 40× the bytes of the small
//                    /v1/me answer (the export route is normally that big), a 5xx on the status
//                    page that never fails, 30-100× an LMTP delivery's delay
//   scan             2 port scans: one source knocking 40-160 ports within 3-15 s, same TTL and
//                    source port (normal sources knock 1-4 common ports)
import type { Edge, Row } from './edge-lines.js';
import { dropLine, INTERNAL, KNOCKED, NEW_COUNTRIES, replyLine, WAF_ROUTES, wafLine } from './edge-lines.js';
import { dhcpLease, dhcpd, flakyLines, lmtpLine, NEW_CIPHERS, ovpn, peerOf, pf, pingRestart, vpnLogin } from './edge.js';

type Maker = (e: Edge, ts: number) => Row[];
const one = (e: Edge, ts: number, stream: string, line: string, kind: string): Row[] => [e.row(ts, stream, line, kind)];

const NEW_ERRORS: Maker[] = [
  (e, ts) => one(e, ts, 'fw/netfilter', e.bsd(ts, 'gw01', 'kernel', `[${e.uptime(ts)}] nf_conntrack: nf_conntrack: table full, dropping packet`), 'new_error'),
  (e, ts) => one(e, ts, 'dns/unbound', e.bsd(ts, 'ns1', 'unbound', '[1187:1] error: failed to prime trust anchor -- could not fetch DNSKEY rrset . DNSKEY IN'), 'new_error'),
  (e, ts) => one(e, ts, 'dns/unbound', e.bsd(ts, 'ns1', 'unbound', `[1187:0] error: SERVFAIL <${e.r.pick(INTERNAL)} A IN>: all the configured stub or forward servers failed, at zone corp.example.`), 'new_error'),
  (e, ts) => [
    e.row(ts, 'mail/postfix', pf(e, ts, 'smtpd', e.pid(), 'fatal: open database /etc/postfix/virtual.lmdb: No such file or directory'), 'new_error'),
    e.row(ts + 1, 'mail/postfix', pf(e, ts + 1, 'master', 1185, `warning: process /usr/lib/postfix/sbin/smtpd pid ${e.pid()} exit status 1`), 'new_error'),
  ],
  (e, ts) => one(e, ts, 'mail/postfix', pf(e, ts, 'smtp', e.pid(), `warning: TLS library problem: error:0A000086:SSL routines::certificate verify failed:../ssl/statem/statem_clnt.c:2092:`), 'new_error'),
  (e, ts) => {
    const a = `${e.publicIp()}:${e.r.int(1024, 65_535)}`;
    return [
      e.row(ts, 'vpn/openvpn', ovpn(e, ts, `${a} VERIFY ERROR: depth=0, error=certificate has expired: CN=${e.user()}, serial=${e.r.hex(16).toUpperCase()}`), 'new_error'),
      e.row(ts + 1, 'vpn/openvpn', ovpn(e, ts + 1, `${a} OpenSSL: error:0A000086:SSL routines::certificate verify failed`), 'new_error'),
    ];
  },
  (e, ts) => one(e, ts, 'waf/edge', JSON.stringify({ EdgeStartTimestamp: new Date(ts).toISOString(), RayID: `${e.r.hex(16)}-FRA`, level: 'error', msg: 'origin pool unhealthy: all origins failed health checks', pool: 'shop-origin-eu', origins: 3 }), 'new_error'),
  (e, ts) => one(e, ts, 'dhcp/dhcpd', dhcpd(e, ts, `DHCPDISCOVER from ${e.mac()} via eth1: network 10.20.0.0/23: no free leases`), 'new_error'),
];

function rareError(e: Edge, rows: Row[], at: () => number): void {
  const { r } = e;
  const make = (ts: number): Row[] => (e.seed % 2 === 0
    ? one(e, ts, 'fw/netfilter', e.bsd(ts, 'gw01', 'kernel', `[${e.uptime(ts)}] TCP: request_sock_TCP: Possible SYN flooding on port ${r.pick([443, 25, 1194])}. Sending cookies.  Check SNMP counters.`), 'rare_error')
    : one(e, ts, 'mail/postfix', pf(e, ts, 'submission/smtpd', e.pid(), `warning: unknown[${e.publicIp()}]: SASL LOGIN authentication failed: UGFzc3dvcmQ6`), 'rare_error'));
  const burstAt = e.t0 + 1_200_000 + Math.floor(r.next() * (e.end - e.t0) * 0.35);
  const n = r.int(60, 120);
  const span = r.int(60_000, 180_000);
  let ts = burstAt;
  for (let j = 0; j < n; j++) { rows.push(...make(ts)); ts += Math.round(r.exp(span / n)); }
  for (let k = 0; k < 3; k++) rows.push(...make(at()));
  const after = ts + 60_000;
  for (let k = 0; k < 6; k++) rows.push(...make(after + Math.floor(r.next() * (e.end - 60_000 - after))));
}

function retryStorm(e: Edge, rows: Row[], ts: number, mail: boolean): void {
  const { r } = e;
  const n = mail ? r.int(25, 60) : r.int(15, 40);
  const span = mail ? r.int(5_000, 20_000) : r.int(3_000, 10_000);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n);
    const ls = mail ? flakyLines(e, t, e.queueId()) : pingRestart(e, t, peerOf(e));
    for (const l of ls) rows.push(e.row(t, mail ? 'mail/postfix' : 'vpn/openvpn', l, 'retry_storm'));
  }
}

function unseenCategory(e: Edge, rows: Row[], ts: number, which: number): void {
  const { r } = e;
  if (which === 0) {
    // A downgraded session: only its cipher line is new; the other lines are as every login's.
    vpnLogin(e, ts, peerOf(e), r.pick(NEW_CIPHERS)).forEach((l, j, all) => rows.push(e.row(ts + j * 15, 'vpn/openvpn', l, j === all.length - 1 ? 'unseen_category' : undefined)));
  } else if (which === 1) {
    rows.push(e.row(ts, 'waf/edge', wafLine(e, ts, WAF_ROUTES[3], { country: r.pick(NEW_COUNTRIES) }), 'unseen_category'));
  } else {
    dhcpLease(e, ts, 'eth0').forEach((l, j) => rows.push(e.row(ts + j * 50, 'dhcp/dhcpd', l, 'unseen_category')));
  }
}

function unusualValue(e: Edge, rows: Row[], ts: number, which: number): void {
  const { r } = e;
  if (which === 0) rows.push(e.row(ts, 'dns/unbound', replyLine(e, ts, e.lanIp(), r.pick(INTERNAL), 'A', 'NOERROR', 1 + 2 * r.next(), false), 'unusual_value'));
  else if (which === 1) rows.push(e.row(ts, 'waf/edge', wafLine(e, ts, WAF_ROUTES[3], { status: 200, bytes: e.around(1_400, 0.2) * 40 }), 'unusual_value'));
  else if (which === 2) rows.push(e.row(ts, 'waf/edge', wafLine(e, ts, WAF_ROUTES[6], { status: r.pick([500, 502, 503]) }), 'unusual_value'));
  else rows.push(e.row(ts, 'mail/postfix', lmtpLine(e, ts, e.queueId(), e.user(), e.around(0.3, 0.2) * r.int(30, 100)), 'unusual_value'));
}

function scan(e: Edge, rows: Row[], ts: number): void {
  const { r } = e;
  const src = e.publicIp(), spt = r.int(40_000, 65_000), ttl = r.int(37, 60);
  const n = r.int(40, 160);
  const span = r.int(3_000, 15_000);
  const ports = [...KNOCKED];
  while (ports.length < n) ports.push(r.int(1, 65_535));
  for (let j = 0; j < n; j++) {
    const k = r.int(j, ports.length - 1);
    [ports[j], ports[k]] = [ports[k], ports[j]];
    const t = ts + Math.round((j * span) / n);
    rows.push(e.row(t, 'fw/netfilter', dropLine(e, t, src, ports[j], { spt, ttl, udp: false }), 'scan'));
  }
}

/** Every kind, at random times after the warm-up. */
export function injectEdgeIncidents(e: Edge, rows: Row[]): void {
  const { r } = e;
  const used: number[] = [];
  // A time after the warm-up, 20 s from every incident placed so far (two incidents stay two).
  const at = (): number => {
    let t = 0;
    for (let tries = 0; tries < 100; tries++) {
      t = e.t0 + 1_200_000 + Math.floor(r.next() * (e.end - e.t0 - 1_260_000));
      if (used.every((u) => Math.abs(u - t) >= 20_000)) break;
    }
    used.push(t);
    return t;
  };
  for (let k = 0; k < 3; k++) rows.push(...NEW_ERRORS[(e.seed * 3 + k) % NEW_ERRORS.length](e, at()));
  rareError(e, rows, at);
  for (let k = 0; k < 2; k++) retryStorm(e, rows, at(), (e.seed + k) % 2 === 0);
  for (let k = 0; k < 3; k++) unseenCategory(e, rows, at(), (e.seed + k) % 3);
  for (let k = 0; k < 4; k++) unusualValue(e, rows, at(), (e.seed + k) % 4);
  for (let k = 0; k < 2; k++) scan(e, rows, at());
}
