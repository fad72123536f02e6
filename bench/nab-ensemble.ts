// NAB experiment (not shipped, not a speed benchmark): does a second, different detector
// combined with the shipped row likelihood hold up left out one category at a time?
//
//   file ──► shipped detector, calibration map = identity (raw row likelihood) ───────────┐
//        └─► contextual detector (in the spirit of CAD-OSE): value quantised into L levels  │
//            of the stream's range so far; the context = the last k levels; decayed counts  ├─► max ─► NAB
//            of (context → next level); surprise = −log2 P(level | context) (add-½);          │   (threshold swept,
//            Numenta's anomaly likelihood on it (short mean vs long-run mean and spread,      │    in-sample and
//            Gaussian tail → −log10(q) / 10); suppression 100 rows after 0.5 ─────────────────┘    LOCO)
//
// Candidates: the shipped detector alone, the contextual one alone, their max, for a few
// (L, k); then LOCO with the candidate chosen per fold (by the other four, and nested).
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-ensemble.js [--data DIR]
import { locoScore } from '../src/tools/eval/nab-loco.js';
import { NAB_PROFILES, scoreCorpus, type NabFile } from '../src/tools/eval/nab-scorer.js';
import { fmt, loadNab, nabDir, profiles } from './nab-corpus.js';

const dir = nabDir(process.argv.slice(2));

/** Complementary error function (Numerical Recipes erfcc). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}
const tail = (t: number): number => {
  if (!(t > 0)) return 0;
  const lq = t < 5 ? Math.log10(0.5 * erfc(t / Math.SQRT2)) : (-t * t / 2 - Math.log(t * Math.sqrt(2 * Math.PI))) / Math.LN10;
  return Math.min(1, Math.max(0, -lq / 10));
};

interface CtxParams { levels: number; order: number; rate: number; short: number; warm: number; supRows: number }

/** Contextual surprise → anomaly likelihood → suppression; raw scores in [0, 1] per row. */
function contextual(values: readonly number[], P: CtxParams): Float64Array {
  const L = P.levels;
  const nCtx = L ** P.order;
  const counts = new Float64Array(nCtx * L);
  const totals = new Float64Array(nCtx);
  let unit = 1;
  let lo = Infinity;
  let hi = -Infinity;
  const hist: number[] = [];
  let shortMean = 0;
  let mean = 0;
  let vr = 0;
  let n = 0;
  let supUntil = -1;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (x < lo) lo = x;
    if (x > hi) hi = x;
    const lvl = hi > lo ? Math.min(L - 1, Math.floor((L * (x - lo)) / (hi - lo))) : 0;
    if (hist.length < P.order) {
      hist.push(lvl);
      continue;
    }
    let ctx = 0;
    for (const h of hist) ctx = ctx * L + h;
    const p = (counts[ctx * L + lvl] + 0.5 * unit) / (totals[ctx] + 0.5 * L * unit);
    const surprise = -Math.log2(p);
    unit /= 1 - P.rate;
    counts[ctx * L + lvl] += unit;
    totals[ctx] += unit;
    if (unit > 1e9) {
      for (let k = 0; k < counts.length; k++) counts[k] /= unit;
      for (let k = 0; k < totals.length; k++) totals[k] /= unit;
      unit = 1;
    }
    hist.shift();
    hist.push(lvl);
    // Numenta's anomaly likelihood on the surprise.
    shortMean += (surprise - shortMean) / P.short;
    n++;
    const w = Math.max(P.rate, 1 / n);
    const sd = Math.max(0.01, Math.sqrt(vr));
    const t = (shortMean - mean) / sd;
    const d = Math.max(-8 * sd, Math.min(8 * sd, shortMean - mean));
    mean += w * d;
    vr = (1 - w) * (vr + w * d * d);
    let s = n + P.order < P.warm ? 0 : tail(t);
    if (i <= supUntil) s = 0;
    else if (s >= 0.5) supUntil = i + P.supRows;
    out[i] = s;
  }
  return out;
}

const { windows, series, shipped } = loadNab(dir);

const candidates: Record<string, NabFile[]> = {};
const report = (name: string, files: NabFile[]): void => {
  candidates[name] = files;
  const inSample = Object.fromEntries(scoreCorpus(files, windows).map((x) => [x.profile, x.normalised]));
  console.log(`${name}: in-sample ${fmt(inSample)} | LOCO (threshold only) ${fmt(locoScore({ [name]: files }, windows).scores)}`);
};
report('shipped', series.map((s, i) => ({ name: s.name, ts: s.ts, score: shipped[i] })));
const base: CtxParams = { levels: 8, order: 2, rate: 0.001, short: 10, warm: 100, supRows: 100 };
const grid: [string, Partial<CtxParams>][] = [['L8 k2', {}], ['L6 k2', { levels: 6 }], ['L12 k2', { levels: 12 }], ['L8 k1', { order: 1 }], ['L8 k3', { order: 3 }]];
for (const [label, over] of grid) {
  const P = { ...base, ...over };
  const ctx = series.map((s) => contextual(s.values, P));
  report(`ctx ${label} alone`, series.map((s, i) => ({ name: s.name, ts: s.ts, score: ctx[i] })));
  report(`max(shipped, ctx ${label})`, series.map((s, i) => ({ name: s.name, ts: s.ts, score: shipped[i].map((v, r) => Math.max(v, ctx[i][r])) })));
}
const ens = Object.fromEntries(Object.entries(candidates).filter(([n]) => n.startsWith('max(') || n === 'shipped'));
const chosen = locoScore(ens, windows);
console.log(`LOCO, candidate (shipped or one of the max ensembles) and threshold chosen per fold by the other four: ${fmt(chosen.scores)}`);
for (const f of chosen.folds) console.log(`  held out ${f.category}: ${profiles.map((p) => `${p} ${f.chosen[p].candidate}`).join(', ')}`);
const nested = locoScore(ens, windows, NAB_PROFILES, 'nested');
console.log(`LOCO, candidate chosen per fold by a LOCO inside the other four: ${fmt(nested.scores)}`);
for (const f of nested.folds) console.log(`  held out ${f.category}: ${profiles.map((p) => `${p} ${f.chosen[p].candidate}`).join(', ')}`);
