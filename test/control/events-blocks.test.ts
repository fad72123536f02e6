// GET /api/v1/events over compressed blocks: many blocks with overlapping time ranges and tied
// timestamps, written by the engine's sink; every page sequence (offset or cursor, filters or
// not) must give exactly the events in order: time, then block id, then position, newest first.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockLines } from '../../engine/sinks/postgres/blocks.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { prng } from '../../src/tools/demo/synthetic.js';
import { storedEvents, type StoredEvent } from '../helpers/events.js';
import { blockSink } from '../helpers/sink.js';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
let all: StoredEvent[];
const T0 = Date.parse('2026-10-01T00:00:00Z');
const WRITES = 90;

interface Listed { id: string; stream: string; stream_type: string; timestamp: string; data: unknown; metadata: unknown; received_at: string }

const order = (a: StoredEvent, b: StoredEvent): number => (b.ts.getTime() - a.ts.getTime()) || (b.block - a.block) || (b.index - a.index);
const view = (e: StoredEvent): Listed => ({
  id: e.id, stream: e.stream, stream_type: e.stream_type, timestamp: e.ts.toISOString(), data: e.data, metadata: e.metadata,
  received_at: e.received_at.toISOString(),
});

beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  const sink = blockSink(h.db.pool, { flushIntervalMs: 5, flushMaxRows: 500 });
  const rand = prng(42);
  const writes = [];
  for (let w = 0; w < WRITES; w++) {
    // 4-16 events a write over three streams (two of type logs, one metrics), times drawn from a
    // 3-second window with 10 ms steps: blocks overlap in time and many timestamps tie.
    const n = 4 + Math.floor(rand() * 13);
    const raw = Array.from({ length: n }, (_, i) => {
      const s = Math.floor(rand() * 3);
      return s === 2
        ? { timestamp: T0 + Math.floor(rand() * 300) * 10, stream_type: 'metrics', data: w * 100 + i, metadata: { source: 'cpu', w, i } }
        : { timestamp: T0 + Math.floor(rand() * 300) * 10, stream_type: 'logs', stream: `s${s}`, data: `w${w} e${i} ü`, metadata: { w, i } };
    });
    const records = validateEvents(raw, { maxBatchEvents: 100, maxEventBytes: 10_000 });
    const b = blockLines(alice.user.tenant_id, records, `k${w}`);
    writes.push(sink.write({ tenantId: alice.user.tenant_id, lines: b.lines, rows: records.length, bytes: 1, batchKey: `k${w}`, fingerprint: b.fingerprint }));
  }
  // Noise in bob's tenant, in the same time window.
  const bobRecords = validateEvents([{ timestamp: T0 + 1000, stream_type: 'logs', stream: 's0', data: 'bob' }], { maxBatchEvents: 10, maxEventBytes: 1000 });
  writes.push(sink.write({ tenantId: bob.user.tenant_id, lines: blockLines(bob.user.tenant_id, bobRecords, undefined).lines, rows: 1, bytes: 1 }));
  await Promise.all(writes);
  await sink.close();
  all = (await storedEvents(h.db.pool, { tenantId: alice.user.tenant_id })).sort(order);
});
afterAll(async () => { await h?.close(); });

async function list(query: string, token = alice.token): Promise<{ events: Listed[]; next_cursor?: string; limit: number; offset: number }> {
  const r = await call(h.app, 'GET', `/api/v1/events?${query}`, { token });
  expect(r.status).toBe(200);
  return r.body;
}

