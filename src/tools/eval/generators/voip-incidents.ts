// The `voip` generator's labelled incidents (see voip.ts), all after a 30-minute warm-up, none in
// the last minute, 5 s apart (random.ts timeApart):
//   trunk_down       a carrier trunk unreachable for 5-15 minutes: Asterisk's qualify and the
//                    proxy's dispatcher saying so, every outbound call routed to it failing at once
//                    (the proxy's local 503, Asterisk's 'Everyone is busy/congested' and
//                    CHANUNAVAIL, a FAILED CDR), inbound calls from it gone, then both back
//   toll_fraud       an extension's password taken: the phone registered from an outside address,
//                    then 15-35 calls within 40-150 s to premium and high-cost numbers abroad (one
//                    to three of Cuba, Sierra Leone, satellite, Latvian premium, Somalia, Papua New
//                    Guinea, Sao Tome), answered and kept up 10-40 minutes at 0.9-3.5 USD a minute:
//                    every line of those calls labelled
//   rare_burst       2 bursts of a normal but infrequent line: a password brute force on the PBX
//                    from one address (REGISTERs with a phone's user agent, 'Wrong password'), a
//                    scanner's sweep of extensions (friendly-scanner probes), the SMSC throttling us
//   rare_error       one error template by seed (a SIP retransmission timeout, the proxy failing
//                    to send a branch, the SMPP bind lost) recurring 7 times, lone, all run long;
//                    and 3 error templates never seen before (the PBX's call limit, its CDR
//                    database gone, the proxy out of memory, the relay out of ports, the SMS
//                    gateway's DLR store full)
//   unusual_value    5 known lines with an unusual value: MOS 1.x with 35-45 % loss on a trunk leg,
//                    250-450 ms of jitter, a 3-hour call, an SMS of 38-60 segments, a portal API
//                    request 30× its usual time, an SMS submit 30× its usual latency
//   unseen_category  3 values never seen: a CONGESTION disposition, a codec, an SMS country never
//                    enabled (unlike the announced one), a currency on the CDR
import { timeApart } from './random.js';
import { ctxId, draftCall, renderCall, type Call } from './voip-calls.js';
import { FRAUD_PREFIXES, extsAt, NEVER_ENABLED, numberIn, outsideIp, PBX_IP, UAS, UNSEEN_CODECS, WARMUP_MS, STREAMS, type Row, type W } from './voip-lines.js';
import { apiRequest, peerStatus, reachable, registered, registerLine, regFailed, scannerProbe, smsMessage, throttled } from './voip-ops.js';

export const VOIP_KINDS = ['rare_burst', 'rare_error', 'toll_fraud', 'trunk_down', 'unseen_category', 'unusual_value'] as const;

/** The first untouched call from ts on that passes `test` and ends (with its CDR) a minute before the run does. */
function takeCall(w: W, calls: Call[], ts: number, test: (c: Call) => boolean): Call | undefined {
  return calls.find((c) => c.ts >= ts && Object.keys(c.kinds).length === 0 && c.ts + c.ring + c.talk * 1000 < w.end - 120_000 && test(c));
}

function trunkDown(w: W, calls: Call[], rows: Row[], ts: number, span: number): void {
  const TD = 'trunk_down';
  const { r } = w;
  const t = w.seed % 3 === 2 ? w.trunks[1] : w.trunks[0];
  rows.push(peerStatus(w, ts, t.name, `UNREACHABLE!  Last qualify: ${r.int(25, 80)}`, TD));
  rows.push(w.row(ts + 900, STREAMS.sip, w.kam(ts + 900, 'WARNING', `[DISPATCHER] gw sip:${t.host}:5060 (${t.name}) set inactive: probe failed with 408 Request Timeout`), undefined, TD));
  const gone = new Set<Call>();
  for (const c of calls) {
    if (c.ts < ts + 1000 || c.ts >= ts + span || c.trunk !== t || Object.keys(c.kinds).length > 0) continue;
    if (c.dir === 'in') { gone.add(c); continue; }
    Object.assign(c, { disp: 'FAILED', fail: { code: 503, reason: 'Service Unavailable', local: true }, ring: r.int(8, 40), talk: 0, kinds: { result: TD, cdr: TD } });
  }
  const keep = calls.filter((c) => !gone.has(c));
  calls.length = 0;
  calls.push(...keep);
  const back = ts + span;
  rows.push(w.row(back, STREAMS.sip, w.kam(back, 'NOTICE', `[DISPATCHER] gw sip:${t.host}:5060 (${t.name}) set active: probe answered 200 OK`), undefined, TD));
  rows.push(peerStatus(w, back + r.int(500, 4000), t.name, reachable(w), TD));
}

