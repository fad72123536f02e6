// Generator `db`: a database tier over six evening and night hours, a style written without reading
// the detector (honest evaluation on data nobody tuned on).
//
//   seed ─► world() (db-lines.ts) ─► 6 hours from 21:00: application load falls from 1× to ~0.25×
//   │       over the night; nightly maintenance at midnight (pg_dump, mysqldump, a Redis BGSAVE) and
//   │       01:30 (vacuumdb); six streams in five formats:
//   │         db/postgres          the primary's stderr log (log_line_prefix '%t [%p]: [%l-1]
//   │                              user=%u,db=%d,app=%a,client=%h '): statements over
//   │                              log_min_duration_statement with their parameters, sessions,
//   │                              checkpoints every 5 minutes, autovacuum/analyze (multi-line
//   │                              entries), lock waits, temporary files, duplicate keys
//   │         db/postgres-standby  a hot standby: restartpoints, a few reporting sessions
//   │         db/mysql             MySQL 8 error log (verbosity 3): aborted connections, a monitor
//   │                              with a wrong password, unresolvable hosts, page cleaner notes
//   │         db/mysql-slow        MySQL slow log entries (each one event of 5 lines, as a
//   │                              shipper's multiline join gives them), long_query_time 1 s
//   │         db/redis             Redis 7 at loglevel verbose: client connections, RDB saves
//   │         db/mongo             MongoDB structured JSON: connections with client metadata and
//   │                              authentication, slow queries, WiredTiger checkpoints
//   │       benign novelty on normal lines: fresh pids, ports, client addresses, ids, parameters,
//   │       LSNs, transaction ids, durations drawn log-normal (and only the slow ones logged)
//   └─► incidents after a 30-minute warm-up (db-incidents.ts): new_error, rare_error,
//       unusual_value, unseen_category, retry_storm, connection_storm, silence, failover
//   ─► merged by event time ─► events + labels {anomalous, kinds}
// Pure: the same seed gives the same set.
import type { GeneratedSet, Generator } from './index.js';
import { labelledSet } from './labelled.js';
import { injectDbIncidents } from './db-incidents.js';
import { MONGO_APPS, MONGO_QUERIES, MYSQL_QUERIES, PG_APPS, PG_STATEMENTS, world, type Db, type Row } from './db-lines.js';

export const DB_KINDS = ['new_error', 'rare_error', 'unusual_value', 'unseen_category', 'retry_storm', 'connection_storm', 'silence', 'failover'] as const;

/** One application session on the primary: received, authorized, and (later) its disconnection. */
export function pgSession(d: Db, rows: Row[], ts: number, app = d.r.pick(PG_APPS), kind?: string, stream = 'db/postgres'): number {
  const { r } = d;
  const pid = d.pid(), ip = app.host(r), port = r.int(32768, 60999);
  rows.push(d.row(ts, stream, d.pg(ts, pid, 1, { client: `${ip}(${port})` }, `LOG:  connection received: host=${ip} port=${port}`), kind === 'unseen_category' ? undefined : kind));
  rows.push(d.row(ts + 3, stream, d.pg(ts + 3, pid, 2, { user: app.user, db: app.db, app: '[unknown]', client: `${ip}(${port})` }, `LOG:  connection authorized: user=${app.user} database=${app.db} application_name=${app.app} SSL enabled (protocol=TLSv1.3, cipher=TLS_AES_256_GCM_SHA384, bits=256)`), kind));
  if (kind !== undefined) return pid;
  const out = ts + Math.round(r.exp(app.session));
  if (out < d.end) {
    const secs = Math.round((out - ts) / 1000);
    rows.push(d.row(out, stream, d.pg(out, pid, r.int(3, 400), { user: app.user, db: app.db, app: app.app, client: `${ip}(${port})` }, `LOG:  disconnection: session time: ${Math.floor(secs / 3600)}:${String(Math.floor(secs / 60) % 60).padStart(2, '0')}:${String(secs % 60).padStart(2, '0')}.${r.int(100, 999)} user=${app.user} database=${app.db} host=${ip} port=${port}`)));
  }
  return pid;
}

