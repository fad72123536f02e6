// Medium 7 (issue 12): fairness between tenants in the events sink and on the event loop. On
// main, the sink's pending writes were taken first come, first served into the flushes, so a
// tenant whose flushes were slow (a backlog of big batches) held every other tenant's write
// behind its own: a light tenant's ack waited for the heavy one's COPYs. Here the heavy
// tenant's flushes are held on a row lock (its batch keys inserted by an open transaction), and
// the light tenant's write must still commit.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { blockLines } from '../../engine/sinks/postgres/blocks.js';
import { eventsSinkOptions } from '../../engine/sinks/postgres/config.js';
import { TenantTurns } from '../../engine/transforms/turns.js';
import { silentLogger } from '../../src/core/log.js';
import { CopySink } from '../../engine/sinks/postgres/service.js';
import type { TestDatabase } from '../helpers/db.js';
import { countStored } from '../helpers/events.js';
import { blockSink, logRecords, sinkDatabase } from '../helpers/sink.js';

const sd = sinkDatabase('Heavy', 'Light');
let db: TestDatabase;
let heavy: string;
let light: string;
beforeAll(() => { ({ db, tenants: [heavy, light] } = sd); });

const write = (tenantId: string, stream: string, n: number, batchKey?: string) => {
  const built = blockLines(tenantId, logRecords(stream, n), batchKey, undefined, batchKey !== undefined);
  return { tenantId, lines: built.lines, rows: n, bytes: n, batchKey, fingerprint: built.fingerprint };
};

