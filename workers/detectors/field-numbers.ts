// The numeric side of a field (fields.ts): once a field is high-cardinality and ≥ 95% of its
// values parse as numbers (and it is not a counter), the location and spread of log(x + unit of
// its last digit) per context (the values of the template's other low-cardinality slots, so a
// route's latency is compared with that route's; with several varying ones, also each alone, and
// the tightest history with minNumeric values judges), EWMA with winsorising; upper-tail robust z
// from minNumeric values on. Score z / (z + numHalf).
import { FIELD_PARAMS, grow, LazyFinding, OPTIONAL_BYTES, RANGE_BYTES, table, WORD_BYTES, type FieldStats, type NumStats, type ValueFinding } from './field-stats.js';
import { CONTEXT_BYTES, jsonBytes } from './budget.js';
import { fnv1a } from './fnv.js';
import { pieceWords } from './field-routes.js';
import { commonLevel, knownMode, LEVEL_PARAMS } from './field-modes.js';

/**
 * A numeric outlier, its words and details written only when read: most have a small z and are
 * never reported (logs.ts reads them for a finding at the threshold), and the formatting cost
 * more than the judgement. Every input is taken when the value is judged.
 */
class NumericOutlier implements ValueFinding {
  readonly kind = 'numeric_outlier';
  constructor(
    readonly score: number, readonly value: string, readonly x: number, readonly typical: number,
    readonly ctx: string, readonly z: number, readonly count: number,
  ) {}

  get words(): string {
    const { value, x, typical, ctx, z } = this;
    return `value ${value} is ${(x / Math.max(typical, 1e-9)).toFixed(1)}× its typical ${typical.toPrecision(3)}${ctx === '' ? '' : ` for ${pieceWords(ctx)}`} (robust z ${z.toFixed(1)} on a log scale, ${this.count} values)`;
  }

  get details(): Record<string, number | string> {
    return { typical: Number(this.typical.toPrecision(4)), z: Number(this.z.toFixed(2)), values: this.count };
  }
}

/**
 * The unit of the last digit of the number numberOf() read last (1 for an integer, 0.001 for
 * "0.045"): numbers are judged as log(x + unit), which is log(1 + x) for integers (counts,
 * milliseconds, bytes) and stays scale-free for small decimals (seconds: 0.002 → 0.060 is 30×,
 * where log(1 + x) moves by 0.06, under the spread floor).
 */
let numberUnit = 1;

/**
 * A number in a token ("503", "12.5", "53ms", "97%", "1.935732s:"), or NaN: up to 3 trailing unit
 * letters and punctuation (`%`, `,`, `;`, `)`, `:`) are read past, so a run time that ends its
 * clause (Celery's "succeeded in 0.081s: None") is a number, not an id-like text.
 */
export function numberOf(value: string): number {
  let end = value.length;
  while (end > 0) {
    const c = value.charCodeAt(end - 1);
    if ((c >= 97 && c <= 122) || c === 37 || c === 44 || c === 59 || c === 41 || c === 58) end--;
    else break;
  }
  if (end === 0 || end < value.length - 3) return Number.NaN;
  // Plain decimals only (no exponent, no hex): ids like 4e10 or deadbeef are not numbers.
  let dots = 0;
  let dot = end;
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c === 46) {
      dots++;
      dot = i;
    } else if (!((c >= 48 && c <= 57) || (c === 45 && i === 0))) return Number.NaN;
  }
  numberUnit = dot >= end - 1 ? 1 : 10 ** -(end - 1 - dot);
  if (dots > 1 || end > 15) return Number.NaN;
  return Number(end === value.length ? value : value.slice(0, end));
}

/**
 * Judges a value's number (when the field is high-cardinality and `numbers`) against its
 * context's history, then adds it; counts the sighting. `found`: the categorical finding, kept
 * when there is one.
 */
