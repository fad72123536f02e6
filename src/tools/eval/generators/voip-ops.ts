// The `voip` generator's lines other than calls (see voip.ts):
//   sip/kamailio      every phone's REGISTER refresh (every ~0.9 × its expiry: 300 s behind NAT,
//                     3600 s on site), the internet's background of scanner probes (one now and
//                     then, blocked by user agent), the dispatcher reload of the added trunk, the
//                     LNP lines of numbers ported in
//   pbx/asterisk      a phone's first registration at an address, a wrong password now and then
//                     (a phone with a stale secret), extensions' qualify going Lagged or
//                     UNREACHABLE and back, the SIP reload that brings the new trunk
//   media/rtpengine   the relay's call count every 5 minutes
//   sms/gateway       submit_sm and its delivery report per message (2FA codes, reminders,
//                     marketing; 1-4 segments), the SMPP sessions' keepalives, a throttle now and
//                     then, the routing reload that enables a new country
//   api/provisioning  the portal's and the CRM sync's requests, the monitor's trunk status polls,
//                     the admin's creation of extensions, trunk and ports, the nightly CDR export
import { extsAt, numberIn, outsideIp, SCANNER_UAS, SMS_COUNTRIES, STREAMS, DOMAIN, type ApiReq, type Ext, type Row, type W } from './voip-lines.js';

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));

/** A REGISTER as the proxy logs it. */
export const registerLine = (w: W, ts: number, num: string, src: string, ua: string, expires: number, kind?: string): Row =>
  w.row(ts, STREAMS.sip, w.kam(ts, 'NOTICE', `[REGISTER] fu=sip:${num}@${DOMAIN} si=${src} ua="${ua}" expires=${expires}`), undefined, kind);

/** Asterisk refusing a registration (a normal but infrequent line; a brute force repeats it). */
export const regFailed = (w: W, ts: number, num: string, src: string, why: string, kind?: string): Row =>
  w.row(ts, STREAMS.pbx, w.ast(ts, 'NOTICE', w.r.int(10_000, 32_000), '', 'chan_sip.c', `Registration from '"${num}" <sip:${num}@${DOMAIN}>' failed for '${src}' - ${why}`), undefined, kind);

/** Asterisk's first registration of a phone at an address. */
export const registered = (w: W, ts: number, num: string, src: string, kind?: string): Row =>
  w.row(ts, STREAMS.pbx, w.ast(ts, 'VERBOSE', w.r.int(10_000, 32_000), '', 'chan_sip.c', `Registered SIP '${num}' at ${src}`), undefined, kind);

/** A scanner's probe blocked by its user agent (a normal but infrequent line; a sweep repeats it). */
export const scannerProbe = (w: W, ts: number, ip: string, user: string, ua = w.r.pick(SCANNER_UAS), kind?: string): Row =>
  w.row(ts, STREAMS.sip, w.kam(ts, 'WARNING', `[${w.r.pick(['OPTIONS', 'OPTIONS', 'REGISTER', 'INVITE'])}] fu=sip:${user}@${PBX_PUBLIC} si=${ip}:${w.r.int(5060, 5090)} ua="${ua}" blocked (scanner ua)`), undefined, kind);
export const PBX_PUBLIC = '185.121.44.10';

/** A peer's qualify status line in Asterisk. */
export const peerStatus = (w: W, ts: number, peer: string, status: string, kind?: string): Row =>
  w.row(ts, STREAMS.pbx, w.ast(ts, 'NOTICE', w.r.int(10_000, 32_000), '', 'chan_sip.c', `Peer '${peer}' is now ${status}`), undefined, kind);
export const reachable = (w: W): string => `Reachable. (${w.r.int(8, 60)}ms / 2000ms)`;

function phoneRegistrations(w: W, rows: Row[], e: Ext): void {
  const { r } = w;
  let src = `${e.ip}:${e.port}`;
  let ts = e.from > w.t0 ? e.from + r.int(60, 600) * 1000 : w.t0 + r.int(0, Math.round(e.expires * 900));
  if (e.from > w.t0) rows.push(registered(w, ts + r.int(20, 90), e.num, src));
  while (ts < w.end) {
    if (e.expires === 300 && r.chance(0.01)) {
      src = `${e.ip}:${r.int(1024, 65_000)}`;
      rows.push(registered(w, ts + r.int(20, 90), e.num, src));
    }
    rows.push(registerLine(w, ts, e.num, src, e.ua, e.expires));
    ts += Math.round(e.expires * 900 * (1 + 0.01 * r.next()));
  }
}

