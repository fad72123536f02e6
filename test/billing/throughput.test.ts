// How fast the usage reporter sends hours, against the local fake Stripe and real PostgreSQL
// (the fake answers in well under a millisecond; Stripe's own latency is not in these figures).
// Off by default; run with:
//   DW_BENCH_BILLING=1 npx vitest run test/billing/throughput.test.ts
// It prints one line per concurrency: `billing_report_fake_stripe_cN: <tenant-hours>/s`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageReporter } from '../../src/control/billing/reporter.js';
import { createStripeClient } from '../../src/control/billing/stripe.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { startFakeStripe, type FakeStripe } from '../helpers/fake-stripe.js';

const SECRET = 'sk_test_driftwatch_bench';
const HOURS = 2000;
const run = process.env.DW_BENCH_BILLING === '1';

describe.skipIf(!run)('usage reporter throughput', () => {
  let fake: FakeStripe;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => { fake = await startFakeStripe({ secretKey: SECRET, meterEventName: 'bench', prices: [] }); });
  afterAll(async () => { for (const d of dbs) await d.drop(); await fake?.close(); });

  for (const concurrency of [1, 8]) {
    it(`sends ${HOURS} tenant-hours, ${concurrency} in flight`, async () => {
      const db = await createTestDatabase();
      dbs.push(db);
      const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
      for (let t = 0; t < 10; t++) {
        const tenant = await createTenant(db.pool, `Bench ${t}`);
        await db.pool.query('INSERT INTO billing_customers (tenant_id, stripe_customer_id, created_at) VALUES ($1, $2, now() - interval \'40 days\')', [tenant.id, fake.putCustomer(tenant.id)]);
        await db.pool.query(
          `INSERT INTO usage_counters (tenant_id, bucket, events) SELECT $1, to_timestamp($2::float8 / 1000) - make_interval(hours => g), 100 + g
             FROM generate_series(0, $3::int - 1) g`, [tenant.id, base, HOURS / 10]);
      }
      const stripe = createStripeClient({ stripeSecretKey: SECRET, stripeApiBase: fake.url }, { maxNetworkRetries: 0 })!;
      const r = new UsageReporter(db.pool, stripe, { eventName: 'bench', log: silentLogger, concurrency });
      const t0 = performance.now();
      const out = await r.runOnce();
      const s = (performance.now() - t0) / 1000;
      expect(out.sent).toBe(HOURS);
      process.stdout.write(`billing_report_fake_stripe_c${concurrency}: ${Math.round(HOURS / s)} tenant-hours/s (${HOURS} in ${s.toFixed(2)} s)\n`);
    });
  }
});
