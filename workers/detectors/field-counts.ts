// The counts of a low-cardinality field's values, beside f.v (fields.ts): a Map looks a fresh
// string up without interning it, which an object's property look-up needs (it was the largest
// single line of the logs path). A value enters the Map once f.v holds it; f.v takes the Map's
// counts at flushFields(), before a state is saved, and before an unseen value's finding reads f.v.
import type { FieldStats } from './field-stats.js';

/**
 * The Map is kept on the field itself under a non-enumerable symbol (JSON, Object.keys and
 * equality in tests do not see it) rather than in a WeakMap keyed by the field: two WeakMap
 * look-ups per value were a measurable part of the slot path.
 */
const COUNTS = Symbol('counts');
type Counted = FieldStats & { [COUNTS]?: Counts };

/**
 * The Map holds every count of f.v that is f.v's own number, so a value it does not hold is not
 * one of f.v's counts; `odd`: f.v also has an own key that is not a number (only a hand-made
 * state), whose look-up must then go to f.v.
 */
export class Counts extends Map<string, number> {
  odd = false;
  /** The field is in `stale` (its f.v lags this Map): markStale adds it once, not per value. */
  stale = false;
}

/** Names f.v (an object with Object.prototype) answers without holding them. */
export const PROTO_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/** Fields whose f.v lags their Map. */
const stale = new Set<FieldStats>();

/** A field's Map, if it has one. */
export function countsFor(f: FieldStats): Counts | undefined {
  return (f as Counted)[COUNTS];
}

/** A field's Map, made from the counts f.v holds. */
export function countsOf(f: FieldStats, v: Record<string, number>): Counts {
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

/** The field's Map `m` counted a value that f.v does not have yet. */
export function markStale(f: FieldStats, m: Counts): void {
  if (m.stale) return;
  m.stale = true;
  stale.add(f);
}

/** The field became high-cardinality (f.v is gone): its Map goes too. */
export function dropCounts(f: FieldStats): void {
  const m = (f as Counted)[COUNTS];
  if (m !== undefined) {
    m.stale = false;
    (f as Counted)[COUNTS] = undefined;
  }
  stale.delete(f);
}

/** Brings one field's f.v up to its Map's counts. */
export function flushField(f: FieldStats): void {
  const m = (f as Counted)[COUNTS];
  const v = f.v;
  if (m === undefined || v === null) return;
  for (const [k, c] of m) v[k] = c;
  m.stale = false;
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
