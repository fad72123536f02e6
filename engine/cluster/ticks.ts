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
//     ─► js.publish(dw.events.<p>, msg id t:<p>:<last sequence scored>, expected last subject
//        sequence = that one) ─► scored in log order; refused when a message was stored on the
//        subject after it (delivered later: the ticks were decided without its events)
//        ─► ticksRefused, the next sweep decides again
//   dw.events.<p> tick message ─► detect.ts: {ts, idle: true} per stream (never stored nor counted)
//                              ─► store.ts: acked, not stored, no usage
//   a new holder (takeover, restart) ─► recallQuiet: the partition's messages of the last
//     RECALL_MS up to its checkpoint, read for their logs/traces streams' latest event time and
//     JetStream time, so a stream whose last events precede the checkpoint gets its ticks too
//     (not by a runner on the get reader, reader.ts: the recall needs a consumer; a failed recall
//     is logged, and those streams tick once they have new events)
import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { pack, unpack } from 'msgpackr';
import type { StreamType } from '../../workers/types.js';
import { tickRecord, type TickEntry } from '../transforms/idle-ticks.js';
import type { EventRecord } from '../types.js';
import type { Nats } from './nats.js';
import { decodeEvents, EVENTS_STREAM, eventsSubject, MAX_PAYLOAD_BYTES } from './partition.js';
import { TENANT_HEADER } from './publish.js';

/** How far back a new holder reads the partition for quiet streams (at most the ticks' horizon). */
export const RECALL_MS = 120_000;

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
 * holder scored). Its message id t:<p>:<after>: a publish tried again, a sweep that runs before
 * the holder has scored its own last tick message, or the same sweep of a second holder during a
 * lease overlap, is dropped by JetStream's duplicate window ('duplicate': nothing new in the log).
 * Fenced on `after`: JetStream refuses it ('refused') when the subject has a message past `after`
 * (stored since the holder's last delivery: the ticks were decided without its events, and would
 * follow them in the log with an event time that does not count them); the next sweep decides again.
 */
export async function publishTicks(nats: Nats, p: number, after: number, ticks: readonly Tick[]): Promise<'published' | 'duplicate' | 'refused'> {
  const h = headers();
  h.set(TICK_HEADER, '1');
  try {
    const ack = await nats.js.publish(eventsSubject(p), encodeTicks(ticks), { headers: h, msgID: `t:${p}:${after}`, expect: { lastSubjectSequence: after }, timeout: 5_000 });
    return ack.duplicate ? 'duplicate' : 'published';
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence) return 'refused';
    throw err;
  }
}

/**
 * The runner's sweep timer (everyMs 0: none): `sweep` every everyMs through `exclusive` (after the
 * task running now). One sweep waits at most behind a slow task: those after it would decide the same.
 */
export function sweepEvery(everyMs: number, exclusive: (fn: () => Promise<void>) => Promise<void>, sweep: () => Promise<void>, onError: (err: unknown) => void): NodeJS.Timeout | undefined {
  if (everyMs === 0) return undefined;
  let queued = false;
  return setInterval(() => {
    if (queued) return;
    queued = true;
    exclusive(() => { queued = false; return sweep(); }).catch(onError);
  }, everyMs);
}

/** A stream known only from the log before the checkpoint: what its ticks need (key: tenant \0 type \0 stream). */
export type Recalled = TickEntry & { tenantId: string };

/**
 * The logs/traces streams of partition p's messages stored since `sinceMs` (JetStream time) up to
 * sequence `upTo`: each one's latest event time and the JetStream time of its latest message.
 */
export async function recallQuiet(nats: Nats, p: number, upTo: number, sinceMs: number): Promise<Map<string, Recalled>> {
  const out = new Map<string, Recalled>();
  const c = await nats.js.consumers.get(EVENTS_STREAM, { filter_subjects: eventsSubject(p), opt_start_time: new Date(sinceMs).toISOString() });
  for (let done = false; !done;) {
    const batch = await c.fetch({ max_messages: 256, expires: 1_000 });
    let n = 0;
    for await (const m of batch) {
      n++;
      if (m.seq > upTo) { done = true; break; }
      if (isTickMessage(m.headers)) continue;
      const tenantId = m.headers?.get(TENANT_HEADER) ?? '';
      const at = Math.floor(m.info.timestampNanos / 1e6);
      for (const r of decodeEvents(m.data)) {
        if (r.streamType !== 'logs' && r.streamType !== 'traces') continue;
        const k = tenantId + '\u0000' + r.streamType + '\u0000' + r.stream;
        const e = out.get(k);
        if (e === undefined) out.set(k, { tenantId, stream: r.stream, streamType: r.streamType, lastTs: r.ts, seenAt: at, tickedAt: 0 });
        else { e.lastTs = Math.max(e.lastTs, r.ts); e.seenAt = at; }
      }
      if (m.seq === upTo) done = true;
    }
    if (n === 0) done = true;
  }
  return out;
}
