// NAB's scoring (Numenta Anomaly Benchmark v1.x), as ../shared/datasets/nab/SCORING.md
// specifies it (a reading of numenta/NAB nab/sweeper.py, scorer.py, optimizer.py). Pure: the
// caller reads the files and passes rows, windows and profiles in.
//
//   per file: timestamps[], anomaly scores[]  +  windows [[start, end], ...]
//        │ weighRows(): per-row weighted score S_i and tag (window k | outside | probationary)
//        ▼
//   pooled rows of every file ──► sweep(): (θ, score, TP/TN/FP/FN) per distinct anomaly score
//        │ optimal θ = the highest θ with the largest pooled score (or a stored θ)
//        ▼
//   each file scored at θ ──► raw = Σ file scores ──► 100·(raw − null)/(perfect − null)
//
// Checked against the reference scorer (tools/nab_score.py) on the official numenta and
// random detector outputs: test/eval/nab-scorer.e2e.test.ts.

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

/** config/profiles.json: `{ name: { CostMatrix: {...} } }`. */
export type Profiles = Record<string, { CostMatrix: CostMatrix }>;

/** NAB's config/profiles.json (tnWeight is defined there but never used). */
export const NAB_PROFILES: Readonly<Profiles> = Object.freeze({
  standard: { CostMatrix: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 1.0 } },
  reward_low_FP_rate: { CostMatrix: { tpWeight: 1.0, fpWeight: 0.22, fnWeight: 1.0 } },
  reward_low_FN_rate: { CostMatrix: { tpWeight: 1.0, fpWeight: 0.11, fnWeight: 2.0 } },
});

export const PROBATION_PERCENT = 0.15;
/** The threshold the sweep starts from: nothing is detected. */
const START_THRESHOLD = 1.1;

/** One file's detector output: row i has timestamp ts[i] (any comparable number, e.g. ms) and score[i] in [0, 1]. */
export interface NabFile {
  /** Corpus-relative name, e.g. `realKnownCause/nyc_taxi.csv` (the key in combined_windows.json). */
  name: string;
  ts: ArrayLike<number>;
  score: ArrayLike<number>;
}

/** Windows per file as inclusive [start, end] timestamps, in the same unit as NabFile.ts. */
export type NabWindows = Record<string, readonly (readonly [number, number])[]>;

export interface Counts {
  tp: number;
  tn: number;
  fp: number;
  fn: number;
}

export interface FileScore extends Counts {
  file: string;
  /** The file's raw (unnormalised) score at the profile's threshold. */
  score: number;
  windows: number;
  /** Windows with at least one detection (after the probationary period). */
  windowsDetected: number;
}

export interface ProfileScore extends Counts {
  profile: string;
  threshold: number;
  raw: number;
  /** 0 = the null detector, 100 = perfect. */
  normalised: number;
  perFile: FileScore[];
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** NAB's scaled sigmoid: −1 beyond 3, else 2σ(−5y) − 1. */
export function scaledSigmoid(y: number): number {
  return y > 3 ? -1 : 2 * sigmoid(-5 * y) - 1;
}

const MAX_TP = scaledSigmoid(-1);

/** P = min(floor(0.15 n), 0.15 · 5000): rows i < P are probationary. */
export function probationLength(n: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * n), percent * 5000);
}

/** Tags: window index ≥ 0, OUTSIDE, or PROBATION. */
export const OUTSIDE = -1;
export const PROBATION = -2;

export interface WeighedRows {
  score: Float64Array;
  weight: Float64Array;
  tag: Int32Array;
  /** Windows (by index into the file's window list) that have at least one non-probationary row. */
  scoredWindows: number[];
}

/**
 * Per-row (anomaly score, S_i, tag) for one file under one cost matrix (SCORING.md §3). A window
 * bound must equal a row's timestamp; a window whose start is never met blocks the later ones,
 * as in NAB.
 */