/** Phones' registrations, stale passwords, scanners' probes and extensions' qualify changes. */
export function registrations(w: W, rows: Row[]): void {
  const { r } = w;
  for (const e of w.exts) phoneRegistrations(w, rows, e);
  for (const ts of w.arrivals(1 / 1100)) {
    const e = r.pick(extsAt(w, ts));
    rows.push(registerLine(w, ts, e.num, `${e.ip}:${e.port}`, e.ua, e.expires));
    rows.push(regFailed(w, ts + r.int(5, 40), e.num, `${e.ip}:${e.port}`, 'Wrong password'));
  }
  for (let ts = w.t0 + r.exp(200_000); ts < w.end; ts += r.exp(200_000)) rows.push(scannerProbe(w, Math.round(ts), outsideIp(r), r.pick(['100', '1000', '101', '200', 'admin', '9999', String(r.int(100, 9999))])));
  for (let ts = w.t0 + r.exp(1_300_000); ts < w.end; ts += r.exp(1_300_000)) {
    const e = r.pick(extsAt(w, ts).filter((x) => x.expires === 300));
    const at = Math.round(ts);
    rows.push(peerStatus(w, at, e.num, r.chance(0.6) ? `Lagged. (${r.int(2001, 2900)}ms / 2000ms)` : `UNREACHABLE!  Last qualify: ${r.int(30, 300)}`));
    rows.push(peerStatus(w, at + r.int(60, 400) * 1000, e.num, reachable(w)));
  }
  for (let ts = w.t0 + r.int(0, 299_999); ts < w.end; ts += 300_000 + r.int(-300, 300)) {
    const n = Math.round(clamp(w.around(30 * w.rate(ts), 0.25), 0, 400));
    rows.push(w.row(ts, STREAMS.media, w.rtp(ts, 'INFO', 'core', `Current calls: ${n}, sessions: ${2 * n}, packets/s: ${Math.round(n * 100 * w.around(1, 0.05))}, kernel forwarding: ${r.chance(0.5) ? 'all' : 'partial'}`)));
  }
}

const SENDERS = ['VOXLINE', 'ACMEDENT', 'CITYCABS', 'PARCELGO', 'GPSURGERY', 'FITCLUB', 'HOMEFIX'];
const TEXTS: [string, number][] = [['otp', 0.55], ['reminder', 0.3], ['marketing', 0.15]];

/** A message submitted at ts and its delivery report (`change` may alter it, `kinds` label its lines). */
export function smsMessage(w: W, rows: Row[], ts: number, change?: (m: Record<string, string | number>) => void, kinds: { submit?: string; dlr?: string } = {}): void {
  const { r } = w;
  let u = r.next() * SMS_COUNTRIES.reduce((a, x) => a + x[2], 0);
  let [country, cc] = SMS_COUNTRIES[0];
  for (const [c, p, share] of SMS_COUNTRIES) { u -= share; if (u < 0) { [country, cc] = [c, p]; break; } }
  if (ts > w.country.at + 60_000 && r.chance(0.04)) [country, cc] = [w.country.code, w.country.cc];
  const v = r.next();
  const kind = v < TEXTS[0][1] ? 'otp' : v < 0.85 ? 'reminder' : 'marketing';
  const segments = kind === 'otp' ? 1 : kind === 'reminder' ? r.pick([1, 1, 2]) : r.pick([1, 2, 2, 3, 4]);
  const m: Record<string, string | number> = {
    message_id: w.uuid(), sender: kind === 'otp' && r.chance(0.3) ? `+4478${r.int(10_000_000, 99_999_999)}` : r.pick(SENDERS), to: `+${numberIn(r, cc, cc === '1' ? 11 : 12)}`,
    country, segments, encoding: r.chance(0.9) ? 'GSM7' : 'UCS2', route: country === 'GB' || r.chance(0.3) ? 'smsc-uk' : 'smsc-global', status: 'ESME_ROK', latency_ms: Math.round(w.around(45, 0.4)),
  };
  change?.(m);
  rows.push(w.row(ts, STREAMS.sms, w.sms(ts, 'info', 'smpp.submit', 'submit_sm_resp', m), undefined, kinds.submit));
  const d = r.next();
  const stat = d < 0.95 ? 'DELIVRD' : d < 0.985 ? 'UNDELIV' : 'EXPIRED';
  const at = ts + (stat === 'EXPIRED' ? r.int(600, 1800) * 1000 : Math.round(w.around(4000, 0.8)));
  rows.push(w.row(at, STREAMS.sms, w.sms(at, 'info', 'smpp.dlr', 'deliver_sm', { message_id: String(m.message_id), route: String(m.route), stat, err: stat === 'DELIVRD' ? '000' : stat === 'UNDELIV' ? r.pick(['001', '00B', '034']) : '0FE' }), undefined, kinds.dlr));
}

