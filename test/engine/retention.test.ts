// Retention by plan: old daily partitions of event_blocks dropped, each tenant's blocks and
// anomalies older than its plan's retention deleted, partitions created ahead.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compress } from '../../src/core/blocks.js';
import { AHEAD_DAYS, listPartitions, Retention } from '../../engine/sinks/postgres/retention.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startHarness } from './harness.js';

const DAY = 86_400_000;
let db: TestDatabase;
const tenants: Record<'free' | 'pro' | 'business' | 'legacy', string> = { free: '', pro: '', business: '', legacy: '' };
const AGES = [2, 10, 40, 50, 100, 200] as const;
const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

beforeAll(async () => {
  db = await createTestDatabase();
  for (const plan of Object.keys(tenants) as (keyof typeof tenants)[]) {
    const t = await createTenant(db.pool, `Retention ${plan}`);
    // 'legacy' is a plan with no row in `plans`: it keeps the longest retention.
    await db.pool.query('UPDATE tenants SET plan = $2 WHERE id = $1', [t.id, plan]);
    tenants[plan] = t.id;
  }
  // Partitions for the days 100, 40 and 10 days ago; the days 50 and 200 days ago have none,
  // so their rows land in the default partition.
  const now = Date.now();
  // Rows sit half a day inside their age, so that "older than N days" is unambiguous.
  const at = (age: number): Date => new Date(now - age * DAY - DAY / 2);
  for (const age of [100, 40, 10]) {
    await db.pool.query('SELECT dw_event_block_partitions($1::date, $1::date)', [utcDay(at(age).getTime())]);
  }
  for (const [plan, tenantId] of Object.entries(tenants)) {
    for (const age of AGES) {
      const t = at(age);
      await db.pool.query(
        `INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, first_index, codec, payload, received_at)
         VALUES ($1, $2, 'logs', $3, $3, 1, 0, 'brotli', $4, $3)`,
        [tenantId, `${plan}-${age}`, t, compress('brotli', JSON.stringify([[t.getTime(), 'x', null]]))]);
      await db.pool.query(
        `INSERT INTO anomalies (id, tenant_id, stream, stream_type, score, detector, explanation, event, detected_at)
         VALUES ($1, $2, $3, 'logs', 1, 'ncd', 'e', '{}', $4)`, [randomUUID(), tenantId, `${plan}-${age}`, t]);
    }
  }
  // A block and an anomaly of a tenant that no longer exists.
  const gone = randomUUID();
  for (const age of [50, 200]) {
    const t = at(age);
    await db.pool.query(
      `INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, first_index, codec, payload, received_at)
       VALUES ($1, $2, 'logs', $3, $3, 1, 0, 'none', '\\x5b5d', $3)`, [gone, `gone-${age}`, t]);
    await db.pool.query(
      `INSERT INTO anomalies (id, tenant_id, stream, stream_type, score, detector, explanation, event, detected_at)
       VALUES ($1, $2, $3, 'logs', 1, 'ncd', 'e', '{}', $4)`, [randomUUID(), gone, `gone-${age}`, t]);
  }
});
afterAll(async () => { await db?.drop(); });

const streams = async (table: 'event_blocks' | 'anomalies'): Promise<string[]> =>
  (await db.pool.query<{ stream: string }>(`SELECT stream FROM ${table} ORDER BY stream`)).rows.map((r) => r.stream);

