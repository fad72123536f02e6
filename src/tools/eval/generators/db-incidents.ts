// The `db` generator's labelled incidents (see db.ts), all after a 30-minute warm-up and none in the
// last 3 minutes, 90 s apart, none in or near a silence:
//   new_error         4 never-seen error templates in their stream's format: PostgreSQL deadlock
//                     detected (with its DETAIL/HINT/CONTEXT/STATEMENT lines), out of shared
//                     memory, an invalidated replication slot, reserved connection slots; InnoDB
//                     deadlock dump or disk full; a Redis RDB write error; MongoDB sort over the
//                     memory limit or a WiredTiger write error
//   rare_error        one error template never seen otherwise, 10-14 lone lines over the run: a
//                     PostgreSQL idle-in-transaction timeout (even seeds) or MongoDB's failure to
//                     gather storage statistics (odd seeds)
//   unusual_value     5 known lines with a value ~40× their usual: a fast SQL statement (reports
//                     take seconds normally, the dump minutes), a checkpoint writing 3-7 GB (its
//                     complete line), a Mongo find (aggregations take seconds), a MySQL product
//                     listing (the dump's SELECTs take minutes), a Redis fork's copy-on-write
//   unseen_category   4 values never seen in a low-cardinality slot: a PostgreSQL user, an
//                     application_name, a Mongo application or user, a MySQL slow-log user
//   retry_storm       2 bursts of a normal but infrequent line: PostgreSQL lock waits (20-50 in
//                     10-40 s) or MySQL aborted connections (40-120 in 10-30 s)
//   connection_storm  2 bursts of connections: PostgreSQL (60-150 sessions in 10-30 s) or Mongo
//                     (60-150 connections with their metadata and authentication lines)
//   silence           2 streams stop for 15-30 minutes (Mongo, Redis); the first line after the
//                     gap is labelled (the only line a line detector could flag)
//   failover          the standby's promotion (its lines from the promote request to the first
//                     checkpoint; afterwards it writes checkpoints, not restartpoints) and a Mongo
//                     replica set election (heartbeat failure to "Transition to primary complete")
import { checkpoint, mongoConnection, mongoSlow, pgLockWait, pgSession, pgStatement, rdbSave, slowEntry, abortedLine } from './db.js';
import { MONGO_APPS, MYSQL_QUERIES, NEW_MONGO_APPS, NEW_MYSQL_USERS, NEW_PG_APPS, NEW_PG_USERS, PG_APPS, PG_STATEMENTS, type Db, type Row } from './db-lines.js';

type Maker = (d: Db, ts: number) => Row[];
const ORDERS_WHO = (d: Db): { user: string; db: string; app: string; client: string } => ({ user: 'orders_rw', db: 'orders', app: 'PostgreSQL JDBC Driver', client: PG_APPS[1].host(d.r) });
const pgLines = (d: Db, ts: number, stream: string, who: { user?: string; db?: string; app?: string; client?: string }, msgs: string[], kind: string): Row[] => {
  const pid = d.pid(), n = d.r.int(3, 900);
  return msgs.map((m) => d.row(ts, stream, d.pg(ts, pid, n, who, m), kind));
};
const mongoRow = (d: Db, ts: number, s: string, c: string, id: number, msg: string, attr: Record<string, unknown>, kind: string, ctx = `conn${d.mongoConn()}`): Row =>
  d.row(ts, 'db/mongo', d.mongo(ts, s, c, id, ctx, msg, attr), kind);

