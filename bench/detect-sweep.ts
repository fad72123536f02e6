// bench/detect-sweep: parameter sweeps of the detectors on the labelled data in
// ../shared/datasets. Not a speed benchmark and not a test: it only prints figures, one line per
// variant, for choosing parameters (by hand, on the tuning data). Each sweep runs when its
// variable holds a JSON list of [name, parameter overrides]:
//
//   npx tsc -p tsconfig.json
//   DW_SWEEP='[["default",{}],["warm150",{"warmupEvents":150}]]' node dist/bench/detect-sweep.js
//     text detector: BGL_2k precision/recall/F1, HDFS_2k F1, Thunderbird_2k and unlabeled-Loghub
//     findings, and the demo log's recall over four seeds (overrides TEXT_PARAMS)
//   DW_SWEEP_NUMERIC='[["default",{}],["norefractory",{"refractory":0}]]' node dist/bench/detect-sweep.js
//     numeric detector on NAB (findings only, not NAB's scorer): labelled windows with a finding,
//     and findings outside windows after the probationary period (15%, at most 750 rows)
//   DW_SWEEP_NAB='[["default",{}],["clip5",{"lkClip":5}]]' node dist/bench/detect-sweep.js
//     numeric row likelihood scored by NAB's own rules (what `driftwatch eval nab` prints)
//
// NAB's held-out categories (realTweets, realAdExchange) are left out of every sweep: they are
// kept for the project's own evaluation, so no parameter may be chosen on them.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { syntheticLog } from '../src/tools/demo/synthetic.js';
import { detectionFigures } from '../src/tools/eval/metrics.js';
import { listNabFiles, parseNabCsv } from '../src/tools/eval/nab.js';
import { NAB_PROFILES, parseWindows, scoreCorpus } from '../src/tools/eval/nab-scorer.js';
import { NUMERIC_PARAMS, scoreNumeric, type NumericParams } from '../workers/detectors/numeric.js';
import { scoreText, TEXT_PARAMS, type TextParams } from '../workers/detectors/text.js';
import type { ScoreInput } from '../workers/types.js';

const HELD_OUT = ['realTweets/', 'realAdExchange/'];
const tuningFile = (name: string): boolean => !HELD_OUT.some((c) => name.startsWith(c));

const logs = join(packageRoot, '..', 'shared', 'datasets', 'logs');
const nab = join(packageRoot, '..', 'shared', 'datasets', 'nab');
const read = (p: string): string[] => readFileSync(join(logs, p), 'utf8').split(/\r?\n/).filter((l) => l.length > 0);
const textEvents = (lines: string[]): ScoreInput[] => lines.map((text, i) => ({ ts: 1_700_000_000_000 + i, text }));

interface Prf { tp: number; fp: number; precision: number; recall: number; f1: number }
function prf(flagged: Set<number>, truth: Set<number>, total: number): Prf {
  const m = detectionFigures(flagged, truth, total);
  return { tp: m.tp, fp: m.fp, precision: m.precision ?? 0, recall: m.recall ?? 0, f1: m.f1 ?? 0 };
}

function flagged(lines: string[], P: TextParams): Set<number> {
  let state: Uint8Array | null = null;
  const out = new Set<number>();
  for (let off = 0; off < lines.length; off += 100) {
    const r = scoreText(state, textEvents(lines.slice(off, off + 100)), P);
    state = r.state;
    for (const f of r.findings) out.add(f.index + off);
  }
  return out;
}

function textSweep(variants: [string, Partial<TextParams>][]): void {
  const bgl = read('BGL/BGL_2k.log').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]);
  const bglTruth = new Set<number>();
  bgl.forEach(([label], i) => label !== '-' && bglTruth.add(i));
  const tb = read('Thunderbird/Thunderbird_2k.log').map((l) => (l.startsWith('- ') ? l.slice(2) : l));
  const hdfs = read('HDFS/HDFS_2k.log');
  const hdfsTruth = new Set<number>();
  read('HDFS/HDFS_2k_line_labels.csv').slice(1).forEach((row, i) => row.split(',')[1] === '1' && hdfsTruth.add(i));
  const unlabeled = readdirSync(join(logs, 'unlabeled')).filter((f) => f.endsWith('.log')).sort().map((f) => read(join('unlabeled', f)));
  const out: string[] = [];
  for (const [name, over] of variants) {
    const P = { ...TEXT_PARAMS, ...over };
    const b = prf(flagged(bgl.map((r) => r[1]), P), bglTruth, bgl.length);
    const h = prf(flagged(hdfs, P), hdfsTruth, hdfs.length);
    const u = unlabeled.reduce((n, ls) => n + flagged(ls, P).size, 0);
    let tp = 0;
    let fp = 0;
    for (const seed of [1, 2, 3, 42]) {
      const { lines, anomalous } = syntheticLog({ lines: 5000, anomalies: 20, seed });
      const m = prf(flagged(lines, P), new Set(anomalous), lines.length);
      tp += m.tp;
      fp += m.fp;
    }
    out.push(
      `${name}: BGL P ${b.precision.toFixed(3)} R ${b.recall.toFixed(3)} F1 ${b.f1.toFixed(3)} | HDFS F1 ${h.f1.toFixed(3)} | ` +
        `Thunderbird ${flagged(tb, P).size}/2000 | unlabeled ${u}/${unlabeled.length * 2000} | demo recall ${tp}/80, false alarms ${fp}`,
    );
  }
  console.log(out.join('\n'));
}

