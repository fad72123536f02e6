// bench/series: GET /api/v1/streams/:stream/series' work for a 7-day range (issue 14: under
// 100 ms with 100 streams and 10,000 anomalies): StreamsService.series() (the rollup query, the
// anomaly markers, the stream's type, shaping) on the browser test's data, against the same
// rollup query with the old binning (floor(extract(epoch) / bucket): numeric arithmetic) and a
// `SELECT 1` round trip, both measured in the same run as the machine's ceiling.
//
// One line: `series_7d: median X ms (min, max) over N calls; old binning query Y ms (ratio X/Y);
// SELECT 1 Z ms; load average L on C cores`. Needs DATABASE_URL (creates dw_bench_<random>, drops it). Run:
//   npx tsc -p tsconfig.json && node dist/bench/series.bench.js
import { availableParallelism, loadavg } from 'node:os';
import pg from 'pg';
import { scratchDatabase } from './scratch-db.js';
import { createPool, migrate } from '../src/core/db.js';
import { StreamsService } from '../src/control/streams/views.js';

const CALLS = 21;
const TENANT = '00000000-0000-4000-8000-0000000000f1';

const stats = (xs: number[]): { median: number; min: number; max: number } => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[s.length >> 1], min: s[0], max: s[s.length - 1] };
};

async function time(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  return out;
}

async function seed(pool: pg.Pool, minute0: number): Promise<void> {
  await pool.query(`INSERT INTO tenants (id, name, slug) VALUES ($1, 'bench', 'bench-series')`, [TENANT]);
  await pool.query(
    `INSERT INTO stream_totals (tenant_id, stream, stream_type, events_total, first_seen, last_seen)
     SELECT $1, 's-' || lpad(i::text, 3, '0'), 'logs', 100000 + i, to_timestamp($2 / 1000.0), now() FROM generate_series(0, 99) i`, [TENANT, minute0]);
  await pool.query(
    `INSERT INTO stream_minutes (tenant_id, stream, minute, stream_type, events)
     SELECT $1, 's-000', to_timestamp($2 / 1000.0) + make_interval(mins => m), 'logs', 50 + (m % 17) FROM generate_series(0, 7 * 1440 - 1) m`, [TENANT, minute0]);
  await pool.query(
    `INSERT INTO stream_minutes (tenant_id, stream, minute, stream_type, events)
     SELECT $1, 's-' || lpad(i::text, 3, '0'), date_trunc('minute', now()) - make_interval(mins => m), 'logs', 10 FROM generate_series(1, 99) i, generate_series(0, 59) m`, [TENANT]);
  await pool.query(
    `INSERT INTO anomalies (id, tenant_id, stream, stream_type, score, detector, explanation, event, details, event_ts, detected_at)
     SELECT gen_random_uuid(), $1, 's-' || lpad((k % 100)::text, 3, '0'), 'logs', 0.5 + (k % 50) / 100.0, 'ncd', 'line ' || k || ' compresses badly',
            jsonb_build_object('data', 'line ' || k), '{}'::jsonb, to_timestamp($2 / 1000.0) + make_interval(secs => k * 60.48), now()
       FROM generate_series(0, 9999) k`, [TENANT, minute0]);
  await pool.query('ANALYZE');
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined || adminUrl === '') throw new Error('bench/series needs DATABASE_URL');
  const db = await scratchDatabase(adminUrl, 'series');
  const pool = createPool(db.url, 4);
  try {
    await migrate(pool);
    const now = Date.now();
    const minute0 = Math.floor(now / 60_000) * 60_000 - 7 * 1440 * 60_000;
    await seed(pool, minute0);
    const svc = new StreamsService(pool);
    let points = 0;
    const run = async (): Promise<void> => {
      const s = await svc.series(TENANT, 's-000', minute0, now);
      points = s.points.length;
      JSON.stringify(s);
    };
    const oldQuery = (): Promise<unknown> => pool.query(
      `SELECT (floor(extract(epoch FROM minute) / $5) * $5)::float8 AS b, sum(events) AS events, sum(value_count) AS values,
              sum(value_sum) AS sum, min(value_min) AS min, max(value_max) AS max
         FROM stream_minutes WHERE tenant_id = $1 AND stream = $2 AND minute >= $3 AND minute < $4 GROUP BY 1 ORDER BY 1`,
      [TENANT, 's-000', new Date(minute0), new Date(now), 600]);
    await time(3, run);
    await time(3, oldQuery);
    // Interleaved, so that a change in the machine's load falls on both.
    const a: number[] = [];
    const b: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      a.push(...await time(1, run));
      b.push(...await time(1, oldQuery));
      c.push(...await time(1, () => pool.query('SELECT 1')));
    }
    const s = stats(a);
    const o = stats(b);
    console.log(`series_7d: median ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)}) over ${CALLS} calls, ${points} points; ` +
      `old binning query ${o.median.toFixed(1)} ms (ratio ${(s.median / o.median).toFixed(2)}); SELECT 1 ${stats(c).median.toFixed(2)} ms; ` +
      `load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
  } finally {
    await pool.end();
    await db.drop();
  }
}

await main();
