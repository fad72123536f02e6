import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { blockLines } from '../../engine/sinks/postgres/blocks.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { createPool } from '../../src/core/db.js';
import type { TestDatabase } from '../helpers/db.js';
import { countStored } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { blockSink, logRecords, sinkDatabase } from '../helpers/sink.js';

const sd = sinkDatabase('Sink One', 'Sink Two');
let db: TestDatabase;
let t1: string;
let t2: string;
beforeAll(() => { ({ db, tenants: [t1, t2] } = sd); });

const lines = (tenant: string, n: number, tag: string): string => blockLines(tenant, logRecords(tag, n), undefined).lines;
const count = async (stream: string): Promise<number> => countStored(db.pool, 'stream = $1', [stream]);

describe('CopySink (group commit)', () => {
  it('combines concurrent writes into few flushes and resolves each after COMMIT', async () => {
    const sink = blockSink(db.pool);
    const writes = Array.from({ length: 50 }, (_, i) => sink.write({ tenantId: i % 2 ? t1 : t2, lines: lines(i % 2 ? t1 : t2, 10, 'group'), rows: 10, bytes: 100 }));
    const results = await Promise.all(writes);
    expect(results.every((r) => r.rows === 10 && !r.duplicate)).toBe(true);
    expect(await count('group')).toBe(500);
    expect(sink.stats.flushes).toBeLessThan(10);
    await sink.close();
    await expect(sink.write({ tenantId: t1, lines: '', rows: 0, bytes: 0 })).rejects.toMatchObject({ code: 'DW_ERR_SHUTTING_DOWN' });
  });

  it('a row PostgreSQL refuses fails only its own write, not the others in the group', async () => {
    const sink = blockSink(db.pool);
    const good1 = sink.write({ tenantId: t1, lines: lines(t1, 5, 'iso-a'), rows: 5, bytes: 1 });
    const bad = sink.write({ tenantId: t2, lines: `${t2}\tiso-bad\tlogs\tnot a time\t1970-01-01T00:00:00Z\t1\t\\N\t0\tnone\t\\\\x5b5d\n`, rows: 1, bytes: 1 });
    const good2 = sink.write({ tenantId: t2, lines: lines(t2, 5, 'iso-b'), rows: 5, bytes: 1 });
    await expect(good1).resolves.toEqual({ duplicate: false, rows: 5 });
    await expect(bad).rejects.toMatchObject({ code: 'DW_ERR_INVALID_EVENT' });
    await expect(good2).resolves.toEqual({ duplicate: false, rows: 5 });
    expect(await count('iso-a')).toBe(5);
    expect(await count('iso-b')).toBe(5);
    expect(await count('iso-bad')).toBe(0);
    await sink.close();
  });

  it('stores a keyed batch once even when its resend lands in the same window, and counts usage once', async () => {
    const usage = async (): Promise<number> => (await db.pool.query('SELECT coalesce(sum(events), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [t1])).rows[0].n;
    const u0 = await usage();
    const sink = blockSink(db.pool, { flushIntervalMs: 50 });
    const w = { tenantId: t1, lines: lines(t1, 3, 'dup'), rows: 3, bytes: 10, batchKey: 'k1' };
    const [a, b, c] = await Promise.all([sink.write(w), sink.write(w), sink.write({ ...w, tenantId: t2, lines: lines(t2, 3, 'dup') })]);
    // The second same-key write waits for the flush holding the first: the first is stored.
    expect([a.duplicate, b.duplicate]).toEqual([false, true]);
    expect(c.duplicate).toBe(false);
    expect([a.rows, b.rows, c.rows]).toEqual([3, 3, 3]);
    expect(await count('dup')).toBe(6);
    expect((await usage()) - u0).toBe(3);
    await sink.close();
  });

  it('a second write of a key waits for the flush holding the first: the first copy is stored, the later one is its duplicate', async () => {
    // The spool replays a wave as one batch of writes, a client's resend (same key) at its tail;
    // the resend must not be stored in place of the original (it would be out of order).
    const sink = blockSink(db.pool, { flushIntervalMs: 50 });
    // Another transaction holds a key of the first flush: that flush waits on the row lock, in flight.
    const blocker = new pg.Client({ connectionString: db.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query(`INSERT INTO ingest_batches (tenant_id, batch_key, event_count) VALUES ($1, 'held-a', 1)`, [t1]);
      const held = sink.write({ tenantId: t1, lines: lines(t1, 1, 'first-copy-held'), rows: 1, bytes: 1, batchKey: 'held-a' });
      const w = { tenantId: t1, lines: lines(t1, 2, 'first-copy'), rows: 2, bytes: 1, batchKey: 'held-b' };
      const original = sink.write(w);
      const resend = sink.write(w);
      await waitFor(async () => {
        const r = await db.pool.query(
          `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO ingest_batches%'`);
        return r.rowCount ? true : undefined;
      }, 10_000, 'the first flush waiting on the key lock');
      // Time for another flush to take the resend, if one could.
      await new Promise((r) => setTimeout(r, 300));
      await blocker.query('ROLLBACK');
      expect(await held).toEqual({ duplicate: false, rows: 1 });
      expect(await original).toEqual({ duplicate: false, rows: 2 });
      expect(await resend).toEqual({ duplicate: true, rows: 2 });
      expect(await count('first-copy')).toBe(2);
    } finally {
      await blocker.end();
      await sink.close();
    }
  });

  it('refuses a key reused for different data with DW_ERR_CONFLICT (stores nothing), and acks the same data as a duplicate', async () => {
    const sink = blockSink(db.pool);
    const first = { tenantId: t1, lines: lines(t1, 4, 'reuse-a'), rows: 4, bytes: 10, batchKey: 'ws:client-1:0' };
    await expect(sink.write(first)).resolves.toEqual({ duplicate: false, rows: 4 });
    // A client that restarted with the same client_id and began again at seq 0, with new events.
    const err = await sink.write({ ...first, lines: lines(t1, 2, 'reuse-b'), rows: 2 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'DW_ERR_CONFLICT', statusCode: 409 });
    expect((err as Error).message).toMatch(/already used for different data/);
    // The same data under the same key is a resend: acked as a duplicate, not stored again.
    await expect(sink.write(first)).resolves.toEqual({ duplicate: true, rows: 4 });
    // Same key, other tenant: independent.
    await expect(sink.write({ ...first, tenantId: t2, lines: lines(t2, 2, 'reuse-b'), rows: 2 })).resolves.toEqual({ duplicate: false, rows: 2 });
    expect(await count('reuse-a')).toBe(4);
    expect(await count('reuse-b')).toBe(2);
    expect(sink.stats.conflicts).toBe(1);
    await sink.close();
  });

  it('a write carrying a content fingerprint is a duplicate on resend even when compressed by another codec', async () => {
    const sink = blockSink(db.pool);
    const records = validateEvents([{ timestamp: 1, stream_type: 'logs', stream: 'fp-codec', data: 'même contenu' }], { maxBatchEvents: 10, maxEventBytes: 1000 });
    const brotli = blockLines(t1, records, 'fp-1', 'brotli');
    const deflate = blockLines(t1, records, 'fp-1', 'deflate');
    expect(deflate.lines).not.toBe(brotli.lines);
    await expect(sink.write({ tenantId: t1, lines: brotli.lines, rows: 1, bytes: 1, batchKey: 'fp-1', fingerprint: brotli.fingerprint })).resolves.toEqual({ duplicate: false, rows: 1 });
    await expect(sink.write({ tenantId: t1, lines: deflate.lines, rows: 1, bytes: 1, batchKey: 'fp-1', fingerprint: deflate.fingerprint })).resolves.toEqual({ duplicate: true, rows: 1 });
    const other = blockLines(t1, validateEvents([{ timestamp: 1, stream_type: 'logs', stream: 'fp-codec', data: 'autre' }], { maxBatchEvents: 10, maxEventBytes: 1000 }), 'fp-1');
    await expect(sink.write({ tenantId: t1, lines: other.lines, rows: 1, bytes: 1, batchKey: 'fp-1', fingerprint: other.fingerprint })).rejects.toMatchObject({ code: 'DW_ERR_CONFLICT' });
    expect(await count('fp-codec')).toBe(1);
    await sink.close();
  });

  it('a conflicting write in a group fails alone; the rest of the group is stored', async () => {
    const sink = blockSink(db.pool);
    await sink.write({ tenantId: t1, lines: lines(t1, 1, 'grp-k'), rows: 1, bytes: 1, batchKey: 'http:grp' });
    const [bad, good] = await Promise.allSettled([
      sink.write({ tenantId: t1, lines: lines(t1, 3, 'grp-other'), rows: 3, bytes: 1, batchKey: 'http:grp' }),
      sink.write({ tenantId: t1, lines: lines(t1, 5, 'grp-good'), rows: 5, bytes: 1, batchKey: 'http:grp-2' }),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'DW_ERR_CONFLICT' } });
    expect(good).toEqual({ status: 'fulfilled', value: { duplicate: false, rows: 5 } });
    expect(await count('grp-other')).toBe(0);
    expect(await count('grp-good')).toBe(5);
    await sink.close();
  });

  it('deletes ingest_batches and ingest_commits rows older than 7 days, in bounded chunks, from a flush', async () => {
    await db.pool.query(
      `INSERT INTO ingest_batches (tenant_id, batch_key, event_count, created_at)
       VALUES ($1, 'old-1', 1, now() - interval '8 days'), ($1, 'old-2', 1, now() - interval '7 days 1 minute'),
              ($1, 'recent', 1, now() - interval '6 days')`, [t1]);
    await db.pool.query(`INSERT INTO ingest_commits (id, created_at) VALUES (gen_random_uuid(), now() - interval '9 days')`);
    const sink = blockSink(db.pool, { retentionChunk: 1 });
    await sink.write({ tenantId: t1, lines: lines(t1, 1, 'retention'), rows: 1, bytes: 1 });
    await sink.close();
    const keys = (await db.pool.query('SELECT batch_key FROM ingest_batches WHERE batch_key LIKE $1 ORDER BY 1', ['old-%'])).rows;
    expect(keys).toEqual([]);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ingest_batches WHERE batch_key = 'recent'`)).rows[0].n).toBe(1);
    expect((await db.pool.query(`SELECT count(*)::int AS n FROM ingest_commits WHERE created_at < now() - interval '7 days'`)).rows[0].n).toBe(0);
    expect(sink.stats.pruned).toBe(3);
    // At most once per retentionCheckMs: a second flush soon after does not run it again.
    await db.pool.query(`INSERT INTO ingest_batches (tenant_id, batch_key, event_count, created_at) VALUES ($1, 'old-3', 1, now() - interval '8 days')`, [t1]);
    const again = blockSink(db.pool);
    await again.write({ tenantId: t1, lines: lines(t1, 1, 'retention'), rows: 1, bytes: 1 });
    await again.write({ tenantId: t1, lines: lines(t1, 1, 'retention'), rows: 1, bytes: 1 });
    await again.close();
    expect(again.stats.pruned).toBe(1);
    expect(again.stats.pruneRuns).toBe(1);
  });

  it('refuses a write with DW_ERR_UNAVAILABLE when the buffer is full (never drops silently)', async () => {
    const sink = blockSink(db.pool, { flushIntervalMs: 200, flushMaxRows: 1000, maxPendingRows: 20 });
    const first = sink.write({ tenantId: t1, lines: lines(t1, 15, 'full'), rows: 15, bytes: 1 });
    await expect(sink.write({ tenantId: t1, lines: lines(t1, 10, 'full'), rows: 10, bytes: 1 })).rejects.toMatchObject({ code: 'DW_ERR_UNAVAILABLE' });
    expect(sink.stats.refusedFull).toBe(1);
    await first;
    expect(await count('full')).toBe(15);
    await sink.close();
  });

  it('refuses a write with DW_ERR_UNAVAILABLE when the bytes waiting would exceed maxPendingBytes (few rows, large events)', async () => {
    // Random base64 (brotli keeps about 3/4 of it; hex doubles that): about 60 KB of COPY text an event.
    const big = (n: number, tag: string): string =>
      blockLines(t1, logRecords(tag, n, (i) => `${tag} ${i} ${randomBytes(30_000).toString('base64')}`), undefined).lines;
    const first = big(2, 'fullbytes');
    const sink = blockSink(db.pool, { flushIntervalMs: 200, flushMaxRows: 1000, maxPendingRows: 1000, maxPendingBytes: 200_000 });
    const a = sink.write({ tenantId: t1, lines: first, rows: 2, bytes: 1 });
    expect(sink.pendingBytes).toBe(first.length);
    // 4 rows in all, far under the row bound; about 240 KB of lines, over the byte bound.
    await expect(sink.write({ tenantId: t1, lines: big(2, 'fullbytes'), rows: 2, bytes: 1 })).rejects.toMatchObject({ code: 'DW_ERR_UNAVAILABLE', statusCode: 503 });
    expect(sink.stats.refusedFullBytes).toBe(1);
    // A write that fits is still taken.
    const b = sink.write({ tenantId: t1, lines: big(1, 'fullbytes'), rows: 1, bytes: 1 });
    await Promise.all([a, b]);
    expect(sink.pendingBytes).toBe(0);
    expect(await count('fullbytes')).toBe(3);
    // A single write larger than the bound is taken when nothing waits (as with rows).
    await sink.write({ tenantId: t1, lines: big(4, 'fullbytes'), rows: 4, bytes: 1 });
    expect(await count('fullbytes')).toBe(7);
    await sink.close();
  });

  it('answers DW_ERR_UNAVAILABLE after bounded retries when PostgreSQL is unreachable', async () => {
    const { freePort } = await import('../helpers/net.js');
    const down = createPool(`postgres://postgres@127.0.0.1:${await freePort()}/none`, 2);
    const sink = blockSink(down);
    const t0 = Date.now();
    await expect(sink.write({ tenantId: t1, lines: lines(t1, 2, 'down'), rows: 2, bytes: 1 })).rejects.toMatchObject({ code: 'DW_ERR_UNAVAILABLE' });
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(sink.stats.writesFailed).toBe(1);
    await sink.close();
    await down.end();
  });
});
