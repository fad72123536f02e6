// Log experiment (not a speed benchmark): where a labelled set's misses and false alarms come
// from, the `eval events` counterpart of nab-diag. Each stream runs as `eval events` runs it
// (score() per task of 100, state carried, the default threshold); then
//
//   labelled lines ─► incidents (runs of one kind, as metrics.ts counts them) ─► found / missed
//   flagged lines without a label ─► false alarms, grouped by their detectors and by the line's
//        shape (stream + text with hex ids and digits masked), with one explanation each
//
// so the largest classes can be read before a change, and compared after it.
// Run: npx tsc -p tsconfig.json && node dist/bench/events-diag.js DIR... [--top 20] [--json OUT]
//   (each DIR holds events.ndjson and labels.json, as `eval generate` writes them)
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import score from '../workers/score.js';
import { parseEventsNdjson, parseLabelsWithKinds } from '../src/tools/eval/events.js';
import { DEFAULT_BATCH } from '../src/tools/eval/run.js';
import { numberArg } from './args.js';

interface Hit {
  detector: string;
  score: number;
  explanation: string;
}

interface Row {
  set: string;
  line: number;
  /** 'fp': a flagged line without a label; else the incident's kind. */
  kind: string;
  found: boolean;
  shape: string;
  hits: Hit[];
}

const enc = new TextEncoder();

/** The line's shape: its stream and text, hex runs and digits masked, cut at 120 characters. */
function shape(raw: string): string {
  let rec: { stream?: unknown; text?: unknown; data?: unknown; message?: unknown };
  try {
    rec = JSON.parse(raw) as typeof rec;
  } catch {
    return raw.slice(0, 120);
  }
  const body = [rec.text, rec.data, rec.message].find((x): x is string => typeof x === 'string');
  return `${String(rec.stream)} ${(body ?? '').replace(/[0-9a-f]{8,}/gi, 'H').replace(/\d+/g, '#').slice(0, 120)}`;
}

/** Every finding of one set, per line index. */
function findings(events: string): Map<number, Hit[]> {
  const parsed = parseEventsNdjson(events);
  const out = new Map<number, Hit[]>();
  for (const [stream, s] of parsed.streams) {
    let state: Uint8Array | null = null;
    let sessionState: Uint8Array | null = null;
    for (let off = 0; off < s.inputs.length; off += DEFAULT_BATCH) {
      const r = score({ stream, streamType: s.streamType, state, sessionState, events: enc.encode(JSON.stringify(s.inputs.slice(off, off + DEFAULT_BATCH))) });
      if (!r.ok) throw new Error(`${stream}: ${r.code}: ${r.message}`);
      for (const f of r.findings) {
        const line = s.lines[off + f.index];
        const hits = out.get(line) ?? [];
        hits.push({ detector: f.detector, score: f.score, explanation: f.explanation });
        out.set(line, hits);
      }
      state = r.state;
      sessionState = r.sessionState ?? null;
    }
  }
  return out;
}

/** One set's incidents (first line each) and false alarms. */
function diagnose(dir: string): Row[] {
  const text = readFileSync(join(dir, 'events.ndjson'), 'utf8');
  const lines = text.split(/\r?\n/);
  const { eventLines } = parseEventsNdjson(text);
  const { anomalous, kinds } = parseLabelsWithKinds(readFileSync(join(dir, 'labels.json'), 'utf8'), eventLines);
  const hits = findings(text);
  const order = [...eventLines].sort((a, b) => a - b);
  const rank = new Map(order.map((l, r) => [l, r]));
  const rows: Row[] = [];
  let run: number[] = [];
  const close = (): void => {
    if (run.length === 0) return;
    const kind = kinds.get(run[0]) ?? 'anomalous';
    rows.push({ set: dir, line: run[0], kind, found: run.some((l) => hits.has(l)), shape: shape(lines[run[0]]), hits: run.flatMap((l) => hits.get(l) ?? []).slice(0, 3) });
    run = [];
  };
  for (const l of anomalous) {
    const prev = run[run.length - 1];
    if (prev !== undefined && (kinds.get(prev) !== kinds.get(l) || (rank.get(prev) as number) + 1 !== rank.get(l))) close();
    run.push(l);
  }
  close();
  const labelled = new Set(anomalous);
  for (const [line, h] of hits) if (!labelled.has(line)) rows.push({ set: dir, line, kind: 'fp', found: true, shape: shape(lines[line]), hits: h });
  return rows;
}

/** Groups rows by `key`, largest first, the top `n` printed with one example's findings. */
function printGroups(title: string, rows: Row[], key: (r: Row) => string, n: number): void {
  const groups = new Map<string, Row[]>();
  for (const r of rows) groups.set(key(r), [...(groups.get(key(r)) ?? []), r]);
  console.log(`${title}: ${rows.length}`);
  for (const [k, g] of [...groups].sort((a, b) => b[1].length - a[1].length).slice(0, n)) {
    console.log(`  ${g.length}  ${k}  (sets ${new Set(g.map((r) => r.set)).size})`);
    for (const h of g[0].hits) console.log(`      ${h.detector} ${h.score.toFixed(3)}: ${h.explanation.slice(0, 240)}`);
  }
}

const dirs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !(all[i - 1] ?? '').startsWith('--'));
const top = numberArg('--top', 20);
const rows = dirs.flatMap(diagnose);
const incidents = rows.filter((r) => r.kind !== 'fp');
const fps = rows.filter((r) => r.kind === 'fp');
const byKind = new Map<string, [number, number]>();
for (const r of incidents) {
  const v = byKind.get(r.kind) ?? [0, 0];
  byKind.set(r.kind, [v[0] + (r.found ? 1 : 0), v[1] + 1]);
}
const events = dirs.reduce((n, d) => n + parseEventsNdjson(readFileSync(join(d, 'events.ndjson'), 'utf8')).events, 0);
console.log(`recall ${(incidents.filter((r) => r.found).length / Math.max(1, incidents.length)).toFixed(3)} (${incidents.length} incidents), false alarms ${fps.length} (${((1000 * fps.length) / Math.max(1, events)).toFixed(2)} per 1,000 of ${events})`);
for (const [k, [f, n]] of [...byKind].sort()) console.log(`  ${k} ${f}/${n}`);
printGroups('missed incidents by kind and shape', incidents.filter((r) => !r.found), (r) => `${r.kind} ${r.shape}`, top);
printGroups('false alarms by detectors', fps, (r) => [...new Set(r.hits.map((h) => h.detector))].sort().join('+'), top);
printGroups('false alarms by shape', fps, (r) => r.shape, top);
const json = process.argv.indexOf('--json');
if (json !== -1) writeFileSync(process.argv[json + 1], JSON.stringify(rows));