function numericSweep(variants: [string, Partial<NumericParams>][]): void {
  const windows = JSON.parse(readFileSync(join(nab, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const files = Object.entries(windows).filter(([file]) => tuningFile(file)).map(([file, ws]) => {
    const rows = readFileSync(join(nab, 'data', file), 'utf8').split(/\r?\n/).filter((l) => l.length > 0).slice(1).map((l) => l.split(','));
    const ts = rows.map((r) => r[0]);
    return { file, ws: ws.map(([a, b]) => [a.slice(0, 19), b.slice(0, 19)]), ts, events: rows.map((r) => ({ ts: Date.parse(`${r[0].replace(' ', 'T')}Z`), value: Number(r[1]) })) };
  });
  const out: string[] = [];
  for (const [name, over] of variants) {
    const P = { ...NUMERIC_PARAMS, ...over };
    let hit = 0;
    let total = 0;
    let outside = 0;
    for (const f of files) {
      const { findings } = scoreNumeric(null, f.events, P);
      const inWin = (t: string): boolean => f.ws.some(([a, b]) => t >= a && t <= b);
      for (const [a, b] of f.ws) {
        total++;
        if (findings.some((x) => f.ts[x.index] >= a && f.ts[x.index] <= b)) hit++;
      }
      const prob = Math.min(Math.floor(0.15 * f.ts.length), 750);
      outside += findings.filter((x) => x.index >= prob && !inWin(f.ts[x.index])).length;
    }
    out.push(`${name}: NAB windows with a finding ${hit}/${total}, findings outside windows ${outside}`);
  }
  console.log(out.join('\n'));
}

function nabSweep(variants: [string, Partial<NumericParams>][]): void {
  const windows = Object.fromEntries(Object.entries(parseWindows(JSON.parse(readFileSync(join(nab, 'labels', 'combined_windows.json'), 'utf8')))).filter(([file]) => tuningFile(file)));
  const data = listNabFiles(join(nab, 'data')).filter(tuningFile).map((name) => {
    const { ts, values } = parseNabCsv(readFileSync(join(nab, 'data', name), 'utf8'), 'value', name);
    return { name, ts, events: ts.map((t, i) => ({ ts: t, value: values[i] })) };
  });
  const out: string[] = [];
  for (const [name, over] of variants) {
    const P = { ...NUMERIC_PARAMS, ...over };
    const files = data.map((d) => {
      const rows = new Float32Array(d.events.length);
      scoreNumeric(null, d.events, P, rows);
      return { name: d.name, ts: d.ts, score: Array.from(rows) };
    });
    const r = scoreCorpus(files, windows, { profiles: NAB_PROFILES });
    out.push(`${name}: ${r.map((p) => `${p.profile} ${p.normalised.toFixed(2)}`).join(', ')} (standard θ ${r[0].threshold.toFixed(4)})`);
  }
  console.log(out.join('\n'));
}

function variants<P>(name: string): [string, Partial<P>][] | undefined {
  const v = process.env[name];
  return v === undefined ? undefined : (JSON.parse(v) as [string, Partial<P>][]);
}

const text = variants<TextParams>('DW_SWEEP');
const numeric = variants<NumericParams>('DW_SWEEP_NUMERIC');
const nabRows = variants<NumericParams>('DW_SWEEP_NAB');
if (text === undefined && numeric === undefined && nabRows === undefined) {
  console.error('detect-sweep: set DW_SWEEP, DW_SWEEP_NUMERIC or DW_SWEEP_NAB (see the comment at the top of bench/detect-sweep.ts)');
  process.exit(2);
}
if (text !== undefined) {
  if (existsSync(logs)) textSweep(text);
  else console.error(`detect-sweep: ${logs} is absent; DW_SWEEP skipped`);
}
if (numeric !== undefined || nabRows !== undefined) {
  if (!existsSync(nab)) console.error(`detect-sweep: ${nab} is absent; NAB sweeps skipped`);
  else {
    if (numeric !== undefined) numericSweep(numeric);
    if (nabRows !== undefined) nabSweep(nabRows);
  }
}
