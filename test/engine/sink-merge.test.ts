// One block per (tenant, stream) per group commit (engine/sinks/postgres/blocks.ts blockParts /
// mergedBlockLines, service.ts): writes carrying parts are merged at the flush. Their events read
// back in order, a resent write is still a duplicate (also when it shares a group with new ones),
// and a failed commit rejects every write of the group.
import { beforeAll, describe, expect, it } from 'vitest';
import { BLOCK_COLUMNS, blockLines, blockParts, mergedBlockLines } from '../../engine/sinks/postgres/blocks.js';
import type { CopySink, SinkWrite } from '../../engine/sinks/postgres/service.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { decodeBlock } from '../../src/core/blocks.js';
import type { TestDatabase } from '../helpers/db.js';
import { storedEvents } from '../helpers/events.js';
import { blockSink, sinkDatabase } from '../helpers/sink.js';

const limits = { maxBatchEvents: 1e6, maxEventBytes: 1e6 };
/** A frame of `n` events spread over `streams` streams (round robin), data `${tag} ${i}`. */
const frame = (n: number, streams: string[], tag: string, t0 = 1_700_000_000_000) =>
  validateEvents(Array.from({ length: n }, (_, i) => ({ timestamp: t0 + i, stream_type: 'logs', stream: streams[i % streams.length], data: `${tag} ${i}` })), limits);

describe('blocks: parts and merged lines (pure)', () => {
  const T = '00000000-0000-4000-8000-0000000000aa';
  it('blockParts fingerprints exactly as blockLines does (a resend across versions still matches)', () => {
    const r = frame(30, ['a', 'b', 'c'], 'fp');
    expect(blockParts(r, true).fingerprint).toBe(blockLines(T, r, 'k').fingerprint);
    expect(blockParts(r, false).fingerprint).toBeUndefined();
  });

  it('merges the parts of one stream over writes, in write order; a prebuilt write closes its tenant\'s blocks', () => {
    const w1 = { tenantId: T, batchKey: 'k1', lines: '', parts: blockParts(frame(6, ['a', 'b'], 'one'), true).parts };
    const w2 = { tenantId: T, batchKey: 'k2', lines: '', parts: blockParts(frame(4, ['b', 'a'], 'two'), true).parts };
    const { lines, blocks } = mergedBlockLines([w1, w2], 'none');
    expect(blocks).toBe(2);
    const rows = lines.join('').slice(0, -1).split('\n').map((l) => l.split('\t'));
    expect(rows.map((f) => f[BLOCK_COLUMNS.indexOf('stream')])).toEqual(['a', 'b']);
    expect(rows.map((f) => f[BLOCK_COLUMNS.indexOf('count')])).toEqual(['5', '5']);
    expect(rows.map((f) => f[BLOCK_COLUMNS.indexOf('batch_key')])).toEqual(['k1', 'k1']);
    const decoded = rows.map((f) => decodeBlock('none', Buffer.from(f[BLOCK_COLUMNS.indexOf('payload')].slice(3), 'hex')).map((e) => e.data));
    expect(decoded).toEqual([['one 0', 'one 2', 'one 4', 'two 1', 'two 3'], ['one 1', 'one 3', 'one 5', 'two 0', 'two 2']]);
    // A write with prebuilt lines between two with parts: the later parts start new blocks after it.
    const pre = { tenantId: T, lines: blockLines(T, frame(1, ['a'], 'pre'), undefined, 'none').lines };
    const m = mergedBlockLines([w1, pre, w2], 'none');
    expect(m.blocks).toBe(4);
    expect(m.lines).toHaveLength(5);
    expect(m.lines[2]).toBe(pre.lines);
  });
});

