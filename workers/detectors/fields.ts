// Value statistics of one field: a template's slot (status=<*>, a route) or a metadata field.
//
//   value ─► categorical: seen values with counts while at most maxValues (low cardinality);
//   │        beyond that the field is high-cardinality (ids, users, hashes) and its values are
//   │        no longer kept or judged. An unseen value of a low-cardinality field with at least
//   │        minSightings sightings: p = (values seen once + 1) / (sightings + 1) (Good-Turing);
//   │        a value seen before but rarely, the same over the values at most as rare (rareValue).
//   └──────► numeric (field-numbers.ts: ≥ 95% of values parse as numbers, not a counter):
//            robust z of log(x + unit) against its context's history.
//
// Scores: S = -log10 p (categorical) or z (numeric), score = S / (S + half). The state and its
// byte accounting: field-stats.ts; the counts' Map beside f.v: field-counts.ts.
import { jsonBytes, VALUE_BYTES } from './budget.js';
import { FIELD_PARAMS, grow, LAST_BYTES, LazyFinding, OPTIONAL_BYTES, RANGE_BYTES, table, trackedBytes, type FieldStats, type ValueFinding } from './field-stats.js';
import { countsFor, countsOf, dropCounts, flushField, markStale, PROTO_NAMES, type Counts } from './field-counts.js';
import { beyondLargest, beyondLog, numberOf, observeNumber } from './field-numbers.js';
import { contextValue, type LineContexts } from './field-contexts.js';
import { nextVersion } from './field-versions.js';

export { FIELD_PARAMS, fieldBytes, freshField, grownBytes, isContext, type FieldStats, type NumStats, type ValueFinding } from './field-stats.js';
export { flushFields, seenOnce } from './field-counts.js';
export { numberOf } from './field-numbers.js';
export type { LineContexts } from './field-contexts.js';

/**
 * The field becomes high-cardinality: its values, their last sightings and the counts' Map beside
 * them go, and n counts sightings from here on (for the numeric share). The caller accounts the bytes.
 */
export function forgetValues(f: FieldStats): void {
  // The numbers it has shown as a category start its range (field-numbers.ts beyondNumbers).
  let lo = Infinity;
  let hi = -Infinity;
  for (const k of f.v === null ? [] : Object.keys(f.v)) {
    const x = numberOf(k);
    if (!(x >= 0)) {
      hi = -Infinity;
      break;
    }
    lo = Math.min(lo, x);
    hi = Math.max(hi, x);
  }
  if (hi >= 0 && f.n > 0) f.h = [lo, hi, f.n];
  f.v = null;
  f.n = 0;
  // Cleared, not deleted: deleting a member that is not the object's last one (t comes before the
  // counts' Map, field-counts.ts) turns the field into a dictionary-mode object, and a
  // high-cardinality field is the one a template's every line reads (its numbers). JSON leaves an
  // undefined member out, so the state's bytes are the same.
  if (f.l !== undefined) f.l = undefined;
  if (f.x !== undefined) f.x = undefined;
  if (f.t !== undefined) f.t = undefined;
  dropCounts(f);
}

/**
 * Judges one value against the field's history, then adds it. `numbers` false: the field is
 * categorical only (a key pooled over a stream's templates, whose numbers mix routes); `meta`:
 * an event's metadata field (FIELD_PARAMS.meta*). `cx`: the line's context pieces, where a rare
 * value is also judged (field-contexts.ts), `self` the field's own index among their owners.
 */