export function weighRows(file: NabFile, windows: readonly (readonly [number, number])[], cm: CostMatrix, probationPercent = PROBATION_PERCENT): WeighedRows {
  const n = file.ts.length;
  if (file.score.length !== n) throw new RangeError(`${file.name}: ${file.score.length} scores for ${n} rows`);
  const prob = probationLength(n, probationPercent);
  const index = new Map<number, number>();
  for (let i = 0; i < n; i++) index.set(file.ts[i], i); // last row wins on duplicates, as NAB's dict
  for (const [a, b] of windows) {
    if (!index.has(a)) throw new RangeError(`${file.name}: window start ${fmt(a)} is not a row's timestamp`);
    if (!index.has(b)) throw new RangeError(`${file.name}: window end ${fmt(b)} is not a row's timestamp`);
  }
  const out: WeighedRows = { score: new Float64Array(n), weight: new Float64Array(n), tag: new Int32Array(n), scoredWindows: [] };
  let next = 0;
  let cur = -1;
  let cRight = 0;
  let cWidth = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < n; i++) {
    const t = file.ts[i];
    const a = file.score[i];
    if (!Number.isFinite(a)) throw new RangeError(`${file.name}: row ${i} has anomaly score ${a}`);
    if (next < windows.length && t === windows[next][0]) {
      cur = next++;
      cRight = index.get(windows[cur][1]) as number;
      cWidth = cRight - (index.get(windows[cur][0]) as number) + 1;
    }
    let w: number;
    if (cur >= 0) {
      w = (scaledSigmoid(-(cRight - i + 1) / cWidth) * cm.tpWeight) / MAX_TP;
    } else if (prevRight < 0) {
      w = -cm.fpWeight;
    } else {
      // NAB windows are wider than one row; a 1-row window would divide by zero: full penalty.
      w = prevWidth > 1 ? scaledSigmoid(Math.abs(prevRight - i) / (prevWidth - 1)) * cm.fpWeight : -cm.fpWeight;
    }
    out.score[i] = a;
    out.weight[i] = w;
    if (i < prob) out.tag[i] = PROBATION;
    else {
      out.tag[i] = cur >= 0 ? cur : OUTSIDE;
      if (cur >= 0 && (out.scoredWindows.length === 0 || out.scoredWindows[out.scoredWindows.length - 1] !== cur)) out.scoredWindows.push(cur);
    }
    if (cur >= 0 && t === windows[cur][1]) {
      prevRight = i;
      prevWidth = cWidth;
      cur = -1;
    }
  }
  return out;
}

function fmt(t: number): string {
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? String(t) : d.toISOString();
}

/** Score of one file at threshold θ: detections are the non-probationary rows with score ≥ θ (SCORING.md §4). */
export function scoreAt(rows: WeighedRows, threshold: number, cm: CostMatrix): Counts & { score: number; windowsDetected: number } {
  const best = new Map<number, number>();
  for (const k of rows.scoredWindows) best.set(k, -cm.fnWeight);
  let fpSum = 0;
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  const n = rows.score.length;
  for (let i = 0; i < n; i++) {
    const tag = rows.tag[i];
    if (tag === PROBATION) continue;
    const detected = rows.score[i] >= threshold;
    if (tag === OUTSIDE) {
      if (detected) {
        fp++;
        fpSum += rows.weight[i];
      } else tn++;
    } else if (detected) {
      tp++;
      const b = best.get(tag) as number;
      if (rows.weight[i] > b) best.set(tag, rows.weight[i]);
    } else fn++;
  }
  let score = fpSum;
  let windowsDetected = 0;
  for (const v of best.values()) {
    score += v;
    if (v !== -cm.fnWeight) windowsDetected++;
  }
  return { score, tp, tn, fp, fn, windowsDetected };
}

export interface SweepRow extends Counts {
  threshold: number;
  score: number;
}

/**
 * NAB's sweep over pooled rows (SCORING.md §4, "Efficient sweep"): one record per distinct
 * anomaly score, thresholds decreasing, starting at 1.1 (nothing detected). Record (θ, …) covers
 * every row with score ≥ θ.
 */
export function sweep(files: readonly WeighedRows[], cm: CostMatrix): SweepRow[] {
  let total = 0;
  for (const f of files) total += f.score.length;
  const score = new Float64Array(total);
  const weight = new Float64Array(total);
  const win = new Int32Array(total); // pooled window id, or OUTSIDE
  let m = 0;
  let windowBase = 0;
  let nWindows = 0;
  for (const f of files) {
    let maxTag = -1;
    for (let i = 0; i < f.score.length; i++) {
      const tag = f.tag[i];
      if (tag === PROBATION) continue;
      score[m] = f.score[i];
      weight[m] = f.weight[i];
      win[m] = tag === OUTSIDE ? OUTSIDE : windowBase + tag;
      if (tag > maxTag) maxTag = tag;
      m++;
    }
    for (const k of f.scoredWindows) if (k > maxTag) maxTag = k;
    windowBase += maxTag + 1;
  }
  nWindows = windowBase;
  const order = Array.from({ length: m }, (_, i) => i);
  order.sort((x, y) => score[y] - score[x]); // stable: equal scores keep row order
  const best = new Float64Array(nWindows).fill(Number.NaN);
  let windowSum = 0;
  for (let i = 0; i < m; i++) {
    const k = win[i];
    if (k !== OUTSIDE && Number.isNaN(best[k])) {
      best[k] = -cm.fnWeight;
      windowSum -= cm.fnWeight;
    }
  }
  let fpSum = 0;
  let tn = 0;
  for (let i = 0; i < m; i++) if (win[i] === OUTSIDE) tn++;
  let fn = m - tn;
  let tp = 0;
  let fp = 0;
  const out: SweepRow[] = [];
  let th = START_THRESHOLD;
  for (const i of order) {
    const a = score[i];
    if (a !== th) {
      out.push({ threshold: th, score: windowSum + fpSum, tp, tn, fp, fn });
      th = a;
    }
    const k = win[i];
    if (k === OUTSIDE) {
      fp++;
      tn--;
      fpSum += weight[i];
    } else {
      tp++;
      fn--;
      if (weight[i] > best[k]) {
        windowSum += weight[i] - best[k];
        best[k] = weight[i];
      }
    }
  }
  out.push({ threshold: th, score: windowSum + fpSum, tp, tn, fp, fn });
  return out;
}