const NEW_ERRORS: Maker[] = [
  (d, ts) => {
    const a = d.pid(), b = d.pid(), x = d.r.int(90_000_000, 99_000_000);
    return pgLines(d, ts, 'db/postgres', ORDERS_WHO(d), [
      'ERROR:  deadlock detected',
      `DETAIL:  Process ${a} waits for ShareLock on transaction ${x}; blocked by process ${b}.\n\tProcess ${b} waits for ShareLock on transaction ${x + 3}; blocked by process ${a}.\n\tProcess ${a}: UPDATE orders SET status = $1, updated_at = now() WHERE id = $2\n\tProcess ${b}: UPDATE order_items SET qty = qty - 1 WHERE order_id = $1`,
      'HINT:  See server log for query details.',
      `CONTEXT:  while updating tuple (${d.r.int(1, 90_000)},${d.r.int(1, 60)}) in relation "orders"`,
      'STATEMENT:  UPDATE orders SET status = $1, updated_at = now() WHERE id = $2',
    ], 'new_error');
  },
  (d, ts) => pgLines(d, ts, 'db/postgres', { user: 'billing_worker', db: 'billing', app: 'celery', client: PG_APPS[2].host(d.r) }, ['ERROR:  out of shared memory', 'HINT:  You might need to increase "max_locks_per_transaction".', `STATEMENT:  ${PG_STATEMENTS[2].sql}`], 'new_error'),
  (d, ts) => pgLines(d, ts, 'db/postgres', {}, ['LOG:  invalidating obsolete replication slot "analytics_cdc"', `DETAIL:  The slot's restart_lsn ${d.r.int(2, 3)}/${d.r.hex(8).toUpperCase()} exceeds the limit by ${d.r.int(1, 900) * 8192} bytes.`, 'HINT:  You might need to increase "max_slot_wal_keep_size".'], 'new_error'),
  (d, ts) => pgLines(d, ts, 'db/postgres', { user: 'billing_app', db: 'billing', app: '[unknown]', client: PG_APPS[0].host(d.r) }, ['FATAL:  remaining connection slots are reserved for roles with the SUPERUSER attribute'], 'new_error'),
  (d, ts) => [
    d.row(ts, 'db/mysql', d.mysql(ts, 0, 'Note', 'MY-012468', 'InnoDB', 'Transactions deadlock detected, dumping detailed information. (lock0lock.cc:6482)'), 'new_error'),
    d.row(ts, 'db/mysql', d.mysql(ts, 0, 'Note', 'MY-012469', 'InnoDB', `*** (1) TRANSACTION:\nTRANSACTION ${d.r.int(9_000_000, 9_999_999)}, ACTIVE 0 sec starting index read\nmysql tables in use 1, locked 1\nLOCK WAIT 3 lock struct(s), heap size 1128, 2 row lock(s)\nMySQL thread id ${d.mysqlThread()}, query id ${d.r.int(1e8, 9e8)} ${d.appIp(4)} shop_app updating\nUPDATE stock SET qty = qty - 1 WHERE sku = 'SKU-${d.r.int(10_000, 99_999)}'`), 'new_error'),
  ],
  (d, ts) => [
    d.row(ts, 'db/mysql', d.mysql(ts, 0, 'ERROR', 'MY-012592', 'InnoDB', 'Operating system error number 28 in a file operation.'), 'new_error'),
    d.row(ts, 'db/mysql', d.mysql(ts, 0, 'ERROR', 'MY-012596', 'InnoDB', "Error number 28 means 'No space left on device'"), 'new_error'),
  ],
  (d, ts) => {
    const child = d.r.int(1000, 60_000);
    return [
      d.row(ts, 'db/redis', d.redis(ts, child, 'C', '#', 'Write error saving DB on disk: No space left on device'), 'new_error'),
      d.row(ts + 60, 'db/redis', d.redis(ts + 60, 1, 'M', '#', 'Background saving error'), 'new_error'),
    ];
  },
  (d, ts) => [mongoRow(d, ts, 'W', 'QUERY', 23798, 'Plan executor error during find command', { error: { code: 292, codeName: 'QueryExceededMemoryLimitNoDiskUseAllowed', errmsg: 'Executor error during find command :: caused by :: Sort exceeded memory limit of 104857600 bytes, but did not opt in to external sorting.' }, cmd: { find: 'orders', filter: { status: 'paid' }, sort: { total: -1 }, $db: 'shop' } }, 'new_error')],
  (d, ts) => [mongoRow(d, ts, 'E', 'WT', 22435, 'WiredTiger error message', { error: 28, message: { ts_sec: Math.floor(ts / 1000), ts_usec: d.r.int(0, 999_999), thread: `1:0x7f${d.r.hex(10)}`, session_name: 'WT_SESSION.checkpoint', category: 'WT_VERB_DEFAULT', category_id: 9, verbose_level: 'ERROR', verbose_level_id: -3, msg: `__posix_file_write:${d.r.int(500, 700)}:/data/db/collection-${d.r.int(10, 90)}-${d.r.int(1e17, 9e17)}.wt: handle-write: pwrite: failed to write 4096 bytes at offset ${d.r.int(1e6, 9e9)}`, error_str: 'No space left on device', error_code: 28 } }, 'new_error', 'Checkpointer')],
];

