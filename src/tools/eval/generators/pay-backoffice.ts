// The `pay` generator's back office (see pay.ts):
//   ledger/postgres      PostgreSQL with log_min_duration_statement = 20 ms: postings, balance
//                        updates, row locks and the reconciliation report (normally slow), a
//                        checkpoint every 5 minutes, autovacuum, reporting connections, a routine
//                        warning now and then; the settlement's COPY at 04:00 UTC
//   kafka/ledger-writer  log4j: postings (written by pay.ts's payments), offsets committed every
//                        minute, slow batches, optimistic-lock retries (rare)
//   webhooks/dispatcher  pino JSON: deliveries (written by pay.ts), failed deliveries to retry
//                        (~2 % of them), the retry queue's sweep every 5 minutes
//   payments/api         the benign events of the run: a pod's startup in the warm-up, a rolling
//                        deploy (shutdown and startup lines, a schema migration), config reloads
//                        (one in the warm-up, one that enables PLN), the settlement run
import { money, webhookHost } from './pay.js';
import { STREAMS, type Merchant, type P, type Row } from './pay-lines.js';

/** Statements slow enough to be logged: median ms and share. */
export const STATEMENTS = [
  { sql: 'execute S_1: INSERT INTO postings (entry_id, account_id, payment_id, amount_minor, currency, side, posted_at) VALUES ($1, $2, $3, $4, $5, $6, now())', ms: 24, share: 0.45 },
  { sql: 'execute S_2: UPDATE accounts SET balance_minor = balance_minor + $1, version = version + 1 WHERE id = $2 AND version = $3', ms: 27, share: 0.35 },
  { sql: 'execute S_3: SELECT id, balance_minor, version FROM accounts WHERE merchant_id = $1 FOR UPDATE', ms: 22, share: 0.12 },
  { sql: 'execute S_4: SELECT merchant_id, currency, sum(amount_minor) FROM postings WHERE posted_at >= $1 GROUP BY 1, 2', ms: 420, share: 0.08 },
] as const;
/** Statements that are fast when logged: 30× their median stays within what S_4 takes normally. */
export const FAST_STATEMENTS = STATEMENTS.filter((s) => s.ms < 100);
const BACKENDS = (p: P): number[] => Array.from({ length: 12 }, (_, i) => 20_000 + ((p.seed * 977 + i * 131) % 9000));

/** A logged statement of the ledger (its duration line labelled `kind` if any; a posting's parameters follow). */
export function statement(p: P, ts: number, s: (typeof STATEMENTS)[number], ms = Math.max(20.1, p.around(s.ms, 0.3)), kind?: string): Row[] {
  const { r } = p;
  const pid = r.pick(BACKENDS(p));
  const out = [p.row(ts, STREAMS.ledger, p.postgres(ts, pid, 'ledger_writer@ledger', 'LOG', `duration: ${ms.toFixed(3)} ms  ${s.sql}`), undefined, kind)];
  if (s.sql.includes('S_1')) out.push(p.row(ts, STREAMS.ledger, p.postgres(ts, pid, 'ledger_writer@ledger', 'DETAIL', `parameters: $1 = '${p.uuid()}', $2 = 'acct_${r.hex(16)}', $3 = 'pay_${r.hex(24)}', $4 = '${r.int(50, 90_000)}', $5 = '${r.pick(['EUR', 'GBP', 'USD'])}', $6 = '${r.pick(['debit', 'credit'])}'`)));
  return out;
}

function checkpoints(p: P, rows: Row[]): void {
  const { r } = p;
  const cp = 20_000 + (p.seed % 900);
  for (let ts = p.t0 + r.int(0, 299_999); ts < p.end; ts += 300_000) {
    rows.push(p.row(ts, STREAMS.ledger, p.postgres(ts, cp, '@', 'LOG', 'checkpoint starting: time')));
    const write = 269 + r.next(), at = ts + Math.round(write * 1000) + r.int(5, 40);
    const bufs = Math.round(p.around(2400 * p.rate(ts), 0.3));
    rows.push(p.row(at, STREAMS.ledger, p.postgres(at, cp, '@', 'LOG', `checkpoint complete: wrote ${bufs} buffers (${(bufs / 163.84).toFixed(1)}%); 0 WAL file(s) added, 0 removed, ${r.int(1, 4)} recycled; write=${write.toFixed(3)} s, sync=0.0${r.int(10, 99)} s, total=${(write + 0.05).toFixed(3)} s; sync files=${r.int(20, 90)}, longest=0.00${r.int(2, 9)} s, average=0.001 s; distance=${bufs * 8 + r.int(0, 999)} kB, estimate=${bufs * 9} kB`)));
  }
}

