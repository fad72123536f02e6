// Event blocks: one tenant's events of one write, grouped by stream, compressed. Pure (no I/O).
//
//   EventRecord[] (one write, one tenant)
//     │ group by (stream, stream_type), in arrival order
//     ▼
//   per group: payload = JSON text [[ts, data, metadata], ...] ──compress(codec)──► bytes
//     ▼
//   one COPY text line per block (BLOCK_COLUMNS) ──► service.ts (COPY event_blocks FROM STDIN)
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
  for (const idx of groups.values()) {
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
  return { lines, blocks: groups.size, fingerprint: hash?.digest('hex') };
}