function tollFraud(w: W, calls: Call[], rows: Row[], ts: number, span: number): void {
  const TF = 'toll_fraud';
  const { r } = w;
  const ext = r.pick(extsAt(w, ts).filter((e) => e.from < w.t0));
  const src = `${outsideIp(r)}:${r.int(5060, 5099)}`;
  rows.push(registerLine(w, ts, ext.num, src, r.pick(UAS.slice(4, 7)), 3600, TF));
  rows.push(registered(w, ts + r.int(20, 90), ext.num, src, TF));
  const prefixes = Array.from({ length: r.int(1, 3) }, () => r.pick(FRAUD_PREFIXES));
  const n = r.int(15, 35);
  const numbers = Array.from({ length: Math.ceil(n / r.int(1, 3)) }, () => numberIn(r, r.pick(prefixes), r.int(11, 13)));
  for (let j = 0; j < n; j++) {
    const at = ts + 20_000 + Math.round((j * span) / n) + r.int(0, 900);
    const c = draftCall(w, at);
    const trunk = w.trunks[1];
    Object.assign(c, {
      dir: 'out', ext, other: r.pick(numbers), trunk, disp: r.chance(0.85) ? 'ANSWERED' : 'NO ANSWER', fail: undefined, ring: r.int(3000, 12_000), talk: r.int(600, 2400),
      rate: 0.9 + 2.6 * r.next(), currency: trunk.currency, codec: trunk.codec, src, kinds: { setup: TF, result: TF, media: TF, phone: TF, cdr: TF },
    });
    if (c.disp !== 'ANSWERED') c.talk = 0;
    calls.push(c);
  }
}

function rareBurst(w: W, rows: Row[], ts: number, which: number, span: number): void {
  const RB = 'rare_burst';
  const { r } = w;
  const ip = outsideIp(r);
  if (which === 0) {
    const n = r.int(60, 150), ua = r.pick(UAS), port = r.int(5060, 5099);
    let num = r.int(1000, 1200);
    for (let j = 0; j < n; j++) {
      const at = ts + Math.round((j * span) / n) + r.int(0, 300);
      if (r.chance(0.6)) num++;
      rows.push(registerLine(w, at, String(num), `${ip}:${port}`, ua, 3600, RB));
      rows.push(regFailed(w, at + r.int(5, 40), String(num), `${ip}:${port}`, 'Wrong password', RB));
    }
  } else if (which === 1) {
    const n = r.int(80, 200), base = r.pick([100, 1000, 2000]);
    for (let j = 0; j < n; j++) rows.push(scannerProbe(w, ts + Math.round((j * span) / n) + r.int(0, 200), ip, String(base + j), 'friendly-scanner', RB));
  } else {
    const n = r.int(40, 90), route = r.pick(['smsc-uk', 'smsc-global']);
    for (let j = 0; j < n; j++) rows.push(throttled(w, ts + Math.round((j * span) / n) + r.int(0, 200), route, RB));
  }
}