function ledger(p: P, rows: Row[]): void {
  const { r } = p;
  for (const ts of p.arrivals(0.22)) {
    let v = r.next();
    rows.push(...statement(p, ts, STATEMENTS.find((s) => (v -= s.share) < 0) ?? STATEMENTS[0]));
  }
  checkpoints(p, rows);
  for (let ts = p.t0 + r.int(0, 900_000); ts < p.end; ts += r.int(600_000, 1_500_000)) {
    const table = r.pick(['postings', 'accounts', 'payouts']);
    const pid = r.int(30_000, 60_000);
    rows.push(p.row(ts, STREAMS.ledger, p.postgres(ts, pid, '@', 'LOG', `automatic vacuum of table "ledger.public.${table}": index scans: 1\n\tpages: 0 removed, ${r.int(9000, 90_000)} remain, ${r.int(100, 3000)} scanned\n\ttuples: ${r.int(100, 9000)} removed, ${r.int(1_000_000, 9_000_000)} remain, 0 are dead but not yet removable\n\tavg read rate: ${(r.next() * 20).toFixed(3)} MB/s, avg write rate: ${(r.next() * 10).toFixed(3)} MB/s\n\tsystem usage: CPU: user: 0.${r.int(10, 99)} s, system: 0.0${r.int(1, 9)} s, elapsed: ${r.int(1, 9)}.${r.int(10, 99)} s`)));
  }
  for (let ts = p.t0 + r.int(0, 240_000); ts < p.end; ts += r.int(120_000, 360_000)) {
    const pid = r.int(30_000, 60_000);
    rows.push(p.row(ts, STREAMS.ledger, p.postgres(ts, pid, '[unknown]@[unknown]', 'LOG', `connection received: host=10.4.${r.int(8, 9)}.${r.int(2, 250)} port=${r.int(32_768, 60_999)}`)));
    rows.push(p.row(ts + 4, STREAMS.ledger, p.postgres(ts + 4, pid, 'reporting@ledger', 'LOG', 'connection authorized: user=reporting database=ledger application_name=metabase SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)')));
    if (r.chance(0.3)) rows.push(p.row(ts + 900, STREAMS.ledger, p.postgres(ts + 900, pid, 'reporting@ledger', 'WARNING', 'there is no transaction in progress')));
  }
}

export const lockRetry = (p: P, ts: number, kind?: string): Row =>
  p.row(ts, STREAMS.consumer, p.log4j(ts, 'WARN', `ledger-writer-${p.r.int(0, 3)}`, 'c.a.ledger.PostingConsumer', `Optimistic lock conflict on account acct_${p.r.hex(16)}, retrying posting for payment pay_${p.r.hex(24)} (attempt ${p.r.int(2, 3)}/5)`), undefined, kind);

function consumer(p: P, rows: Row[]): void {
  const { r } = p;
  for (const ts of p.arrivals(0.002)) rows.push(lockRetry(p, ts));
  let gen = r.int(20, 90);
  for (let ts = p.t0 + r.int(0, 59_999); ts < p.end; ts += 60_000 + r.int(-20, 20)) {
    rows.push(p.row(ts, STREAMS.consumer, p.log4j(ts, 'INFO', 'ledger-writer-committer', 'c.a.ledger.OffsetCommitter', `Committed offsets for 12 partitions in ${r.int(2, 9)} ms (generation ${gen})`)));
    if (r.chance(0.004)) gen++;
  }
  for (const ts of p.arrivals(1 / 900)) {
    rows.push(p.row(ts, STREAMS.consumer, p.log4j(ts, 'WARN', `ledger-writer-${r.int(0, 3)}`, 'c.a.ledger.PostingConsumer', `Slow batch: ${r.int(100, 500)} records took ${r.int(1200, 4000)} ms (max.poll.interval.ms=300000)`)));
  }
}

