// Rare lines on a schedule (logs.ts): a template whose lines the text detector reports as rare or
// novel, but which keeps returning at a fixed period of event time, is scheduled, not anomalous.
//
//   line of template T, its text finding (text.ts: novelty, rarity) ─► T's schedule record
//        │  (LogsState.ls[T], created at T's first reported line, then fed every line of T):
//        │  its lines grouped into episodes (a new one after gapMs without a line of T);
//        │  the starts of the last 4 episodes; once their 3 spacings agree (within tol × the
//        │  spacing + tolMs), that spacing is T's period and the last start its anchor
//        ▼  an episode that starts a whole number of periods after the anchor (within tolerance,
//        │  at most maxMultiple periods: a run or two may be missing) is on the schedule, and
//        │  moves the anchor; an episode off the schedule leaves it (an extra line between two
//        │  scheduled ones is judged as before); no episode on it for maxMultiple periods: the
//        │  period is forgotten and learnt again from the starts
//        ▼  a reported line of an episode on the schedule, no larger than sizeFactor × T's
//   largest earlier episode: its text finding is kept, scored × weight (under the default
//   threshold 0.5), its explanation saying "on its schedule: every 5.0 min, 3 returns on time"
//
// Why: a monitoring exporter denied a resource every 5 minutes (a 403 in a Kubernetes audit log,
// cloud generator), a check that logs a failed login on the hour: the line stays rare by
// frequency (a few in thousands of lines of a busy stream) and the rarity score reports it again
// and again, while what an operator wants to know is that it runs on time. A rare error at
// irregular times never has three equal spacings, and an error on a schedule that changes its
// period, or that comes between its runs, is reported as before.
//
// Bounded: one record of RECORD_LEN numbers per template with a reported line, charged to the
// template (budget.ts SCHEDULE_BYTES) and evicted with it. Event time only: a replay gives the
// same findings, whatever the batch split.
import type { TemplateMiner, Template } from './templates.js';
import type { LogsState, Part } from './logs-state.js';
import { SCHEDULE_BYTES } from './budget.js';
import { fixed } from './round.js';

export const SCHEDULE_PARAMS = Object.freeze({
  /** An episode ends after this long (event time) without a line of the template. */
  gapMs: 30_000,
  /** The shortest period learnt (returns closer than this are one storm's lines, not a schedule). */
  minPeriodMs: 60_000,
  /** Spacings agree, and a start is on time, within tol × the period + tolMs (per period for a multiple): the text quarantine's schedule tolerance (text-params.ts scheduleTol, scheduleTolMs). */
  tol: 0.002,
  tolMs: 1_000,
  /** An episode up to this many periods after the anchor can be on the schedule (runs gone unlogged between). */
  maxMultiple: 3,
  /** An episode on the schedule is expected while it has at most this × the template's largest earlier episode's lines. */
  sizeFactor: 2,
  /** An expected line's text finding keeps its score × this (under the default threshold: a sensitive profile still sees it). */
  weight: 0.45,
});

/** Record: [period ms (0: none), anchor ms, 4 last episode starts (oldest first, -1: none), episode start, last line ms, episode lines, 1 when on schedule, largest episode's lines, returns on time]. */
export const RECORD_LEN = 12;
const PERIOD = 0, ANCHOR = 1, STARTS = 2, NSTARTS = 4, CUR = 6, LAST = 7, LINES = 8, ON = 9, MOST = 10, ONTIME = 11;

function freshRecord(): number[] {
  const r = new Array<number>(RECORD_LEN).fill(-1);
  r[PERIOD] = 0;
  r[LINES] = 0;
  r[ON] = 0;
  r[MOST] = 0;
  r[ONTIME] = 0;
  return r;
}

const tolerance = (period: number, m: number): number => m * (SCHEDULE_PARAMS.tol * period + SCHEDULE_PARAMS.tolMs);

