// Window-level drift for text streams: the mix of line templates.
//
//   normalised line ─► 32-bit FNV-1a hash ─► counts of the current window (hop of `hop` lines)
//   every hop: KL(window mix ‖ the stream's long-run mix), long-run shares floored at
//              1 / (4 · hop) so one new line weighs little (novel lines are the per-line
//              detector's business)
//          ─► robust z against the stream's null of recent window KLs (median / MAD), and an
//             empirical p-value against those same past windows (consecutive windows of the
//             stream itself: blocks in stream order, never a line shuffle)
//          ─► finding on the hop's last line when z / (z + zHalf) ≥ 0.5 and KL ≥ minKl
//          ─► the long-run mix moves towards the window (EWMA, weight `lambda`), so a new mix
//             that persists becomes the usual one within about 1 / lambda windows, as the
//             explanation says.
//
// Catches what per-line surprise cannot: known lines in unusual proportions (an error template
// going from 1% to 30% of the stream). State: a few KiB of hashes and shares.
import type { Finding } from '../types.js';
import { empiricalP, formatP } from './pvalue.js';
import { round6 } from './round.js';
import { FNV_BASIS, FNV_PRIME } from './fnv.js';

export const MIX_DETECTOR = 'template_mix';

export const MIX_PARAMS = Object.freeze({
  hop: 128,
  lambda: 0.1,
  /** Windows before any finding (the long-run mix needs a few). */
  warmupHops: 8,
  nullSize: 64,
  zHalf: 8,
  /** Minimum KL (nats) for a finding, whatever the null. */
  minKl: 0.5,
  /** Long-run shares kept (largest first) and the smallest kept. */
  maxShares: 256,
  minShare: 1e-4,
});

export interface MixState {
  /** Lines in the current window. */
  h: number;
  /** Current window: [hash, count]. */
  w: [number, number][];
  /** Long-run mix: [hash, share]. */
  p: [number, number][];
  hops: number;
  kl: number[];
  kpos: number;
  med: number;
  scale: number;
}

export function freshMix(): MixState {
  return { h: 0, w: [], p: [], hops: 0, kl: [], kpos: 0, med: 0, scale: 0 };
}

/**
 * fnv1a (fnv.ts) of a normalised line's shape: the digits of its class tokens left out (`<N3>` and
 * `<N4>` alike, `<H16>` and `<H8>`), so a line counts as the same line in the mix whatever its
 * numbers' magnitudes (a counter growing past 999 does not change the stream's mix). One pass,
 * the same FNV-1a over the other characters.
 */
export function shapeHash(line: string): number {
  let h = FNV_BASIS;
  // 0: outside a class token; 1: just after '<'; 2: in its capital letters or digits.
  let cls = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c >= 48 && c <= 57 && cls === 2) continue;
    cls = c === 60 ? 1 : c >= 65 && c <= 90 && cls >= 1 ? 2 : 0;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h >>> 0;
}

function median(sorted: Float64Array): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/**
 * Line hashes to numbers, in insertion order: what a Map<number, number> gives here, without its
 * cost on every line (a hash above 2^30 is no small integer, so a Map boxes and hashes it as a
 * heap number). Open addressing over an index of entry positions; the keys are the uint32 hashes
 * of fnv1a (as the state holds them).
 */
export class HashTable {
  keys = new Float64Array(16);
  vals = new Float64Array(16);
  size = 0;
  /** Entry position + 1 per slot (0: empty); at most half full. */
  #slots = new Int32Array(32);

  constructor(entries: readonly (readonly [number, number])[] = []) {
    for (const [k, v] of entries) this.set(k, v);
  }

  /** The entry position of key k, or -1. */
  indexOf(k: number): number {
    const slots = this.#slots;
    const mask = slots.length - 1;
    for (let i = Math.imul(k >>> 0, 0x9e3779b1) >>> 16 & mask; ; i = (i + 1) & mask) {
      const e = slots[i];
      if (e === 0) return -1;
      if (this.keys[e - 1] === k) return e - 1;
    }
  }

  get(k: number): number | undefined {
    const i = this.indexOf(k);
    return i < 0 ? undefined : this.vals[i];
  }

  /** Adds d to k's value (a new key starts at 0). */
  add(k: number, d: number): void {
    const i = this.indexOf(k);
    if (i >= 0) this.vals[i] += d;
    else this.#append(k, 0 + d);
  }

  set(k: number, v: number): void {
    const i = this.indexOf(k);
    if (i >= 0) this.vals[i] = v;
    else this.#append(k, v);
  }

  clear(): void {
    this.size = 0;
    this.#slots.fill(0);
  }

  entries(): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.size; i++) out.push([this.keys[i], this.vals[i]]);
    return out;
  }

  #append(k: number, v: number): void {
    if (this.size === this.keys.length) {
      const keys = new Float64Array(2 * this.size);
      const vals = new Float64Array(2 * this.size);
      keys.set(this.keys);
      vals.set(this.vals);
      this.keys = keys;
      this.vals = vals;
    }
    this.keys[this.size] = k;
    this.vals[this.size] = v;
    this.size++;
    if (2 * this.size > this.#slots.length) this.#slots = new Int32Array(2 * this.#slots.length);
    else {
      this.#place(this.size - 1);
      return;
    }
    for (let i = 0; i < this.size; i++) this.#place(i);
  }

  #place(e: number): void {
    const slots = this.#slots;
    const mask = slots.length - 1;
    let i = Math.imul(this.keys[e] >>> 0, 0x9e3779b1) >>> 16 & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = e + 1;
  }
}

/** Scratch arrays of #moveMix (one thread runs one task at a time). */
let moveKeys = new Float64Array(512);
let moveVals = new Float64Array(512);
let moveOrder = new Int32Array(512);

