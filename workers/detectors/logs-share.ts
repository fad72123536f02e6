// A failure value that takes over its slot (logs.ts): a categorical value rare in its template's
// slot that becomes most of the slot's recent lines on lines that state a failure, reported on each
// of those lines, with an explanation ("an error value's share within its key rising far above
// its history").
//
//   line's categorical slot values (logs-values.ts: the template's low-cardinality fields, their
//   counts so far) ─► a candidate opens for a word value under maxShare of the slot's sightings
//        │  (at least minHistory of them) on a line that states a warning or a failure
//        │  (text-words.ts): a CDR row `"FAILED"` (usually 8% of its template's rows); at most
//        │  maxOpen at once, the weakest out
//        ▼  per candidate: its history share p0 (count + ½) / sightings when it opened, and which
//        │  of the slot's last `window` lines of the template showed the value (a bit mask)
//        ▼
//   the candidate's value on the line, k of the last n lines, k ≥ minCount and k ≥ n / 2: the
//   binomial tail P(X ≥ k | n, p0) (a value keeps its share p0, line after line); score
//   S / (S + half), S = -log10 P: "Value "FAILED" of slot "colG" ... in 9 of its last 12 lines,
//   where it had a 4.1% share of its sightings before"
//   a candidate whose value left the slot's last `window` lines (no bit) is dropped
//
// Why: a carrier trunk down for minutes fails every call routed to it, and the failure shows as an
// ordinary value of an ordinary template on most of their lines (voip generator). A value that
// stays a minority (a new trunk taking a tenth of the calls) is no takeover. Only severe lines
// open candidates: a never-seen routine value that takes over its slot is as often benign (pay
// 201-204: a new currency taking over the payment lines, 1,317 false alarms; ml: an upload
// session's bucket, 104; ci: a scheduled run's event, 93). Event order only; state LogsState.vs:
// [template id × 256 + slot index, value hash, p0 × 1e9, lines, bits] × open candidates, evicted
// with their template.
import type { FieldStats } from './fields.js';
import { wordValue } from './fields.js';
import { FIELD_PARAMS } from './field-stats.js';
import { countOf } from './field-contexts.js';
import { fnv1a } from './fnv.js';
import { fixed } from './round.js';
import type { Part } from './logs-state.js';
import type { LineSeverity } from './text-words.js';

export const SHARE_DETECTOR = 'value_share';

export const SHARE_PARAMS = Object.freeze({
  /** Candidates open at once per stream (the one with the fewest recent sightings out). */
  maxOpen: 8,
  /** The slot's last lines judged (a bit mask: at most 30). */
  window: 12,
  /** A value with at least this share of its slot's sightings opens no candidate. */
  maxShare: 0.2,
  /** …nor before the slot has this many sightings. */
  minHistory: 100,
  /** Sightings within the window before a line is judged. */
  minCount: 5,
  /** S = -log10 P at which the score is 0.5. */
  half: 8,
});

const REC = 5;
const P0_SCALE = 1e9;

/** log10 of the binomial upper tail P(X ≥ k | n, p). */
export function binomTailLog10(k: number, n: number, p: number): number {
  if (k <= 0) return 0;
  if (p <= 0) return -Infinity;
  if (p >= 1) return 0;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  // log C(n, i) by recurrence from i = k.
  let lc = 0;
  for (let i = 1; i <= k; i++) lc += Math.log((n - k + i) / i);
  let max = -Infinity;
  const terms: number[] = [];
  for (let i = k; i <= n; i++) {
    const t = lc + i * lp + (n - i) * lq;
    terms.push(t);
    if (t > max) max = t;
    lc += Math.log((n - i) / (i + 1));
  }
  let sum = 0;
  for (const t of terms) sum += Math.exp(t - max);
  return Math.min(0, (max + Math.log(sum)) / Math.LN10);
}

function popcount(x: number): number {
  let c = 0;
  for (let v = x >>> 0; v !== 0; v &= v - 1) c++;
  return c;
}