/** A logged statement (duration line and its parameters), `ms` as given. */
export function pgStatement(d: Db, ts: number, which: number, ms: number, kind?: string): Row[] {
  const { r } = d;
  const st = PG_STATEMENTS[which];
  const app = PG_APPS[st.app];
  const who = { user: app.user, db: app.db, app: app.app, client: app.host(r) };
  const pid = d.pid(), n = r.int(5, 900);
  const out = [d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `LOG:  duration: ${ms.toFixed(3)} ms  ${st.params === 0 ? 'statement' : `execute ${st.prepared}`}: ${st.sql}`), kind)];
  if (st.params > 0) out.push(d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `DETAIL:  parameters: ${st.args(r).map((a, i) => `$${i + 1} = '${a}'`).join(', ')}`), kind));
  return out;
}

/** Lock wait (log_lock_waits, deadlock_timeout 1 s): still waiting, its detail lines, then acquired. */
export function pgLockWait(d: Db, ts: number, kind?: string): Row[] {
  const { r } = d;
  const app = PG_APPS[1];
  const who = { user: app.user, db: app.db, app: app.app, client: app.host(r) };
  const pid = d.pid(), holder = d.pid(), xid = r.int(80_000_000, 99_000_000), n = r.int(3, 300);
  const waited = 1000 + r.int(0, 120) / 1000 + r.exp(900);
  const done = ts + Math.round(waited - 1000);
  return [
    d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `LOG:  process ${pid} still waiting for ShareLock on transaction ${xid} after ${(1000 + r.int(1, 99) / 1000).toFixed(3)} ms`), kind),
    d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `DETAIL:  Process holding the lock: ${holder}. Wait queue: ${pid}.`), kind),
    d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `CONTEXT:  while updating tuple (${r.int(1, 90_000)},${r.int(1, 60)}) in relation "orders"`), kind),
    d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `STATEMENT:  UPDATE orders SET status = $1, updated_at = now() WHERE id = $2`), kind),
    d.row(done, 'db/postgres', d.pg(done, pid, n + 1, who, `LOG:  process ${pid} acquired ShareLock on transaction ${xid} after ${waited.toFixed(3)} ms`), kind),
  ];
}

/** A checkpoint (or a standby's restartpoint) of `buffers` written over `secs`. */
export function checkpoint(d: Db, ts: number, stream: string, what: 'checkpoint' | 'restartpoint', reason: string, buffers: number, secs: number, kind?: string): Row[] {
  const { r } = d;
  const done = ts + Math.round(secs * 1000);
  const lsn = (): string => `${r.int(3, 4)}/${r.hex(8).toUpperCase()}`;
  const pct = Math.min(99.9, (buffers / 524_288) * 100); // shared_buffers 4 GB
  const rows = [
    d.row(ts, stream, d.pg(ts, 64, r.int(1, 9999), {}, `LOG:  ${what} starting: ${reason}`), kind),
    d.row(done, stream, d.pg(done, 64, r.int(1, 9999), {}, `LOG:  ${what} complete: wrote ${buffers} buffers (${pct.toFixed(1)}%); 0 WAL file(s) added, ${r.int(0, 3)} removed, ${r.int(0, 9)} recycled; write=${(secs - 0.2).toFixed(3)} s, sync=${(r.int(2, 90) / 1000).toFixed(3)} s, total=${secs.toFixed(3)} s; sync files=${r.int(8, 90)}, longest=0.0${r.int(10, 99)} s, average=0.00${r.int(1, 9)} s; distance=${Math.round(buffers * 8.2)} kB, estimate=${Math.round(buffers * 9.1)} kB; lsn=${lsn()}, redo lsn=${lsn()}`), kind),
  ];
  if (what === 'restartpoint') {
    rows.push(d.row(done, stream, d.pg(done, 64, r.int(1, 9999), {}, `LOG:  recovery restart point at ${lsn()}`), kind));
    rows.push(d.row(done, stream, d.pg(done, 64, r.int(1, 9999), {}, `DETAIL:  Last completed transaction was at log time ${d.pgTime(done - r.int(10, 900), true)}+00.`), kind));
  }
  return rows;
}

