// Leave-one-category-out NAB: the score of a detector whose choices (a parameter set among
// candidates, and the corpus threshold per profile) were made without the files it is scored on.
//
//   candidates: name → NabFile[] (the same files, each candidate's row scores)
//   for each category c (data/<c>/…) and each profile:
//     on the files of the other categories: for each candidate, NAB's threshold sweep → best raw
//     score; the candidate and threshold with the best raw score are chosen (ties: the first)
//       select 'nested': the candidate is instead the one with the best leave-one-category-out
//       raw score *inside* the other categories (each inner category at the threshold swept on
//       the remaining ones), which rewards a candidate that transfers between categories rather
//       than one that fits the other four best; the threshold is then swept on all four
//     on the files of c: raw score at that threshold with that candidate
//   CV score = NAB's normalisation of the summed held-out raw scores over all files' windows,
//   the same formula as the in-sample score, so the two sit side by side.
import { optimalThreshold, scoreAt, sweep, NAB_PROFILES, type CostMatrix, type NabFile, type NabWindows, type Profiles, type WeighedRows, weighRows } from './nab-scorer.js';

export interface LocoFold {
  category: string;
  files: number;
  /** Per profile: the candidate and threshold chosen on the other categories, and the held-out normalised score. */
  chosen: Record<string, { candidate: string; threshold: number; held_out: number; held_out_raw: number }>;
}

export interface LocoReport {
  /** Per profile: the cross-validated normalised score. */
  scores: Record<string, number>;
  folds: LocoFold[];
}

export const categoryOf = (name: string): string => name.slice(0, Math.max(0, name.indexOf('/')));

const normalised = (raw: number, windows: number, cm: { tpWeight: number; fnWeight: number }): number => {
  const baseline = -windows * cm.fnWeight;
  return (100 * (raw - baseline)) / (windows * cm.tpWeight - baseline);
};

export type LocoSelect = 'train' | 'nested';

/** Raw score of `test` at the threshold swept on `train` (indices into rows). */
function heldOutRaw(rows: readonly WeighedRows[], train: readonly number[], test: readonly number[], cm: CostMatrix): number {
  const threshold = optimalThreshold(sweep(train.map((i) => rows[i]), cm));
  return test.reduce((s, i) => s + scoreAt(rows[i], threshold, cm).score, 0);
}

export function locoScore(
  candidates: Readonly<Record<string, readonly NabFile[]>>,
  windows: Readonly<NabWindows>,
  profiles: Readonly<Profiles> = NAB_PROFILES,
  select: LocoSelect = 'train',
): LocoReport {
  const names = Object.keys(candidates);
  if (names.length === 0) throw new TypeError('locoScore needs at least one candidate');
  const files = candidates[names[0]];
  for (const n of names) {
    const fs = candidates[n];
    if (fs.length !== files.length || fs.some((f, i) => f.name !== files[i].name)) throw new TypeError(`candidate ${n} does not score the same files as ${names[0]}`);
  }
  const cats = [...new Set(files.map((f) => categoryOf(f.name)))].sort();
  if (cats.length < 2) throw new TypeError('leave-one-category-out needs files in at least two categories (data/<category>/<file>.csv)');
  if (select === 'nested' && cats.length < 3) throw new TypeError('nested leave-one-category-out needs files in at least three categories');
  const nWin = (idx: readonly number[]): number => idx.reduce((s, i) => s + (windows[files[i].name] ?? []).length, 0);
  const scores: Record<string, number> = {};
  const folds: LocoFold[] = cats.map((c) => ({ category: c, files: files.filter((f) => categoryOf(f.name) === c).length, chosen: {} }));
  for (const [profile, { CostMatrix: cm }] of Object.entries(profiles)) {
    const weighed: Record<string, WeighedRows[]> = Object.fromEntries(names.map((n) => [n, candidates[n].map((f) => weighRows(f, windows[f.name] ?? [], cm))]));
    let heldRaw = 0;
    cats.forEach((c, k) => {
      const train = files.flatMap((f, i) => (categoryOf(f.name) !== c ? [i] : []));
      const test = files.flatMap((f, i) => (categoryOf(f.name) === c ? [i] : []));
      const inner = cats.filter((d) => d !== c);
      let best: { candidate: string; threshold: number; raw: number } | null = null;
      for (const n of names) {
        const rows = train.map((i) => weighed[n][i]);
        const threshold = optimalThreshold(sweep(rows, cm));
        const raw = select === 'train'
          ? rows.reduce((s, w) => s + scoreAt(w, threshold, cm).score, 0)
          : inner.reduce((s, d) => s + heldOutRaw(weighed[n], train.filter((i) => categoryOf(files[i].name) !== d), train.filter((i) => categoryOf(files[i].name) === d), cm), 0);
        if (best === null || raw > best.raw) best = { candidate: n, threshold, raw };
      }
      const b = best as { candidate: string; threshold: number; raw: number };
      const raw = test.reduce((s, i) => s + scoreAt(weighed[b.candidate][i], b.threshold, cm).score, 0);
      heldRaw += raw;
      const w = nWin(test);
      folds[k].chosen[profile] = { candidate: b.candidate, threshold: b.threshold, held_out: w > 0 ? normalised(raw, w, cm) : Number.NaN, held_out_raw: raw };
    });
    scores[profile] = normalised(heldRaw, nWin(files.map((_, i) => i)), cm);
  }
  return { scores, folds };
}
