// Event blocks: one tenant's events of one write, grouped by stream, compressed. Pure (no I/O).
//
//   EventRecord[] (one write, one tenant)
//     │ group by (stream, stream_type), in arrival order
//     ▼
//   per group: payload = JSON text [[ts, data, metadata], ...] ──compress(codec)──► bytes
//     ▼
//   one COPY text line per block (BLOCK_COLUMNS) ──► service.ts (COPY event_blocks FROM STDIN)
//     + per (stream, stream_type, minute of event time): events, and for metrics the values'
//       count, sum, min, max ──► service.ts (stream_minutes and stream_totals, same transaction)
//
// A block row: tenant_id, stream, stream_type, first_ts / last_ts (the least and greatest event
// time in the block, not the first and last in order), count, batch_key (the write's
// idempotency key, or null), first_index (position of the block's first event in the write),
// codec, payload (bytea). The table adds id (a sequence: COPY order) and received_at (the
// partition key). The reader (src/core/event-blocks.ts) decodes with decodeBlock().
//
// Codec (measured with bench/blocks.bench.ts, see the README): brotli quality 1 by default; the
// codec is stored per block, so a reader decodes blocks written with any of them.
import { createHash } from 'node:crypto';
import { compress, DEFAULT_CODEC, type Codec } from '../../../src/core/blocks.js';
import type { EventRecord } from '../../types.js';
import { copyEscape } from './copy.js';

export const BLOCK_COLUMNS = ['tenant_id', 'stream', 'stream_type', 'first_ts', 'last_ts', 'count', 'batch_key', 'first_index', 'codec', 'payload'] as const;

/** The uncompressed payload of a block: a JSON array of [ts ms, data, metadata] (metadata null when absent). */
export function payloadText(records: readonly EventRecord[], idx: readonly number[]): string {
  let out = '[';
  for (let k = 0; k < idx.length; k++) {
    const r = records[idx[k]];
    out += (k === 0 ? '[' : ',[') + r.ts + ',' + r.dataJson + ',' + (r.metadataJson ?? 'null') + ']';
  }
  return out + ']';
}

/**
 * The per-minute rollup of one write, column by column (plain data: it travels through the
 * spool's msgpack): one entry per (stream, stream_type, minute of event time).
 */
export interface MinuteRollup {
  stream: string[];
  streamType: string[];
  /** Start of the minute, ms since the epoch (UTC). */
  minute: number[];
  events: number[];
  /** Metric values in the minute (0 for text streams), their sum, least and greatest (null without values). */
  values: number[];
  sum: number[];
  min: (number | null)[];
  max: (number | null)[];
  /** The greatest event time in the minute (ms): the stream's last_seen. */
  lastTs: number[];
}

const MINUTE_MS = 60_000;

/** Adds the events `idx` of one stream to `out`, one entry per minute of event time. */
export function rollupInto(out: MinuteRollup, records: readonly EventRecord[], idx: readonly number[]): void {
  const first = records[idx[0]];
  const at = new Map<number, number>();
  for (const i of idx) {
    const r = records[i];
    const m = r.ts - (((r.ts % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);
    let k = at.get(m);
    if (k === undefined) {
      k = out.minute.length;
      at.set(m, k);
      out.stream.push(first.stream); out.streamType.push(first.streamType); out.minute.push(m);
      out.events.push(0); out.values.push(0); out.sum.push(0); out.min.push(null); out.max.push(null); out.lastTs.push(r.ts);
    }
    out.events[k]++;
    if (r.ts > out.lastTs[k]) out.lastTs[k] = r.ts;
    const v = r.value;
    if (v !== undefined && Number.isFinite(v)) {
      out.values[k]++;
      out.sum[k] += v;
      const lo = out.min[k];
      const hi = out.max[k];
      if (lo === null || v < lo) out.min[k] = v;
      if (hi === null || v > hi) out.max[k] = v;
    }
  }
}

export const emptyRollup = (): MinuteRollup => ({ stream: [], streamType: [], minute: [], events: [], values: [], sum: [], min: [], max: [], lastTs: [] });

export interface BlockWrite {
  /** COPY text lines, one per block. */
  lines: string;
  /** Blocks in `lines`. */
  blocks: number;
  /**
   * sha256 (hex) of the uncompressed content: what a batch key's data is compared by on resend,
   * whatever the codec. Only computed for a keyed write (undefined without a batch key, or when
   * the caller passed hashContent false).
   */
  fingerprint: string | undefined;
  /** Events per stream and minute (and metric min/mean/max), kept in stream_minutes with the blocks. */
  rollup: MinuteRollup;
}

/**
 * Builds the COPY lines of one tenant's write: one block per (stream, stream_type), blocks in
 * the order their stream first appears, events in arrival order inside a block.
 */
export function blockLines(
  tenantId: string, records: readonly EventRecord[], batchKey: string | undefined, codec: Codec = DEFAULT_CODEC,
  /** Compute the content fingerprint (default: for a keyed write; false when the caller has its own). */
  hashContent = batchKey !== undefined,
): BlockWrite {
  const groups = new Map<string, number[]>();
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const k = r.streamType + '\u0000' + r.stream;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, [i]);
    else g.push(i);
  }
  const head = `${tenantId}\t`;
  const key = batchKey === undefined ? '\\N' : copyEscape(batchKey);
  const hash = hashContent ? createHash('sha256') : undefined;
  let lines = '';
  const rollup = emptyRollup();
  for (const idx of groups.values()) {
    rollupInto(rollup, records, idx);
    const first = records[idx[0]];
    let lo = first.ts;
    let hi = first.ts;
    for (const i of idx) {
      const t = records[i].ts;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    const text = payloadText(records, idx);
    hash?.update(first.streamType + '\u0000' + first.stream + '\u0000' + idx[0] + '\u0000').update(text);
    lines += head + copyEscape(first.stream) + '\t' + first.streamType + '\t' + new Date(lo).toISOString() + '\t' +
      new Date(hi).toISOString() + '\t' + idx.length + '\t' + key + '\t' + idx[0] + '\t' + codec + '\t\\\\x' +
      compress(codec, text).toString('hex') + '\n';
  }
  return { lines, blocks: groups.size, fingerprint: hash?.digest('hex'), rollup };
}