function postgres(d: Db, rows: Row[]): void {
  const { r } = d;
  for (const ts of d.arrivals(0.16)) pgSession(d, rows, ts);
  // Only statements over log_min_duration_statement (200 ms) are logged.
  for (const ts of d.arrivals(1.8)) {
    const w = r.pick([0, 0, 0, 1, 1, 2, 3, 4]);
    const ms = d.around(PG_STATEMENTS[w].ms, PG_STATEMENTS[w].spread);
    if (ms >= 200) rows.push(...pgStatement(d, ts, w, ms));
  }
  for (let ts = d.t0 + r.int(0, 299_000); ts < d.end; ts += 300_000 + r.int(-40, 40)) {
    const nightly = ts > d.midnight && ts < d.midnight + 3_600_000;
    rows.push(...checkpoint(d, ts, 'db/postgres', 'checkpoint', 'time', Math.round(d.around(nightly ? 9000 : 2600, 0.45) * d.load(ts)), 150 + r.int(0, 120) + r.next()));
  }
  for (const ts of d.arrivals(1 / 420)) {
    const t = r.pick(['invoices', 'payments', 'orders', 'order_items', 'sessions', 'audit_log']);
    const db = t.startsWith('order') ? 'orders' : 'billing';
    const analyze = r.chance(0.35);
    const read = (r.next() * 40).toFixed(3), write = (r.next() * 9).toFixed(3);
    const usage = `system usage: CPU: user: ${(r.next() * 0.4).toFixed(2)} s, system: ${(r.next() * 0.05).toFixed(2)} s, elapsed: ${(0.05 + r.exp(0.6)).toFixed(2)} s`;
    const text = analyze
      ? `LOG:  automatic analyze of table "${db}.public.${t}"\n\tavg read rate: ${read} MB/s, avg write rate: ${write} MB/s\n\tbuffer usage: ${r.int(200, 9000)} hits, ${r.int(0, 900)} misses, ${r.int(0, 90)} dirtied\n\t${usage}`
      : `LOG:  automatic vacuum of table "${db}.public.${t}": index scans: ${r.int(0, 1)}\n\tpages: 0 removed, ${r.int(900, 90_000)} remain, ${r.int(10, 4000)} scanned (${(r.next() * 6).toFixed(2)}% of total)\n\ttuples: ${r.int(0, 9000)} removed, ${r.int(10_000, 2_000_000)} remain, 0 are dead but not yet removable\n\tremovable cutoff: ${r.int(90_000_000, 99_000_000)}, which was ${r.int(0, 40)} XIDs old when operation ended\n\tavg read rate: ${read} MB/s, avg write rate: ${write} MB/s\n\tbuffer usage: ${r.int(200, 9000)} hits, ${r.int(0, 900)} misses, ${r.int(0, 90)} dirtied\n\tWAL usage: ${r.int(100, 9000)} records, ${r.int(0, 400)} full page images, ${r.int(10_000, 2_000_000)} bytes\n\t${usage}`;
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, d.pid(), 1, {}, text)));
  }
  for (const ts of d.arrivals(1 / 600)) rows.push(...pgLockWait(d, ts));
  for (const ts of d.arrivals(1 / 500)) {
    const pid = d.pid(), who = { user: 'metabase', db: 'billing', app: 'Metabase v0.50.21', client: '10.20.7.31' };
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, pid, r.int(5, 90), who, `LOG:  temporary file: path "base/pgsql_tmp/pgsql_tmp${pid}.${r.int(0, 12)}", size ${r.int(1, 400) * 1_048_576}`)));
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, pid, r.int(5, 90), who, `STATEMENT:  ${PG_STATEMENTS[4].sql}`)));
  }
  for (const ts of d.arrivals(1 / 240)) {
    const pid = d.pid(), who = { user: 'billing_app', db: 'billing', app: 'billing-api', client: PG_APPS[0].host(r) }, n = r.int(5, 900);
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, 'ERROR:  duplicate key value violates unique constraint "payments_idempotency_key_key"')));
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, `DETAIL:  Key (idempotency_key)=(${d.uuid()}) already exists.`)));
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, pid, n, who, 'STATEMENT:  INSERT INTO payments (invoice_id, amount_cents, currency, idempotency_key, psp_reference) VALUES ($1, $2, $3, $4, $5)')));
  }
  // Midnight: pg_dump of billing from the backup host (COPY of each table, minutes for the big ones).
  let ts = d.midnight + r.int(5_000, 60_000);
  const dump = pgSession(d, rows, ts, { user: 'backup', db: 'billing', app: 'pg_dump', host: () => '10.20.9.5', session: 1 });
  for (const [table, cols, mb] of [['accounts', 'id, name, plan, created_at', 40], ['audit_log', 'id, actor, action, payload, at', 2400], ['invoices', 'id, account_id, amount_cents, currency, status, created_at', 900], ['payments', 'id, invoice_id, amount_cents, currency, idempotency_key, psp_reference, created_at', 700], ['sessions', 'id, account_id, token_hash, expires_at', 120]] as [string, string, number][]) {
    const ms = d.around(mb * 210, 0.2);
    ts += Math.round(ms);
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, dump, r.int(5, 20), { user: 'backup', db: 'billing', app: 'pg_dump', client: '10.20.9.5' }, `LOG:  duration: ${ms.toFixed(3)} ms  statement: COPY public.${table} (${cols}) TO stdout;`)));
  }
  rows.push(d.row(ts + 40, 'db/postgres', d.pg(ts + 40, dump, 31, { user: 'backup', db: 'billing', app: 'pg_dump', client: '10.20.9.5' }, `LOG:  disconnection: session time: 0:${String(Math.floor((ts - d.midnight) / 60_000) % 60).padStart(2, '0')}:${r.int(10, 59)}.${r.int(100, 999)} user=backup database=billing host=10.20.9.5 port=${r.int(32768, 60999)}`)));
  // 01:30: vacuumdb --analyze from cron, table by table.
  ts = d.midnight + 5_400_000 + r.int(0, 30_000);
  const vac = pgSession(d, rows, ts, { user: 'postgres', db: 'billing', app: 'vacuumdb', host: () => '[local]', session: 1 });
  for (const table of ['accounts', 'audit_log', 'invoices', 'payments', 'sessions']) {
    const ms = d.around(table === 'audit_log' ? 90_000 : 8_000, 0.4);
    ts += Math.round(ms);
    rows.push(d.row(ts, 'db/postgres', d.pg(ts, vac, r.int(3, 9), { user: 'postgres', db: 'billing', app: 'vacuumdb', client: '[local]' }, `LOG:  duration: ${ms.toFixed(3)} ms  statement: VACUUM (ANALYZE) public.${table};`)));
  }
}

