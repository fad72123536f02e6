// The route of a path slot with ids in it (logs-values.ts): a context of the line's other values.
//
//   path slot, high-cardinality (an invoice's number, a customer's id in it: fields.ts no longer
//   keeps its values), value /api/v1/invoices/48213
//     ─► its route: each segment that is an id (all digits, or a digit and 6 or more characters,
//        or a run of 3 digits) becomes *, the query keeps its keys (/api/v1/invoices/*;
//        /api/v1/reports/export?month=*)
//     ─► counted per route in the path field itself (f.r, at most maxRoutes routes: a route past
//        them is no context); from minSightings sightings of the field's routes, two or more:
//          numbers: the piece `path~/api/v1/invoices/*` is a view of the line's numbers
//          (field-numbers.ts: a route's latency and size judged against that route's, not
//          against the export route's seconds);
//          status: an HTTP status (100-599 in a categorical slot) of a class (1xx-5xx) the route
//          has never answered with, in n requests of it, while the class came `seen` times on
//          the field's other routes: p = max(1 / (n + 1), (1 - s)^seen), s the route's share of
//          the requests (field-contexts.ts's test, with the class for the value): a 503 on a
//          route that has answered 4,120 requests without a 5xx while others had theirs
//
// State: f.r on the path's field, { route: [requests, classes seen (bit c for class c)] }; its
// bytes (OPTIONAL_BYTES, then a key and two numbers per route) counted in grownBytes() and by
// fieldBytes() (field-stats.ts).
import { FIELD_PARAMS, grow, LazyFinding, OPTIONAL_BYTES, routeBytes, table, type FieldStats, type ValueFinding } from './field-stats.js';
import { countsFor } from './field-counts.js';

export const ROUTE_PARAMS = Object.freeze({
  /** Routes counted per path field; a line of another route has no route piece. */
  maxRoutes: 16,
  /** Sightings of the path field's routes before a route is a context (fields.ts isContext: 50). */
  minSightings: 50,
  /** The longest path read as a route (a longer one is a blob: slots.ts MAX_SLOT_VALUE). */
  maxPath: 64,
});

/** Marks a route piece: `name~route` (a slot's context piece is `name=value`). */
export const ROUTE_MARK = '~';

/** An id segment of a path: all digits, or a digit and at least 6 characters, or a run of 3 digits. */
function idSegment(s: string): boolean {
  let digits = 0;
  let run = 0;
  let top = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      digits++;
      top = Math.max(top, ++run);
    } else run = 0;
  }
  return digits > 0 && (digits === s.length || s.length >= 6 || top >= 3);
}

/**
 * A name with an id in brackets (`tasks.send_email[4d9dc112-...]`, `worker[2231]:`): a name of at
 * least 2 characters that begins with a letter, then `[id]` (an idSegment), then at most one of
 * `:` `,` `;`. Its route is the name with the id as * (`tasks.send_email[*]`): the task or program
 * the line speaks of, whose id made the slot high-cardinality.
 */
const NAMED_ID = /^[A-Za-z][\w.:-]{1,47}\[([^\][\s]{1,64})\][:,;]?$/;

function namedId(value: string): boolean {
  const m = value.length <= ROUTE_PARAMS.maxPath ? NAMED_ID.exec(value) : null;
  return m !== null && idSegment(m[1]);
}

/**
 * The route of a path: its id segments as *, its query's values as * (`/api/v1/invoices/*`,
 * `/export?month=*`); of a named id (namedId), the name with the id as * (`tasks.send_email[*]`).
 */
export function routeShape(path: string): string {
  if (path.charCodeAt(0) !== 47) {
    const b = path.indexOf('[');
    return `${path.slice(0, b)}[*]${path.slice(path.lastIndexOf(']') + 1)}`;
  }
  const q = path.indexOf('?');
  const segs = (q < 0 ? path : path.slice(0, q)).split('/');
  for (let i = 0; i < segs.length; i++) if (idSegment(segs[i])) segs[i] = '*';
  const p = segs.join('/');
  if (q < 0) return p;
  return `${p}?${path.slice(q + 1).split('&').map((x) => `${x.split('=')[0]}=*`).join('&')}`;
}

/** A path value (begins with / and has more than that, at most maxPath characters), or a named id (namedId). */
export function isPath(value: string): boolean {
  if (value.length <= 1 || value.length > ROUTE_PARAMS.maxPath) return false;
  return value.charCodeAt(0) === 47 || (value.indexOf('[') > 0 && namedId(value));
}

