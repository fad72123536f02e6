// The text detector's cost null (text.ts): the ring of recent line costs and its robust statistics
// (median, MAD-scale, p99), and the sampled compression ratios quoted in explanations.
import type { TextParams } from './text-params.js';
import type { TextState } from './text-state.js';

/** Sampling of the typical compression ratio (explanations only). */
export const RATIO_EVERY = 8;
const RATIO_RING = 32;

function median(sorted: ArrayLike<number>): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The null's scratch arrays for one task; its figures live in the state (s.ring, s.med…). */
export class CostNull {
  readonly s: TextState;
  readonly P: Readonly<TextParams>;

  constructor(s: TextState, params: Readonly<TextParams>) {
    this.s = s;
    this.P = params;
  }

  #sorted = new Float64Array(0);
  #dev = new Float64Array(0);

  /** Median and MAD-scale of sorted costs. */
  #robust(sorted: Float64Array): [number, number] {
    const n = sorted.length;
    const med = median(sorted);
    const dev = this.#dev.subarray(0, n);
    for (let i = 0; i < n; i++) dev[i] = Math.abs(sorted[i] - med);
    dev.sort();
    // Scale floors: a stream of near-identical lines has MAD 0; a byte of deflate output is
    // the measurement's resolution.
    return [med, Math.max(1.4826 * median(dev), 8, 0.1 * med)];
  }

  /**
   * While the null still holds warm-up costs and the null without them (s.mm) is not there yet:
   * the median and MAD-scale of the costs that came after the warm-up, and how many came (NaN,
   * NaN, 0 when none did); otherwise null (text.ts: lateNull).
   */
  young(): [number, number, number] | null {
    const s = this.s;
    if (s.wi === undefined || s.mm !== undefined) return null;
    this.#scratch(s.ring.length);
    const late = this.#afterWarmup(s.wi);
    if (late === null) return null;
    if (late.length === 0) return [Number.NaN, Number.NaN, 0];
    return [...this.#robust(late.sort()), late.length];
  }

  /** The scratch arrays hold at least n costs. */
  #scratch(n: number): void {
    if (this.#sorted.length < n) {
      this.#sorted = new Float64Array(Math.max(n, this.P.nullSize));
      this.#dev = new Float64Array(this.#sorted.length);
    }
  }

  /**
   * The ring's costs that came after the warm-up (the warm-up's are slots [0, wi) until the ring
   * wraps over them), in ring order, in the first scratch array; null when no warm-up cost is left.
   */
  #afterWarmup(wi: number): Float64Array | null {
    const s = this.s;
    const n = s.ring.length;
    const from = Math.max(0, s.ins - this.P.nullSize);
    const young = Math.max(0, wi - from);
    if (young === 0) return null;
    const m = this.#sorted.subarray(0, n - young);
    let k = 0;
    for (let i = 0; i < n; i++) if (i < from || i >= wi) m[k++] = s.ring[i];
    return m;
  }

  /** Adds a cost (and, when measured, a compression ratio) to the stream's null. */
  push(cost: number, ratio: number | null): void {
    const s = this.s;
    const P = this.P;
    if (s.ring.length < P.nullSize) s.ring.push(cost);
    else s.ring[s.pos] = cost;
    s.pos = (s.pos + 1) % P.nullSize;
    if (ratio !== null) {
      if (s.rring.length < RATIO_RING) s.rring.push(ratio);
      else s.rring[s.rpos] = ratio;
      s.rpos = (s.rpos + 1) % RATIO_RING;
    }
    s.ins++;
    if (s.n <= P.warmupEvents) s.wi = s.ins;
    const wi = s.wi ?? 0;
    const full = s.ins % P.nullRefresh === 0 || s.ins <= P.warmupNull;
    if (full || s.ins === wi + P.matureNull) {
      const n = s.ring.length;
      this.#scratch(n);
      // Sorted in two scratch arrays (numeric order, as a comparator sort of these finite costs).
      const sorted = this.#sorted.subarray(0, n);
      sorted.set(s.ring);
      if (full) {
        sorted.sort();
        const [med, scale] = this.#robust(sorted);
        s.med = med;
        s.scale = scale;
        s.p99 = quantile(sorted, 0.99);
        if (s.rring.length > 0) s.rmed = median([...s.rring].sort((a, b) => a - b));
      }
      // The costs of the warm-up (ring slots [0, wi) until the ring wraps over them) were measured
      // against a dictionary still learning the stream's vocabulary: once matureNull costs came
      // after it, the null without them (s.mm) judges a line with an explicit error level, which a
      // regular stream (its later lines mostly exact repeats) otherwise judged for hundreds of
      // lines by its first few costs.
      const late = this.#afterWarmup(wi);
      if (late !== null && late.length >= P.matureNull) s.mm = this.#robust(late.sort());
      else delete s.mm;
    }
  }
}