/** The seed's recurring rare error: one lone occurrence at ts. */
function rareOne(w: W, rows: Row[], ts: number): void {
  const RE = 'rare_error';
  const { r } = w;
  if (w.seed % 3 === 0) {
    const id = `${r.hex(32)}@${PBX_IP}`;
    rows.push(w.row(ts, STREAMS.pbx, w.ast(ts, 'WARNING', r.int(10_000, 32_000), ctxId(w), 'chan_sip.c', `Retransmission timeout reached on transmission ${id} for seqno ${r.int(1, 3)} (Critical Request) -- See https://wiki.asterisk.org/wiki/display/AST/SIP+Retransmissions Packet timed out after 32000ms with no response`), undefined, RE));
  } else if (w.seed % 3 === 1) {
    rows.push(w.row(ts, STREAMS.sip, w.kam(ts, 'ERROR', 't_send_branch(): sending request on branch 0 failed', 'tm [t_fwd.c:1573]'), undefined, RE));
  } else {
    rows.push(w.row(ts, STREAMS.sms, w.sms(ts, 'error', 'smpp.session', 'bind lost, reconnecting', { route: 'smsc-global', error: `read tcp 10.30.5.4:${r.int(32_768, 60_999)}->62.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}:2775: connection reset by peer`, reconnect_in_ms: 5000 }), undefined, RE));
  }
}

type NewError = (w: W, ts: number) => Row[];
const NEW_ERRORS: NewError[] = [
  (w, ts) => [w.row(ts, STREAMS.pbx, w.ast(ts, 'WARNING', w.r.int(10_000, 32_000), ctxId(w), 'pbx.c', `Maximum call limit of 250 calls exceeded by 'SIP/${w.r.pick(w.exts).num}-${w.r.hex(8)}'!`))],
  (w, ts) => {
    const tid = w.r.int(10_000, 32_000);
    return [
      w.row(ts, STREAMS.pbx, w.ast(ts, 'ERROR', tid, '', 'res_odbc.c', "Error SQLConnect=-1 errno=0 [unixODBC][MySQL][ODBC 8.0(w) Driver]Can't connect to MySQL server on 'cdr-db.internal:3306' (111)")),
      w.row(ts + 2, STREAMS.pbx, w.ast(ts + 2, 'WARNING', tid, '', 'cdr_adaptive_odbc.c', "cdr_adaptive_odbc: Unable to retrieve database handle for 'asteriskcdrdb:cdr'. CDR failed.")),
    ];
  },
  (w, ts) => [
    w.row(ts, STREAMS.sip, w.kam(ts, 'ERROR', `qm_find_free(): qm_find_free(0x7f${w.r.hex(10)}, 65536); Free fragment not found!`, '<core> [core/mem/q_malloc.c:297]')),
    w.row(ts + 1, STREAMS.sip, w.kam(ts + 1, 'ERROR', 'build_cell(): out of pkg memory', 'tm [h_table.c:378]')),
  ],
  (w, ts) => [w.row(ts, STREAMS.media, w.rtp(ts, 'ERR', `${w.r.hex(32)}@${w.trunks[0].ip}`, "Failed to get 2 consecutive ports on interface 'pub' (30000-40000 in use)"))],
  (w, ts) => [w.row(ts, STREAMS.sms, w.sms(ts, 'error', 'dlr.store', 'failed to persist delivery report', { message_id: w.uuid(), error: "OOM command not allowed when used memory > 'maxmemory'." }))],
];

