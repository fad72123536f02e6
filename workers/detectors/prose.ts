// Free-text detector (llm streams: prompts and completions): compression surprise with both tails.
//
//   text ─► features
//     cost   bits per byte of deflate(text | dictionary of the stream's recent texts)  (upper tail:
//            other languages, encoded blobs, pasted code, injections say what the stream never says)
//     self   bits per byte of deflate(text) alone                                     (lower tail:
//            a token flood, "refund refund refund ...", compresses far too well)
//     length log of the length in bytes                                                (both tails)
//     code   share of code and markup symbols {}[]()<>;=$/\|`                          (upper tail)
//     foreign share of characters outside ASCII                                         (upper tail)
//     digits share of digits and base64/hex-looking runs                                (upper tail)
//   ─► each against the stream's own recent values (a ring of nullSize, normal texts only): robust
//      distance beyond the median in units of the distance from the median to the 5% / 95% quantile
//   ─► score = z / (z + zHalf) on the most surprising feature; a finding when ≥ the threshold,
//      the explanation names the feature, its value and the typical range
//
// The state (dictionary, feature rings, quantiles) is updated per text in stream order and never
// depends on the threshold, so findings do not depend on the batch split.
import { deflateRawSync } from 'node:zlib';
import type { Finding, ScoreInput } from '../types.js';
import { decodeState, encodeState } from './state.js';

export const PROSE_DETECTOR = 'compression_surprise';

export const PROSE_PARAMS = Object.freeze({
  dictBytes: 16_384,
  maxBytes: 4096,
  nullSize: 256,
  refresh: 16,
  warmup: 64,
  /** z at which the score is 0.5 (z: distance beyond the median in units of median-to-q05/q95). */
  zHalf: 3,
});

type Feature = 'cost' | 'self' | 'length' | 'code' | 'foreign' | 'digits';
const FEATURES: readonly Feature[] = ['cost', 'self', 'length', 'code', 'foreign', 'digits'];
/** Which tails count: +1 upper, -1 lower, 0 both. */
const TAIL: Record<Feature, number> = { cost: 1, self: -1, length: 0, code: 1, foreign: 1, digits: 1 };
/** Floors of the tail widths (so a stream of near-identical texts does not alarm on noise). */
const FLOOR: Record<Feature, number> = { cost: 0.3, self: 0.3, length: 0.3, code: 0.02, foreign: 0.02, digits: 0.02 };
const WHAT: Record<Feature, string> = {
  cost: 'bits per byte given the stream\'s recent texts',
  self: 'bits per byte compressed on its own',
  length: 'length (log bytes)',
  code: 'share of code symbols',
  foreign: 'share of non-ASCII characters',
  digits: 'share of digits and encoded runs',
};

interface ProseState {
  v: 1;
  kind: 'prose';
  n: number;
  dict: string[];
  /** Per feature: ring of recent values; shared write position and fill. */
  rings: number[][];
  pos: number;
  /** Per feature at the last refresh: [q05, median, q95]. */
  q: [number, number, number][];
  ins: number;
}

function fresh(): ProseState {
  return { v: 1, kind: 'prose', n: 0, dict: [], rings: FEATURES.map(() => []), pos: 0, q: FEATURES.map(() => [0, 0, 0]), ins: 0 };
}

