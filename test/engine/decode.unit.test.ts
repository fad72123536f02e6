import { pack } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { anomalyLines, copyEscape, eventLines } from '../../engine/sinks/postgres/copy.js';
import { bodyFormat, decodeBody, decodeFrame, eventJson, forScoring, sniffSeq, validateEvents } from '../../engine/transforms/decode.js';

const limits = { maxBatchEvents: 10, maxEventBytes: 1024 };
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const codeOf = (f: () => unknown): { code?: string; details?: unknown; message?: string } => {
  try { f(); } catch (err) { return err as { code: string }; }
  throw new Error('did not throw');
};

describe('decode', () => {
  it('derives the stream key and detector input', () => {
    const [a, b, c, d] = validateEvents([
      { timestamp: 0, stream_type: 'logs', data: { msg: 'x' }, metadata: { source: 'web' } },
      { timestamp: '2024-05-01T00:00:00Z', stream_type: 'metrics', data: { value: 2, unit: 'ms' } },
      { timestamp: 5e12, stream_type: 'llm', data: 'hi', stream: 'chat' },
      { timestamp: new Date(7), stream_type: 'traces', data: null, metadata: null },
    ], limits);
    expect([a.stream, b.stream, c.stream, d.stream]).toEqual(['logs:web', 'metrics:default', 'chat', 'traces:default']);
    expect(a.text).toBe('{"msg":"x"}');
    expect(b.value).toBe(2);
    expect(c.text).toBe('hi');
    expect(d.ts).toBe(7);
    expect(JSON.parse(eventJson(c))).toEqual({ timestamp: new Date(5e12).toISOString(), stream_type: 'llm', stream: 'chat', data: 'hi' });
  });

  it('refuses bad events with the index and the field', () => {
    const bad = (e: unknown) => codeOf(() => validateEvents([{ timestamp: 1, stream_type: 'logs', data: 'ok' }, e], limits));
    expect(bad({ timestamp: 1, stream_type: 'logs', data: 'x', metadata: 'm' })).toMatchObject({ code: 'DW_ERR_INVALID_EVENT', details: { index: 1 } });
    expect(bad({ timestamp: true, stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(bad({ timestamp: 'soon', stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(bad({ timestamp: 1e22, stream_type: 'logs', data: 'x' })).toMatchObject({ code: 'DW_ERR_INVALID_TIMESTAMP', details: { index: 1 } });
    expect(bad({ timestamp: '2020-02-30T00:00:00Z', stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    // Years 1-9999 (the ISO 4-digit form): 0001-01-01 is -62135596800000, not Date.UTC(1, 0, 1) (= 1901).
    expect(bad({ timestamp: '0000-12-31T23:59:59.999Z', stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(bad({ timestamp: -62135596800001, stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(bad({ timestamp: '+010000-01-01T00:00:00.000Z', stream_type: 'logs', data: 'x' }).code).toBe('DW_ERR_INVALID_TIMESTAMP');
    const [y1500, y1, y1900] = validateEvents([
      { timestamp: '1500-06-01T12:00:00Z', stream_type: 'logs', data: 'x' },
      { timestamp: -62135596800000, stream_type: 'logs', data: 'x' },
      { timestamp: '1900-01-01T00:00:00Z', stream_type: 'logs', data: 'x' },
    ], limits);
    expect(new Date(y1500.ts).toISOString()).toBe('1500-06-01T12:00:00.000Z');
    expect(new Date(y1.ts).toISOString()).toBe('0001-01-01T00:00:00.000Z');
    expect(new Date(y1900.ts).toISOString()).toBe('1900-01-01T00:00:00.000Z');
    expect(bad({ timestamp: 1, stream_type: 'events', data: 'x' }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'logs' }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'metrics', data: { v: 1 } }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'metrics', data: Number.NaN }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'logs', data: 'x', metadata: [1] }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'logs', data: 'x', stream: '' }).code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad('not an object').code).toBe('DW_ERR_INVALID_EVENT');
    expect(bad({ timestamp: 1, stream_type: 'logs', data: 'x'.repeat(2000) })).toMatchObject({ code: 'DW_ERR_PAYLOAD_TOO_LARGE', details: { index: 1 } });
  });

  it('stores NUL and lone surrogates inside data and metadata as U+FFFD (jsonb cannot hold them); refuses them in stream names', () => {
    const one = (data: unknown, extra: Record<string, unknown> = {}) => validateEvents([{ timestamp: 1, stream_type: 'logs', data, ...extra }], limits)[0];
    expect(one('a\u0000b').dataJson).toBe('"a\\ufffdb"');
    expect(JSON.parse(one('a\u0000b').dataJson)).toBe('a\ufffdb');
    expect(one({ k: 'x\u0000' }).dataJson).toBe('{"k":"x\\ufffd"}');
    expect(one('x', { metadata: { ['a\u0000']: 1 } }).metadataJson).toBe('{"a\\ufffd":1}');
    expect(one('bad \ud800 surrogate').dataJson).toBe('"bad \\ufffd surrogate"');
    expect(one('\\\u0000').dataJson).toBe('"\\\\\\ufffd"');
    expect(codeOf(() => one('x', { stream: 's\u0000' })).code).toBe('DW_ERR_INVALID_EVENT');
    expect(one('literal \\u0000 and 😀 and \u0001').dataJson).toBe('"literal \\\\u0000 and 😀 and \\u0001"');
  });

  it('decodes bodies and frames, with limits and clear errors', () => {
    expect(decodeBody(enc('[{"a":1},{"b":2}]'), 'json', limits)).toHaveLength(2);
    expect(decodeBody(enc('{"a":1}'), 'json', limits)).toEqual([{ a: 1 }]);
    expect(decodeBody(enc('{"a":1}\r\n\n{"b":2}\n'), 'ndjson', limits)).toEqual([{ a: 1 }, { b: 2 }]);
    expect(codeOf(() => decodeBody(enc('{"a":1}\n{oops'), 'ndjson', limits)).message).toContain('line 2');
    expect(decodeBody(pack([{ a: 1 }]), 'msgpack', limits)).toEqual([{ a: 1 }]);
    expect(codeOf(() => decodeBody(new Uint8Array([0xc1]), 'msgpack', limits)).code).toBe('DW_ERR_MALFORMED_BODY');
    expect(codeOf(() => decodeBody(new Uint8Array([0x92, 0x01]), 'msgpack', limits)).code).toBe('DW_ERR_MALFORMED_BODY');
    expect(codeOf(() => decodeBody(new Uint8Array([0x01, 0x02]), 'msgpack', limits)).code).toBe('DW_ERR_MALFORMED_BODY');
    expect(codeOf(() => decodeBody(enc(JSON.stringify(new Array(11).fill({}))), 'json', limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(codeOf(() => decodeBody(enc('{}\n'.repeat(11)), 'ndjson', limits)).code).toBe('DW_ERR_TOO_MANY_EVENTS');
    expect(codeOf(() => decodeBody(new Uint8Array([0x22, 0xc3, 0x28, 0x22]), 'json', limits)).code).toBe('DW_ERR_INVALID_UTF8');
    expect(decodeFrame(enc('{"seq":3,"events":[]}'), false, limits)).toEqual({ seq: 3, events: [] });
    expect(decodeFrame(pack({ seq: 4, events: [1] }), true, limits)).toEqual({ seq: 4, events: [1] });
    expect(codeOf(() => decodeFrame(enc('{"seq":-1,"events":[]}'), false, limits)).code).toBe('DW_ERR_MALFORMED_BODY');
    expect(codeOf(() => decodeFrame(enc('{"seq":1,"events":{}}'), false, limits))).toMatchObject({ code: 'DW_ERR_MALFORMED_BODY', seq: 1 });
    expect(sniffSeq(enc(' { "seq" : 77, "events": ['), false)).toBe(77);
    expect(sniffSeq(enc('{"events": [], "seq": 1}'), false)).toBeNull();
    // msgpack: read from the map's keys up to seq (here after a small events array).
    expect(sniffSeq(pack({ events: [1, 2], seq: 70_000 }), true)).toBe(70_000);
    expect(sniffSeq(pack([1]), true)).toBeNull();
    expect(bodyFormat('application/json; charset=utf-8')).toBe('json');
    expect(bodyFormat('application/x-ndjson')).toBe('ndjson');
    expect(bodyFormat('application/msgpack')).toBe('msgpack');
    expect(bodyFormat('text/csv')).toBeNull();
  });
});

describe('forScoring', () => {
  it('keeps a line once for the scorer and gives back the stored dataJson byte for byte', () => {
    const datas: unknown[] = [
      'plain line', '', 'quote " and backslash \\ and \\u0000 as text', 'tab\tnewline\ncontrol \u0001',
      'a NUL \u0000 inside', 'a lone \uD800 surrogate', 'a real \uFFFD replacement', 'pair \uD83D\uDE00 emoji', 'literal \\ufffd',
      { msg: 'object' }, ['array'], 42, null, true,
    ];
    const raw = datas.flatMap((data) => (['logs', 'llm', 'traces'] as const).map((stream_type) => ({ timestamp: 1, stream_type, data, metadata: { k: 'v' } })));
    raw.push({ timestamp: 2, stream_type: 'metrics', data: 3 } as never);
    const records = validateEvents(raw, { maxBatchEvents: 100, maxEventBytes: 1024 });
    const kept = forScoring(records);
    expect(kept).toHaveLength(records.length);
    let slim = 0;
    for (let i = 0; i < records.length; i++) {
      const a = records[i];
      const b = kept[i];
      if (b !== a) slim++;
      expect(Object.prototype.hasOwnProperty.call(b, 'dataJson')).toBe(b === a);
      expect({ ...a, dataJson: undefined }).toMatchObject({ ...b, dataJson: undefined });
      expect(b.dataJson).toBe(a.dataJson);
      expect(eventJson(b)).toBe(eventJson(a));
    }
    // Strings without U+FFFD in their text (7 of the 9: not the NUL, not the real U+FFFD), 3 stream types each.
    expect(slim).toBe(7 * 3);
  });
});

describe('COPY text payload', () => {
  it('escapes backslash, tab, newline and CR, and writes NULL as \\N', () => {
    expect(copyEscape('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyEscape('plain')).toBe('plain');
    const [r] = validateEvents([{ timestamp: 0, stream_type: 'logs', data: 'x\ty', stream: 's\\1' }], limits);
    expect(eventLines('T', [r])).toBe('T\ts\\\\1\tlogs\t1970-01-01T00:00:00.000Z\t"x\\\\ty"\t\\N\n');
    const line = anomalyLines([{ id: 'I', tenantId: 'T', stream: 's', streamType: 'logs', score: 0.5, detector: 'd', explanation: 'two\nlines', eventJson: '{}', detailsJson: '{}', eventTs: 0, detectedAt: 0, incidentId: null }]);
    expect(line.split('\t')).toHaveLength(12);
    expect(line.endsWith('\t\\N\n')).toBe(true);
    expect(line).toContain('two\\nlines');
  });
});
