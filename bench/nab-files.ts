// NAB experiment (not a speed benchmark): where two parameter sets differ, file by file, each
// scored (standard profile) at the threshold its fold chose on the other four categories (LOCO).
// Prints per category and per file the held-out raw score, windows detected and false positives of
// both, and the largest raw row score inside each window the first one misses.
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-files.js [--data DIR] [--same-threshold] '[["a",{}],["b",{"supRows":50}]]'
import { categoryOf } from '../src/tools/eval/nab-loco.js';
import { NAB_PROFILES, optimalThreshold, scoreAt, sweep, weighRows } from '../src/tools/eval/nab-scorer.js';
import { NUMERIC_PARAMS, scoreNumeric, type NumericParams } from '../workers/detectors/numeric.js';
import { loadNab, nabDir } from './nab-corpus.js';

const args = process.argv.slice(2);
const spec = args.filter((a, i) => a !== '--data' && args[i - 1] !== '--data' && !a.startsWith('--'))[0] ?? '[["shipped",{}]]';
const grid = JSON.parse(spec) as [string, Partial<NumericParams>][];
const { windows, series } = loadNab(nabDir(args));
const cm = NAB_PROFILES.standard.CostMatrix;
const cats = [...new Set(series.map((s) => categoryOf(s.name)))].sort();

const results = grid.map(([name, over]) => {
  const P: NumericParams = { ...NUMERIC_PARAMS, ...over };
  const weighed = series.map((s) => {
    const rows = new Float32Array(s.ts.length);
    scoreNumeric(null, s.ts.map((t, i) => ({ ts: t, value: s.values[i] })), P, rows);
    return weighRows({ name: s.name, ts: s.ts, score: Float64Array.from(rows) }, windows[s.name] ?? [], cm);
  });
  const theta = new Map<string, number>();
  for (const c of cats) theta.set(c, optimalThreshold(sweep(weighed.filter((_, i) => categoryOf(series[i].name) !== c), cm)));
  return { name, theta, weighed };
}).map((r, _, all) => {
  // --same-threshold: every candidate at the first one's fold thresholds (what changed in the rows, not in the threshold).
  const th = args.includes('--same-threshold') ? all[0].theta : r.theta;
  const per = r.weighed.map((w, i) => ({ ...scoreAt(w, th.get(categoryOf(series[i].name)) as number, cm), w }));
  return { name: r.name, theta: th, per };
});
const nWin = series.reduce((a, s) => a + (windows[s.name] ?? []).length, 0);
for (const r of results) {
  const total = r.per.reduce((a, p) => a + p.score, 0);
  console.log(`${r.name}: LOCO standard ${((100 * (total + nWin)) / (2 * nWin)).toFixed(2)}; thresholds ${cats.map((c) => `${c} ${(r.theta.get(c) as number).toFixed(4)}`).join(', ')}`);
  for (const c of cats) {
    const idx = series.flatMap((s, i) => (categoryOf(s.name) === c ? [i] : []));
    const sum = (f: (p: (typeof r.per)[number]) => number): number => idx.reduce((a, i) => a + f(r.per[i]), 0);
    console.log(`  ${c}: raw ${sum((p) => p.score).toFixed(2)}, windows ${sum((p) => p.windowsDetected)}, fp ${sum((p) => p.fp)}`);
  }
}
const base = results[0];
series.forEach((s, i) => {
  const cols = results.map((r) => `${r.name} ${r.per[i].score.toFixed(2)} (w${r.per[i].windowsDetected} fp${r.per[i].fp})`);
  const differs = results.some((r) => Math.abs(r.per[i].score - base.per[i].score) > 1e-9);
  // Missed windows of the first candidate: the largest row score inside, against the threshold.
  const b = base.per[i];
  const th = base.theta.get(categoryOf(s.name)) as number;
  const missed: string[] = [];
  for (const k of b.w.scoredWindows) {
    let mx = 0;
    let at = -1;
    for (let j = 0; j < b.w.tag.length; j++) if (b.w.tag[j] === k && b.w.score[j] > mx) { mx = b.w.score[j]; at = j; }
    if (mx < th) missed.push(`W${k} max ${mx.toFixed(3)} at ${at}`);
  }
  if (differs || missed.length > 0) console.log(`${differs ? '*' : ' '} ${s.name}: ${cols.join(' | ')}${missed.length ? `; ${base.name} missed ${missed.join(', ')}` : ''}`);
});
