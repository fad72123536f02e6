// Rate and silence arithmetic of the logs detector (logs.ts): a template's rate record, its
// windows of event time, the quasi-Poisson and negative-binomial tails behind the burst, scan and
// silence scores. Pure functions of numbers; the record lives in the logs state (`r`, `sr`).
import { round6 } from './round.js';

export const SILENCE_PARAMS = Object.freeze({
  /** A template is judged for silence once its decayed mean is at least this many lines per window (steady). */
  minMean: 1,
  /**
   * …and the whole stream once its own decayed mean is at least this (lines per window): a slow
   * stream at night (a Redis log at 0.05-0.1 lines/s) stops as surely as a busy one; its silence
   * only takes longer to become significant (P(no line) still has to reach 10^-4 after the
   * slack: about 9 minutes at 0.05 lines/s, 15 at 0.03). Templates keep minMean (each is one of many tested).
   */
  streamMinMean: 0.3,
  /** S = -log10 P(no line) at which the score is 0.5, after the correction for the templates checked. */
  half: 4,
  /** The expected count over a silence is divided by this (a lull is not a stop). */
  slack: 1.5,
  /** A silence is at least one rate window long. */
  minGapMs: 10_000,
  /** A steady template has had lines in at least this many windows. */
  minBusyWindows: 30,
});

export const RATE_PARAMS = Object.freeze({
  /** Window of event time, ms. */
  windowMs: 10_000,
  /** EWMA weight per window of the mean count. */
  alpha: 0.05,
  /** Windows of history before a rate finding. */
  minWindows: 30,
  /** Lines in the window before a rate finding. */
  minCount: 5,
  /** S = -log10 p at which the score is 0.5. */
  half: 4,
  /** Expected count = factor × decayed mean + floor (real logs are burstier than Poisson). */
  factor: 1.5,
  floor: 0.2,
  /** The scan tests this line with its last j lines for j from scanMin (j = 1 would flag every pair). */
  scanMin: 2,
  /** The scan's S at which the score is 0.5: higher than the window's, as it tests every line
   * SCAN_PRIOR times over overlapping spans (about 1e-5 of ordinary lines reach it on a Poisson stream). */
  scanHalf: 5,
  /**
   * The scan needs a usual rate it can measure: a decayed mean of at least this many lines per
   * window (a template seen now and then, months apart, has a mean near 0 and no scan).
   */
  scanMinMean: 0.1,
  /**
   * The window's count is also judged against the stream's own activity in that window: the
   * template's share of the stream's lines (both decayed alike) × the stream's lines in the
   * window. A burst is reported only when both tests reject (an intersection-union test: p is
   * the larger of the two), so a whole stream waking up (a reboot, a batch job) is not a burst
   * of each of its templates.
   */
  conditional: true,
  /**
   * The stream test compares the template with the stream's other lines: a template that is
   * more than this share of its stream has too few others to compare with, and no stream test.
   */
  maxShare: 0.95,
  /**
   * …and against the template's own past bursts: its peak window count (a window it was reported
   * in enters at no more than twice the expected count, as in the mean), kept over its idle
   * periods and decayed by this factor per window that had its lines. A burst no larger than the
   * template's earlier ones is not reported however long it was absent. 0 disables.
   */
  peakDecay: 0.99,
  /**
   * A window right after a storm's window (reported, or itself held) whose highest S reached this
   * share of `half` is still the storm's (hysteresis): it enters the mean and peak capped too, so a
   * slow storm of minutes, some windows short of a finding, does not teach its own rate and spread.
   */
  stormHold: 0.5,
});

/**
 * Per template: [window start ms, count in it, decayed mean count, windows seen, decayed mean of
 * count², last line's ts (-1: none), the 4 gaps between the lines before it (-1: none), the
 * highest burst S in this window, silent flag, busy windows, peak window count, the previous
 * window's count (0 when it was not the one just before), 1 when the previous window was a
 * storm's (closeWindows)]. Records of earlier formats (4 numbers; 13 without the peak; 14 without the previous
 * window) are upgraded in place.
 */
export type RateStats = number[];