/** The template-mix tracker of one text stream for one task; `save()` returns its state. */
export class MixDrift {
  readonly #s: MixState;
  readonly #w: HashTable;
  readonly #p: HashTable;

  constructor(s: MixState) {
    this.#s = s;
    this.#w = new HashTable(s.w);
    this.#p = new HashTable(s.p);
  }

  /**
   * Counts one normalised line, given by its fnv1a(); at the end of a hop returns a finding (or null) when the
   * window's score reaches `threshold`. `nameOf` gives a readable line for a hash when the caller knows one.
   */
  observe(h: number, nameOf: (hash: number) => string | undefined, threshold = 0.5): Omit<Finding, 'index'> | null {
    const P = MIX_PARAMS;
    const s = this.#s;
    this.#w.add(h, 1);
    s.h++;
    if (s.h < P.hop) return null;

    // End of a hop: divergence of the window from the long-run mix.
    const floor = 1 / (4 * P.hop);
    let kl = 0;
    let topHash = 0;
    let topTerm = -Infinity;
    const w = this.#w;
    for (let i = 0; i < w.size; i++) {
      const k = w.keys[i];
      const q = w.vals[i] / s.h;
      const term = q * Math.log(q / Math.max(this.#p.get(k) ?? 0, floor));
      kl += term;
      if (term > topTerm) {
        topTerm = term;
        topHash = k;
      }
    }
    kl = Math.max(0, kl);
    const warm = s.hops >= P.warmupHops && s.kl.length >= P.warmupHops;
    const z = warm ? (kl - s.med) / Math.max(s.scale, 0.02) : 0;
    const score = warm && kl >= P.minKl && z > 0 ? z / (z + P.zHalf) : 0;
    let finding: Omit<Finding, 'index'> | null = null;
    // The threshold decides only whether a finding is reported; the state below never depends on it.
    if (score > 0 && score >= threshold) {
      const topCount = this.#w.get(topHash) ?? 0;
      const usual = this.#p.get(topHash) ?? 0;
      const name = nameOf(topHash);
      const p = empiricalP(s.kl, kl);
      const label = name === undefined ? 'a pattern absent from the baseline' : `"${name.length > 80 ? `${name.slice(0, 77)}...` : name}"`;
      finding = {
        score: Math.min(1, score),
        detector: MIX_DETECTOR,
        explanation:
          `The mix of the last ${s.h} lines diverges from this stream's usual mix: KL ${kl.toFixed(2)} nats vs. a typical ${s.med.toFixed(2)} (robust z ${z.toFixed(1)}, ${formatP(p, s.kl.length, 'windows')}); ` +
          `largest change: ${label}, ${topCount} of ${s.h} lines vs. usually ${pct(usual)}. If this mix persists it becomes the usual one within about ${Math.round(1 / P.lambda)} windows.`,
        details: {
          kind: 'mix_drift',
          kl: Number(kl.toFixed(4)),
          typical_kl: Number(s.med.toFixed(4)),
          z: Number(z.toFixed(3)),
          p_value: Number(p.toPrecision(3)),
          null_size: s.kl.length,
          window: s.h,
          top_count: topCount,
          top_usual_share: Number(usual.toFixed(5)),
        },
      };
    }

    // Null of window KLs (anomalous windows included: the mix is allowed to drift).
    if (s.kl.length < P.nullSize) s.kl.push(Number(kl.toFixed(4)));
    else s.kl[s.kpos] = Number(kl.toFixed(4));
    s.kpos = (s.kpos + 1) % P.nullSize;
    const sorted = Float64Array.from(s.kl).sort();
    s.med = median(sorted);
    const dev = sorted.map((x) => Math.abs(x - s.med)).sort();
    s.scale = 1.4826 * median(dev);

    this.#moveMix();
    return finding;
  }

  /** At a hop's end: the long-run mix moves towards the window (the first window sets it), and a new window starts. */
  #moveMix(): void {
    const P = MIX_PARAMS;
    const s = this.#s;
    const w = this.#w;
    const lam = s.hops === 0 ? 1 : P.lambda;
    const p = this.#p;
    for (let i = 0; i < p.size; i++) p.vals[i] = p.vals[i] * (1 - lam);
    for (let i = 0; i < w.size; i++) p.add(w.keys[i], (lam * w.vals[i]) / s.h);
    // Rounded here, not only when saved, so one task and many give identical shares. The shares
    // kept (at least minShare), largest first, ties by hash (hashes are distinct: one order), at
    // most maxShares, sorted as entry positions in scratch arrays rather than as [hash, share] pairs.
    let m = 0;
    if (moveKeys.length < p.size) {
      moveKeys = new Float64Array(2 * p.size);
      moveVals = new Float64Array(2 * p.size);
      moveOrder = new Int32Array(2 * p.size);
    }
    const keys = moveKeys;
    const vals = moveVals;
    for (let i = 0; i < p.size; i++) {
      const v = round6(p.vals[i]);
      if (!(v >= P.minShare)) continue;
      keys[m] = p.keys[i];
      vals[m] = v;
      moveOrder[m] = m;
      m++;
    }
    const order = moveOrder.subarray(0, m).sort((a, b) => vals[b] - vals[a] || keys[a] - keys[b]);
    p.clear();
    for (let j = 0; j < Math.min(m, P.maxShares); j++) p.set(keys[order[j]], vals[order[j]]);
    w.clear();
    s.h = 0;
    s.hops++;
  }

  save(): MixState {
    const s = this.#s;
    s.w = this.#w.entries();
    s.p = this.#p.entries();
    return s;
  }
}