/** Whether the episode starting at `ts` is on the record's schedule (moving its anchor), learning the period from the last starts when it has none. */
function onTime(r: number[], ts: number): boolean {
  const P = SCHEDULE_PARAMS;
  if (r[PERIOD] > 0) {
    const m = Math.round((ts - r[ANCHOR]) / r[PERIOD]);
    if (m >= 1 && m <= P.maxMultiple && Math.abs(ts - r[ANCHOR] - m * r[PERIOD]) <= tolerance(r[PERIOD], m)) {
      r[ANCHOR] = ts;
      r[ONTIME]++;
      return true;
    }
    if (ts - r[ANCHOR] <= (P.maxMultiple + 0.5) * r[PERIOD]) return false;
    r[PERIOD] = 0;
    r[ONTIME] = 0;
  }
  // Learn: the last NSTARTS - 1 starts and this one, spaced alike by at least minPeriodMs.
  const s = r.slice(STARTS + 1, STARTS + NSTARTS);
  if (s.some((x) => x < 0)) return false;
  s.push(ts);
  const gaps = [s[1] - s[0], s[2] - s[1], s[3] - s[2]];
  const mean = (gaps[0] + gaps[1] + gaps[2]) / 3;
  if (!(mean >= P.minPeriodMs) || gaps.some((g) => Math.abs(g - mean) > tolerance(mean, 1))) return false;
  r[PERIOD] = Math.round(mean);
  r[ANCHOR] = ts;
  r[ONTIME] = 3;
  return true;
}

/** A line of the record's template at `ts`: counted in its episode; whether the episode is expected (on the schedule, not larger than before). */
export function scheduled(r: number[], ts: number): boolean {
  const P = SCHEDULE_PARAMS;
  if (r[CUR] < 0 || ts - r[LAST] > P.gapMs || ts < r[LAST]) {
    if (r[CUR] >= 0) {
      for (let i = 0; i < NSTARTS - 1; i++) r[STARTS + i] = r[STARTS + i + 1];
      r[STARTS + NSTARTS - 1] = r[CUR];
      r[MOST] = Math.max(r[MOST], r[LINES]);
    }
    r[CUR] = ts;
    r[LINES] = 0;
    r[ON] = onTime(r, ts) ? 1 : 0;
  }
  r[LAST] = ts;
  r[LINES]++;
  return r[ON] === 1 && r[LINES] <= P.sizeFactor * Math.max(1, r[MOST]);
}

/** The schedule records of a stream's templates (LogsState.ls). */
export class ScheduleScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;

  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
  }

  /** Charges a loaded state's records to their templates (SCHEDULE_BYTES each, as when created). */
  chargeRecords(): void {
    if (this.#s.ls !== undefined) this.#miner.chargeRecords(this.#s.ls, () => SCHEDULE_BYTES, this.#evicted);
  }

  /**
   * A line of template `t` at `ts`, with the text detector's finding `f` (null: none) at
   * `threshold`; `changed`: the line created or widened the template (then it is not the same
   * line, and nothing is expected). Returns the finding to report: `f`, or, for a line on its
   * template's schedule, `f` scored × weight with the schedule in its explanation (null when
   * that falls under `threshold`).
   */
  line(t: Template, ts: number, f: Part | null, threshold: number, changed: boolean): Part | null {
    const reported = f !== null && f.score >= threshold;
    const all = this.#s.ls;
    let r = all?.[t.id];
    if (r === undefined) {
      if (!reported || changed) return f;
      r = (this.#s.ls ??= {})[t.id] = freshRecord();
      this.#miner.grow(t, SCHEDULE_BYTES, this.#evicted);
    }
    const expected = scheduled(r, ts);
    if (!reported || !expected || changed) return f;
    const score = fixed(f.score * SCHEDULE_PARAMS.weight, 4);
    if (score < threshold) return null;
    return { ...f, score, explanation: `${f.explanation} On its schedule: every ${(r[PERIOD] / 60_000).toFixed(1)} min, ${r[ONTIME]} returns on time (score ${f.score} × ${SCHEDULE_PARAMS.weight}).` };
  }
}
