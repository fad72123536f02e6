// Event blocks (engine/sinks/postgres/blocks.ts): COPY lines built from records decode back to
// the same events, for every codec; grouping, time range, keys and fingerprints.
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { BLOCK_COLUMNS, blockLines, blockParts, payloadText } from '../../engine/sinks/postgres/blocks.js';
import { copyEscape } from '../../engine/sinks/postgres/copy.js';
import { CODECS, compress, decodeBlock, decompress } from '../../src/core/blocks.js';
import { validateEvents } from '../../engine/transforms/decode.js';

const T = '00000000-0000-4000-8000-0000000000aa';
const limits = { maxBatchEvents: 10_000, maxEventBytes: 4 * 1024 * 1024 };

/** COPY text format, one field: \N is null, backslash escapes undone. */
function unescapeField(f: string): string | null {
  if (f === '\\N') return null;
  return f.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '\\': '\\' } as Record<string, string>)[c] ?? c);
}

/** Splits COPY lines into rows keyed by column, the payload hex-decoded. */
function parse(lines: string): Record<string, string | null | Buffer>[] {
  expect(lines.endsWith('\n')).toBe(true);
  return lines.slice(0, -1).split('\n').map((line) => {
    const fields = line.split('\t');
    expect(fields).toHaveLength(BLOCK_COLUMNS.length);
    const row: Record<string, string | null | Buffer> = {};
    BLOCK_COLUMNS.forEach((c, i) => { row[c] = unescapeField(fields[i]); });
    const hex = row.payload as string;
    expect(hex.startsWith('\\x')).toBe(true);
    row.payload = Buffer.from(hex.slice(2), 'hex');
    return row;
  });
}

const UNICODE = [
  'plain ascii',
  'héllo wörld — ñ ç ß',
  '日本語のログ行 and 中文 and 한국어',
  'emoji 🚀🔥👩‍👩‍👧‍👦 and flags 🇫🇷',
  'RTL: مرحبا بالعالم עברית',
  'combining: e\u0301 a\u0308 and zero-width\u200bjoiner',
  'line sep \u2028 para sep \u2029 BOM \ufeff',
  'tabs\tnew\nlines\r\nbackslash \\ quote " and \\t literal',
];

