// The statistics of one field (fields.ts judges values against them): the parameters, the
// state's shape, and its byte accounting (budget.ts).
//
// The state is plain arrays and objects (JSON), bounded by maxValues, maxContexts and maxContext
// (the longest context key: a longer one counts in the '*' context); the bytes a field's values
// and contexts add or drop are counted in grownBytes() as they change (budget.ts: logs.ts
// charges a slot's to its template), and fieldBytes() gives the same total from a field's state.
import { CONTEXT_BYTES, FIELD_BYTES, jsonBytes, VALUE_BYTES } from './budget.js';

export const FIELD_PARAMS = Object.freeze({
  maxValues: 16,
  /** Low cardinality: an unseen value counts only while the field has at most this many values. */
  lowCard: 8,
  minSightings: 500,
  catHalf: 3,
  /**
   * An unseen value of a slot (no value of the slot seen only once: p = 1 / (sightings + 1)) scores
   * 0.5 at p ≈ 1.6e-3, from ~630 sightings on, not ~1,000 (new currencies, plans, statuses after
   * 600-1,000 lines; svc 201-210, k8s 201-205). 2.7 (0.5 from minSightings on) also reported a new
   * day's date and a new program path after 540-560 sightings (Thunderbird_2k, Proxifier_2k).
   * Rare values keep catHalf.
   */
  unseenHalf: 2.8,
  /**
   * The bar for an event's metadata field (declared structure, not a slot mined from text): score
   * 0.5 at p ≈ 1e-2 from 100 sightings, not ~1,000 (new regions/warehouses in slow streams; k8s
   * seeds 201-205). Slots keep the higher bar: the lower one raised false alarms on real logs.
   */
  metaMinSightings: 100,
  metaCatHalf: 2,
  /**
   * A metadata value seen more often than this before is judged at the slots' bar (catHalf): it
   * recurs at a rate, and at the lower bar a value at 1 in 200 lines would be reported each time
   * (a route's usual 503s), far above one false alarm per 1,000 lines.
   */
  metaRareMax: 2,
  /**
   * Values of a numeric slot (in one context) before its outliers are judged: 40 (was 80). A
   * template seen some tens of times an hour (a MySQL slow log split over templates by its SQL)
   * is judged after its first hour, not never (db 201-210: unusual values 24 → 29 of 50, false
   * alarms 962 → 965; test/workers/slot-periodic-number.unit.test.ts). The first 20 values are a
   * plain mean (learn(), field-numbers.ts), so 40 already hold an EWMA past its start.
   */
  minNumeric: 40,
  /**
   * A settled slot (branch cat14): from settledMin sightings on, with no new value in at least
   * settledShare of its sightings, an unseen value is judged up to maxValues values (not only
   * lowCard) at the metadata bar (settledHalf), with p = max(Good-Turing, 1 / (sightings since its
   * last new value + 1)); only a value with a letter and no run of two digits (a word, not a number,
   * counter, time or id). A VPN's cipher after 200 logins, a WAF's tenth client country, a DHCP
   * interface never used (edge 201-210); a slot that keeps taking values is not settled.
   */
  settledMin: 100,
  settledShare: 0.5,
  settledHalf: 2,
  /**
   * When a view of the line judges its number (its own context, the combination of its template's
   * other categorical slots, has fewer than minNumeric values), a value within numHalf robust z of
   * at least this many values of its own context is not reported: that context has shown such
   * values (a PUT's 503 answers carry a body of a few hundred bytes, its 200s none; judged by the
   * view method=PUT alone, every routine 503 was 80,000× its typical size).
   */
  minOwnNumeric: 3,
  /**
   * A categorical slot of numbers (a size in MB, a count: too few distinct values to be judged as
   * numbers) is judged from beyondMin sightings on for a value far beyond every value it has shown:
   * score 0.5 at beyondRatio × its largest. Redis's "Fork CoW for RDB: current 4 MB" at 191 MB
   * (db 201-210: 10 unusual values missed, the slot holding 2-12 MB).
   */
  beyondMin: 20,
  beyondRatio: 10,
  /**
   * A numeric slot whose line has no context with minNumeric values yet (a checkpoint's buffers,
   * every value new, its lines split over the contexts of the small counts beside it) is judged
   * the same way against the largest number it has shown, from beyondMin numbers on, when the
   * value lies beyond it by more than the whole span of its numbers (a slot whose values range
   * over orders of magnitude, bytes of requests, is not; field-numbers.ts beyondNumbers). db
   * 201-210: checkpoints of 3-7 GB, 57-118 times the largest of 9-70 before, 10 of 10 missed.
   */
  /** EWMA weight of location and spread. */
  alpha: 0.02,
  /** Spread floor (log units) and winsorising (spreads). */
  minDev: 0.05,
  clip: 4,
  numHalf: 7,
  maxContexts: 64,
  /** The longest context kept as text (the values of a template's other slots); a longer one is kept under its hash (field-numbers.ts contextKey). */
  maxContext: 256,
  /** Share of values above the previous one beyond which a numeric field is a counter. */
  counterShare: 0.8,
  /**
   * A word where a numeric field's numbers stand (`loss nan`, `latency=None`: a value the field
   * has never had in place of its number, field-numbers.ts nonNumber): judged from nonNumberMin
   * numbers on, while at least 95% of the field's sightings were numbers, p = (sightings that were
   * no number + 1) / (sightings + 1), score -log10 p / (-log10 p + nonNumberHalf). The lines of
   * one episode (words at most nonNumberGap sightings apart) keep the p it began with: the value
   * is as wrong on the tenth line of a run of NaN losses as on the first, where each one more
   * already counted would have silenced the run after a few lines. An episode goes on while
   * nonNumberShare of the sightings were numbers: a field that turned into words for good is
   * no longer numeric (a run of 37 lines after 150 numbers).
   */
  nonNumberMin: 100,
  nonNumberShare: 0.8,
  nonNumberHalf: 2,
  nonNumberGap: 10,
});

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
  /**
   * Per rare value, its sightings per context piece of its lines (`name=value`) since it is
   * tracked, and under TRACK_START, TRACK_SEEN and TRACK_BASE the sighting at which tracking began,
   * its sightings since and its count before (field-contexts.ts); absent until a rare value.
   */
  x?: Record<string, Record<string, number>>;
  /**
   * The sighting (n) at which the field's last new value came (a settled slot, fields.ts); absent
   * until a new value (a state saved before it: from its next new value on), and once high-cardinality.
   */
  t?: number;
  /**
   * Once high-cardinality: the smallest and largest number the field has shown and how many
   * numbers that covers (its values as a category, then each number since), for a value far
   * beyond them before any context can judge it (field-numbers.ts beyondNumbers); absent in older
   * states (from their next number on) and in a field of words.
   */
  h?: [number, number, number];
  /**
   * Once high-cardinality, a path slot's routes (its values with their ids as *), each with its
   * requests and the status classes it has answered with, at most ROUTE_PARAMS.maxRoutes
   * (field-routes.ts); absent in any other field.
   */
  r?: Record<string, [number, number]>;
  /**
   * Once numeric: the outlying levels the field has shown, per mode its level, episodes and last
   * sighting, flat (field-modes.ts); absent until an outlier.
   */
  o?: number[];
  /** Once numeric: the field's outliers counted per level (field-modes.ts commonLevel); absent until an outlier. */
  q?: Record<string, number>;
  /**
   * Once numeric: the last sighting of a word where its numbers stand (`nan`, `inf`, `None`), and
   * the surprise (-log10 p) its episode started with (field-numbers.ts nonNumber); absent until one.
   */
  w?: [number, number];
}

