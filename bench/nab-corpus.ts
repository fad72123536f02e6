// The NAB development corpus as the NAB experiments read it (nab-ensemble.ts, nab-combine.ts,
// nab-multiscale.ts, nab-files.ts, nab-delay.ts, nab-diag.ts): the label windows, every file's
// series, and the shipped detector's raw row likelihood per file; and the candidates' report of
// nab-combine.ts and nab-multiscale.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listNabFiles, parseNabCsv } from '../src/tools/eval/nab.js';
import { packageRoot } from '../src/core/paths.js';
import { locoScore } from '../src/tools/eval/nab-loco.js';
import { NAB_PROFILES, optimalThreshold, parseWindows, scoreCorpus, sweep, weighRows, type NabFile } from '../src/tools/eval/nab-scorer.js';
import { NUMERIC_PARAMS, scoreNumeric, type NumericParams } from '../workers/detectors/numeric.js';

export const profiles = Object.keys(NAB_PROFILES);
/** One figure per profile, "standard / low FP / low FN". */
export const fmt = (r: Record<string, number>): string => profiles.map((p) => r[p].toFixed(2)).join(' / ');

export function loadNab(dir: string) {
  const windows = parseWindows(JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')));
  const names = listNabFiles(join(dir, 'data'));
  const series = names.map((name) => ({ name, ...parseNabCsv(readFileSync(join(dir, 'data', name), 'utf8'), 'value', name) }));
  // The shipped detector's raw row likelihood: its calibration map made the identity (a strictly
  // increasing map changes no NAB score; the combinations need the raw scale).
  const RAW: NumericParams = { ...NUMERIC_PARAMS, mapSensitive: 0.4, mapBalanced: 0.5, mapStrict: 0.65 };
  const shipped = series.map((s) => {
    const rows = new Float32Array(s.ts.length);
    scoreNumeric(null, s.ts.map((t, i) => ({ ts: t, value: s.values[i] })), RAW, rows);
    return Float64Array.from(rows);
  });
  return { windows, series, shipped };
}

/** `--data DIR` of the arguments, or the shared datasets' nab beside the project. */
export function nabDir(args: string[]): string {
  const di = args.indexOf('--data');
  return di >= 0 ? args[di + 1] : join(packageRoot, '..', '..', 'shared', 'datasets', 'nab');
}

/** The shipped rows weighed against the windows with the standard profile, and that profile's optimal threshold. */
export function shippedStandard({ windows, series, shipped }: ReturnType<typeof loadNab>) {
  const cm = NAB_PROFILES.standard.CostMatrix;
  const weighed = series.map((s, i) => weighRows({ name: s.name, ts: s.ts, score: shipped[i] }, windows[s.name] ?? [], cm));
  return { cm, weighed, theta: optimalThreshold(sweep(weighed, cm)) };
}

/**
 * Candidate row scores over the corpus: `report(label, score)` adds one (score(i): file i's rows)
 * and prints its in-sample figures, its LOCO at the threshold only, and the standard profile's
 * windows detected and false positives; `chosen()` prints LOCO with the candidate chosen per fold
 * among all added ('train': by the other four categories' score; 'nested': by a LOCO inside them).
 */
export function candidateReport({ windows, series }: ReturnType<typeof loadNab>) {
  const candidates: Record<string, NabFile[]> = {};
  const report = (label: string, score: (i: number) => ArrayLike<number>): void => {
    const files = series.map((s, i) => ({ name: s.name, ts: s.ts, score: score(i) }));
    candidates[label] = files;
    const inSample = scoreCorpus(files, windows);
    const det = inSample.find((x) => x.profile === 'standard');
    const win = det === undefined ? '' : ` (standard: ${det.perFile.reduce((a, f) => a + f.windowsDetected, 0)} windows, ${det.fp} fp)`;
    console.log(`${label}: in-sample ${fmt(Object.fromEntries(inSample.map((x) => [x.profile, x.normalised])))} | LOCO (threshold only) ${fmt(locoScore({ [label]: files }, windows).scores)}${win}`);
  };
  const chosen = (): void => {
    for (const select of ['train', 'nested'] as const) {
      const c = locoScore(candidates, windows, NAB_PROFILES, select);
      console.log(`LOCO, candidate chosen per fold (${select}) among ${Object.keys(candidates).length}: ${fmt(c.scores)}`);
      for (const f of c.folds) console.log(`  held out ${f.category}: ${profiles.map((p) => `${p} ${f.chosen[p].candidate}`).join(', ')}`);
    }
  };
  return { report, chosen };
}