/** The optimal threshold: the largest pooled score; on ties the first (highest θ). */
export function optimalThreshold(rows: readonly SweepRow[]): number {
  let bestRow = rows[0];
  for (const r of rows) if (r.score > bestRow.score) bestRow = r;
  return bestRow.threshold;
}

export interface ScoreCorpusOptions {
  profiles?: Readonly<Profiles>;
  /** Score at these thresholds per profile (NAB's stored thresholds) instead of optimising. */
  thresholds?: Readonly<Record<string, number>>;
  probationPercent?: number;
}

/**
 * NAB's score of one detector over a corpus, per profile. Files without an entry in `windows`
 * have no windows. The normalisation counts the windows of the files scored (NAB counts the
 * label file's entries; the two agree when every labelled file is scored).
 */
export function scoreCorpus(files: readonly NabFile[], windows: Readonly<NabWindows>, opts: ScoreCorpusOptions = {}): ProfileScore[] {
  const profiles = opts.profiles ?? NAB_PROFILES;
  let nWindows = 0;
  for (const f of files) nWindows += (windows[f.name] ?? []).length;
  if (nWindows === 0) throw new RangeError('no anomaly windows in the files scored: NAB normalises against them, so there is nothing to score');
  const out: ProfileScore[] = [];
  for (const [profile, { CostMatrix: cm }] of Object.entries(profiles)) {
    const weighed = files.map((f) => weighRows(f, windows[f.name] ?? [], cm, opts.probationPercent));
    const fixed = opts.thresholds?.[profile];
    const threshold = fixed ?? optimalThreshold(sweep(weighed, cm));
    const perFile: FileScore[] = [];
    const tot = { raw: 0, tp: 0, tn: 0, fp: 0, fn: 0 };
    weighed.forEach((w, i) => {
      const r = scoreAt(w, threshold, cm);
      perFile.push({ file: files[i].name, score: r.score, tp: r.tp, tn: r.tn, fp: r.fp, fn: r.fn, windows: (windows[files[i].name] ?? []).length, windowsDetected: r.windowsDetected });
      tot.raw += r.score;
      tot.tp += r.tp;
      tot.tn += r.tn;
      tot.fp += r.fp;
      tot.fn += r.fn;
    });
    const baseline = -nWindows * cm.fnWeight;
    const perfect = nWindows * cm.tpWeight;
    out.push({ profile, threshold, raw: tot.raw, normalised: (100 * (tot.raw - baseline)) / (perfect - baseline), tp: tot.tp, tn: tot.tn, fp: tot.fp, fn: tot.fn, perFile });
  }
  return out;
}

/** NAB timestamps `YYYY-MM-DD HH:MM:SS[.ffffff]` (or with `T`), read as UTC → ms since epoch (fraction kept). */
export function parseNabTime(s: string): number {
  const m = /^(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(\.\d+)?Z?$/.exec(s.trim());
  if (m === null) return Number.NaN;
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return m[7] === undefined ? ms : ms + Number(m[7]) * 1000;
}

/** combined_windows.json (string bounds) → NabWindows in ms. */
export function parseWindows(json: unknown): NabWindows {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('combined_windows.json must map file names to lists of [start, end]');
  const out: NabWindows = {};
  for (const [file, ws] of Object.entries(json as Record<string, unknown>)) {
    if (!Array.isArray(ws)) throw new TypeError(`combined_windows.json: ${file} must be a list of [start, end]`);
    out[file] = ws.map((w, k) => {
      if (!Array.isArray(w) || w.length !== 2 || typeof w[0] !== 'string' || typeof w[1] !== 'string') throw new TypeError(`combined_windows.json: ${file} window ${k} must be [start, end] strings`);
      const a = parseNabTime(w[0]);
      const b = parseNabTime(w[1]);
      if (Number.isNaN(a) || Number.isNaN(b)) throw new TypeError(`combined_windows.json: ${file} window ${k} has an unreadable timestamp`);
      return [a, b] as const;
    });
  }
  return out;
}

/** config/profiles.json → Profiles (each needs tpWeight, fpWeight, fnWeight numbers). */
export function parseProfiles(json: unknown): Profiles {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new TypeError('profiles.json must map profile names to { CostMatrix }');
  const out: Profiles = {};
  for (const [name, p] of Object.entries(json as Record<string, unknown>)) {
    const cm = (p as { CostMatrix?: Record<string, unknown> } | null)?.CostMatrix;
    if (cm === undefined || cm === null || typeof cm.tpWeight !== 'number' || typeof cm.fpWeight !== 'number' || typeof cm.fnWeight !== 'number') {
      throw new TypeError(`profiles.json: ${name}.CostMatrix needs numeric tpWeight, fpWeight and fnWeight`);
    }
    out[name] = { CostMatrix: { tpWeight: cm.tpWeight, fpWeight: cm.fpWeight, fnWeight: cm.fnWeight } };
  }
  return out;
}
