// Loki's label syntax, stream keys, nanosecond timestamps and the protobuf entry count (issue 13).
import snappy from 'snappyjs';
import { loadConfig } from '../../src/core/config.js';
import { describe, expect, it } from 'vitest';
import { ignoredLabels, nsToMs, parseLabels, streamKey } from '../../engine/transforms/loki.js';
import { countEntries, parseLokiProtobuf } from '../../engine/transforms/loki-proto.js';

/** A length-delimited protobuf field. */
const ld = (field: number, payload: Uint8Array): Uint8Array => Uint8Array.from([(field << 3) | 2, payload.length, ...payload]);
const text = (s: string): Uint8Array => Buffer.from(s);

describe('Loki labels and stream keys', () => {
  it('parses the selector syntax with escapes, and refuses what is not one', () => {
    expect(parseLabels('{app="api", env = "prod",msg="a \\"quoted\\" \\\\ line\\n"}')).toEqual({ app: 'api', env: 'prod', msg: 'a "quoted" \\ line\n' });
    expect(parseLabels(' {} ')).toEqual({});
    for (const bad of ['', 'app="x"', '{app=x}', '{app="x"', '{1app="x"}', '{app="x"} y', '{app="x",}']) {
      expect(() => parseLabels(bad), bad).toThrow();
    }
    expect(Object.keys(parseLabels('{__proto__="x"}'))).toEqual(['__proto__']);
  });

  it('keys a stream by its labels minus the ignored ones, sorted; none left: loki:default', () => {
    const ignored = ignoredLabels('pod, level ,instance');
    expect(streamKey({ pod: 'p-1', env: 'prod', app: 'api', level: 'info' }, ignored)).toBe('{app="api",env="prod"}');
    expect(streamKey({ pod: 'p-1' }, ignored)).toBe('loki:default');
    expect(streamKey({ pod: 'p"1' }, ignoredLabels('none'))).toBe('{pod="p\\"1"}');
  });

  it('takes LOKI_IGNORED_LABELS as label names or none, and refuses anything else at start', () => {
    expect(ignoredLabels(loadConfig({ env: { LOKI_IGNORED_LABELS: 'pod, host' } }).lokiIgnoredLabels)).toEqual(new Set(['pod', 'host']));
    expect(ignoredLabels(loadConfig({ env: { LOKI_IGNORED_LABELS: 'none' } }).lokiIgnoredLabels)).toEqual(new Set());
    expect(ignoredLabels(loadConfig({ env: {} }).lokiIgnoredLabels)).toContain('pod');
    for (const bad of ['pod,,host', 'po-d', 'pod;host']) expect(() => loadConfig({ env: { LOKI_IGNORED_LABELS: bad } }), bad).toThrow(/LOKI_IGNORED_LABELS/);
  });

  it('reads nanoseconds exactly to the millisecond', () => {
    expect(nsToMs('1764842400123999999')).toBe(1764842400123);
    expect(nsToMs('999999')).toBe(0);
    expect(nsToMs(1_000_000)).toBe(1);
    expect(nsToMs('12a')).toMatchObject({ code: 'DW_ERR_INVALID_TIMESTAMP' });
    expect(nsToMs(-5)).toMatchObject({ code: 'DW_ERR_INVALID_TIMESTAMP' });
  });
});

describe('Loki protobuf', () => {
  // PushRequest{streams: [{labels, entries: [{timestamp{seconds, nanos}, line, structuredMetadata}]}]}
  const ts = Uint8Array.from([0x08, 0x80, 0xb8, 0xc5, 0xc9, 0x06, 0x10, 0xc0, 0x84, 0x3d]); // seconds 1764842496, nanos 1000000
  const entry = ld(2, Uint8Array.from([...ld(1, ts), ...ld(2, text('hello')), ...ld(3, Uint8Array.from([...ld(1, text('k')), ...ld(2, text('v'))]))]));
  const request = ld(1, Uint8Array.from([...ld(1, text('{job="x"}')), ...entry, ...entry]));

  it('decodes a snappy PushRequest to streams with exact times and structured metadata', () => {
    const streams = parseLokiProtobuf(snappy.compress(request), { maxBatchEvents: 10, maxEventBytes: 1000, maxBodyBytes: 1000 });
    expect(streams).toEqual([{ labels: '{job="x"}', entries: [
      { ms: 1764842496001, line: 'hello', metadata: { k: 'v' } }, { ms: 1764842496001, line: 'hello', metadata: { k: 'v' } },
    ] }]);
  });

  it('counts entries from the wire before decoding them', () => {
    expect(() => countEntries(request, { maxBatchEvents: 1, maxEventBytes: 1000 })).toThrow(expect.objectContaining({ code: 'DW_ERR_TOO_MANY_EVENTS' }));
    expect(() => countEntries(request, { maxBatchEvents: 2, maxEventBytes: 1000 })).not.toThrow();
    expect(() => countEntries(request, { maxBatchEvents: 2, maxEventBytes: 1000, maxValues: 3 })).toThrow(expect.objectContaining({ code: 'DW_ERR_PAYLOAD_TOO_COMPLEX' }));
  });
});
