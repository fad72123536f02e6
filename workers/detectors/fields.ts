// Value statistics of one field: a template's slot (status=<*>, a route) or a metadata field.
// size-exception: ~455 lines: the byte accounting of budget.ts (statebound) and the rare-value and per-slot
// histories (k8s4) landed together; to split (categorical / numeric) next.
//
//   value ─► categorical: seen values with counts while at most maxValues (low cardinality);
//   │        beyond that the field is high-cardinality (ids, users, hashes) and its values are
//   │        no longer kept or judged. An unseen value of a low-cardinality field with at least
//   │        minSightings sightings: p = (values seen once + 1) / (sightings + 1) (Good-Turing);
//   │        a value seen before but rarely, the same over the values at most as rare (rareValue).
//   └──────► numeric (≥ 95% of values parse as numbers, not a counter): location and spread of
//            log(x + unit of its last digit) per context (the values of the template's other
//            low-cardinality slots, so a route's latency is compared with that route's; with
//            several varying ones, also each alone, and the tightest history with minNumeric
//            values judges), EWMA with winsorising; upper-tail robust z from minNumeric values on.
//
// Scores: S = -log10 p (categorical) or z (numeric), score = S / (S + half). The state is plain
// arrays and objects (JSON), bounded by maxValues, maxContexts and maxContext (the longest
// context key: a longer one counts in the '*' context); the bytes a field's values and contexts
// add or drop are counted in grownBytes() as they change (budget.ts: logs.ts charges a slot's
// to its template), and fieldBytes() gives the same total from a field's state.
import { CONTEXT_BYTES, FIELD_BYTES, jsonBytes, VALUE_BYTES } from './budget.js';

export const FIELD_PARAMS = Object.freeze({
  maxValues: 16,
  /** Low cardinality: an unseen value counts only while the field has at most this many values. */
  lowCard: 8,
  minSightings: 500,
  catHalf: 3,
  /**
   * The bar for an event's metadata field (declared structure, not a slot mined from text): score
   * 0.5 at p ≈ 1e-2 from 100 sightings, not ~1,000 (new regions/warehouses in slow streams; k8s
   * seeds 201-205). Slots keep the higher bar: the lower one raised false alarms on real logs.
   */
  metaMinSightings: 100,
  metaCatHalf: 2,
  minNumeric: 80,
  /** EWMA weight of location and spread. */
  alpha: 0.02,
  /** Spread floor (log units) and winsorising (spreads). */
  minDev: 0.05,
  clip: 4,
  numHalf: 7,
  maxContexts: 64,
  /** The longest context key (the values of a template's other slots); a longer one is the overflow context '*'. */
  maxContext: 256,
  /** Share of values above the previous one beyond which a numeric field is a counter. */
  counterShare: 0.8,
});

/** Bytes added to (or, negative, dropped from) any field's values and contexts so far (budget.ts). */
let grown = 0;

/** The key and braces of an optional member (l; g and ng), with its number ng at most 12 characters. */
const OPTIONAL_BYTES = 20;
/** l's number (a sighting count) is wider than a value's count: room for it beyond VALUE_BYTES. */
const LAST_BYTES = 16;

/** The running total of bytes fields have grown by: read before and after observeValue to charge a field's growth. */
export function grownBytes(): number {
  return grown;
}

/** The bytes a field (named `name`) takes in JSON, as budget.ts accounts them: the same as its growth summed. */
export function fieldBytes(f: FieldStats, name: string): number {
  let b = FIELD_BYTES + jsonBytes(name);
  if (f.v !== null) for (const k of Object.keys(f.v)) b += jsonBytes(k) + VALUE_BYTES;
  for (const k of Object.keys(f.c)) b += jsonBytes(k) + CONTEXT_BYTES;
  if (f.l !== undefined) {
    b += OPTIONAL_BYTES;
    for (const k of Object.keys(f.l)) b += jsonBytes(k) + VALUE_BYTES + LAST_BYTES;
  }
  if (f.g !== undefined) {
    b += 2 * OPTIONAL_BYTES;
    for (const k of Object.keys(f.g)) b += jsonBytes(k) + CONTEXT_BYTES;
  }
  return b;
}

/** [sightings, location, spread] of log(x + unit) in one context. */
export type NumStats = [number, number, number];