export function observeNumber(f: FieldStats, value: string, ctx: string, found: ValueFinding | null, numbers = true, views?: readonly string[]): ValueFinding | null {
  const P = FIELD_PARAMS;
  let out = found;
  // Numbers are judged once the field is high-cardinality (a low-cardinality one is categorical).
  const x = f.v === null && numbers ? numberOf(value) : Number.NaN;
  if (f.v === null && Number.isNaN(x)) out = wordSighting(f, value, out, numbers);
  else if (!Number.isNaN(x) && x >= 0) {
    const numeric = f.num >= 0.95 * f.n && f.up < P.counterShare * f.num;
    if (x > f.prev) f.up++;
    f.prev = x;
    f.num++;
    const unit = numberUnit;
    const y = Math.log(x + unit);
    // A context longer than maxContext is kept under its hash (contextKey): a JSON access log's
    // categorical fields together (method, bucket, status, error, agent, region) run past it.
    const ck = contextKey(ctx);
    let st = f.c[ck];
    // The line's own context's history (not the overflow context '*' it may fall into).
    let own = true;
    if (st === undefined) {
      const key = f.nc < P.maxContexts ? ck : '*';
      own = key === ck;
      st = f.c[key];
      if (st === undefined) {
        st = [0, y, 0];
        f.c[key] = st;
        f.nc++;
        if (Object.hasOwn(f.c, key)) grow(jsonBytes(key) + CONTEXT_BYTES);
      }
    }
    // The history the value is judged against: the full context's, or, when the line has several
    // varying context slots, the tightest (smallest spread) of it and each slot's own value's
    // (a route's latency, whatever the status, version and referer beside it: the full
    // combination can stay under minNumeric values for long). The choice reads only history.
    let judge = st[0] >= P.minNumeric ? st : undefined;
    let where = ctx;
    if (views !== undefined) {
      if (f.g === undefined) grow(2 * OPTIONAL_BYTES);
      const g = (f.g ??= table<NumStats>());
      for (let i = 0; i < views.length; i++) {
        let vs = g[views[i]];
        viewStats[i] = vs;
        if (vs === undefined) {
          // (No new view for a field whose values are mostly not numbers: a request id that is all digits now and then.)
          if (!numeric || (f.ng ?? 0) >= P.maxContexts || views[i].length > P.maxContext) continue;
          vs = viewStats[i] = g[views[i]] = [0, y, 0];
          f.ng = (f.ng ?? 0) + 1;
          if (Object.hasOwn(g, views[i])) grow(jsonBytes(views[i]) + CONTEXT_BYTES);
        }
        if (vs[0] >= P.minNumeric && (judge === undefined || Math.max(vs[2], P.minDev) < Math.max(judge[2], P.minDev))) {
          judge = vs;
          where = views[i];
        }
      }
    }
    if (out === null && numeric && judge !== undefined) {
      const z = judgedZ(f, judge, own ? st : undefined, y);
      // A view judged (the line's own context has too few values): a value its own context has
      // shown is no outlier there, however far it lies from the view's (a PUT's 503 answer carries
      // a body where the PUTs' 200s carry none). Only a context that holds the view (a metadata
      // field's context is the stream, '', coarser than its views). Nor a known slow mode or a common far level (field-modes.ts).
      if (z > 0 && !(own && judge !== st && st[0] >= P.minOwnNumeric && robustZ(st, y) < P.numHalf && ` ${ctx} `.includes(` ${where} `)) && !(z >= P.numHalf && (farCommon || knownMode(f, y)))) {
        const typical = Math.exp(judge[1]) - unit;
        out = new NumericOutlier(z / (z + P.numHalf), value, x, typical, where, z, judge[0]);
      }
    }
    if (out === null && numeric && judge === undefined && beyondContexts(own ? st : undefined, views, y)) out = beyondNumbers(f, value, x, unit);
    if (numeric) spanOf(f, x);
    learn(st, y);
    if (views !== undefined) {
      // Each view's statistics as the loop above found or made them (not looked up again).
      for (let i = 0; i < views.length; i++) {
        const vs = viewStats[i];
        if (vs !== undefined) learn(vs, y);
      }
    }
    f.n++;
  } else f.n++;
  return out;
}

