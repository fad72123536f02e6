// The `pay` generator's labelled incidents (see pay.ts), all after a 30-minute warm-up, none in the
// last minute, 5 s apart and outside the silenced stretch:
//   new_error        4 never-seen error templates in their stream's format (a Python traceback
//                    or a multi-line PostgreSQL error has every line labelled): a ledger deadlock,
//                    the fraud scorer's KeyError, the payments pool out of connections, a MAC
//                    failure or a rejected key exchange at the card network, a webhook signing
//                    secret missing, a record the ledger writer cannot deserialize, a payout hold
//   rare_error       one error template (by seed: a network reversal after a timeout, a ledger
//                    serialization failure, an idempotency key reused) recurring all run long:
//                    3 lone occurrences anywhere and 6 after its burst
//   rare_burst       the same template's one burst (70-110 over 50-120 s) in the first half, a
//                    kind of its own so that the lone lines after it are counted apart
//   unusual_value    5 known lines with an unusual value for their context: a 5xx on a route that
//                    never answers 5xx (only POST /v1/payments does), 30× a fast route's latency
//                    (a payment normally takes that long), an amount 100× its merchant's usual
//                    (other merchants' usual), 30× a fast ledger statement (the reconciliation
//                    report normally takes that long), 30× a scheme's round trip, 30× a score's time
//   unseen_category  3 values never seen: a currency (not announced by a config reload, unlike
//                    PLN), a payments pod's region, a card's issuing country, a card scheme, a
//                    webhook event type
//   retry_storm      2 bursts (40-90 in 3-8 s) of a normal but infrequent line: failed webhook
//                    deliveries to one merchant, the ledger writer's lock-conflict retries, the
//                    network adapter's retransmissions
//   silence          one busy stream (fraud/scorer on even seeds, webhooks/dispatcher on odd)
//                    silent for 12-25 minutes: the stream's first line after the gap is labelled
//   card_testing     a bot testing stolen cards: 50-90 authorisations of 0.50-1.99 on one small
//                    merchant, one BIN and one client address in 60-150 s, most declined (every
//                    line of each attempt labelled)
import { plantIncidents } from './labelled.js';
import { FAST_STATEMENTS, failedDelivery, lockRetry, statement } from './pay-backoffice.js';
import { NEW_CARD_COUNTRIES, NEW_CURRENCIES, NEW_REGIONS, NEW_SCHEMES, SCHEMES, STREAMS, weighted, type P, type Row } from './pay-lines.js';
import { attempt, cardBin, money, payment, publicIp, request, retransmit, ROUTES, webhook, webhookHost, WARMUP_MS, type Labels } from './pay.js';

type Maker = (p: P, ts: number) => Row[];
const NE = 'new_error';
const pod = (p: P, ts: number): { pod: string; region: string } => p.podAt(ts);
const stan = (p: P): string => String(p.r.int(0, 999_999)).padStart(6, '0');

