// Reading stored events back in tests: every block of event_blocks decoded (the same decoder as
// GET /api/v1/events), in write order: block id, then position in the block.
import type pg from 'pg';
import { decodeBlock } from '../../src/core/blocks.js';
import { eventId } from '../../src/core/event-blocks.js';

export interface StoredEvent {
  /** As GET /api/v1/events shows it. */
  id: string;
  block: number;
  index: number;
  tenant_id: string;
  stream: string;
  stream_type: string;
  ts: Date;
  // Parsed JSON, as the pg driver gave jsonb columns (any, so tests can index into it).
  data: any;
  metadata: any;
  received_at: Date;
  batch_key: string | null;
}

/** Stored events, optionally of one tenant and/or of blocks after `afterBlock`. */
export async function storedEvents(pool: pg.Pool, opts: { tenantId?: string; afterBlock?: number; stream?: string } = {}): Promise<StoredEvent[]> {
  const params: unknown[] = [opts.afterBlock ?? 0];
  let where = 'id > $1';
  if (opts.tenantId !== undefined) { params.push(opts.tenantId); where += ` AND tenant_id = $${params.length}`; }
  if (opts.stream !== undefined) { params.push(opts.stream); where += ` AND stream = $${params.length}`; }
  const { rows } = await pool.query<{ id: string; tenant_id: string; stream: string; stream_type: string; count: number; codec: string; payload: Buffer; received_at: Date; batch_key: string | null }>(
    `SELECT id, tenant_id, stream, stream_type, count, codec, payload, received_at, batch_key FROM event_blocks WHERE ${where} ORDER BY id`, params);
  const out: StoredEvent[] = [];
  for (const b of rows) {
    const events = decodeBlock(b.codec, b.payload);
    if (events.length !== b.count) throw new Error(`block ${b.id}: count ${b.count}, payload holds ${events.length} events`);
    events.forEach((e, index) => out.push({
      id: eventId(b.id, index), block: Number(b.id), index, tenant_id: b.tenant_id, stream: b.stream, stream_type: b.stream_type,
      ts: new Date(e.ts), data: e.data, metadata: e.metadata, received_at: b.received_at, batch_key: b.batch_key,
    }));
  }
  return out;
}

/** The greatest block id so far (0 when none). */
export async function maxBlockId(pool: pg.Pool): Promise<number> {
  const { rows } = await pool.query<{ id: string | null }>('SELECT max(id) AS id FROM event_blocks');
  return Number(rows[0].id ?? 0);
}

/** Stored events counted from the block rows (no decode). */
export async function countStored(pool: pg.Pool, where = 'true', params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(`SELECT coalesce(sum(count), 0) AS n FROM event_blocks WHERE ${where}`, params);
  return Number(rows[0].n);
}
