// The numeric detector's parameters: one set for every stream (experiments pass their own).
// What each one does to a score is documented beside it; docs/nab-experiments.md logs how they
// were chosen (in-sample on NAB's 42 files, and what leave-one-category-out says of that).

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
