// The scorer receives a stream's events in the order their writes were submitted, even when a
// later write commits first (the events sink runs two flushes at once).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { ingest, startHarness, type Harness } from './harness.js';

describe('engine: per-stream scoring order across concurrent flushes', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('a slower first flush is still scored before a later one that committed first', async () => {
    const ev = (msg: string, i: number): Record<string, unknown> =>
      ({ timestamp: 1_700_000_000_000 + i, stream_type: 'logs', stream: 'ordered', data: msg });
    // Another transaction holds the first batch's key: its flush waits on the row lock.
    const blocker = new pg.Client({ connectionString: h.db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO ingest_batches (tenant_id, batch_key, event_count) VALUES ($1, 'http:first', 1)`, [h.tenantA.id]);
      const first = ingest(h, [ev('BOOM first', 0), ev('fine', 1), ev('fine', 2)], { headers: { 'idempotency-key': 'first' } });
      await waitFor(async () => {
        const r = await h.db.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO ingest_batches%'`);
        return r.rowCount ? true : undefined;
      }, 10_000, 'the first flush waiting on the key lock');
      // The second batch goes in the other flush and commits while the first waits.
      expect(await ingest(h, [ev('BOOM second', 3)])).toEqual({ status: 200, body: { accepted: 1 } });
      await new Promise((r) => setTimeout(r, 200));
      await blocker.query('ROLLBACK');
      expect(await first).toEqual({ status: 200, body: { accepted: 3 } });
    } finally {
      await blocker.end();
    }
    const rows = await waitFor(async () => {
      const r = await h.db.pool.query(`SELECT event->>'data' AS data, (details->>'seen')::int AS seen FROM anomalies WHERE stream = 'ordered' ORDER BY seen`);
      return r.rows.length === 2 ? r.rows : undefined;
    }, 10_000, 'two anomaly rows');
    // `seen` is the event's position in the stream as the worker's state counted it.
    expect(rows).toEqual([{ data: 'BOOM first', seen: 0 }, { data: 'BOOM second', seen: 3 }]);
  });
});
