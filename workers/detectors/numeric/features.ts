// The numeric detector's row likelihood: four features, each judged against its own long-run
// distribution, capped by its own empirical tail; the new-extreme range check; suppression.
//
//   x, z, ts ─► updateRowStats: A |z| short, B short level vs long level, C short z²
//            ─► tailZ per feature (standardised against its long-run moments, which then update)
//            ─► weekFeature: E, the residual against the time-of-week profile (a week in)
//            ─► rangeCheck: beyond the recent range by spatialTol of its width → 1
//            ─► featureScores: Gaussian tail, capped by the empirical tail; the largest wins
//            ─► countEpisode (histograms), suppression after a row reaches supLevel
// What the row saw for the explanation is written into the caller's RowTrace (one per task), not
// into module state.
import type { NumericParams } from './params.js';
import type { Moments, NumericState } from './state.js';

/** Row-likelihood features with an empirical tail: A (|z|), B (short vs. long mean), C (variance), E (time of week). */
export const FEATURES = 4;
export const DAY_MS = 86_400_000;
const WEEK_MS = 7 * DAY_MS;

/**
 * ((ts % period) + period) % period, given q = Math.floor(ts / period): ts − q·period, which is
 * the same number (both exact) and needs no fmod; when q was rounded up (ts a hair below a
 * period boundary) the difference falls outside [0, period) and the fmod form answers.
 */
export function phaseOf(ts: number, q: number, period: number): number {
  const r = ts - q * period;
  return r >= 0 && r < period ? r : ((ts % period) + period) % period;
}

/**
 * What the last row saw, for a finding's explanation: per feature its value, the long-run mean
 * and spread it was judged against, its score and whether its empirical tail capped it; the
 * time-of-week expectation; the range check. Also the per-row scratch (tail z, bins).
 */
export interface RowTrace {
  value: Float64Array;
  mean: Float64Array;
  sd: Float64Array;
  score: Float64Array;
  capped: Uint8Array;
  tz: Float64Array;
  bins: Int32Array;
  weekExpected: number;
  weekScale: number;
  spatial: boolean;
  lo: number;
  hi: number;
  tol: number;
  rangePoints: number;
  /** Scratch: the range check's verdicts for this row (farOut: beyond a whole range width, breaks a suppression). */
  farOut: boolean;
}

export function newTrace(): RowTrace {
  return {
    value: new Float64Array(FEATURES), mean: new Float64Array(FEATURES), sd: new Float64Array(FEATURES), score: new Float64Array(FEATURES),
    capped: new Uint8Array(FEATURES), tz: new Float64Array(FEATURES), bins: new Int32Array(FEATURES),
    weekExpected: 0, weekScale: 0, spatial: false, lo: 0, hi: 0, tol: 0, rangePoints: 0, farOut: false,
  };
}

/** Complementary error function (Numerical Recipes erfcc, fractional error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r = t * Math.exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return x >= 0 ? r : 2 - r;
}

/**
 * Standardised deviation of feature f's value v from its long-run moments m, which are then
 * updated with weight w (the deviation clipped at lkClip spreads, so an anomaly does not widen them).
 */
function tailZ(m: Moments, f: number, v: number, w: number, P: NumericParams, tr: RowTrace): number {
  const sd = Math.max(P.lkStdFloor, Math.sqrt(m.var));
  const d = v - m.mean;
  tr.value[f] = v;
  tr.mean[f] = m.mean;
  tr.sd[f] = sd;
  const dc = Math.max(-P.lkClip * sd, Math.min(P.lkClip * sd, d));
  m.mean += w * dc;
  m.var = (1 - w) * (m.var + w * dc * dc);
  return d / sd;
}

/** −log10 of the Gaussian upper tail at t, / lkDiv, in [0, 1]; past t = 5 the asymptote (erfc's relative error grows there). */
function tailScore(t: number, P: NumericParams): number {
  const lq = t < 5 ? Math.log10(0.5 * erfc(t / Math.SQRT2)) : (-t * t / 2 - Math.log(t * Math.sqrt(2 * Math.PI))) / Math.LN10;
  return Math.min(1, Math.max(0, -lq / P.lkDiv));
}

/** Adds x to the range check's current block; a full block joins the ring (the oldest leaves). */
function rangeAdd(s: NumericState, x: number, P: NumericParams): void {
  if (s.blockCount === 0) {
    s.blockLo = x;
    s.blockHi = x;
  } else {
    if (x < s.blockLo) s.blockLo = x;
    if (x > s.blockHi) s.blockHi = x;
  }
  s.blockCount++;
  if (P.rangeBlocks <= 0 || s.blockCount < P.rangeBlock) return;
  s.rangeRing[2 * s.rangePos] = s.blockLo;
  s.rangeRing[2 * s.rangePos + 1] = s.blockHi;
  s.rangePos = (s.rangePos + 1) % P.rangeBlocks;
  s.blockCount = 0;
  let lo = s.rangeRing[0];
  let hi = s.rangeRing[1];
  for (let k = 2; k < s.rangeRing.length; k += 2) {
    if (s.rangeRing[k] < lo) lo = s.rangeRing[k];
    if (s.rangeRing[k + 1] > hi) hi = s.rangeRing[k + 1];
  }
  s.ringLo = lo;
  s.ringHi = hi;
}

