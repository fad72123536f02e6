// The `voip` generator's calls (see voip.ts): each call is drafted first (a plan an incident may
// change), then written to every stream it touches:
//   sip/kamailio     the INVITE as it arrives (from, to, source address), its R-URI after routing
//                    (the carrier gateway, or the PBX for inbound calls), the final reply, the BYE
//   pbx/asterisk     the dialplan's steps (Set, Dial), the dialled channel's fate (answered, busy,
//                    circuit-busy, nobody picked up) and the hangup
//   media/rtpengine  the final packet stats of each of an answered call's two legs (codec,
//                    packets, loss, jitter, MOS)
//   billing/cdr      the rated CDR row once the call ends
// Outbound calls go to UK numbers through trunk-uk1 and abroad through trunk-intl (or trunk-eu2
// once it is added); inbound calls come from trunk-uk1 to an extension's DID or a ported number.
import { DESTS, DOMAIN, extsAt, numberIn, PBX_IP, STREAMS, type Ext, type Row, type Trunk, type W } from './voip-lines.js';
import { byShare } from './random.js';

/** Labels of a call's lines: its setup (INVITE, R-URI, dialplan, BYE and hangup), its result (reply, fate), its media stats (`media` the far leg's, `phone` the phone's), its CDR row. */
export interface CallKinds { setup?: string; result?: string; media?: string; phone?: string; cdr?: string }

export interface Call {
  ts: number;
  dir: 'out' | 'in' | 'int';
  ext: Ext;
  /** The remote party: an E.164 number (no plus), or an extension for internal calls. */
  other: string;
  /** The DID called (inbound). */
  did: string;
  trunk?: Trunk;
  /** ANSWERED, NO ANSWER, BUSY, FAILED (or what an incident writes). */
  disp: string;
  /** Ring time (ms) and talk time (s). */
  ring: number;
  talk: number;
  rate: number;
  currency: string;
  codec: string;
  loss: number;
  jitter: number;
  /** The phone's address as the proxy sees it (a fraudster's for toll fraud). */
  src: string;
  /** Failure reply (code and reason), `local` when the proxy answers it itself. */
  fail?: { code: number; reason: string; local?: boolean };
  kinds: CallKinds;
}

const clamp = (x: number, lo: number, hi: number): number => Math.max(lo, Math.min(hi, x));
const REASON: Record<number, string> = { 404: 'Not Found', 480: 'Temporarily Unavailable', 484: 'Address Incomplete', 486: 'Busy Here', 487: 'Request Terminated', 503: 'Service Unavailable' };

/** The trunk an outbound call to `dest` takes at ts. */
export function routeOf(w: W, ts: number, intl: boolean): Trunk {
  if (!intl) return w.trunks[0];
  return ts >= w.added.from + 60_000 && w.r.chance(0.5) ? w.added : w.trunks[1];
}

