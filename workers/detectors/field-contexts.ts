// A rare value of a low-cardinality field judged in the contexts of its line (fields.ts): a 503
// that /api/search returns now and then is news on /api/cart, which never returned one.
//
//   rare value X of field f (under 1/RARE_SHARE of its sightings), the line's context pieces
//   (`name=value` of each other varying low-cardinality slot or metadata field: the route, the
//   method, the upstream)
//     ─► judged first, on history only: for each piece C with a history (its share s of the
//        context field's sightings, times f's sightings since X is tracked, at least minSightings)
//        in which X was never seen: p_C = max(1 / (C's sightings + 1), (1 - s)^(X's sightings)):
//        C's own sub-stream never showed X (as an unseen value would be judged there), and X
//        avoided C more than chance allows (a value spread over every route is not news on one
//        that has not had it yet); p = the smallest p_C times the pieces with a history (Bonferroni)
//     ─► then X's sightings counted per piece
//
// State f.x: per tracked value, its counts per piece, and under the keys START, SEEN and BASE the
// sighting at which tracking began, X's sightings since and X's count before it. Tracking begins at
// X's first sighting as a rare value and starts over if X had sightings that were not tracked (it
// was common for a while). Bounded: at most maxPieces pieces per value, the values are f.v's; the
// bytes are counted in grownBytes() (fieldBytes() gives the same from the state).
import { jsonBytes, VALUE_BYTES } from './budget.js';
import { PROTO_NAMES } from './field-counts.js';
import { countsFor } from './field-counts.js';
import { FIELD_PARAMS, grow, LazyFinding, OPTIONAL_BYTES, table, trackedBytes, TRACK_BASE as BASE, TRACK_SEEN as SEEN, TRACK_START as START, type FieldStats, type ValueFinding } from './field-stats.js';

/** The line's varying context pieces, the fields and values they come from, and which slot gave each. */
export interface LineContexts {
  pieces: readonly string[];
  fields: readonly FieldStats[];
  values: readonly string[];
  /** The slot (or metadata field) index of each piece; a field is not its own context. */
  owner: readonly number[];
}

export const CONTEXT_PARAMS = Object.freeze({ maxPieces: 24 });

/** The count of value C in field g (its Map when it has one, else g.v). */
export function countOf(g: FieldStats, value: string): number {
  const m = countsFor(g);
  const c = m !== undefined ? m.get(value) : g.v !== null && Object.hasOwn(g.v, value) ? g.v[value] : undefined;
  return typeof c === 'number' ? c : 0;
}

/**
 * Judges rare value `value` (count c before this sighting) of f in the line's contexts (`self`: f's
 * own index among the owners), then counts the sighting. Call only for a value under 1/RARE_SHARE
 * of f's sightings; null when no context makes it news.
 */
export function contextValue(f: FieldStats, value: string, c: number, cx: LineContexts, self: number, meta: boolean): ValueFinding | null {
  // (A name such as __proto__ would not be an own key of the record.)
  if (PROTO_NAMES.has(value)) return null;
  const x = (f.x ??= newTable());
  let rec = Object.hasOwn(x, value) ? x[value] : undefined;
  if (rec !== undefined && rec[BASE] + rec[SEEN] !== c) {
    // X had sightings while it was not tracked (common for a while): start over.
    grow(-trackedBytes(value, rec));
    rec = undefined;
  }
  let out: ValueFinding | null = null;
  if (rec === undefined) {
    rec = table<number>();
    rec[START] = f.n;
    rec[SEEN] = 0;
    rec[BASE] = c;
    x[value] = rec;
    grow(trackedBytes(value, rec));
  } else if (c > 0 && f.k <= FIELD_PARAMS.lowCard) out = judge(f, value, rec, cx, self, meta);
  count(rec, cx, self);
  return out;
}

function newTable(): Record<string, Record<string, number>> {
  grow(OPTIONAL_BYTES);
  return table<Record<string, number>>();
}

function judge(f: FieldStats, value: string, rec: Record<string, number>, cx: LineContexts, self: number, meta: boolean): ValueFinding | null {
  const P = FIELD_PARAMS;
  const seen = rec[SEEN];
  if (seen === 0) return null;
  const since = f.n - rec[START];
  const min = meta ? P.metaMinSightings : P.minSightings;
  let tested = 0;
  let best = 1;
  let where = '';
  let bestN = 0;
  for (let i = 0; i < cx.pieces.length; i++) {
    if (cx.owner[i] === self) continue;
    const g = cx.fields[i];
    if (g.n === 0) continue;
    const s = countOf(g, cx.values[i]) / g.n;
    const n = s * since;
    if (n < min) continue;
    tested++;
    const piece = cx.pieces[i];
    if (Object.hasOwn(rec, piece)) continue;
    const p = Math.max(1 / (n + 1), (1 - s) ** seen);
    if (p < best) {
      best = p;
      where = piece;
      bestN = n;
    }
  }
  if (where === '') return null;
  const p = Math.min(1, best * tested);
  const S = -Math.log10(p);
  return new LazyFinding('context_value', S / (S + (meta ? P.metaCatHalf : P.catHalf)), () => ({
    words: `value "${value.slice(0, 40)}" never seen with ${where.slice(0, 60)} in about ${Math.round(bestN)} sightings of it, though seen ${seen} time${seen === 1 ? '' : 's'} elsewhere (p ≈ ${p.toPrecision(2)} over ${tested} context${tested === 1 ? '' : 's'})`,
    details: { sightings: Math.round(bestN), seen_elsewhere: seen, contexts: tested, p_value: Number(p.toPrecision(3)) },
  }));
}

/** One more sighting of the tracked value, counted per piece (at most maxPieces pieces). */
function count(rec: Record<string, number>, cx: LineContexts, self: number): void {
  rec[SEEN]++;
  let keys = -1;
  for (let i = 0; i < cx.pieces.length; i++) {
    if (cx.owner[i] === self) continue;
    const piece = cx.pieces[i];
    if (Object.hasOwn(rec, piece)) {
      rec[piece]++;
      continue;
    }
    if (keys < 0) keys = Object.keys(rec).length - 3;
    if (keys >= CONTEXT_PARAMS.maxPieces) continue;
    rec[piece] = 1;
    keys++;
    grow(jsonBytes(piece) + VALUE_BYTES);
  }
}
