// The `pay` generator's world and line formats (see pay.ts): one seeded source shared by every
// stream, so the order of calls is the seed's. The merchants (their country, currency, usual
// amount and share of traffic) and the run's fixed events (a pod added in the warm-up, a deploy,
// the currency newly enabled, the 04:00 UTC settlement) are drawn first, so that every stream
// tells the same story. Each format is written as its software writes it:
//   envoy     the API gateway's access log (Envoy's default format)
//   spring    the payments service (Spring Boot with logstash-logback-encoder: one JSON object a line)
//   python    the fraud scorer (Python logging: date time,ms LEVEL [logger] [worker] message)
//   zerolog   the card-network adapter (Go zerolog console: time LVL message key=value ...)
//   postgres  the ledger database (log_line_prefix '%m [%p] %u@%d ')
//   log4j     the ledger writer, a Kafka consumer (Java log4j2 pattern)
//   pino      the webhook dispatcher (Node.js pino JSON)
import type { LabelledRow, RunWorld } from './labelled.js';
import { logRow } from './labelled.js';
import { runClock, seeded, type Random } from './random.js';

export type Row = LabelledRow;

export const STREAMS = {
  gateway: 'gateway/envoy',
  payments: 'payments/api',
  fraud: 'fraud/scorer',
  network: 'network/iso8583',
  ledger: 'ledger/postgres',
  consumer: 'kafka/ledger-writer',
  webhooks: 'webhooks/dispatcher',
} as const;

/** ISO 4217 numeric codes, as the card network carries them. */
export const CURRENCY_CODES: Record<string, string> = { EUR: '978', GBP: '826', USD: '840', CHF: '756', SEK: '752', PLN: '985', BRL: '986', JPY: '392', TRY: '949', MXN: '484' };
export const HOME_CURRENCY: Record<string, string> = { DE: 'EUR', FR: 'EUR', NL: 'EUR', ES: 'EUR', IT: 'EUR', IE: 'EUR', GB: 'GBP', US: 'USD', CH: 'CHF', SE: 'SEK', PL: 'EUR' };
/** The currency the config reload enables (benign: announced first), and currencies never enabled. */
export const ENABLED_LATER = 'PLN';
export const NEW_CURRENCIES = ['BRL', 'JPY', 'TRY', 'MXN'];
/** Card issuing countries (from the BIN) and their share of cards; every one at least 2 %. */
export const CARD_COUNTRIES: [string, number][] = [
  ['DE', 0.17], ['FR', 0.12], ['GB', 0.14], ['NL', 0.08], ['ES', 0.07], ['IT', 0.07], ['US', 0.11],
  ['SE', 0.05], ['CH', 0.04], ['PL', 0.05], ['BE', 0.03], ['AT', 0.03], ['IE', 0.02], ['DK', 0.02],
];
export const NEW_CARD_COUNTRIES = ['NG', 'VN', 'KZ', 'PK'];
export const REGIONS = ['eu-west-1', 'eu-central-1'];
export const NEW_REGIONS = ['us-east-1', 'ap-southeast-2', 'sa-east-1'];
/** Card schemes: share of cards, BIN prefix and the network's median round trip in ms. */
export interface Scheme { name: string; share: number; prefix: string[]; rtt: number }
export const SCHEMES: Scheme[] = [
  { name: 'VISA', share: 0.55, prefix: ['4'], rtt: 90 },
  { name: 'MASTERCARD', share: 0.38, prefix: ['51', '52', '53', '54', '55'], rtt: 110 },
  { name: 'AMEX', share: 0.07, prefix: ['34', '37'], rtt: 420 },
];
export const NEW_SCHEMES: Scheme[] = [
  { name: 'UNIONPAY', share: 0, prefix: ['62'], rtt: 300 },
  { name: 'JCB', share: 0, prefix: ['35'], rtt: 260 },
  { name: 'DISCOVER', share: 0, prefix: ['6011'], rtt: 200 },
];
/** ISO 8583 response codes of authorisations and their share (00 approved). */
export const RESPONSE_CODES: [string, number, string][] = [
  ['00', 0.905, 'approved'], ['05', 0.04, 'do_not_honor'], ['51', 0.03, 'insufficient_funds'], ['54', 0.01, 'expired_card'],
  ['61', 0.006, 'exceeds_withdrawal_limit'], ['65', 0.005, 'card_velocity_exceeded'], ['14', 0.004, 'invalid_number'],
];
export const declineReason = (rc: string): string => RESPONSE_CODES.find((x) => x[0] === rc)?.[2] ?? 'do_not_honor';