/** An SMSC throttling us (a normal but infrequent warning; a storm repeats it). */
export const throttled = (w: W, ts: number, route: string, kind?: string): Row =>
  w.row(ts, STREAMS.sms, w.sms(ts, 'warn', 'smpp.session', 'throttled by SMSC, backing off', { route, command_status: '0x00000058', error: 'ESME_RTHROTTLED', backoff_ms: w.r.pick([500, 1000, 2000]) }), undefined, kind);

/** The SMS gateway's messages, sessions' keepalives, throttles and the routing reload. */
export function smsGateway(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.2)) smsMessage(w, rows, ts);
  for (const route of ['smsc-uk', 'smsc-global']) {
    for (let ts = w.t0 + r.int(0, 59_999); ts < w.end; ts += 60_000 + r.int(-100, 100)) rows.push(w.row(ts, STREAMS.sms, w.sms(ts, 'debug', 'smpp.session', 'enquire_link_resp', { route, rtt_ms: Math.round(w.around(route === 'smsc-uk' ? 12 : 85, 0.3)) })));
  }
  for (const ts of w.arrivals(1 / 2400)) rows.push(throttled(w, ts, r.pick(['smsc-uk', 'smsc-global'])));
  const at = w.country.at;
  const countries = SMS_COUNTRIES.length + 1;
  rows.push(w.row(at, STREAMS.sms, w.sms(at, 'info', 'routing', 'route table reloaded', { version: `2026.${w.seed % 12 + 1}.${r.int(1, 28)}-${r.int(1, 9)}`, countries, added: w.country.code, removed: '' })));
}

const AGENTS = { portal: 'voxline-portal/4.12.0', crm: 'crm-sync/2.3.1 (python-requests/2.31.0)', monitor: 'sip-exporter/0.9.2', export: 'cdr-export/1.3.0', admin: 'curl/8.5.0' } as const;

/** An API request line (labelled `kind` if any). */
export const apiLine = (w: W, ts: number, a: Partial<ApiReq> & Pick<ApiReq, 'method' | 'path'>, kind?: string): Row => {
  const { r } = w;
  const full: ApiReq = { ip: `10.30.4.${r.int(10, 40)}`, user: 'svc-portal', status: 200, bytes: r.int(300, 900), agent: AGENTS.portal, rt: w.around(0.025, 0.45), id: r.hex(16), ...a };
  return w.row(ts, STREAMS.api, w.api(ts, full), undefined, kind);
};

/** A portal or CRM request at ts. */
export function apiRequest(w: W, ts: number, kind?: string, rtTimes = 1): Row {
  const { r } = w;
  const e = r.pick(extsAt(w, ts));
  const crm = r.chance(0.3);
  const who = crm ? { user: 'svc-crm-sync', agent: AGENTS.crm, ip: '10.30.6.12' } : { user: 'svc-portal', agent: AGENTS.portal };
  const denied = r.chance(0.01);
  const v = r.next();
  const [method, path, status, rt] = v < 0.35 ? ['GET', `/v2/extensions/${e.num}`, 200, 0.025] as const
    : v < 0.45 ? ['GET', `/v2/extensions?site=${r.int(1, w.sites.length)}&page=${r.int(1, 4)}`, 200, 0.08] as const
      : v < 0.53 ? ['PUT', `/v2/extensions/${e.num}/forwarding`, r.chance(0.08) ? 422 : 200, 0.05] as const
        : v < 0.68 ? ['GET', `/v2/numbers/%2B${e.did}`, r.chance(0.05) ? 404 : 200, 0.02] as const
          : v < 0.78 ? ['GET', `/v2/cdrs?extension=${e.num}&from=${new Date(ts - r.int(1, 30) * 86_400_000).toISOString().slice(0, 10)}`, 200, 0.3] as const
            : ['POST', '/v2/sms/messages', 202, 0.04] as const;
  const got = denied ? 401 : r.chance(0.003) ? 429 : status;
  return apiLine(w, ts, { ...who, method, path, status: got, bytes: got === 200 ? r.int(250, path.includes('?') ? 24_000 : 900) : r.int(60, 160), rt: got === 401 || got === 429 ? w.around(0.002, 0.3) : w.around(rt, rtTimes > 1 ? 0.15 : 0.45) * rtTimes }, kind);
}

