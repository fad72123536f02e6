// Applying the schema to a live database: its statements run as one transaction, which takes
// ALTER TABLE's exclusive locks table by table, so a reader holding one of those tables while it
// reads another (the engine's quota refresh joins tenants and plans) can deadlock with it.
// PostgreSQL then aborts one side; migrate() retries the whole transaction (every statement is
// idempotent) instead of failing the start or the upgrade.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.drop(); });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('migrate() on a live database', () => {
  it('retries when PostgreSQL picks its transaction as a deadlock victim, and then applies the schema', async () => {
    const reader = new pg.Client({ connectionString: db.url });
    await reader.connect();
    try {
      // The reader waits long before checking for deadlocks, so migrate's session (1 s, the
      // default) is the one that finds the cycle and is aborted.
      await reader.query('BEGIN');
      await reader.query("SET LOCAL deadlock_timeout = '30s'");
      await reader.query('SELECT 1 FROM anomalies LIMIT 1'); // holds anomalies, which schema.sql alters late
      const applied = migrate(db.pool).then(() => 'applied', (err: Error) => err.message);
      // Wait until migrate holds plans (altered early) and waits for anomalies.
      for (let i = 0; ; i++) {
        const w = await db.pool.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (w.rows[0].n > 0) break;
        if (i > 200) throw new Error('migrate never waited for the reader\'s lock');
        await sleep(25);
      }
      await reader.query('SELECT 1 FROM plans LIMIT 1'); // the cycle: blocks until migrate is aborted
      await reader.query('COMMIT');
      expect(await applied).toBe('applied');
      // Applied once more on the idle database: nothing left to do, no error.
      await migrate(db.pool);
      expect((await db.pool.query("SELECT count(*)::int AS n FROM plans WHERE limits_seeded")).rows[0].n).toBe(3);
    } finally {
      await reader.end();
    }
  });
});