/** Prior lines in the scan ring (this line and up to SCAN_PRIOR before it are tested). */
export const SCAN_PRIOR = 5;
/** log10 of the spans tested per line (a Bonferroni correction). */
export const SCAN_BONFERRONI = Math.log10(SCAN_PRIOR);
/** Gaps are kept up to a day. */
export const MAX_GAP = 86_400_000;
/** Length of a template's rate record (RateStats), and the index of its silence flag. */
export const RATE_LEN = 16;
export const SILENT = 11;
/** The index of the peak window count (decayed per busy window). */
export const PEAK = 13;
/** The index of the count of windows that had lines of the template. */
export const BUSY = 12;
/** The index of the highest burst S in the current window. */
export const BURST_S = 10;
/** The index of the previous window's count (0 when the window just before had no line or is not the previous one). */
export const PREV = 14;
/** The index of the previous window's mark: 1 when it was a storm's window (closeWindows; this window may continue it). */
export const PREV_HOT = 15;

/**
 * S = -log10 P(no line in `gap` ms) − log10(tests): the negative binomial's zero at the expected
 * count μ = rate × gap / slack and dispersion D, D^(−μ/(D−1)) (e^(−μ) for D = 1).
 */
export function silenceS(r: RateStats, gap: number, tests: number): number {
  if (!(gap > 0)) return 0;
  const mu = (r[2] / RATE_PARAMS.windowMs) * gap / SILENCE_PARAMS.slack;
  const D = dispersion(r);
  const log10p0 = D > 1.0001 ? -(mu / (D - 1)) * Math.log10(D) : -mu * Math.LOG10E;
  return -log10p0 - Math.log10(tests);
}

export function freshRate(ts: number): RateStats {
  const P = RATE_PARAMS;
  return [ts - (ts % P.windowMs), 0, 0, 0, 0, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0];
}

/** A record of an earlier format: the four-number one (before the scan) gets no ring yet and a Poisson spread; every one a peak of 0 (none known) and no previous window. */
export function upgradeRate(r: number[]): void {
  if (r.length === PEAK || r.length === PREV) {
    while (r.length < RATE_LEN) r.push(0);
    return;
  }
  const m = r[2];
  r.length = RATE_LEN;
  r[4] = m * m + m;
  for (let j = 5; j < BURST_S; j++) r[j] = -1;
  r[BURST_S] = 0;
  r[SILENT] = 0;
  r[BUSY] = 0;
  r[PEAK] = 0;
  r[PREV] = 0;
  r[PREV_HOT] = 0;
}

/**
 * Closes the current window (and any empty ones after it) of a template's rate record. A window
 * of a storm, one in which the template was reported or one right after such a window whose
 * highest S reached stormHold × half (the storm going on, short of a finding), enters the mean at no more than twice the expected count,
 * so one storm does not teach the template that storms are usual; a lasting rise is learned in steps.
 * The closed window's count is kept for the next one's sliding count (burstTest) when it is the window just before.
 * `stormS`: the S that makes a window a storm's (value-rate.ts takes a lower one).
 */
export function closeWindows(r: RateStats, ts: number, stormS: number = RATE_PARAMS.half): void {
  const P = RATE_PARAMS;
  if (r.length < RATE_LEN) upgradeRate(r);
  const k = Math.floor((ts - r[0]) / P.windowMs);
  let c = r[1];
  const storm = r[BURST_S] >= stormS || (r[PREV_HOT] === 1 && r[BURST_S] >= stormS * P.stormHold);
  if (storm && r[3] > 0) c = Math.min(c, 2 * (P.factor * r[2] + P.floor));
  r[PREV] = k === 1 ? r[1] : 0;
  r[PREV_HOT] = k === 1 && storm ? 1 : 0;
  const a = r[3] === 0 ? 1 : P.alpha;
  let mean = r[2] + a * (c - r[2]);
  // The first window starts the spread at Poisson's (c² + c), not at zero.
  let m2 = r[4] + a * (c * c + (r[3] === 0 ? c : 0) - r[4]);
  if (r[1] > 0) {
    r[BUSY]++;
    if (r.length > PEAK) r[PEAK] = round6(Math.max(r[PEAK] * P.peakDecay, c));
  }
  if (k > 1) {
    const decay = (1 - P.alpha) ** Math.min(k - 1, 10_000);
    mean *= decay;
    m2 *= decay;
  }
  r[2] = round6(mean);
  r[4] = round6(m2);
  r[3] += k;
  r[0] += k * P.windowMs;
  r[1] = 0;
  r[BURST_S] = 0;
}

