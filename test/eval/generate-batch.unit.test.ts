// The batch generator: pure (same seed, same set), every kind labelled, labels consistent with the
// lines they point at, six formats at very different rates, normal 5xx only on the object-store
// routes that fail normally, unseen values never on a normal line.
import { describe, expect, it } from 'vitest';
import { evalUsage } from '../../src/tools/eval/cli.js';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { BATCH_KINDS, generateBatch, NEW_REGIONS, NEW_SUDO_USERS, QUIET_ROUTES, REGIONS, S3_ROUTES, SUDO_USERS } from '../../src/tools/eval/generators/batch.js';
import { NEW_QUEUES, QUEUES } from '../../src/tools/eval/generators/batch-jobs.js';
import { expectLabelledLogSet, normalOf, ofKind } from './helpers.js';

const SHORT = 22; // minutes: enough for every kind (the warm-up is 6), fast in a unit test
const s3 = (line: string): { method: string; bucket: string; key: string; query: string; status: number; region: string; request_time: number; request_id: string } | undefined =>
  line.startsWith('{"time":') ? JSON.parse(line) as never : undefined;
const routeOf = (x: { method: string; bucket: string; key: string; query: string }): string => `${x.method} ${x.bucket} ${x.query !== '' && x.key === '' ? 'list' : x.key.split('/')[0]}`;
const routeNames = (names: string[]): Set<string> => new Set(S3_ROUTES.filter((x) => names.includes(x.name)).map((x) => `${x.method} ${x.bucket} ${x.name === 'list' ? 'list' : '*'}`));

