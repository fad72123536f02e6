// Partitions and messages of the cluster (issue 15). Pure: no I/O.
//
//   EventRecord[] of one tenant's batch ─► partitionOf(tenant, stream) ─► per partition, in batch order
//     ─► chunks of at most MAX_PAYLOAD_BYTES ─► encodeEvents ─► JetStream dw.events.<p>, msg id <batch>:<p>:<n>
//   dw.events.<p> message ─► decodeEvents ─► EventRecord[] (store role: blocks + COPY; detect role: scoring)
//   findings ─► anomalyId(tenant, stream, sequence, index, detector): the same id when a replay scores again
//
// PARTITIONS is fixed: a stream's partition must not change while its events are in JetStream
// (docs/scaling.md). FNV-1a over tenant + NUL + stream key, so it is the same in every process.
import { createHash } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { encodeAnomalyMessage } from '../../src/core/anomaly-feed.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { EventRecord } from '../types.js';
import type { StreamType } from '../../workers/types.js';

/** Partitions of the events and anomalies subjects (dw.events.0 … dw.events.15). Fixed. */
export const PARTITIONS = 16;
/** A NATS message carries at most 1 MB (the server's default max_payload); a chunk's payload stays under this. */
export const MAX_PAYLOAD_BYTES = 900_000;

export const EVENTS_STREAM = 'DW_EVENTS';
export { ANOMALIES_STREAM, anomaliesSubject } from '../../src/core/anomaly-feed.js';
export const eventsSubject = (p: number): string => `dw.events.${p}`;

/** The partition of a stream: FNV-1a 32 of `tenant \0 stream` modulo PARTITIONS. */
export function partitionOf(tenantId: string, stream: string): number {
  let h = 0x811c9dc5;
  const s = tenantId + '\u0000' + stream;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h % PARTITIONS;
}

/** Bytes a record takes in a message, roughly (the chunking bound; msgpack is never larger than this). */
const approxBytes = (r: EventRecord): number =>
  64 + r.stream.length * 3 + r.dataJson.length * 3 + (r.metadataJson?.length ?? 0) * 3 + (r.text?.length ?? 0) * 3;

export interface EventChunk {
  partition: number;
  /** Its index among the partition's chunks of this batch (the message id's <n>). */
  n: number;
  records: EventRecord[];
}

/** A batch split by partition (batch order kept inside each), each partition in chunks under MAX_PAYLOAD_BYTES. */
export function splitBatch(tenantId: string, records: readonly EventRecord[], maxBytes = MAX_PAYLOAD_BYTES): EventChunk[] {
  const byPartition = new Map<number, EventRecord[]>();
  for (const r of records) {
    const p = partitionOf(tenantId, r.stream);
    const list = byPartition.get(p);
    if (list === undefined) byPartition.set(p, [r]);
    else list.push(r);
  }
  const out: EventChunk[] = [];
  for (const [partition, list] of [...byPartition].sort((a, b) => a[0] - b[0])) {
    let n = 0;
    let cur: EventRecord[] = [];
    let size = 0;
    for (const r of list) {
      const b = approxBytes(r);
      if (cur.length > 0 && size + b > maxBytes) {
        out.push({ partition, n: n++, records: cur });
        cur = [];
        size = 0;
      }
      cur.push(r);
      size += b;
    }
    if (cur.length > 0) out.push({ partition, n, records: cur });
  }
  return out;
}

type Wire = [string, StreamType, number, string, string | null, boolean, string | null, number | null, number];

export function encodeEvents(records: readonly EventRecord[]): Uint8Array {
  return pack(records.map((r): Wire => [r.stream, r.streamType, r.ts, r.dataJson, r.metadataJson, r.explicitStream, r.text ?? null, r.value ?? null, r.bytes]));
}

export function decodeEvents(payload: Uint8Array): EventRecord[] {
  const rows = unpack(payload) as Wire[];
  return rows.map(([stream, streamType, ts, dataJson, metadataJson, explicitStream, text, value, bytes]) => ({
    stream, streamType, ts, dataJson, metadataJson, explicitStream, text: text ?? undefined, value: value ?? undefined, bytes,
  }));
}

/** The findings of one message (src/core/anomaly-feed.ts: the control API's live feed decodes the same payload). */
export function encodeAnomalies(rows: readonly AnomalyRow[]): Uint8Array {
  return encodeAnomalyMessage(rows);
}

export function decodeAnomalies(payload: Uint8Array): AnomalyRow[] {
  return unpack(payload) as AnomalyRow[];
}

/** A finding's id: a UUID-shaped sha256 of (tenant, stream, JetStream sequence, event index in the message, detector). */
export function anomalyId(tenantId: string, stream: string, sequence: number, index: number, detector: string): string {
  const h = createHash('sha256').update(`${tenantId}\u0000${stream}\u0000${sequence}\u0000${index}\u0000${detector}`).digest('hex');
  // Version nibble 8 (custom, RFC 9562) and the variant bits, so PostgreSQL's uuid type takes it.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The message id of a batch's chunk: `<batch key>:<partition>:<n>`. */
export const eventMessageId = (batchKey: string, c: EventChunk): string => `${batchKey}:${c.partition}:${c.n}`;

/** Roles of an engine with NATS_URL. */
export interface Roles { ingest: boolean; detect: boolean; store: boolean }

export function parseRoles(s: string): Roles {
  const list = s.split(',').map((x) => x.trim());
  return { ingest: list.includes('ingest'), detect: list.includes('detect'), store: list.includes('store') };
}
