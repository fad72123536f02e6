// A new failure's incident goes on (logs.ts): the lines that follow a reported new warning of the
// same shape are its incident's lines, reported as such, not normal lines it taught.
//
//   line reported as news (a never-seen template: logs-news.ts; a word never seen in a slot:
//   fields.ts, `src=local`) that states a warning or worse or names a failure (text-words.ts)
//        ─► opens an incident of its shape: the line's key (templates.ts scan: tokens with a digit
//           masked, so the template's words and its word values: `WARNING: ... [REPLY] ci=* *
//           Service Unavailable src=local`); at most maxOpen at once (the oldest replaced)
//   later line of the stream with that key, within gapMs of event time of the incident's previous
//   line and maxMs of its first ─► a line of the incident: "line 14 of an incident that began with
//   a never-seen warning 3.2 min ago", score `score`
//
// Why: a carrier trunk down for 10 minutes writes the same new warning for every call routed to it
// (the proxy's local 503, voip generator): its first line was news, the next ones were known lines
// of a known template, and 70% of the outage's lines were silent. A storm of a known warning is
// the rate detector's; a new one is news while it lasts. A word value only (a new number, address
// or id is masked in the key: the key would be its template's, a common shape); a line without a
// warning level or a failure word opens none (a new trunk's name in a routine line, a new page of
// an export). Event time only; the state is LogsState.sq, [key hash, first, last, lines] × open.
import type { Part } from './logs-state.js';
import { fnv1aFrom, FNV_BASIS } from './fnv.js';
import { NEWS_DETECTOR } from './logs-news.js';
import type { LineSeverity } from './text-words.js';

export const SEQUEL_DETECTOR = 'incident_sequel';

export const SEQUEL_PARAMS = Object.freeze({
  /** Incidents open at once. */
  maxOpen: 4,
  /** A line of the incident comes within this much event time of its previous line. */
  gapMs: 120_000,
  /** …and of its first: a failure that lasts longer has become the stream's state, not news. */
  maxMs: 30 * 60_000,
  /** The score of an incident's later line. */
  score: 0.6,
});

const REC = 4;

/**
 * The line (its key and event time) against the stream's open incidents: a finding to out when it
 * is a line of one (its score), else 0; then, when `opens` (the line was reported as news and is
 * severe), an incident of its key opens.
 */
export function sequelLine(s: { sq?: number[] }, key: string, ts: number, opens: boolean, threshold: number, out: Part[]): number {
  const P = SEQUEL_PARAMS;
  const q = s.sq;
  if (q === undefined && !opens) return 0;
  const h = fnv1aFrom(key, 0, FNV_BASIS);
  let score = 0;
  if (q !== undefined) {
    for (let i = 0; i < q.length; i += REC) {
      if (q[i] !== h) continue;
      if (ts - q[i + 2] <= P.gapMs && ts - q[i + 1] <= P.maxMs && ts >= q[i + 2]) {
        q[i + 2] = ts;
        q[i + 3]++;
        if (P.score >= threshold) {
          score = P.score;
          const mins = (ts - q[i + 1]) / 60_000;
          out.push({ score, detector: SEQUEL_DETECTOR, explanation: `Line ${q[i + 3]} of an incident that began ${mins.toFixed(1)} min of event time ago with a never-seen warning of this shape; each line came within ${P.gapMs / 1000} s of the one before.`, details: { lines: q[i + 3], since_ms: ts - q[i + 1] } });
        }
        return score;
      }
      // Its incident is over: the key may open a new one.
      q.splice(i, REC);
      break;
    }
  }
  if (!opens) return 0;
  const r = (s.sq ??= []);
  if (r.length >= P.maxOpen * REC) r.splice(0, REC);
  r.push(h, ts, ts, 1);
  return 0;
}

/**
 * Whether a reported line opens an incident: news (a new template, a word value never seen) and
 * severe (a severity or failure word, or a stated warning or error level). The line's severity is
 * read only for a line with findings (its getters are lazy: most lines have none).
 */
export function opensSequel(out: readonly Part[], threshold: number, sev: LineSeverity, unseenWord: boolean): boolean {
  if (out.length === 0 || !(sev.word !== '' || sev.stated === 'warn' || sev.stated === 'error')) return false;
  for (const f of out) {
    if (f.score < threshold) continue;
    if (f.detector === NEWS_DETECTOR || (unseenWord && f.details.kind === 'unseen_value')) return true;
  }
  return false;
}