/** A route's record in f.r: its requests and the status classes it has answered with (bit c for class c). */
export type RouteRecord = [number, number];

/** The line's route (countRoute): its record, its share of the requests before it, whether it is a context of the line. */
export const lineRoute = { rec: undefined as RouteRecord | undefined, share: 0, context: false };

/**
 * Counts route `route` in path field f (a new route while f has fewer than maxRoutes) into
 * lineRoute: its record (undefined when past maxRoutes), its share of the field's counted
 * requests before this one, and whether it is a context of the line: counted before, the field's
 * routes seen minSightings times, two routes or more.
 */
export function countRoute(f: FieldStats, route: string): typeof lineRoute {
  let r = f.r;
  if (r === undefined) {
    r = f.r = table<RouteRecord>();
    grow(OPTIONAL_BYTES);
  }
  let routes = 0;
  let n = 0;
  for (const k in r) {
    routes++;
    n += r[k][0];
  }
  let rec = Object.hasOwn(r, route) ? r[route] : undefined;
  const L = lineRoute;
  L.share = rec === undefined || n === 0 ? 0 : rec[0] / n;
  L.context = rec !== undefined && routes >= 2 && n >= ROUTE_PARAMS.minSightings;
  if (rec !== undefined) rec[0]++;
  else if (routes < ROUTE_PARAMS.maxRoutes) {
    rec = r[route] = [1, 0];
    // (A name such as __proto__ is not an own key: not in the JSON, not counted.)
    if (Object.hasOwn(r, route)) grow(routeBytes(route));
    else rec = undefined;
  }
  L.rec = rec;
  return L;
}

/** The class (1-5) of an HTTP status, or 0 when `value` is none (three digits, 100-599, then at most a `,` or `;`: `{'status': 409, ...}`). */
export function statusClass(value: string): number {
  const last = value.charCodeAt(3);
  if (value.length !== 3 && !(value.length === 4 && (last === 44 || last === 59))) return 0;
  const c = value.charCodeAt(0) - 48;
  if (c < 1 || c > 5) return 0;
  const d = value.charCodeAt(1);
  const e = value.charCodeAt(2);
  return d >= 48 && d <= 57 && e >= 48 && e <= 57 ? c : 0;
}

/**
 * Status `value` of categorical field f on the line's route (lineRoute, `route` its words): a
 * finding when its class is one the route has never answered with (see the top of this file),
 * or null; the class is then added to the route's record.
 */
export function routeStatus(f: FieldStats, value: string, route: string): ValueFinding | null {
  const L = lineRoute;
  const rec = L.rec;
  const c = statusClass(value);
  if (rec === undefined || c === 0 || f.v === null) return null;
  const bit = 1 << c;
  if ((rec[1] & bit) !== 0) return null;
  rec[1] |= bit;
  if (!L.context) return null;
  // The class's sightings in the field (its values of that class), before this one.
  let seen = 0;
  const m = countsFor(f);
  for (const [k, x] of m !== undefined ? m : Object.entries(f.v)) if (typeof x === 'number' && statusClass(k) === c) seen += x;
  const n = rec[0] - 1;
  if (seen === 0 || n < FIELD_PARAMS.minSightings) return null;
  const p = Math.max(1 / (n + 1), (1 - L.share) ** seen);
  const S = -Math.log10(p);
  return new LazyFinding('context_value', S / (S + FIELD_PARAMS.unseenHalf), () => ({
    words: `status ${value} on ${pieceWords(`${ROUTE_MARK}${route}`)}: no ${c}xx there in ${n} requests, though ${seen} on its other routes (p ≈ ${p.toPrecision(2)})`,
    details: { sightings: n, seen_elsewhere: seen, p_value: Number(p.toPrecision(3)) },
  }));
}

/** Whether a context piece is a route's (`name~route`), not a slot's `name=value`. */
export function isRoutePiece(piece: string): boolean {
  const i = piece.indexOf(ROUTE_MARK);
  if (i < 0) return false;
  const j = piece.indexOf('=');
  return j < 0 || i < j;
}

/** A context piece in words: `route /api/v1/invoices/<id>`, or the piece itself (`method=GET`). */
export function pieceWords(piece: string): string {
  if (!isRoutePiece(piece)) return piece;
  const route = piece.slice(piece.indexOf(ROUTE_MARK) + 1);
  return `route ${route.replace(/\/\*(?=\/|\?|$)/g, '/<id>').replace(/=\*/g, '=…')}`;
}
