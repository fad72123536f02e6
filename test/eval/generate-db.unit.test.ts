// The db generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at (new values never on normal lines, silences really silent, the promotion's
// lines where the standby turns primary), six streams in their own formats with benign novelty.
import { describe, expect, it } from 'vitest';
import { evalUsage } from '../../src/tools/eval/cli.js';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { DB_KINDS, generateDb } from '../../src/tools/eval/generators/db.js';
import { MONGO_APPS, NEW_MONGO_APPS, NEW_MYSQL_USERS, NEW_PG_APPS, NEW_PG_USERS } from '../../src/tools/eval/generators/db-lines.js';
import { expectLabelledLogSet, idxOf, normalOf, ofKind } from './helpers.js';

const SHORT = 3; // hours: enough for every kind (the warm-up is 30 minutes), fast in a unit test
const mongoApp = (l: string): string | undefined => /"application":\{"name":"([^"]+)"/.exec(l)?.[1];
const mongoUser = (l: string): string | undefined => /"mechanism":"SCRAM-SHA-256","user":"([^"]+)"/.exec(l)?.[1];
const newValue = (l: string): boolean =>
  NEW_PG_USERS.some((u) => l.includes(`connection authorized: user=${u} `)) || NEW_PG_APPS.some((a) => l.includes(`application_name=${a} SSL`))
  || (mongoApp(l) !== undefined && NEW_MONGO_APPS.some((a) => a.app === mongoApp(l)) && !MONGO_APPS.some((a) => a.app === mongoApp(l))) || (mongoUser(l) !== undefined && !MONGO_APPS.some((a) => a.user === mongoUser(l)))
  || NEW_MYSQL_USERS.some((u) => l.includes(`# User@Host: ${u}[${u}]`));

