// The `db` generator's world and line makers (see db.ts): one seeded source shared by every stream,
// so the order of calls is the seed's. Each format as its server writes it:
//   pg      PostgreSQL stderr with log_line_prefix '%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h '
//   mysql   MySQL 8 error log (time thread [Level] [MY-code] [Subsystem] message)
//   redis   pid:role date level message (level: . debug, - verbose, * notice, # warning)
//   mongo   MongoDB's structured JSON ({"t":{"$date"},"s","c","id","ctx","msg","attr"})
import { gauss } from './k8s.js';
import type { GeneratedEvent } from './index.js';
import { seeded, type Random } from './random.js';

export interface Row { ts: number; ev: GeneratedEvent; kind?: string }

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

export interface PgApp { user: string; db: string; app: string; host: (r: Random) => string; session: number }
/** The primary's clients (user, database, application_name, their subnet, mean session length ms). */
export const PG_APPS: PgApp[] = [
  { user: 'billing_app', db: 'billing', app: 'billing-api', host: (r) => `10.20.3.${r.int(10, 250)}`, session: 1_800_000 },
  { user: 'orders_rw', db: 'orders', app: 'PostgreSQL JDBC Driver', host: (r) => `10.20.4.${r.int(10, 250)}`, session: 900_000 },
  { user: 'billing_worker', db: 'billing', app: 'celery', host: (r) => `10.20.5.${r.int(10, 250)}`, session: 120_000 },
  { user: 'metabase', db: 'billing', app: 'Metabase v0.50.21', host: () => '10.20.7.31', session: 600_000 },
];
export const NEW_PG_USERS = ['dba_tmp', 'tmp_migration', 'readonly_ext', 'svc_legacy'];
export const NEW_PG_APPS = ['DBeaver 24.2.5 - Main', 'pgAdmin 4 - DB:billing', 'Navicat', 'psql'];

export interface PgStatement { app: number; sql: string; prepared: string; params: number; args: (r: Random) => (string | number)[]; ms: number; spread: number }
/** Statements the apps run: median ms and log-normal spread (only those over 200 ms are logged). */
export const PG_STATEMENTS: PgStatement[] = [
  { app: 0, sql: 'SELECT i.id, i.amount_cents, i.currency, i.status FROM invoices i WHERE i.account_id = $1 AND i.status = ANY($2) ORDER BY i.created_at DESC LIMIT 50', prepared: '<unnamed>', params: 2, args: (r) => [r.int(10_000, 990_000), r.pick(['{open}', '{open,overdue}', '{paid}'])], ms: 150, spread: 0.5 },
  { app: 1, sql: 'UPDATE orders SET status = $1, updated_at = now() WHERE id = $2', prepared: 'S_4', params: 2, args: (r) => [r.pick(['paid', 'shipped', 'cancelled', 'refunded']), r.int(1_000_000, 9_999_999)], ms: 60, spread: 0.9 },
  { app: 2, sql: 'SELECT id, payload FROM jobs WHERE queue = $1 AND run_at <= now() ORDER BY priority, run_at LIMIT 100 FOR UPDATE SKIP LOCKED', prepared: '<unnamed>', params: 1, args: (r) => [r.pick(['dunning', 'invoices', 'webhooks', 'exports'])], ms: 120, spread: 0.6 },
  { app: 0, sql: 'INSERT INTO audit_log (actor, action, payload, at) VALUES ($1, $2, $3, now())', prepared: '<unnamed>', params: 3, args: (r) => [`user:${r.int(1000, 99_999)}`, r.pick(['invoice.sent', 'invoice.paid', 'plan.changed', 'card.updated']), `{"id": ${r.int(1, 9_999_999)}}`], ms: 40, spread: 1.0 },
  { app: 3, sql: 'SELECT date_trunc(\'day\', "public"."invoices"."created_at") AS "created_at", sum("public"."invoices"."amount_cents") AS "sum" FROM "public"."invoices" WHERE "public"."invoices"."created_at" >= date_trunc(\'month\', now()) GROUP BY 1 ORDER BY 1 ASC', prepared: '', params: 0, args: () => [], ms: 4000, spread: 0.7 },
];

export interface MysqlQuery { user: string; sql: (r: Random) => string; secs: number; spread: number }
export const MYSQL_QUERIES: MysqlQuery[] = [
  { user: 'shop_app', sql: (r) => `SELECT p.id, p.sku, p.name, p.price FROM products p JOIN categories c ON c.id = p.category_id WHERE c.slug = '${r.pick(['garden', 'kitchen', 'tools', 'outdoor', 'lighting', 'kids'])}' AND p.active = 1 ORDER BY p.popularity DESC LIMIT ${r.int(0, 12) * 20}, 20;`, secs: 1.6, spread: 0.35 },
  { user: 'shop_app', sql: (r) => { const w = r.pick(['lamp', 'drill', 'hose', 'chair', 'kettle', 'tent']); return `SELECT id, sku, name FROM products WHERE name LIKE '%${w}%' OR description LIKE '%${w}%' LIMIT 50;`; }, secs: 2.5, spread: 0.4 },
  { user: 'shop_ro', sql: (r) => `SELECT customer_id, COUNT(*) AS n, SUM(total) AS s FROM orders WHERE created_at >= '2026-${pad(r.int(1, 11))}-01' GROUP BY customer_id HAVING n > 3;`, secs: 2, spread: 0.5 },
  { user: 'cron', sql: () => 'DELETE FROM carts WHERE updated_at < NOW() - INTERVAL 30 DAY LIMIT 5000;', secs: 3, spread: 0.3 },
];
export const NEW_MYSQL_USERS = ['root', 'debian-sys-maint', 'tableau', 'dev_tmp'];