const CODE = /[{}[\]()<>;=$\\|`]/g;
const ENCODED = /[A-Za-z0-9+/=]{24,}/g;

export function features(text: string, dict: Buffer | null): number[] {
  const t = text.length > PROSE_PARAMS.maxBytes ? text.slice(0, PROSE_PARAMS.maxBytes) : text;
  const buf = Buffer.from(t);
  const len = Math.max(buf.length, 1);
  const cost = (dict === null ? buf.length * 8 : deflateRawSync(buf, { dictionary: dict, level: 6 }).length * 8) / Math.max(len, 32);
  const self = (deflateRawSync(buf, { level: 6 }).length * 8) / Math.max(len, 32);
  const chars = Math.max(t.length, 1);
  let foreign = 0;
  let digits = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c > 127) foreign++;
    else if (c >= 48 && c <= 57) digits++;
  }
  let encoded = 0;
  for (const m of t.matchAll(ENCODED)) if (/\d/.test(m[0]) && /[A-Z]/.test(m[0]) && /[a-z]/.test(m[0])) encoded += m[0].length;
  const code = (t.match(CODE)?.length ?? 0) / chars;
  return [cost, self, Math.log(len), code, foreign / chars, Math.max(digits, encoded) / chars];
}

function quantiles(xs: readonly number[]): [number, number, number] {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return [at(0.05), at(0.5), at(0.95)];
}

class ProseScorer {
  readonly s: ProseState;
  #dict: Buffer | null = null;
  #bytes = 0;
  rowScore = 0;

  constructor(s: ProseState) {
    this.s = s;
    for (const t of s.dict) this.#bytes += Buffer.byteLength(t) + 1;
  }

  #dictionary(): Buffer | null {
    if (this.s.dict.length === 0) return null;
    if (this.#dict === null) this.#dict = Buffer.from(this.s.dict.join('\n') + '\n');
    return this.#dict;
  }

  feed(text: string): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = PROSE_PARAMS;
    s.n++;
    this.rowScore = 0;
    const f = features(text, this.#dictionary());
    let best = -1;
    let bestZ = 0;
    let bestDir = 0;
    if (s.ins >= P.warmup) {
      for (let k = 0; k < FEATURES.length; k++) {
        const [lo, med, hi] = s.q[k];
        const x = f[k];
        const tail = TAIL[FEATURES[k]];
        const floor = FLOOR[FEATURES[k]];
        const up = tail >= 0 && x > med ? (x - med) / Math.max(hi - med, floor) : 0;
        const down = tail <= 0 && x < med ? (med - x) / Math.max(med - lo, floor) : 0;
        const z = Math.max(up, down);
        if (z > bestZ) {
          bestZ = z;
          best = k;
          bestDir = up >= down ? 1 : -1;
        }
      }
    }
    const score = bestZ > 0 ? bestZ / (bestZ + P.zHalf) : 0;
    this.rowScore = score;
    let out: Omit<Finding, 'index'> | null = null;
    if (best >= 0 && score > 0) {
      const name = FEATURES[best];
      const [lo, med, hi] = s.q[best];
      const show = (x: number): string => (name === 'length' ? `${Math.round(Math.exp(x))} bytes` : x.toFixed(name === 'cost' || name === 'self' ? 2 : 3));
      out = {
        score: Number(Math.min(1, score).toFixed(4)),
        detector: PROSE_DETECTOR,
        explanation:
          `${name === 'self' && bestDir < 0 ? 'Far too compressible (repetitive): ' : ''}${WHAT[name]} ${show(f[best])} vs. a typical ${show(med)} ` +
          `(5-95% of the last ${s.rings[best].length} texts: ${show(lo)}-${show(hi)}; ${bestZ.toFixed(1)} tail widths ${bestDir > 0 ? 'above' : 'below'}).`,
        details: { kind: `prose_${name}`, feature: name, value: Number(f[best].toFixed(4)), typical: Number(med.toFixed(4)), low: Number(lo.toFixed(4)), high: Number(hi.toFixed(4)), z: Number(bestZ.toFixed(3)), direction: bestDir > 0 ? 'high' : 'low' },
      };
    }
    // Normal texts (score < 0.5, fixed: the threshold never changes the state) join the null and the dictionary.
    if (score < 0.5) {
      for (let k = 0; k < FEATURES.length; k++) {
        const ring = s.rings[k];
        if (ring.length < P.nullSize) ring.push(f[k]);
        else ring[s.pos] = f[k];
      }
      s.pos = (s.pos + 1) % P.nullSize;
      s.ins++;
      if (s.ins % P.refresh === 0 || s.ins === P.warmup) s.q = s.rings.map(quantiles);
      const t = text.length > P.maxBytes ? text.slice(0, P.maxBytes) : text;
      s.dict.push(t);
      this.#bytes += Buffer.byteLength(t) + 1;
      while (this.#bytes > P.dictBytes && s.dict.length > 1) this.#bytes -= Buffer.byteLength(s.dict.shift() as string) + 1;
      this.#dict = null;
    }
    return out;
  }

  save(): Uint8Array {
    return encodeState(this.s);
  }
}

export function scoreProse(
  state: Uint8Array | null,
  events: ScoreInput[],
  rows?: Float32Array,
  threshold = 0.5,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const s = state === null || state.length === 0 || !isProse(state) ? fresh() : decodeState<ProseState>(state, 'prose');
  const scorer = new ProseScorer(s);
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    const f = scorer.feed(text);
    if (f !== null && f.score >= threshold) findings.push({ index: i, ...f });
    if (rows !== undefined) rows[i] = Math.min(1, scorer.rowScore);
  }
  return { state: scorer.save(), findings, scored };
}

const TAG = new TextEncoder().encode('"kind":"prose"');

/** A prose state; any other (the line-level text detector's, before this one) starts the stream afresh. */
function isProse(b: Uint8Array): boolean {
  const head = b.subarray(0, 32);
  outer: for (let i = 0; i + TAG.length <= head.length; i++) {
    for (let j = 0; j < TAG.length; j++) if (head[i + j] !== TAG[j]) continue outer;
    return true;
  }
  // Not JSON of an object at all: let decodeState report it.
  return head.length > 0 && head[0] !== 0x7b;
}
