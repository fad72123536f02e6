// A scan's breadth against the slot's own history (branch edge22), for the value bursts of
// logs-repeat.ts: how many different values (ports, hosts, paths) one value's lines within
// windowMs usually show in another slot of the template, learnt per template and slot.
//
//   line of template t whose value v of an id-like slot recurs (2 ≤ c < minCount: a recurrence,
//   not a burst) ─► per slot k whose values recur (logs-repeat.ts share ≥ sharedMin): b, the
//   different values of k among v's lines within windowMs ─► k's decayed mean of b
//
//   a value burst (c ≥ minCount) with breadth b in slot k ─► Poisson tail of b at mean + floor
//   (rate.ts's arithmetic): one source knocking on 12 ports where a source's lines usually
//   show 1-2 ports is a scan, though the template's earlier bursts of one source reached 4 lines
//   (its count alone, judged against that peak, reaches p 1e-4 only at 15-16 lines).
//
// Bounded: a record is made only once a value recurs in the template (a template whose values
// never recur within windowMs costs nothing), and holds 2 numbers per slot that had a breadth (at
// most MAX_BREADTH_SLOTS), charged to its template in the template layer and evicted with it.
import type { Template, TemplateMiner } from './templates.js';
import { poissonTailLog10Real, RATE_PARAMS } from './rate.js';
import { round6 } from './round.js';
import type { LogsState } from './logs-state.js';

export const BREADTH_PARAMS = Object.freeze({
  /** EWMA weight per recurrence of a slot's mean breadth. */
  alpha: 0.02,
  /**
   * Expected breadth = factor × mean + floor: 1, where counts take rate.ts's 1.5 (a value's
   * breadth is bounded by its lines, and less bursty than their number).
   */
  factor: 1,
  /** Recurrences learnt before a slot's breadth is judged. */
  minSamples: 30,
  /** A slot whose breadth is this surprising (-log10 p) against its history is broad, whatever its share. */
  broadS: 2,
});

/**
 * The ring places of a burst (logs-repeat.ts: LogsState.hq from `from`, `stride` numbers a line
 * [ts, template id, keys…]): the lines of template `id` within windowMs before `ts` with `key` at
 * key place q, into `out`.
 */
export function burstLines(ring: readonly number[], from: number, stride: number, id: number, q: number, key: number, ts: number, out: number[]): void {
  out.length = 0;
  for (let j = from; j + stride <= ring.length; j += stride) {
    const dt = ts - ring[j];
    if (ring[j + 1] !== id || dt >= RATE_PARAMS.windowMs || dt < 0 || ring[j + 2 + q] !== key) continue;
    out.push(j);
  }
}

/** The different keys at key place q of the ring's `lines` (their places), counted in `seen`. */
export function breadthAt(ring: readonly number[], lines: readonly number[], q: number, seen: Set<number>): number {
  seen.clear();
  for (const j of lines) if (ring[j + 2 + q] !== 0) seen.add(ring[j + 2 + q]);
  return seen.size;
}

/** Slots of a template with a breadth record (the first that had one). */
export const MAX_BREADTH_SLOTS = 6;
/** A number of a breadth record in JSON (a slot index, a count or a mean of up to 10 characters and a comma). */
const NUMBER_BYTES = 11;

/** A template's breadth record (LogsState.hb): per slot [slot index, recurrences learnt (up to minSamples), decayed mean breadth], flat. */
export type BreadthRecord = number[];

/** The bytes a record is charged in its template. */
export const breadthBytes = (r: BreadthRecord): number => 8 + NUMBER_BYTES * r.length;


/** Where slot k's entry begins in record r, or -1. */
function entryOf(r: BreadthRecord, k: number): number {
  for (let j = 0; j + 2 < r.length; j += 3) if (r[j] === k) return j;
  return -1;
}

/** Learns breadth b of slot k of template t (a recurrence of one of its values): the record made or grown as needed. */
export function learnBreadth(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void, t: Template, k: number, b: number): void {
  const hb = (s.hb ??= {});
  let r = hb[t.id];
  if (r === undefined) {
    r = hb[t.id] = [];
    miner.grow(t, 8, evicted);
  }
  let j = entryOf(r, k);
  if (j < 0) {
    if (r.length >= 3 * MAX_BREADTH_SLOTS) return;
    j = r.length;
    r.push(k, 0, b);
    miner.grow(t, 3 * NUMBER_BYTES, evicted);
  }
  // Counted up to minSamples only (all it is compared with): fewer digits in the state.
  if (r[j + 1] < BREADTH_PARAMS.minSamples) r[j + 1]++;
  r[j + 2] = round6(r[j + 2] + BREADTH_PARAMS.alpha * (b - r[j + 2]));
}

/**
 * The surprise (-log10 p) of breadth b in slot k of template t against its mean breadth: a
 * Poisson tail at factor × mean + floor (BREADTH_PARAMS.factor); 0 while the slot has no history (under minSamples).
 */
export function breadthSurprise(s: LogsState, t: Template, k: number, b: number): number {
  const r = s.hb?.[t.id];
  if (r === undefined) return 0;
  const j = entryOf(r, k);
  if (j < 0 || r[j + 1] < BREADTH_PARAMS.minSamples) return 0;
  return -poissonTailLog10Real(b, BREADTH_PARAMS.factor * r[j + 2] + RATE_PARAMS.floor);
}
