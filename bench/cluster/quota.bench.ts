// bench/cluster/quota: the cost of the quota count shared by ingest nodes (engine/cluster/quota.ts),
// one reservation per admitted batch of a limited tenant, against the same upsert committed
// synchronously and a bare round trip (the ceiling), in one run, on a scratch database:
//
//   sequential: N calls one after the other ─► µs per call
//   concurrent: 4 callers on one tenant (its row lock serialises them) ─► calls per second
//   then the counts are checked (every call counted once).
// Run: npm run build && DATABASE_URL=postgres://postgres@127.0.0.1:5432/test node dist/bench/cluster/quota.bench.js [--calls 2000]
import { createPool, migrate } from '../../src/core/db.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { PgQuota } from '../../engine/cluster/quota.js';
import { scratchDatabase } from '../scratch-db.js';

const i = process.argv.indexOf('--calls');
const N = i > 0 ? Number(process.argv[i + 1]) : 2_000;
const url = process.env.DATABASE_URL;
if (url === undefined) throw new Error('DATABASE_URL is required');
const db = await scratchDatabase(url, 'quota');
const pool = createPool(db.url, 8);
try {
  await migrate(pool);
  const t = (await createTenant(pool, 'quota bench', 'free')).id;
  const q = new PgQuota(pool);
  const syncUpsert = (month: number): Promise<unknown> => pool.query(
    'INSERT INTO quota_admitted AS q (tenant_id, month, events) VALUES ($1, $2, 1) ON CONFLICT (tenant_id, month) DO UPDATE SET events = q.events + 1', [t, month]);
  const sequential = async (name: string, f: () => Promise<unknown>): Promise<void> => {
    for (let k = 0; k < N / 10; k++) await f();
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < N; k++) await f();
    console.log(`${name}_sequential: ${(Number(process.hrtime.bigint() - t0) / 1e3 / N).toFixed(0)} µs/call`);
  };
  const concurrent = async (name: string, f: () => Promise<unknown>): Promise<void> => {
    const t0 = Date.now();
    await Promise.all([0, 1, 2, 3].map(async () => { for (let k = 0; k < N / 4; k++) await f(); }));
    console.log(`${name}_4_callers_one_tenant: ${(N / ((Date.now() - t0) / 1000)).toFixed(0)} ops/s`);
  };
  await sequential('select_1_round_trip', () => pool.query('SELECT 1'));
  await sequential('upsert_synchronous_commit', () => syncUpsert(1));
  await sequential('pg_quota_reserve', () => q.reserve(t, 2, 1, 1e12, 0));
  await concurrent('upsert_synchronous_commit', () => syncUpsert(3));
  await concurrent('pg_quota_reserve', () => q.reserve(t, 4, 1, 1e12, 0));
  const counts = new Map((await pool.query<{ month: string; events: string }>('SELECT month, events FROM quota_admitted WHERE tenant_id = $1', [t])).rows.map((r) => [Number(r.month), Number(r.events)]));
  const want = new Map([[1, N + N / 10], [2, N + N / 10], [3, N], [4, N]]);
  for (const [m, n] of want) if (counts.get(m) !== n) throw new Error(`month ${m}: counted ${counts.get(m)}, expected ${n}`);
} finally {
  await pool.end();
  await db.drop();
}
