// A stream's writes are stored (block ids) and scored in the order they were submitted, even when
// the first one's flush is slower than a later one's (the events sink runs two flushes of a tenant
// at once; block ids come from a sequence at COPY, so the later flush waits for the first's COPY:
// engine/sinks/postgres/copy-order.ts). CI at load 24 saw the spool's hand-off (held frames, then
// the next ones written directly) stored two later frames before three earlier ones.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { ingest, startHarness, type Harness } from './harness.js';

describe('engine: per-stream storage and scoring order across concurrent flushes', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('a slower first flush is still stored (block order) and scored before a later one', async () => {
    const ev = (msg: string, i: number): Record<string, unknown> =>
      ({ timestamp: 1_700_000_000_000 + i, stream_type: 'logs', stream: 'ordered', data: msg });
    // Another transaction holds the first batch's key: its flush waits on the row lock (before its COPY).
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
      // The second batch goes in the sink's other flush: it waits for the first's COPY (it committed
      // first, under lower block ids, before copy-order.ts). Either way, then the lock goes.
      let secondDone = false;
      const second = ingest(h, [ev('BOOM second', 3)]).finally(() => { secondDone = true; });
      await waitFor(async () => (secondDone || (h.engine.stats().events.copyTurnWaits ?? 0) > 0 ? true : undefined), 10_000, 'the second flush');
      await blocker.query('ROLLBACK');
      expect(await first).toEqual({ status: 200, body: { accepted: 3 } });
      expect(await second).toEqual({ status: 200, body: { accepted: 1 } });
    } finally {
      await blocker.end();
    }
    const stored = await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream: 'ordered' });
    expect(stored.map((e) => e.data)).toEqual(['BOOM first', 'fine', 'fine', 'BOOM second']);
    const rows = await waitFor(async () => {
      const r = await h.db.pool.query(`SELECT event->>'data' AS data, (details->>'seen')::int AS seen FROM anomalies WHERE stream = 'ordered' ORDER BY seen`);
      return r.rows.length === 2 ? r.rows : undefined;
    }, 10_000, 'two anomaly rows');
    // `seen` is the event's position in the stream as the worker's state counted it.
    expect(rows).toEqual([{ data: 'BOOM first', seen: 0 }, { data: 'BOOM second', seen: 3 }]);
  });
});
