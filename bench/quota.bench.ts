// The quota's cost on the ingest path (engine/transforms/quota.ts): admit + settle of a batch
// for 100 tenants whose readings are fresh (no I/O), with a plan limit and unlimited; and with
// current() before it, as the engine does for the tenant's own ingest limits (src/core/tenancy/limits.ts).
// Prints one comparable line per case: `name: N ops/s ±x%` (median of 5 runs, spread = max−min / 2).
// Run: npm run build && node dist/bench/quota.bench.js
import { TenantQuota } from '../engine/transforms/quota.js';

const TENANTS = Array.from({ length: 100 }, (_, i) => `tenant-${i}`);
const N = 500_000;

async function once(limit: number | null, withCurrent = false): Promise<number> {
  const q = new TenantQuota(async () => ({ plan: 'p', planName: 'P', limit, used: 0 }), { refreshMs: 60_000 });
  for (const t of TENANTS) q.settle(await q.admit(t, 100), 100);
  const t0 = process.hrtime.bigint();
  if (withCurrent) {
    for (let i = 0; i < N; i++) {
      const t = TENANTS[i % 100];
      await q.current(t);
      q.settle(await q.admit(t, 100), 100);
    }
  } else {
    for (let i = 0; i < N; i++) q.settle(await q.admit(TENANTS[i % 100], 100), 100);
  }
  return N / (Number(process.hrtime.bigint() - t0) / 1e9);
}

const cases = [
  ['quota_admit_settle_limited', Number.MAX_SAFE_INTEGER, false],
  ['quota_admit_settle_unlimited', null, false],
  ['quota_current_admit_settle_unlimited', null, true],
] as const;
for (const [name, limit, withCurrent] of cases) {
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) runs.push(await once(limit, withCurrent));
  runs.sort((a, b) => a - b);
  console.log(`${name}: ${Math.round(runs[2])} ops/s ±${(((runs[4] - runs[0]) / 2 / runs[2]) * 100).toFixed(1)}%`);
}