const NEW_ERRORS: Maker[] = [
  (p, ts) => {
    const a = p.r.int(20_000, 29_000), b = a + p.r.int(1, 400), x = p.r.int(90_000_000, 99_000_000);
    return [
      ['ERROR', 'deadlock detected'],
      ['DETAIL', `Process ${a} waits for ShareLock on transaction ${x}; blocked by process ${b}.\n\tProcess ${b} waits for ShareLock on transaction ${x + 1}; blocked by process ${a}.`],
      ['HINT', 'See server log for query details.'],
      ['CONTEXT', `while updating tuple (${p.r.int(1000, 90_000)},${p.r.int(1, 40)}) in relation "accounts"`],
      ['STATEMENT', 'UPDATE accounts SET balance_minor = balance_minor + $1, version = version + 1 WHERE id = $2 AND version = $3'],
    ].map(([level, msg]) => p.row(ts, STREAMS.ledger, p.postgres(ts, a, 'ledger_writer@ledger', level, msg), undefined, NE));
  },
  (p, ts) => [
    p.python(ts, 'ERROR', 'fraud.api', 'Exception on /v2/score [POST]'),
    'Traceback (most recent call last):',
    '  File "/app/fraud/api.py", line 142, in score',
    '    features = store.fetch(req.merchant_id, req.bin)',
    '  File "/app/fraud/features.py", line 77, in fetch',
    '    return self._decode(raw)["velocity_1h"]',
    "KeyError: 'velocity_1h'",
  ].map((l) => p.row(ts, STREAMS.fraud, l, undefined, NE)),
  (p, ts) => [p.row(ts, STREAMS.payments, p.spring(ts, 'ERROR', 'com.acme.payments.web.ApiExceptionHandler', `http-nio-8080-exec-${p.r.int(1, 48)}`, 'Could not open JPA EntityManager for transaction', {
    stack_trace: `org.springframework.transaction.CannotCreateTransactionException: Could not open JPA EntityManager for transaction\n\tat o.s.orm.jpa.JpaTransactionManager.doBegin(JpaTransactionManager.java:466)\nCaused by: java.sql.SQLTransientConnectionException: HikariPool-1 - Connection is not available, request timed out after 30000ms (total=20, active=20, idle=0, waiting=${p.r.int(20, 90)})`,
    trace_id: p.r.hex(32), app_version: p.versionAt(ts),
  }), pod(p, ts), NE)],
  (p, ts) => [p.row(ts, STREAMS.network, p.zerolog(ts, 'ERR', 'MAC verification failed, response dropped', { mti: '0110', net: p.r.pick(SCHEMES).name, stan: stan(p), key_index: p.r.int(1, 4) }), undefined, NE)],
  (p, ts) => [p.row(ts, STREAMS.webhooks, p.pino(ts, 50, webhookHost(p), 'signing secret not found for endpoint, event dropped', { event_id: `evt_${p.r.hex(24)}`, account: p.merchant().id, err: { type: 'SecretNotFoundError', message: 'no active signing secret', stack: 'SecretNotFoundError: no active signing secret\n    at Signer.sign (/app/dist/signer.js:41:13)\n    at Dispatcher.deliver (/app/dist/dispatcher.js:118:29)' } }), undefined, NE)],
  (p, ts) => {
    const part = p.r.int(0, 11);
    return [
      p.row(ts, STREAMS.consumer, p.log4j(ts, 'ERROR', `ledger-writer-${part % 4}`, 'c.a.ledger.PostingConsumer', `Failed to deserialize record (topic=payments.captured, partition=${part}, offset=${p.r.int(41_000_000, 120_000_000)}), skipping`), undefined, NE),
      p.row(ts, STREAMS.consumer, 'org.apache.kafka.common.errors.SerializationException: Unknown magic byte!', undefined, NE),
    ];
  },
  (p, ts) => [p.row(ts, STREAMS.payments, p.spring(ts, 'ERROR', 'com.acme.payments.payouts.HoldService', 'scheduling-1', `Payout hold release failed for merchant ${p.merchant().id}: hold already released`, { hold_id: `hold_${p.r.hex(16)}`, app_version: p.versionAt(ts) }), pod(p, ts), NE)],
  (p, ts) => [p.row(ts, STREAMS.network, p.zerolog(ts, 'ERR', 'key exchange failed, zone PIN key rejected', { mti: '0810', net: p.r.pick(SCHEMES).name, reason: '"check value mismatch"' }), undefined, NE)],
];

/** The seed's rare error: one occurrence (one or two lines) at a time, labelled `RE`. */
function rareOne(p: P, ts: number, RE = 'rare_error'): Row[] {
  const { r } = p;
  if (p.seed % 3 === 0) return [p.row(ts, STREAMS.network, p.zerolog(ts, 'ERR', 'no response within 10000ms, reversal sent', { mti: '0400', net: r.pick(SCHEMES).name, stan: stan(p), orig_stan: stan(p) }), undefined, RE)];
  if (p.seed % 3 === 1) {
    const pid = r.int(20_000, 29_000);
    return [
      p.row(ts, STREAMS.ledger, p.postgres(ts, pid, 'ledger_writer@ledger', 'ERROR', 'could not serialize access due to concurrent update'), undefined, RE),
      p.row(ts, STREAMS.ledger, p.postgres(ts, pid, 'ledger_writer@ledger', 'STATEMENT', 'UPDATE accounts SET balance_minor = balance_minor + $1, version = version + 1 WHERE id = $2 AND version = $3'), undefined, RE),
    ];
  }
  return [p.row(ts, STREAMS.payments, p.spring(ts, 'ERROR', 'com.acme.payments.web.IdempotencyFilter', `http-nio-8080-exec-${r.int(1, 48)}`, 'Idempotency key reused with different request parameters', { idempotency_key: p.uuid(), merchant_id: p.merchant().id, trace_id: r.hex(32), app_version: p.versionAt(ts) }), pod(p, ts), RE)];
}

/** A payment approved by a low score and the issuer, with `change` applied and `kinds` labelled. */
function shaped(p: P, rows: Row[], ts: number, change: (a: ReturnType<typeof attempt>) => void, kinds: Labels): void {
  const a = attempt(p, ts);
  a.rc = '00';
  a.score = 0.01 + 0.05 * p.r.next();
  change(a);
  payment(p, rows, ts, a, kinds);
}