/** Keys of a tracked value's record besides its pieces (a piece is `name=value`, never these). */
export const TRACK_START = '';
export const TRACK_SEEN = '#';
export const TRACK_BASE = '^';

/** Bytes of one tracked value's record in f.x: its key, braces, three counters, its pieces. */
export function trackedBytes(value: string, rec: Record<string, number>): number {
  let b = jsonBytes(value) + OPTIONAL_BYTES;
  for (const k of Object.keys(rec)) b += jsonBytes(k) + VALUE_BYTES + (k === TRACK_START || k === TRACK_SEEN || k === TRACK_BASE ? LAST_BYTES : 0);
  return b;
}

export interface ValueFinding {
  kind: 'unseen_value' | 'rare_value' | 'context_value' | 'numeric_outlier' | 'non_number';
  score: number;
  /** Words for the explanation (after the field's name). */
  words: string;
  details: Record<string, number | string>;
}

/** A finding's words and details (ValueFinding). */
type Text = { words: string; details: Record<string, number | string> };

/**
 * A categorical value finding whose words and details are written only when read: logs.ts reads
 * them for a finding at the threshold, and most score under it (a rare value's formatting cost
 * more than its judgement). `write` reads only values fixed when the value was judged.
 */
export class LazyFinding implements ValueFinding {
  readonly #write: () => Text;
  #text: Text | undefined;