export interface MongoApp { user: string; app: string; driver: { name: string; version: string }; platform: string; host: (r: Random) => string; session: number }
export const MONGO_APPS: MongoApp[] = [
  { user: 'orders_api', app: 'orders-api', driver: { name: 'nodejs', version: '6.10.0' }, platform: 'Node.js v20.18.0, LE', host: (r) => `10.20.5.${r.int(10, 250)}`, session: 1_200_000 },
  { user: 'catalog', app: 'catalog-sync', driver: { name: 'PyMongo', version: '4.10.1' }, platform: 'CPython 3.12.7.final.0', host: (r) => `10.20.6.${r.int(10, 120)}`, session: 300_000 },
  { user: 'events', app: 'events-consumer', driver: { name: 'mongo-go-driver', version: 'v1.17.1' }, platform: 'go1.23.3', host: (r) => `10.20.6.${r.int(121, 250)}`, session: 3_600_000 },
];
export const NEW_MONGO_APPS: MongoApp[] = [
  { user: 'orders_api', app: 'MongoDB Compass', driver: { name: 'nodejs|Compass', version: '6.10.0' }, platform: 'Node.js v20.16.0, LE', host: (r) => `10.20.8.${r.int(10, 250)}`, session: 60_000 },
  { user: 'catalog', app: 'mongosh 2.3.4', driver: { name: 'nodejs|mongosh', version: '6.10.0|2.3.4' }, platform: 'Node.js v20.18.0, LE', host: (r) => `10.20.8.${r.int(10, 250)}`, session: 60_000 },
  { user: 'root', app: 'orders-api', driver: { name: 'nodejs', version: '6.10.0' }, platform: 'Node.js v20.18.0, LE', host: (r) => `10.20.5.${r.int(10, 250)}`, session: 60_000 },
  { user: 'migrator', app: 'events-consumer', driver: { name: 'mongo-go-driver', version: 'v1.17.1' }, platform: 'go1.23.3', host: (r) => `10.20.6.${r.int(121, 250)}`, session: 60_000 },
];

export interface MongoQuery { ns: string; app: string; command: (r: Random) => Record<string, unknown>; plan: string; hash: string; cacheKey: string; ms: number; spread: number; docs: (r: Random) => number }
export const MONGO_QUERIES: MongoQuery[] = [
  { ns: 'shop.orders', app: 'orders-api', command: (r) => ({ find: 'orders', filter: { customerId: r.int(10_000, 999_999) }, sort: { createdAt: -1 }, limit: 20, $db: 'shop' }), plan: 'IXSCAN { customerId: 1, createdAt: -1 }', hash: '5A1E2B7C', cacheKey: '9F3D21A0', ms: 60, spread: 0.6, docs: (r) => r.int(1, 40) },
  { ns: 'events.clicks', app: 'events-consumer', command: (r) => ({ aggregate: 'clicks', pipeline: [{ $match: { day: `2026-12-${pad(r.int(1, 28))}` } }, { $group: { _id: '$campaign', n: { $sum: 1 } } }], cursor: {}, $db: 'events' }), plan: 'COLLSCAN', hash: 'C04F1D22', cacheKey: '7B22E915', ms: 1500, spread: 0.5, docs: (r) => r.int(200_000, 2_000_000) },
  { ns: 'shop.carts', app: 'orders-api', command: (r) => ({ update: 'carts', updates: [{ q: { _id: { $oid: r.hex(24) } }, u: { $set: { items: r.int(1, 9) } } }], ordered: true, $db: 'shop' }), plan: 'IDHACK', hash: '2E8A9F01', cacheKey: '2E8A9F01', ms: 45, spread: 0.8, docs: () => 1 },
];

