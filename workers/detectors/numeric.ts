// Numeric detector (metrics): robust online statistics, O(1) per point.
//
//   x ─► forecast p = level + trend (Holt, updates Huber-clipped so spikes do not drag it),
//        or, when it explains x better, the time-of-day profile (EWMA of the values seen in
//        this 30-minute bucket of the day on earlier days, by the event's ts): seasonality-aware
//     ─► residual r = x − p, robust scale s (EWMA of clipped |r|, ×1.25 ≈ σ)
//     ─► spike:       |z| = |r| / s
//         level shift: two-sided CUSUM of clipped z (a lone spike cannot trip it)
//         variance:    EWMA of clipped z² against 1
//     ─► calibration: the spike and CUSUM thresholds are raised to 1.5 × the stream's own
//        recent p99 of |z| and CUSUM (ring of 256, values clipped at twice the threshold), so
//        a heavy-tailed stream is judged against itself
//     ─► likelihood in [0, 1] per component (0.5 at its threshold), the max wins;
//        finding when ≥ 0.5 after warm-up, then a 100-point refractory period (only a higher
//        score, or a level shift confirming a spike, is reported in it). After a level shift
//        or variance change the detector re-anchors on the new regime (accepted as the new
//        normal, and says so).
//     ─► row likelihood (only when the task asks for rowScores, as evaluation does; the
//        engine's path neither computes nor stores it): four raw
//        features (point |z|; short (median-of-3) vs. long mean; short variance; time-of-week
//        residual), each against its own long-run distribution (Numenta's anomaly likelihood:
//        Gaussian tail, log-scaled to [0, 1]) capped by its own empirical tail (a level that
//        earlier episodes reached recently is not rare), the largest wins; a value outside the
//        whole range seen so far scores 1; after a row reaches 0.5 the next 100 rows score 0
//        (NAB rewards the first detection of an episode and charges each one outside a window).
//        A finding's row is at least 0.5. The findings path does not read any of it.
//
// Row likelihood, `driftwatch eval nab` on the 42 files (NAB's scorer, threshold swept): standard
// 70.4, reward_low_FP 64.1, reward_low_FN 74.5 (Numenta HTM 69.9 / 63.6 / 74.1 on the same
// files). In-sample: the parameters were chosen on these files (docs/nab-experiments.md logs
// every configuration tried). Steps: findings only 32.5; raw likelihood without suppression
// 27.7; + suppression 53.1; + time-of-day residual 57.6; + time-of-week 58.1; + clipped
// statistics 61.9; + range check 64.6; + per-feature warm-up 64.4; + empirical tails,
// median-of-3 short mean, no time-of-day feature 70.4.
//
// Findings, measured on the 42 NAB files in ../shared/datasets/nab (not NAB's scorer;
// DW_SWEEP_NUMERIC in test/workers/sweep.test.ts): 45 of 69 labelled windows contain a
// finding, 353 findings outside windows after the probationary period. Fixed thresholds, no
// refractory, no profile: 59/69 and 4,264; calibration + refractory, no profile: 54/69, 708.
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
  /** |z| at which the spike likelihood reaches 0.5. */
  zHalf: 6,
  /** CUSUM drift and threshold (in z units, inputs clipped at ±cusumClip). */
  cusumK: 0.75,
  cusumH: 10,
  cusumClip: 4,
  /** Variance ratio (EWMA of z²) at which the variance likelihood reaches 0.5. */
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
   * After a finding, no other finding for this many points unless its score beats the last
   * one's, or it is a level shift right after a spike (one alarm per episode; the statistics
   * keep updating). 0 disables.
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
   * Per-row likelihood (ScoreResult.rowScores): Numenta's anomaly-likelihood idea applied to
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
   * A value outside the whole range seen so far, by more than spatialTol × its width, scores 1
   * (Numenta's detector does the same with 5 %). 0 disables.
   */
  spatialTol: 0.1,
  /** A finding's row scores at least this (the contract: findings have row score ≥ 0.5). */
  rowFloor: 0.5,
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
  /** Event count at the last finding below 0.5 (only on streams with a threshold below 0.5). */
  lowN?: number;
  /**
   * Row likelihood: lk = [A short, value short EWMA (of the median of three), value long EWMA,
   * long mean abs dev, z² short, A mean, A var, B mean, B var, C mean, C var, E short, E mean, E var];
   * points seen; end of the suppression.
   */
  lk: number[];
  ln: number;
  lsup: number;
  /** Range of the values seen (spatial check). */
  smin: number;
  smax: number;
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

function freshRowState(): Pick<NumericState, 'lk' | 'ln' | 'lsup' | 'wv' | 'wk' | 'ws' | 'smin' | 'smax' | 'ef' | 'et' | 'eg' | 'ne'> {
  return { lk: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], ln: 0, lsup: -1, wv: [], wk: [], ws: 0, smin: 0, smax: 0, ef: [], et: 0, eg: 1, ne: 0 };
}

