// The pay generator: pure (same seed, same bytes), every kind labelled, labels consistent with the
// lines they point at (never at a benign line: a deploy's startup, a config reload, the settlement
// run, a currency announced before use), sane incident counts, seven formats, benign novelty.
import { describe, expect, it } from 'vitest';
import { generatePay, PAY_KINDS, WARMUP_MS } from '../../src/tools/eval/generators/pay.js';
import { CURRENCY_CODES, NEW_CARD_COUNTRIES, NEW_CURRENCIES, NEW_REGIONS, NEW_SCHEMES, STREAMS } from '../../src/tools/eval/generators/pay-lines.js';
import { expectFullLogRun, expectLabelledLogSet, expectRegisteredAndPure, expectSilenceAt, idxOf, incidents, normalOf, num, ofKind } from './helpers.js';

const SHORT = 150; // minutes: the 30-minute warm-up, a silence of up to 25 and every other kind
/** A line with its ids, numbers and timestamps masked: its template, roughly. */
const shape = (l: string): string => l.replace(/net=[A-Z]+/g, 'net=N').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'U').replace(/\b(pay|acct|evt|re|stl|hold)_[0-9a-f]+/g, 'I').replace(/"trace_id":"[0-9a-f]+"/g, 'T').replace(/\d+/g, '0');
const BENIGN = /Starting PaymentsApplication|Started PaymentsApplication|Graceful|HikariPool-1 - (Start|Shutdown|Added)|Migrating schema|Successfully applied|Refresh keys changed|Currency PLN enabled|Settlement|settlement|COPY settlement_lines|checkpoint|automatic vacuum|connection (received|authorized)|model registry/;
const NEW_VALUE = (l: string): boolean => NEW_CURRENCIES.some((c) => l.includes(` ${c} `) || l.includes(`"currency":"${c}"`) || l.includes(`cur=${CURRENCY_CODES[c]} `))
  || NEW_REGIONS.some((x) => l.includes(`"region":"${x}"`)) || NEW_CARD_COUNTRIES.some((x) => l.includes(`card_country=${x} `) || l.includes(`ctry=${x} `) || l.includes(`"card_bin_country":"${x}"`))
  || NEW_SCHEMES.some((s) => l.includes(`net=${s.name} `) || l.includes(`"card_network":"${s.name}"`)) || /"type":"(issuing_authorization\.request|payout\.reversed|account\.application\.deauthorized)"/.test(l);