const rareLine = (d: Db, ts: number): Row[] => (d.seed % 2 === 0
  ? pgLines(d, ts, 'db/postgres', ORDERS_WHO(d), ['FATAL:  terminating connection due to idle-in-transaction timeout'], 'rare_error')
  : [mongoRow(d, ts, 'W', 'COMMAND', 20525, 'Failed to gather storage statistics for slow operation', { opId: d.r.int(1e6, 9e7), error: 'lock acquire timeout' }, 'rare_error')]);

function unusualValue(d: Db, ts: number, which: number): Row[] {
  const { r } = d;
  if (which === 0) return pgStatement(d, ts, 0, 40 * d.around(250, 0.15), 'unusual_value');
  if (which === 1) return checkpoint(d, ts, 'db/postgres', 'checkpoint', 'time', r.int(400_000, 900_000), 240 + r.int(0, 60) + r.next()).map((x, j) => (j === 1 ? { ...x, kind: 'unusual_value' } : x));
  if (which === 2) return [mongoSlow(d, ts, 0, 40 * d.around(120, 0.15), 'unusual_value')];
  if (which === 3) {
    const q = MYSQL_QUERIES[0];
    return [d.row(ts, 'db/mysql-slow', slowEntry(d, ts, q.user, d.appIp(4), 40 * d.around(1.2, 0.15), q.sql(r), 20, r.int(10_000, 900_000)), 'unusual_value')];
  }
  return rdbSave(d, ts, Math.round(40 * d.around(5, 0.15))).map((x, j) => (j === 3 ? { ...x, kind: 'unusual_value' } : x));
}

function unseenCategory(d: Db, rows: Row[], ts: number, which: number): void {
  const { r } = d;
  if (which === 0) pgSession(d, rows, ts, { ...PG_APPS[0], user: r.pick(NEW_PG_USERS) }, 'unseen_category');
  else if (which === 1) pgSession(d, rows, ts, { ...PG_APPS[0], app: r.pick(NEW_PG_APPS) }, 'unseen_category');
  else if (which === 2) {
    const app = r.pick(NEW_MONGO_APPS);
    mongoConnection(d, rows, ts, app, 'unseen_category', MONGO_APPS.some((a) => a.app === app.app) ? 'auth' : 'metadata');
  } else {
    const q = MYSQL_QUERIES[r.int(0, 2)];
    rows.push(d.row(ts, 'db/mysql-slow', slowEntry(d, ts, r.pick(NEW_MYSQL_USERS), d.appIp(8), d.around(q.secs, 0.2), q.sql(r), r.int(0, 50), r.int(10_000, 900_000)), 'unseen_category'));
  }
}

function storm(d: Db, rows: Row[], ts: number, kind: 'retry_storm' | 'connection_storm', pg: boolean): void {
  const { r } = d;
  const n = kind === 'retry_storm' ? (pg ? r.int(20, 50) : r.int(40, 120)) : r.int(60, 150);
  const span = kind === 'retry_storm' && pg ? r.int(10_000, 40_000) : r.int(10_000, 30_000);
  for (let j = 0; j < n; j++) {
    const t = ts + Math.round((j * span) / n) + r.int(0, 50);
    if (kind === 'retry_storm') rows.push(...(pg ? pgLockWait(d, t, kind) : [d.row(t, 'db/mysql', abortedLine(d, t), kind)]));
    else if (pg) pgSession(d, rows, t, PG_APPS[r.int(0, 2)], kind);
    else mongoConnection(d, rows, t, MONGO_APPS[0], kind);
  }
}

function promotion(d: Db, rows: Row[]): void {
  const { r } = d;
  const ts = d.promoteAt, lsn = `3/${r.hex(8).toUpperCase()}`;
  const s = 'db/postgres-standby';
  const msgs: [number, number, string][] = [
    [0, 1, 'LOG:  received promote request'],
    [40, r.int(100, 999), 'FATAL:  terminating walreceiver process due to administrator command'],
    [90, 1, `LOG:  invalid record length at ${lsn}: expected at least 24, got 0`],
    [95, 1, `LOG:  redo done at ${lsn} system usage: CPU: user: ${(r.next() * 90).toFixed(2)} s, system: ${(r.next() * 40).toFixed(2)} s, elapsed: ${((ts - d.t0) / 1000 + r.int(3600, 90_000)).toFixed(2)} s`],
    [96, 1, `LOG:  last completed transaction was at log time ${d.pgTime(ts - r.int(1000, 9000), true)}+00`],
    [120, 1, 'LOG:  selected new timeline ID: 2'],
    [160, 1, 'LOG:  archive recovery complete'],
  ];
  const startup = r.int(30, 90);
  for (const [dt, pid, m] of msgs) rows.push(d.row(ts + dt, s, d.pg(ts + dt, pid === 1 ? startup : pid, 1, {}, m), 'failover'));
  rows.push(...checkpoint(d, ts + 180, s, 'checkpoint', 'force', r.int(200, 4000), 0.2 + r.next(), 'failover'));
  rows.push(d.row(ts + 200, s, d.pg(ts + 200, 1, 1, {}, 'LOG:  database system is ready to accept connections'), 'failover'));
}