const fmt = (x: number): string => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toFixed(3))));

function quantileOf(xs: number[], q: number): number {
  const sorted = Float64Array.from(xs).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
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

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * Standardised deviation of v from the long-run mean and variance at lk[i], lk[i + 1], which are
 * then updated with weight w (the deviation clipped at lkClip spreads, so an anomaly does not
 * widen them).
 */
function tailZ(lk: number[], i: number, v: number, w: number, P: NumericParams): number {
  const sd = Math.max(P.lkStdFloor, Math.sqrt(lk[i + 1]));
  const d = v - lk[i];
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

/**
 * Row likelihood of this point (value x at ts, robust z against the forecast, sc the residual
 * scale); updates the row-likelihood state.
 */
function rowLikelihood(s: NumericState, x: number, ts: number, z: number, sc: number, P: NumericParams): number {
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
  tf[0] = tailZ(lk, 5, lk[0], w, P);
  tf[1] = tailZ(lk, 7, Math.abs(lk[1] - lk[2]) / Math.max(lk[3], P.absFloor, P.relFloor * Math.abs(lk[2])), w, P);
  tf[2] = tailZ(lk, 9, Math.log(lk[4] + 0.1), w, P);
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
        lk[11] += (Math.min(Math.abs(r) / sw, 50) - lk[11]) / P.lkShort;
        // Its own count: the feature starts a week in, and is young then whatever s.ln says.
        s.ne++;
        const te = tailZ(lk, 12, lk[11], Math.max(P.lkRate, 1 / s.ne), P);
        if (s.ne >= P.lkWarm) tf[3] = te;
        s.ws = (1 - P.gamma) * sw + P.gamma * 1.25 * Math.min(Math.abs(r), P.clip * sw);
      }
      s.wv[wb] += P.seasonGamma * Math.max(-P.clip * sw, Math.min(P.clip * sw, r));
    }
  }
  // A value beyond the whole range seen so far (by spatialTol of its width) is new.
  let spatial = false;
  if (s.ln === 1) {
    s.smin = x;
    s.smax = x;
  } else {
    const tol = (s.smax - s.smin) * P.spatialTol;
    spatial = P.spatialTol > 0 && s.smax > s.smin && (x > s.smax + tol || x < s.smin - tol);
    s.smin = Math.min(s.smin, x);
    s.smax = Math.max(s.smax, x);
  }
  if (s.n < P.lkWarm) return 0;
  // Each feature: Gaussian tail, capped by its own empirical tail (the decayed share of earlier
  // episodes that reached this bin), so a level the stream reaches now and then is not rare.
  if (s.ef.length !== FEATURES) s.ef = Array.from({ length: FEATURES }, () => new Array<number>(P.empBins).fill(0));
  let out = 0;
  for (let f = 0; f < FEATURES; f++) {
    const t = tf[f];
    BINS[f] = -1;
    if (!(t > 0)) continue;
    let sf = tailScore(t, P);
    if (t >= P.empMin) {
      const bin = Math.min(P.empBins - 1, Math.floor(Math.log(t / P.empMin) / Math.log(P.empRatio)));
      BINS[f] = bin;
      const h = s.ef[f];
      let cnt = 0;
      for (let k = bin; k < P.empBins; k++) cnt += h[k];
      if (cnt > P.empK * s.eg) sf = Math.min(sf, -Math.log10(cnt / s.et) / P.lkDiv);
    }
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
    if (s.n <= s.lsup) out *= P.supMult;
    else if (out >= P.supLevel) s.lsup = s.n + P.supRows;
  }
  return Math.min(1, out);
}