function standby(d: Db, rows: Row[]): void {
  const { r } = d;
  for (let ts = d.t0 + r.int(0, 299_000); ts < d.end; ts += 300_000 + r.int(-40, 40)) {
    const promoted = ts > d.promoteAt;
    const secs = 150 + r.int(0, 120) + r.next();
    // A restartpoint still running at the promotion is not completed.
    if (!promoted && ts + secs * 1000 > d.promoteAt) continue;
    rows.push(...checkpoint(d, ts, 'db/postgres-standby', promoted ? 'checkpoint' : 'restartpoint', 'time', Math.round(d.around(1800, 0.45) * d.load(ts)), secs));
  }
  for (const ts of d.arrivals(1 / 300)) {
    const pid = pgSession(d, rows, ts, PG_APPS[3], undefined, 'db/postgres-standby');
    const ms = d.around(PG_STATEMENTS[4].ms, PG_STATEMENTS[4].spread);
    const at = ts + Math.round(ms);
    rows.push(d.row(at, 'db/postgres-standby', d.pg(at, pid, 4, { user: 'metabase', db: 'billing', app: 'Metabase v0.50.21', client: '10.20.7.31' }, `LOG:  duration: ${ms.toFixed(3)} ms  statement: ${PG_STATEMENTS[4].sql}`)));
  }
}

export const abortedLine = (d: Db, ts: number): string => {
  const { r } = d;
  const id = d.mysqlThread();
  const [db, user] = r.pick([['shop', 'shop_app'], ['shop', 'shop_app'], ['shop', 'shop_ro'], ['crm', 'crm']]);
  return d.mysql(ts, id, 'Note', 'MY-010914', 'Server', `Aborted connection ${id} to db: '${db}' user: '${user}' host: '${d.appIp(4)}' (${r.pick(['Got an error reading communication packets', 'Got timeout reading communication packets', 'Got an error reading communication packets'])}).`);
};