/** A template line's burst test (burstTest): S (on the window's scale), and what the explanation quotes. */
export interface Burst {
  S: number;
  /** -log10 p of the winning test, before the scan's scaling. */
  rawS: number;
  scan: boolean;
  k: number;
  span: number;
  lambda: number;
  D: number;
  /** The window test against the stream's activity: the template's usual share of the stream's lines (-1: not used). */
  share: number;
  /** The stream's lines in this window (with `share`). */
  streamCount: number;
  /** The template's peak window count, when the test against its past bursts decided (else 0). */
  peak: number;
}

/**
 * How burstTest judges a record: the floor of its expected count per window (RATE_PARAMS.floor for
 * templates), whether the scan needs a measurable usual rate (RATE_PARAMS.scanMinMean) or uses
 * the floored one, and a further Bonferroni term (log10 of the records tested on the same line).
 */
export interface BurstOptions { floor: number; scanFloored: boolean; tests: number }
export const TEMPLATE_BURST: Readonly<BurstOptions> = Object.freeze({ floor: RATE_PARAMS.floor, scanFloored: false, tests: 1 });

/** burstTest's result, one object reused from call to call (every line of a log stream takes the test): read it before the next call. */
const burst: Burst = { S: 0, rawS: 0, scan: false, k: 0, span: 0, lambda: 0, D: 1, share: -1, streamCount: 0, peak: 0 };

/**
 * The burst test of a template line at `ts` (its record `r` already closed to ts's window and
 * counted; `sr` the stream's record, this line counted too; `res` the timestamps' resolution in ms):
 * (a) the window: lines in the last windowMs (this window's and the previous one's, prorated) vs the decayed mean (quasi-Poisson: counts / D), and vs
 * the template's share of the stream's lines in this window (RATE_PARAMS.conditional), the
 * smaller S of the two; (b) the scan: this line and the template's last j lines within their span
 * of event time, at the template's usual rate, so a storm is seen from its first few lines, not
 * once the window has filled.
 */
export function burstTest(r: RateStats, sr: RateStats | undefined, ts: number, res: number, o: BurstOptions = TEMPLATE_BURST): Burst {
  const P = RATE_PARAMS;
  const b = burst;
  b.S = 0;
  b.rawS = 0;
  b.scan = false;
  b.k = 0;
  b.span = 0;
  b.lambda = 0;
  b.D = dispersion(r);
  b.share = -1;
  b.streamCount = 0;
  b.peak = 0;
  if (r[3] < P.minWindows) return b;
  const D = b.D;
  // The window's count slides: this window's lines and the previous window's, prorated by the
  // share of it still within windowMs of ts, so a storm that crosses a window boundary is not
  // judged afresh from its first lines in the new window; only while this window keeps at least
  // half the previous one's pace (a storm going on), not on a usual line after a storm that ended.
  const prorate = (x: RateStats): number => (x.length > PREV && x[PREV] > 0 ? x[PREV] * Math.max(0, 1 - (ts - x[0]) / P.windowMs) : 0);
  const pace = r.length > PREV && r[1] >= 0.5 * r[PREV] * ((ts - r[0]) / P.windowMs);
  const n = pace ? r[1] + prorate(r) : r[1];
  if (n >= P.minCount) {
    const lam = P.factor * r[2] + o.floor;
    b.S = -poissonTailLog10Real(n / D, lam / D) - Math.log10(o.tests);
    b.rawS = b.S;
    b.k = n;
    b.lambda = lam;
    // The stream's other lines tell whether the stream rose as a whole: their count, scaled by
    // the template's usual share to theirs, is what the template would send had it risen alike
    // (its own lines are left out, or a storm of the stream's main template would excuse itself).
    const share = sr !== undefined && sr[2] > 0 ? Math.min(1, r[2] / sr[2]) : 1;
    if (P.conditional && sr !== undefined && share <= P.maxShare && b.S > 0) {
      const sn = sr[1] + prorate(sr);
      const lc = P.factor * (share / (1 - share)) * Math.max(0, sn - n) + o.floor;
      const sc = -poissonTailLog10Real(n / D, lc / D) - Math.log10(o.tests);
      if (sc < b.S) {
        b.S = sc;
        b.rawS = sc;
        b.lambda = lc;
        b.share = share;
        b.streamCount = sn;
      }
    }
    // A past window of fewer than minCount lines was no burst (none that small is ever tested):
    // a template seen once, long before its storm, has no burst to compare the storm with.
    if (P.peakDecay > 0 && r[PEAK] >= P.minCount && b.S > 0) {
      // The peak is already a burst's size: no further dispersion around it (D would count the burstiness twice).
      const lp = P.factor * r[PEAK] + o.floor;
      const sp = -poissonTailLog10Real(n, lp) - Math.log10(o.tests);
      if (sp < b.S) {
        b.S = sp;
        b.rawS = sp;
        b.lambda = lp;
        b.share = -1;
        b.peak = r[PEAK];
      }
    }
  }
  scanTest(b, r, ts, res, D, o);
  if (b.S > r[BURST_S]) r[BURST_S] = Number(b.S.toFixed(2));
  return b;
}