function election(d: Db, rows: Row[], ts: number): void {
  const { r } = d;
  const term = r.int(3, 40), old = 'mongo-0.mongo.db.svc.cluster.local:27017';
  const lines: [number, string, string, number, string, string, Record<string, unknown>][] = [
    [0, 'I', 'REPL_HB', 23974, 'ReplCoord-1', 'Heartbeat failed after max retries', { target: old, maxHeartbeatRetries: 2, error: { code: 6, codeName: 'HostUnreachable', errmsg: `Error connecting to ${old} :: caused by :: Connection refused` } }],
    [9800, 'I', 'ELECTION', 4615652, 'ReplCoord-3', 'Starting an election, since we\'ve seen no PRIMARY in election timeout period', { electionTimeoutPeriodMillis: 10000 }],
    [9820, 'I', 'ELECTION', 21444, 'ReplCoord-2', 'Dry election run succeeded, running for election', { newTerm: term }],
    [9900, 'I', 'ELECTION', 21450, 'ReplCoord-1', 'Election succeeded, assuming primary role', { term }],
    [9901, 'I', 'REPL', 21358, 'ReplCoord-1', 'Replica set state transition', { newState: 'PRIMARY', oldState: 'SECONDARY' }],
    [9902, 'I', 'REPL', 21106, 'ReplCoord-1', 'Resetting sync source to empty', { previousSyncSource: old }],
    [10_400, 'I', 'REPL', 21331, 'OplogApplier-0', 'Transition to primary complete; database writes are now permitted', {}],
  ];
  for (const [dt, s, c, id, ctx, msg, attr] of lines) rows.push(mongoRow(d, ts + dt, s, c, id, msg, attr, 'failover', ctx));
}

/** Every kind, at random times after the warm-up; then the silences cut out (the line after each labelled). */
export function injectDbIncidents(d: Db, rows: Row[]): Row[] {
  const { r } = d;
  const used: number[] = [d.promoteAt];
  const blocked = (t: number): boolean => d.silences.some((s) => t > s.from - 120_000 && t < s.to + 120_000) || used.some((u) => Math.abs(u - t) < 90_000);
  const at = (): number => {
    let t = 0;
    for (let tries = 0; tries < 200; tries++) {
      t = d.t0 + 1_800_000 + Math.floor(r.next() * (d.end - d.t0 - 1_980_000));
      if (!blocked(t)) break;
    }
    used.push(t);
    return t;
  };
  for (let k = 0; k < 4; k++) rows.push(...NEW_ERRORS[(d.seed * 4 + k) % NEW_ERRORS.length](d, at()));
  for (let k = r.int(10, 14); k > 0; k--) rows.push(...rareLine(d, at()));
  for (let k = 0; k < 5; k++) rows.push(...unusualValue(d, at(), (d.seed + k) % 5));
  for (let k = 0; k < 4; k++) unseenCategory(d, rows, at(), (d.seed + k) % 4);
  for (let k = 0; k < 2; k++) storm(d, rows, at(), 'retry_storm', (d.seed + k) % 2 === 0);
  for (let k = 0; k < 2; k++) storm(d, rows, at(), 'connection_storm', (d.seed + k) % 2 === 1);
  promotion(d, rows);
  election(d, rows, at());
  const kept = rows.filter((x) => !d.silences.some((s) => x.ev.stream === s.stream && x.ts >= s.from && x.ts < s.to));
  for (const s of d.silences) {
    let first: Row | undefined;
    for (const x of kept) if (x.ev.stream === s.stream && x.ts >= s.to && x.kind === undefined && (first === undefined || x.ts < first.ts)) first = x;
    if (first !== undefined) first.kind = 'silence';
  }
  return kept;
}