function mysql(d: Db, rows: Row[]): void {
  const { r } = d;
  for (const ts of d.arrivals(0.04)) rows.push(d.row(ts, 'db/mysql', abortedLine(d, ts)));
  for (let ts = d.t0 + r.int(0, 299_999); ts < d.end; ts += 300_000) rows.push(d.row(ts, 'db/mysql', d.mysql(ts, d.mysqlThread(), 'Note', 'MY-010926', 'Server', `Access denied for user 'nagios'@'10.20.9.8' (using password: YES)`)));
  for (const ts of d.arrivals(1 / 900)) rows.push(d.row(ts, 'db/mysql', d.mysql(ts, d.mysqlThread(), 'Warning', 'MY-010055', 'Server', `IP address '${d.appIp(r.int(4, 6))}' could not be resolved: Name or service not known`)));
  for (const ts of d.arrivals(1 / 1500)) rows.push(d.row(ts, 'db/mysql', d.mysql(ts, 0, 'Note', 'MY-011953', 'InnoDB', `Page cleaner took ${r.int(4001, 9000)}ms to flush ${r.int(200, 2100)} and evict 0 pages`)));
  // Midnight: mysqldump makes the page cleaner lag a few times.
  for (let k = r.int(3, 6); k > 0; k--) {
    const ts = d.midnight + 900_000 + r.int(0, 1_500_000);
    rows.push(d.row(ts, 'db/mysql', d.mysql(ts, 0, 'Note', 'MY-011953', 'InnoDB', `Page cleaner took ${r.int(4001, 30_000)}ms to flush ${r.int(1000, 4000)} and evict 0 pages`)));
  }
}

/** One slow log entry (five lines joined, as a multiline shipper gives them). */
export function slowEntry(d: Db, ts: number, user: string, host: string, secs: number, sql: string, rowsSent: number, examined: number): string {
  return [
    `# Time: ${new Date(ts).toISOString().replace('Z', `${String(d.r.int(0, 999)).padStart(3, '0')}Z`)}`,
    `# User@Host: ${user}[${user}] @  [${host}]  Id: ${d.mysqlThread()}`,
    `# Query_time: ${secs.toFixed(6)}  Lock_time: ${(d.r.int(1, 400) / 1e6).toFixed(6)} Rows_sent: ${rowsSent}  Rows_examined: ${examined}`,
    `SET timestamp=${Math.floor(ts / 1000)};`,
    sql,
  ].join('\n');
}

function mysqlSlow(d: Db, rows: Row[]): void {
  const { r } = d;
  for (const ts of d.arrivals(0.35)) {
    const q = MYSQL_QUERIES[r.pick([0, 0, 0, 1, 1, 2])];
    const secs = d.around(q.secs, q.spread) / 1.8;
    if (secs >= 1) rows.push(d.row(ts, 'db/mysql-slow', slowEntry(d, ts, q.user, d.appIp(4), secs, q.sql(r), r.int(0, 50), r.int(10_000, 900_000))));
  }
  for (let ts = d.t0 + r.int(0, 599_999); ts < d.end; ts += 600_000) {
    const q = MYSQL_QUERIES[3];
    rows.push(d.row(ts, 'db/mysql-slow', slowEntry(d, ts, q.user, '10.20.9.12', d.around(q.secs, q.spread), q.sql(r), 0, r.int(1000, 90_000))));
  }
  let ts = d.midnight + 900_000 + r.int(0, 60_000);
  for (const table of ['customers', 'order_items', 'orders', 'products', 'stock_moves']) {
    const secs = d.around(table === 'order_items' || table === 'stock_moves' ? 240 : 40, 0.3);
    ts += Math.round(secs * 1000);
    rows.push(d.row(ts, 'db/mysql-slow', slowEntry(d, ts, 'backup', '10.20.9.5', secs, `SELECT /*!40001 SQL_NO_CACHE */ * FROM \`${table}\`;`, r.int(100_000, 9_000_000), r.int(100_000, 9_000_000))));
  }
}

