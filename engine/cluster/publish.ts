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
import { encodeEvents, eventMessageId, eventsSubject, splitBatch } from './partition.js';

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