/** The line's categorical slot values (logs-values.ts fills them): an id each (its template's and its slot's), its value and field, and its slot's name. */
export interface ShareViews {
  n: number;
  ids: number[];
  values: string[];
  fields: FieldStats[];
  names: string[];
  /** View k's words in a finding. */
  what: (k: number) => string;
}

/** The id of template `tid`'s slot k. */
export const slotView = (tid: number, k: number): number => tid * 256 + Math.min(k, 255);

/**
 * The line's views (`v`) against the stream's open candidates: a finding to out for a value that
 * took over its view (its score), else 0; then candidates open for the line's rare values (a value
 * seen before only when `sev` states a warning or a failure).
 */
export function shareLine(s: { vs?: number[] }, v: ShareViews, sev: LineSeverity, threshold: number, out: Part[]): number {
  const P = SHARE_PARAMS;
  const mask = (1 << P.window) - 1;
  let top = 0;
  let q = s.vs;
  if (q !== undefined) {
    for (let i = 0; i < q.length; ) {
      const k = v.ids.indexOf(q[i]);
      if (k < 0 || k >= v.n) {
        i += REC;
        continue;
      }
      const hit = fnv1a(v.values[k]) === q[i + 1];
      const lines = Math.min(P.window, q[i + 3] + 1);
      const bits = ((q[i + 4] << 1) | (hit ? 1 : 0)) & mask;
      q[i + 3] = lines;
      q[i + 4] = bits;
      if (bits === 0) {
        q.splice(i, REC);
        continue;
      }
      const c = popcount(bits);
      if (hit && c >= P.minCount && 2 * c >= lines) {
        const p0 = q[i + 2] / P0_SCALE;
        const S = -binomTailLog10(c, lines, p0);
        const score = fixed(S / (S + P.half), 4);
        if (score > top) top = score;
        if (score >= threshold) {
          const value = v.values[k].slice(0, 40);
          out.push({
            score,
            detector: SHARE_DETECTOR,
            explanation: `Value "${value}" of ${v.what(k)} in ${c} of its last ${lines} lines, where it had a ${(100 * p0).toPrecision(2)}% share of its sightings before (binomial tail p ≈ ${(10 ** -S).toPrecision(2)}).`,
            details: { value, lines, count: c, share_before: Number(p0.toPrecision(3)), p_value: Number((10 ** -S).toPrecision(3)) },
          });
        }
      }
      i += REC;
    }
  }
  for (let k = 0; k < v.n; k++) {
    const f = v.fields[k];
    if (f.v === null || f.k > FIELD_PARAMS.lowCard || f.n < P.minHistory) continue;
    const value = v.values[k];
    const before = countOf(f, value) - 1;
    if (before < 0 || before >= P.maxShare * (f.n - 1) || !wordValue(value)) continue;
    // Only on a severe line (its severity read only here: most lines have no rare value).
    if (!(sev.word !== '' || sev.stated === 'warn' || sev.stated === 'error')) continue;
    const h = fnv1a(value);
    q = s.vs ??= [];
    if (open(q, v.ids[k], h)) continue;
    if (q.length >= P.maxOpen * REC) q.splice(weakest(q), REC);
    q.push(v.ids[k], h, Math.round(((before + 0.5) / f.n) * P0_SCALE), 1, 1);
  }
  return top;
}

function open(q: readonly number[], id: number, h: number): boolean {
  for (let i = 0; i < q.length; i += REC) if (q[i] === id && q[i + 1] === h) return true;
  return false;
}

/** The candidate with the fewest recent sightings (the oldest of those). */
function weakest(q: readonly number[]): number {
  let at = 0;
  let least = Infinity;
  for (let i = 0; i < q.length; i += REC) {
    const c = popcount(q[i + 4]);
    if (c < least) {
      least = c;
      at = i;
    }
  }
  return at;
}

/** A template the miner evicted: its candidates go. */
export function dropShares(s: { vs?: number[] }, tid: number): void {
  const q = s.vs;
  if (q === undefined) return;
  for (let i = q.length - REC; i >= 0; i -= REC) if (Math.floor(q[i] / 256) === tid) q.splice(i, REC);
}