function unusualValue(p: P, rows: Row[], ts: number, which: number): void {
  const { r } = p;
  const UV = 'unusual_value';
  if (which === 0) { const route = r.pick(ROUTES); request(p, rows, ts, route, r.pick([500, 502, 503]), p.around(route.ms, 0.35), UV); }
  else if (which === 1) { const route = r.pick([ROUTES[0], ROUTES[3]]); request(p, rows, ts, route, route.statuses[0], p.around(route.ms, 0.15) * 30, UV); }
  else if (which === 2) shaped(p, rows, ts, (a) => { a.amount = money(a.m.median * 100 * (0.9 + 0.4 * r.next())); }, { fraud: UV, network: UV, payments: UV });
  else if (which === 3) { const s = r.pick(FAST_STATEMENTS); rows.push(...statement(p, ts, s, p.around(s.ms, 0.15) * 30, UV)); }
  else if (which === 4) {
    shaped(p, rows, ts, (a) => { a.scheme = r.pick(SCHEMES.slice(0, 2)); a.bin = cardBin(p, a.scheme); a.rtt = p.around(a.scheme.rtt, 0.15) * 30; }, { network: UV, payments: UV, gateway: UV });
  } else shaped(p, rows, ts, (a) => { a.took = p.around(4.5, 0.15) * 30; }, { fraud: UV });
}

function unseenCategory(p: P, rows: Row[], ts: number, which: number): void {
  const { r } = p;
  const UC = 'unseen_category';
  if (which === 0) shaped(p, rows, ts, (a) => { a.currency = r.pick(NEW_CURRENCIES); }, { fraud: UC, network: UC, payments: UC });
  else if (which === 1) shaped(p, rows, ts, (a) => { a.region = r.pick(NEW_REGIONS); }, { payments: UC });
  else if (which === 2) shaped(p, rows, ts, (a) => { a.country = r.pick(NEW_CARD_COUNTRIES); }, { fraud: UC, network: UC, payments: UC });
  else if (which === 3) shaped(p, rows, ts, (a) => { a.scheme = r.pick(NEW_SCHEMES); a.bin = cardBin(p, a.scheme); a.rtt = p.around(a.scheme.rtt, 0.3); }, { network: UC, payments: UC });
  else rows.push(webhook(p, ts, p.merchant(), r.pick(['issuing_authorization.request', 'payout.reversed', 'account.application.deauthorized']), UC));
}

function retryStorm(p: P, rows: Row[], ts: number, which: number, span: number): void {
  const { r } = p;
  const RS = 'retry_storm';
  const n = r.int(40, 90);
  const m = p.merchant(), net = r.pick(SCHEMES).name;
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 40);
    rows.push(which === 0 ? failedDelivery(p, t, m, RS) : which === 1 ? lockRetry(p, t, RS) : retransmit(p, t, net, RS));
  }
}

/** A card-testing bot's burst on one small merchant, one BIN, one address; every line of each attempt labelled. */
function cardTesting(p: P, rows: Row[], ts: number, span: number): void {
  const { r } = p;
  const CT = 'card_testing';
  const m = p.merchants[r.int(10, p.merchants.length - 1)];
  const scheme = SCHEMES[0], bin = cardBin(p, scheme), client = publicIp(p), country = 'US';
  const n = r.int(50, 90);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 300);
    const a = { ...attempt(p, t, m), scheme, bin, client, country, ua: 'python-requests/2.31.0', amount: money(0.5 + r.next() * 1.49), score: 0.02 + 0.3 * r.next() };
    a.rc = weighted(r, [['05', 0.45], ['14', 0.2], ['54', 0.15], ['51', 0.05], ['00', 0.15]] as const);
    payment(p, rows, t, a, { gateway: CT, fraud: CT, network: CT, payments: CT, webhook: CT, posted: CT });
  }
}

/** Every kind, at random times after the warm-up (labelled.ts plantIncidents). */
export function injectPayIncidents(p: P, rows: Row[]): void {
  plantIncidents(p, rows, {
    warmupMs: WARMUP_MS, rareOne, newErrors: NEW_ERRORS, retryStorm,
    unusualValue: { plant: unusualValue, variants: 6 }, unseenCategory: { plant: unseenCategory, variants: 5 },
    own: (c, out, at) => { const span = c.r.int(60, 150) * 1000; cardTesting(c, out, at(span + 10_000), span); },
    silenced: [STREAMS.fraud, STREAMS.webhooks],
  });
}
