// PostgreSQL slow (not down): a transaction holds the event_blocks table locked, so the sink's
// flushes wait and its buffer fills; the writes it refuses (DW_ERR_UNAVAILABLE, buffer full)
// are spooled and acknowledged at once, every later write is spooled too, and when the lock goes
// everything is stored exactly once: the spooled batches in their order, after the direct ones. The spool wraps the
// real CopySink at its write() entry point (as the engine does).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockLines } from '../../engine/sinks/postgres/blocks.js';
import type { SinkWrite } from '../../engine/sinks/postgres/service.js';
import { spoolOptions } from '../../engine/sinks/spool/config.js';
import { decodeEntry, parseRecords } from '../../engine/sinks/spool/spool.js';
import { SpooledSink, type SpoolWriteResult } from '../../engine/sinks/spool/service.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { silentLogger } from '../../src/core/log.js';
import type { TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { storedMarkers } from '../helpers/own-postgres.js';
import { blockSink, sinkDatabase } from '../helpers/sink.js';

const sd = sinkDatabase('Slow');
let db: TestDatabase;
let tenantId: string;
let dir: string;
beforeAll(async () => {
  ({ db, tenants: [tenantId] } = sd);
  dir = await mkdtemp(join(tmpdir(), 'dw-spool-slow-'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

const PER = 5;
const markers = (b: number): string[] => Array.from({ length: PER }, (_, i) => `slow:${b}:${i}`);
const write = (b: number): SinkWrite => ({
  tenantId,
  lines: blockLines(tenantId, validateEvents(markers(b).map((m, i) => ({ timestamp: i, stream_type: 'logs', stream: 'slow', data: m })), { maxBatchEvents: 100, maxEventBytes: 1e5 }), undefined).lines,
  rows: PER, bytes: 0,
  // Half the batches carry a client key, half get one from the spool.
  ...(b % 2 === 0 ? { batchKey: `slow-${b}` } : {}),
});

describe('spool in front of CopySink when PostgreSQL is slow', () => {
  it('acknowledges from the spool while the sink is full, then stores every batch once, spooled ones in order', async () => {
    const sink = blockSink(db.pool, { countBytes: false, flushIntervalMs: 5, flushMaxRows: 10, maxPendingRows: 20 });
    const replayedOrder: number[] = [];
    const spool = await SpooledSink.open<SinkWrite, number>(sink, silentLogger, spoolOptions({ dir, maxBytes: 8 << 20, replayMaxRows: 10 }), {
      rowsOf: () => PER,
      onReplayed: (_w, b, r) => { if (!r.duplicate) replayedOrder.push(b); },
    });
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE event_blocks IN ACCESS EXCLUSIVE MODE');
      const results: (SpoolWriteResult | undefined)[] = [];
      const all = Array.from({ length: 30 }, (_, b) => spool.write(write(b), b).then((r) => { results[b] = r; return r; }));
      // While the table is locked: the batches the sink could not take are acknowledged from the spool.
      await waitFor(async () => (results.filter((r) => r?.spooled).length >= 20 ? true : undefined), 10_000, 'spooled acks while PostgreSQL is slow');
      expect(results.filter((r) => r !== undefined && !r.spooled)).toEqual([]);
      expect(spool.stats.spooling).toBe(true);
      // A write made now goes to the spool too (behind the spooled ones), not to the sink.
      const late = await spool.write(write(30), 30);
      expect(late.spooled).toBe(true);
      // A batch PostgreSQL will refuse (not a timestamp in first_ts; blocks.ts never writes such a
      // line, this is the sink's last line of defence): acknowledged from the spool, so
      // on replay it must be kept aside and reported, not dropped, and not block the others.
      const bad: SinkWrite = { tenantId, lines: `${tenantId}\tslow\tlogs\tnot a time\t1970-01-01T00:00:00Z\t1\t\\N\t0\tnone\t\\\\x5b5d\n`, rows: 1, bytes: 0, batchKey: 'bad' };
      expect((await spool.write(bad, 31)).spooled).toBe(true);
      const after = await spool.write(write(32), 32);
      expect(after.spooled).toBe(true);
      await blocker.query('ROLLBACK');
      await Promise.all(all);
      await waitFor(async () => (spool.stats.spooling ? undefined : true), 20_000, 'the spool to drain');
      const direct = results.map((r, b) => (r?.spooled ? -1 : b)).filter((b) => b >= 0);
      const spooled = results.map((r, b) => (r?.spooled ? b : -1)).filter((b) => b >= 0).concat(30, 32);
      expect(direct.length + spooled.length).toBe(32);
      expect(replayedOrder).toEqual(spooled);
      const stored = await storedMarkers(db.pool, tenantId, 'slow');
      expect([...stored].sort()).toEqual([...Array.from({ length: 31 }, (_, b) => markers(b)).flat(), ...markers(32)].sort());
      // Spooled batches were stored in spool order.
      const firstAt = (b: number): number => stored.indexOf(markers(b)[0]);
      const positions = spooled.map(firstAt);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      // And after the direct writes submitted before them (the replay waits for those to settle).
      expect(Math.max(...direct.map(firstAt))).toBeLessThan(Math.min(...positions));
      expect(spool.stats).toMatchObject({ batches: 0, bytes: 0, replayed: spooled.length, replayRejected: 1 });
      // The direct writes pending on the lock were overtaken (fallbackOrderMs): a copy of each took
      // its place in the spool, skipped at replay since each committed (stored once: above).
      expect(spool.stats).toMatchObject({ copies: direct.length, copiesSkipped: direct.length });
      // The refused batch is kept, framed like a segment's records, in rejected.spool.
      const kept = await readFile(join(dir, 'rejected.spool'));
      const parsed = parseRecords(kept);
      expect(parsed.torn).toBeUndefined();
      expect(parsed.records.map((r) => decodeEntry<SinkWrite, number>(r.payload))).toEqual([{ w: bad, a: 31 }]);
    } finally {
      await blocker.end();
      await spool.close();
      await sink.close();
    }
  });
});
