// NAB parameter sweep judged by leave-one-category-out (not a speed benchmark: a sweep that
// only prints lives here, not in the tests).
//
//   candidates (JSON: [[name, {param: value}], …]; absent: a small default grid)
//     ──► scoreNumeric per file (row scores; identical whatever the batch split)
//     ──► per candidate: in-sample NAB score (threshold swept on all 42 files) and its LOCO score
//     ──► all candidates at once: LOCO where each fold picks candidate + threshold on the other four,
//         by their in-fold score ('train') and by a LOCO inside the four ('nested')
//     ──► the rows' median over all candidates (a fixed ensemble: nothing chosen): in-sample and LOCO
//
// Run: npx tsc -p tsconfig.json && node dist/bench/nab-loco.js [--data DIR] ['[["a",{"lkDiv":9}]]']
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/paths.js';
import { listNabFiles, parseNabCsv } from '../src/tools/eval/nab.js';
import { locoScore } from '../src/tools/eval/nab-loco.js';
import { NAB_PROFILES, parseWindows, scoreCorpus, type NabFile } from '../src/tools/eval/nab-scorer.js';
import { NUMERIC_PARAMS, scoreNumeric, type NumericParams } from '../workers/detectors/numeric.js';

const args = process.argv.slice(2);
const di = args.indexOf('--data');
const dir = di >= 0 ? args[di + 1] : join(packageRoot, '..', '..', 'shared', 'datasets', 'nab');
const spec = args.filter((a, i) => di < 0 || (i !== di && i !== di + 1))[0];

const DEFAULT_GRID: [string, Partial<NumericParams>][] = [
  ['shipped', {}],
  ['lkDiv 9', { lkDiv: 9 }],
  ['lkDiv 11', { lkDiv: 11 }],
  ['supRows 50', { supRows: 50 }],
  ['supRows 150', { supRows: 150 }],
  ['lkShort 7', { lkShort: 7 }],
  ['lkShort 14', { lkShort: 14 }],
  ['empK 0.3', { empK: 0.3 }],
  ['empK 1', { empK: 1 }],
  ['spatialTol 0.05', { spatialTol: 0.05 }],
  ['spatialTol 0.2', { spatialTol: 0.2 }],
];
const grid: [string, Partial<NumericParams>][] = spec === undefined ? DEFAULT_GRID : (JSON.parse(spec) as [string, Partial<NumericParams>][]);

const windows = parseWindows(JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')));
const names = listNabFiles(join(dir, 'data'));
const series = names.map((name) => ({ name, ...parseNabCsv(readFileSync(join(dir, 'data', name), 'utf8'), 'value', name) }));
const profiles = Object.keys(NAB_PROFILES);
const fmt = (r: Record<string, number>): string => profiles.map((p) => r[p].toFixed(2)).join(' / ');

const candidates: Record<string, NabFile[]> = {};
for (const [k, [name, over]] of grid.entries()) {
  const P: NumericParams = { ...NUMERIC_PARAMS, ...over };
  const t0 = performance.now();
  candidates[name] = series.map((s) => {
    const rows = new Float32Array(s.ts.length);
    scoreNumeric(null, s.ts.map((t, i) => ({ ts: t, value: s.values[i] })), P, rows);
    return { name: s.name, ts: s.ts, score: Float64Array.from(rows) };
  });
  const inSample = Object.fromEntries(scoreCorpus(candidates[name], windows).map((x) => [x.profile, x.normalised]));
  const cv = locoScore({ [name]: candidates[name] }, windows).scores;
  console.log(`${name}: in-sample ${fmt(inSample)} | LOCO (threshold only) ${fmt(cv)} (${k + 1}/${grid.length}, ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
}
const all = locoScore(candidates, windows);
console.log(`LOCO, candidate and threshold chosen per fold among ${grid.length}: ${fmt(all.scores)}`);
for (const f of all.folds) console.log(`  held out ${f.category}: ${profiles.map((p) => `${p} ${f.chosen[p].candidate}`).join(', ')}`);
if (grid.length > 1) {
  const nested = locoScore(candidates, windows, NAB_PROFILES, 'nested');
  console.log(`LOCO, candidate chosen per fold by a LOCO inside the other four, then its threshold: ${fmt(nested.scores)}`);
  for (const f of nested.folds) console.log(`  held out ${f.category}: ${profiles.map((p) => `${p} ${f.chosen[p].candidate}`).join(', ')}`);
  const names = Object.keys(candidates);
  const median = candidates[names[0]].map((f, i) => {
    const score = new Float64Array(f.score.length);
    const v = new Float64Array(names.length);
    for (let r = 0; r < score.length; r++) {
      names.forEach((n, k) => { v[k] = candidates[n][i].score[r]; });
      v.sort();
      score[r] = v[v.length >> 1];
    }
    return { name: f.name, ts: f.ts, score };
  });
  const inSample = Object.fromEntries(scoreCorpus(median, windows).map((x) => [x.profile, x.normalised]));
  console.log(`median of the ${names.length} candidates' rows: in-sample ${fmt(inSample)} | LOCO (threshold only) ${fmt(locoScore({ median }, windows).scores)}`);
}