describe('events sink fairness between tenants (issue 12, Medium 7)', () => {
  it('the events sink keeps a flush open to other tenants: a heavy tenant is in at most two of three', () => {
    const o = eventsSinkOptions({ flushIntervalMs: 10, flushMaxRows: 10_000, maxBodyBytes: 16 * 1024 * 1024 });
    expect(o.maxConcurrentFlushes).toBe(3);
    expect(o.maxFlushesPerTenant).toBe(2);
  });

  it('a light tenant\'s write commits while the heavy tenant\'s flushes are stuck, and the heavy one\'s backlog waits its turn', async () => {
    const sink = blockSink(db.pool, { flushIntervalMs: 5, flushMaxRows: 10, maxPendingRows: 10_000, maxConcurrentFlushes: 3, maxFlushesPerTenant: 2 });
    const blocker = await db.pool.connect();
    try {
      const heavyWrites = Array.from({ length: 6 }, (_, i) => write(heavy, 'heavy', 10, `h${i}`));
      // An open transaction holds every heavy batch key: the heavy tenant's flushes wait on it.
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO ingest_batches (tenant_id, batch_key, event_count, fingerprint)
         SELECT $1, k, 10, $3 FROM unnest($2::text[]) AS k`,
        [heavy, heavyWrites.map((w) => w.batchKey), createHash('sha256').update('other').digest()]);
      const heavyDone = heavyWrites.map((w) => sink.write(w).then(() => 'stored', () => 'failed'));
      // Until the heavy tenant holds two flushes: its first waiting on the lock, its second waiting
      // for the first's COPY (a tenant's COPYs go in the order its flushes were taken,
      // copy-order.ts; the second does not connect meanwhile). Polled: an event, not a sleep.
      for (let i = 0; ; i++) {
        const { rows } = await db.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        if (rows[0].n >= 1 && sink.stats.flushes >= 2 && sink.stats.copyTurnWaits >= 1) break;
        if (i > 600) throw new Error('the heavy tenant\'s flushes never reached the lock');
        await new Promise((r) => setTimeout(r, 50));
      }
      let settled = 0;
      for (const p of heavyDone) void p.then(() => { settled++; });
      // On main the third flush took the heavy tenant's next write (first come, first served) and
      // this one waited behind them all, for as long as the lock is held: here it is not held up.
      await expect(sink.write(write(light, 'light', 5))).resolves.toEqual({ duplicate: false, rows: 5 });
      expect(await countStored(db.pool, 'stream = $1', ['light'])).toBe(5);
      expect(settled).toBe(0);
      expect(sink.pendingRows).toBeGreaterThan(0);
      await blocker.query('ROLLBACK');
      // Released: the heavy tenant's writes are all stored.
      expect(await Promise.all(heavyDone)).toEqual(heavyWrites.map(() => 'stored'));
      expect(await countStored(db.pool, 'stream = $1', ['heavy'])).toBe(60);
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
      await sink.close();
    }
  });
});

describe('a light tenant\'s transaction is its own (issue 12, Medium 7)', () => {
  it('a light tenant\'s write is not committed in the transaction of a tenant writing far over its share', async () => {
    // On main the group took one write per tenant in turn: the light write rode in the heavy
    // tenant's transaction (its 10,000 rows compressed and copied, and its usage and stream rows
    // locked behind the heavy tenant's other flush), so its ack waited for all of that.
    const sink = new CopySink(db.pool, silentLogger, eventsSinkOptions({ flushIntervalMs: 50, flushMaxRows: 10_000, maxBodyBytes: 16 * 1024 * 1024 }));
    try {
      const lightDone = sink.write(write(light, 'light-own', 10));
      // 10,000 rows: the flush starts with the last of these writes, light's write pending too.
      const heavyDone = Array.from({ length: 20 }, (_, i) => sink.write(write(heavy, `heavy-own-${i % 4}`, 500)));
      await Promise.all([lightDone, ...heavyDone]);
      const { rows } = await db.pool.query<{ tenant_id: string; tx: string }>(
        "SELECT DISTINCT tenant_id, xmin::text AS tx FROM event_blocks WHERE stream = 'light-own' OR stream LIKE 'heavy-own-%'");
      const lightTx = new Set(rows.filter((r) => r.tenant_id === light).map((r) => r.tx));
      const heavyTx = new Set(rows.filter((r) => r.tenant_id === heavy).map((r) => r.tx));
      expect(lightTx.size).toBe(1);
      expect([...lightTx].filter((t) => heavyTx.has(t))).toEqual([]);
      expect(await countStored(db.pool, 'stream = $1', ['light-own'])).toBe(10);
      expect(await countStored(db.pool, "stream LIKE 'heavy-own-%'", [])).toBe(10_000);
    } finally {
      await sink.close();
    }
  });
});

describe('event-loop turns between tenants (issue 12, Medium 7)', () => {
  it('a burst of one tenant\'s batches does not go ahead of another tenant\'s: turns alternate', async () => {
    const turns = new TenantTurns();
    const order: string[] = [];
    const all = [
      ...Array.from({ length: 5 }, (_, i) => turns.take('A').then(() => { order.push(`A${i}`); })),
      turns.take('B').then(() => { order.push('B0'); }),
      turns.take('B').then(() => { order.push('B1'); }),
    ];
    expect(turns.waiting).toBe(7);
    await Promise.all(all);
    expect(order).toEqual(['A0', 'B0', 'A1', 'B1', 'A2', 'A3', 'A4']);
    expect(turns.waiting).toBe(0);
  });

  it('a tenant far under its share of the bytes decoded takes its turn at once, ahead of a heavy tenant\'s queued turns', async () => {
    // On main the light tenant's small frame waited for a turn behind the heavy one's (one per
    // event-loop iteration, each as long as a heavy batch): twice per batch, decoding and storing.
    const turns = new TenantTurns();
    const order: string[] = [];
    const heavyTurns = Array.from({ length: 5 }, (_, i) => turns.take('A', 1_000_000).then(() => { order.push(`A${i}`); }));
    const lightTurn = turns.take('B', 10_000).then(() => { order.push('B0'); });
    await Promise.all([...heavyTurns, lightTurn]);
    expect(order).toEqual(['B0', 'A0', 'A1', 'A2', 'A3', 'A4']);
    expect(turns.stats.light).toBe(1);
  });

  it('a tenant\'s turns keep their order: one taken while it was not light is not overtaken by its next, taken once it is', async () => {
    // On main the next turn of a tenant that had just become light went at once, ahead of its own
    // turn queued a moment before: a connection's frames reached the store and the scorer out of
    // order, and its stream was scored out of order (bench/fairness: 18 or 20 of B's 19 anomalies).
    const turns = new TenantTurns();
    const order: string[] = [];
    // B alone: no one is light, its turn waits for the next grant.
    const first = turns.take('B', 10_000).then(() => { order.push('B0'); });
    // A arrives with far more bytes: B is now well under its share.
    const heavy = turns.take('A', 1_000_000).then(() => { order.push('A0'); });
    const second = turns.take('B', 10_000).then(() => { order.push('B1'); });
    // The queued one is granted with it, at once and first, ahead of A's (B is light).
    await Promise.all([first, second]);
    expect(order).toEqual(['B0', 'B1']);
    expect(turns.waiting).toBe(1);
    await heavy;
    expect(order).toEqual(['B0', 'B1', 'A0']);
    expect(turns.waiting).toBe(0);
  });

  it('a tenant over its share holds at most its few frames in flight while another is active; the other\'s frames enter at once', async () => {
    // On main nothing capped a heavy tenant's frames between decode and ack: its 16 in flight per
    // connection took the CPU and PostgreSQL while a light tenant's few frames waited behind them.
    const turns = new TenantTurns(2);
    await turns.take('A', 1_000_000);
    await turns.take('B', 10_000);
    const entered: string[] = [];
    const leaves: (() => void)[] = [];
    const heavy = Array.from({ length: 5 }, (_, i) => turns.enter('A').then((leave) => { entered.push(`A${i}`); leaves.push(leave); }));
    await new Promise((r) => setImmediate(r));
    expect(turns.inFlight('A')).toBe(2);
    const leaveB = await turns.enter('B');
    expect(turns.inFlight('B')).toBe(1);
    expect(entered).toEqual(['A0', 'A1']);
    expect(turns.stats.capped).toBe(3);
    // Each answered frame lets one more in, never more than the cap.
    leaves[0]();
    leaves[0](); // twice: counted once
    await new Promise((r) => setImmediate(r));
    expect(entered).toEqual(['A0', 'A1', 'A2']);
    expect(turns.inFlight('A')).toBe(2);
    leaveB();
    for (let i = 1; i < 5; i++) { leaves[i](); await new Promise((r) => setImmediate(r)); expect(turns.inFlight('A')).toBeLessThanOrEqual(2); }
    await Promise.all(heavy);
    leaves.at(-1)!();
    expect(turns.inFlight('A')).toBe(0);
  });

  it('a tenant that becomes heavy with many frames in goes down to its cap: answered frames let none of its waiting ones in until it is under it', async () => {
    // On main each answered frame let one waiting frame in: a tenant with 6 frames in when another
    // tenant came (entered while it was alone) kept 6 in for as long as it flooded.
    const turns = new TenantTurns(2);
    await turns.take('A', 1_000_000);
    const early = await Promise.all(Array.from({ length: 6 }, () => turns.enter('A')));
    expect(turns.inFlight('A')).toBe(6);
    await turns.take('B', 10_000);
    const entered: number[] = [];
    const lateLeaves: (() => void)[] = [];
    const late = Array.from({ length: 3 }, (_, i) => turns.enter('A').then((leave) => { entered.push(i); lateLeaves.push(leave); }));
    await new Promise((r) => setImmediate(r));
    expect(turns.stats.capped).toBe(3);
    for (let i = 0; i < 4; i++) early[i]();
    await new Promise((r) => setImmediate(r));
    expect(turns.inFlight('A')).toBe(2);
    expect(entered).toEqual([]);
    early[4]();
    await new Promise((r) => setImmediate(r));
    expect(turns.inFlight('A')).toBe(2);
    expect(entered).toEqual([0]);
    early[5]();
    await new Promise((r) => setImmediate(r));
    expect(entered).toEqual([0, 1]);
    lateLeaves[0]();
    await Promise.all(late);
    expect(entered).toEqual([0, 1, 2]);
    expect(turns.inFlight('A')).toBe(2);
    lateLeaves[1]();
    lateLeaves[2]();
    expect(turns.inFlight('A')).toBe(0);
  });

  it('a tenant alone is not capped: its frames all enter', async () => {
    const turns = new TenantTurns(2);
    await turns.take('A', 1_000_000);
    await Promise.all(Array.from({ length: 8 }, () => turns.enter('A')));
    expect(turns.inFlight('A')).toBe(8);
    expect(turns.stats.capped).toBe(0);
  });

  it('one turn per event-loop iteration: work queued during a turn runs before the turns after the next', async () => {
    const turns = new TenantTurns();
    const seen: string[] = [];
    const a = [0, 1, 2, 3].map((i) => turns.take('A').then(() => {
      seen.push(`turn${i}`);
      if (i === 0) setImmediate(() => seen.push('other'));
    }));
    await Promise.all(a);
    // On one drain of the queue in a row, 'other' would come after every turn.
    expect(seen).toEqual(['turn0', 'turn1', 'other', 'turn2', 'turn3']);
  });
});