/** Follows next_cursor from the first page until a page comes without one. */
async function byCursor(query: string, limit: number): Promise<Listed[]> {
  const out: Listed[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10_000; pages++) {
    const p = await list(`${query}&limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
    out.push(...p.events);
    expect(p.events.length).toBeLessThanOrEqual(limit);
    if (p.next_cursor === undefined) return out;
    expect(p.events).toHaveLength(limit);
    cursor = p.next_cursor;
  }
  throw new Error('no last page');
}

async function byOffset(query: string, limit: number): Promise<Listed[]> {
  const out: Listed[] = [];
  for (let offset = 0; ; offset += limit) {
    const p = await list(`${query}&limit=${limit}&offset=${offset}`);
    out.push(...p.events);
    if (p.events.length < limit) return out;
  }
}

describe('GET /api/v1/events over blocks', () => {
  it('the data set: many blocks (more than one query chunk), overlapping in time, with tied timestamps', async () => {
    const { rows } = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM event_blocks WHERE tenant_id = $1', [alice.user.tenant_id]);
    expect(rows[0].n).toBeGreaterThan(128);
    expect(all.length).toBeGreaterThan(500);
    expect(new Set(all.map((e) => e.ts.getTime())).size).toBeLessThan(all.length);
  });

  it('one page of everything gives every event once, newest first, ties by block then position', async () => {
    const p = await list('limit=1000');
    expect(p.events).toEqual(all.map(view));
    expect(p.next_cursor).toBeUndefined();
  });

  it('offset pages and cursor pages of several sizes join up to the same list, crossing block boundaries', async () => {
    const expected = all.map(view);
    for (const limit of [7, 50]) {
      expect(await byCursor('', limit)).toEqual(expected);
    }
    for (const limit of [13, 200]) {
      expect(await byOffset('', limit)).toEqual(expected);
    }
    // A cursor plus an offset skips that many after the cursor.
    const first = await list('limit=10');
    const skip = await list(`limit=5&offset=3&cursor=${first.next_cursor}`);
    expect(skip.events).toEqual(expected.slice(13, 18));
  });

  it('filters by stream, stream_type and time window, with pagination', async () => {
    const s1 = all.filter((e) => e.stream === 's1').map(view);
    expect(s1.length).toBeGreaterThan(50);
    expect(await byCursor('stream=s1', 9)).toEqual(s1);
    expect(await byOffset('stream=s1', 11)).toEqual(s1);
    const metrics = all.filter((e) => e.stream_type === 'metrics').map(view);
    expect(await byCursor('stream_type=metrics', 17)).toEqual(metrics);
    const since = new Date(T0 + 1000).toISOString();
    const until = new Date(T0 + 2000).toISOString();
    const win = all.filter((e) => e.ts.getTime() >= T0 + 1000 && e.ts.getTime() < T0 + 2000).map(view);
    expect(win.length).toBeGreaterThan(0);
    expect(win.length).toBeLessThan(all.length);
    expect(await byCursor(`since=${since}&until=${until}`, 8)).toEqual(win);
    expect(await byOffset(`since=${since}&until=${until}`, 8)).toEqual(win);
    const both = all.filter((e) => e.stream === 's0' && e.ts.getTime() >= T0 + 1000 && e.ts.getTime() < T0 + 2000).map(view);
    expect(await byCursor(`stream=s0&since=${since}&until=${until}`, 5)).toEqual(both);
    expect((await list('stream=nope')).events).toEqual([]);
  });

  it('is tenant-scoped: another tenant sees only its own events, with or without a cursor', async () => {
    const mine = await list('limit=50', bob.token);
    expect(mine.events.map((e) => e.data)).toEqual(['bob']);
    const aliceCursor = (await list('limit=3')).next_cursor!;
    const withCursor = await list(`limit=50&cursor=${aliceCursor}`, bob.token);
    expect(withCursor.events.every((e) => e.data === 'bob')).toBe(true);
  });

  it('refuses a malformed cursor and an offset past 100,000 with a validation error', async () => {
    const deep = await call(h.app, 'GET', '/api/v1/events?offset=100001', { token: alice.token });
    expect([deep.status, codeOf(deep)]).toEqual([400, 'DW_ERR_VALIDATION']);
    expect((await call(h.app, 'GET', '/api/v1/events?offset=100000', { token: alice.token })).status).toBe(200);
    for (const c of ['x', '1_2', '1_2_3_4', '1.5_2_3', '_1_2']) {
      const r = await call(h.app, 'GET', `/api/v1/events?cursor=${encodeURIComponent(c)}`, { token: alice.token });
      expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
    }
  });

  it('the dashboard counts events and streams from the blocks', async () => {
    const r = await call(h.app, 'GET', '/api/v1/dashboard/stats', { token: alice.token });
    expect(r.body).toMatchObject({ events_total: all.length, streams: 3 });
    expect((await call(h.app, 'GET', '/api/v1/dashboard/stats', { token: bob.token })).body).toMatchObject({ events_total: 1, streams: 1 });
  });
});