/**
 * Whether the judged value y (judgedZ) is at a common far level of its field (field-modes.ts
 * commonLevel, which counts it), for a value far in its own context too (with
 * minNumeric values): one usual there (a slow route's answer, far only for a tighter view of other
 * routes) is no mode of the field's that would hide another route's outlier at its level.
 */
let farCommon = false;

/** The robust z of y against history `judge`; sets farCommon (above) for own context st (undefined: the line's own context is not its own). */
function judgedZ(f: FieldStats, judge: NumStats, st: NumStats | undefined, y: number): number {
  const z = robustZ(judge, y);
  const L = LEVEL_PARAMS.levelZ;
  farCommon = st !== undefined && z >= L && st[0] >= FIELD_PARAMS.minNumeric && robustZ(st, y) >= L && commonLevel(f, y);
  return z;
}

/**
 * A word that stands for a number that is not there: not a number (`nan`, `NaN`), infinite (`inf`,
 * `-Infinity`), or missing (`None`, `null`, `nil`, `undefined`, `N/A`). Only these, not any word:
 * a template that merges lines of two shapes puts a word of the other shape in a numeric slot now
 * and then, which says nothing of the number.
 */
const NUMBER_WORD = /^[+-]?(?:nan|inf|infinity|none|null|nil|undefined|n\/a)[,;)]?$/i;

/**
 * A word (NUMBER_WORD) in place of the number of a field whose sightings have been numbers
 * (FIELD_PARAMS.nonNumber*), or null; the episode's start kept in f.w. Call before f.n counts the sighting.
 */
function nonNumber(f: FieldStats, value: string): ValueFinding | null {
  const P = FIELD_PARAMS;
  if (f.num < P.nonNumberMin || f.num < P.nonNumberShare * f.n || !NUMBER_WORD.test(value)) return null;
  let w = f.w;
  let S: number;
  if (w !== undefined && f.n - w[0] <= P.nonNumberGap) S = w[1];
  else if (f.num < 0.95 * f.n) return null;
  else {
    S = Math.round(-Math.log10((f.n - f.num + 1) / (f.n + 1)) * 1e4) / 1e4;
    if (w === undefined) {
      w = f.w = [f.n, S];
      grow(WORD_BYTES);
    } else w[1] = S;
  }
  w[0] = f.n;
  const { n, num } = f;
  return new LazyFinding('non_number', S / (S + P.nonNumberHalf), () => ({
    words: `value "${value}" where ${num} of its ${n} sightings were numbers (p ≈ ${(10 ** -S).toPrecision(2)} for a value that is no number)`,
    details: { sightings: n, numbers: num, p_value: Number((10 ** -S).toPrecision(3)) },
  }));
}

/** A sighting of a value that is no number in a high-cardinality field: judged (nonNumber) unless `found` or not `numbers`, then counted. */
function wordSighting(f: FieldStats, value: string, found: ValueFinding | null, numbers: boolean): ValueFinding | null {
  const out = found === null && numbers ? nonNumber(f, value) : found;
  f.n++;
  return out;
}

/**
 * The key of a context in f.c: the context itself, or, when longer than maxContext, '~', its
 * length and an FNV-1a hash of it (a field holds at most maxContexts contexts, so a 32-bit hash
 * with the length keeps them apart).
 */
export function contextKey(ctx: string): string {
  if (ctx.length <= FIELD_PARAMS.maxContext) return ctx;
  return `~${ctx.length}:${fnv1a(ctx).toString(36)}`;
}

/**
 * A number far beyond the largest of the field's (FIELD_PARAMS.beyondRatio) when none of the
 * line's contexts has minNumeric values yet, from beyondMin numbers on: r = (x + unit) / (largest
 * + unit), score ln r / (ln r + ln beyondRatio), only when ln r also exceeds the span of the
 * field's numbers, ln((largest + unit) / (smallest + unit)): a slot whose values already range
 * over orders of magnitude makes no such jump news. Null otherwise.
 */