function redis(d: Db, rows: Row[]): void {
  const { r } = d;
  for (const ts of d.arrivals(0.12)) {
    const ip = d.appIp(r.pick([3, 4, 5])), port = r.int(32768, 60999);
    rows.push(d.row(ts, 'db/redis', d.redis(ts, 1, 'M', '-', `Accepted ${ip}:${port}`)));
    const age = Math.round(r.exp(600));
    const out = ts + age * 1000;
    if (out < d.end) rows.push(d.row(out, 'db/redis', d.redis(out, 1, 'M', '-', d.redisClosed(ip, port, age, r.pick(['redis-py', 'redis-py', ''])))));
  }
  for (let ts = d.t0 + r.int(0, 299_999); ts < d.end; ts += 300_000 + r.int(-500, 500)) rows.push(...rdbSave(d, ts, Math.round(d.around(4, 0.5)) + 1));
  rows.push(...rdbSave(d, d.midnight + r.int(60_000, 120_000), r.int(6, 14), 'bgsave'));
}

/** An RDB save cycle; `cow` MB copied on write. */
export function rdbSave(d: Db, ts: number, cow: number, why: 'changes' | 'bgsave' = 'changes', kind?: string): Row[] {
  const { r } = d;
  const child = r.int(1000, 60_000);
  const done = ts + r.int(300, 2500) + cow * 15;
  return [
    d.row(ts, 'db/redis', d.redis(ts, 1, 'M', '*', why === 'changes' ? `${r.pick([10, 100])} changes in 300 seconds. Saving...` : 'Background saving started'), kind),
    d.row(ts + 1, 'db/redis', d.redis(ts + 1, 1, 'M', '*', `Background saving started by pid ${child}`), kind),
    d.row(done, 'db/redis', d.redis(done, child, 'C', '*', 'DB saved on disk'), kind),
    d.row(done + 1, 'db/redis', d.redis(done + 1, child, 'C', '*', `Fork CoW for RDB: current ${cow} MB, peak ${cow + r.int(0, 2)} MB, average ${Math.max(1, Math.round(cow * 0.6))} MB`), kind),
    d.row(done + 80, 'db/redis', d.redis(done + 80, 1, 'M', '*', 'Background saving terminated with success'), kind),
  ];
}

/** A Mongo connection: accepted, client metadata, authentication; ended later. */
export function mongoConnection(d: Db, rows: Row[], ts: number, app = d.r.pick(MONGO_APPS), kind?: string, novel?: 'metadata' | 'auth'): void {
  const { r } = d;
  const remote = `${app.host(r)}:${r.int(32768, 60999)}`, conn = d.mongoConn();
  const mark = (which?: 'metadata' | 'auth'): string | undefined => (novel === undefined ? kind : novel === which ? kind : undefined);
  rows.push(d.row(ts, 'db/mongo', d.mongo(ts, 'I', 'NETWORK', 22943, 'listener', 'Connection accepted', { remote, uuid: { uuid: { $uuid: d.uuid() } }, connectionId: conn, connectionCount: d.mongoCount(1) }), mark()));
  rows.push(d.row(ts + 2, 'db/mongo', d.mongo(ts + 2, 'I', 'NETWORK', 51800, `conn${conn}`, 'client metadata', { remote, client: `conn${conn}`, negotiatedCompressors: [], doc: { application: { name: app.app }, driver: app.driver, os: { type: 'Linux', name: 'linux', architecture: 'x64', version: '6.1.0-27-cloud-amd64' }, platform: app.platform } }), mark('metadata')));
  rows.push(d.row(ts + 9, 'db/mongo', d.mongo(ts + 9, 'I', 'ACCESS', 5286306, `conn${conn}`, 'Successfully authenticated', { client: remote, isSpeculative: true, isClusterMember: false, mechanism: 'SCRAM-SHA-256', user: app.user, db: 'admin', result: 0, metrics: { conversation_duration: { micros: r.int(2000, 9000), summary: { 0: { step: 1, step_total: 2, duration_micros: r.int(100, 400) }, 1: { step: 2, step_total: 2, duration_micros: r.int(20, 90) } } } }, extraInfo: {} }), mark('auth')));
  if (kind !== undefined) return;
  const out = ts + Math.round(r.exp(app.session));
  if (out < d.end) rows.push(d.row(out, 'db/mongo', d.mongo(out, 'I', 'NETWORK', 22944, `conn${conn}`, 'Connection ended', { remote, uuid: { uuid: { $uuid: d.uuid() } }, connectionId: conn, connectionCount: d.mongoCount(-1) })));
}

