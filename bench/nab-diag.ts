// NAB experiment (not a speed benchmark): the shipped detector's detections at the standard
// threshold, each with the feature that made it, split into window hits and false positives, and
// how many of each kind are "echoes": a row that started a suppression (raw ≥ supLevel) lies within
// 2 h of the same time one week earlier (the time-of-week profile learned that episode).
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-diag.js [--data DIR]
import { OUTSIDE, PROBATION } from '../src/tools/eval/nab-scorer.js';
import { NUMERIC_PARAMS, calibrated, scoreNumeric } from '../workers/detectors/numeric.js';
import { loadNab, nabDir, shippedStandard } from './nab-corpus.js';

const corpus = loadNab(nabDir(process.argv.slice(2)));
const { windows, series, shipped } = corpus;
const { weighed, theta } = shippedStandard(corpus);
const pub = calibrated(theta);
const tally: Record<string, Record<string, number>> = {};
const gaps: number[] = [];
const WEEK = 7 * 86_400_000;
const echoes: Record<string, [number, number]> = {};
series.forEach((s, fi) => {
  const w = weighed[fi];
  const { findings } = scoreNumeric(null, s.ts.map((t, i) => ({ ts: t, value: s.values[i] })), NUMERIC_PARAMS, undefined, pub);
  let last = -1e9;
  const lines: string[] = [];
  for (const f of findings) {
    if (shipped[fi][f.index] < theta) continue;
    const tag = w.tag[f.index];
    const what = tag === PROBATION ? 'prob' : tag === OUTSIDE ? 'FP' : `W${tag}`;
    const feat = String((f.details as Record<string, unknown>).kind);
    const kind = what === 'prob' || what === 'FP' ? what : 'TP';
    tally[feat] ??= {};
    tally[feat][kind] = (tally[feat][kind] ?? 0) + 1;
    if (what === 'FP') gaps.push(f.index - last);
    if (what !== 'prob') {
      const t = s.ts[f.index] - WEEK;
      const echo = s.ts.some((u, i) => Math.abs(t - u) <= 7_200_000 && shipped[fi][i] >= NUMERIC_PARAMS.supLevel);
      echoes[`${feat} ${kind}`] ??= [0, 0];
      echoes[`${feat} ${kind}`][echo ? 0 : 1]++;
    }
    last = f.index;
    lines.push(`${f.index}:${what}:${feat}${what === 'FP' ? `(w=${w.weight[f.index].toFixed(2)})` : ''}`);
  }
  console.log(`${s.name} (${s.ts.length} rows, windows ${(windows[s.name] ?? []).length}): ${lines.join(' ')}`);
});
console.log(JSON.stringify(tally));
console.log(`[echo of a detection one week earlier (±2 h), not]: ${JSON.stringify(echoes)}`);
gaps.sort((a, b) => a - b);
console.log(`FP rows since the previous detection: ${gaps.join(' ')}`);
