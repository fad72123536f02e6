// Ingest role (issue 15): an admitted, decoded batch goes to JetStream instead of the local sinks.
//
//   ingest.ts #store ─► publishBatch(tenant, records, bytes, batchKey)
//     ─► splitBatch (partition.ts: by stream, chunks < 1 MB) ─► js.publish(dw.events.<p>,
//        headers dw-tenant / dw-bytes, msgID <batch key>:<p>:<n>) for every chunk at once
//     ─► every publish ack (a quorum of replicas in a cluster) ─► { accepted, duplicate }
//        one failed ─► DW_ERR_UNAVAILABLE (the batch is nacked; its resend keeps the same message
//        ids: JetStream drops what it has inside its duplicate window, the store role's batch keys after)
//   JetStream unreachable for UNREACHABLE_AFTER_MS (nats.ts) ─► 'unreachable': ingest.ts stores the
//   batch locally (spool, PostgreSQL) as a single process does, and scores it there.
import { randomUUID } from 'node:crypto';
import { headers } from '@nats-io/transport-node';
import { DwError } from '../../src/core/errors.js';
import type { EventRecord } from '../types.js';
import { UNREACHABLE_AFTER_MS, type Nats } from './nats.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import { anomaliesSubject, encodeAnomalies, encodeEvents, eventMessageId, eventsSubject, MAX_PAYLOAD_BYTES, splitBatch } from './partition.js';

export interface PublishResult { accepted: number; duplicate: boolean }

/** Header names of an events message. */
export const TENANT_HEADER = 'dw-tenant';
export const BYTES_HEADER = 'dw-bytes';

export const publishBatch = (nats: Nats, timeoutMs = 10_000) =>
  async function publishBatch(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined): Promise<PublishResult | 'unreachable'> {
    if (!nats.connected && nats.downForMs() >= UNREACHABLE_AFTER_MS) return 'unreachable';
    // A batch without a key gets one: its chunks still need ids (a resend of it is a new batch, as without NATS).
    const key = batchKey ?? randomUUID();
    const chunks = splitBatch(tenantId, records);
    let duplicates = 0;
    try {
      await Promise.all(chunks.map(async (c) => {
        const h = headers();
        h.set(TENANT_HEADER, tenantId);
        // The batch's bytes are counted (usage) once: on its first chunk.
        h.set(BYTES_HEADER, String(c === chunks[0] ? bytes : 0));
        const ack = await nats.js.publish(eventsSubject(c.partition), encodeEvents(c.records), { msgID: eventMessageId(key, c), headers: h, timeout: timeoutMs });
        if (ack.duplicate) duplicates++;
      }));
    } catch (err) {
      if (!nats.connected && nats.downForMs() >= UNREACHABLE_AFTER_MS) return 'unreachable';
      throw new DwError('DW_ERR_UNAVAILABLE', `the batch was not acknowledged by JetStream (${(err as Error).message}); resend it with the same batch key`);
    }
    return { accepted: records.length, duplicate: duplicates === chunks.length };
  };

/**
 * Detect role: a tenant's findings of the message at `seq` on dw.anomalies.<p>, in chunks under
 * MAX_PAYLOAD_BYTES, each with its message id a:<seq>:<n> (from n on). Returns the acks (settled:
 * a failure goes to onError) and the next n.
 */
export function publishFindings(nats: Nats, p: number, tenantId: string, rows: AnomalyRow[], seq: number, n: number, onError: (err: Error) => void): { acks: Promise<void>[]; next: number } {
  rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const acks: Promise<void>[] = [];
  const bytes = (r: AnomalyRow): number => r.eventJson.length * 3 + r.explanation.length * 3 + 512;
  for (let i = 0; i < rows.length;) {
    let size = 0;
    let j = i;
    while (j < rows.length && (j === i || size + bytes(rows[j]) < MAX_PAYLOAD_BYTES)) size += bytes(rows[j++]);
    const h = headers();
    h.set(TENANT_HEADER, tenantId);
    acks.push(nats.js.publish(anomaliesSubject(p), encodeAnomalies(rows.slice(i, j)), { msgID: `a:${seq}:${n++}`, headers: h })
      .then(() => undefined, (err: unknown) => onError(err instanceof Error ? err : new Error(String(err)))));
    i = j;
  }
  return { acks, next: n };
}