describe('CopySink: writes with parts share a block per stream in a group commit', () => {
  const sd = sinkDatabase('Merge One', 'Merge Two');
  let db: TestDatabase;
  let t1: string;
  let t2: string;
  beforeAll(() => { ({ db, tenants: [t1, t2] } = sd); });

  const newSink = (): CopySink => blockSink(db.pool, { flushIntervalMs: 50, flushMaxRows: 10_000, maxPendingRows: 100_000, maxConcurrentFlushes: 1 });
  const write = (tenantId: string, key: string, n: number, streams: string[], tag: string): SinkWrite => {
    const b = blockParts(frame(n, streams, tag), true);
    return { tenantId, lines: '', parts: b.parts, rows: n, bytes: n * 10, batchKey: key, fingerprint: b.fingerprint, rollup: b.rollup };
  };
  const blockCount = async (tenantId: string): Promise<number> =>
    (await db.pool.query('SELECT count(*)::int AS n FROM event_blocks WHERE tenant_id = $1', [tenantId])).rows[0].n;

  it('ten frames of two tenants over three streams: one flush, one block per (tenant, stream), order kept; resends are duplicates', async () => {
    const sink = newSink();
    const streams = ['s1', 's2', 's3'];
    const ws = Array.from({ length: 10 }, (_, i) => write(i % 2 ? t1 : t2, `ws:c:${i}`, 9, streams, `f${i}`));
    const res = await Promise.all(ws.map((w) => sink.write(w)));
    expect(res.every((r) => !r.duplicate && r.rows === 9)).toBe(true);
    expect(sink.stats.flushes).toBe(1);
    expect(await blockCount(t1)).toBe(3);
    expect(await blockCount(t2)).toBe(3);
    for (const [t, first] of [[t1, 1], [t2, 0]] as const) {
      for (const [si, s] of streams.entries()) {
        const got = (await storedEvents(db.pool, { tenantId: t, stream: s })).map((e) => e.data);
        const want = ws.flatMap((_, i) => (i % 2 === first ? [0, 1, 2, 3, 4, 5, 6, 7, 8].filter((j) => j % 3 === si).map((j) => `f${i} ${j}`) : []));
        expect(got).toEqual(want);
      }
    }
    // The same frames resent (lost acks), in one group with a new frame: the new one is stored, the rest are duplicates.
    const again = await Promise.all([...ws, write(t1, 'ws:c:10', 3, streams, 'f10')].map((w) => sink.write(w)));
    expect(again.slice(0, 10).every((r) => r.duplicate && r.rows === 9)).toBe(true);
    expect(again[10]).toEqual({ duplicate: false, rows: 3 });
    expect((await storedEvents(db.pool, { tenantId: t1 })).length).toBe(5 * 9 + 3);
    expect((await storedEvents(db.pool, { tenantId: t2 })).length).toBe(5 * 9);
    expect(sink.stats.duplicates).toBe(10);
    // After the COPY, one statement counts usage, per-minute rows, totals and the commit marker
    // (one per flush): duplicates add nothing.
    for (const [t, n] of [[t1, 48], [t2, 45]] as const) {
      const q = async (sql: string): Promise<unknown> => (await db.pool.query(sql, [t])).rows[0].n;
      expect(await q('SELECT sum(events)::int AS n FROM usage_counters WHERE tenant_id = $1')).toBe(n);
      expect(await q('SELECT sum(bytes)::int AS n FROM usage_counters WHERE tenant_id = $1')).toBe(n * 10);
      expect(await q('SELECT sum(events)::int AS n FROM stream_minutes WHERE tenant_id = $1')).toBe(n);
      expect(await q('SELECT sum(events_total)::int AS n FROM stream_totals WHERE tenant_id = $1')).toBe(n);
      expect(await q('SELECT count(*)::int AS n FROM stream_totals WHERE tenant_id = $1 AND last_seen >= first_seen')).toBe(3);
      expect(await q('SELECT (max(last_seen) = to_timestamp(1700000000.008))::text AS n FROM stream_totals WHERE tenant_id = $1')).toBe('true');
    }
    expect((await db.pool.query('SELECT count(*)::int AS n FROM ingest_commits')).rows[0].n).toBe(sink.stats.flushes);
    await sink.close();
  });

  it('a commit that fails rejects every write whose events share its blocks, and stores none of them', async () => {
    const sink = newSink();
    await db.pool.query(`
      CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no commit' USING ERRCODE = 'P0001'; END $$;
      CREATE TRIGGER fail_commit AFTER INSERT ON ingest_commits FOR EACH ROW EXECUTE FUNCTION fail_commit();`);
    try {
      const before = await blockCount(t1);
      const ws = Array.from({ length: 4 }, (_, i) => write(t1, `ws:fail:${i}`, 6, ['x', 'y'], `g${i}`));
      const res = await Promise.allSettled(ws.map((w) => sink.write(w)));
      expect(res.every((r) => r.status === 'rejected' && (r.reason as { code?: string }).code === 'DW_ERR_UNAVAILABLE')).toBe(true);
      expect(await blockCount(t1)).toBe(before);
      expect((await db.pool.query("SELECT count(*)::int AS n FROM ingest_batches WHERE batch_key LIKE 'ws:fail:%'")).rows[0].n).toBe(0);
    } finally {
      await db.pool.query('DROP TRIGGER fail_commit ON ingest_commits; DROP FUNCTION fail_commit();');
      await sink.close();
    }
  });
});
