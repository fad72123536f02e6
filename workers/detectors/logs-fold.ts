// The burst findings of a line (logs.ts: a template's, a family's or a field value's rate burst,
// a value burst of an id-like slot) folded by moment: a burst of ordinary lines is reported by its
// moments, not by every line one event writes.
//
//   line's burst findings ─► reported when the line has a severity word or a warning level, another finding, or
//        no burst line of the stream was reported within momentMs of event time before it
//        (state LogsState.bm: the event time of the stream's last reported burst line);
//        else folded into that line: each finding's score × foldWeight (under the default
//        threshold), its explanation saying so
//
// Why: one event often writes several lines at once (a MongoDB connection: accepted, its client
// metadata, its authentication, 2-9 ms apart; a PostgreSQL lock wait: LOG, DETAIL, CONTEXT and
// STATEMENT at the same millisecond). In a burst of such events every line reached the rate
// tests, and a deploy's reconnect burst, ordinary lines the detector cannot tell from the start of
// a connection storm, was reported three lines per connection (db generator). The first line of
// each moment is still reported, so the burst's rate and extent stay visible line by line, and a
// line with a severity word is never folded (an alert's burst is reported whole: Loghub BGL), nor
// a warning (a retry's `"level":"warn"` line 1-8 ms after the info line of the same call: the
// k8s generator's retry storms label the warning, 3 of 348 incidents were lost folding it).
// Event time only, one number of state: the same events give the same findings whatever the split.
import type { LogsState, Part } from './logs-state.js';
import type { LineSeverity } from './text-words.js';
import { fixed } from './round.js';

export const FOLD_PARAMS = Object.freeze({
  /** A burst line within this many ms of event time after the stream's last reported burst line is the same moment. */
  momentMs: 10,
  /** A folded finding's score is its own × this (under the default threshold 0.5: a sensitive profile still sees it). */
  foldWeight: 0.45,
});

/** A warning level word (WARN, Warning, a JSON "level":"warn"). */
const WARNING = /\b(?:WARN(?:ING)?|[Ww]arn(?:ing)?)\b/;

/** A line whose burst findings may be folded: no severity word, no warning level. */
export const foldable = (sev: LineSeverity): boolean => sev.word === '' && !WARNING.test(sev.source);

/**
 * The line's burst findings (`burst`, all at least `threshold`, in the order found) at event time
 * `ts`: to out as they are when the line is reported (it has a severity word, `other` findings, a
 * warning level, or is a new moment of the stream's bursts), else folded (score × foldWeight, to
 * out only if that still reaches `threshold`). Its severity word and warning level are read where
 * logs.ts read them once (`sev`: a JSON record's in its severity fields, json-line.ts
 * severityView; a level named in an input field is none). Returns the highest score the line's
 * burst findings keep, or `top` (the burst tests' highest score, findings or not) when none was folded.
 */
export function foldBurst(s: LogsState, ts: number, sev: LineSeverity, other: boolean, burst: Part[], top: number, threshold: number, out: Part[]): number {
  if (burst.length === 0) return top;
  const P = FOLD_PARAMS;
  const last = s.bm;
  const sameMoment = last !== undefined && ts >= last && ts - last <= P.momentMs;
  if (!sameMoment || other || !foldable(sev)) {
    s.bm = ts;
    for (const p of burst) out.push(p);
    return top;
  }
  let kept = 0;
  for (const p of burst) {
    const score = fixed(p.score * P.foldWeight, 4);
    kept = Math.max(kept, score);
    if (score < threshold) continue;
    out.push({ ...p, score, explanation: `${p.explanation} Folded into the burst line reported ${ts - last} ms before it (the same moment: one event's lines; score ${p.score} × ${P.foldWeight}).` });
  }
  return kept;
}
