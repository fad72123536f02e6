// A numeric finding in words: which feature drove it (the largest score, or the range check),
// its numbers, and what they were compared with. Reads only its arguments: the stream's state,
// the forecast at this point, and the RowTrace the row likelihood filled for this row.
import type { Finding } from '../../types.js';
import { FEATURES, type RowTrace } from './features.js';
import type { NumericParams } from './params.js';
import type { NumericState } from './state.js';

export const NUMERIC_DETECTOR = 'robust_stats';

/** What the forecast saw at this point. */
export interface Forecast {
  x: number;
  expected: number;
  scale: number;
  z: number;
  bySeason: boolean;
}

const FEATURE_KINDS = ['spike', 'level_shift', 'variance_change', 'time_of_week'] as const;
const FEATURE_NAMES = ['point_deviation', 'short_vs_long_mean', 'variance', 'time_of_week'] as const;

export const fmt = (x: number): string => (Math.abs(x) >= 1e5 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : String(Number(x.toFixed(3))));

/** "1e-6" style tail probability of a feature score (score = −log10(q) / lkDiv). */
const tailProb = (sf: number, P: NumericParams): string => (sf >= 1 ? `≤ 1e-${P.lkDiv}` : `1e-${(sf * P.lkDiv).toFixed(1)}`);

type Words = { kind: string; feature: string; explanation: string; extra: Record<string, number | string | boolean> };

/** The range check fired: a new extreme. */
function newExtreme(fc: Forecast, tr: RowTrace, accepted: string, scoreText: string, P: NumericParams): Words {
  const { x, expected, scale, z } = fc;
  const side = x > tr.hi ? 'above' : 'below';
  const explanation =
    `New extreme: value ${fmt(x)} is ${side} the range [${fmt(tr.lo)}, ${fmt(tr.hi)}] of the last ${tr.rangePoints} points by more than ` +
    `${Math.round(P.spatialTol * 100)} % of its width (${fmt(tr.tol)}); expected ${fmt(expected)} ± ${fmt(scale)}, robust z ${z.toFixed(1)} (${scoreText}). ` +
    (accepted === '' ? 'If the new level persists it is accepted as the new normal: the range takes it in and the long-run mean follows it.' : accepted.trim());
  return { kind: 'new_extreme', feature: 'new_extreme', explanation, extra: { range_low: tr.lo, range_high: tr.hi, range_points: tr.rangePoints } };
}

/** Feature f drove the score. */
function byFeature(f: number, s: NumericState, fc: Forecast, tr: RowTrace, accepted: string, scoreText: string, P: NumericParams): Words {
  const { x, expected, scale, z, bySeason } = fc;
  const r = s.rows;
  const tail = `tail probability ${tailProb(tr.score[f], P)}${tr.capped[f] === 1 ? ", capped by this stream's own earlier episodes at this level" : ''}`;
  const vs = `against this stream's usual ${fmt(tr.mean[f])} ± ${fmt(tr.sd[f])}`;
  let extra: Record<string, number | string | boolean> = {
    feature_value: Number(tr.value[f].toFixed(4)), feature_mean: Number(tr.mean[f].toFixed(4)), feature_sd: Number(tr.sd[f].toFixed(4)),
    tail_probability: Number(Math.pow(10, -tr.score[f] * P.lkDiv).toPrecision(3)),
  };
  let explanation: string;
  if (f === 0) {
    explanation =
      `Point deviation: value ${fmt(x)} vs. expected ${fmt(expected)}${bySeason ? ' (this time of day on earlier days)' : ''} ± ${fmt(scale)}, robust z ${z.toFixed(1)}; ` +
      `the recent mean |z| ${fmt(tr.value[0])} is ${((tr.value[0] - tr.mean[0]) / tr.sd[0]).toFixed(1)} spreads above ${vs.replace("against this stream's usual", "this stream's usual")} (${tail}; ${scoreText}).${accepted}`;
  } else if (f === 1) {
    const up = r.shortLevel >= r.longLevel;
    explanation =
      `Level change ${up ? 'up' : 'down'}: the recent level ${fmt(r.shortLevel)} is ${fmt(tr.value[1])} mean absolute deviations (${fmt(Math.max(r.longMad, P.absFloor))}) from the long-run mean ${fmt(r.longLevel)}, ` +
      `${vs} (${tail}; ${scoreText}). ${accepted === '' ? `If it persists it is accepted as the new normal: the long-run mean follows it (half-way in about ${Math.round(P.msLong * Math.LN2)} points).` : accepted.trim()}`;
    extra = { ...extra, recent_level: r.shortLevel, long_mean: r.longLevel };
  } else if (f === 2) {
    const usual = Math.max(0, Math.exp(tr.mean[2]) - 0.1);
    explanation =
      `Variance change: the recent mean squared z ${fmt(r.shortZsq)} (a spread about ${fmt(Math.sqrt(r.shortZsq))}× the forecast's ${fmt(scale)}) vs. this stream's usual ${fmt(usual)} ` +
      `(log scale ${fmt(tr.value[2])} vs. ${fmt(tr.mean[2])} ± ${fmt(tr.sd[2])}; ${tail}; ${scoreText}). ${accepted === '' ? 'If the wider spread persists it is accepted as the new normal as the long-run statistics follow it.' : accepted.trim()}`;
  } else {
    explanation =
      `Unusual for this time of week: value ${fmt(x)} vs. ${fmt(tr.weekExpected)} at this hour on earlier weeks (typical deviation ${fmt(tr.weekScale)}); ` +
      `the recent mean deviation ${fmt(tr.value[3])} ${vs} (${tail}; ${scoreText}).`;
    extra = { ...extra, week_expected: tr.weekExpected };
  }
  return { kind: FEATURE_KINDS[f], feature: FEATURE_NAMES[f], explanation, extra };
}

/** One or two sentences and the details of a finding at this point. */
export function explain(s: NumericState, fc: Forecast, tr: RowTrace, raw: number, score: number, P: NumericParams): Omit<Finding, 'index'> {
  let f = 0;
  for (let k = 1; k < FEATURES; k++) if (tr.score[k] > tr.score[f]) f = k;
  const base = { value: fc.x, expected: fc.expected, by_time_of_day: fc.bySeason, scale: fc.scale, z: Number(fc.z.toFixed(3)), likelihood: Number(raw.toFixed(4)) };
  const scoreText = `score ${fmt(score)}`;
  // The forecast's own regime detector re-anchored on a new level or spread in the last supRows points.
  const reanchored = s.anchoredAt >= 0 && s.points - s.anchoredAt < P.supRows ? s.points - s.anchoredAt : -1;
  const accepted = reanchored >= 0
    ? ` The forecast re-anchored on the new ${s.regimeKind === 'variance_change' ? 'spread' : 'level'} ${reanchored === 0 ? 'at this point' : `${reanchored} points ago`}: it is accepted as the new normal, and the long-run statistics follow it.`
    : '';
  const w = tr.spatial ? newExtreme(fc, tr, accepted, scoreText, P) : byFeature(f, s, fc, tr, accepted, scoreText, P);
  return {
    score,
    detector: NUMERIC_DETECTOR,
    explanation: w.explanation,
    details: { kind: w.kind, feature: w.feature, ...base, ...w.extra, ...(reanchored >= 0 ? { accepted_as_normal: true } : {}), ...(score < 0.5 ? { below_default: true } : {}) },
  };
}
