// The values a log stream has already shown in its templates' id-like slots (logs-entity.ts): an
// entity burst is reported only for a stranger, a value first seen in the stream when its burst
// began. A busy node, job, block or client of an ordinary log has been in the stream's lines before
// it takes over a template (it is the stream's own); a brute force's source, a new scanner, a user
// name tried by a script are unknown to the stream until they flood it.
//
//   value (its 32-bit hash) ─► in the filter (two generations of a Bloom filter, 2 bits a value):
//        │  known, unless among the last `recent` values first seen (a stranger's first attempt
//        │  writes 2-3 lines in several templates: its value is new in each of them)
//        ▼
//   not in the filter: a stranger; it enters the filter and the recent ring
//
// The filter holds the last `generation` to 2 × `generation` values first seen in the stream (a
// full generation becomes the old one, the old one is dropped): bounded state, the horizon of
// "seen before" is the stream's last thousands of distinct values, not its whole history. A
// value seen again refreshes itself in the current generation. A false positive (2 generations of
// at most 1,024 values in 8,192 bits each: ~10% at worst) only makes a stranger known, which
// reports less.

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
});

const W = KNOWN_PARAMS.bits / 32;
/** [values in the current generation, current words, old words, recent ring's next place, recent ring]. */
const SIZE = 2 + 2 * W + KNOWN_PARAMS.recent;
/** The record in JSON: its words (up to 11 characters each). */
export const KNOWN_BYTES = 8 + SIZE * 11;

/** 32-bit FNV-1a of value v from `from` (fnv.ts). */
export function valueHash(v: string, from: number): number {
  return fnv1aFrom(v, from, FNV_BASIS);
}

const bit1 = (h: number): number => h & (KNOWN_PARAMS.bits - 1);
const bit2 = (h: number): number => (Math.imul(h, 0x9e3779b1) >>> 16) & (KNOWN_PARAMS.bits - 1);
const has = (r: number[], at: number, b: number): boolean => ((r[at + (b >>> 5)] >>> (b & 31)) & 1) === 1;

/** A fresh record. */
export function freshKnown(): number[] {
  return new Array<number>(SIZE).fill(0);
}

/** Whether value h is known to the stream (in either generation) and not one of its recent strangers. */
export function known(r: number[], h: number): boolean {
  const cur = 1;
  const old = 1 + W;
  const inCur = has(r, cur, bit1(h)) && has(r, cur, bit2(h));
  if (!inCur && !(has(r, old, bit1(h)) && has(r, old, bit2(h)))) return false;
  for (let j = 2 + 2 * W; j < SIZE; j++) if (r[j] === h) return false;
  return true;
}

/** Value h is seen: into the current generation (a full one becomes the old one); a stranger into the recent ring. */
export function see(r: number[], h: number): void {
  const cur = 1;
  const b1 = bit1(h);
  const b2 = bit2(h);
  if (has(r, cur, b1) && has(r, cur, b2)) return;
  const old = 1 + W;
  if (!(has(r, old, b1) && has(r, old, b2))) {
    const head = 1 + 2 * W;
    r[2 + 2 * W + r[head]] = h;
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
