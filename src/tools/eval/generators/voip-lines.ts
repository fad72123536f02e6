// The `voip` generator's world and line formats (see voip.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. The extensions, trunks, customer sites, the run's
// fixed benign events (a trunk added, extensions created, numbers ported in, a country enabled for
// SMS, the nightly CDR export) are drawn first, so that every stream tells the same story. Formats:
//   kam    the SIP edge proxy (Kamailio via syslog: Mon dd hh:mm:ss host /usr/sbin/kamailio[pid]:
//          LEVEL: <script>: [METHOD] key=value ...), its routing script's xlog lines
//   ast    the PBX (Asterisk's full log: [YYYY-MM-DD hh:mm:ss] LEVEL[tid][C-xxxxxxxx] file.c: ...)
//   rtp    the media relay (rtpengine via syslog: ... rtpengine[pid]: LEVEL: [call-id]: ...)
//   sms    the SMS gateway's SMPP client (JSON, one object a line)
//   cdr    the rating engine's CDR rows (CSV: start, answer, src, dst, duration, billsec,
//          disposition, cost, currency, trunk, uniqueid)
//   api    the provisioning API behind nginx (combined log with rt= and req_id=)
import { logRow, type LabelledRow, type RunWorld } from './labelled.js';
import { runClock, seeded, type Random } from './random.js';

export type Row = LabelledRow;

/** No incident in the first 30 minutes of event time. */
export const WARMUP_MS = 1_800_000;

export const STREAMS = {
  sip: 'sip/kamailio',
  pbx: 'pbx/asterisk',
  media: 'media/rtpengine',
  sms: 'sms/gateway',
  cdr: 'billing/cdr',
  api: 'api/provisioning',
} as const;

export const DOMAIN = 'pbx.voxline.net';
export const PBX_IP = '10.30.0.21';

/** A carrier trunk: its name, SIP host and address, currency of its rates, usual loss (%), when it came in. */
export interface Trunk { name: string; host: string; ip: string; currency: string; loss: number; from: number; codec: string }
/** An extension: its number, phone's address, agent, registration interval, DID, when it was created. */
export interface Ext { num: string; ip: string; port: number; ua: string; expires: number; did: string; from: number; codec: string }
/** A destination class: its E.164 prefixes, share of outbound calls, rate per minute (in the trunk's currency). */
export interface Dest { name: string; prefixes: string[]; share: number; rate: number; intl: boolean }

export const DESTS: Dest[] = [
  { name: 'uk-geo', prefixes: ['44113', '44117', '44121', '44131', '44141', '44161', '44191', '4420'], share: 0.42, rate: 0.008, intl: false },
  { name: 'uk-mobile', prefixes: ['4474', '4475', '4477', '4478', '4479'], share: 0.33, rate: 0.021, intl: false },
  { name: 'uk-free', prefixes: ['44800', '44808'], share: 0.05, rate: 0, intl: false },
  { name: 'intl', prefixes: ['1212', '1415', '33', '49', '353', '34', '31', '91', '48', '39'], share: 0.2, rate: 0.035, intl: true },
];
/** Premium and high-cost destinations of toll fraud (never called otherwise). */
export const FRAUD_PREFIXES = ['5352', '23276', '88216', '37181', '25290', '6757', '2392'];
/** SMS countries enabled from the start, their calling codes and shares. */
export const SMS_COUNTRIES: [string, string, number][] = [
  ['GB', '447', 0.62], ['IE', '3538', 0.07], ['FR', '336', 0.06], ['DE', '4915', 0.06], ['ES', '346', 0.04], ['NL', '316', 0.04],
  ['US', '1', 0.05], ['IN', '91', 0.03], ['PL', '485', 0.03],
];
/** Countries one of which is enabled (announced) during the run, and countries never enabled. */
export const ENABLED_LATER: [string, string][] = [['BR', '5511'], ['MX', '521'], ['ZA', '278']];
export const NEVER_ENABLED: [string, string][] = [['UZ', '99890'], ['KG', '996'], ['TJ', '992'], ['PG', '675']];
export const UNSEEN_CODECS = ['G729/8000', 'AMR-WB/16000', 'GSM/8000'];
export const UAS = [
  'Yealink SIP-T46S 66.86.0.15', 'Yealink SIP-T54W 96.86.0.100', 'PolycomVVX-VVX_450-UA/6.4.3.5018', 'Grandstream GXP2170 1.0.11.23',
  'Zoiper rv2.10.19.6', 'Linphone/5.2.2 (belle-sip/5.2.0)', 'MicroSIP/3.21.3', 'Cisco-CP8841/12.8.1',
];
export const SCANNER_UAS = ['friendly-scanner', 'sipvicious', 'sipcli/v1.8', 'VaxSIPUserAgent/3.1'];

