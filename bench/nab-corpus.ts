// The NAB development corpus as the NAB experiments read it (nab-ensemble.ts, nab-combine.ts): the
// label windows, every file's series, and the shipped detector's raw row likelihood per file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listNabFiles, parseNabCsv } from '../src/tools/eval/nab.js';
import { packageRoot } from '../src/core/paths.js';
import { NAB_PROFILES, optimalThreshold, parseWindows, sweep, weighRows } from '../src/tools/eval/nab-scorer.js';
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
