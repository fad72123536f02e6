// Upgrading a database of the row-per-event design: migrate() turns the rows of `events` into
// one-event blocks (codec 'none'), in id order, drops the table, and the API lists them as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/core/db.js';
import { listEvents } from '../../src/core/event-blocks.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { storedEvents } from '../helpers/events.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db?.drop(); });

describe('schema: the old events table becomes blocks', () => {
  it('converts every row once, keeps data, metadata, times and order, and drops the table', async () => {
    const t = (await createTenant(db.pool, 'Old rows')).id;
    // The table as earlier versions of schema.sql created it.
    await db.pool.query(`
      CREATE TABLE events (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, tenant_id uuid NOT NULL, stream text NOT NULL,
        stream_type text NOT NULL, ts timestamptz NOT NULL, received_at timestamptz NOT NULL DEFAULT now(),
        data jsonb, metadata jsonb)`);
    await db.pool.query(
      `INSERT INTO events (tenant_id, stream, stream_type, ts, data, metadata, received_at) VALUES
         ($1, 'web', 'logs', '2026-01-01T00:00:00.123Z', '"GET / 200 ✓"', '{"source": "nginx"}', now() - interval '1 day'),
         ($1, 'web', 'logs', '2026-01-01T00:00:01.456Z', '{"msg": "x\\ty", "n": [1, 2.5]}', NULL, now()),
         ($1, 'cpu', 'metrics', '2026-01-01T00:00:01.456Z', '3.5', '{"source": "cpu"}', now() - interval '200 days')`, [t]);
    await migrate(db.pool);
    expect((await db.pool.query("SELECT to_regclass('public.events') AS r")).rows[0].r).toBeNull();
    const stored = await storedEvents(db.pool, { tenantId: t });
    expect(stored.map((e) => [e.stream, e.stream_type, e.ts.toISOString(), e.data, e.metadata])).toEqual([
      ['web', 'logs', '2026-01-01T00:00:00.123Z', 'GET / 200 ✓', { source: 'nginx' }],
      ['web', 'logs', '2026-01-01T00:00:01.456Z', { msg: 'x\ty', n: [1, 2.5] }, null],
      ['cpu', 'metrics', '2026-01-01T00:00:01.456Z', 3.5, { source: 'cpu' }],
    ]);
    const page = await listEvents(db.pool, t, { limit: 10, offset: 0 });
    expect(page.events.map((e) => e.data)).toEqual([3.5, { msg: 'x\ty', n: [1, 2.5] }, 'GET / 200 ✓']);
    // Applied again: nothing more happens.
    await migrate(db.pool);
    expect(await storedEvents(db.pool, { tenantId: t })).toEqual(stored);
  });
});