/** A fresh call at ts: direction, parties, route, disposition, ring and talk times, media quality. */
export function draftCall(w: W, ts: number): Call {
  const { r } = w;
  const exts = extsAt(w, ts);
  const ext = r.pick(exts);
  const v = r.next();
  const dir = v < 0.58 ? 'out' : v < 0.94 ? 'in' : 'int';
  const dest = byShare(r, DESTS);
  const trunk = dir === 'out' ? routeOf(w, ts, dest.intl) : dir === 'in' ? w.trunks[0] : undefined;
  const ported = w.ports.filter((p) => p.done <= ts && p.ext === ext);
  const did = ported.length > 0 && r.chance(0.5) ? ported[0].num : ext.did;
  const other = dir === 'int' ? r.pick(exts.filter((e) => e !== ext)).num : dir === 'in' ? numberIn(r, r.pick(['4474', '4475', '4477', '44113', '44121', '4420', '44161'])) : numberIn(r, r.pick(dest.prefixes), dest.intl ? r.int(11, 13) : 12);
  const u = r.next();
  const disp = u < 0.7 ? 'ANSWERED' : u < 0.86 ? 'NO ANSWER' : u < 0.96 ? 'BUSY' : 'FAILED';
  const failCode = r.pick([503, 404, 484, 480]);
  const talk = disp === 'ANSWERED' ? Math.round(clamp(w.around(95, 0.95), 3, 2700)) : 0;
  const ring = disp === 'ANSWERED' ? r.int(2500, 22_000) : disp === 'NO ANSWER' ? (r.chance(0.5) ? 30_000 : r.int(6000, 29_000)) : disp === 'BUSY' ? r.int(300, 4000) : r.int(80, 2500);
  return {
    ts, dir, ext, other, did, trunk, disp, ring, talk,
    rate: dir === 'out' ? dest.rate * (dest.intl ? w.around(1, 0.5) : 1) : 0,
    currency: trunk?.currency ?? 'GBP',
    codec: trunk?.codec ?? ext.codec,
    loss: clamp(w.around((trunk?.loss ?? 0.1) * 0.6, 0.9), 0, (trunk?.loss ?? 0.4) * 5),
    jitter: clamp(w.around(4, 0.6), 0.4, 35),
    src: `${ext.ip}:${ext.port}`,
    ...(disp === 'FAILED' ? { fail: { code: failCode, reason: REASON[failCode] } } : {}),
    kinds: {},
  };
}

/** Every call of the run, drafted. */
export function planCalls(w: W): Call[] {
  return w.arrivals(0.26).map((ts) => draftCall(w, ts));
}

const callId = (w: W, c: Call): string => (c.dir === 'in' ? `${w.r.hex(32)}@${c.trunk?.ip ?? PBX_IP}` : c.ext.ua.startsWith('Yealink') ? `0_${w.r.int(100_000_000, 4_000_000_000)}@192.168.${w.r.int(0, 2)}.${w.r.int(10, 250)}` : `${w.r.hex(8)}-${w.r.hex(8)}-${w.r.hex(8)}@192.168.1.${w.r.int(10, 250)}`);
const hexId = (n: number): string => n.toString(16).padStart(8, '0');
/** A fresh Asterisk call context (C-0000xxxx, in sequence). */
export const ctxId = (w: W): string => `C-${hexId(w.seq.call++)}`;

/** The result's reply code and reason as the proxy logs it. */
function reply(c: Call): [number, string] {
  if (c.fail !== undefined) return [c.fail.code, c.fail.reason];
  if (c.disp === 'ANSWERED') return [200, 'OK'];
  if (c.disp === 'BUSY') return [486, REASON[486]];
  return c.ring >= 30_000 ? [480, REASON[480]] : [487, REASON[487]];
}

