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

export function hashLine(line: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < line.length; i++) {
    h ^= line.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function median(sorted: Float64Array): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

const pct = (x: number): string => `${(x * 100).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The template-mix tracker of one text stream for one task; `save()` returns its state. */
export class MixDrift {
  readonly #s: MixState;
  readonly #w: Map<number, number>;
  readonly #p: Map<number, number>;

  constructor(s: MixState) {
    this.#s = s;
    this.#w = new Map(s.w);
    this.#p = new Map(s.p);
  }

  /**
   * Counts one normalised line, given by its hashLine(); at the end of a hop returns a finding (or null) when the
   * window's score reaches `threshold`. `nameOf` gives a readable line for a hash when the caller knows one.
   */
  observe(h: number, nameOf: (hash: number) => string | undefined, threshold = 0.5): Omit<Finding, 'index'> | null {
    const P = MIX_PARAMS;
    const s = this.#s;
    this.#w.set(h, (this.#w.get(h) ?? 0) + 1);
    s.h++;
    if (s.h < P.hop) return null;

    // End of a hop: divergence of the window from the long-run mix.
    const floor = 1 / (4 * P.hop);
    let kl = 0;
    let topHash = 0;
    let topTerm = -Infinity;
    for (const [k, c] of this.#w) {
      const q = c / s.h;
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

    // Long-run mix moves towards the window; the first window sets it.
    const lam = s.hops === 0 ? 1 : P.lambda;
    for (const [k, v] of this.#p) this.#p.set(k, v * (1 - lam));
    for (const [k, c] of this.#w) this.#p.set(k, (this.#p.get(k) ?? 0) + (lam * c) / s.h);
    // Rounded here, not only when saved, so one task and many give identical shares.
    const kept = [...this.#p]
      .map(([k, v]): [number, number] => [k, Number(v.toPrecision(6))])
      .filter(([, v]) => v >= P.minShare)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, P.maxShares);
    this.#p.clear();
    for (const [k, v] of kept) this.#p.set(k, v);
    this.#w.clear();
    s.h = 0;
    s.hops++;
    return finding;
  }

  save(): MixState {
    const s = this.#s;
    s.w = [...this.#w];
    s.p = [...this.#p];
    return s;
  }
}