describe('event blocks: encode / decode round trip', () => {
  for (const codec of CODECS) {
    it(`${codec}: unicode, metadata, nested data, numbers and nulls come back as sent`, () => {
      const raw = [
        ...UNICODE.map((s, i) => ({ timestamp: 1_700_000_000_000 + i, stream_type: 'logs', stream: 'uni', data: s, metadata: { source: 'ü', tag: s, n: i } })),
        { timestamp: '2024-01-02T03:04:05.678Z', stream_type: 'traces', stream: 'nested', data: { span: { id: 'a\tb', children: [1, 2.5, -3e-7, true, null, 'ö'] } } },
        { timestamp: 5, stream_type: 'metrics', data: 3.25, metadata: { source: 'cpu', host: 'α-1', labels: { k: ['v', 1] } } },
        { timestamp: 6, stream_type: 'llm', stream: 'no-meta', data: { prompt: '🤖 what?', completion: '' } },
      ];
      const records = validateEvents(raw, limits);
      const w = blockLines(T, records, 'key\twith\\escapes', codec);
      const rows = parse(w.lines);
      expect(w.blocks).toBe(rows.length);
      expect(rows.map((r) => r.stream)).toEqual(['uni', 'nested', 'metrics:cpu', 'no-meta']);
      const decoded = rows.flatMap((r) => {
        expect(r.codec).toBe(codec);
        expect(r.tenant_id).toBe(T);
        expect(r.batch_key).toBe('key\twith\\escapes');
        const events = decodeBlock(r.codec as string, r.payload as Buffer);
        expect(events).toHaveLength(Number(r.count));
        return events;
      });
      expect(decoded).toEqual(records.map((r) => ({ ts: r.ts, data: JSON.parse(r.dataJson), metadata: r.metadataJson === null ? null : JSON.parse(r.metadataJson) })));
      expect(decoded[1].data).toBe('héllo wörld — ñ ç ß');
      expect(decoded[3].data).toBe('emoji 🚀🔥👩‍👩‍👧‍👦 and flags 🇫🇷');
      expect(decoded[7].metadata).toEqual({ source: 'ü', tag: UNICODE[7], n: 7 });
      expect(decoded[UNICODE.length + 2]).toEqual({ ts: 6000, // epoch seconds by magnitude (timestamps.ts)
        data: { prompt: '🤖 what?', completion: '' }, metadata: null });
    });

    it(`${codec}: large events (1 MiB each) and a large block`, () => {
      const big = 'x'.repeat(512 * 1024) + '€'.repeat(200_000);
      const records = validateEvents([
        { timestamp: 1, stream_type: 'logs', stream: 'big', data: big, metadata: { blob: 'y'.repeat(300_000) } },
        ...Array.from({ length: 2000 }, (_, i) => ({ timestamp: 2 + i, stream_type: 'logs', stream: 'big', data: `line ${i} ${'z'.repeat(i % 300)}` })),
      ], limits);
      const [row] = parse(blockLines(T, records, undefined, codec).lines);
      expect(row.count).toBe('2001');
      expect(row.batch_key).toBeNull();
      const events = decodeBlock(codec, row.payload as Buffer);
      expect(events[0].data).toBe(big);
      expect((events[0].metadata as { blob: string }).blob).toHaveLength(300_000);
      expect(events[2000]).toEqual({ ts: 2_001_000, data: `line 1999 ${'z'.repeat(1999 % 300)}`, metadata: null });
      if (codec !== 'none') expect((row.payload as Buffer).length).toBeLessThan(big.length / 10);
    });
  }

  it('groups by stream in order of first appearance, keeps arrival order inside a block, and records the time range and first index', () => {
    const records = validateEvents([
      { timestamp: 50, stream_type: 'logs', stream: 'a', data: 'a0' },
      { timestamp: 10, stream_type: 'logs', stream: 'b', data: 'b0' },
      { timestamp: 30, stream_type: 'logs', stream: 'a', data: 'a1' },
      { timestamp: 90, stream_type: 'logs', stream: 'a', data: 'a2' },
      { timestamp: 20, stream_type: 'metrics', stream: 'a', data: 1 },
      { timestamp: 5, stream_type: 'logs', stream: 'b', data: 'b1' },
    ], limits);
    const rows = parse(blockLines(T, records, undefined).lines);
    expect(rows.map((r) => [r.stream, r.stream_type, r.count, r.first_index, r.first_ts, r.last_ts])).toEqual([
      ['a', 'logs', '3', '0', new Date(30_000).toISOString(), new Date(90_000).toISOString()],
      ['b', 'logs', '2', '1', new Date(5_000).toISOString(), new Date(10_000).toISOString()],
      ['a', 'metrics', '1', '4', new Date(20_000).toISOString(), new Date(20_000).toISOString()],
    ]);
    expect(decodeBlock(rows[0].codec as string, rows[0].payload as Buffer).map((e) => e.data)).toEqual(['a0', 'a1', 'a2']);
  });

  it('a stream name with tabs, newlines and backslashes survives COPY escaping', () => {
    const records = validateEvents([{ timestamp: 1, stream_type: 'logs', stream: 'we\tird\nname\\x', data: 'd' }], limits);
    expect(parse(blockLines(T, records, undefined).lines)[0].stream).toBe('we\tird\nname\\x');
  });

  it('the fingerprint depends on the content, not on the codec', () => {
    const mk = (data: string) => validateEvents([{ timestamp: 1, stream_type: 'logs', stream: 's', data }, { timestamp: 2, stream_type: 'logs', stream: 't', data }], limits);
    const fps = CODECS.map((c) => blockLines(T, mk('same'), 'k', c).fingerprint);
    expect(new Set(fps).size).toBe(1);
    expect(fps[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(blockLines(T, mk('other'), 'k').fingerprint).not.toBe(fps[0]);
    // Without a batch key nothing is compared on resend: no hash is computed.
    expect(blockLines(T, mk('same'), undefined).fingerprint).toBeUndefined();
    // The same events split differently between streams are other content.
    const moved = validateEvents([{ timestamp: 1, stream_type: 'logs', stream: 's', data: 'same' }, { timestamp: 2, stream_type: 'logs', stream: 's', data: 'same' }], limits);
    expect(blockLines(T, moved, 'k').fingerprint).not.toBe(fps[0]);
  });

  it('the fingerprint is sha256 of each stream\'s type, name, first index and payload, in first-appearance order (stored in ingest_batches: it must not drift)', () => {
    const raw = [
      { timestamp: 1, stream_type: 'logs', stream: 'b', data: 'ünï ✓ "q"', metadata: { k: 1 } },
      { timestamp: 3, stream_type: 'logs', stream: 'a', data: { x: [1, 2] } },
      { timestamp: 2, stream_type: 'traces', stream: 'b', data: 'x' },
      { timestamp: 4, stream_type: 'logs', stream: 'b', data: '😀' },
    ];
    const r = validateEvents(raw, limits);
    const groups: [string, string, number[]][] = [['logs', 'b', [0, 3]], ['logs', 'a', [1]], ['traces', 'b', [2]]];
    let bytes = '';
    for (const [type, stream, idx] of groups) bytes += `${type}\u0000${stream}\u0000${idx[0]}\u0000` + payloadText(r, idx);
    const expected = createHash('sha256').update(Buffer.from(bytes, 'utf8')).digest('hex');
    expect(blockLines(T, r, 'k').fingerprint).toBe(expected);
    expect(blockParts(r, true).fingerprint).toBe(expected);
  });

  it('compress / decompress agree, and an unknown codec is refused', () => {
    for (const c of CODECS) expect(decompress(c, compress(c, 'ünïcödé ✓'))).toBe('ünïcödé ✓');
    expect(() => decodeBlock('zstd', Buffer.from('[]'))).toThrow(/unknown block codec "zstd"/);
  });
});

describe('blockLines: the exact bytes of the per-frame COPY lines', () => {
  // Written from the column list, independently of blocks.ts's own line builder: blockLines
  // (the spool's and the store role's path) must give these bytes whatever helper it builds them with.
  const reference = (tenantId: string, records: ReturnType<typeof validateEvents>, batchKey: string | undefined, codec: (typeof CODECS)[number]): string => {
    const groups = new Map<string, number[]>();
    records.forEach((r, i) => { const k = `${r.streamType}\u0000${r.stream}`; groups.set(k, [...(groups.get(k) ?? []), i]); });
    let out = '';
    for (const idx of groups.values()) {
      const ts = idx.map((i) => records[i].ts);
      const first = records[idx[0]];
      out += [tenantId, copyEscape(first.stream), first.streamType, new Date(Math.min(...ts)).toISOString(), new Date(Math.max(...ts)).toISOString(),
        idx.length, batchKey === undefined ? '\\N' : copyEscape(batchKey), idx[0], codec, '\\\\x' + compress(codec, payloadText(records, idx)).toString('hex')].join('\t') + '\n';
    }
    return out;
  };

  it('equals the reference for every codec, with and without a key, streams and keys that need escaping, times out of order', () => {
    const raw = Array.from({ length: 40 }, (_, i) => ({
      timestamp: 1_700_000_000_000 + ((i * 7919) % 40) * 1000, stream_type: i % 5 === 0 ? 'metrics' : 'logs',
      stream: ['a', 'tab\there', 'back\\slash', 'new\nline'][i % 4], ...(i % 5 === 0 ? { data: i * 1.5 } : { data: `line ${i} ü`, metadata: { i } }),
    }));
    const records = validateEvents(raw, limits);
    for (const codec of CODECS) {
      for (const key of [undefined, 'ws:c\t1:0']) {
        const built = blockLines(T, records, key, codec);
        expect(built.lines).toBe(reference(T, records, key, codec));
        expect(built.blocks).toBe(8);
      }
    }
  });
});
