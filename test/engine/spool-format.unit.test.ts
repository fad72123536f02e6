// The spool's record framing (engine/sinks/spool/spool.ts): whole records parse back, and each
// way a crash can leave a tail (header cut, payload cut, garbage, zeros) stops parsing at the
// last whole record.
import { Unpackr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { spoolOptions } from '../../engine/sinks/spool/config.js';
import { HEADER_BYTES, crc32, decodeEntry, encodeEntry, frame, parseRecords, segmentId, segmentName } from '../../engine/sinks/spool/spool.js';

const entry = (i: number) => ({ w: { tenantId: 't', batchKey: `k${i}`, lines: `line ${i}\n`, blob: Buffer.from([i, 1, 2]), none: undefined }, a: [{ n: i }] });

describe('spool record framing', () => {
  const records = [0, 1, 2].map((i) => frame(encodeEntry(entry(i))));
  const whole = Buffer.concat(records);

  it('round-trips entries as plain data (strings, buffers, undefined)', () => {
    const p = parseRecords(whole, 8);
    expect(p.torn).toBeUndefined();
    expect(p.validEnd).toBe(8 + whole.length);
    expect(p.records.map((r) => r.end)).toEqual([8 + records[0].length, 8 + records[0].length + records[1].length, 8 + whole.length]);
    const back = p.records.map((r) => decodeEntry<ReturnType<typeof entry>['w'], unknown>(r.payload));
    expect(back[1].w.batchKey).toBe('k1');
    expect(Buffer.from(back[2].w.blob)).toEqual(Buffer.from([2, 1, 2]));
    expect('none' in back[0].w && back[0].w.none === undefined).toBe(true);
    expect(back[0].a).toEqual([{ n: 0 }]);
  });

  it('a payload decodes on its own (another process: no structures learnt from earlier payloads)', () => {
    const second = encodeEntry(entry(7));
    const fresh = new Unpackr({ useRecords: true }).unpack(second) as ReturnType<typeof entry>;
    expect(fresh.w.batchKey).toBe('k7');
    expect(fresh.a).toEqual([{ n: 7 }]);
  });

  it.each([
    ['a header cut short', (b: Buffer) => Buffer.concat([b, Buffer.from([5, 0, 0])]), 'short_header'],
    ['a payload cut short', (b: Buffer) => Buffer.concat([b, records[0].subarray(0, records[0].length - 3)]), 'short_payload'],
    ['a record whose checksum does not match', (b: Buffer) => { const r = Buffer.from(records[1]); r[HEADER_BYTES + 2] ^= 0x40; return Buffer.concat([b, r]); }, 'bad_checksum'],
    ['zeros (a file extended but not written)', (b: Buffer) => Buffer.concat([b, Buffer.alloc(64)]), 'bad_length'],
  ])('stops before %s', (_what, tail, reason) => {
    const p = parseRecords(tail(whole), 0);
    expect(p.torn).toBe(reason);
    expect(p.records).toHaveLength(3);
    expect(p.validEnd).toBe(whole.length);
  });

  it('stops on a record boundary at maxRecords, reporting the bytes a cut-off record needs', () => {
    expect(parseRecords(whole, 0, 2).validEnd).toBe(records[0].length + records[1].length);
    const cut = parseRecords(whole.subarray(0, records[0].length + 10), 0);
    expect(cut.need).toBe(records[1].length);
  });

  it('checksums with crc32 (the zlib value)', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('names segments so that they sort by id, and ignores other files', () => {
    expect(segmentName(42)).toBe('seg-000000000042.spool');
    expect(segmentId(segmentName(42))).toBe(42);
    expect(segmentId('LOCK')).toBeUndefined();
    expect(segmentId('seg-000000000042.spool.corrupt')).toBeUndefined();
  });

  it('checks its options once: absolute dir, sizes; segments default to an eighth of the bound', () => {
    expect(() => spoolOptions({ dir: 'relative', maxBytes: 1 << 20 })).toThrow(/options.dir/);
    expect(() => spoolOptions({ dir: '/tmp/x', maxBytes: 10 })).toThrow(/options.maxBytes/);
    const o = spoolOptions({ dir: '/tmp/x', maxBytes: 8 << 20 });
    expect(o.segmentBytes).toBe(1 << 20);
    expect(Object.isFrozen(o)).toBe(true);
  });
});
