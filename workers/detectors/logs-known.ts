// The values a log stream has already shown in its templates' id-like slots (logs-entity.ts): an
// entity burst is reported only for a stranger, a value first seen in the stream when its burst
// began. A busy node, job, block or client of an ordinary log has been in the stream's lines before
// it takes over a template (it is the stream's own); a brute force's source, a new scanner, a user
// name tried by a script are unknown to the stream until they flood it.
//
//   value (its 32-bit hash) ─► in the filter (two generations of a Bloom filter, 2 bits a value):
//        │  known, unless among the last `recent` values first seen within `recentSightings`
//        │  (a stranger's first attempt writes 2-3 lines in several templates: its value is new
//        │  in each of them)
//        ▼
//   not in the filter: a stranger; it enters the filter and the recent ring (unless its caller
//   knows it otherwise: logs-entity.ts, a value in its template's ring)
//
// The filter holds the last `generation` to 2 × `generation` values first seen in the stream (a
// full generation becomes the old one, the old one is dropped): bounded state, the horizon of
// "seen before" is the stream's last thousands of distinct values, not its whole history. A
// value seen again refreshes itself in the current generation. A false positive (2 generations of
// at most 1,024 values in 8,192 bits each: ~10% at worst) only makes a stranger known, which
// reports less. A recent stranger leaves the ring after recentSightings values seen (any, known or
// not) as well as after `recent` newer strangers: in a quiet stream with fewer than `recent`
// values, the ring never turned over and its values stayed strangers for good.

import { FNV_BASIS, fnv1aFrom } from './fnv.js';

/**
 * The filter's parameters.
 */
export const KNOWN_PARAMS = Object.freeze({
  /** Bits of each generation (a power of 2). */
  bits: 8192,
  /** Values first seen in a generation before it becomes the old one. */
  generation: 1024,
  /** Strangers remembered as such for their next lines (the last ones first seen). */
  recent: 32,
  /** ... for at most this many values seen (see() calls) after it; a multiple of 64 (RECENT_UNIT). */
  recentSightings: 256,
  /**
   * A record begun for a stream with a history (a state saved before the record: LogsState.ek
   * absent while the entity records are there) learns this many values seen before it judges
   * any a stranger: else every busy value of the stream, seen for hours before, was one.
   */
  upgradeSightings: 1024,
});

const W = KNOWN_PARAMS.bits / 32;
/** Where the recent ring begins: after [values in the current generation, current words, old words, recent ring's next place]. */
const RING = 2 + 2 * W;
/** Where the sightings counter is (records before it end with the ring: it is added, 0), and the sightings until which nothing is a stranger. */
const TICK = RING + KNOWN_PARAMS.recent;
const LEARN = TICK + 1;
/** [values in the current generation, current words, old words, recent ring's next place, recent ring, values seen, values learnt first]. */
const SIZE = LEARN + 1;
/** The record in JSON: its words (up to 11 characters each). */
export const KNOWN_BYTES = 8 + SIZE * 11;
/**
 * A recent stranger's place: its hash's low 24 bits, and in the high 8 the sightings' unit
 * (RECENT_UNIT values seen) when it came, mod 256; a place older than recentSightings is emptied
 * at each unit's turn (#sweep), so an age mod 256 units is its age.
 */
const RECENT_UNIT = KNOWN_PARAMS.recentSightings / 64;
const RECENT_AGE = KNOWN_PARAMS.recentSightings / RECENT_UNIT;
const unitOf = (r: number[]): number => unitAt(r[TICK], RECENT_UNIT, 256);
const ageOf = (r: number[], x: number): number => unitsSince(unitOf(r), x >>> 24, 256);

/**
 * A coarse clock kept in a few bits (a recent stranger's sightings unit here, a ring mark's line
 * unit in logs-entity.ts): the unit of counter `count` (`size` counts a unit), mod `units`.
 */
export const unitAt = (count: number, size: number, units: number): number => Math.floor(count / size) % units;
/** Units from unit `then` to unit `now` of such a clock: an age, mod `units`. */
export const unitsSince = (now: number, then: number, units: number): number => (now - then + units) % units;

/** 32-bit FNV-1a of value v from `from` (fnv.ts). */
export function valueHash(v: string, from: number): number {
  return fnv1aFrom(v, from, FNV_BASIS);
}

const bit1 = (h: number): number => h & (KNOWN_PARAMS.bits - 1);
const bit2 = (h: number): number => (Math.imul(h, 0x9e3779b1) >>> 16) & (KNOWN_PARAMS.bits - 1);
const has = (r: number[], at: number, b: number): boolean => ((r[at + (b >>> 5)] >>> (b & 31)) & 1) === 1;

/** A fresh record; `history`: for a stream with one (it learns upgradeSightings values first). */
export function freshKnown(history = false): number[] {
  const r = new Array<number>(SIZE).fill(0);
  if (history) r[LEARN] = KNOWN_PARAMS.upgradeSightings;
  return r;
}

/** A record saved before the sightings counter: brought to SIZE (the counter at 0). */
export function upgradeKnown(r: number[]): void {
  while (r.length < SIZE) r.push(0);
}

/** Whether value h is known to the stream (in either generation) and not one of its recent strangers. */
export function known(r: number[], h: number): boolean {
  if (r[TICK] < r[LEARN]) return true;
  if (!inFilter(r, h)) return false;
  const low = h & 0xff_ffff;
  for (let j = RING; j < TICK; j++) if (r[j] !== 0 && (r[j] & 0xff_ffff) === low && ageOf(r, r[j]) < RECENT_AGE) return false;
  return true;
}

/** Whether value h is in either generation of the filter. */
function inFilter(r: number[], h: number): boolean {
  const b1 = bit1(h);
  const b2 = bit2(h);
  return (has(r, 1, b1) && has(r, 1, b2)) || (has(r, 1 + W, b1) && has(r, 1 + W, b2));
}

/** Empties the recent ring's places older than recentSightings (at each unit's turn). */
function sweep(r: number[]): void {
  for (let j = RING; j < TICK; j++) if (r[j] !== 0 && ageOf(r, r[j]) >= RECENT_AGE) r[j] = 0;
}

/**
 * Value h is seen: into the current generation (a full one becomes the old one); one not in the
 * filter into the recent ring, unless `stranger` is false (its caller knows it otherwise).
 */
export function see(r: number[], h: number, stranger = true): void {
  const cur = 1;
  r[TICK]++;
  if (r[TICK] % RECENT_UNIT === 0) sweep(r);
  const b1 = bit1(h);
  const b2 = bit2(h);
  if (has(r, cur, b1) && has(r, cur, b2)) return;
  const old = 1 + W;
  if (stranger && !(has(r, old, b1) && has(r, old, b2))) {
    const head = 1 + 2 * W;
    r[RING + r[head]] = ((h & 0xff_ffff) | (unitOf(r) << 24)) >>> 0 || 1;
    r[head] = (r[head] + 1) % KNOWN_PARAMS.recent;
  }
  if (r[0] >= KNOWN_PARAMS.generation) {
    for (let j = 0; j < W; j++) {
      r[old + j] = r[cur + j];
      r[cur + j] = 0;
    }
    r[0] = 0;
  }
  r[cur + (b1 >>> 5)] = (r[cur + (b1 >>> 5)] | (1 << (b1 & 31))) >>> 0;
  r[cur + (b2 >>> 5)] = (r[cur + (b2 >>> 5)] | (1 << (b2 & 31))) >>> 0;
  r[0]++;
}