describe('Retention by plan', () => {
  it('the setup put rows where the test means them', async () => {
    const { rows } = await db.pool.query<{ stream: string; part: string }>(
      "SELECT stream, tableoid::regclass::text AS part FROM event_blocks WHERE stream LIKE 'free-%' ORDER BY stream");
    const where = Object.fromEntries(rows.map((r) => [r.stream, r.part]));
    expect(where['free-50']).toBe('event_blocks_default');
    expect(where['free-200']).toBe('event_blocks_default');
    expect(where['free-100']).toMatch(/^event_blocks_p\d{8}$/);
    expect(where['free-10']).toMatch(/^event_blocks_p\d{8}$/);
    expect((await streams('event_blocks')).length).toBe(4 * AGES.length + 2);
  });

  it('drops partitions past the longest retention, deletes each plan\'s older rows, keeps the rest', async () => {
    const before = await listPartitions(db.pool);
    const oldest = before.find((p) => p.name === `event_blocks_p${utcDay(Date.now() - 100.5 * DAY).replaceAll('-', '')}`);
    expect(oldest).toBeDefined();
    // chunk 1: every delete takes several rounds.
    const r = await new Retention(db.pool, silentLogger, { chunk: 1 }).run();
    expect(r.partitionsDropped).toEqual([oldest!.name]);

    // free 7 days, pro 30, business 90, legacy (no plan row) 90; the 100-day partition is gone for all.
    const expected = [
      'business-10', 'business-2', 'business-40', 'business-50',
      'free-2',
      'legacy-10', 'legacy-2', 'legacy-40', 'legacy-50',
      'pro-10', 'pro-2',
    ];
    expect(await streams('event_blocks')).toEqual([...expected, 'gone-50'].sort());
    expect(await streams('anomalies')).toEqual([...expected, 'gone-50'].sort());
    // 4 tenants × 100 days (dropped with the partition) are not counted as deleted rows.
    expect(r.blocksDeleted).toBe(
      /* free 10, 40, 50, 200 */ 4 + /* pro 40, 50, 200 */ 3 + /* business 200, legacy 200, gone 200 */ 3);
    // Anomalies are rows: every one past its plan's retention is deleted (no partition to drop).
    expect(r.anomaliesDeleted).toBe(4 * AGES.length + 2 - (expected.length + 1));

    // Partitions ahead: today .. today + AHEAD_DAYS.
    const names = new Set((await listPartitions(db.pool)).map((p) => p.name));
    for (let d = 0; d <= AHEAD_DAYS; d++) expect(names.has(`event_blocks_p${utcDay(Date.now() + d * DAY).replaceAll('-', '')}`)).toBe(true);
    expect(names.has(oldest!.name)).toBe(false);
  });

  it('a second run finds nothing more to do; moving a tenant to a shorter plan expires its rows on the next run', async () => {
    const retention = new Retention(db.pool, silentLogger);
    expect(await retention.run()).toEqual({ skipped: false, partitionsCreated: 0, partitionsDropped: [], blocksDeleted: 0, anomaliesDeleted: 0 });
    await db.pool.query("UPDATE tenants SET plan = 'pro' WHERE id = $1", [tenants.business]);
    const r = await retention.run();
    expect(r.blocksDeleted).toBe(2);
    expect(r.anomaliesDeleted).toBe(2);
    expect((await streams('event_blocks')).filter((s) => s.startsWith('business-'))).toEqual(['business-10', 'business-2']);
  });

  it('one run at a time across engines: a run while another holds the lock skips and says so', async () => {
    const holder = await db.pool.connect();
    try {
      await holder.query("SELECT pg_advisory_lock(hashtext('driftwatch.retention'))");
      const retention = new Retention(db.pool, silentLogger);
      expect(await retention.run()).toMatchObject({ skipped: true, blocksDeleted: 0 });
      expect(retention.stats).toMatchObject({ runs: 0, runsSkipped: 1, runsFailed: 0 });
      await holder.query("SELECT pg_advisory_unlock(hashtext('driftwatch.retention'))");
      expect(await retention.run()).toMatchObject({ skipped: false });
      expect(retention.stats).toMatchObject({ runs: 1, runsSkipped: 1 });
    } finally {
      holder.release();
    }
  });

  it('the engine runs it at start, in the background, and counts the run', async () => {
    const h = await startHarness();
    try {
      await waitFor(async () => (h.engine.stats().retention.runs + h.engine.stats().retention.runsFailed >= 1 ? true : undefined), 20_000, 'a first retention run');
      expect(h.engine.stats().retention).toMatchObject({ runs: 1, runsFailed: 0 });
      // Its partitions ahead are there (migrate made them too; the run found nothing missing).
      const names = new Set((await listPartitions(h.db.pool)).map((p) => p.name));
      expect(names.has(`event_blocks_p${utcDay(Date.now() + AHEAD_DAYS * DAY).replaceAll('-', '')}`)).toBe(true);
    } finally {
      await h.close();
    }
  });
});
