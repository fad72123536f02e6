// Text detector (logs, traces, LLM I/O): compression surprise.
//
//   line ─► normalise (ids/IPs/numbers → <N3>, <H16>, <IP>…)
//        ─► exact template already in the baseline? ──yes──► cost ≈ 0, score 0 (no compression)
//        │ no
//        ▼
//   cost = |deflateRaw(line, dictionary = baseline of recent distinct lines)| in bits
//        ─► robust z against the stream's empirical null of recent costs (median / MAD)
//        ─► score in [0, 1]; finding when score ≥ 0.5 (after warm-up)
//        ─► normal: line joins the baseline (LRU, bounded bytes)
//           anomalous: quarantined; if the same template keeps recurring it is admitted
//           to the baseline, and that finding's explanation says so.
//
// Everything that influences a score lives in the serialised state and is updated per event
// in stream order, so findings do not depend on how the stream was split into batches.
import { deflateRawSync } from 'node:zlib';
import type { Finding, ScoreInput } from '../types.js';
import { normalise } from './normalise.js';
import { decodeState, encodeState } from './state.js';

export const TEXT_DETECTOR = 'compression_surprise';

/** One parameter set for every stream. */
export const TEXT_PARAMS = Object.freeze({
  /** Bytes of distinct normalised lines kept as the deflate dictionary. */
  baselineBytes: 8192,
  /** Lines longer than this (after normalisation) are scored on their first bytes only. */
  maxLineBytes: 2048,
  level: 6,
  /** Recent costs kept for the empirical null. */
  nullSize: 256,
  /** Null statistics are refreshed every this many insertions (keeps per-event cost down). */
  nullRefresh: 16,
  /** No finding before this many events and null samples. */
  warmupEvents: 200,
  warmupNull: 32,
  /** Robust z at which the score reaches 0.5 (the finding threshold). */
  zHalf: 8,
  /** Minimum excess over the typical cost, in bits, before anything is flagged. */
  minExcessBits: 48,
  /** Quarantined template admitted after this many sightings spanning at least admitSpan events. */
  admitCount: 5,
  admitSpan: 300,
  quarantineSize: 32,
  quarantineLineBytes: 512,
  nullTakesAnomalies: true,
});

interface TextState {
  v: 1;
  kind: 'text';
  /** Events seen. */
  n: number;
  /** Distinct normalised lines, least recent first. */
  base: string[];
  /** Ring of recent costs (bits) of non-exact lines, and its write position and fill. */
  ring: number[];
  pos: number;
  /** Insertions into the null so far. */
  ins: number;
  /** Null statistics at the last refresh: median, MAD-scale, p99 of cost; median ratio. */
  med: number;
  scale: number;
  p99: number;
  rmed: number;
  /** Ratio ring, parallel to ring. */
  rring: number[];
  /** Quarantined templates: [line, count, firstSeen]. */
  q: [string, number, number][];
}

function freshState(): TextState {
  return { v: 1, kind: 'text', n: 0, base: [], ring: [], pos: 0, ins: 0, med: 0, scale: 1, p99: 0, rmed: 0, rring: [], q: [] };
}

function median(sorted: number[]): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** The detector as a class for a single task: load state, feed events, save state. */
class TextScorer {
  readonly s: TextState;
  /** Baseline template → present (Map keeps recency order; mirrors s.base). */
  readonly #base = new Map<string, number>();
  #baseBytes = 0;
  #dict: Buffer | null = null;

  constructor(s: TextState) {
    this.s = s;
    for (const line of s.base) this.#add(line);
  }