describe('eval generate --kind pay', () => {
  it('is registered and deterministic per seed, to the byte', () => {
    expectRegisteredAndPure('pay', generatePay, SHORT, /payments platform/);
  });

  it('labels every kind at existing lines in time order after the warm-up, with sane incident counts', () => {
    for (const seed of [1, 2, 3]) {
      const set = generatePay(seed, SHORT);
      expectLabelledLogSet(set, PAY_KINDS, WARMUP_MS);
      expect(set.labels.anomalous.every((i) => set.events[i] !== undefined)).toBe(true);
      const n = incidents(set);
      expect(n.new_error).toBe(4);
      // a payment's labelled lines in several streams may interleave with other lines: up to three incidents
      expect(n.unusual_value).toBeGreaterThanOrEqual(5);
      expect(n.unusual_value).toBeLessThanOrEqual(15);
      expect(n.unseen_category).toBeGreaterThanOrEqual(3);
      expect(n.unseen_category).toBeLessThanOrEqual(9);
      expect(n.silence).toBe(1);
      expect(n.retry_storm).toBeGreaterThanOrEqual(2);
      expect(n.card_testing).toBeGreaterThanOrEqual(1);
      expect(idxOf(set, 'card_testing').length).toBeGreaterThanOrEqual(200);
      expect(n.rare_error).toBeGreaterThanOrEqual(7);
      expect(n.rare_error).toBeLessThanOrEqual(9);
      expect([9, 18]).toContain(idxOf(set, 'rare_error').length);
      expect(idxOf(set, 'rare_burst').length).toBeGreaterThanOrEqual(70);
      const last = Math.max(...idxOf(set, 'rare_burst'));
      expect(idxOf(set, 'rare_error').filter((i) => i > last).length).toBeGreaterThanOrEqual(6);
      expect(idxOf(set, 'retry_storm').length).toBeGreaterThanOrEqual(2 * 40);
    }
  });

  it('the labelled lines hold what their kind says, never a benign event, and normal lines never do', () => {
    for (const seed of [5, 6, 7, 8]) {
      const set = generatePay(seed, SHORT);
      const normal = normalOf(set);
      const normalShapes = new Set(normal.map(shape));
      for (const l of ofKind(set, 'new_error').filter((x) => !x.startsWith('Traceback'))) expect(normalShapes.has(shape(l)), l).toBe(false);
      const rare = new Set([...ofKind(set, 'rare_error'), ...ofKind(set, 'rare_burst')].map(shape));
      expect(rare.size).toBeLessThanOrEqual(2);
      for (const s of rare) expect(normalShapes.has(s)).toBe(false);
      for (const l of set.labels.anomalous.map((i) => String(set.events[i].data))) expect(BENIGN.test(l), l).toBe(false);
      for (const l of ofKind(set, 'unseen_category')) expect(NEW_VALUE(l), l).toBe(true);
      expect(normal.filter(NEW_VALUE)).toEqual([]);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/webhook delivery failed, will retry|Optimistic lock conflict|no response yet, retransmitting/);
      const ct = ofKind(set, 'card_testing');
      expect(new Set(ct.map((l) => /bin=(\d+)|"card_network"/.exec(l)?.[1]).filter((x) => x !== undefined)).size).toBe(1);
      expect(new Set(ct.filter((l) => l.includes('POST /v1/payments')).map((l) => l.split('"')[5])).size).toBe(1);
      expect(ct.filter((l) => l.includes('POST /v1/payments')).every((l) => l.includes('"python-requests/2.31.0"'))).toBe(true);
      for (const l of ofKind(set, 'unusual_value')) {
        const odd = l.startsWith('[') ? (num(l, /HTTP\/1\.1" (\d+)/) >= 500 || num(l, /HTTP\/1\.1" \d+ - \d+ \d+ (\d+)/) > 300)
          : l.includes('duration:') ? num(l, /duration: ([\d.]+) ms/) > 250
            : l.includes('rtt=') ? (num(l, /rtt=(\d+)ms/) > 1500 || num(l, /amt=(\d+)/) > 40_000)
              : l.includes('took=') ? (num(l, /took=([\d.]+)ms/) > 60 || num(l, /amount=([\d.]+)/) > 400)
                : (num(l, /"latency_ms":(\d+)/) > 1500 || num(l, /"amount":([\d.]+)/) > 400);
        expect(odd, l).toBe(true);
      }
    }
  });

  it('normal values stay in their usual ranges (the unusual ones are unusual for their context)', () => {
    const normal = normalOf(generatePay(8));
    const route = (re: RegExp): string[] => normal.filter((l) => l.startsWith('[') && re.test(l));
    const ms = (l: string): number => num(l, /HTTP\/1\.1" \d+ \S+ \d+ \d+ (\d+)/);
    const lookups = route(/"GET \/v1\/payments\/pay_/);
    expect(lookups.length).toBeGreaterThan(1000);
    expect(lookups.every((l) => ms(l) < 150 && num(l, /HTTP\/1\.1" (\d+)/) < 500)).toBe(true);
    expect(route(/"POST \/v1\/payments /).filter((l) => ms(l) > 300).length).toBeGreaterThan(50);
    expect(route(/"POST \/v1\/payments /).some((l) => l.includes('" 504 UT '))).toBe(true);
    expect(route(/"(GET|POST) \/v1\/(refunds|balance|customers|payouts|payments\/)/).some((l) => num(l, /HTTP\/1\.1" (\d+)/) >= 500)).toBe(false);
    const fast = normal.filter((l) => /duration: [\d.]+ ms {2}execute S_[123]/.test(l)).map((l) => num(l, /duration: ([\d.]+)/));
    expect(Math.max(...fast)).toBeLessThan(250);
    expect(normal.filter((l) => /execute S_4/.test(l) && num(l, /duration: ([\d.]+)/) > 250).length).toBeGreaterThan(10);
    const visa = normal.filter((l) => /auth response .*net=(VISA|MASTERCARD) /.test(l)).map((l) => num(l, /rtt=(\d+)ms/));
    expect(Math.max(...visa)).toBeLessThan(1500);
    expect(Math.max(...normal.filter((l) => l.includes('took=')).map((l) => num(l, /took=([\d.]+)ms/)))).toBeLessThan(60);
    const warnings = normal.filter((l) => /"level":"WARN"| WARN |WARNING|^\S+ WRN |"level":40/.test(l)).length;
    expect(warnings / normal.length).toBeGreaterThan(0.004);
    expect(warnings / normal.length).toBeLessThan(0.03);
  });

  it('benign events: a new pod in the warm-up, a deploy with a migration, PLN announced before its first use, the 04:00 settlement', () => {
    const set = generatePay(9);
    const t0 = Date.parse(set.events[0].timestamp);
    const text = set.events.map((e) => String(e.data));
    const at = (re: RegExp): number[] => text.flatMap((l, i) => (re.test(l) ? [Date.parse(set.events[i].timestamp)] : []));
    const starts = at(/Starting PaymentsApplication v/);
    expect(starts[0] - t0).toBeLessThan(WARMUP_MS);
    expect(starts.filter((t) => t - t0 > WARMUP_MS).length).toBe(5);
    expect(at(/Migrating schema \\"payments\\"/).length).toBe(1);
    const versions = new Set(text.filter((l) => l.includes('"Payment authorized"')).map((l) => JSON.parse(l).app_version as string));
    expect(versions.size).toBe(2);
    const announced = Math.min(...at(/Currency PLN enabled for acquiring/));
    expect(announced - t0).toBeGreaterThan(WARMUP_MS);
    expect(Math.min(...at(/"currency":"PLN"|amount=[\d.]+ PLN |cur=985 /))).toBeGreaterThan(announced);
    expect(at(/"currency":"PLN"/).length).toBeGreaterThan(20);
    const [settled] = at(/Settlement run started/);
    expect(new Date(settled).getUTCHours()).toBe(4);
    expect(at(/COPY settlement_lines/).length).toBeGreaterThanOrEqual(5);
  });

  it('silence: the labelled line is its stream\'s first after the only long gap', () => {
    for (const seed of [2, 3]) {
      const set = generatePay(seed, SHORT);
      const [i] = idxOf(set, 'silence');
      expect(set.events[i].stream).toBe(seed % 2 === 0 ? STREAMS.fraud : STREAMS.webhooks);
      expectSilenceAt(set, i);
    }
  });

  it('a full run: 25-60k lines over 4-6 hours in seven formats with fresh ids and amounts', () => {
    const full = generatePay(10);
    const text = expectFullLogRun(full, [25_000, 60_000], [3.9, 6.1], STREAMS);
    expect(text(STREAMS.gateway).every((l) => /^\[\S+Z\] "(GET|POST) \/v1\/\S+ HTTP\/1\.1" \d{3} \S+ \d+ \d+ \d+ \S+ "[\d.]+" "[^"]+" "[0-9a-f-]{36}" "api\.paygate\.example" "[\d.:]+"$/.test(l))).toBe(true);
    expect(text(STREAMS.payments).every((l) => typeof JSON.parse(l).logger_name === 'string')).toBe(true);
    expect(text(STREAMS.webhooks).every((l) => typeof JSON.parse(l).hostname === 'string')).toBe(true);
    expect(text(STREAMS.fraud).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO|WARNING) \[fraud\.\w+\] /.test(l))).toBe(true);
    expect(text(STREAMS.network).every((l) => /^\S+Z (INF|WRN) [a-z ,-]+ (\w+=\S+ ?)+$/.test(l))).toBe(true);
    expect(text(STREAMS.ledger).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} UTC \[\d+\] \S*@\S* (LOG|DETAIL|WARNING): {2}/.test(l))).toBe(true);
    expect(text(STREAMS.consumer).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (INFO |WARN ) \[[\w-]+\] c\.a\.ledger\.\w+ - /.test(l))).toBe(true);
    const paid = text(STREAMS.payments).filter((l) => l.includes('"Payment authorized"')).map((l) => JSON.parse(l) as { payment_id: string; amount: number });
    expect(new Set(paid.map((x) => x.payment_id)).size).toBe(paid.length);
    expect(new Set(paid.map((x) => x.amount)).size).toBeGreaterThan(paid.length * 0.8);
  });
});