export interface W extends RunWorld {
  exts: Ext[];
  trunks: Trunk[];
  /** The trunk added during the run (the last of `trunks`), announced by a config reload at its `from`. */
  added: Trunk;
  /** Office sites' public addresses. */
  sites: string[];
  /** Numbers ported in: the number, when the port was requested, when it completed. */
  ports: { num: string; asked: number; done: number; ext: Ext }[];
  /** The country enabled for SMS during the run and when (announced by the routing reload). */
  country: { code: string; cc: string; at: number };
  nightlyAt: number;
  /** Monotonic counters: Asterisk channel and call ids, the CDR uniqueid's sequence. */
  seq: { chan: number; call: number; uid: number };
  /** A proxy line: its routing script's by default, else a module's (`tm [t_fwd.c:1573]`). */
  kam: (ts: number, level: string, msg: string, module?: string) => string;
  ast: (ts: number, level: string, tid: number, ctx: string, file: string, msg: string) => string;
  rtp: (ts: number, level: string, id: string, msg: string) => string;
  sms: (ts: number, level: string, logger: string, msg: string, fields: Record<string, string | number>) => string;
  cdr: (c: CdrRow) => string;
  api: (ts: number, a: ApiReq) => string;
}

export interface CdrRow { start: number; answer: number; src: string; dst: string; duration: number; billsec: number; disposition: string; cost: number; currency: string; trunk: string; uid: string }
export interface ApiReq { ip: string; user: string; method: string; path: string; status: number; bytes: number; agent: string; rt: number; id: string }

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const clock = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
const sysDate = (ts: number): string => { const d = new Date(ts); return `${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${clock(d)}`; };
/** YYYY-MM-DD hh:mm:ss of ts (UTC). */
export const stamp = (ts: number): string => new Date(ts).toISOString().slice(0, 19).replace('T', ' ');

function formats(r: Random): Pick<W, 'kam' | 'ast' | 'rtp' | 'sms' | 'cdr' | 'api'> {
  const kamPids = Array.from({ length: 8 }, () => r.int(2100, 2400));
  const rtpPid = r.int(700, 900);
  return {
    kam: (ts, level, msg, module = '<script>') => `${sysDate(ts)} sbc-edge-01 /usr/sbin/kamailio[${kamPids[ts % 8]}]: ${level}: ${module}: ${msg}`,
    ast: (ts, level, tid, ctx, file, msg) => `[${stamp(ts)}] ${level}[${tid}]${ctx === '' ? '' : `[${ctx}]`} ${file}: ${msg}`,
    rtp: (ts, level, id, msg) => `${sysDate(ts)} media-01 rtpengine[${rtpPid}]: ${level}: [${id}]: ${msg}`,
    sms: (ts, level, logger, msg, fields) => JSON.stringify({ time: new Date(ts).toISOString(), level, logger, msg, ...fields }),
    cdr: (c) => [
      `"${stamp(c.start)}"`, c.answer > 0 ? `"${stamp(c.answer)}"` : '""', `"${c.src}"`, `"${c.dst}"`, c.duration, c.billsec, `"${c.disposition}"`, c.cost.toFixed(4), `"${c.currency}"`, `"${c.trunk}"`, `"${c.uid}"`,
    ].join(','),
    api: (ts, a) => {
      const d = new Date(ts);
      const when = `${pad(d.getUTCDate())}/${MON[d.getUTCMonth()]}/${d.getUTCFullYear()}:${clock(d)} +0000`;
      return `${a.ip} - ${a.user} [${when}] "${a.method} ${a.path} HTTP/1.1" ${a.status} ${a.bytes} "-" "${a.agent}" rt=${a.rt.toFixed(3)} req_id=${a.id}`;
    },
  };
}

const digits = (r: Random, n: number): string => { let s = ''; for (let i = 0; i < n; i++) s += String(r.int(0, 9)); return s; };
/** A fresh E.164 number (no plus) under `prefix`, `len` digits long. */
export const numberIn = (r: Random, prefix: string, len = 12): string => prefix + digits(r, Math.max(4, len - prefix.length));
/** A fresh address outside our sites (a home worker's ISP, a scanner, a fraudster). */
export const outsideIp = (r: Random): string => `${r.pick([5, 31, 45, 77, 89, 102, 146, 185, 193, 212])}.${r.int(1, 254)}.${r.int(0, 255)}.${r.int(1, 254)}`;

function extensions(r: Random, sites: string[], t0: number): Ext[] {
  const used = new Set<number>();
  return Array.from({ length: r.int(90, 140) }, () => makeExt(r, sites, used, t0 - 864e5));
}