describe('eval generate --kind batch', () => {
  it('is registered and deterministic per seed', () => {
    expect(Object.keys(GENERATORS)).toContain('batch');
    const a = JSON.stringify(generateBatch(3, SHORT));
    expect(JSON.stringify(generateBatch(3, SHORT))).toBe(a);
    expect(JSON.stringify(generateBatch(4, SHORT))).not.toBe(a);
    expect(GENERATORS.batch.describe).toMatch(/data platform/);
    expect(evalUsage()).toMatch(/--kind <kind> +generate: which generator \(.*\bbatch\b.*\bllm-code\b.*\)/);
  });

  it('labels every kind; labels point at lines in time order, none in the warm-up', () => {
    for (const seed of [1, 2]) {
      expectLabelledLogSet(generateBatch(seed, SHORT), BATCH_KINDS, 360_000);
    }
  });

  it('the labelled lines hold what their kind says, and normal lines never do', () => {
    for (const seed of [5, 6, 7]) {
      const set = generateBatch(seed, SHORT);
      const normal = normalOf(set);
      const unseen = (l: string): boolean => NEW_REGIONS.includes(s3(l)?.region ?? '') || NEW_QUEUES.some((q) => l.endsWith(`and queue ${q}`) || l.includes(`queue=${q},`)) || NEW_SUDO_USERS.some((u) => l.includes(` ${u} : TTY=`) || l.includes(`by ${u}(uid=`));
      expect(ofKind(set, 'unseen_category').every(unseen)).toBe(true);
      expect(normal.some(unseen)).toBe(false);
      for (const l of ofKind(set, 'retry_storm')) expect(l).toMatch(/Preparing to rebalance group|"status":503,"s3_error":"SlowDown"/);
      const rare = ofKind(set, 'rare_error');
      expect(rare.length).toBeGreaterThanOrEqual(100 + 9);
      const rareShape = (l: string): string => l.replace(/^.*?(ERROR|WARN) /, '$1 ').replace(/\d+(\.\d+)*/g, '0').replace(/10\.0\.0\.0/g, 'ip');
      expect(new Set(rare.map(rareShape)).size).toBeLessThanOrEqual(2);
      // A new error's text (digits aside) is never on a normal line.
      const shape = (l: string): string => l.replace(/^.*? (ERROR|WARN|kernel:|gitlab-runner\[\d+\]:) /, '$1 ').replace(/\d+/g, '0').replace(/"request_id":"\w+"/, '');
      const normalShapes = new Set(normal.map(shape));
      const errs = ofKind(set, 'new_error');
      expect(errs.length).toBeGreaterThanOrEqual(3);
      for (const l of errs.filter((x) => !x.startsWith('\tat '))) expect(normalShapes.has(shape(l))).toBe(false);
      expect(ofKind(set, 'unusual_value').length).toBe(5);
    }
  });

  it('normal 5xx only on the object-store routes that fail normally; unusual values are 30× or on a quiet route', () => {
    const set = generateBatch(8, 40);
    const normal = normalOf(set);
    const failing = routeNames(S3_ROUTES.filter((x) => x.fail !== undefined).map((x) => x.name));
    const star = (x: { method: string; bucket: string; key: string; query: string }): string => routeOf(x) === `${x.method} ${x.bucket} list` ? routeOf(x) : `${x.method} ${x.bucket} *`;
    const fivexx = normal.map(s3).filter((x) => x !== undefined && x.status >= 500).map((x) => star(x as never));
    expect(fivexx.length).toBeGreaterThan(5);
    expect(fivexx.every((p) => failing.has(p))).toBe(true);
    expect(QUIET_ROUTES.some((x) => x.fail !== undefined)).toBe(false);
    expect(new Set(normal.flatMap((l) => { const x = s3(l); return x === undefined ? [] : [x.region]; }))).toEqual(new Set(REGIONS));
    expect(new Set(normal.flatMap((l) => /and queue (\w+)$/.exec(l)?.slice(1) ?? []))).toEqual(new Set(QUEUES));
    expect([...new Set(normal.flatMap((l) => / sudo\[\d+\]: +(\S+) : TTY=/.exec(l)?.slice(1) ?? []))].every((u) => SUDO_USERS.includes(u))).toBe(true);
    for (const seed of [10, 11, 12, 13, 14]) {
      for (const l of ofKind(generateBatch(seed, SHORT), 'unusual_value')) {
        const x = s3(l);
        const big = Number(/run_duration=([\d.]+)/.exec(l)?.[1] ?? /\) in (\d+) ms on /.exec(l)?.[1] ?? 0) / (l.includes(' ms on ') ? 1000 : 1);
        expect((x !== undefined && (x.status >= 500 || x.request_time >= 0.05)) || big >= 50 || (l.includes('sysstat-collect.service: Consumed') && !/ \d{1,2}ms CPU/.test(l)) || big >= 15).toBe(true);
      }
    }
  });

  it('six formats at very different rates with benign novelty, 45-70k lines in a full run', () => {
    const full = generateBatch(9);
    expect(full.events.length).toBeGreaterThan(45_000);
    expect(full.events.length).toBeLessThan(70_000);
    expect(full.labels.anomalous.length).toBeGreaterThan(150);
    expect(full.labels.anomalous.length).toBeLessThan(600);
    const count = new Map<string, number>();
    for (const e of full.events) count.set(e.stream, (count.get(e.stream) ?? 0) + 1);
    expect([...count.keys()].sort()).toEqual(['ci/runner-07', 'host/etl-worker-3', 'kafka/broker-2', 'sched/airflow', 'spark/ingest-driver', 'store/s3-gateway']);
    expect((count.get('store/s3-gateway') ?? 0) / (count.get('host/etl-worker-3') ?? 1)).toBeGreaterThan(15);
    expect(full.events.every((e) => e.stream_type === 'logs' && typeof e.data === 'string')).toBe(true);
    const bad = new Set(full.labels.anomalous);
    const text = (stream: string): string[] => full.events.filter((e, i) => !bad.has(i) && e.stream === stream).map((e) => String(e.data));
    expect(text('sched/airflow').every((l) => /^\[\d{4}-\d\d-\d\dT[\d:.]+\+0000\] \{[\w.]+:\d+\} INFO - /.test(l) || l.startsWith('\t<TaskInstance: '))).toBe(true);
    expect(text('kafka/broker-2').every((l) => /^\[\d{4}-\d\d-\d\d [\d:]+,\d{3}\] INFO .* \([\w.$]+\)$/.test(l))).toBe(true);
    expect(text('spark/ingest-driver').every((l) => /^\d\d\/\d\d\/\d\d [\d:]{8} (INFO|WARN) [\w$]+: /.test(l))).toBe(true);
    expect(text('host/etl-worker-3').every((l) => /^\S+\+00:00 etl-worker-3 [\w-]+(\[\d+\])?: /.test(l))).toBe(true);
    expect(text('ci/runner-07').every((l) => /^\w{3} \d\d [\d:]{8} ci-runner-07 gitlab-runner\[1187\]: /.test(l))).toBe(true);
    const store = text('store/s3-gateway');
    expect(store.every((l) => s3(l) !== undefined)).toBe(true);
    expect(new Set(store).size).toBe(store.length);
    const tids = text('spark/ingest-driver').flatMap((l) => / Finished task .*\(TID (\d+)\)/.exec(l)?.slice(1) ?? []);
    expect(new Set(tids).size).toBe(tids.length);
    expect(text('ci/runner-07').some((l) => l.includes('ERROR: Job failed: exit code 1'))).toBe(true);
    expect(text('sched/airflow').some((l) => l.includes('state=up_for_retry'))).toBe(true);
  });
});
