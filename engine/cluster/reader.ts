// A partition's reader for the detect role's runner (detect.ts), from a sequence on:
//
//   openReader(p, seq) ─► the client's ordered consumer on dw.events.<p> (R1, recreated by the
//     client on a gap) ─► consume ─► messages in sequence order
//        its CREATE failed (timed out) ─► a get reader: STREAM.MSG.GET {seq, next_by_subj} one
//        message after the other (a poll every POLL_MS at the end), for GET_READER_MS, then its
//        messages end and the runner starts again from its checkpoint: a consumer is tried again
//
// Why the get reader: after a JetStream node is SIGKILLed, nats-server 2.9 may leave consumer
// CREATE unanswered for minutes (every request timed out for 116 s for one partition in
// test/cluster/node-kill, the killed peer not yet marked offline; R3 consumers the same), while the
// stream's new leader answers at once. A runner that restarts then (a stalled consumer, a failed
// publish) failed again and again, its checkpoint short of its subject's last message all that time.
import type { ConsumerMessages } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Nats } from './nats.js';
import { EVENTS_STREAM, eventsSubject } from './partition.js';

/** How long a get reader reads before its runner tries a consumer again. */
export const GET_READER_MS = 60_000;
/** A get reader at the end of its subject asks again after this long. */
const POLL_MS = 250;

/** A message of dw.events.<p>: its sequence, headers, payload, JetStream time (ms), and whether more are known to follow. */
export interface PartitionMsg { seq: number; headers: MsgHdrs | undefined; data: Uint8Array; at: number; pending: boolean }

export interface Reader {
  readonly kind: 'consumer' | 'get';
  /** The messages from the start sequence on, in order; ends after stop() (a get reader: also after GET_READER_MS). */
  messages(): AsyncIterable<PartitionMsg>;
  stop(): void;
}

/** Partition p's messages from sequence `seq` on: an ordered consumer, or a get reader when none can be created. */
export async function openReader(nats: Nats, p: number, seq: number, onFallback: (err: unknown) => void, getMs = GET_READER_MS): Promise<Reader> {
  try {
    const c = await nats.js.consumers.get(EVENTS_STREAM, { filter_subjects: eventsSubject(p), opt_start_seq: seq });
    return consumerReader(await c.consume({ max_messages: 256 }));
  } catch (err) {
    onFallback(err);
    return getReader(nats, p, seq, getMs);
  }
}

function consumerReader(it: ConsumerMessages): Reader {
  return {
    kind: 'consumer',
    stop: () => it.stop(),
    async* messages() {
      for await (const m of it) yield { seq: m.seq, headers: m.headers, data: m.data, at: Math.floor(m.info.timestampNanos / 1e6), pending: m.info.pending > 0 };
    },
  };
}

/** Reads by STREAM.MSG.GET (the stream leader answers; no consumer), for `ms`. */
export function getReader(nats: Nats, p: number, seq: number, ms: number): Reader {
  let stopped = false;
  let wake: (() => void) | undefined;
  return {
    kind: 'get',
    stop: () => { stopped = true; wake?.(); },
    async* messages() {
      const until = Date.now() + ms;
      for (let next = seq; !stopped && Date.now() < until;) {
        // next_by_subj: the first message of the subject at or after `next` (the API has it; the client's type does not).
        const m = await nats.jsm.streams.getMessage(EVENTS_STREAM, { seq: next, next_by_subj: eventsSubject(p) } as unknown as { seq: number });
        if (m === null) {
          await new Promise<void>((r) => { wake = r; setTimeout(r, POLL_MS); });
          continue;
        }
        next = m.seq + 1;
        // pending: unknown here; the runner's idle ticks ask the subject's last sequence themselves.
        yield { seq: m.seq, headers: m.header, data: m.data, at: m.time.getTime(), pending: true };
      }
    },
  };
}