/** A call's proxy and PBX lines; returns its Call-ID, the channels and when it ends. */
function signalling(w: W, rows: Row[], c: Call): { id: string; end: number } {
  const { r } = w;
  const id = callId(w, c);
  const tid = r.int(10_000, 32_000), ctx = ctxId(w);
  const chan = hexId(w.seq.chan++), chan2 = hexId(w.seq.chan++);
  const kam = (ts: number, level: string, msg: string, kind?: string): void => { rows.push(w.row(ts, STREAMS.sip, w.kam(ts, level, msg), undefined, kind)); };
  const ast = (ts: number, level: string, file: string, msg: string, kind?: string): void => { rows.push(w.row(ts, STREAMS.pbx, w.ast(ts, level, tid, ctx, file, msg), undefined, kind)); };
  const t = c.trunk?.name ?? '';
  const from = c.dir === 'in' ? `sip:+${c.other}@${c.trunk?.host ?? DOMAIN}` : `sip:${c.ext.num}@${DOMAIN}`;
  const to = c.dir === 'in' ? `sip:+${c.did}@${DOMAIN}` : c.dir === 'int' ? `sip:${c.other}@${DOMAIN}` : `sip:+${c.other}@${DOMAIN}`;
  const si = c.dir === 'in' ? `${c.trunk?.ip ?? ''}:5060` : c.src;
  const S = c.kinds.setup, R = c.kinds.result;
  kam(c.ts, 'NOTICE', `[INVITE] ci=${id} fu=${from} tu=${to} si=${si}`, S);
  const caller = c.dir === 'in' ? `SIP/${t}-${chan}` : `SIP/${c.ext.num}-${chan}`;
  const exten = c.dir === 'in' ? c.did : c.other;
  const callee = c.dir === 'out' ? `SIP/${t}` : `SIP/${c.dir === 'in' ? c.ext.num : c.other}`;
  if (c.dir === 'in') ast(c.ts + r.int(15, 40), 'VERBOSE', 'pbx.c', `Executing [${c.did}@from-trunk:1] Goto("${caller}", "from-internal,${c.ext.num},1") in new stack`, S);
  else ast(c.ts + r.int(15, 40), 'VERBOSE', 'pbx.c', `Executing [${exten}@from-internal:1] Set("${caller}", "CALLERID(num)=${c.ext.did}") in new stack`, S);
  ast(c.ts + r.int(41, 60), 'VERBOSE', 'pbx.c', `Executing [${c.dir === 'in' ? c.ext.num : exten}@from-internal:2] Dial("${caller}", "${callee}${c.dir === 'out' ? `/${exten},60,T` : ',30'}") in new stack`, S);
  const local = c.fail?.local === true;
  if (!local) {
    const ruri = c.dir === 'out' ? `sip:+${c.other}@${c.trunk?.host ?? ''};user=phone gw=${t}` : `sip:${c.dir === 'in' ? c.ext.num : c.other}@${PBX_IP}:5060 gw=pbx`;
    kam(c.ts + r.int(61, 90), 'INFO', `[INVITE] ci=${id} R-URI=${ruri}`, S);
    ast(c.ts + r.int(91, 120), 'VERBOSE', 'app_dial.c', `Called ${callee}${c.dir === 'out' ? `/${exten}` : ''}`, S);
  }
  const [code, reason] = reply(c);
  const at = c.ts + c.ring;
  kam(at, code >= 400 ? 'WARNING' : 'INFO', `[REPLY] ci=${id} ${code} ${reason} src=${local ? 'local' : c.dir === 'out' ? `${c.trunk?.ip ?? ''}:5060` : `${PBX_IP}:5060`}`, c.disp === 'ANSWERED' ? undefined : R);
  const dialled = `${callee}-${chan2}`;
  const end = at + c.talk * 1000;
  if (c.disp === 'ANSWERED') {
    ast(at + r.int(3, 20), 'VERBOSE', 'app_dial.c', `${dialled} answered ${caller}`, R);
    kam(end, 'NOTICE', `[BYE] ci=${id} si=${r.chance(0.55) ? si : c.dir === 'out' ? `${c.trunk?.ip ?? ''}:5060` : c.src}`, S);
    ast(end + r.int(5, 40), 'VERBOSE', 'pbx.c', `Spawn extension (from-internal, ${c.dir === 'in' ? c.ext.num : exten}, 2) exited non-zero on '${caller}'`, S);
  } else if (c.disp === 'BUSY') {
    ast(at + r.int(3, 20), 'VERBOSE', 'app_dial.c', `${dialled} is busy`, R);
    ast(at + r.int(21, 60), 'VERBOSE', 'pbx.c', `Auto fallthrough, channel '${caller}' status is 'BUSY'`, R);
  } else if (c.disp === 'NO ANSWER') {
    ast(at + r.int(3, 20), 'VERBOSE', 'app_dial.c', c.ring >= 30_000 ? `Nobody picked up in ${c.dir === 'out' ? 60_000 : 30_000} ms` : `${caller} hung up before answer`, R);
  } else {
    ast(at + r.int(3, 20), 'VERBOSE', 'app_dial.c', local ? 'Everyone is busy/congested at this time (1:0/0/1)' : `${dialled} is circuit-busy`, R);
    ast(at + r.int(21, 60), 'VERBOSE', 'pbx.c', `Auto fallthrough, channel '${caller}' status is '${local ? 'CHANUNAVAIL' : 'CONGESTION'}'`, R);
  }
  return { id, end };
}

