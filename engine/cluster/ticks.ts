// Idle ticks of the detect role (issue 11 in the cluster; docs/scaling.md): the partition's lease
// holder publishes them as a message on dw.events.<p>, so they are in the log, scored in order and
// replayed from a checkpoint like any event (same state, findings with ids of (sequence, index)).
//
//   runner (detect.ts), every STREAM_IDLE_TICK_MS ─► pickTicks (transforms/idle-ticks.ts) over its
//     streams: logs/traces quiet for ≥ everyMs and ≤ horizonMs by the holder's clock since the
//     JetStream time of the message that carried the stream's latest events (the log's clock, the
//     same for every holder replaying it), at most maxPerSweep
//     ─► one tick message: header dw-tick, payload [tenant, stream, type, ts][], tick ts = the
//        stream's latest event time + (now − that JetStream time)
//        none while the holder is behind (the last message delivered had more pending: its streams
//        may only look quiet)
//     ─► js.publish(dw.events.<p>, msg id t:<p>:<last sequence scored>) ─► scored in log order
//   dw.events.<p> tick message ─► detect.ts: {ts, idle: true} per stream (never stored nor counted)
//                              ─► store.ts: acked, not stored, no usage
import { headers } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import type { StreamType } from '../../workers/types.js';
import { tickRecord, type TickEntry } from '../transforms/idle-ticks.js';
import type { EventRecord } from '../types.js';
import type { Nats } from './nats.js';
import { eventsSubject, MAX_PAYLOAD_BYTES } from './partition.js';

/** Header of a tick message on dw.events.<p> (its payload is not events). */
export const TICK_HEADER = 'dw-tick';

export const isTickMessage = (h: { get(k: string): string } | undefined): boolean => h !== undefined && h.get(TICK_HEADER) !== '';

export interface Tick { tenantId: string; stream: string; streamType: StreamType; ts: number }

type Wire = [string, string, StreamType, number];

export function encodeTicks(ticks: readonly Tick[]): Uint8Array {
  return pack(ticks.map((t): Wire => [t.tenantId, t.stream, t.streamType, t.ts]));
}

/** A tick message's records: each with its tenant and the idle record the scorer takes (idle-ticks.ts tickRecord). */
export function decodeTicks(payload: Uint8Array): { tenantId: string; record: EventRecord }[] {
  return (unpack(payload) as Wire[]).map(([tenantId, stream, streamType, ts]) => ({ tenantId, record: tickRecord({ stream, streamType } as TickEntry, ts) }));
}

/** Ticks of due streams, cut where the message would pass MAX_PAYLOAD_BYTES (the rest wait for the next sweep). */
export function tickBatch<E extends TickEntry & { tenantId: string }>(due: readonly { entry: E; ts: number }[]): { entry: E; tick: Tick }[] {
  const out: { entry: E; tick: Tick }[] = [];
  let size = 16;
  for (const { entry, ts } of due) {
    size += 32 + (entry.tenantId.length + entry.stream.length) * 3;
    if (size > MAX_PAYLOAD_BYTES) break;
    out.push({ entry, tick: { tenantId: entry.tenantId, stream: entry.stream, streamType: entry.streamType, ts } });
  }
  return out;
}

/**
 * Publishes the ticks on the partition's subject, decided after sequence `after` (the last one the
 * holder scored). Its message id t:<p>:<after>: a publish tried again, or the same sweep of a
 * second holder during a lease overlap, is dropped by JetStream's duplicate window.
 */
export async function publishTicks(nats: Nats, p: number, after: number, ticks: readonly Tick[]): Promise<void> {
  const h = headers();
  h.set(TICK_HEADER, '1');
  await nats.js.publish(eventsSubject(p), encodeTicks(ticks), { headers: h, msgID: `t:${p}:${after}`, timeout: 5_000 });
}
