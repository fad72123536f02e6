// NAB experiment (not shipped, not a speed benchmark): the shipped detector run again on coarser
// copies of each series (the mean, or with --agg median the median, of every k rows, at the block's
// last timestamp), its row score put on the block's last row, max-combined with the shipped rows; in-sample and leave one
// category out, then the scale chosen per fold ('train' and 'nested').
// --shared: the detector's suppression (supRows rows after a row reaches supLevel) applied once more to the
// combined rows, so a coarse row right after a fine detection (or the reverse) is not a second one.
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-multiscale.js [--data DIR] [--scales 2,4,8] [--agg mean|median] [--shared]
import { NUMERIC_PARAMS, scoreNumeric, type NumericParams } from '../workers/detectors/numeric.js';
import { candidateReport, loadNab, nabDir } from './nab-corpus.js';

const args = process.argv.slice(2);
const opt = (flag: string): string | undefined => { const i = args.indexOf(flag); return i >= 0 ? args[i + 1] : undefined; };
const scales = (opt('--scales') ?? '2,4,8').split(',').map(Number);
const agg = opt('--agg') ?? 'mean';
const shared = args.includes('--shared');
const P0 = NUMERIC_PARAMS;
/** One suppression over the combined rows (the detector's rule with supMult 0: after a row reaches supLevel, supRows rows score 0; without its supSpatial break for a far new extreme). */
function suppress(rows: Float64Array): Float64Array {
  if (!shared) return rows;
  let until = -1;
  for (let r = 0; r < rows.length; r++) {
    if (r <= until) rows[r] = 0;
    else if (rows[r] >= P0.supLevel) until = r + P0.supRows;
  }
  return rows;
}
const corpus = loadNab(nabDir(args));
const { series, shipped } = corpus;
const RAW: NumericParams = { ...NUMERIC_PARAMS, mapSensitive: 0.4, mapBalanced: 0.5, mapStrict: 0.65 };

function coarse(ts: number[] | Float64Array, values: number[] | Float64Array, k: number): Float64Array {
  const out = new Float64Array(ts.length);
  const ev: { ts: number; value: number }[] = [];
  const at: number[] = [];
  for (let s = 0; s + k <= ts.length; s += k) {
    const xs = Array.from(values.slice(s, s + k) as ArrayLike<number>);
    let v: number;
    if (agg === 'median') { xs.sort((a, b) => a - b); v = xs[xs.length >> 1]; } else v = xs.reduce((a, b) => a + b, 0) / k;
    ev.push({ ts: ts[s + k - 1], value: v });
    at.push(s + k - 1);
  }
  const rows = new Float32Array(ev.length);
  scoreNumeric(null, ev, RAW, rows);
  at.forEach((r, j) => { out[r] = rows[j]; });
  return out;
}

const { report, chosen } = candidateReport(corpus);
report('shipped', (i) => shipped[i]);
const per = new Map<number, Float64Array[]>();
for (const k of scales) {
  const c = series.map((s) => coarse(s.ts, s.values, k));
  per.set(k, c);
  report(`max(shipped, ${agg} ${k})`, (i) => suppress(shipped[i].map((v, r) => Math.max(v, c[i][r]))));
}
if (scales.length > 1) report(`max(shipped, all ${scales.join('/')})`, (i) => suppress(shipped[i].map((v, r) => Math.max(v, ...scales.map((k) => (per.get(k) as Float64Array[])[i][r])))));
chosen();
