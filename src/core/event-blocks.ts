// Reading events back from their compressed blocks (schema.sql event_blocks; written by
// engine/sinks/postgres/blocks.ts). Used by GET /api/v1/events and the dashboard.
//
//   filters (tenant, stream, stream_type, since, until, cursor)
//     │ SELECT blocks that can hold a match, greatest last_ts first, CHUNK at a time
//     ▼
//   decode each block ─► keep its matching events ─► sort by (ts, block id, index) descending
//     │ stop once offset + limit events are held and no block left can hold a later one
//     ▼                 (the next block's last_ts is below the (offset + limit)-th ts held)
//   events[offset .. offset + limit), next_cursor = the last one's key when the page is full
//
// Order: event time, newest first; ties by block id (the order blocks were written) and then by
// position in the block, newest first: a total order, so pages neither skip nor repeat an event
// across block boundaries. An event's id is `<block id>-<index>`; a cursor is `<ts>_<block id>_<index>`
// and selects the events strictly after it in that order.
import type pg from 'pg';
import { decodeBlock } from './blocks.js';

/** Blocks fetched per query while listing. */
const CHUNK = 64;

export interface EventQuery {
  limit: number;
  offset: number;
  stream?: string;
  streamType?: string;
  /** ISO timestamps: ts >= since, ts < until. */
  since?: string;
  until?: string;
  cursor?: string;
}

export interface EventOut {
  id: string;
  stream: string;
  stream_type: string;
  timestamp: string;
  data: unknown;
  metadata: unknown;
  received_at: string;
}

/** A position in the listing order. */
interface Key { ts: number; block: number; index: number }

export const CURSOR_PATTERN = '^-?[0-9]{1,15}_[0-9]{1,19}_[0-9]{1,9}$';

export const eventId = (blockId: number | string, index: number): string => `${blockId}-${index}`;
const cursorOf = (k: Key): string => `${k.ts}_${k.block}_${k.index}`;
function parseCursor(c: string): Key {
  const [ts, block, index] = c.split('_').map(Number);
  return { ts, block, index };
}

/** Descending order: negative when a comes first. */
const cmpDesc = (a: Key, b: Key): number => (b.ts - a.ts) || (b.block - a.block) || (b.index - a.index);

interface BlockRow {
  id: string; stream: string; stream_type: string; last_ts: Date; last_ts_text: string; count: number; codec: string; payload: Buffer; received_at: Date;
}

interface Held extends Key { row: BlockRow; data: unknown; metadata: unknown }

/** One page of a tenant's events, newest first; `next_cursor` when the page is full. */
export async function listEvents(db: pg.Pool, tenantId: string, q: EventQuery): Promise<{ events: EventOut[]; next_cursor?: string }> {
  const since = q.since === undefined ? -Infinity : Date.parse(q.since);
  const until = q.until === undefined ? Infinity : Date.parse(q.until);
  const after = q.cursor === undefined ? undefined : parseCursor(q.cursor);
  const need = q.offset + q.limit;

  const params: unknown[] = [tenantId];
  const where = ['tenant_id = $1'];
  const add = (sql: string, v: unknown): void => { params.push(v); where.push(sql.replace('?', `$${params.length}`)); };
  if (q.stream !== undefined) add('stream = ?', q.stream);
  if (q.streamType !== undefined) add('stream_type = ?', q.streamType);
  if (q.since !== undefined) add('last_ts >= ?::timestamptz', q.since);
  if (q.until !== undefined) add('first_ts < ?::timestamptz', q.until);
  if (after !== undefined) add('first_ts <= ?::timestamptz', new Date(after.ts).toISOString());
  const base = where.join(' AND ');
  const n = params.length;

  let held: Held[] = [];
  // The last block fetched, its last_ts as PostgreSQL's text (microseconds kept) for the next chunk.
  let prev: { lastTs: string; id: string } | undefined;
  for (;;) {
    const page = prev === undefined
      ? await db.query<BlockRow>(
        `SELECT id, stream, stream_type, last_ts, last_ts::text AS last_ts_text, count, codec, payload, received_at FROM event_blocks
          WHERE ${base} ORDER BY last_ts DESC, id DESC LIMIT ${CHUNK}`, params)
      : await db.query<BlockRow>(
        `SELECT id, stream, stream_type, last_ts, last_ts::text AS last_ts_text, count, codec, payload, received_at FROM event_blocks
          WHERE ${base} AND (last_ts, id) < ($${n + 1}::timestamptz, $${n + 2}::bigint) ORDER BY last_ts DESC, id DESC LIMIT ${CHUNK}`,
        [...params, prev.lastTs, prev.id]);
    for (const row of page.rows) {
      const block = Number(row.id);
      const events = decodeBlock(row.codec, row.payload);
      for (let index = 0; index < events.length; index++) {
        const e = events[index];
        if (e.ts < since || e.ts >= until) continue;
        const h: Held = { ts: e.ts, block, index, row, data: e.data, metadata: e.metadata };
        if (after !== undefined && cmpDesc(h, after) <= 0) continue;
        held.push(h);
      }
    }
    if (held.length >= need) {
      held.sort(cmpDesc);
      held.length = need;
    }
    if (page.rows.length < CHUNK) break;
    const last = page.rows[page.rows.length - 1];
    prev = { lastTs: last.last_ts_text, id: last.id };
    // Every block not fetched yet holds events no later than last.last_ts.
    if (held.length >= need && last.last_ts.getTime() < held[need - 1].ts) break;
  }
  held.sort(cmpDesc);
  held = held.slice(q.offset, need);
  const events = held.map((h) => ({
    id: eventId(h.row.id, h.index), stream: h.row.stream, stream_type: h.row.stream_type,
    timestamp: new Date(h.ts).toISOString(), data: h.data, metadata: h.metadata, received_at: h.row.received_at.toISOString(),
  }));
  return held.length === q.limit ? { events, next_cursor: cursorOf(held[held.length - 1]) } : { events };
}

/** A tenant's stored events and distinct streams (a sum over block rows, not a decode). */
export async function eventTotals(db: pg.Pool, tenantId: string): Promise<{ events: number; streams: number }> {
  const { rows } = await db.query<{ events: string; streams: string }>(
    'SELECT coalesce(sum(count), 0) AS events, count(DISTINCT stream) AS streams FROM event_blocks WHERE tenant_id = $1', [tenantId]);
  return { events: Number(rows[0].events), streams: Number(rows[0].streams) };
}
