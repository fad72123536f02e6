// Event blocks: a tenant's events grouped by stream, compressed. Pure (no I/O).
//
//   EventRecord[] (one write, one tenant)
//     │ blockParts: group by (stream, stream_type), in arrival order; per group the JSON text
//     │ [ts, data, metadata],... (not compressed), time range, count; the write's fingerprint
//     ▼
//   ingest.ts ──SinkWrite.parts──► service.ts, at the group commit, the fresh writes:
//     mergedBlockLines: one block per (tenant, stream, stream_type) over the group's writes,
//     payload = '[' + parts joined + ']' ──compress(codec)──► one COPY text line per block
//   (blockLines: the merge of one write on its own, compressed at once: the spool's path, the
//   cluster's store role)
//     + per (stream, stream_type, minute of event time): events, and for metrics the values'
//       count, sum, min, max ──► service.ts (stream_minutes and stream_totals, same transaction)
//
// A block row: tenant_id, stream, stream_type, first_ts / last_ts (the least and greatest event
// time in the block, not the first and last in order), count, batch_key (the idempotency key of
// the write the block's first event came from, or null), first_index (that event's position in
// its write), codec, payload (bytea). The table adds id (a sequence: COPY order) and received_at
// (the partition key). The reader (src/core/event-blocks.ts) decodes with decodeBlock().
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
 * One stream's events of one write, not compressed yet: what a write hands the sink so that the
 * sink can put the same stream's events of several writes of one group commit into one block
 * (mergedBlockLines). Plain data (it travels through the spool's msgpack).
 */
export interface BlockPart {
  stream: string;
  streamType: string;
  /** Least and greatest event time (ms). */
  lo: number;
  hi: number;
  count: number;
  /** Position of the part's first event in its write. */
  firstIndex: number;
  /** The events as JSON array elements, without the enclosing brackets: `[ts,data,meta],[...]`. */
  text: string;
}

export interface BlockParts {
  parts: BlockPart[];
  /** As BlockWrite.fingerprint (the same value blockLines gives for the same write). */
  fingerprint: string | undefined;
  rollup: MinuteRollup;
}

/**
 * One tenant's write cut into one part per (stream, stream_type), parts in the order their stream
 * first appears, events in arrival order inside a part; nothing compressed.
 */
export function blockParts(
  records: readonly EventRecord[],
  /** Compute the content fingerprint (for a keyed write without one of its own). */
  hashContent: boolean,
): BlockParts {
  // By stream, then stream type (no key string built per event); groups in first-appearance order.
  const byStream = new Map<string, { streamType: string; idx: number[] }[]>();
  const groups: number[][] = [];
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    const gs = byStream.get(r.stream);
    const g = gs === undefined ? undefined : gs.length === 1 ? (gs[0].streamType === r.streamType ? gs[0] : undefined) : gs.find((x) => x.streamType === r.streamType);
    if (g !== undefined) { g.idx.push(i); continue; }
    const n = { streamType: r.streamType, idx: [i] };
    if (gs === undefined) byStream.set(r.stream, [n]);
    else gs.push(n);
    groups.push(n.idx);
  }
  const hash = hashContent ? createHash('sha256') : undefined;
  const parts: BlockPart[] = [];
  const rollup = emptyRollup();
  for (const idx of groups) {
    rollupInto(rollup, records, idx);
    const first = records[idx[0]];
    let lo = first.ts;
    let hi = first.ts;
    let text = '';
    for (let k = 0; k < idx.length; k++) {
      const r = records[idx[k]];
      const t = r.ts;
      if (t < lo) lo = t;
      if (t > hi) hi = t;
      text += (k === 0 ? '[' : ',[') + t + ',' + r.dataJson + ',' + (r.metadataJson ?? 'null') + ']';
    }
    // The same bytes blockLines hashed (payloadText = '[' + text + ']'): a resend fingerprints alike.
    // (Fed in three updates: the same bytes, without a flattened copy of the whole part.)
    hash?.update(first.streamType + '\u0000' + first.stream + '\u0000' + idx[0] + '\u0000').update('[').update(text).update(']');
    parts.push({ stream: first.stream, streamType: first.streamType, lo, hi, count: idx.length, firstIndex: idx[0], text });
  }
  return { parts, fingerprint: hash?.digest('hex'), rollup };
}

/** The COPY line of one block. */
function blockLine(tenantId: string, stream: string, streamType: string, lo: number, hi: number, count: number, key: string, firstIndex: number, codec: Codec, text: string): string {
  return tenantId + '\t' + copyEscape(stream) + '\t' + streamType + '\t' + new Date(lo).toISOString() + '\t' +
    new Date(hi).toISOString() + '\t' + count + '\t' + key + '\t' + firstIndex + '\t' + codec + '\t\\\\x' +
    compress(codec, text).toString('hex') + '\n';
}

