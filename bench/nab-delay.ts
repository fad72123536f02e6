// NAB experiment (not a speed benchmark): where in its window the shipped detector first fires,
// per category (NAB's reward falls along the window, so a late first detection costs).
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-delay.js [--data DIR]
import { categoryOf } from '../src/tools/eval/nab-loco.js';
import { OUTSIDE } from '../src/tools/eval/nab-scorer.js';
import { loadNab, nabDir, shippedStandard } from './nab-corpus.js';

const corpus = loadNab(nabDir(process.argv.slice(2)));
const { windows, series } = corpus;
const { weighed, theta } = shippedStandard(corpus);
console.log(`standard threshold ${theta.toFixed(4)}`);
const per: Record<string, { pos: number[]; missed: number; fp: number; tpW: number[] }> = {};
series.forEach((s, fi) => {
  const c = categoryOf(s.name);
  per[c] ??= { pos: [], missed: 0, fp: 0, tpW: [] };
  const w = weighed[fi];
  const ws = windows[s.name] ?? [];
  const idx = new Map<number, number>();
  s.ts.forEach((t, i) => idx.set(t, i));
  for (let i = 0; i < w.score.length; i++) if (w.tag[i] === OUTSIDE && w.score[i] >= theta) per[c].fp++;
  for (const [k, [a, b]] of ws.entries()) {
    if (!w.scoredWindows.includes(k)) continue;
    const lo = idx.get(a) as number;
    const hi = idx.get(b) as number;
    let first = -1;
    for (let i = lo; i <= hi; i++) if (w.tag[i] === k && w.score[i] >= theta) { first = i; break; }
    if (first < 0) { per[c].missed++; console.log(`  missed ${s.name} window ${k} rows ${lo}-${hi}`); continue; }
    per[c].pos.push((first - lo) / (hi - lo));
    per[c].tpW.push(w.weight[first]);
  }
});
// NAB's weight of a detection on a window's first row (the most a window can give), against what the first detections got.
const atStart = weighed.reduce((m, w) => w.weight.reduce((a, b) => Math.max(a, b), m), 0);
let gain = 0;
for (const v of Object.values(per)) gain += v.tpW.reduce((a, b) => a + (atStart - b), 0);
const nWin = series.reduce((a, s) => a + (windows[s.name] ?? []).length, 0);
console.log(`every detected window detected on its first row instead: +${gain.toFixed(2)} raw = +${((100 * gain) / (2 * nWin)).toFixed(2)} standard (the most earlier detection can add)`);
for (const [c, v] of Object.entries(per)) {
  const p = [...v.pos].sort((x, y) => x - y);
  const q = (f: number) => (p.length ? p[Math.min(p.length - 1, Math.floor(f * p.length))].toFixed(2) : '-');
  const meanW = v.tpW.reduce((a, b) => a + b, 0) / Math.max(1, v.tpW.length);
  console.log(`${c}: detected ${p.length}, missed ${v.missed}, fp ${v.fp}; first detection at window fraction q25 ${q(0.25)} median ${q(0.5)} q75 ${q(0.75)}; mean TP weight ${meanW.toFixed(3)}; ${p.map((x) => x.toFixed(2)).join(' ')}`);
}