/** A delivery that failed and will be retried (labelled `kind` if any). */
export function failedDelivery(p: P, ts: number, m: Merchant, kind?: string): Row {
  const { r } = p;
  const err = r.chance(0.7) ? { status: r.pick([500, 502, 503]) } : { err: 'ETIMEDOUT' };
  const attempt = r.int(1, 4);
  return p.row(ts, STREAMS.webhooks, p.pino(ts, 40, webhookHost(p), 'webhook delivery failed, will retry', { event_id: `evt_${r.hex(24)}`, type: r.pick(['payment_intent.succeeded', 'charge.refunded']), account: m.id, endpoint: m.hook, ...err, attempt, next_retry_s: [30, 120, 600, 3600][attempt - 1] }), undefined, kind);
}

function webhooks(p: P, rows: Row[]): void {
  const { r } = p;
  for (const ts of p.arrivals(0.006)) rows.push(failedDelivery(p, ts, p.merchant()));
  for (let ts = p.t0 + r.int(0, 299_999); ts < p.end; ts += 300_000) {
    rows.push(p.row(ts, STREAMS.webhooks, p.pino(ts, 30, webhookHost(p), 'retry queue swept', { due: r.int(0, 12), delivered: r.int(0, 10), rescheduled: r.int(0, 3), took_ms: r.int(5, 90) })));
  }
}

/** A payments pod's Spring Boot startup (with the deploy's schema migration on its first pod). */
function startup(p: P, rows: Row[], ts: number, pod: { name: string; region: string }, version: string, migrate: boolean): void {
  const { r } = p;
  let at = ts;
  const say = (logger: string, msg: string, dt = r.int(20, 900)): void => { at += dt; rows.push(p.row(at, STREAMS.payments, p.spring(at, 'INFO', logger, 'main', msg, { app_version: version }), { pod: pod.name, region: pod.region })); };
  say('com.acme.payments.PaymentsApplication', `Starting PaymentsApplication v${version} using Java 21.0.5 with PID 1 (/app/payments.jar started by app in /app)`, 0);
  say('com.acme.payments.PaymentsApplication', 'The following 1 profile is active: "prod"');
  say('o.s.b.w.embedded.tomcat.TomcatWebServer', 'Tomcat initialized with port 8080 (http)', r.int(2000, 4000));
  say('com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Starting...');
  say('com.zaxxer.hikari.pool.HikariPool', `HikariPool-1 - Added connection org.postgresql.jdbc.PgConnection@${r.hex(8)}`);
  say('com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Start completed.', 5);
  const v = 80 + (p.seed % 15);
  if (migrate) {
    say('o.f.core.internal.command.DbMigrate', `Migrating schema "payments" to version "${v + 1} - add payout holds"`);
    say('o.f.core.internal.command.DbMigrate', `Successfully applied 1 migration to schema "payments", now at version v${v + 1} (execution time 00:00.${r.int(100, 900)}s)`);
  } else say('o.f.core.internal.command.DbMigrate', `Current version of schema "payments": ${at >= p.deploy.at ? v + 1 : v}`);
  say('o.s.b.w.embedded.tomcat.TomcatWebServer', "Tomcat started on port 8080 (http) with context path '/'", r.int(3000, 6000));
  say('com.acme.payments.PaymentsApplication', `Started PaymentsApplication in ${((at - ts) / 1000 + 1.2).toFixed(3)} seconds (process running for ${((at - ts) / 1000 + 2.1).toFixed(2)})`, 1);
}