export interface Db {
  r: Random;
  seed: number;
  t0: number;
  end: number;
  /** 00:00 of the night (the dumps), 3 hours in. */
  midnight: number;
  /** When the standby is promoted (the failover). */
  promoteAt: number;
  /** Streams that stop writing for a while (the silence incidents). */
  silences: { stream: string; from: number; to: number }[];
  /** Application load in (0, 1]: 1 at 21:00, ~0.25 at 03:00. */
  load: (ts: number) => number;
  /** Arrival times of a Poisson process at `perSecond` × load (thinning). */
  arrivals: (perSecond: number) => number[];
  /** A log-normal draw around `median`. */
  around: (median: number, spread?: number) => number;
  pid: () => number;
  uuid: () => string;
  /** A fresh address in the app subnet 10.20.`net`.x. */
  appIp: (net: number) => string;
  pg: (ts: number, pid: number, line: number, who: { user?: string; db?: string; app?: string; client?: string }, msg: string) => string;
  /** 2026-12-06 21:00:01 UTC (%t), or with microseconds and no zone (log time in DETAIL lines). */
  pgTime: (ts: number, micro?: boolean) => string;
  mysql: (ts: number, thread: number, level: string, code: string, sub: string, msg: string) => string;
  mysqlThread: () => number;
  redis: (ts: number, pid: number, role: string, level: string, msg: string) => string;
  redisClosed: (ip: string, port: number, age: number, lib: string, user?: string) => string;
  mongo: (ts: number, s: string, c: string, id: number, ctx: string, msg: string, attr: Record<string, unknown>) => string;
  mongoConn: () => number;
  /** The open connection count after a change of `delta`. */
  mongoCount: (delta: number) => number;
  row: (ts: number, stream: string, data: string, kind?: string) => Row;
}

export function world(seed: number, hours: number): Db {
  const r = seeded(seed * 7919 + 211);
  const t0 = Date.UTC(2026, 1, 2, 21, 0, 0) + (seed % 500) * 86_400_000;
  const end = t0 + hours * 3_600_000;
  const span = end - t0;
  const promoteAt = t0 + Math.round((0.45 + 0.4 * r.next()) * span);
  const gap = (stream: string, lo: number, hi: number): { stream: string; from: number; to: number } => {
    const from = t0 + Math.round((lo + (hi - lo) * r.next()) * span);
    return { stream, from, to: from + r.int(15, 30) * 60_000 };
  };
  const silences = [gap('db/mongo', 0.15, 0.4), gap('db/redis', 0.55, 0.85)];
  let thread = r.int(10_000, 90_000), conn = r.int(1000, 90_000), open = r.int(40, 70), rpid = r.int(20_000, 40_000);
  const load = (ts: number): number => { const x = Math.min(1, Math.max(0, (ts - t0) / (6 * 3_600_000))); return 0.22 + 0.78 * (1 - x) ** 1.4; };
  const micro = (ts: number): string => `${new Date(ts).toISOString().slice(0, 23)}${pad(r.int(0, 999), 3)}`;
  return {
    r, seed, t0, end, promoteAt, silences, load,
    midnight: t0 + 3 * 3_600_000,
    arrivals: (perSecond) => {
      const out: number[] = [];
      for (let t = t0 + r.exp(1000 / perSecond); t < end; t += r.exp(1000 / perSecond)) if (r.next() < load(t)) out.push(Math.round(t));
      return out;
    },
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    pid: () => { rpid += r.int(1, 40); if (rpid > 4_190_000) rpid = 20_000; return rpid; },
    uuid: () => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`,
    appIp: (net) => `10.20.${net}.${r.int(10, 250)}`,
    pg: (ts, pid, line, who, msg) => `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')} UTC [${pid}]: [${line}-1] user=${who.user ?? ''},db=${who.db ?? ''},app=${who.app ?? ''},client=${who.client ?? ''} ${msg}`,
    pgTime: (ts, withMicro = false) => (withMicro ? micro(ts).replace('T', ' ') : `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')} UTC`),
    mysql: (ts, t, level, code, sub, msg) => `${micro(ts)}Z ${t} [${level}] [${code}] [${sub}] ${msg}`,
    mysqlThread: () => { thread += r.int(1, 9); return thread; },
    redis: (ts, pid, role, level, msg) => { const x = new Date(ts); return `${pid}:${role} ${pad(x.getUTCDate())} ${MONTHS[x.getUTCMonth()]} ${x.getUTCFullYear()} ${x.toISOString().slice(11, 23)} ${level} ${msg}`; },
    redisClosed: (ip, port, age, lib, user = 'default') => `Client closed connection id=${r.int(10_000, 900_000)} addr=${ip}:${port} laddr=10.20.9.2:6379 fd=${r.int(8, 200)} name= age=${age} idle=${r.int(0, 30)} flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 watch=0 qbuf=0 qbuf-free=0 argv-mem=0 multi-mem=0 rbs=1024 rbp=${r.int(0, 64)} obl=0 oll=0 omem=0 tot-mem=1928 events=r cmd=${r.pick(['quit', 'get', 'setex', 'del', 'expire'])} user=${user} redir=-1 resp=2 lib-name=${lib} lib-ver=${lib === '' ? '' : '5.2.0'}`,
    mongo: (ts, s, c, id, ctx, msg, attr) => JSON.stringify({ t: { $date: new Date(ts).toISOString().replace('Z', '+00:00') }, s, c, id, ctx, msg, attr }),
    mongoConn: () => { conn += r.int(1, 5); return conn; },
    mongoCount: (delta) => { open = Math.max(5, open + delta); return open; },
    row: (ts, stream, data, kind) => {
      const ev: GeneratedEvent = { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data };
      return kind === undefined ? { ts, ev } : { ts, ev, kind };
    },
  };
}