/** A merchant: its account, country, currency, median amount (major units), share of payments and webhook endpoint. */
export interface Merchant { id: string; country: string; currency: string; median: number; share: number; hook: string; mcc: string }

const MCCS = ['5411', '5812', '5999', '4121', '5732', '7372', '5691', '4511', '5814', '8299'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');
const iso = (ts: number): string => new Date(ts).toISOString();
const spaced = (ts: number, sep = ','): string => `${iso(ts).slice(0, 19).replace('T', ' ')}${sep}${pad(new Date(ts).getUTCMilliseconds(), 3)}`;

/** One request in the gateway's access log. */
export interface Access { method: string; path: string; status: number; flags: string; rx: number; tx: number; ms: number; client: string; ua: string; id: string; upstream: string }

/** The run: its clock, merchants and fixed events, the line formats. */
export interface P extends RunWorld {
  merchants: Merchant[];
  /** A merchant by share of payments. */
  merchant: () => Merchant;
  /** The currency a merchant charges in at a time (its home one; PLN for Polish merchants once enabled). */
  currencyOf: (m: Merchant, ts: number) => string;
  /** When the config reload enables PLN (after the warm-up). */
  reloadAt: number;
  /** The payments pods over time: a pod added in the warm-up, a rolling deploy of a new version. */
  pods: { name: string; region: string; from: number }[];
  podAt: (ts: number) => { pod: string; region: string };
  versionAt: (ts: number) => string;
  deploy: { at: number; from: string; to: string };
  /** The daily settlement run at 04:00 UTC (after the warm-up on every seed). */
  settleAt: number;
  envoy: (ts: number, e: Access) => string;
  spring: (ts: number, level: string, logger: string, thread: string, msg: string, fields: Record<string, string | number>) => string;
  python: (ts: number, level: string, logger: string, msg: string) => string;
  zerolog: (ts: number, level: string, msg: string, fields: Record<string, string | number>) => string;
  postgres: (ts: number, pid: number, who: string, level: string, msg: string) => string;
  log4j: (ts: number, level: string, thread: string, logger: string, msg: string) => string;
  pino: (ts: number, level: number, host: string, msg: string, fields: Record<string, unknown>) => string;
}

function merchants(r: Random): Merchant[] {
  const countries = Object.keys(HOME_CURRENCY);
  return Array.from({ length: r.int(30, 45) }, (_, i) => {
    const country = i < 3 ? 'PL' : r.pick(countries);
    return {
      id: `acct_${r.hex(16)}`, country, currency: HOME_CURRENCY[country], median: Math.round(Math.exp(Math.log(6) + r.next() * Math.log(60)) * 100) / 100,
      share: 1 / (i + 2), hook: `https://${r.pick(['hooks', 'api', 'shop', 'backend'])}.merchant-${r.hex(4)}.example/${r.pick(['webhooks/payments', 'psp/events', 'callbacks'])}`, mcc: r.pick(MCCS),
    };
  });
}

function pods(r: Random, t0: number, end: number): Pick<P, 'pods' | 'podAt' | 'versionAt' | 'deploy'> {
  const rs = r.hex(10).replace(/[0-9]/g, (c) => 'bcdfghjklm'[Number(c)]);
  const name = (): string => `payments-api-${rs}-${r.hex(5).replace(/[0-9]/g, (c) => 'npqrstvwxz'[Number(c)])}`;
  const list = [0, 1, 2, 3].map((i) => ({ name: name(), region: REGIONS[i % 2], from: t0 - 86_400_000 }));
  list.push({ name: name(), region: r.pick(REGIONS), from: t0 + r.int(6, 20) * 60_000 });
  const minor = 30 + (r.int(0, 40));
  const deploy = { at: t0 + Math.round((0.35 + 0.3 * r.next()) * (end - t0)), from: `2.${minor}.${r.int(0, 6)}`, to: `2.${minor + 1}.0` };
  const live = (ts: number): { name: string; region: string; from: number }[] => list.filter((p) => p.from <= ts);
  return {
    pods: list, deploy,
    podAt: (ts) => { const p = r.pick(live(ts)); return { pod: p.name, region: p.region }; },
    versionAt: (ts) => (ts >= deploy.at + 240_000 ? deploy.to : deploy.from),
  };
}

const formats = (): Pick<P, 'envoy' | 'spring' | 'python' | 'zerolog' | 'postgres' | 'log4j' | 'pino'> => ({
  envoy: (ts, e) =>
    `[${iso(ts)}] "${e.method} ${e.path} HTTP/1.1" ${e.status} ${e.flags} ${e.rx} ${e.tx} ${Math.round(e.ms)} ${e.flags === '-' ? Math.max(0, Math.round(e.ms) - 1) : '-'} "${e.client}" "${e.ua}" "${e.id}" "api.paygate.example" "${e.upstream}"`,
  spring: (ts, level, logger, thread, msg, fields) => JSON.stringify({ '@timestamp': iso(ts).replace('Z', '+00:00'), '@version': '1', message: msg, logger_name: logger, thread_name: thread, level, level_value: level === 'ERROR' ? 40000 : level === 'WARN' ? 30000 : 20000, ...fields }),
  python: (ts, level, logger, msg) => `${spaced(ts)} ${level} [${logger}] ${msg}`,
  zerolog: (ts, level, msg, fields) => `${iso(ts)} ${level} ${msg}${Object.entries(fields).map(([k, v]) => ` ${k}=${v}`).join('')}`,
  postgres: (ts, pid, who, level, msg) => `${spaced(ts, '.')} UTC [${pid}] ${who} ${level}:  ${msg}`,
  log4j: (ts, level, thread, logger, msg) => `${spaced(ts)} ${level.padEnd(5)} [${thread}] ${logger} - ${msg}`,
  pino: (ts, level, host, msg, fields) => JSON.stringify({ level, time: ts, pid: 1, hostname: host, ...fields, msg }),
});

export function world(seed: number, minutes: number): P {
  const r = seeded(seed * 48_271 + 11);
  const day = Date.UTC(2026, 3, 6) + (seed % 300) * 86_400_000;
  const t0 = day + 3_600_000 + r.int(0, 90) * 60_000;
  const end = t0 + minutes * 60_000;
  // the night trough in Europe, then the morning ramp
  const rate = (t: number): number => 0.55 + 0.95 * ((t - t0) / (end - t0)) ** 1.6;
  const ms = merchants(r);
  const total = ms.reduce((a, m) => a + m.share, 0);
  const reloadAt = t0 + Math.round((0.2 + 0.5 * r.next()) * (end - t0));
  return {
    r, seed, t0, end, rate, row: logRow, merchants: ms, reloadAt, settleAt: day + 4 * 3_600_000 + r.int(0, 20_000),
    ...runClock(r, t0, end, rate, 1.5),
    ...pods(r, t0, end),
    ...formats(),
    merchant: () => { let u = r.next() * total; for (const m of ms) { u -= m.share; if (u < 0) return m; } return ms[0]; },
    currencyOf: (m, ts) => (m.country === 'PL' && ts >= reloadAt + 5000 ? ENABLED_LATER : m.currency),
  };
}

/** A weighted pick from [value, share] pairs. */
export function weighted<T>(r: Random, xs: readonly (readonly [T, number, ...unknown[]])[]): T {
  let u = r.next() * xs.reduce((a, x) => a + x[1], 0);
  for (const x of xs) { u -= x[1]; if (u < 0) return x[0]; }
  return xs[xs.length - 1][0];
}
