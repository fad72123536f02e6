// High 2 (issue 12), found by the final audit: two ways past the decode bounds.
// - Nesting: one event whose data is 400,000 arrays one inside another (800 KB, under a free
//   tenant's 1 MiB) passed the value count and took 1.6 s of JSON.parse on the event loop before
//   JSON.stringify refused it; msgpackr recursed until the stack gave out. Now refused from the
//   bytes past MAX_DECODE_DEPTH.
// - OTLP/HTTP (/v1/logs) had no prescan at all: 14.3 MiB of JSON empty log records took 15.6 s of
//   JSON.parse and +381 MB RSS, 9.5 MiB of protobuf ones 22.7 s (under load ~26 on 2 cores),
//   before the record count refused them. Now JSON is scanned first and protobuf counts records
//   and values as it reads them.
import { pack } from 'msgpackr';
import { afterEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { decodeBody, decodeFrame, validateEvents } from '../../engine/transforms/decode.js';
import { parseOtlpJson } from '../../engine/transforms/otlp.js';
import { parseOtlpProtobuf } from '../../engine/transforms/otlp-proto.js';
import { MAX_DECODE_DEPTH, MAX_DECODE_VALUES } from '../../engine/transforms/prescan.js';

const limits = { maxBatchEvents: 1000, maxEventBytes: 1024 * 1024 };
const refusal = (f: () => unknown): { code?: string } => {
  try { f(); } catch (err) { return err as { code: string }; }
  throw new Error('not refused');
};
const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const jsonEvent = (depth: number): string => `{"timestamp":1,"stream_type":"logs","data":${nested(depth)}}`;

/** msgpack: one event whose data is `depth` one-element arrays around a nil. */
function msgpackEvent(depth: number): Buffer {
  const head = pack({ timestamp: 1, stream_type: 'logs', data: null });
  return Buffer.concat([head.subarray(0, -1), Buffer.alloc(depth, 0x91), Buffer.from([0xc0])]);
}

/** Protobuf varint. */
function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) { out.push((n & 127) | 128); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}
const field = (tag: number, payload: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), varint(payload.length), payload]);
/** ExportLogsServiceRequest{resourceLogs: [{scopeLogs: [{logRecords: <inner>}]}]} with `inner` the ScopeLogs bytes. */
const logsRequest = (scopeLogs: Buffer): Buffer => field(0x0a, field(0x12, scopeLogs));

let parse: MockInstance<typeof JSON.parse> | undefined;
afterEach(() => { parse?.mockRestore(); parse = undefined; });

describe('nesting depth is bounded before decoding (issue 12, High 2)', () => {
  it('a JSON body, an NDJSON line and a JSON frame nested 400,000 deep: DW_ERR_PAYLOAD_TOO_COMPLEX, JSON.parse never called', () => {
    parse = vi.spyOn(JSON, 'parse');
    const body = Buffer.from(`[${jsonEvent(400_000)}]`);
    expect(body.length).toBeLessThan(1024 * 1024);
    expect(refusal(() => decodeBody(body, 'json', limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    expect(refusal(() => decodeBody(Buffer.from(`${jsonEvent(400_000)}\n`), 'ndjson', limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    expect(refusal(() => decodeFrame(Buffer.from(`{"seq":1,"events":[${jsonEvent(400_000)}]}`), false, limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    expect(parse).not.toHaveBeenCalled();
  });

  it('a msgpack body and frame nested 500,000 deep: refused from the bytes (was: the decoder ran out of stack)', () => {
    const event = msgpackEvent(500_000);
    expect(refusal(() => decodeBody(Buffer.concat([Buffer.from([0x91]), event]), 'msgpack', limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    const frame = Buffer.concat([pack({ seq: 1, events: null }).subarray(0, -1), Buffer.from([0x91]), event]);
    expect(refusal(() => decodeFrame(frame, true, limits)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
  });

  it('data nested a little under the bound is still taken, in JSON and msgpack', () => {
    const depth = MAX_DECODE_DEPTH - 8;
    expect(validateEvents(decodeBody(Buffer.from(`[${jsonEvent(depth)}]`), 'json', limits), limits)).toHaveLength(1);
    expect(validateEvents(decodeBody(Buffer.concat([Buffer.from([0x91]), msgpackEvent(depth)]), 'msgpack', limits), limits)).toHaveLength(1);
  });
});

describe('OTLP/HTTP logs bodies are bounded as they are read (issue 12, High 2)', () => {
  it('JSON: 5 M empty log records (14 MiB) are refused from the bytes, JSON.parse never called', () => {
    const body = Buffer.from(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[${Array(5_000_000).fill('{}').join(',')}]}]}]}`);
    parse = vi.spyOn(JSON, 'parse');
    expect(refusal(() => parseOtlpJson(body)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    expect(refusal(() => parseOtlpJson(Buffer.from(`{"resourceLogs":${nested(400_000)}}`))).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    parse = undefined;
    expect(parseOtlpJson(Buffer.from('{"resourceLogs":[{"scopeLogs":[{"logRecords":[{}]}]}]}'))).toEqual({ resourceLogs: [{ scopeLogs: [{ logRecords: [{}] }] }] });
  });

  it('protobuf: 5 M empty log records (9.5 MiB) are refused at the tenant\'s record limit, with next to nothing allocated', () => {
    const records = Buffer.alloc(2 * 5_000_000);
    for (let i = 0; i < 5_000_000; i++) records[2 * i] = 0x12; // logRecords, length 0
    const body = logsRequest(records);
    const before = process.memoryUsage().heapUsed;
    const err = refusal(() => parseOtlpProtobuf(body, limits.maxBatchEvents)) as { code?: string; details?: { max: number } };
    expect(err.code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(err.details?.max).toBe(1000);
    // 5 M record objects would be hundreds of MB; 1,001 of them are nothing.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(16 * 1024 * 1024);
    // Within the limit: read as before.
    expect(parseOtlpProtobuf(logsRequest(records.subarray(0, 2 * 1000)), 1000)).toMatchObject({ resourceLogs: [{ scopeLogs: [{ logRecords: expect.any(Array) }] }] });
  });

  it('protobuf: a record with more empty attributes than MAX_DECODE_VALUES is refused as it is read', () => {
    const n = MAX_DECODE_VALUES + 10;
    const attrs = Buffer.alloc(2 * n);
    for (let i = 0; i < n; i++) attrs[2 * i] = 0x32; // LogRecord.attributes (6), length 0
    expect(refusal(() => parseOtlpProtobuf(logsRequest(field(0x12, attrs)), 1000)).code).toBe('DW_ERR_PAYLOAD_TOO_COMPLEX');
  });
});
