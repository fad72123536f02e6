// Reading events back from their compressed blocks (schema.sql event_blocks; written by
// engine/sinks/postgres/blocks.ts). Used by GET /api/v1/events and the dashboard.
//
//   filters (tenant, stream, stream_type, since, until, cursor)
//     │ SELECT blocks that can hold a match, greatest last_ts first, CHUNK at a time
//     │ (payloads over INLINE_PAYLOAD_BYTES fetched one at a time, when their turn comes)
//     ▼
//   decompress each block on the thread pool (zlib async) ─► parse ─► keep its matching events
//     │ stop once offset + limit events are held and no block left can hold a later one
//     │ (the next block's last_ts is below the (offset + limit)-th ts held), or once
//     │ maxDecodedBytes are decompressed: then only the events no undecoded block can precede
//     ▼ are placed, and the page ends early
//   events[offset .. offset + limit), cut at maxResponseBytes of event JSON (each event counted
//   as its share of its block's decoded bytes, plus the answer's fields);
//   next_cursor = the last one's key when the page is full or ended early
//
// Bounds per request (GET /api/v1/events, issue 12): decompressed bytes (maxDecodedBytes, the
// decode work and about the memory held) and the events' JSON in the answer
// (maxResponseBytes). A page that would pass either ends early with next_cursor; one that ended
// before its offset was used up (a deep offset over large events) carries no events, a
// next_cursor and next_offset: the offset still to skip after that cursor. Every page places at
// least one event (or consumes part of the offset), so following next_cursor always advances.
//
// Order: event time, newest first; ties by block id (the order blocks were written) and then by
// position in the block, newest first: a total order, so pages neither skip nor repeat an event
// across block boundaries. An event's id is `<block id>-<index>`; a cursor is `<ts>_<block id>_<index>`
// and selects the events strictly after it in that order.
import type pg from 'pg';
import { decompressAsync, parseBlock } from './blocks.js';
import { DwError } from './errors.js';

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

/** Years 1..9999: the times whose ISO form PostgreSQL parses (a cursor we never issued may name any). */
const MIN_TS = -62_135_596_800_000;
const MAX_TS = 253_402_300_799_999;

export const eventId = (blockId: number | string, index: number): string => `${blockId}-${index}`;
const cursorOf = (k: Key): string => `${k.ts}_${k.block}_${k.index}`;
function parseCursor(c: string): Key {
  const [ts, block, index] = c.split('_').map(Number);
  return { ts, block, index };
}

/** Descending order: negative when a comes first. */
const cmpDesc = (a: Key, b: Key): number => (b.ts - a.ts) || (b.block - a.block) || (b.index - a.index);

/** Payloads up to this size come with the chunk's rows; larger ones are fetched alone when decoded. */
const INLINE_PAYLOAD_BYTES = 256 * 1024;

/** Per-request bounds of a listing. */
export interface ReadBounds {
  /** Decompressed block bytes one request may decode (at least one block is always decoded). */
  maxDecodedBytes: number;
  /** JSON bytes of the events one page may carry (at least one event always goes). */
  maxResponseBytes: number;
}

export const DEFAULT_READ_BOUNDS: Readonly<ReadBounds> = Object.freeze({ maxDecodedBytes: 32 * 1024 * 1024, maxResponseBytes: 8 * 1024 * 1024 });

interface BlockRow {
  id: string; stream: string; stream_type: string; last_ts: Date; last_ts_text: string; count: number; codec: string;
  payload: Buffer | null; size: number; received_at: Date;
}

interface Held extends Key { row: BlockRow; data: unknown; metadata: unknown; size: number }

export interface EventPage {
  events: EventOut[];
  next_cursor?: string;
  /** With next_cursor, when the page ended before the offset was used up: the offset still to skip. */
  next_offset?: number;
  /** Decompressed bytes this page decoded (not part of the answer; for tests and benches). */
  decodedBytes: number;
}

const COLUMNS = `id, stream, stream_type, last_ts, last_ts::text AS last_ts_text, count, codec, received_at, octet_length(payload) AS size,
  CASE WHEN octet_length(payload) <= ${INLINE_PAYLOAD_BYTES} THEN payload END AS payload`;

