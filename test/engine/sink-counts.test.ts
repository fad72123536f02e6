// The events sink counts after COMMIT (countsAfterCommit, engine/sinks/postgres/fold.ts): the
// group commit inserts counter_deltas rows and never waits on a counter row; the fold moves them
// into usage_counters / stream_minutes / stream_totals exactly once, also when a fold fails or a
// crash leaves them between COMMIT and the fold.
import { beforeAll, describe, expect, it } from 'vitest';
import { blockParts } from '../../engine/sinks/postgres/blocks.js';
import type { CopySink, SinkWrite } from '../../engine/sinks/postgres/service.js';
import type { TestDatabase } from '../helpers/db.js';
import { blockSink, logRecords, sinkDatabase } from '../helpers/sink.js';

describe('CopySink: counts folded after COMMIT', () => {
  const sd = sinkDatabase('Counts One', 'Counts Two', 'Counts Three');
  let db: TestDatabase;
  let t1: string;
  let t2: string;
  let t3: string;
  beforeAll(() => { ({ db, tenants: [t1, t2, t3] } = sd); });

  const newSink = (): CopySink => blockSink(db.pool, { flushIntervalMs: 5, maxConcurrentFlushes: 3, maxFlushesPerTenant: 2 });
  const write = (tenantId: string, key: string, n: number, stream = 'app'): SinkWrite => {
    const b = blockParts(logRecords(stream, n), true);
    return { tenantId, lines: '', parts: b.parts, rows: n, bytes: n * 10, batchKey: key, fingerprint: b.fingerprint, rollup: b.rollup };
  };
  const one = async (sql: string, p: unknown[]): Promise<number> => (await db.pool.query<{ n: number }>(sql, p)).rows[0].n;
  const counts = async (t: string): Promise<number[]> => [
    await one('SELECT coalesce(sum(events), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [t]),
    await one('SELECT coalesce(sum(bytes), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [t]),
    await one('SELECT coalesce(sum(events), 0)::int AS n FROM stream_minutes WHERE tenant_id = $1', [t]),
    await one('SELECT coalesce(sum(events_total), 0)::int AS n FROM stream_totals WHERE tenant_id = $1', [t]),
  ];
  const stored = (t: string): Promise<number> => one('SELECT coalesce(sum(count), 0)::int AS n FROM event_blocks WHERE tenant_id = $1', [t]);
  const deltas = (): Promise<number> => one('SELECT count(*)::int AS n FROM counter_deltas', []);

  it("stores a tenant's group commit while another transaction holds its counter rows; counts it once when they are released", async () => {
    const sink = newSink();
    const holder = await db.pool.connect();
    try {
      // What another flush of the tenant did before its COMMIT: its usage row locked.
      await holder.query('BEGIN');
      await holder.query(`INSERT INTO usage_counters (tenant_id, bucket, events, bytes) VALUES ($1, date_trunc('hour', now()), 0, 0)
        ON CONFLICT (tenant_id, bucket) DO UPDATE SET events = usage_counters.events`, [t1]);
      let resolved = false;
      const p = sink.write(write(t1, 'held:0', 40)).then((r) => { resolved = true; return r; });
      // Counted in the transaction (before), the COPY's rows would stay uncommitted until the holder ends.
      let n = 0;
      for (let i = 0; i < 200 && n === 0; i++) { n = await stored(t1); if (n === 0) await new Promise((r) => setTimeout(r, 25)); }
      expect(n).toBe(40);
      // The write resolves only once counted: the fold waits for the row.
      expect(resolved).toBe(false);
      await holder.query('COMMIT');
      expect(await p).toEqual({ duplicate: false, rows: 40 });
      expect(await counts(t1)).toEqual([40, 400, 40, 40]);
      expect(await deltas()).toBe(0);
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      holder.release();
      await sink.close();
    }
  });

  it('many concurrent flushes of two tenants: every stored event counted once, no delta left', async () => {
    const sink = newSink();
    const ws = Array.from({ length: 60 }, (_, i) => write(i % 3 === 0 ? t3 : t2, `many:${i}`, 25, `s${i % 4}`));
    const res = await Promise.all(ws.map((w) => sink.write(w)));
    expect(res.every((r) => !r.duplicate && r.rows === 25)).toBe(true);
    // Resent: duplicates, counted nothing.
    await Promise.all(ws.slice(0, 10).map((w) => sink.write(w)));
    expect(await stored(t2)).toBe(40 * 25);
    expect(await stored(t3)).toBe(20 * 25);
    expect(await counts(t2)).toEqual([1000, 10_000, 1000, 1000]);
    expect(await counts(t3)).toEqual([500, 5000, 500, 500]);
    expect(await deltas()).toBe(0);
    await sink.close();
  });

  it('a fold that fails: the writes still resolve, the deltas stay; the next sweep folds them once', async () => {
    const sink = newSink();
    const before = await counts(t1);
    await db.pool.query(`
      CREATE FUNCTION fail_fold() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no fold' USING ERRCODE = 'P0001'; END $$;
      CREATE TRIGGER fail_fold BEFORE INSERT OR UPDATE ON stream_totals FOR EACH ROW EXECUTE FUNCTION fail_fold();`);
    try {
      expect(await sink.write(write(t1, 'fail-fold:0', 7))).toEqual({ duplicate: false, rows: 7 });
      expect(await deltas()).toBe(1);
      expect(await counts(t1)).toEqual(before);
    } finally {
      await db.pool.query('DROP TRIGGER fail_fold ON stream_totals; DROP FUNCTION fail_fold();');
    }
    // The next flush sweeps (its own delta and the one left).
    await sink.write(write(t1, 'fail-fold:1', 3));
    expect(await deltas()).toBe(0);
    expect(await counts(t1)).toEqual([before[0] + 10, before[1] + 100, before[2] + 10, before[3] + 10]);
    await sink.close();
  });

  it("deltas a crash left between COMMIT and the fold: two new sinks' first folds count them once", async () => {
    const before = await counts(t2);
    // As a group commit's statement leaves them (one row per tenant and marker).
    for (let i = 0; i < 3; i++) {
      await db.pool.query(`INSERT INTO counter_deltas (tenant_id, id, bucket, events, bytes, streams, minutes, stream_types, counts, value_counts, value_sums, value_mins, value_maxs, last_ts)
        VALUES ($1, gen_random_uuid(), date_trunc('hour', now()), 5, 50, ARRAY['left'], ARRAY[0::float8], ARRAY['logs'], ARRAY[5::bigint], ARRAY[0::bigint], ARRAY[0::float8], ARRAY[NULL::float8], ARRAY[NULL::float8], ARRAY[4::float8])`, [t2]);
    }
    const a = newSink();
    const b = newSink();
    await Promise.all([a.write(write(t2, 'crash:a', 2)), b.write(write(t2, 'crash:b', 2))]);
    expect(await deltas()).toBe(0);
    expect(await counts(t2)).toEqual([before[0] + 19, before[1] + 190, before[2] + 19, before[3] + 19]);
    expect(await one("SELECT events::int AS n FROM stream_minutes WHERE tenant_id = $1 AND stream = 'left'", [t2])).toBe(15);
    await Promise.all([a.close(), b.close()]);
  });
});