/** MOS (ITU E-model, roughly) of a leg with `loss` % and `jitter` ms. */
export const mosOf = (loss: number, jitter: number): number => clamp(1 + 3.42 * Math.exp(-loss / 15) - 0.004 * jitter, 1, 4.5);

/** An answered call's media stats: a line per leg (the phone's, the carrier's or the callee phone's). */
function media(w: W, rows: Row[], c: Call, id: string, end: number): void {
  const { r } = w;
  const port = 2 * r.int(15_000, 29_999);
  const secs = c.talk + Math.round(c.ring / 1000);
  const dur = `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
  const leg = (ts: number, peer: string, via: string, codec: string, loss: number, jitter: number, kind?: string): void => {
    const pkts = Math.round(secs * 50 * (1 - loss / 100));
    const lost = Math.round((secs * 50 * loss) / 100);
    rows.push(w.row(ts, STREAMS.media, w.rtp(ts, 'INFO', id, `Final packet stats: leg ${via} peer ${peer} port ${port} codec ${codec} packets ${pkts} lost ${lost} (${loss.toFixed(1)}%) jitter ${Math.round(jitter)} ms MOS ${mosOf(loss, jitter).toFixed(1)} duration ${dur}`), undefined, kind));
  };
  const phoneLoss = clamp(w.around(0.08, 1), 0, 2.5);
  leg(end + r.int(20, 80), `${c.src.split(':')[0]}:${r.int(10_000, 20_000) & ~1}`, `ext ${c.ext.num}`, c.ext.codec, phoneLoss, clamp(w.around(5, 0.7), 0.4, 40), c.kinds.phone);
  if (c.trunk !== undefined) leg(end + r.int(81, 140), `${c.trunk.ip}:${r.int(10_000, 60_000) & ~1}`, `trunk ${c.trunk.name}`, c.codec, c.loss, c.jitter, c.kinds.media);
  else leg(end + r.int(81, 140), `${r.pick(w.sites)}:${r.int(10_000, 20_000) & ~1}`, `ext ${c.other}`, c.codec, clamp(w.around(0.08, 1), 0, 2.5), c.jitter, c.kinds.media);
}

/** A call on every stream it touches. */
export function renderCall(w: W, rows: Row[], c: Call): void {
  const { r } = w;
  const { id, end } = signalling(w, rows, c);
  if (c.disp === 'ANSWERED') media(w, rows, c, id, end);
  else if (r.chance(0.003)) rows.push(w.row(end + 60_000, STREAMS.media, w.rtp(end + 60_000, 'WARNING', id, 'Call timed out, no media received for 60 seconds, closing'), undefined));
  const billsec = c.talk;
  const at = end + r.int(150, 900);
  const uid = `${Math.floor(c.ts / 1000)}.${w.seq.uid++}`;
  const src = c.dir === 'in' ? c.other : c.ext.num;
  const dst = c.dir === 'in' ? c.did : c.other;
  const cost = Math.round((c.rate * billsec) / 60 * 10_000) / 10_000;
  rows.push(w.row(at, STREAMS.cdr, w.cdr({ start: c.ts, answer: c.disp === 'ANSWERED' ? c.ts + c.ring : 0, src, dst, duration: Math.round((end - c.ts) / 1000), billsec, disposition: c.disp, cost, currency: c.currency, trunk: c.trunk?.name ?? '-', uid }), undefined, c.kinds.cdr));
}