/** One page of a tenant's events, newest first; `next_cursor` when the page is full or ended early. */
export async function listEvents(db: pg.Pool, tenantId: string, q: EventQuery, bounds: ReadBounds = DEFAULT_READ_BOUNDS): Promise<EventPage> {
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
  if (after !== undefined) add('first_ts <= ?::timestamptz', new Date(Math.min(MAX_TS, Math.max(MIN_TS, after.ts))).toISOString());
  const base = where.join(' AND ');
  const n = params.length;

  const held: Held[] = [];
  let decoded = 0;
  // The first block left undecoded when the decode bound stopped the listing: events it or a
  // later block could hold come after it in the order, so only those before it are placed.
  let frontier: Key | undefined;
  // The last block fetched, its last_ts as PostgreSQL's text (microseconds kept) for the next chunk.
  let prev: { lastTs: string; id: string } | undefined;
  scan: for (;;) {
    const page = prev === undefined
      ? await db.query<BlockRow>(`SELECT ${COLUMNS} FROM event_blocks WHERE ${base} ORDER BY last_ts DESC, id DESC LIMIT ${CHUNK}`, params)
      : await db.query<BlockRow>(
        `SELECT ${COLUMNS} FROM event_blocks
          WHERE ${base} AND (last_ts, id) < ($${n + 1}::timestamptz, $${n + 2}::bigint) ORDER BY last_ts DESC, id DESC LIMIT ${CHUNK}`,
        [...params, prev.lastTs, prev.id]);
    for (const row of page.rows) {
      if (decoded >= bounds.maxDecodedBytes) {
        const edge: Key = { ts: row.last_ts.getTime(), block: Number(row.id), index: Infinity };
        // Stop here if what is held already places an event (or uses up some of the offset).
        if (held.some((h) => cmpDesc(h, edge) < 0)) { frontier = edge; break scan; }
        // Blocks overlapping in time around a cursor or `until` can hold back every event: give up
        // at a hard ceiling rather than decode without bound.
        if (decoded >= HARD_DECODE_FACTOR * bounds.maxDecodedBytes) {
          throw new DwError('DW_ERR_READ_TOO_LARGE', `no event could be placed within ${HARD_DECODE_FACTOR * bounds.maxDecodedBytes} decoded bytes: the blocks around this position overlap in time; narrow the query with stream, since or until`);
        }
      }
      const block = Number(row.id);
      const payload = row.payload ?? await payloadOf(db, tenantId, row);
      const text = await decompressAsync(row.codec, payload, MAX_BLOCK_BYTES);
      decoded += text.length;
      const events = parseBlock(text.toString('utf8'));
      row.payload = null;
      // An event's share of its block's JSON, plus the fields the answer adds: the response bound
      // is counted with it (stringifying each event to measure it would double the work).
      const size = Math.ceil(text.length / Math.max(1, events.length)) + EVENT_ENVELOPE_BYTES;
      for (let index = 0; index < events.length; index++) {
        const e = events[index];
        if (e.ts < since || e.ts >= until) continue;
        const h: Held = { ts: e.ts, block, index, row, data: e.data, metadata: e.metadata, size };
        if (after !== undefined && cmpDesc(h, after) <= 0) continue;
        held.push(h);
      }
      if (held.length >= 2 * need) {
        held.sort(cmpDesc);
        held.length = need;
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
  return pageOf(held, q, frontier, bounds, decoded);
}

/** The page from the events held (sorted): placed ones only past a frontier, cut at the response bound. */
function pageOf(held: Held[], q: EventQuery, frontier: Key | undefined, bounds: ReadBounds, decoded: number): EventPage {
  const need = q.offset + q.limit;
  if (frontier !== undefined) {
    const placed = held.findIndex((h) => cmpDesc(h, frontier) >= 0);
    if (placed >= 0) held.length = placed;
    if (held.length > need) held.length = need;
    // The decode bound ran out before the offset was used up: skip what is placed, say how much is left.
    if (held.length <= q.offset) {
      return { events: [], next_cursor: cursorOf(held[held.length - 1]), next_offset: q.offset - held.length, decodedBytes: decoded };
    }
  }
  const page = held.slice(q.offset, need);
  const events: EventOut[] = [];
  let bytes = 0;
  for (const h of page) {
    const e: EventOut = {
      id: eventId(h.row.id, h.index), stream: h.row.stream, stream_type: h.row.stream_type,
      timestamp: new Date(h.ts).toISOString(), data: h.data, metadata: h.metadata, received_at: h.row.received_at.toISOString(),
    };
    bytes += h.size;
    if (bytes > bounds.maxResponseBytes && events.length > 0) break;
    events.push(e);
  }
  const ended = events.length < page.length || (frontier !== undefined && events.length > 0);
  return events.length === q.limit || ended ? { events, next_cursor: cursorOf(page[events.length - 1]), decodedBytes: decoded } : { events, decodedBytes: decoded };
}

/** How far past maxDecodedBytes a listing may decode while it has placed nothing yet. */
const HARD_DECODE_FACTOR = 4;

/** The largest block payload a reader decompresses (the engine writes far smaller ones). */
const MAX_BLOCK_BYTES = 512 * 1024 * 1024 - 64;

/** The payload of a block too large to come with its chunk, fetched alone (its partition by received_at). */
async function payloadOf(db: pg.Pool, tenantId: string, row: BlockRow): Promise<Buffer> {
  const { rows } = await db.query<{ payload: Buffer }>(
    'SELECT payload FROM event_blocks WHERE tenant_id = $1 AND id = $2 AND received_at = $3', [tenantId, row.id, row.received_at]);
  return rows[0].payload;
}

/** The JSON an answer adds around an event's data and metadata (id, stream, times, keys). */
const EVENT_ENVELOPE_BYTES = 160;

/** A tenant's stored events and distinct streams (a sum over block rows, not a decode). */
export async function eventTotals(db: pg.Pool, tenantId: string): Promise<{ events: number; streams: number }> {
  const { rows } = await db.query<{ events: string; streams: string }>(
    'SELECT coalesce(sum(count), 0) AS events, count(DISTINCT stream) AS streams FROM event_blocks WHERE tenant_id = $1', [tenantId]);
  return { events: Number(rows[0].events), streams: Number(rows[0].streams) };
}