/** (b) of burstTest: this line and the template's last j lines within their span of event time, at the template's usual rate; raises `b` where the scan's S is higher. */
function scanTest(b: Burst, r: RateStats, ts: number, res: number, D: number, o: BurstOptions): void {
  const P = RATE_PARAMS;
  const rho = (o.scanFloored ? r[2] + o.floor / P.factor : r[2]) / P.windowMs;
  let prev = o.scanFloored || r[2] >= P.scanMinMean ? r[5] : -1;
  for (let j = 1; j <= SCAN_PRIOR && prev >= 0; j++) {
    if (j >= P.scanMin) {
      const d = Math.max(ts - prev, 0) + res;
      const lam = P.factor * rho * d;
      // On the window's scale: S of the scan × half / scanHalf.
      const raw = -poissonTailLog10Real(j / D, lam / D);
      const s = (raw - SCAN_BONFERRONI - Math.log10(o.tests)) * (P.half / P.scanHalf);
      if (s > b.S) {
        b.S = s;
        b.rawS = raw;
        b.scan = true;
        b.k = j + 1;
        b.span = d;
        b.lambda = lam;
        b.share = -1;
        b.peak = 0;
      }
    }
    const g = j < SCAN_PRIOR ? r[5 + j] : -1;
    prev = g < 0 ? -1 : prev - g;
  }
}

/** Pushes this line's time into the record's ring of prior lines (the newest first, the gaps shift by one). */
export function pushRing(r: RateStats, ts: number): void {
  for (let j = SCAN_PRIOR - 1; j >= 2; j--) r[5 + j] = r[4 + j];
  r[6] = r[5] >= 0 ? Math.min(ts - r[5], MAX_GAP) : -1;
  r[5] = ts;
}

/** Variance over mean of the window counts, at least 1 (Poisson), at most 100. */
export function dispersion(r: RateStats): number {
  const m = r[2];
  if (!(m > 0)) return 1;
  const v = r[4] - m * m;
  return Math.min(100, Math.max(1, v / m));
}

export function fmtSpan(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toPrecision(3)} s`;
}

/** Lanczos coefficients, g = 7 (to double precision). */
const LANCZOS = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.61503916999186, 12.507343278686905, -0.13857109526572012, 0.000009984369578019572, 1.5056327351493116e-7];

/** Natural log of the gamma function (Lanczos, g = 7). */
function logGamma(x: number): number {
  const c = LANCZOS;
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * log10 P(X ≥ k) for X ~ Poisson(lambda), for a real k > 0 (the regularised lower incomplete
 * gamma P(k, lambda), continuous in k: quasi-Poisson counts k / D need not be whole). 0 when k ≤ lambda.
 */
export function poissonTailLog10Real(k: number, lambda: number): number {
  if (!(k > lambda) || !(lambda > 0)) return 0;
  // P(a, x) = x^a e^-x / Γ(a + 1) · Σ_n x^n / ((a + 1)...(a + n)).
  let term = 1;
  let sum = 1;
  for (let n = 1; n < 500; n++) {
    term *= lambda / (k + n);
    sum += term;
    if (term < 1e-12 * sum) break;
  }
  const ln = k * Math.log(lambda) - lambda - logGamma(k + 1) + Math.log(sum);
  return Math.min(0, ln / Math.LN10);
}

/** log10 P(X ≥ k) for X ~ Poisson(lambda). */
export function poissonTailLog10(k: number, lambda: number): number {
  // Sum the tail from k upward (terms fall fast once past lambda).
  let logTerm = -lambda + k * Math.log(lambda) - logFactorial(k);
  let sum = 0;
  const first = logTerm;
  for (let j = k; j < k + 200; j++) {
    sum += Math.exp(logTerm - first);
    logTerm += Math.log(lambda) - Math.log(j + 1);
    if (logTerm - first < -30) break;
  }
  return Math.min(0, (first + Math.log(sum)) / Math.LN10);
}

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}