/** A slow operation (slowms 100: only those are logged). */
export function mongoSlow(d: Db, ts: number, which: number, ms: number, kind?: string): Row {
  const { r } = d;
  const q = MONGO_QUERIES[which];
  const docs = q.docs(r);
  return d.row(ts, 'db/mongo', d.mongo(ts, 'I', 'COMMAND', 51803, `conn${d.mongoConn()}`, 'Slow query', { type: 'command', ns: q.ns, appName: q.app, command: q.command(r), planSummary: q.plan, planningTimeMicros: r.int(60, 900), keysExamined: docs, docsExamined: docs, nreturned: Math.min(docs, r.int(0, 50)), queryHash: q.hash, planCacheKey: q.cacheKey, queryFramework: 'classic', reslen: r.int(200, 90_000), locks: { FeatureCompatibilityVersion: { acquireCount: { r: 1 } }, Global: { acquireCount: { r: 1 } } }, readConcern: { level: 'local', provenance: 'implicitDefault' }, storage: { data: { bytesRead: r.int(0, 9_000_000), timeReadingMicros: r.int(0, 90_000) } }, remote: `${d.appIp(5)}:${r.int(32768, 60999)}`, protocol: 'op_msg', durationMillis: Math.round(ms) }), kind);
}

function mongo(d: Db, rows: Row[]): void {
  const { r } = d;
  for (const ts of d.arrivals(0.07)) mongoConnection(d, rows, ts);
  // A deploy of the orders API: its pool reconnects (a normal burst of 20-40 connections).
  const deploy = d.t0 + 2_400_000 + r.int(0, 3_600_000);
  for (let k = r.int(20, 40); k > 0; k--) mongoConnection(d, rows, deploy + r.int(0, 8000), MONGO_APPS[0]);
  for (const ts of d.arrivals(0.7)) {
    const w = r.pick([0, 0, 0, 1, 1, 2]);
    const ms = d.around(MONGO_QUERIES[w].ms, MONGO_QUERIES[w].spread);
    if (ms >= 100) rows.push(mongoSlow(d, ts, w, ms));
  }
  for (let ts = d.t0 + r.int(0, 59_999); ts < d.end; ts += 60_000 + r.int(0, 30)) {
    const sec = Math.floor(ts / 1000), snap = r.int(1000, 90_000);
    rows.push(d.row(ts, 'db/mongo', d.mongo(ts, 'I', 'WTCHKPT', 22430, 'Checkpointer', 'WiredTiger message', { message: { ts_sec: sec, ts_usec: r.int(0, 999_999), thread: `1:0x7f${r.hex(10)}`, session_name: 'WT_SESSION.checkpoint', category: 'WT_VERB_CHECKPOINT_PROGRESS', category_id: 6, verbose_level: 'DEBUG_1', verbose_level_id: 1, msg: `saving checkpoint snapshot min: ${snap}, snapshot max: ${snap} snapshot count: 0, oldest timestamp: (${sec - 300}, 1) , meta checkpoint timestamp: (${sec}, 1) base write gen: ${r.int(100_000, 900_000)}` } })));
  }
}

/** The database tier's six streams over `hours` of event time, with labelled incidents. */
export function generateDb(seed: number, hours = 6): GeneratedSet {
  const d = world(seed, hours);
  const rows: Row[] = [];
  postgres(d, rows);
  standby(d, rows);
  mysql(d, rows);
  mysqlSlow(d, rows);
  redis(d, rows);
  mongo(d, rows);
  return labelledSet(injectDbIncidents(d, rows).filter((x) => x.ts < d.end));
}

export const dbGenerator: Generator = {
  describe: 'a database tier over 6 night hours: PostgreSQL primary and standby, MySQL error and slow logs, Redis (verbose) and MongoDB JSON, with nightly dumps and vacuum; incidents: new_error, rare_error, unusual_value, unseen_category, retry_storm, connection_storm, silence (a stream stops; the line after the gap), failover (a standby promoted, a replica set election)',
  generate: (seed) => generateDb(seed),
};