function unusualValue(w: W, calls: Call[], rows: Row[], ts: number, which: number): void {
  const UV = 'unusual_value';
  const { r } = w;
  if (which <= 1) {
    const c = takeCall(w, calls, ts, (x) => x.dir === 'out' && x.disp === 'ANSWERED' && x.talk > 40 && x.trunk === w.trunks[0]);
    if (c !== undefined) Object.assign(c, which === 0 ? { loss: 35 + 10 * r.next() } : { jitter: r.int(250, 450) }, { kinds: { media: UV } });
  } else if (which === 2) {
    const talk = r.int(10_800, 12_600), start = ts - talk * 1000;
    const c = draftCall(w, start);
    Object.assign(c, { dir: 'out', disp: 'ANSWERED', fail: undefined, talk, ring: r.int(3000, 9000), trunk: w.trunks[0], other: numberIn(r, '4420'), rate: 0.008, currency: 'GBP', codec: w.trunks[0].codec, kinds: { media: UV, phone: UV, cdr: UV } });
    calls.push(c);
  } else if (which === 3) smsMessage(w, rows, ts, (m) => { m.segments = r.int(38, 60); m.encoding = 'UCS2'; }, { submit: UV });
  else if (which === 4) rows.push(apiRequestSlow(w, ts, UV));
  else smsMessage(w, rows, ts, (m) => { m.latency_ms = Math.round(w.around(45, 0.2) * 30); }, { submit: UV });
}
/** A portal request 30× its usual time (a GET of an extension, retried until it is one). */
function apiRequestSlow(w: W, ts: number, kind: string): Row {
  for (;;) {
    const x = apiRequest(w, ts, kind, 30);
    if (/"GET \/v2\/extensions\/\d+ HTTP/.test(String(x.ev.data)) && / 200 /.test(String(x.ev.data))) return x;
  }
}

function unseenCategory(w: W, calls: Call[], rows: Row[], ts: number, which: number): void {
  const UC = 'unseen_category';
  const { r } = w;
  if (which === 0) {
    const c = takeCall(w, calls, ts, (x) => x.dir === 'out');
    if (c !== undefined) Object.assign(c, { disp: 'CONGESTION', fail: { code: 503, reason: 'Service Unavailable' }, ring: r.int(200, 2000), talk: 0, kinds: { cdr: UC } });
  } else if (which === 1) {
    const c = takeCall(w, calls, ts, (x) => x.dir !== 'int' && x.disp === 'ANSWERED');
    if (c !== undefined) Object.assign(c, { codec: r.pick(UNSEEN_CODECS), kinds: { media: UC } });
  } else if (which === 2) {
    const [code, cc] = r.pick(NEVER_ENABLED);
    smsMessage(w, rows, ts, (m) => { m.country = code; m.to = `+${numberIn(r, cc, 12)}`; m.route = 'smsc-global'; }, { submit: UC });
  } else {
    const c = takeCall(w, calls, ts, (x) => x.dir === 'out' && x.trunk !== w.trunks[0] && x.disp === 'ANSWERED');
    if (c !== undefined) Object.assign(c, { currency: 'CHF', kinds: { cdr: UC } });
  }
}

/** Every kind at random times after the warm-up, then every call written out. The draws are in this order (a seed's set depends on it). */
export function injectVoipIncidents(w: W, calls: Call[], rows: Row[]): void {
  const { r } = w;
  const lo = w.t0 + WARMUP_MS, hi = w.end - 60_000;
  const at = timeApart(r, lo, hi, []);
  const down = r.int(5, 15) * 60_000;
  trunkDown(w, calls, rows, at(down), down);
  const dial = r.int(40, 150) * 1000;
  tollFraud(w, calls, rows, at(dial + 30_000, lo, hi - 2_700_000), dial);
  for (let i = 0; i < 2; i++) { const span = r.int(8, 40) * 1000; rareBurst(w, rows, at(span), (w.seed + i) % 3, span); }
  for (let i = 0; i < 7; i++) rareOne(w, rows, at());
  for (let i = 0; i < 3; i++) rows.push(...NEW_ERRORS[(w.seed * 3 + i) % NEW_ERRORS.length](w, at()).map((x) => ({ ...x, kind: 'rare_error' })));
  for (let i = 0; i < 5; i++) unusualValue(w, calls, rows, at(), (w.seed + i) % 6);
  for (let i = 0; i < 3; i++) unseenCategory(w, calls, rows, at(), (w.seed + i) % 4);
  for (const c of calls.sort((a, b) => a.ts - b.ts)) renderCall(w, rows, c);
}
