// The figures of `eval logs` and `eval events` on tiny hand-made inputs, and the pieces they
// rest on: line splitting, Loghub labels, the events file and its labels, the tar reader.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { detectionFigures, formatFigures } from '../../src/tools/eval/metrics.js';
import { evalLogs, parseLineLabels, splitLabelToken, splitLines } from '../../src/tools/eval/logs.js';
import { evalEvents, parseEventLabels, parseEventsNdjson } from '../../src/tools/eval/events.js';
import { evalNab, parseNabCsv } from '../../src/tools/eval/nab.js';
import { readTar } from '../../src/tools/eval/tar.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';

const tmp = mkdtempSync(join(tmpdir(), 'driftwatch-eval-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('detection figures', () => {
  it('precision, recall, F1 and false alarms per 1,000 on a hand-made case', () => {
    // 1,000 events; truth 10..19; flagged 10..17 (8 TP) plus 3 elsewhere (FP).
    const truth = Array.from({ length: 10 }, (_, i) => 10 + i);
    const flagged = [...Array.from({ length: 8 }, (_, i) => 10 + i), 500, 600, 700];
    const m = detectionFigures(flagged, truth, 1000);
    expect(m).toMatchObject({ tp: 8, fp: 3, fn: 2, anomalous: 10, events: 1000 });
    expect(m.precision).toBeCloseTo(8 / 11, 12);
    expect(m.recall).toBeCloseTo(0.8, 12);
    expect(m.f1).toBeCloseTo((2 * (8 / 11) * 0.8) / (8 / 11 + 0.8), 12);
    expect(m.false_alarms_per_1000).toBeCloseTo(3, 12);
    expect(formatFigures('x', m, 'lines')).toBe('x: precision 0.727 recall 0.800 f1 0.762 false_alarms_per_1000 3.0 (1000 lines; tp 8, fp 3, fn 2)');
  });

  it('nothing flagged: precision 0, F1 0; nothing labelled: only false alarms', () => {
    expect(detectionFigures([], [1, 2], 10)).toMatchObject({ precision: 0, recall: 0, f1: 0, false_alarms_per_1000: 0 });
    const u = detectionFigures([3, 3, 4], [], 2000);
    expect(u).toMatchObject({ precision: null, recall: null, f1: null, fp: 2, false_alarms_per_1000: 1 });
    expect(formatFigures('u', u, 'lines')).toBe('u: false_alarms_per_1000 1.0 (2000 lines; 2 false alarms)');
    expect(() => detectionFigures([], [10], 10)).toThrow(RangeError);
  });
});

describe('log inputs', () => {
  it('CRLF lines, trailing empty line dropped, Loghub label tokens stripped', () => {
    expect(splitLines('a\r\nb\r\n')).toEqual(['a', 'b']);
    expect(splitLines('a\nb')).toEqual(['a', 'b']);
    expect(splitLines('a\r\n\r\nb')).toEqual(['a', '', 'b']);
    expect(splitLabelToken(['- 1 ok', 'KERNDTLB 2 bad', '- 3 ok'])).toEqual({ texts: ['1 ok', '2 bad', '3 ok'], alerts: [1] });
  });

  it('line-label CSV: columns found by header, LineId 1-based, bad rows named', () => {
    expect(parseLineLabels('LineId,Label,BlockIds\r\n1,0,blk_1\r\n2,1,blk_2\r\n3,1,blk_3\r\n', 3, 'l.csv')).toEqual([1, 2]);
    expect(parseLineLabels('BlockIds,Label\n b,Normal\nc,Anomaly\n', 2, 'l.csv')).toEqual([1]);
    expect(() => parseLineLabels('LineId,Label\n9,1\n', 3, 'l.csv')).toThrow(/l.csv line 2: line 9 is outside/);
    expect(() => parseLineLabels('LineId,Label\n1,maybe\n', 3, 'l.csv')).toThrow(/unknown label/);
    expect(() => parseLineLabels('LineId,Kind\n1,1\n', 3, 'l.csv')).toThrow(/no Label column/);
  });

  it('eval logs on a tiny Loghub-layout folder: BGL-style labels, HDFS-style CSV labels, unlabelled', () => {
    const dir = join(tmp, 'loghub');
    const { lines, anomalous } = syntheticLog({ lines: 1500, anomalies: 10, seed: 3 });
    mkdirSync(join(dir, 'BGL'), { recursive: true });
    writeFileSync(join(dir, 'BGL', 'BGL_2k.log'), lines.map((l, i) => `${anomalous.includes(i) ? 'ALERT' : '-'} ${l}`).join('\r\n'));
    mkdirSync(join(dir, 'HDFS'), { recursive: true });
    writeFileSync(join(dir, 'HDFS', 'HDFS_2k.log'), lines.join('\r\n') + '\r\n');
    writeFileSync(join(dir, 'HDFS', 'HDFS_2k_line_labels.csv'), ['LineId,Label,BlockIds', ...lines.map((_, i) => `${i + 1},${anomalous.includes(i) ? 1 : 0},blk_${i}`)].join('\r\n'));
    mkdirSync(join(dir, 'unlabeled'), { recursive: true });
    writeFileSync(join(dir, 'unlabeled', 'Plain_2k.log'), syntheticLog({ lines: 800, anomalies: 0, seed: 4 }).lines.join('\n'));
    const r = evalLogs({ data: dir });
    expect(r.missing).toEqual(['Thunderbird/Thunderbird_2k.log']);
    expect(r.datasets.map((d) => d.name)).toEqual(['BGL_2k', 'HDFS_2k', 'unlabeled/Plain_2k']);
    const [bgl, hdfs, plain] = r.datasets;
    // Same lines, same labels, two label formats: the same figures.
    expect(bgl.events).toBe(1500);
    expect(bgl.anomalous).toBe(10);
    expect(hdfs).toMatchObject({ tp: bgl.tp, fp: bgl.fp, fn: bgl.fn, anomalous: 10 });
    expect(bgl.recall).toBeGreaterThanOrEqual(0.8);
    expect(plain.precision).toBeNull();
    expect(plain.events).toBe(800);
    expect(() => evalLogs({ data: join(tmp, 'nowhere') })).toThrow(/no such directory/);
    expect(() => evalLogs({ data: join(dir, 'BGL') })).toThrow(/not a Loghub-layout folder/);
  });
});