/** The COPY text of a batch key (null: \N). */
const keyText = (batchKey: string | undefined): string => (batchKey === undefined ? '\\N' : copyEscape(batchKey));

/**
 * Builds the COPY lines of one tenant's write: one block per (stream, stream_type), blocks in
 * the order their stream first appears, events in arrival order inside a block.
 */
export function blockLines(
  tenantId: string, records: readonly EventRecord[], batchKey: string | undefined, codec: Codec = DEFAULT_CODEC,
  /** Compute the content fingerprint (default: for a keyed write; false when the caller has its own). */
  hashContent = batchKey !== undefined,
): BlockWrite {
  const { parts, fingerprint, rollup } = blockParts(records, hashContent);
  // The merge of one write: its parts are of distinct streams, so each is a block of its own.
  const { lines, blocks } = mergedBlockLines([{ tenantId, batchKey, lines: '', parts }], codec);
  return { lines: lines.join(''), blocks, fingerprint, rollup };
}

/** A write as mergedBlockLines takes it: its tenant, key, and either its parts or its prebuilt lines. */
export interface MergeInput {
  readonly tenantId: string;
  readonly batchKey?: string;
  readonly lines: string;
  readonly parts?: readonly BlockPart[];
}

/**
 * The COPY lines of a group commit's fresh writes, with the parts of one (tenant, stream,
 * stream_type) merged into one block: events in the writes' order, then arrival order. A block
 * sits where its first part's write sits (blocks are numbered in COPY order), and carries that
 * write's batch key and first_index. A write with prebuilt lines (no parts: the cluster's store,
 * a spool entry of an earlier version) closes its tenant's open blocks, so that a stream's later
 * events never land in a block numbered before its earlier ones.
 */
export function mergedBlockLines(writes: readonly MergeInput[], codec: Codec = DEFAULT_CODEC): { lines: string[]; blocks: number } {
  const out = mergedBlocks(writes);
  let blocks = 0;
  const lines = out.map((b) => {
    if (typeof b === 'string') return b;
    blocks++;
    return openBlockLine(b, codec);
  });
  return { lines, blocks };
}

/**
 * mergedBlockLines, giving the event loop back between blocks once `sliceMs` has passed since it
 * last did (setImmediate): a group of 10,000 events is compressed in a few slices, and other
 * tenants' PostgreSQL replies and frames are handled between them. Same lines, same order.
 */
export async function mergedBlockLinesSliced(writes: readonly MergeInput[], sliceMs: number, codec: Codec = DEFAULT_CODEC): Promise<{ lines: string[]; blocks: number }> {
  const out = mergedBlocks(writes);
  let blocks = 0;
  const lines: string[] = [];
  let since = performance.now();
  for (const b of out) {
    if (typeof b === 'string') { lines.push(b); continue; }
    if (performance.now() - since >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      since = performance.now();
    }
    blocks++;
    lines.push(openBlockLine(b, codec));
  }
  return { lines, blocks };
}

interface OpenBlock { tenantId: string; stream: string; streamType: string; lo: number; hi: number; count: number; key: string; firstIndex: number; texts: string[] }

const openBlockLine = (b: OpenBlock, codec: Codec): string =>
  blockLine(b.tenantId, b.stream, b.streamType, b.lo, b.hi, b.count, b.key, b.firstIndex, codec, '[' + b.texts.join(',') + ']');

/** The blocks of mergedBlockLines before compression (prebuilt lines as strings), in COPY order. */
function mergedBlocks(writes: readonly MergeInput[]): (OpenBlock | string)[] {
  const out: (OpenBlock | string)[] = [];
  const open = new Map<string, OpenBlock>();
  for (const w of writes) {
    if (w.parts === undefined) {
      const prefix = w.tenantId + '\u0000';
      for (const k of [...open.keys()]) if (k.startsWith(prefix)) open.delete(k);
      if (w.lines.length > 0) out.push(w.lines);
      continue;
    }
    for (const p of w.parts) {
      const k = w.tenantId + '\u0000' + p.streamType + '\u0000' + p.stream;
      const b = open.get(k);
      if (b === undefined) {
        const n: OpenBlock = { tenantId: w.tenantId, stream: p.stream, streamType: p.streamType, lo: p.lo, hi: p.hi, count: p.count, key: keyText(w.batchKey), firstIndex: p.firstIndex, texts: [p.text] };
        open.set(k, n);
        out.push(n);
      } else {
        if (p.lo < b.lo) b.lo = p.lo;
        if (p.hi > b.hi) b.hi = p.hi;
        b.count += p.count;
        b.texts.push(p.text);
      }
    }
  }
  return out;
}

/** The size a write's COPY lines count for in the sink's byte bounds (its parts' text when not built yet). */
export function linesSize(w: { readonly lines: string; readonly parts?: readonly BlockPart[] }): number {
  if (w.parts === undefined) return w.lines.length;
  let n = w.lines.length;
  for (const p of w.parts) n += p.text.length;
  return n;
}