/** A new extension (its number unused so far), created at `from`. */
export function makeExt(r: Random, sites: string[], used: Set<number>, from: number): Ext {
  let n = r.int(1000, 1999);
  while (used.has(n)) n = r.int(1000, 1999);
  used.add(n);
  const soft = r.chance(0.2);
  const ua = soft ? r.pick(UAS.slice(4, 7)) : r.pick([...UAS.slice(0, 4), UAS[7]]);
  return {
    num: String(n), ip: soft ? outsideIp(r) : r.pick(sites), port: soft || r.chance(0.5) ? r.int(1024, 65_000) : 5060, ua,
    expires: soft || r.chance(0.1) ? 300 : 3600, did: `44207946${digits(r, 4)}`, from, codec: soft ? r.pick(['opus/48000', 'PCMA/8000']) : r.pick(['PCMA/8000', 'PCMA/8000', 'G722/8000']),
  };
}

function trunks(r: Random, addedAt: number): Trunk[] {
  return [
    { name: 'trunk-uk1', host: 'sip.uk-carrier.net', ip: `194.${r.int(60, 90)}.${r.int(0, 255)}.${r.int(1, 254)}`, currency: 'GBP', loss: 0.05, from: 0, codec: 'PCMA/8000' },
    { name: 'trunk-intl', host: 'sbc.wholesale-voice.com', ip: `63.${r.int(200, 240)}.${r.int(0, 255)}.${r.int(1, 254)}`, currency: 'USD', loss: 0.3, from: 0, codec: 'PCMU/8000' },
    { name: 'trunk-eu2', host: 'sip.euro-transit.eu', ip: `91.${r.int(100, 140)}.${r.int(0, 255)}.${r.int(1, 254)}`, currency: 'EUR', loss: 0.15, from: addedAt, codec: 'PCMA/8000' },
  ];
}

export function world(seed: number, minutes: number): W {
  const r = seeded(seed * 40_503 + 11);
  const day = Date.UTC(2026, 1, 2) + (seed % 300) * 86_400_000;
  const t0 = day + 20.5 * 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  // a UK platform's calls: the afternoon peak at 15:00 UTC, the night trough at 03:00; the run goes from the evening into the night
  const rate = (t: number): number => 0.15 + 1.6 * (1 + Math.cos((2 * Math.PI * ((t / 3_600_000) % 24 - 15)) / 24)) / 2;
  const sites = Array.from({ length: r.int(6, 10) }, (_, i) => `${['198.51.100', '203.0.113', '192.0.2'][i % 3]}.${r.int(2, 250)}`);
  const exts = extensions(r, sites, t0);
  const frac = (lo: number, hi: number): number => t0 + Math.round((lo + (hi - lo) * r.next()) * (end - t0));
  const ts = trunks(r, frac(0.25, 0.6));
  const used = new Set(exts.map((e) => Number(e.num)));
  for (let i = r.int(2, 4); i > 0; i--) exts.push(makeExt(r, sites, used, frac(0.05, 0.85)));
  const ports = Array.from({ length: r.int(2, 3) }, () => {
    const asked = frac(0.05, 0.7);
    return { num: `44161496${digits(r, 4)}`, asked, done: asked + r.int(5, 25) * 60_000, ext: r.pick(exts.slice(0, 40)) };
  });
  const [code, cc] = r.pick(ENABLED_LATER);
  return {
    r, seed, t0, end, rate, row: logRow, exts, trunks: ts, added: ts[2], sites, ports,
    country: { code, cc, at: frac(0.2, 0.7) },
    nightlyAt: day + 24 * 3_600_000 + 10 * 60_000 + r.int(0, 20_000),
    seq: { chan: r.int(0x200, 0x3000), call: r.int(0x100, 0x2000), uid: r.int(1000, 9000) },
    ...runClock(r, t0, end, rate, 1.75),
    ...formats(r),
  };
}

/** The extensions that exist at ts. */
export const extsAt = (w: W, ts: number): Ext[] => w.exts.filter((e) => e.from <= ts);

/**
 * The unlabelled row of `stream` matching `test` nearest after ts (else nearest before, not in the
 * warm-up).
 */
export function rowNear(w: W, rows: Row[], stream: string, ts: number, test: (data: string) => boolean): Row | undefined {
  let before: Row | undefined, after: Row | undefined;
  for (const x of rows) {
    if (x.ev.stream !== stream || x.kind !== undefined || !test(String(x.ev.data))) continue;
    if (x.ts >= ts && x.ts < w.end - 30_000 && (after === undefined || x.ts < after.ts)) after = x;
    if (x.ts < ts && x.ts >= w.t0 + WARMUP_MS && (before === undefined || x.ts > before.ts)) before = x;
  }
  return after ?? before;
}