function deploys(p: P, rows: Row[]): void {
  const { r } = p;
  const added = p.pods[p.pods.length - 1];
  startup(p, rows, added.from, added, p.deploy.from, false);
  p.pods.forEach((pod, i) => {
    const ts = p.deploy.at + i * r.int(40_000, 60_000);
    const say = (dt: number, logger: string, msg: string): void => { rows.push(p.row(ts + dt, STREAMS.payments, p.spring(ts + dt, 'INFO', logger, 'SpringApplicationShutdownHook', msg, { app_version: p.deploy.from }), { pod: pod.name, region: pod.region })); };
    say(0, 'o.s.b.w.embedded.tomcat.GracefulShutdown', 'Commencing graceful shutdown. Waiting for active requests to complete');
    say(r.int(300, 2000), 'o.s.b.w.embedded.tomcat.GracefulShutdown', 'Graceful shutdown complete');
    say(2100, 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Shutdown initiated...');
    say(2150, 'com.zaxxer.hikari.HikariDataSource', 'HikariPool-1 - Shutdown completed.');
    startup(p, rows, ts + r.int(8000, 15_000), pod, p.deploy.to, i === 0);
  });
}

function reloads(p: P, rows: Row[]): void {
  const { r } = p;
  const reload = (ts: number, key: string, then?: string): void => {
    for (const pod of p.pods.filter((x) => x.from <= ts)) {
      const at = ts + r.int(10, 400);
      rows.push(p.row(at, STREAMS.payments, p.spring(at, 'INFO', 'o.s.c.e.event.RefreshEventListener', 'springCloudBus-1', `Refresh keys changed: [${key}]`, { app_version: p.versionAt(at) }), { pod: pod.name, region: pod.region }));
      if (then !== undefined) rows.push(p.row(at + 3, STREAMS.payments, p.spring(at + 3, 'INFO', 'com.acme.payments.config.CurrencyRegistry', 'springCloudBus-1', then, { app_version: p.versionAt(at) }), { pod: pod.name, region: pod.region }));
    }
  };
  reload(p.t0 + r.int(8, 25) * 60_000, 'fraud.review-threshold');
  const polish = p.merchants.filter((m) => m.country === 'PL');
  reload(p.reloadAt, 'payments.currencies.enabled', `Currency PLN enabled for acquiring (${polish.length} merchants: ${polish.map((m) => m.id).join(', ')})`);
}

function settlement(p: P, rows: Row[]): void {
  const { r } = p;
  const ts = p.settleAt, pod = p.pods[0];
  const batch = `stl_${r.hex(16)}`;
  const say = (at: number, msg: string, fields: Record<string, string | number> = {}): void => { rows.push(p.row(at, STREAMS.payments, p.spring(at, 'INFO', 'com.acme.payments.settlement.SettlementJob', 'scheduling-1', msg, { batch_id: batch, ...fields, app_version: p.versionAt(at) }), { pod: pod.name, region: pod.region })); };
  say(ts, 'Settlement run started', { cutoff: new Date(ts - (ts % 86_400_000)).toISOString() });
  const currencies = ['EUR', 'GBP', 'USD', 'CHF', 'SEK', ...(p.reloadAt < ts ? ['PLN'] : [])];
  let at = ts + r.int(2000, 6000);
  const pid = BACKENDS(p)[0];
  const sql = (ms: number, q: string): void => { rows.push(p.row(at, STREAMS.ledger, p.postgres(at, pid, 'settlement@ledger', 'LOG', `duration: ${ms.toFixed(3)} ms  statement: ${q}`))); };
  sql(p.around(9000, 0.2), `SELECT merchant_id, currency, sum(amount_minor), count(*) FROM postings WHERE settled_at IS NULL AND posted_at < '${new Date(ts - (ts % 86_400_000)).toISOString().slice(0, 10)} 00:00:00+00' GROUP BY 1, 2`);
  for (const c of currencies) {
    at += r.int(3000, 9000);
    const merchants = p.merchants.filter((m) => (m.currency === c || (c === 'PLN' && m.country === 'PL'))).length;
    sql(p.around(4000, 0.3), `COPY settlement_lines (batch_id, merchant_id, currency, gross_minor, fee_minor, net_minor) FROM STDIN`);
    say(at + 50, 'Settlement file written', { currency: c, merchants, lines: r.int(200, 9000), gross: money(r.next() * 900_000 + 10_000), file: `s3://acme-settlement/${new Date(ts).toISOString().slice(0, 10)}/${batch}/${c}.csv` });
  }
  at += r.int(2000, 5000);
  sql(p.around(12_000, 0.2), `UPDATE postings SET settled_at = now(), settlement_batch = '${batch}' WHERE settled_at IS NULL AND posted_at < '${new Date(ts - (ts % 86_400_000)).toISOString().slice(0, 10)} 00:00:00+00'`);
  say(at + 100, `Settlement run completed in ${((at + 100 - ts) / 1000).toFixed(1)} s`);
}

export function backoffice(p: P, rows: Row[]): void {
  ledger(p, rows);
  consumer(p, rows);
  webhooks(p, rows);
  deploys(p, rows);
  reloads(p, rows);
  settlement(p, rows);
}