function beyondNumbers(f: FieldStats, value: string, x: number, unit: number): ValueFinding | null {
  const P = FIELD_PARAMS;
  const h = f.h;
  if (h === undefined || h[2] < P.beyondMin || x <= h[1]) return null;
  const L = beyondLog(x, h[1], unit);
  if (L < Math.log(P.beyondRatio) || L <= Math.log((h[1] + unit) / (h[0] + unit))) return null;
  const [lo, hi, n] = h;
  return beyondLargest(value, x, hi, unit, L, `${n} numbers (${hi}; smallest ${lo}), too few in any context of the line to judge it there`, { values: n, largest: hi, smallest: lo });
}

/** How far number x lies beyond `largest`, its field's largest number: ln((x + unit) / (largest + unit)). */
export function beyondLog(x: number, largest: number, unit: number): number {
  return Math.log((x + unit) / (largest + unit));
}

/**
 * The finding of value (number x) beyond its field's largest number (fields.ts beyondRange,
 * beyondNumbers): L = beyondLog(x, largest, unit), score L / (L + ln beyondRatio) (0.5 at
 * beyondRatio times the largest); `of` ends its words (what the largest is the largest of).
 */
export function beyondLargest(value: string, x: number, largest: number, unit: number, L: number, of: string, details: Record<string, number>): ValueFinding {
  return { kind: 'numeric_outlier', score: L / (L + Math.log(FIELD_PARAMS.beyondRatio)), words: `value ${value.slice(0, 40)} is ${((x + unit) / (largest + unit)).toPrecision(3)}× the largest of its ${of}`, details };
}

/**
 * Whether the line's contexts that have shown values know it and put it far beyond them
 * (beyondNumbers): its own context, or else each of its views (one context slot's value each),
 * has at least one value, and y lies at least ln(beyondRatio) above the location of every one of
 * them that has. A context never seen with the number (a WAF's slow export route, first seen in
 * its user agent's template after 70 fast calls) says nothing of its scale: not judged.
 */
function beyondContexts(st: NumStats | undefined, views: readonly string[] | undefined, y: number): boolean {
  const far = Math.log(FIELD_PARAMS.beyondRatio);
  let known = st !== undefined && st[0] >= 1;
  if (known && y - (st as NumStats)[1] < far) return false;
  if (views === undefined || views.length === 0) return known;
  let all = true;
  for (let i = 0; i < views.length; i++) {
    const vs = viewStats[i];
    if (vs === undefined || vs[0] < 1) {
      all = false;
      continue;
    }
    if (y - vs[1] < far) return false;
  }
  known ||= all;
  return known;
}

/** Adds x to the field's range (h), made at its first number when the state has none. */
function spanOf(f: FieldStats, x: number): void {
  const h = f.h;
  if (h === undefined) {
    f.h = [x, x, 1];
    grow(RANGE_BYTES);
    return;
  }
  if (x < h[0]) h[0] = x;
  if (x > h[1]) h[1] = x;
  h[2]++;
}

/** The robust z of y against a context's location and spread (the spread floored at minDev). */
function robustZ(st: NumStats, y: number): number {
  return (y - st[1]) / (1.25 * Math.max(st[2], FIELD_PARAMS.minDev));
}

/** Per view of the line (observeNumber), its statistics in f.g, or undefined when it has none (reused from call to call). */
const viewStats: (NumStats | undefined)[] = [];

/** One value into a context's location and spread (EWMA, winsorised once 20 values are in). */
function learn(st: NumStats, y: number): void {
  const P = FIELD_PARAMS;
  const a = st[0] < 20 ? 1 / (st[0] + 1) : P.alpha;
  const dev0 = Math.max(st[2], P.minDev);
  const yc = st[0] < 20 ? y : Math.min(st[1] + P.clip * dev0, Math.max(st[1] - P.clip * dev0, y));
  st[1] += a * (yc - st[1]);
  st[2] += a * (Math.abs(yc - st[1]) - st[2]);
  st[0]++;
}
