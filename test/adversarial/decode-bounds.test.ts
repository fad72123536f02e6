// High 2 (issue 12): a body over its limits is refused from its bytes, before anything is
// materialised. A 14 MiB msgpack array of 15 M empty maps took 9.6 s and +1 GB to decode before
// the count was checked; now the array header is read and the body refused unread. Timings are
// measured in bench/decode-bounds.bench.ts; here: the refusal, its code, and that nothing was allocated.
import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodeBody, decodeFrame, validateEvents } from '../../engine/transforms/decode.js';
import { MAX_DECODE_VALUES } from '../../engine/transforms/prescan.js';

const limits = { maxBatchEvents: 1000, maxEventBytes: 64 * 1024 };
const refusal = (f: () => unknown): { code?: string; seq?: number } => {
  try { f(); } catch (err) { return err as { code: string }; }
  throw new Error('not refused');
};

/** Heap growth across f (after a GC when exposed; the refused decode must not build the 15 M maps: ~1 GB). */
function heapGrowth(f: () => void): number {
  const before = process.memoryUsage().heapUsed;
  f();
  return process.memoryUsage().heapUsed - before;
}

/** msgpack array32 header of n elements followed by n empty maps (0x80): 15 M of them is 14.3 MiB. */
function emptyMaps(n: number): Buffer {
  const b = Buffer.alloc(5 + n, 0x80);
  b[0] = 0xdd;
  b.writeUInt32BE(n, 1);
  return b;
}

describe('decode bounds (issue 12, High 2)', () => {
  it('refuses a 14 MiB msgpack array of 15 M empty maps from its header, without materialising it', () => {
    const body = emptyMaps(15_000_000);
    expect(body.length).toBeGreaterThan(14 * 1024 * 1024);
    let err: { code?: string } = {};
    const grown = heapGrowth(() => { err = refusal(() => decodeBody(body, 'msgpack', limits)); });
    expect(err.code).toBe('DW_ERR_TOO_MANY_EVENTS');
    // 15 M objects would be > 500 MB of heap; a refusal from the header allocates next to nothing.
    expect(grown).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses arrays one past the limit in every format, and takes the limit itself', () => {
    const events = (n: number) => Array.from({ length: n }, (_, i) => ({ timestamp: i, stream_type: 'logs', data: `a,[{"${i}` }));
    expect(refusal(() => decodeBody(pack(events(1001)), 'msgpack', limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(refusal(() => decodeBody(Buffer.from(JSON.stringify(events(1001))), 'json', limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    const nd = (n: number) => Buffer.from(events(n).map((e) => JSON.stringify(e)).join('\n') + '\n\n');
    expect(refusal(() => decodeBody(nd(1001), 'ndjson', limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(validateEvents(decodeBody(pack(events(1000)), 'msgpack', limits), limits)).toHaveLength(1000);
    expect(validateEvents(decodeBody(Buffer.from(JSON.stringify(events(1000))), 'json', limits), limits)).toHaveLength(1000);
    expect(validateEvents(decodeBody(nd(1000), 'ndjson', limits), limits)).toHaveLength(1000);
  });

  it('refuses frames with too many events before decoding, keeping the seq of a JSON frame', () => {
    const events = (n: number) => Array.from({ length: n }, () => ({ timestamp: 1, stream_type: 'logs', data: { events: [1, 2] } }));
    const json = refusal(() => decodeFrame(Buffer.from(JSON.stringify({ seq: 7, events: events(1001) })), false, limits));
    expect(json).toMatchObject({ code: 'DW_ERR_TOO_MANY_EVENTS', seq: 7 });
    expect(refusal(() => decodeFrame(pack({ seq: 7, events: events(1001) }), true, limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    // The header of a 15 M-element events array in a msgpack frame is enough.
    const big = Buffer.concat([pack({ seq: 1 }).subarray(0, 1), Buffer.from([0xa3, 0x73, 0x65, 0x71, 0x01])]);
    big[0] = 0x82;
    const frame = Buffer.concat([big, Buffer.from([0xa6, ...Buffer.from('events')]), emptyMaps(15_000_000)]);
    expect(refusal(() => decodeFrame(frame, true, limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(decodeFrame(Buffer.from(JSON.stringify({ seq: 8, events: events(1000) })), false, limits).events).toHaveLength(1000);
    expect(decodeFrame(pack({ events: events(1000), seq: 8 }), true, limits).events).toHaveLength(1000);
    // msgpackr writes objects as map16 (0xde): the same header read.
    const packed = pack({ seq: 9, events: [] });
    expect(packed[0]).toBe(0xde);
    const map16 = Buffer.concat([packed.subarray(0, packed.length - 1), emptyMaps(15_000_000)]);
    expect(refusal(() => decodeFrame(map16, true, limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
  });

  it('bounds the values one body may decode to (few events, millions of nested values)', () => {
    // 10 events whose data is an array of 110,000 empty maps: 1.1 M values in 1.1 MB.
    const data = Buffer.alloc(5 + 110_000, 0x80);
    data[0] = 0xdd;
    data.writeUInt32BE(110_000, 1);
    const event = Buffer.concat([pack({ timestamp: 1, stream_type: 'logs', data: null }).subarray(0, -1), data]);
    const body = Buffer.concat([Buffer.from([0x9a]), ...Array.from({ length: 10 }, () => event)]);
    expect(10 * 110_000).toBeGreaterThan(MAX_DECODE_VALUES);
    expect(refusal(() => decodeBody(body, 'msgpack', limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    const frame = Buffer.concat([pack({ seq: 1, events: null }).subarray(0, -1), body]);
    expect(refusal(() => decodeFrame(frame, true, limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    const jsonEvent = `{"timestamp":1,"stream_type":"logs","data":[${'{},'.repeat(109_999)}{}]}`;
    const json = Buffer.from(`[${Array.from({ length: 10 }, () => jsonEvent).join(',')}]`);
    expect(refusal(() => decodeBody(json, 'json', limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
  });
});