export function observeValue(f: FieldStats, value: string, ctx: string, numbers = true, meta = false, views?: readonly string[], cx?: LineContexts, self = -1): ValueFinding | null {
  const P = FIELD_PARAMS;
  let out: ValueFinding | null = null;
  const v = f.v;
  let m: Counts | undefined;
  // True when the Map answers for f.v: the value is not one of its counts (nor a name of
  // Object.prototype, which f.v's look-up would find), so f.v need not be looked up.
  let absent = false;
  if (v !== null && (m = countsFor(f)) !== undefined) {
    const c = m.get(value);
    if (c !== undefined) {
      // A value the Map counts (f.v catches up at flushFields()); a low-cardinality field is
      // categorical, so only its sightings count beside.
      const r = (c + 1) * RARE_SHARE <= f.n + 1 ? rare(f, m.values(), value, c, meta, cx, self) : null;
      m.set(value, c + 1);
      markStale(f, m);
      f.n++;
      return r;
    }
    absent = !m.odd && !PROTO_NAMES.has(value);
  }
  if (v !== null) {
    const c = absent ? undefined : v[value];
    if (c === undefined) {
      // A slot's hosts (observeHost) are judged by Good-Turing from settledMin sightings on, at settledHalf, up to maxValues of them.
      const low = judgingHost ? f.n >= P.settledMin : f.n >= (meta ? P.metaMinSightings : P.minSightings) && f.k <= P.lowCard;
      const steady = settled(f, value);
      // The next version of one the field has shown is a release, not a new category (field-versions.ts).
      if ((low || steady) && !nextVersion(value, Object.keys(v))) out = unseenValue(f, value, low, steady, meta);
      if (f.n >= P.beyondMin && numbers) {
        const b = beyondRange(f, value);
        if (b !== null && (out === null || b.score > out.score)) out = b;
      }
      if (f.k >= P.maxValues) {
        // High-cardinality from here on: n counts sightings since, for the numeric share.
        for (const k of Object.keys(v)) grow(-(jsonBytes(k) + VALUE_BYTES));
        if (f.l !== undefined) {
          grow(-OPTIONAL_BYTES);
          for (const k of Object.keys(f.l)) grow(-(jsonBytes(k) + VALUE_BYTES + LAST_BYTES));
        }
        if (f.x !== undefined) {
          grow(-OPTIONAL_BYTES);
          for (const k of Object.keys(f.x)) grow(-trackedBytes(k, f.x[k]));
        }
        if (f.t !== undefined) grow(-OPTIONAL_BYTES);
        forgetValues(f);
        if (f.h !== undefined) grow(RANGE_BYTES);
      }
      else {
        v[value] = 1;
        f.k++;
        if (f.t === undefined) grow(OPTIONAL_BYTES);
        f.t = f.n;
        // (A name such as __proto__ is not an own key: not in the JSON, not counted.)
        if (Object.hasOwn(v, value)) grow(jsonBytes(value) + VALUE_BYTES);
        if (RARE_SHARE <= f.n + 1) {
          lastSeen(f, value);
          if (cx !== undefined) contextValue(f, value, 0, cx, self, meta);
        }
      }
    } else {
      if (typeof c === 'number' && (c + 1) * RARE_SHARE <= f.n + 1) {
        flushField(f);
        out = rare(f, Object.values(v), value, c, meta, cx, self);
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
 * A fresh field whose one value `value` (seen once) stood for `count` sightings: the constant of a
 * template position before a line widened it into a slot (logs-values.ts). Its count and the
 * field's sightings become `count`; the value still came at sighting 0.
 */
export function seedSightings(f: FieldStats, value: string, count: number): void {
  const v = f.v;
  if (v === null || f.k !== 1 || !Object.hasOwn(v, value) || typeof v[value] !== 'number') return;
  const extra = count - v[value];
  if (!(extra > 0)) return;
  v[value] += extra;
  f.n += extra;
  countsFor(f)?.set(value, v[value]);
}

/**
 * A field whose values are settled (FIELD_PARAMS.settled*): from settledMin sightings on, no new
 * value in the last settledShare of them, its values still kept (at most maxValues), at least two
 * of them (one value is a constant so far, not a category: a firewall's first LAN drop after 269
 * WAN drops, `IN=eth1` after `IN=eth0`, edge seed 201), and the unseen value a word (wordValue).
 */
function settled(f: FieldStats, value: string): boolean {
  const P = FIELD_PARAMS;
  return f.t !== undefined && f.k >= 2 && f.n >= P.settledMin && f.n - f.t >= P.settledShare * f.n && (judgingHost || wordValue(value));
}

/** True while observeHost judges a host: a settled field's unseen host is judged as a word would be. */
let judgingHost = false;

/**
 * Judges host `host` of a slot's URL-shaped value (field-hosts.ts) against field f, the slot's
 * hosts, as a category (no numbers): a host never seen is news by Good-Turing, p = (hosts seen
 * once + 1) / (sightings + 1), from settledMin sightings on, at settledHalf (0.5 at p = 0.01),
 * while the field keeps its hosts (maxValues; past them it is high-cardinality: a proxy to the
 * whole internet has no news host); or as a settled field's new word would be.
 */
export function observeHost(f: FieldStats, host: string): ValueFinding | null {
  judgingHost = true;
  try {
    return observeValue(f, host, '', false);
  } finally {
    judgingHost = false;
  }
}

/**
 * A value with a letter, no run of two or more digits and none of `/ = . @ :`: a category's name
 * (a country, a cipher, an interface, a region), not a number, a counter, a time or an id, nor a
 * path, a host or an address, nor a `key=value` word in a bare slot (a line whose JSON value held
 * a space: its tokens shifted). Cloud seed 207: a new API's host and path were news without them.
 */
export function wordValue(x: string): boolean {
  let letter = false;
  let run = 0;
  for (let i = 0; i < x.length; i++) {
    const c = x.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (++run >= 2) return false;
    } else {
      run = 0;
      // / = . @ :
      if (c === 47 || c === 61 || c === 46 || c === 64 || c === 58) return false;
      const l = c | 32;
      if ((l >= 97 && l <= 122) || c > 127) letter = true;
    }
  }
  return letter;
}

/**
 * The finding of an unseen value: Good-Turing p = (values seen once + 1) / (sightings + 1) at the
 * field's bar when it is low-cardinality with enough sightings (`low`); a settled field's (settled)
 * at settledHalf with p no lower than 1 / (sightings since its last new value + 1) (`steady`); the higher score.
 */
function unseenValue(f: FieldStats, value: string, low: boolean, steady: boolean, meta: boolean): ValueFinding {
  const P = FIELD_PARAMS;
  flushField(f);
  const v = f.v as Record<string, number>;
  const keys = Object.keys(v);
  let once = 0;
  for (const k of keys) if (v[k] === 1) once++;
  let p = (once + 1) / (f.n + 1);
  const S = -Math.log10(p);
  let score = low ? S / (S + (judgingHost ? P.settledHalf : meta ? P.metaCatHalf : P.unseenHalf)) : 0;
  if (steady && f.t !== undefined) {
    const q = Math.max(p, 1 / (f.n - f.t + 1));
    const Q = -Math.log10(q);
    if (Q / (Q + P.settledHalf) > score) {
      p = q;
      score = Q / (Q + P.settledHalf);
    }
  }
  const n = f.n;
  return new LazyFinding('unseen_value', score, () => ({
    words: `value "${value.slice(0, 40)}" never seen in ${n} sightings (values so far: ${keys.slice(0, 8).join(', ')}; p ≈ ${p.toPrecision(2)})`,
    details: { sightings: n, values: keys.length, p_value: Number(p.toPrecision(3)) },
  }));
}

/**
 * An unseen value of a categorical slot whose values are all numbers, far beyond the largest
 * (FIELD_PARAMS.beyondRatio): score ln(r) / (ln(r) + ln(beyondRatio)), r = (x + 1) / (largest + 1); null when not beyond it.
 */
function beyondRange(f: FieldStats, value: string): ValueFinding | null {
  const x = numberOf(value);
  if (!(x > 0) || f.v === null) return null;
  flushField(f);
  let top = -1;
  for (const k of Object.keys(f.v)) {
    const y = numberOf(k);
    if (Number.isNaN(y)) return null;
    top = Math.max(top, y);
  }
  if (top < 0 || x <= top) return null;
  return beyondLargest(value, x, top, 1, beyondLog(x, top, 1), `${f.n} sightings (${top})`, { sightings: f.n, largest: top, value: x });
}

/** A rare value judged over the field (rareValue), then in the line's contexts (field-contexts.ts): the higher finding. */
function rare(f: FieldStats, counts: Iterable<number>, value: string, c: number, meta: boolean, cx: LineContexts | undefined, self: number): ValueFinding | null {
  const a = rareValue(f, counts, value, c, meta);
  const b = cx === undefined ? null : contextValue(f, value, c, cx, self, meta);
  return a === null || (b !== null && b.score > a.score) ? b : a;
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
    grow(OPTIONAL_BYTES);
  }
  const fresh = !Object.hasOwn(l, value);
  l[value] = f.n;
  // (A name such as __proto__ is not an own key: not in the JSON, not counted.)
  if (fresh && Object.hasOwn(l, value)) grow(jsonBytes(value) + VALUE_BYTES + LAST_BYTES);
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
  const n = f.n;
  const k = f.k;
  return new LazyFinding('rare_value', S / (S + (meta && c <= P.metaRareMax ? P.metaCatHalf : P.catHalf)), () => ({
    words: `value "${value.slice(0, 40)}" seen only ${c} time${c === 1 ? '' : 's'} in ${n} sightings (p ≈ ${p.toPrecision(2)} for a value this rare)`,
    details: { sightings: n, values: k, count: c, p_value: Number(p.toPrecision(3)) },
  }));
}
