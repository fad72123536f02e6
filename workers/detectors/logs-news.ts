// A never-seen template after a settled vocabulary (logs.ts): a stream that has shown no new kind
// of line for a long while (NEWS_PARAMS: settledLines lines and settledMs of event time, both)
// has shown its vocabulary; a line that then opens a template is news, whatever its cost against
// the deflate dictionary (text.ts compares costs with the stream's other costed lines, which in a
// regular stream are its few novel ones: a new error in a MySQL error log of aborted
// connections cost 424 bits against a typical 276 and was not reported; db generator).
//
//   state LogsState.nt = [lines since, event time of] the last line that opened a template
//   score q / (q + 1), q = min(lines since / settledLines, time since / settledMs) (logs-state.ts quietScore): 0.5 at both
//   bounds, higher the longer the vocabulary had held (event time only: a replay gives the same)
import type { Template } from './templates.js';
import { templateText } from './templates.js';
import { clip, quietScore, type LogsState, type Part } from './logs-state.js';

export const NEWS_DETECTOR = 'template_novelty';

export const NEWS_PARAMS = Object.freeze({
  /** Lines without a new template before the vocabulary counts as settled. */
  settledLines: 100,
  /** …and event time (ms): half an hour. */
  settledMs: 30 * 60_000,
});

/**
 * A line of the stream (not claimed as prose) at event time `ts` matched template `t` (`created`:
 * it opened it): the finding at least `threshold` to out; the score (0 for a line that opened
 * none). Lines are counted in the state itself, so the count does not depend on how the stream
 * was split into tasks.
 */
export function templateNews(s: LogsState, t: Template, created: boolean, ts: number, threshold: number, out: Part[]): number {
  const last = s.nt;
  if (last !== undefined) last[0]++;
  if (!created || typeof ts !== 'number' || !Number.isFinite(ts)) return 0;
  s.nt = [0, ts];
  if (last === undefined) return 0;
  const P = NEWS_PARAMS;
  const lines = last[0];
  const ms = ts - last[1];
  const score = quietScore(lines, ms, P.settledLines, P.settledMs);
  if (score === undefined) return 0;
  if (score >= threshold) {
    out.push({
      score,
      detector: NEWS_DETECTOR,
      explanation: `A never-seen kind of line (new template "${clip(templateText(t))}") after ${lines} lines and ${Math.round(ms / 60_000)} min of event time in which the stream showed no new template (its vocabulary counts as settled from ${P.settledLines} lines and ${P.settledMs / 60_000} min on).`,
      details: { kind: 'new_template', template: t.id, quiet_lines: lines, quiet_ms: ms },
    });
  }
  return score;
}
