// The quota's cost on the ingest path (engine/transforms/quota.ts): admit + settle of a batch
// for 100 tenants whose readings are fresh (no I/O), with a plan limit and unlimited.
// Prints one comparable line per case: `name: N ops/s ±x%` (median of 5 runs, spread = max−min / 2).
// Run: npm run build && node dist/bench/quota.bench.js
import { TenantQuota } from '../engine/transforms/quota.js';

const TENANTS = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
const N = 500_000;

async function once(limit: number | null): Promise<number> {
  const q = new TenantQuota(async () => ({ plan: 'p', planName: 'P', limit, used: 0 }), { refreshMs: 60_000 });
  for (const t of TENANTS) q.settle(await q.admit(t, 100), 100);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) q.settle(await q.admit(TENANTS[i % 100], 100), 100);
  return N / (Number(process.hrtime.bigint() - t0) / 1e9);
}

for (const [name, limit] of [['quota_admit_settle_limited', Number.MAX_SAFE_INTEGER], ['quota_admit_settle_unlimited', null]] as const) {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) runs.push(await once(limit));
  runs.sort((a, b) => a - b);
  console.log(`${name}: ${Math.round(runs[2])} ops/s ±${(((runs[4] - runs[0]) / 2 / runs[2]) * 100).toFixed(1)}%`);
}