  constructor(readonly kind: ValueFinding['kind'], readonly score: number, write: () => Text) {
    this.#write = write;
  }

  get words(): string {
    return (this.#text ??= this.#write()).words;
  }

  get details(): Record<string, number | string> {
    return (this.#text ??= this.#write()).details;
  }
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
export function table<T>(): Record<string, T> {
  const o: Record<string, T> = { a: undefined as T, b: undefined as T };
  delete o.a;
  delete o.b;
  return o;
}

/** Whether a field is low-cardinality enough to give context to another's numbers. */
export function isContext(f: FieldStats): boolean {
  return f.v !== null && f.n >= 50 && f.k <= FIELD_PARAMS.lowCard;
}

/** Bytes added to (or, negative, dropped from) any field's values and contexts so far (budget.ts). */
let grown = 0;

/** The key and braces of an optional member (l; g and ng), with its number ng at most 12 characters. */
export const OPTIONAL_BYTES = 20;
/** l's number (a sighting count) is wider than a value's count: room for it beyond VALUE_BYTES. */
export const LAST_BYTES = 16;
/** h (FieldStats): its key and brackets, and three numbers of up to 17 characters. */
export const RANGE_BYTES = 60;
/** One mode in o (FieldStats, field-modes.ts): its level, episodes and last sighting, up to 17 characters each. */
export const MODE_BYTES = 60;

/** w (FieldStats): its key and brackets, a sighting count and a surprise of up to 17 characters each. */
export const WORD_BYTES = 40;

/** The running total of bytes fields have grown by: read before and after observeValue to charge a field's growth. */
export function grownBytes(): number {
  return grown;
}

/** Adds to the running total (negative: bytes dropped). */
export function grow(bytes: number): void {
  grown += bytes;
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
  if (f.x !== undefined) {
    b += OPTIONAL_BYTES;
    for (const k of Object.keys(f.x)) b += trackedBytes(k, f.x[k]);
  }
  if (f.t !== undefined) b += OPTIONAL_BYTES;
  if (f.h !== undefined) b += RANGE_BYTES;
  if (f.o !== undefined) b += OPTIONAL_BYTES + (f.o.length / 3) * MODE_BYTES;
  if (f.w !== undefined) b += WORD_BYTES;
  if (f.q !== undefined) {
    b += OPTIONAL_BYTES;
    for (const k of Object.keys(f.q)) b += jsonBytes(k) + VALUE_BYTES;
  }
  if (f.r !== undefined) {
    b += OPTIONAL_BYTES;
    for (const k of Object.keys(f.r)) b += routeBytes(k);
  }
  return b;
}

/** Bytes of a route's record in f.r (field-routes.ts): its key, two numbers. */
export function routeBytes(route: string): number {
  return jsonBytes(route) + 2 * VALUE_BYTES;
}