export interface FieldStats {
  /** Sightings. */
  n: number;
  /** Values seen with their counts, or null once high-cardinality. */
  v: Record<string, number> | null;
  /** Distinct values in v, and contexts in c. */
  k: number;
  nc: number;
  /** Numeric values seen, of them above the previous one, and the previous one. */
  num: number;
  up: number;
  prev: number;
  /** Numeric statistics per context. */
  c: Record<string, NumStats>;
  /**
   * Numeric statistics per single context slot's value (`name=value`), beside the full context:
   * absent until a line has two or more varying context slots (see observeValue's views).
   */
  g?: Record<string, NumStats>;
  /** Keys in g. */
  ng?: number;
  /**
   * The sighting (n) at which each rarely seen value was last seen: set at a value's first
   * sighting when that is already under 1/RARE_SHARE of the sightings, and kept while the value
   * stays so (rareValue); absent until such a value.
   */
  l?: Record<string, number>;
}

export function freshField(): FieldStats {
  return { n: 0, v: table<number>(), k: 0, num: 0, up: 0, prev: 0, nc: 0, c: table<NumStats>() };
}

/**
 * An empty object for keys that are data (a slot's values, its contexts), already in V8's
 * dictionary mode: added to a `{}` literal, each new key would make a new hidden class (a slot
 * sees thousands of distinct values over a stream's templates, and adding them was the largest
 * single cost of the logs path). Its prototype is Object.prototype as a literal's, so lookups,
 * key order and JSON are those of `{}`.
 */
function table<T>(): Record<string, T> {
  const o: Record<string, T> = { a: undefined as T, b: undefined as T };
  delete o.a;
  delete o.b;
  return o;
}

export interface ValueFinding {
  kind: 'unseen_value' | 'rare_value' | 'numeric_outlier';
  score: number;
  /** Words for the explanation (after the field's name). */
  words: string;
  details: Record<string, number | string>;
}

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
    return `value ${value} is ${(x / Math.max(typical, 1e-9)).toFixed(1)}× its typical ${typical.toPrecision(3)}${ctx === '' ? '' : ` for ${ctx}`} (robust z ${z.toFixed(1)} on a log scale, ${this.count} values)`;
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