describe('eval generate --kind db', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS.db.describe).toMatch(/database tier/);
    // The help lists every generator kind with what it writes.
    expect(evalUsage()).toMatch(/Generator kinds \(eval generate --kind\):\n( {2}\S+ +\S.*\n)* {2}db +a database tier .*incidents: new_error, rare_error/);
    expect(evalUsage()).toMatch(/^ {2}cloud +a cloud control plane .*privilege_escalation/m);
    const a = JSON.stringify(generateDb(3, SHORT));
    expect(JSON.stringify(generateDb(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateDb(4, SHORT))).not.toBe(a);
  });

  it('labels every kind; labels point at lines in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) expectLabelledLogSet(generateDb(seed, SHORT), DB_KINDS, 1_800_000);
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6]) {
      const set = generateDb(seed, SHORT);
      const normal = normalOf(set);
      expect(ofKind(set, 'unseen_category').length).toBeGreaterThanOrEqual(4);
      for (const l of ofKind(set, 'unseen_category')) expect(newValue(l)).toBe(true);
      expect(normal.some(newValue)).toBe(false);
      // A new error's text (digits and hex aside) is never on a normal line.
      const shape = (l: string): string => l.replace(/^\S+ \S+ UTC \[\d+\]: \[\d+-1\] user=[^,]*,db=[^,]*,app=[^,]*,client=\S* /, '').replace(/"t":\{[^}]*\}|conn\d+|[0-9A-F]{8}|\d+/g, '0');
      const shapes = new Set(normal.map(shape));
      expect(ofKind(set, 'new_error').length).toBeGreaterThanOrEqual(4);
      expect(ofKind(set, 'new_error').filter((l) => !shapes.has(shape(l))).length).toBeGreaterThanOrEqual(4);
      const rare = ofKind(set, 'rare_error');
      expect(rare.length).toBeGreaterThanOrEqual(10);
      expect(new Set(rare.map(shape)).size).toBe(1);
      expect(shapes.has(shape(rare[0]))).toBe(false);
      // Storms: bursts of normal lines (their shapes are on normal lines too).
      expect(ofKind(set, 'retry_storm').length).toBeGreaterThanOrEqual(40);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/waiting for ShareLock|Process holding the lock|while updating tuple|STATEMENT: {2}UPDATE orders|acquired ShareLock|Aborted connection/);
      expect(ofKind(set, 'connection_storm').length).toBeGreaterThanOrEqual(2 * 60 * 2);
      for (const l of ofKind(set, 'connection_storm')) expect(l).toMatch(/connection received|connection authorized|Connection accepted|client metadata|Successfully authenticated/);
      // Unusual values: ~40× a known line's value, and never that on a normal line of that template.
      const pgFast = (l: string): boolean => /duration: (\d+)\.\d+ ms {2}execute <unnamed>: SELECT i\.id/.test(l) && Number(/duration: (\d+)/.exec(l)?.[1]) > 4000;
      const ckpt = (l: string): boolean => /checkpoint complete: wrote (\d+) buffers/.test(l) && Number(/wrote (\d+)/.exec(l)?.[1]) >= 400_000;
      const mongoFind = (l: string): boolean => l.includes('"ns":"shop.orders"') && Number(/"durationMillis":(\d+)/.exec(l)?.[1]) > 2500;
      const listing = (l: string): boolean => l.includes('FROM products p JOIN categories') && Number(/Query_time: ([\d.]+)/.exec(l)?.[1]) > 20;
      const cow = (l: string): boolean => Number(/Fork CoW for RDB: current (\d+) MB/.exec(l)?.[1] ?? 0) >= 120;
      const unusual = (l: string): boolean => pgFast(l) || ckpt(l) || mongoFind(l) || listing(l) || cow(l);
      expect(ofKind(set, 'unusual_value').length).toBeGreaterThanOrEqual(5);
      expect(ofKind(set, 'unusual_value').filter(unusual).length).toBe(5);
      expect(normal.some(unusual)).toBe(false);
      // The failover: the standby's promotion, then checkpoints instead of restartpoints; a Mongo election.
      const fo = ofKind(set, 'failover');
      expect(fo.some((l) => l.includes('received promote request'))).toBe(true);
      expect(fo.some((l) => l.includes('Transition to primary complete'))).toBe(true);
      const promoted = set.events.findIndex((e, i) => String(e.data).includes('received promote request') && set.labels.kinds[String(i)] === 'failover');
      const standby = set.events.map((e, i) => [e, i] as const).filter(([e]) => e.stream === 'db/postgres-standby');
      expect(standby.some(([e, i]) => i < promoted && String(e.data).includes('restartpoint complete'))).toBe(true);
      expect(standby.some(([e, i]) => i > promoted && String(e.data).includes('restartpoint'))).toBe(false);
      // Each silence: the labelled line is its stream's first after a gap of 15 minutes or more.
      for (const i of idxOf(set, 'silence')) {
        const s = set.events[i].stream;
        const prev = set.events.slice(0, i).filter((e) => e.stream === s).pop();
        expect(prev).toBeDefined();
        expect(Date.parse(set.events[i].timestamp) - Date.parse(prev?.timestamp ?? '')).toBeGreaterThanOrEqual(15 * 60_000);
      }
      expect(idxOf(set, 'silence').map((i) => set.events[i].stream).sort()).toEqual(['db/mongo', 'db/redis']);
    }
  });

  it('six formats with benign novelty and nightly maintenance, 25-45k lines in a full run, load falling over the night', () => {
    const full = generateDb(9);
    expect(full.events.length).toBeGreaterThan(25_000);
    expect(full.events.length).toBeLessThan(45_000);
    const bad = new Set(full.labels.anomalous);
    const text = (stream: string): string[] => full.events.filter((e, i) => !bad.has(i) && e.stream === stream).map((e) => String(e.data));
    expect([...new Set(full.events.map((e) => e.stream))].sort()).toEqual(['db/mongo', 'db/mysql', 'db/mysql-slow', 'db/postgres', 'db/postgres-standby', 'db/redis']);
    expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const pg = text('db/postgres');
    expect(pg.every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \[\d+\]: \[\d+-1\] user=[^,]*,db=[^,]*,app=[^,]*,client=\S* (LOG|DETAIL|STATEMENT|ERROR|CONTEXT): {2}/.test(l))).toBe(true);
    expect(text('db/mongo').every((l) => typeof (JSON.parse(l) as { t: { $date: string } }).t.$date === 'string')).toBe(true);
    expect(text('db/mysql').every((l) => /^\S+Z \d+ \[(Note|Warning)\] \[MY-\d{6}\] \[(Server|InnoDB)\] /.test(l))).toBe(true);
    expect(text('db/mysql-slow').every((l) => l.split('\n').length === 5 && l.startsWith('# Time: '))).toBe(true);
    expect(text('db/redis').every((l) => /^\d+:[MC] \d\d \w{3} \d{4} [\d:.]{12} [-*#] /.test(l))).toBe(true);
    // Benign novelty: fresh client addresses and pids, durations all over; nightly dump and vacuum.
    expect(new Set(pg.flatMap((l) => /connection received: host=(\S+) port/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(300);
    expect(new Set(pg.flatMap((l) => /duration: ([\d.]+) ms/.exec(l)?.[1] ?? [])).size).toBeGreaterThan(2000);
    expect(pg.filter((l) => l.includes('COPY public.')).length).toBe(5);
    expect(pg.filter((l) => l.includes('statement: VACUUM (ANALYZE)')).length).toBe(5);
    expect(pg.some((l) => l.includes('automatic vacuum of table') && l.includes('\n\ttuples: '))).toBe(true);
    expect(text('db/mysql-slow').filter((l) => l.includes('SQL_NO_CACHE')).length).toBe(5);
    const hour = (h: string): number => full.events.filter((e) => e.timestamp.slice(11, 13) === h).length;
    expect(hour('21')).toBeGreaterThan(1.5 * hour('02'));
  });
});
