// Loki push in protobuf: snappy-compressed (block format) logproto.PushRequest ─► LokiStream[]
// (loki.ts maps both encodings with one code path).
//
//   bytes ─► snappy: the declared uncompressed length checked against the tenant's body limit
//     before anything is allocated (413) ─► countEntries(): entries (≤ the batch limit, 413) and
//     values counted by walking the wire format, before protobufjs materialises anything
//     ─► protobufjs decode (the messages of grafana/loki pkg/push/push.proto, as a JSON
//     descriptor: PushRequest, StreamAdapter, EntryAdapter, LabelPairAdapter,
//     google.protobuf.Timestamp) ─► LokiStream[]
//
// A malformed body is DW_ERR_MALFORMED_BODY. Pure: no I/O.
import protobuf from 'protobufjs';
import snappy from 'snappyjs';
import { DwError } from '../../src/core/errors.js';
import type { DecodeLimits } from './decode.js';
import { MAX_DECODE_VALUES } from './prescan.js';
import { checkEventCount, setOwn } from './push-events.js';
import type { LokiEntry, LokiStream } from './loki.js';

const root = protobuf.Root.fromJSON({
  nested: {
    logproto: {
      nested: {
        PushRequest: { fields: { streams: { rule: 'repeated', type: 'StreamAdapter', id: 1 }, format: { type: 'string', id: 2 } } },
        StreamAdapter: { fields: { labels: { type: 'string', id: 1 }, entries: { rule: 'repeated', type: 'EntryAdapter', id: 2 } } },
        EntryAdapter: {
          fields: {
            timestamp: { type: 'google.protobuf.Timestamp', id: 1 },
            line: { type: 'string', id: 2 },
            structuredMetadata: { rule: 'repeated', type: 'LabelPairAdapter', id: 3 },
          },
        },
        LabelPairAdapter: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
      },
    },
    google: { nested: { protobuf: { nested: { Timestamp: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } } } } } },
  },
});
const PushRequest = root.lookupType('logproto.PushRequest');

interface Long { toNumber(): number }
interface Decoded {
  streams?: { labels?: string; entries?: { timestamp?: { seconds?: number | Long; nanos?: number }; line?: string; structuredMetadata?: { name?: string; value?: string }[] }[] }[];
}

const malformed = (why: string): DwError => new DwError('DW_ERR_MALFORMED_BODY', `the body is not a snappy-compressed Loki PushRequest (${why})`);

/** Snappy (block format) with its declared length checked first: a bomb is refused before its buffer exists. */
export function unsnappy(body: Uint8Array, maxBytes: number): Uint8Array {
  try {
    return snappy.uncompress(body, maxBytes);
  } catch (err) {
    const msg = (err as Error).message;
    if (/too big/.test(msg)) throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the decompressed body exceeds ${maxBytes} bytes`);
    throw malformed(msg);
  }
}

/** A cursor over protobuf wire bytes, for counting only (malformed input stops the count; the decoder reports it). */
class Walk {
  pos: number;
  constructor(readonly b: Uint8Array, pos: number, readonly end: number) { this.pos = pos; }
  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10 && this.pos < this.end; i++) {
      const x = this.b[this.pos++];
      v += (x & 0x7f) * mul;
      if ((x & 0x80) === 0) return v;
      mul *= 128;
    }
    return -1;
  }
  /** Each field: calls `f(number, sub)` for a length-delimited one, skips the rest; false when malformed. */
  fields(f: (n: number, sub: Walk) => boolean): boolean {
    while (this.pos < this.end) {
      const tag = this.varint();
      if (tag < 0) return false;
      const wire = tag % 8;
      if (wire === 0) { if (this.varint() < 0) return false; }
      else if (wire === 1) this.pos += 8;
      else if (wire === 5) this.pos += 4;
      else if (wire === 2) {
        const len = this.varint();
        if (len < 0 || len > this.end - this.pos) return false;
        const sub = new Walk(this.b, this.pos, this.pos + len);
        this.pos += len;
        if (!f(Math.floor(tag / 8), sub)) return false;
      } else return false;
    }
    return this.pos === this.end;
  }
}

/** Entries and values (entries + structured metadata pairs) of a PushRequest, counted from its bytes against the limits. */
export function countEntries(b: Uint8Array, limits: DecodeLimits): void {
  const maxValues = limits.maxValues ?? MAX_DECODE_VALUES;
  let entries = 0;
  let values = 0;
  new Walk(b, 0, b.length).fields((n, stream) => n !== 1 || stream.fields((m, entry) => {
    if (m !== 2) return true;
    checkEventCount(++entries, limits);
    values++;
    return entry.fields((k) => {
      if (k === 3 && ++values > maxValues) throw new DwError('DW_ERR_PAYLOAD_TOO_COMPLEX', `more than ${maxValues} values in one request`, { max: maxValues });
      return true;
    });
  }));
}

const seconds = (s: number | Long | undefined): number => (s === undefined ? 0 : typeof s === 'number' ? s : s.toNumber());

/** A snappy-compressed PushRequest ─► its streams. */
export function parseLokiProtobuf(body: Uint8Array, limits: DecodeLimits & { maxBodyBytes: number }): LokiStream[] {
  const raw = unsnappy(body, limits.maxBodyBytes);
  countEntries(raw, limits);
  let msg: Decoded;
  try {
    msg = PushRequest.decode(raw) as Decoded;
  } catch (err) {
    throw malformed((err as Error).message);
  }
  return (msg.streams ?? []).map((s): LokiStream => ({
    labels: s.labels ?? '',
    entries: (s.entries ?? []).map((e): LokiEntry => {
      const t = e.timestamp;
      const ms = seconds(t?.seconds) * 1000 + Math.floor((t?.nanos ?? 0) / 1e6);
      const metadata: Record<string, string> = {};
      for (const p of e.structuredMetadata ?? []) if (p.name !== undefined && p.name !== '') setOwn(metadata, p.name, p.value ?? '');
      return { ms, line: e.line ?? '', metadata: e.structuredMetadata?.length ? metadata : undefined };
    }),
  }));
}