describe('events file and labels', () => {
  const line = (o: object): string => JSON.stringify(o);

  it('groups by stream key (stream, else stream_type:metadata.source), keeps line indices', () => {
    const text = [
      line({ timestamp: '2024-01-01T00:00:00Z', stream_type: 'logs', data: 'a', metadata: { source: 'web' } }),
      line({ timestamp: 1_704_067_201_000, stream_type: 'metrics', data: 3 }),
      '',
      line({ timestamp: '2024-01-01T00:00:02Z', stream_type: 'metrics', data: { value: 4 } }),
      line({ timestamp: '2024-01-01T00:00:03Z', stream_type: 'logs', data: { msg: 'b' }, stream: 'mine' }),
      line({ timestamp: '2024-01-01T00:00:04Z', stream_type: 'logs', data: 'c', metadata: { source: 'web' } }),
    ].join('\n');
    const p = parseEventsNdjson(text);
    expect(p.events).toBe(5);
    expect([...p.streams.keys()]).toEqual(['logs:web', 'metrics:default', 'mine']);
    expect(p.streams.get('logs:web')).toMatchObject({ lines: [0, 5], inputs: [{ text: 'a' }, { text: 'c' }] });
    expect(p.streams.get('metrics:default')).toMatchObject({ lines: [1, 3], inputs: [{ ts: 1_704_067_201_000, value: 3 }, { value: 4 }] });
    expect(p.streams.get('mine')?.inputs[0].text).toBe('{"msg":"b"}');
    expect(parseEventLabels('{"anomalous":[5,0,5]}', p.eventLines)).toEqual([0, 5]);
    expect(() => parseEventLabels('{"anomalous":[2]}', p.eventLines)).toThrow(/anomalous\[0\] = 2 is not a line holding an event/);
    expect(() => parseEventLabels('[1]', p.eventLines)).toThrow(/expected \{"anomalous"/);
    expect(() => parseEventLabels('{"anomalous":[1.5]}', p.eventLines)).toThrow(/not a 0-based line index/);
    expect(() => parseEventLabels('{', p.eventLines)).toThrow(/not JSON/);
  });

  it('a bad line is named (1-based line, 0-based index) with the reason', () => {
    const ok = line({ timestamp: '2024-01-01T00:00:00Z', stream_type: 'logs', data: 'a' });
    expect(() => parseEventsNdjson([ok, '{nope'].join('\n'), 'f.ndjson')).toThrow(/f.ndjson line 2 \(index 1\): not JSON/);
    expect(() => parseEventsNdjson([ok, ok, line({ timestamp: 'x', stream_type: 'logs', data: 'a' })].join('\n'), 'f.ndjson')).toThrow(/line 3 \(index 2\): timestamp "x" is not RFC 3339/);
    expect(() => parseEventsNdjson(line({ timestamp: 0, stream_type: 'nope', data: 1 }))).toThrow(/stream_type must be one of/);
    expect(() => parseEventsNdjson(line({ timestamp: 0, stream_type: 'metrics', data: 'x' }))).toThrow(/metrics data must be a number/);
  });

  it('eval events: figures count events, not blank lines; flags map back to line indices', () => {
    const { lines, anomalous } = syntheticLog({ lines: 1200, anomalies: 8, seed: 9 });
    // A blank line after every 100th event: line indices shift, event figures must not.
    const out: string[] = [];
    const truthLines: number[] = [];
    lines.forEach((data, i) => {
      if (anomalous.includes(i)) truthLines.push(out.length);
      out.push(line({ timestamp: 1_700_000_000_000 + i * 1000, stream_type: 'logs', data }));
      if (i % 100 === 99) out.push('');
    });
    writeFileSync(join(tmp, 'e.ndjson'), out.join('\n'));
    writeFileSync(join(tmp, 'l.json'), JSON.stringify({ anomalous: truthLines }));
    const r = evalEvents({ events: join(tmp, 'e.ndjson'), labels: join(tmp, 'l.json') });
    expect(r.events).toBe(1200);
    expect(r.anomalous).toBe(8);
    expect(r.tp + r.fn).toBe(8);
    expect(r.flagged.length).toBe(r.tp + r.fp);
    for (const l of r.flagged) expect(out[l]).not.toBe('');
    expect(r.false_alarms_per_1000).toBeCloseTo((r.fp / 1200) * 1000, 12);
    expect(() => evalEvents({ events: join(tmp, 'missing.ndjson'), labels: join(tmp, 'l.json') })).toThrow(/--events .*: no such file/);
  });
});

describe('tar reader and eval nab on a tiny NAB-layout folder', () => {
  /** A ustar archive of regular files (the inverse of readTar, for the test). */
  function tar(files: Record<string, string>): Buffer {
    const blocks: Buffer[] = [];
    for (const [name, text] of Object.entries(files)) {
      const h = Buffer.alloc(512);
      h.write(name, 0, 'utf8');
      h.write('0000644\0', 100);
      const data = Buffer.from(text);
      h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
      h.write('0', 156);
      h.write('ustar\0', 257);
      h.write('        ', 148);
      let sum = 0;
      for (const b of h) sum += b;
      h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
      blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
    }
    blocks.push(Buffer.alloc(1024));
    return Buffer.concat(blocks);
  }

  it('reads regular files from a plain or gzipped archive', () => {
    const body = 'x'.repeat(700);
    const a = tar({ 'd/one.csv': 'a,b\n1,2\n', 'd/two.txt': body });
    for (const buf of [a, gzipSync(a)]) {
      const e = readTar(buf);
      expect(e.map((x) => x.name)).toEqual(['d/one.csv', 'd/two.txt']);
      expect(e[1].data.toString()).toBe(body);
    }
  });

  it('scores our detector and a stored baseline on the same files', () => {
    const dir = join(tmp, 'nab');
    const n = 2000;
    const t0 = Date.UTC(2020, 0, 1);
    const iso = (i: number): string => new Date(t0 + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    mkdirSync(join(dir, 'data', 'synthetic'), { recursive: true });
    // A noisy sine with a large spike at 1500 (inside its window) and a flat file with no windows.
    const rows = (f: (i: number) => number): string => ['timestamp,value', ...Array.from({ length: n }, (_, i) => `${iso(i)},${f(i)}`)].join('\n') + '\n';
    writeFileSync(join(dir, 'data', 'synthetic', 'spike.csv'), rows((i) => 10 + 3 * Math.sin(i / 20) + (i % 7) * 0.05 + (i === 1500 ? 40 : 0)));
    writeFileSync(join(dir, 'data', 'synthetic', 'flat.csv'), rows((i) => 5 + (i % 3) * 0.1));
    mkdirSync(join(dir, 'labels'), { recursive: true });
    writeFileSync(join(dir, 'labels', 'combined_windows.json'), JSON.stringify({ 'synthetic/spike.csv': [[`${iso(1400)}.000000`, `${iso(1600)}.000000`]], 'synthetic/flat.csv': [] }));
    // Baseline "oracle": 1 on the window's first row, else 0 → a perfect score.
    const scores = (hit: number | null): string => ['timestamp,anomaly_score', ...Array.from({ length: n }, (_, i) => `${iso(i)},${i === hit ? 1 : 0}`)].join('\n');
    mkdirSync(join(dir, 'results'), { recursive: true });
    writeFileSync(join(dir, 'results', 'oracle_scores.tar.gz'), gzipSync(tar({ 'oracle/synthetic/oracle_spike.csv': scores(1400), 'oracle/synthetic/oracle_flat.csv': scores(null) })));
    const r = evalNab({ data: dir });
    expect(r.nab.files).toBe(2);
    expect(r.nab.rows).toBe(2 * n);
    expect(r.notes).toContain("config/profiles.json absent: NAB's default profiles used");
    expect(r.baselines.oracle).toMatchObject({ standard: 100, reward_low_FP_rate: 100, reward_low_FN_rate: 100, files: 2 });
    // Ours catches the spike inside the window: positive, below perfect (the spike is mid-window).
    const spike = r.nab.per_file.find((f) => f.file === 'synthetic/spike.csv');
    expect(spike?.profiles.standard.windows_detected).toBe(1);
    expect(r.nab.standard).toBeGreaterThan(0);
    expect(r.nab.standard).toBeLessThan(100);
    expect(parseNabCsv('timestamp,value\n2020-01-01 00:00:00,1\n', 'value', 'x')).toEqual({ ts: [t0], values: [1] });
    expect(() => parseNabCsv('timestamp,value\n2020-01-01 00:00:00,\n', 'value', 'x.csv')).toThrow(/x.csv line 2: value "" is not a number/);
    expect(() => evalNab({ data: join(dir, 'labels') })).toThrow(/not in NAB's layout/);
  });
});