/** The API's traffic and the monitor's polls. */
export function provisioning(w: W, rows: Row[]): void {
  const { r } = w;
  for (const ts of w.arrivals(0.14)) rows.push(apiRequest(w, ts));
  for (let ts = w.t0 + r.int(0, 119_999); ts < w.end; ts += 120_000 + r.int(-50, 50)) {
    for (const t of w.trunks.filter((x) => x.from <= ts)) rows.push(apiLine(w, ts + r.int(0, 30), { ip: '10.30.9.5', user: 'svc-monitor', agent: AGENTS.monitor, method: 'GET', path: `/v2/trunks/${t.name}/status`, bytes: r.int(180, 240), rt: w.around(0.012, 0.3) }));
  }
}

/** The benign events: extensions created, the trunk added, numbers ported in, the nightly CDR export. */
export function benignEvents(w: W, rows: Row[]): void {
  const { r } = w;
  const admin = { user: `u_${r.hex(8)}`, agent: AGENTS.admin, ip: '10.30.2.7' };
  for (const e of w.exts.filter((x) => x.from > w.t0)) rows.push(apiLine(w, e.from - r.int(20, 60) * 1000, { ...admin, method: 'POST', path: '/v2/extensions', status: 201, bytes: r.int(400, 520), rt: w.around(0.09, 0.3) }));
  const t = w.added;
  let at = t.from - r.int(120, 300) * 1000;
  rows.push(apiLine(w, at, { ...admin, method: 'POST', path: '/v2/trunks', status: 201, bytes: r.int(300, 400), rt: w.around(0.12, 0.3) }));
  at = t.from - r.int(5, 30) * 1000;
  const tid = r.int(10_000, 32_000);
  rows.push(w.row(at, STREAMS.pbx, w.ast(at, 'VERBOSE', tid, '', 'loader.c', "Reloading module 'chan_sip.so' (Session Initiation Protocol (SIP))")));
  rows.push(w.row(at + 3, STREAMS.pbx, w.ast(at + 3, 'VERBOSE', tid, '', 'config.c', "Parsing '/etc/asterisk/sip.conf': Found")));
  rows.push(w.row(at + 9, STREAMS.pbx, w.ast(at + 9, 'VERBOSE', tid, '', 'chan_sip.c', 'Reloading SIP')));
  rows.push(peerStatus(w, at + r.int(1500, 4000), t.name, reachable(w)));
  rows.push(w.row(t.from, STREAMS.sip, w.kam(t.from, 'NOTICE', `[CONFIG] dispatcher reloaded: set 2 has 2 gateways (added sip:${t.host}:5060 gw=${t.name})`)));
  for (const p of w.ports) {
    const order = `PO-${r.int(100_000, 999_999)}`;
    rows.push(apiLine(w, p.asked, { ...admin, method: 'POST', path: '/v2/ports', status: 202, bytes: r.int(300, 400), rt: w.around(0.15, 0.3) }));
    rows.push(apiLine(w, p.done - r.int(5, 30) * 1000, { user: 'svc-porting', agent: 'porting-worker/1.4.2', ip: '10.30.6.20', method: 'PATCH', path: `/v2/ports/${order}`, bytes: r.int(200, 300), rt: w.around(0.05, 0.3) }));
    rows.push(w.row(p.done, STREAMS.sip, w.kam(p.done, 'NOTICE', `[LNP] +${p.num} ported in (order ${order}, donor ${r.pick(['BT', 'Virgin Media', 'TalkTalk', 'Gamma'])}), routed to ext ${p.ext.num}`)));
  }
  const exp = { user: 'svc-billing-export', agent: AGENTS.export, ip: '10.30.6.31' };
  at = w.nightlyAt;
  if (at >= w.end) return;
  const day = new Date(at - 86_400_000).toISOString().slice(0, 10);
  rows.push(apiLine(w, at, { ...exp, method: 'POST', path: '/v2/exports/cdr', status: 202, bytes: r.int(150, 200), rt: w.around(0.04, 0.3) }));
  const pages = r.int(30, 60);
  for (let i = 1; i <= pages; i++) {
    at += Math.round(w.around(900, 0.3));
    rows.push(apiLine(w, at, { ...exp, method: 'GET', path: `/v2/cdrs?date=${day}&page=${i}&per_page=500`, bytes: i === pages ? r.int(20_000, 190_000) : r.int(190_000, 230_000), rt: w.around(0.6, 0.25) }));
  }
  rows.push(apiLine(w, at + 2000, { ...exp, method: 'PUT', path: `/v2/exports/cdr/${day}`, bytes: r.int(150, 200), rt: w.around(0.05, 0.3) }));
}
