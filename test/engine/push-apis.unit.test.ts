// The pure decoders of the Elasticsearch bulk and Splunk HEC bodies (issue 13): stream keys,
// limits counted before mapping, concatenated JSON split exactly, per-event refusals numbered.
import { describe, expect, it } from 'vitest';
import { indexStream, parseBulk } from '../../engine/transforms/es-bulk.js';
import { hecDefaults, parseHecEvents, parseHecRaw, splitConcatenated } from '../../engine/transforms/hec.js';

const limits = { maxBatchEvents: 3, maxEventBytes: 1000 };
const bytes = (s: string): Uint8Array => Buffer.from(s);

describe('Elasticsearch bulk decoding', () => {
  it('keys streams by index less a trailing date', () => {
    expect(['logstash-2026.12.05', 'logs-2026.12', 'app_20261205', 'filebeat-8.17.0', 'plain', '2026.12.05'].map(indexStream))
      .toEqual(['logstash', 'logs', 'app', 'filebeat-8.17.0', 'plain', '2026.12.05']);
  });

  it('counts items against the batch limit before mapping, and refuses a source line that is not JSON alone', () => {
    const line = '{"index":{"_index":"a"}}\n{"message":"m"}\n';
    expect(() => parseBulk(bytes(line.repeat(4)), undefined, limits, 0)).toThrow(expect.objectContaining({ code: 'DW_ERR_TOO_MANY_EVENTS' }));
    const d = parseBulk(bytes(`${line}{"create":{}}\n{not json\n{"delete":{"_index":"a","_id":"1"}}\n`), 'url-idx', limits, 0);
    expect(d.items).toEqual([{ action: 'index', index: 'a' }, { action: 'create', index: 'url-idx' }, { action: 'delete', index: 'a' }]);
    expect(d.records.map((r) => [r.stream, r.dataJson])).toEqual([['a', '"m"']]);
    expect(d.rejected.map((r) => [r.index, r.code])).toEqual([[1, 'DW_ERR_INVALID_EVENT'], [2, 'DW_ERR_UNSUPPORTED_ACTION']]);
    expect(() => parseBulk(bytes('{"index":{}}'), 'x', limits, 0)).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY', message: expect.stringContaining('no source line') }));
  });
});

describe('Splunk HEC decoding', () => {
  it('splits concatenated objects exactly, braces and escaped quotes inside strings included', () => {
    expect(splitConcatenated('{"event":"a}\\"{"} \n{"event":{"x":[1,{"y":"]"}]}}')).toEqual({ parts: ['{"event":"a}\\"{"}', '{"event":{"x":[1,{"y":"]"}]}}'], brokenAt: undefined });
    expect(splitConcatenated('{"event":"a"} [1] {"event":"b"}')).toEqual({ parts: ['{"event":"a"}'], brokenAt: 1 });
    expect(splitConcatenated('{"event":"a"} {"event":')).toEqual({ parts: ['{"event":"a"}'], brokenAt: 1 });
  });

  it('maps source, sourcetype, query defaults and fields; counts against the batch limit', () => {
    const d = parseHecEvents(bytes('{"event":"a","time":1764842400.5,"fields":{"k":1,"host":"not-this"}}{"event":"b","source":"s","time":null}'), hecDefaults('host=h&sourcetype=st&x=1'), limits, 7);
    expect(d.records.map((r) => [r.stream, r.ts, r.metadataJson])).toEqual([
      ['st', 1764842400500, '{"host":"h","sourcetype":"st","k":1}'],
      ['s', 7, '{"host":"h","source":"s","sourcetype":"st"}'],
    ]);
    expect(() => parseHecEvents(bytes('{"event":1}'.repeat(4)), {}, limits, 0)).toThrow(expect.objectContaining({ code: 'DW_ERR_TOO_MANY_EVENTS' }));
    expect(() => parseHecRaw(bytes('a\nb\nc\nd'), {}, limits, 0)).toThrow(expect.objectContaining({ code: 'DW_ERR_TOO_MANY_EVENTS' }));
    expect(parseHecRaw(bytes('a\r\nb'), {}, limits, 0).records.map((r) => [r.stream, r.dataJson])).toEqual([['hec:default', '"a"'], ['hec:default', '"b"']]);
  });
});