/** A, B, C: the short and long averages behind the features, and their tail z (into tr.tz). */
function updateRowStats(s: NumericState, x: number, z: number, P: NumericParams, seasonal: boolean, tr: RowTrace): void {
  const r = s.rows;
  if (s.rowPoints === 0) {
    r.shortLevel = x;
    r.longLevel = x;
  }
  r.pointDev += (Math.min(Math.abs(z), 50) - r.pointDev) / P.lkShort;
  // B's short mean follows the median of the last three values: a lone spike is A's to judge,
  // B is for a level that moved.
  const l3 = s.last3;
  const a = l3[0];
  const b = l3[1];
  const c = l3[2];
  r.shortLevel += (Math.max(Math.min(a, b), Math.min(Math.max(a, b), c)) - r.shortLevel) / P.msShort;
  r.longLevel += (x - r.longLevel) / P.msLong;
  r.longMad += (Math.abs(x - r.longLevel) - r.longMad) / Math.min(s.rowPoints + 1, P.msLong);
  r.shortZsq += (Math.min(z * z, 2500) - r.shortZsq) / P.vShort;
  s.rowPoints++;
  const w = Math.max(P.lkRate, 1 / s.rowPoints);
  const tz = tr.tz;
  tz[0] = tailZ(r.moments[0], 0, r.pointDev, w, P, tr);
  tz[1] = tailZ(r.moments[1], 1, Math.abs(r.shortLevel - r.longLevel) / Math.max(r.longMad, P.absFloor, P.relFloor * Math.abs(r.longLevel)), w, P, tr);
  if (seasonal) tz[1] = -Infinity; // its statistics still update
  tz[2] = tailZ(r.moments[2], 2, Math.log(r.shortZsq + 0.1), w, P, tr);
  tz[3] = -Infinity;
}

/** E: the residual against the time-of-week profile, judged from the second visit of a bucket on a later week. */
function weekFeature(s: NumericState, x: number, ts: number, sc: number, P: NumericParams, tr: RowTrace): void {
  if (!(P.weekBuckets > 0 && Number.isFinite(ts))) return;
  const week = Math.floor(ts / WEEK_MS);
  const wb = Math.floor(phaseOf(ts, week, WEEK_MS) / (WEEK_MS / P.weekBuckets));
  const seen = s.weekFirst[wb];
  if (seen === undefined || seen === null) {
    s.weekFirst[wb] = week;
    s.weekValues[wb] = x;
    return;
  }
  const sw = Math.max(s.weekScale || sc, sc * 0.1, P.absFloor);
  const r = x - s.weekValues[wb];
  if (week > seen) {
    tr.weekExpected = s.weekValues[wb];
    tr.weekScale = sw;
    s.rows.weekDev += (Math.min(Math.abs(r) / sw, 50) - s.rows.weekDev) / P.lkShort;
    // Its own count: the feature starts a week in, and is young then whatever rowPoints says.
    s.weekJudged++;
    const te = tailZ(s.rows.moments[3], 3, s.rows.weekDev, Math.max(P.lkRate, 1 / s.weekJudged), P, tr);
    if (s.weekJudged >= P.lkWarm) tr.tz[3] = te;
    s.weekScale = (1 - P.gamma) * sw + P.gamma * 1.25 * Math.min(Math.abs(r), P.clip * sw);
  }
  s.weekValues[wb] += P.seasonGamma * Math.max(-P.clip * sw, Math.min(P.clip * sw, r));
}

/** A value beyond the range of the recent values (by spatialTol of its width) is new; farOut breaks a suppression. */
function rangeCheck(s: NumericState, x: number, P: NumericParams, tr: RowTrace): void {
  let spatial = false;
  let farOut = false;
  if (s.rowPoints > 1 && s.rowPoints > P.rangeWarm) {
    // The range over the kept blocks and the current one (no allocation per point).
    const lo = s.rangeRing.length === 0 ? s.blockLo : s.blockCount === 0 ? s.ringLo : Math.min(s.ringLo, s.blockLo);
    const hi = s.rangeRing.length === 0 ? s.blockHi : s.blockCount === 0 ? s.ringHi : Math.max(s.ringHi, s.blockHi);
    const tol = (hi - lo) * P.spatialTol;
    spatial = P.spatialTol > 0 && hi > lo && (x > hi + tol || x < lo - tol);
    farOut = spatial && P.supSpatial > 0 && (x > hi + (hi - lo) * P.supSpatial || x < lo - (hi - lo) * P.supSpatial);
    if (spatial) {
      tr.lo = lo;
      tr.hi = hi;
      tr.tol = tol;
      tr.rangePoints = P.rangeBlocks > 0 ? (s.rangeRing.length / 2) * P.rangeBlock + s.blockCount : s.rowPoints - 1;
    }
  }
  tr.spatial = spatial;
  tr.farOut = farOut;
  rangeAdd(s, x, P);
}