  #add(line: string): void {
    const bytes = Buffer.byteLength(line) + 1;
    this.#base.set(line, bytes);
    this.#baseBytes += bytes;
    this.#dict = null;
    while (this.#baseBytes > TEXT_PARAMS.baselineBytes && this.#base.size > 1) {
      const oldest = this.#base.keys().next().value as string;
      this.#baseBytes -= this.#base.get(oldest) as number;
      this.#base.delete(oldest);
    }
  }

  #touch(line: string): void {
    const bytes = this.#base.get(line) as number;
    this.#base.delete(line);
    this.#base.set(line, bytes);
    this.#dict = null;
  }

  #dictionary(): Buffer {
    if (this.#dict === null) this.#dict = Buffer.from([...this.#base.keys()].join('\n') + '\n');
    return this.#dict;
  }

  #pushNull(cost: number, ratio: number): void {
    const s = this.s;
    const P = TEXT_PARAMS;
    if (s.ring.length < P.nullSize) {
      s.ring.push(cost);
      s.rring.push(ratio);
    } else {
      s.ring[s.pos] = cost;
      s.rring[s.pos] = ratio;
    }
    s.pos = (s.pos + 1) % P.nullSize;
    s.ins++;
    if (s.ins % P.nullRefresh === 0 || s.ins === P.warmupNull) {
      const sorted = [...s.ring].sort((a, b) => a - b);
      const med = median(sorted);
      const dev = sorted.map((x) => Math.abs(x - med)).sort((a, b) => a - b);
      s.med = med;
      // Scale floors: a stream of near-identical lines has MAD 0; a byte of deflate output is
      // the measurement's resolution.
      s.scale = Math.max(1.4826 * median(dev), 8, 0.1 * med);
      s.p99 = quantile(sorted, 0.99);
      s.rmed = median([...s.rring].sort((a, b) => a - b));
    }
  }

  /** Score one event; returns a finding (without index) or null. */
  feed(text: string): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = TEXT_PARAMS;
    s.n++;
    let line = normalise(text);
    if (line.length > P.maxLineBytes) line = line.slice(0, P.maxLineBytes);
    if (this.#base.has(line)) {
      this.#touch(line);
      return null;
    }
    const buf = Buffer.from(line + '\n');
    const baseLines = this.#base.size;
    const cost = baseLines > 0 ? deflateRawSync(buf, { dictionary: this.#dictionary(), level: P.level }).length * 8 : buf.length * 8;
    const warm = s.n > P.warmupEvents && s.ring.length >= P.warmupNull;
    let z = 0;
    if (warm) z = (cost - s.med) / s.scale;
    const excess = cost - s.med;
    const score = warm && excess >= P.minExcessBits && z > 0 ? z / (z + P.zHalf) : 0;
    if (score < 0.5) {
      // Normal: joins the baseline and the null. The compression ratio is only needed for the
      // null's typical ratio; computing it costs a second, dictionary-free deflate.
      const alone = deflateRawSync(buf, { level: P.level }).length * 8;
      this.#pushNull(cost, cost / alone);
      this.#add(line);
      return null;
    }
    // Anomalous: quarantine rather than baseline (hygiene). Its cost still enters the null
    // (clipped at the current p99 ceiling) so that a stream whose lines are all diverse
    // widens its own null instead of alarming on everything.
    const alone = deflateRawSync(buf, { level: P.level }).length * 8;
    if (P.nullTakesAnomalies) this.#pushNull(Math.min(cost, s.med + P.zHalf * s.scale), cost / alone);
    const key = line.length > P.quarantineLineBytes ? line.slice(0, P.quarantineLineBytes) : line;
    let entry = s.q.find((e) => e[0] === key);
    if (entry === undefined) {
      entry = [key, 0, s.n];
      s.q.push(entry);
      if (s.q.length > P.quarantineSize) s.q.shift();
    }
    entry[1]++;
    const admitted = entry[1] >= P.admitCount && s.n - entry[2] >= P.admitSpan;
    let explanation =
      `Line cost ${cost} bits given the last ${baseLines} distinct lines of this stream vs. a typical ${Math.round(s.med)} bits (p99 ${Math.round(s.p99)}, robust z ${z.toFixed(1)}); ` +
      `compression ratio ${(cost / alone).toFixed(2)} vs. typical ${s.rmed.toFixed(2)}.`;
    if (entry[1] > 1) explanation += ` This pattern was seen ${entry[1]} times since event ${entry[2]}.`;
    if (admitted) {
      explanation += ' It keeps recurring, so it is now accepted into the baseline as normal.';
      s.q.splice(s.q.indexOf(entry), 1);
      this.#add(line);
    }
    return {
      score: Math.min(1, score),
      detector: TEXT_DETECTOR,
      explanation,
      details: {
        cost_bits: cost,
        alone_bits: alone,
        ratio: Number((cost / alone).toFixed(4)),
        typical_bits: Math.round(s.med),
        p99_bits: Math.round(s.p99),
        typical_ratio: Number(s.rmed.toFixed(4)),
        z: Number(z.toFixed(3)),
        baseline_lines: baseLines,
        recurrences: entry[1],
        admitted,
      },
    };
  }

  save(): Uint8Array {
    this.s.base = [...this.#base.keys()];
    return encodeState(this.s);
  }
}

export function scoreText(state: Uint8Array | null, events: ScoreInput[]): { state: Uint8Array; findings: Finding[]; scored: number } {
  const s = state === null || state.length === 0 ? freshState() : decodeState<TextState>(state, 'text');
  const scorer = new TextScorer(s);
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    const f = scorer.feed(text);
    if (f !== null) findings.push({ index: i, ...f });
  }
  return { state: scorer.save(), findings, scored };
}
