// Bursts on a schedule (logs-rate.ts): a template's bursts, as the rate test finds them, grouped
// into episodes; once its last episodes started at a regular spacing in event time (a period, or
// a few of its periods apart when repetitions went unnoticed), a burst that starts on the schedule
// is expected (a monitoring check every 5 minutes, a cron job) and not reported while it stays
// no larger than twice its earlier episodes. A storm that recurs at irregular times, or a larger
// burst at the usual time, is reported as before. Pure functions of numbers; the record lives in
// the logs state (`rp`, per template id, counted in its template's bytes and evicted with it;
// `fp`, per family, within FAMILY_BUDGET; budget.ts).

export const PERIOD_PARAMS = Object.freeze({
  /** An episode ends after this long (event time) without a burst line of the template. */
  gapMs: 30_000,
  /** Past episodes kept (their starts and sizes). */
  past: 6,
  /** Past episodes before a burst can be expected at any multiple of a period (so it is reported the first times). */
  minPast: 3,
  /**
   * …or two among the last pairStarts, whose spacing this start repeats (m = 1 and 2 only): a
   * checkpoint written every 23 minutes is a habit at its third run, not its fourth. Only the last
   * few and only the next spacing, so irregular storms seldom line up by chance (about 6.5% of the
   * period's span a pair, at tol 3%). A template that bursts twice a run (an upload's start and its end, 60 s
   * apart) has no consecutive spacing equal to its period: pairs are any two of the last starts.
   */
  pairStarts: 4,
  /** The shortest period learned (bursts closer than this are one storm's parts, not a schedule). */
  minPeriodMs: 60_000,
  /**
   * Tolerance of a start around its expected time: this share of the period plus tolMs per period.
   * A job that runs every N steps wanders: a checkpoint every 23 minutes came 22:43 to 23:27 apart
   * (ml generator), and at 1% (16 s) a spacing 20-45 s off the last one was off the schedule
   * (rate-jitter.unit; ml 201-215 1294 -> 1193 false alarms, recall the same).
   */
  tol: 0.03,
  tolMs: 2_000,
  /** Past starts up to this many periods back are checked (a repetition may have gone unnoticed). */
  maxMultiple: 9,
  /** An expected episode is reported again once it has more burst lines than this × its earlier ones' most. */
  sizeFactor: 2,
});

/**
 * Per template: [current episode's start ms (-1: none), its last burst line's ms, its burst lines,
 * 1 when it started on the schedule, then `past` starts (oldest first, -1: none), then their sizes].
 */
export type PeriodStats = number[];

const HEAD = 4;
export const PERIOD_LEN = HEAD + 2 * PERIOD_PARAMS.past;

export function freshPeriod(): PeriodStats {
  const r = new Array<number>(PERIOD_LEN).fill(-1);
  r[2] = 0;
  r[3] = 0;
  return r;
}

/**
 * Whether a start at `ts` is on the schedule of the past starts `s` (oldest first): it repeats the
 * spacing of two of the last ones (steadyPair), or for some period
 * P (a spacing between consecutive starts, at least minPeriodMs), at least minPast of them lie a whole number of periods
 * before ts, each within tol × P + tolMs per period (one odd burst among them does not break it).
 */
export function onSchedule(s: readonly number[], ts: number): boolean {
  const P = PERIOD_PARAMS;
  if (steadyPair(s, ts)) return true;
  if (s.length < P.minPast) return false;
  // Candidate periods: the spacings between consecutive starts, this one's included.
  for (let i = s.length - 1; i >= 0; i--) {
    const period = (i === s.length - 1 ? ts : s[i + 1]) - s[i];
    if (!(period >= P.minPeriodMs)) continue;
    let fits = 0;
    for (const x of s) {
      const d = ts - x;
      const m = Math.round(d / period);
      if (m >= 1 && m <= P.maxMultiple && Math.abs(d - m * period) <= P.tol * period + m * P.tolMs) fits++;
    }
    if (fits >= P.minPast) return true;
  }
  return false;
}

/** Two of the last pairStarts starts `a` < `b` with ts − b ≈ b − a (at least minPeriodMs, within tol × it + tolMs): ts repeats their spacing. */
export function steadyPair(s: readonly number[], ts: number): boolean {
  const P = PERIOD_PARAMS;
  const from = Math.max(0, s.length - P.pairStarts);
  for (let j = s.length - 1; j > from; j--) {
    const period = ts - s[j];
    if (!(period >= P.minPeriodMs)) continue;
    for (let i = j - 1; i >= from; i--) if (Math.abs(s[j] - s[i] - period) <= P.tol * period + P.tolMs) return true;
  }
  return false;
}

/**
 * A burst line of the template at `ts` (its rate test at the finding's bar): counted in its episode
 * (a new one after gapMs without a burst line, whose start is checked against the schedule); true
 * when the episode is expected (on schedule, and no larger than sizeFactor × its earlier ones).
 */
export function expectedBurst(r: PeriodStats, ts: number): boolean {
  const P = PERIOD_PARAMS;
  if (r[0] < 0 || ts - r[1] > P.gapMs) {
    if (r[0] >= 0) {
      // Close the episode: its start and size join the past ones (the oldest drops out).
      for (let i = 0; i < P.past - 1; i++) {
        r[HEAD + i] = r[HEAD + i + 1];
        r[HEAD + P.past + i] = r[HEAD + P.past + i + 1];
      }
      r[HEAD + P.past - 1] = r[0];
      r[HEAD + 2 * P.past - 1] = r[2];
    }
    const starts: number[] = [];
    for (let i = 0; i < P.past; i++) if (r[HEAD + i] >= 0) starts.push(r[HEAD + i]);
    r[0] = ts;
    r[2] = 0;
    r[3] = onSchedule(starts, ts) ? 1 : 0;
  }
  r[1] = ts;
  r[2]++;
  if (r[3] !== 1) return false;
  let most = 0;
  for (let i = 0; i < P.past; i++) most = Math.max(most, r[HEAD + P.past + i]);
  return r[2] <= P.sizeFactor * most;
}