/**
 * Each feature: Gaussian tail, capped by its own empirical tail (the decayed share of earlier
 * episodes that reached this bin), so a level the stream reaches now and then is not rare. The largest.
 */
function featureScores(s: NumericState, P: NumericParams, tr: RowTrace): number {
  if (s.tailBins.length !== FEATURES) s.tailBins = Array.from({ length: FEATURES }, () => new Array<number>(P.empBins).fill(0));
  let out = 0;
  for (let f = 0; f < FEATURES; f++) {
    const t = tr.tz[f];
    tr.bins[f] = -1;
    tr.score[f] = 0;
    tr.capped[f] = 0;
    if (!(t > 0)) continue;
    let sf = tailScore(t, P);
    if (t >= P.empMin) {
      const bin = Math.min(P.empBins - 1, Math.floor(Math.log(t / P.empMin) / Math.log(P.empRatio)));
      tr.bins[f] = bin;
      const h = s.tailBins[f];
      let cnt = 0;
      for (let k = bin; k < P.empBins; k++) cnt += h[k];
      if (cnt > P.empK * s.tailUnit) {
        const cap = -Math.log10(cnt / s.tailTotal) / P.lkDiv;
        if (cap < sf) {
          sf = cap;
          tr.capped[f] = 1;
        }
      }
    }
    tr.score[f] = sf;
    if (sf > out) out = sf;
  }
  return out;
}

/** Episodes, not rows, go into the histograms: rows in a suppression period are left out. */
function countEpisode(s: NumericState, P: NumericParams, tr: RowTrace): void {
  const counted = !(P.supRows > 0 && s.points <= s.suppressUntil);
  s.tailUnit /= 1 - P.lkRate;
  s.tailTotal += s.tailUnit;
  for (let f = 0; f < FEATURES; f++) if (counted && tr.bins[f] >= 0) s.tailBins[f][tr.bins[f]] += s.tailUnit;
  if (s.tailUnit > 1e9) {
    // Back to unit scale; a weight below 1e-6 counts for nothing against empK: dropped, so the
    // state stays small.
    for (const h of s.tailBins) for (let k = 0; k < P.empBins; k++) h[k] = h[k] / s.tailUnit < 1e-6 ? 0 : h[k] / s.tailUnit;
    s.tailTotal /= s.tailUnit;
    s.tailUnit = 1;
  }
}

/**
 * Raw row likelihood of this point (value x at ts, robust z against the forecast, sc the
 * residual scale; seasonal: the time-of-day profile explains it, B is not scored); updates the
 * row-likelihood state and writes what it saw into tr.
 */
export function rowLikelihood(s: NumericState, x: number, ts: number, z: number, sc: number, P: NumericParams, seasonal: boolean, tr: RowTrace): number {
  updateRowStats(s, x, z, P, seasonal, tr);
  weekFeature(s, x, ts, sc, P, tr);
  rangeCheck(s, x, P, tr);
  const spatial = tr.spatial;
  const farOut = tr.farOut;
  // Warm-up: the first lkWarm points of the stream (rowPoints + warmup = points on a stream that
  // always kept row statistics; a state from before they were kept warms them up from its first row here).
  if (s.rowPoints + P.warmup < P.lkWarm) return 0;
  let out = featureScores(s, P, tr);
  if (spatial) out = 1;
  countEpisode(s, P, tr);
  if (P.supRows > 0) {
    if (s.points <= s.suppressUntil && !farOut) out *= P.supMult;
    else if (out >= P.supLevel) s.suppressUntil = s.points + P.supRows;
  }
  return Math.min(1, out);
}

/** The published score: the raw row likelihood through the calibration knots (strictly increasing). */
export function calibrated(raw: number, P: NumericParams): number {
  if (!(raw > 0)) return 0;
  if (raw >= 1) return 1;
  if (raw < P.mapSensitive) return (0.4 * raw) / P.mapSensitive;
  if (raw < P.mapBalanced) return 0.4 + (0.1 * (raw - P.mapSensitive)) / (P.mapBalanced - P.mapSensitive);
  if (raw < P.mapStrict) return 0.5 + (0.15 * (raw - P.mapBalanced)) / (P.mapStrict - P.mapBalanced);
  return 0.65 + (0.35 * (raw - P.mapStrict)) / (1 - P.mapStrict);
}