/** A number in a token ("503", "12.5", "53ms", "97%"), or NaN. */
export function numberOf(value: string): number {
  let end = value.length;
  while (end > 0) {
    const c = value.charCodeAt(end - 1);
    if ((c >= 97 && c <= 122) || c === 37 || c === 44 || c === 59 || c === 41) end--;
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

/** Whether a field is low-cardinality enough to give context to another's numbers. */
export function isContext(f: FieldStats): boolean {
  return f.v !== null && f.n >= 50 && f.k <= FIELD_PARAMS.lowCard;
}

/**
 * Judges one value against the field's history, then adds it. `numbers` false: the field is
 * categorical only (a key pooled over a stream's templates, whose numbers mix routes); `meta`:
 * an event's metadata field (FIELD_PARAMS.meta*).
 */
export function observeValue(f: FieldStats, value: string, ctx: string, numbers = true, meta = false, views?: readonly string[]): ValueFinding | null {
  const P = FIELD_PARAMS;
  let out: ValueFinding | null = null;
  const v = f.v;
  let m: Counts | undefined;
  // True when the Map answers for f.v: the value is not one of its counts (nor a name of
  // Object.prototype, which f.v's look-up would find), so f.v need not be looked up.
  let absent = false;
  if (v !== null && (m = (f as Counted)[COUNTS]) !== undefined) {
    const c = m.get(value);
    if (c !== undefined) {
      // A value the Map counts (f.v catches up at flushFields()); a low-cardinality field is
      // categorical, so only its sightings count beside.
      const r = (c + 1) * RARE_SHARE <= f.n + 1 ? rareValue(f, m.values(), value, c, meta) : null;
      m.set(value, c + 1);
      stale.add(f);
      f.n++;
      return r;
    }
    absent = !m.odd && !PROTO_NAMES.has(value);
  }
  if (v !== null) {
    const c = absent ? undefined : v[value];
    if (c === undefined) {
      if (f.n >= (meta ? P.metaMinSightings : P.minSightings) && f.k <= P.lowCard) {
        flushField(f);
        const keys = Object.keys(v);
        let once = 0;
        for (const k of keys) if (v[k] === 1) once++;
        const p = (once + 1) / (f.n + 1);
        const S = -Math.log10(p);
        const shown = keys.slice(0, 8).join(', ');
        out = { kind: 'unseen_value', score: S / (S + (meta ? P.metaCatHalf : P.catHalf)), words: `value "${value.slice(0, 40)}" never seen in ${f.n} sightings (values so far: ${shown}; p ≈ ${p.toPrecision(2)})`, details: { sightings: f.n, values: keys.length, p_value: Number(p.toPrecision(3)) } };
      }
      if (f.k >= P.maxValues) {
        // High-cardinality from here on: n counts sightings since, for the numeric share.
        for (const k of Object.keys(v)) grown -= jsonBytes(k) + VALUE_BYTES;
        f.v = null;
        f.n = 0;
        if (f.l !== undefined) {
          grown -= OPTIONAL_BYTES;
          for (const k of Object.keys(f.l)) grown -= jsonBytes(k) + VALUE_BYTES + LAST_BYTES;
          delete f.l;
        }
        if ((f as Counted)[COUNTS] !== undefined) (f as Counted)[COUNTS] = undefined;
        stale.delete(f);
      }
      else {
        v[value] = 1;
        f.k++;
        // (A name such as __proto__ is not an own key: not in the JSON, not counted.)
        if (Object.hasOwn(v, value)) grown += jsonBytes(value) + VALUE_BYTES;
        if (RARE_SHARE <= f.n + 1) lastSeen(f, value);
      }
    } else {
      if (typeof c === 'number' && (c + 1) * RARE_SHARE <= f.n + 1) {
        flushField(f);
        out = rareValue(f, Object.values(v), value, c, meta);
      }
      v[value] = c + 1;
    }
    // From now on counted in the Map, when f.v holds the value as its own number (a name of
    // Object.prototype that is not, such as __proto__, stays with the object's own rules).
    if (f.v !== null) {
      if (absent) (m as Counts).set(value, 1);
      else if (Object.hasOwn(v, value) && typeof v[value] === 'number') {
        if (m === undefined) m = countsOf(f, v);
        else m.set(value, v[value]);
      }
    }
  }
  return observeNumber(f, value, ctx, out, numbers, views);
}

/**
 * A value already seen, but rarely: p = (sightings of the values seen at most as often + 1) /
 * (sightings + 1), the Good-Turing chance of an unseen value (values seen once) widened to every
 * value at most as rare as this one, so a value seen once is judged as a new one would be with
 * that single sighting (a new currency's second line, a status seen once before), and a value
 * among many rare ones is not news; and p is at least 1 / (sightings since its last one), so a
 * value that is becoming common (a new pod's name after a rollout) is not rare. Judged under the
 * unseen value's rules (minSightings, lowCard, catHalf) and only while the value has at most
 * 1/RARE_SHARE of the sightings (cheap: most values are common).
 */
const RARE_SHARE = 20;

/** f.l[value] = f.n, its bytes counted (grownBytes) when l or the value's entry is new. */
function lastSeen(f: FieldStats, value: string): void {
  let l = f.l;
  if (l === undefined) {
    l = f.l = table<number>();
    grown += OPTIONAL_BYTES;
  }
  const fresh = !Object.hasOwn(l, value);
  l[value] = f.n;
  // (A name such as __proto__ is not an own key: not in the JSON, not counted.)
  if (fresh && Object.hasOwn(l, value)) grown += jsonBytes(value) + VALUE_BYTES + LAST_BYTES;
}

function rareValue(f: FieldStats, counts: Iterable<number>, value: string, c: number, meta: boolean): ValueFinding | null {
  const P = FIELD_PARAMS;
  const last = f.l?.[value];
  lastSeen(f, value);
  // Untracked until now (it was common, or the state predates l): from its next sighting on.
  if (typeof last !== 'number' || f.n < (meta ? P.metaMinSightings : P.minSightings) || f.k > P.lowCard) return null;
  let rarer = 0;
  for (const x of counts) if (typeof x === 'number' && x <= c) rarer += x;
  // …and no rarer than the gap since its last sighting says (a new pod's name after a rollout
  // comes back at once: it is becoming common, not rare).
  const p = Math.max((rarer + 1) / (f.n + 1), 1 / Math.max(1, f.n - last));
  const S = -Math.log10(p);
  return { kind: 'rare_value', score: S / (S + (meta ? P.metaCatHalf : P.catHalf)), words: `value "${value.slice(0, 40)}" seen only ${c} time${c === 1 ? '' : 's'} in ${f.n} sightings (p ≈ ${p.toPrecision(2)} for a value this rare)`, details: { sightings: f.n, values: f.k, count: c, p_value: Number(p.toPrecision(3)) } };
}

/**
 * The counts of a low-cardinality field's values, beside f.v: a Map looks a fresh string up
 * without interning it, which an object's property look-up needs (it was the largest single
 * line of the logs path). A value enters the Map once f.v holds it; f.v takes the Map's counts
 * at flushFields(), before a state is saved, and before an unseen value's finding reads f.v.
 */
const COUNTS = Symbol('counts');
/**
 * The Map is kept on the field itself under a non-enumerable symbol (JSON, Object.keys and
 * equality in tests do not see it) rather than in a WeakMap keyed by the field: two WeakMap
 * look-ups per value were a measurable part of the slot path.
 */
type Counted = FieldStats & { [COUNTS]?: Counts };

/**
 * The Map holds every count of f.v that is f.v's own number, so a value it does not hold is not
 * one of f.v's counts; `odd`: f.v also has an own key that is not a number (only a hand-made
 * state), whose look-up must then go to f.v.
 */
class Counts extends Map<string, number> {
  odd = false;
}

/** Names f.v (an object with Object.prototype) answers without holding them. */
const PROTO_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A field's Map, made from the counts f.v holds. */
function countsOf(f: FieldStats, v: Record<string, number>): Counts {
  const m = new Counts();
  for (const k of Object.keys(v)) {
    const c = v[k];
    if (typeof c === 'number') m.set(k, c);
    else m.odd = true;
  }
  if (Object.hasOwn(f, COUNTS)) (f as Counted)[COUNTS] = m;
  else Object.defineProperty(f, COUNTS, { value: m, writable: true, enumerable: false, configurable: true });
  return m;
}
/** Fields whose f.v lags their Map. */
const stale = new Set<FieldStats>();

function flushField(f: FieldStats): void {
  const m = (f as Counted)[COUNTS];
  const v = f.v;
  if (m === undefined || v === null) return;
  for (const [k, c] of m) v[k] = c;
  stale.delete(f);
}

/** How many of a low-cardinality field's values were seen exactly once (0 once high-cardinality); brings its f.v up to its counts. */
export function seenOnce(f: FieldStats): number {
  const v = f.v;
  if (v === null) return 0;
  flushField(f);
  let once = 0;
  for (const k of Object.keys(v)) if (v[k] === 1) once++;
  return once;
}

/** Brings every field's f.v up to its counts (call before serialising any FieldStats). */
export function flushFields(): void {
  for (const f of stale) flushField(f);
  stale.clear();
}

function observeNumber(f: FieldStats, value: string, ctx: string, found: ValueFinding | null, numbers = true, views?: readonly string[]): ValueFinding | null {
  const P = FIELD_PARAMS;
  let out = found;
  // Numbers are judged once the field is high-cardinality (a low-cardinality one is categorical).
  const x = f.v === null && numbers ? numberOf(value) : Number.NaN;
  if (f.v === null && Number.isNaN(x)) f.n++;
  else if (!Number.isNaN(x) && x >= 0) {
    const numeric = f.num >= 0.95 * f.n && f.up < P.counterShare * f.num;
    if (x > f.prev) f.up++;
    f.prev = x;
    f.num++;
    const unit = numberUnit;
    const y = Math.log(x + unit);
    let st = f.c[ctx];
    if (st === undefined) {
      const key = f.nc < P.maxContexts && ctx.length <= P.maxContext ? ctx : '*';
      st = f.c[key];
      if (st === undefined) {
        st = [0, y, 0];
        f.c[key] = st;
        f.nc++;
        if (Object.hasOwn(f.c, key)) grown += jsonBytes(key) + CONTEXT_BYTES;
      }
    }
    // The history the value is judged against: the full context's, or, when the line has several
    // varying context slots, the tightest (smallest spread) of it and each slot's own value's
    // (a route's latency, whatever the status, version and referer beside it: the full
    // combination can stay under minNumeric values for long). The choice reads only history.
    let judge = st[0] >= P.minNumeric ? st : undefined;
    let where = ctx;
    if (views !== undefined) {
      if (f.g === undefined) grown += 2 * OPTIONAL_BYTES;
      const g = (f.g ??= table<NumStats>());
      for (let i = 0; i < views.length; i++) {
        let vs = g[views[i]];
        if (vs === undefined) {
          if ((f.ng ?? 0) >= P.maxContexts || views[i].length > P.maxContext) continue;
          vs = g[views[i]] = [0, y, 0];
          f.ng = (f.ng ?? 0) + 1;
          if (Object.hasOwn(g, views[i])) grown += jsonBytes(views[i]) + CONTEXT_BYTES;
        }
        if (vs[0] >= P.minNumeric && (judge === undefined || Math.max(vs[2], P.minDev) < Math.max(judge[2], P.minDev))) {
          judge = vs;
          where = views[i];
        }
      }
    }
    if (out === null && numeric && judge !== undefined) {
      const dev = Math.max(judge[2], P.minDev);
      const z = (y - judge[1]) / (1.25 * dev);
      if (z > 0) {
        const typical = Math.exp(judge[1]) - unit;
        out = new NumericOutlier(z / (z + P.numHalf), value, x, typical, where, z, judge[0]);
      }
    }
    learn(st, y);
    if (views !== undefined) {
      const g = f.g as Record<string, NumStats>;
      for (let i = 0; i < views.length; i++) {
        const vs = g[views[i]];
        if (vs !== undefined) learn(vs, y);
      }
    }
    f.n++;
  } else f.n++;
  return out;
}

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