function feed(s: NumericState, x: number, ts: number, P: NumericParams, row: { score: number } | null, threshold: number): Omit<Finding, 'index'> | null {
  s.n++;
  if (row !== null) row.score = 0;
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

  const score = Math.max(spike, shift, variance);
  if (row !== null) row.score = rowLikelihood(s, x, ts, z, sc, P);
  if (score < 0.5) {
    // A threshold below 0.5 (sensitive profile) reports the point without touching the detector's
    // state (no re-anchoring, no refractory of its own beyond lowN, kept only on such streams).
    if (!(score >= threshold) || s.n - s.lastN < P.refractory) return null;
    if (s.lowN !== undefined && s.n - s.lowN < P.refractory) return null;
    s.lowN = s.n;
    const kindLow = shift >= spike && shift >= variance ? 'level_shift' : spike >= variance ? 'spike' : 'variance_change';
    return {
      score,
      detector: NUMERIC_DETECTOR,
      explanation:
        `Possible ${kindLow.replace('_', ' ')}: value ${fmt(x)} vs. expected ${fmt(p)} ± ${fmt(sc)}, robust z ${z.toFixed(1)} ` +
        `(spike threshold ${fmt(zHalf)}, CUSUM ${fmt(cmax)} of ${fmt(cusumH)}); below the default threshold 0.5, reported because this stream is set to be more sensitive.`,
      details: {
        kind: kindLow, value: x, expected: p, by_time_of_day: bySeason, scale: sc, z: Number(z.toFixed(3)),
        z_threshold: Number(zHalf.toFixed(3)), cusum: Number(cmax.toFixed(3)), cusum_threshold: Number(cusumH.toFixed(3)),
        variance_ratio: Number(s.zsq.toFixed(3)), below_default: true,
      },
    };
  }
  const kindNow = shift >= 0.5 ? 'level_shift' : spike >= 0.5 ? 'spike' : 'variance_change';
  // A level shift right after a spike reclassifies it (the jump stayed): always reported.
  const reclassifies = kindNow === 'level_shift' && s.lastKind === 'spike';
  if (s.n - s.lastN < P.refractory && score <= s.lastScore && !reclassifies) return null;
  s.lastN = s.n;
  s.lastScore = score;
  s.lastKind = kindNow;
  let kind: string;
  let explanation: string;
  if (shift >= 0.5) {
    kind = 'level_shift';
    explanation =
      `Level shift ${s.cpos >= s.cneg ? 'up' : 'down'}: CUSUM ${fmt(cmax)} over threshold ${fmt(cusumH)} (robust z of this point ${z.toFixed(1)}); ` +
      `value ${fmt(x)} vs. expected ${fmt(p)} ± ${fmt(sc)}. The new level is accepted as normal from here on.`;
    // Re-anchor on the new regime.
    const [a, b, c] = s.r3;
    s.level = Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    s.trend = 0;
    s.zsq = 1;
    s.cpos = 0;
    s.cneg = 0;
    s.anchor = s.n;
  } else if (spike >= 0.5) {
    kind = 'spike';
    explanation =
      `Spike: value ${fmt(x)} vs. expected ${fmt(p)}${bySeason ? ' (this time of day on earlier days)' : ''} (typical deviation ${fmt(bySeason ? sc2 : sc)}), robust z ${z.toFixed(1)} ` +
      `(threshold ${fmt(zHalf)}${zHalf > P.zHalf ? `, raised from ${P.zHalf} because this stream's recent p${P.calQ * 100} |z| is ${fmt(s.zq)}` : ''}).`;
  } else {
    kind = 'variance_change';
    explanation =
      `Variance change: recent mean squared z ${fmt(s.zsq)} (about ${fmt(Math.sqrt(s.zsq))}× the usual spread ${fmt(sc)}) vs. 1 expected. ` +
      'The wider spread is accepted as normal from here on.';
    s.scale = sc * Math.sqrt(s.zsq);
    s.zsq = 1;
    s.anchor = s.n;
  }
  return {
    score: Math.min(1, score),
    detector: NUMERIC_DETECTOR,
    explanation,
    details: {
      kind,
      value: x,
      expected: p,
      by_time_of_day: bySeason,
      scale: sc,
      z: Number(z.toFixed(3)),
      z_threshold: Number(zHalf.toFixed(3)),
      cusum: Number(cmax.toFixed(3)),
      cusum_threshold: Number(cusumH.toFixed(3)),
      variance_ratio: Number(s.zsq.toFixed(3)),
    },
  };
}

export function scoreNumeric(
  state: Uint8Array | null,
  events: ScoreInput[],
  params: NumericParams = NUMERIC_PARAMS,
  /** When given (length events.length): per event, the row likelihood (at least its finding's score). */
  rows?: Float32Array,
  /** Findings need a score ≥ this (0.5: the default profile); the state cuts at 0.5 whatever it is. */
  threshold = 0.5,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const s = state === null || state.length === 0 ? freshState() : decodeState<NumericState>(state, 'numeric');
  // States written before calibration.
  if (!Array.isArray(s.zr)) Object.assign(s, { zr: [], cr: [], cpos_: 0, zq: 0, cq: 0 });
  if (!Array.isArray(s.sv) || !Array.isArray(s.sday)) Object.assign(s, { sv: [], sday: [], scale2: 0 });
  if (typeof s.lastN !== 'number') Object.assign(s, { lastN: -1e9, lastScore: 0, lastKind: '' });
  if (!Array.isArray(s.lk) || s.lk.length !== freshRowState().lk.length || typeof s.eg !== 'number') Object.assign(s, freshRowState());
  // The row likelihood runs only for tasks that ask for row scores (evaluation): the engine's
  // path costs and stores nothing for it.
  const row = rows === undefined ? null : { score: 0 };
  const findings: Finding[] = [];
  const P = params;
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const x = e === null || typeof e !== 'object' ? undefined : e.value;
    if (typeof x !== 'number' || !Number.isFinite(x)) continue;
    scored++;
    const f = feed(s, x, typeof e.ts === 'number' ? e.ts : Number.NaN, params, row, threshold);
    if (f !== null && f.score >= threshold) findings.push({ index: i, ...f });
    if (rows !== undefined && row !== null) rows[i] = f === null ? row.score : Math.max(row.score, P.rowFloor);
  }
  return { state: encodeState(s), findings, scored };
}
