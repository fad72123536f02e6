// Log detector: templates first, compression for what is new.
// size-exception: 634 lines: the scorer's per-kind tests (novelty, rarity, slots, rate, silence,
// incidents) share one per-template state; splitting them into files per kind is open work (issue 10).
//
//   line ─► TemplateMiner (templates.ts) ─► template id + slot values
//     │
//     ├─ new template ─► novelty: deflate(template | dictionary of the stream's templates) in bits
//     │                  p = P(a new template at all: the stream's decayed rate of new ones)
//     │                    × P(a new template this costly: the stream's past new-template costs)
//     ├─ known template, first sighting in this block of lines ─► rarity: its decayed share of
//     │                  blocks (p = share; a template that stays rare stays rare, one that became
//     │                  common is not; no admission rule)
//     ├─ each slot ─► low-cardinality (≤ slotValues distinct): an unseen value,
//     │               p = (values seen once + 1) / (sightings + 1) (Good–Turing's chance of a new value)
//     │             ─► numeric with many distinct values: robust z of log(1 + |x|), p = e^−z
//     │             ─► ids, hashes, users (more distinct values than slotValues, not numeric): ignored
//     ├─ per template, event-time buckets of bucketMs ─► rate: P(≥ this many in the bucket) under
//     │                  Poisson(its decayed mean per bucket) (a retry storm of ordinary lines)
//     ├─ event time since the stream's last line ─► silence (stream) and, at bucket ends,
//     │                  templates that usually fill every bucket and stopped (template silence)
//     └─ a line of a template with an open incident (flagged within incidentLines / incidentMs)
//                       ─► reported as part of that incident (a burst of an alert is all reported)
//     └─ a line of a template with a suspect incident (an explicit high level and novelty or rarity
//                       between `suspect` and 0.5) ─► its first p-value × P(this many repeats), the
//                       weaker of the template's prior share and the stream's recent new templates'
//                       repeats; at 0.5 the incident is reported (a burst of a barely-novel FATAL)
//
//   score = S / (S + S½) with S = −log10 p; S½ per kind, lower for lines with an explicit
//   FATAL/ERROR level (severity prior). Findings need score ≥ the task's threshold; the state
//   (and every later score) never depends on the threshold.
//
// Known lines take the fast path: a cached template lookup and a few map updates, no
// compression. Everything is updated per line in stream order, so findings do not depend on how
// the stream is split into batches.
import { deflateRawSync } from 'node:zlib';
import type { Finding, ScoreInput } from '../types.js';
import { decodeState, encodeState } from './state.js';
import { empiricalP } from './pvalue.js';
import { hasHighLevel, severityOf } from './text.js';
import { freshMiner, type MinerState, type Template, TemplateMiner, templateText, isSlot } from './templates.js';

export const LOG_DETECTOR = 'compression_surprise';

export interface LogParams {
  /** Lines per block (rarity counts the blocks a template appears in). */
  blockLines: number;
  /** Half-life of a template's block presence, in blocks. */
  blockHalfLife: number;
  /** Blocks before rarity is judged. */
  minRareBlocks: number;
  /** Half-life of the stream's rate of new templates, in lines. */
  newHalfLife: number;
  /** S½ (−log10 p at which the score is 0.5) for novelty, rarity, slot values, numeric slots, rate, silence. */
  sNovel: number;
  sRare: number;
  sSlot: number;
  sNumeric: number;
  sRate: number;
  sSilence: number;
  /** S½ is divided by (1 + this) for lines with an explicit high level, by (1 + sevWord) for a failure word only. */
  sevLevel: number;
  sevWord: number;
  /** Distinct values above which a slot is high-cardinality (ids, users: ignored unless numeric). */
  slotValues: number;
  /** Sightings of a slot before an unseen value counts. */
  slotMinN: number;
  /** Sightings of a numeric slot before outliers count; EWMA weight of its location and spread. */
  numMinN: number;
  numAlpha: number;
  /** A numeric slot whose values went up on more than this share of steps is a counter (ignored). */
  counterUp: number;
  /** Floor of a numeric slot's spread in log space (0.1 ≈ ±10%). */
  numFloor: number;
  /** Event-time bucket for rates, ms; EWMA weight per bucket; buckets of history before rate counts. */
  bucketMs: number;
  rateAlpha: number;
  rateMinBuckets: number;
  /** Fewest lines in a bucket for a burst. */
  rateMinCount: number;
  /** Overdispersion: the Poisson mean is rateSlack × mean + rateFloor. */
  rateSlack: number;
  rateFloor: number;
  /** An incident stays open this many lines and ms after its last flagged line. */
  incidentLines: number;
  incidentMs: number;
  /** Novelty or rarity scores from this up open a suspect incident: the template's repeats add their evidence (a burst of a barely-novel alert). */
  suspect: number;
  /** An incident holds at most this many lines (a template that keeps coming is the new normal). */
  incidentMax: number;
  /** Bytes of template texts kept as the deflate dictionary, and new-template costs kept for the null. */
  dictBytes: number;
  costRing: number;
  /** Lines before the stream's inter-arrival time counts (silence). */
  silenceMinLines: number;
}

export const LOG_PARAMS: Readonly<LogParams> = Object.freeze({
  blockLines: 64,
  blockHalfLife: 256,
  minRareBlocks: 8,
  newHalfLife: 1000,
  sNovel: 3,
  sRare: 2.5,
  sSlot: 2.5,
  sNumeric: 4,
  sRate: 4,
  sSilence: 6,
  sevLevel: 1,
  sevWord: 0.5,
  slotValues: 16,
  slotMinN: 50,
  numMinN: 50,
  numAlpha: 0.02,
  numFloor: 0.1,
  counterUp: 0.8,
  bucketMs: 10_000,
  rateAlpha: 0.05,
  rateMinBuckets: 30,
  rateMinCount: 4,
  rateSlack: 1.5,
  rateFloor: 0.2,
  incidentLines: 64,
  incidentMs: 60_000,
  incidentMax: 300,
  suspect: 0.3,
  dictBytes: 16_384,
  costRing: 64,
  silenceMinLines: 200,
});

/** Per-slot statistics: values (null once high-cardinality), sightings, numeric location/spread/count. */
interface Slot {
  c: Map<string, number> | null;
  n: number;
  m: number;
  d: number;
  k: number;
  /** Last numeric value and the decayed share of steps that went up (counters and clocks go up). */
  pv: number;
  up: number;
}
type SlotWire = [number, [string, number][] | null, number, number, number, number, number, number];

/** Per-template statistics beside the miner's. */
interface TStat {
  /** Decayed block presence, and the block it was last counted in. */
  pres: number;
  lb: number;
  /** Rate: current bucket, its count, decayed mean per bucket, first bucket seen. */
  b: number;
  bc: number;
  /** Count of the bucket before (a sliding window: bc + pc × the share of the bucket still to come). */
  pc: number;
  rate: number;
  fb: number;
  /** 2: explicit high level, 1: failure word, 0: none. */
  sev: number;
  /** Open incident: last flagged line, its time, its score, its kind (0: none). */
  il: number;
  it: number;
  is: number;
  ik: string;
  /** Lines in the open incident; the line it opened on and the template's lines before it. */
  ic: number;
  io: number;
  ib: number;
  /** Lines of this template since it was created (read when it leaves the young queue). */
  yc: number;
  /** Template silence already reported for this stretch. */
  quiet: boolean;
  slots: Map<number, Slot>;
}
type TStatWire = [number, number, number, number, number, number, number, number, number, number, string, number, number, SlotWire[], number, number, number?, number?, number?];

interface LogState {
  v: 1;
  kind: 'logs';
  n: number;
  miner: MinerState;
  st: TStatWire[];
  /** Decayed count of blocks, the current block. */
  wb: number;
  blk: number;
  /** Decayed counts of lines and of new templates (half-life newHalfLife). */
  wl: number;
  wn: number;
  /** Ring of new-template costs (bits), write position. */
  costs: number[];
  cpos: number;
  /** Recent template texts (dictionary), oldest first. */
  dict: string[];
  /** Last event time, decayed mean inter-arrival (ms), lines timed; the stream's current bucket. */
  lt: number;
  gap: number;
  gn: number;
  sb: number;
  /** Templates created in the last incidentLines lines (id, line, flat); ring of how many more lines the earlier ones had in that span. */
  yq?: number[];
  reps?: number[];
  rp?: number;
}

function fresh(): LogState {
  return { v: 1, kind: 'logs', n: 0, miner: freshMiner(), st: [], wb: 0, blk: 0, wl: 0, wn: 0, costs: [], cpos: 0, dict: [], lt: Number.NaN, gap: 0, gn: 0, sb: Number.NaN };
}

/** log10 of P(X ≥ k) for X ~ Poisson(mu), k ≥ 1. */
export function poissonTailLog10(k: number, mu: number): number {
  if (k <= 0) return 0;
  // Sum terms j = k, k+1, … in log space (the tail is dominated by its first terms when k > mu).
  let lfact = 0;
  for (let j = 2; j <= k; j++) lfact += Math.log(j);
  let lterm = -mu + k * Math.log(mu) - lfact;
  let sum = 0;
  const first = lterm;
  for (let j = k; j < k + 200; j++) {
    sum += Math.exp(lterm - first);
    lterm += Math.log(mu) - Math.log(j + 1);
    if (lterm - first < -30) break;
  }
  return Math.min(0, (first + Math.log(sum)) / Math.LN10);
}

const SINGLE_NUMBER = /^[^0-9]*?(-?\d+(?:\.\d+)?)[^0-9]*$/;

/** The number in a token with exactly one (unit or key= around it allowed); NaN for none, several, or an id (9+ digits, or glued to a word). */
export function numberOf(tok: string): number {
  const m = SINGLE_NUMBER.exec(tok);
  if (m === null) return Number.NaN;
  const digits = m[1].replace(/[-.]/g, '');
  if (digits.length >= 9) return Number.NaN;
  // A number glued to a word or a path ("u23", "worker-7", "/orders/14", "#3") names something; it does not measure it.
  const at = tok.indexOf(m[1]);
  if (at > 0 && /[A-Za-z_/#:-]/.test(tok[at - 1]) && !(tok[at - 1] === '-' && at > 1 && tok[at - 2] === '=')) return Number.NaN;
  // Hex-looking ids (digits with a-f letters around) are not numbers.
  const rest = tok.length - m[1].length;
  if (rest > 0 && /^[0-9a-fA-F-]+$/.test(tok) && /[a-fA-F]/.test(tok)) return Number.NaN;
  return Number(m[1]);
}

const round = (x: number, d = 4): number => Number(x.toFixed(d));
const clip = (s: string, n = 120): string => (s.length > n ? `${s.slice(0, n - 3)}...` : s);

type Out = Omit<Finding, 'index'>;

export class LogScorer {
  readonly s: LogState;
  readonly P: Readonly<LogParams>;
  readonly miner: TemplateMiner;
  readonly #st = new Map<number, TStat>();
  #dict: Buffer | null = null;
  #dictBytes = 0;
  readonly #lb: number;
  readonly #ll: number;
  /** Findings of the last fed line, and its highest score (row score). */
  out: Out[] = [];
  rowScore = 0;

  constructor(s: LogState, params: Readonly<LogParams>) {
    this.s = s;
    this.P = params;
    this.miner = new TemplateMiner(s.miner);
    this.#lb = Math.pow(0.5, 1 / params.blockHalfLife);
    this.#ll = Math.pow(0.5, 1 / params.newHalfLife);
    for (const w of s.st) {
      const slots = new Map<number, Slot>();
      for (const [pos, c, n, m, d, k, pv, up] of w[13]) slots.set(pos, { c: c === null ? null : new Map(c), n, m, d, k, pv, up });
      this.#st.set(w[0], { pres: w[1], lb: w[2], b: w[3], bc: w[4], rate: w[5], fb: w[6], sev: w[7], il: w[8], it: w[9], is: w[11] === 0 ? 0 : w[11], ik: w[10], quiet: w[12] === 1, pc: w[14], ic: w[15], io: w[16] ?? 0, ib: w[17] ?? 0, yc: w[18] ?? 0, slots });
    }
    for (const t of s.dict) this.#dictBytes += t.length + 1;
  }

  #sHalf(base: number, sev: number): number {
    return sev === 2 ? base / (1 + this.P.sevLevel) : sev === 1 ? base / (1 + this.P.sevWord) : base;
  }

  #emit(kind: string, S: number, half: number, explanation: string, details: Out['details']): number {
    const score = S <= 0 ? 0 : S / (S + half);
    this.out.push({ score: round(Math.min(1, score)), detector: kind === 'novel_template' ? LOG_DETECTOR : `log_${kind}`, explanation, details: { kind, p_value: Number(Math.pow(10, -S).toPrecision(3)), ...details } });
    return score;
  }

  #dictionary(): Buffer {
    if (this.#dict === null) this.#dict = Buffer.from(this.s.dict.join('\n') + '\n');
    return this.#dict;
  }

  #addDict(text: string): void {
    this.s.dict.push(text);
    this.#dictBytes += text.length + 1;
    while (this.#dictBytes > this.P.dictBytes && this.s.dict.length > 1) this.#dictBytes -= (this.s.dict.shift() as string).length + 1;
    this.#dict = null;
  }

  /** Scores one line at event time ts. Findings land in `out`. */
  // size-exception: 81 lines, the per-line order of the kinds' tests in one place; to split with the file.
  feed(text: string, ts: number): void {
    const s = this.s;
    const P = this.P;
    if (this.out.length > 0) this.out = [];
    this.rowScore = 0;
    s.n++;
    // Blocks (rarity) and the stream's decayed line count (rate of new templates).
    const blk = Math.floor((s.n - 1) / P.blockLines);
    if (blk !== s.blk) {
      s.wb = s.wb * Math.pow(this.#lb, blk - s.blk - 1) * this.#lb + 1;
      s.blk = blk;
    }
    s.wl = s.wl * this.#ll + 1;
    s.wn *= this.#ll;
    this.#silence(ts);
    this.#young();

    const m = this.miner.match(text, s.n);
    if (m.evicted !== 0) this.#st.delete(m.evicted);
    const t = m.template;
    let st = this.#st.get(t.id);
    const bucket = Math.floor(ts / P.bucketMs);
    if (st === undefined || m.created) {
      st = { pres: 0, lb: blk, b: bucket, bc: 0, pc: 0, ic: 0, io: 0, ib: 0, yc: 0, rate: 0, fb: bucket, sev: 0, il: 0, it: 0, is: 0, ik: '', quiet: false, slots: new Map() };
      this.#st.set(t.id, st);
    }
    let incident = 0;
    st.yc++;
    if (m.created) {
      st.yc = 0;
      (s.yq ??= []).push(t.id, s.n);
      st.sev = severityOf(text) === '' ? 0 : hasHighLevel(text) ? 2 : 1;
      incident = this.#novel(t, st, text);
      s.wn += 1;
    } else {
      // An open incident of this template: the line belongs to it.
      if (st.il > 0 && s.n - st.il <= P.incidentLines && ts - st.it <= P.incidentMs && st.ic < P.incidentMax) {
        st.ic++;
        // A suspect incident (opened under 0.5) gathers evidence from the template's repeats: its
        // first p-value times P(this many of the lines since are of this template), under the
        // template's share of the stream's lines before the incident (Poisson tail).
        if (st.is < 0.5) st.is = this.#burst(st);
        const score = st.is;
        this.out.push({
          score,
          detector: st.ik === 'novel_template' ? LOG_DETECTOR : `log_${st.ik}`,
          explanation: `Part of an open incident: another line of the template "${clip(templateText(t))}" ${s.n - st.il} lines after the last flagged one (first flagged as ${st.ik.replace('_', ' ')}).`,
          details: { kind: 'incident', of: st.ik, template: t.id, since_lines: s.n - st.il },
        });
        st.il = s.n;
        st.it = ts;
      } else {
        // An incident that kept going for incidentMax lines is the stream's new normal: the
        // template counts as present in half the blocks (it decays back to rare if it stops).
        if (st.il > 0 && st.ic >= P.incidentMax) st.pres = Math.max(st.pres * Math.pow(this.#lb, blk - st.lb), s.wb / 2);
        st.il = 0;
        if (st.lb !== blk || st.pres === 0) incident = this.#rarity(t, st, blk);
      }
      if (m.merged !== null) for (const [pos, old] of m.merged) st.slots.set(pos, { c: new Map([[old, t.count - 1]]), n: t.count - 1, m: 0, d: 0, k: 0, pv: 0, up: 0 });
      this.#slots(t, st, m.tokens);
    }
    if (Number.isFinite(ts)) this.#rate(t, st, bucket, ts);
    // Novelty and rarity open an incident (the template's next lines belong to it); a burst does
    // not: the rate test runs on every line and says itself when the burst is over.
    if (incident >= 0.5 || (incident >= P.suspect && st.sev === 2)) {
      st.il = s.n;
      st.it = ts;
      st.is = round(Math.min(1, incident));
      st.ic = 1;
      st.io = s.n;
      st.ib = t.count - 1;
      st.ik = m.created ? 'novel_template' : 'rare_template';
    }
    // Block presence after the rarity test, from lines outside incidents only (hygiene: a burst of
    // an alert does not make it common; one that outlasts incidentMax lines is the new normal).
    if (st.il !== s.n && (st.lb !== blk || st.pres === 0)) {
      st.pres = st.pres * Math.pow(this.#lb, blk - st.lb) + 1;
      st.lb = blk;
    }
    for (const f of this.out) if (f.score > this.rowScore) this.rowScore = f.score;
  }

  /** The score of a suspect incident after its st.ic-th line: its opening evidence plus the burst's. */
  #burst(st: TStat): number {
    const P = this.P;
    const half = this.#sHalf(st.ik === 'novel_template' ? P.sNovel : P.sRare, st.sev);
    const S0 = (st.is * half) / (1 - st.is);
    const share = (st.ib + 0.5) / (st.io + 1);
    // The null is the weaker of two: the template's own share, and how many lines the stream's
    // recent new templates had in their first incidentLines lines (new templates of some streams
    // come in bursts).
    const S1 = Math.min(-poissonTailLog10(st.ic - 1, share * (this.s.n - st.io)), -Math.log10(empiricalP(this.s.reps ?? [], st.ic - 1)));
    const S = S0 + S1;
    return round(Math.min(1, S / (S + half)));
  }

  /** Templates older than incidentLines leave the young queue; their line counts join the ring. */
  #young(): void {
    const s = this.s;
    const q = s.yq;
    if (q === undefined || q.length === 0 || q[1] + this.P.incidentLines >= s.n) return;
    let k = 0;
    while (k < q.length && q[k + 1] + this.P.incidentLines < s.n) {
      const c = this.#st.get(q[k])?.yc ?? 0;
      const reps = (s.reps ??= []);
      if (reps.length < this.P.costRing) reps.push(c);
      else reps[s.rp ?? 0] = c;
      s.rp = ((s.rp ?? 0) + 1) % this.P.costRing;
      k += 2;
    }
    q.splice(0, k);
  }

  #novel(t: Template, st: TStat, text: string): number {
    const s = this.s;
    const P = this.P;
    const tt = templateText(t);
    const buf = Buffer.from(tt + '\n');
    const cost = s.dict.length > 0 ? deflateRawSync(buf, { dictionary: this.#dictionary(), level: 6 }).length * 8 : buf.length * 8;
    const pNew = (s.wn + 1) / (s.wl + 2);
    const pCost = empiricalP(s.costs, cost);
    const S = -Math.log10(pNew * pCost);
    const half = this.#sHalf(P.sNovel, st.sev);
    const score = this.#emit(
      'novel_template',
      S,
      half,
      `New template "${clip(tt)}": it costs ${cost} bits given the stream's ${s.dict.length} recent templates ` +
        `(${s.costs.length > 0 ? `p = ${pCost.toPrecision(2)} against the last ${s.costs.length} new templates' costs` : 'no earlier new template'}), ` +
        `and this stream starts a new template on ${(pNew * 100).toPrecision(2)}% of its lines${st.sev > 0 ? `; severity "${severityOf(text)}"` : ''}.`,
      { template: t.id, cost_bits: cost, p_cost: Number(pCost.toPrecision(3)), p_new_template: Number(pNew.toPrecision(3)), null_size: s.costs.length, severity: st.sev },
    );
    if (s.costs.length < P.costRing) s.costs.push(cost);
    else s.costs[s.cpos] = cost;
    s.cpos = (s.cpos + 1) % P.costRing;
    this.#addDict(tt);
    return score;
  }

  #rarity(t: Template, st: TStat, blk: number): number {
    const s = this.s;
    const P = this.P;
    if (s.wb < P.minRareBlocks) return 0;
    const pres = st.pres * Math.pow(this.#lb, blk - st.lb);
    const f = (pres + 0.5) / (s.wb + 1);
    const S = -Math.log10(f);
    const half = this.#sHalf(P.sRare, st.sev);
    if (S / (S + half) < 0.25) return 0;
    return this.#emit(
      'rare_template',
      S,
      half,
      `Rare template "${clip(templateText(t))}": seen in ${pres.toFixed(1)} of the last ${s.wb.toFixed(0)} blocks of ${P.blockLines} lines (decayed, half-life ${P.blockHalfLife} blocks), ${t.count - 1} lines in all.`,
      { template: t.id, block_share: Number(f.toPrecision(3)), blocks: round(s.wb, 1), count: t.count - 1, severity: st.sev },
    );
  }

  #slots(t: Template, st: TStat, tokens: readonly string[]): void {
    const P = this.P;
    const tt = t.tokens;
    for (let i = 0; i < tt.length; i++) {
      if (!isSlot(tt[i])) continue;
      const v = tokens[i];
      let sl = st.slots.get(i);
      if (sl === undefined) {
        sl = { c: new Map(), n: 0, m: 0, d: 0, k: 0, pv: 0, up: 0 };
        st.slots.set(i, sl);
      }
      if (sl.c !== null) {
        const c = sl.c.get(v);
        if (c !== undefined) sl.c.set(v, c + 1);
        else {
          if (sl.n >= P.slotMinN) {
            let once = 0;
            for (const x of sl.c.values()) if (x === 1) once++;
            const p = (once + 1) / (sl.n + 1);
            const S = -Math.log10(p);
            const half = this.#sHalf(P.sSlot, st.sev);
            if (S / (S + half) >= 0.25) {
              const seen = [...sl.c].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([x, k]) => `${x} (${k})`).join(', ');
              this.#emit('unseen_value', S, half, `Value "${clip(v, 60)}" never seen in slot ${i} of "${clip(templateText(t), 80)}" in ${sl.n} lines with ${sl.c.size} distinct values: ${seen}.`, {
                template: t.id, slot: i, value: clip(v, 60), sightings: sl.n, distinct: sl.c.size, seen_once: once,
              });
            }
          }
          sl.c.set(v, 1);
          if (sl.c.size > P.slotValues) sl.c = null;
        }
      }
      sl.n++;
      // A slot that has held 32 values and never a number is not numeric: skip the parse.
      if (sl.k === 0 && sl.n > 32) continue;
      const x = numberOf(v);
      if (Number.isNaN(x)) continue;
      const y = Math.log1p(Math.abs(x));
      // A counter or a clock (its values mostly go up) is an id, not a measurement.
      if (sl.k > 0) sl.up += (sl.k < 20 ? 1 / sl.k : 0.05) * ((x > sl.pv ? 1 : 0) - sl.up);
      sl.pv = x;
      if (sl.k >= P.numMinN && sl.up < P.counterUp) {
        const spread = Math.max(1.25 * sl.d, P.numFloor);
        const z = Math.abs(y - sl.m) / spread;
        const S = z * Math.LOG10E;
        const half = this.#sHalf(P.sNumeric, st.sev);
        if (S / (S + half) >= 0.25) {
          const typical = Math.expm1(sl.m);
          this.#emit('numeric_outlier', S, half, `Value ${x} in slot ${i} of "${clip(templateText(t), 80)}" is ${(Math.abs(x) / Math.max(typical, 1e-9)).toPrecision(3)}× its typical ${typical.toPrecision(3)} (robust z ${z.toFixed(1)} on a log scale over ${sl.k} values).`, {
            template: t.id, slot: i, value: x, typical: Number(typical.toPrecision(4)), z: round(z, 2),
          });
        }
      }
      // Location and spread: EWMA, the update winsorised at 4 spreads so one outlier moves them little.
      sl.k++;
      if (sl.k === 1) {
        sl.m = y;
        sl.d = 0;
      } else {
        const a = Math.max(P.numAlpha, 1 / sl.k);
        const spread = Math.max(1.25 * sl.d, P.numFloor);
        const yc = sl.k > 10 ? Math.min(sl.m + 4 * spread, Math.max(sl.m - 4 * spread, y)) : y;
        sl.d += a * (Math.abs(yc - sl.m) - sl.d);
        sl.m += a * (yc - sl.m);
      }
    }
  }

  #rate(t: Template, st: TStat, bucket: number, ts: number): number {
    const P = this.P;
    if (bucket > st.b) {
      const k = st.b - st.fb;
      const a = Math.max(P.rateAlpha, 1 / (k + 1));
      // Winsorised once learnt: a storm raises the usual rate by little, so the next storm is still one.
      st.rate = st.rate * (1 - a) + a * (k < P.rateMinBuckets ? st.bc : Math.min(st.bc, 2 * st.rate + 2));
      if (bucket - st.b > 1) st.rate *= Math.pow(1 - a, bucket - st.b - 1);
      st.pc = bucket - st.b === 1 ? st.bc : 0;
      st.b = bucket;
      st.bc = 0;
      st.quiet = false;
    }
    st.bc++;
    // A sliding window of one bucket: this bucket's count and the part of the last one it still covers.
    const frac = (ts - bucket * P.bucketMs) / P.bucketMs;
    const c = st.bc + Math.floor(st.pc * (1 - Math.min(1, Math.max(0, frac))));
    if (st.b - st.fb < P.rateMinBuckets || c < P.rateMinCount) return 0;
    const mu = P.rateSlack * st.rate + P.rateFloor;
    const S = -poissonTailLog10(c, mu);
    const half = P.sRate;
    if (S / (S + half) < 0.5) return 0;
    return this.#emit('rate', S, half, `Burst of "${clip(templateText(t))}": ${c} lines in the last ${P.bucketMs / 1000} s vs. a usual ${st.rate.toPrecision(2)} per ${P.bucketMs / 1000} s (Poisson, mean taken as ${mu.toPrecision(2)}).`, {
      template: t.id, count: c, usual: round(st.rate, 3), window_ms: P.bucketMs,
    });
  }

  #silence(ts: number): void {
    const s = this.s;
    const P = this.P;
    if (!Number.isFinite(ts)) return;
    if (!Number.isNaN(s.lt) && ts >= s.lt) {
      const dt = ts - s.lt;
      if (s.gn >= P.silenceMinLines && s.gap > 0) {
        const S = (dt / s.gap) * Math.LOG10E;
        if (S / (S + P.sSilence) >= 0.5) {
          this.#emit('silence', S, P.sSilence, `The stream was silent for ${(dt / 1000).toFixed(1)} s of event time before this line; its lines usually arrive every ${(s.gap / 1000).toPrecision(2)} s.`, {
            silent_ms: dt, usual_gap_ms: round(s.gap, 1),
          });
        }
      }
      // Mean inter-arrival, each gap clipped at 20 means so one silence does not become the norm.
      const a = Math.max(0.01, 1 / (s.gn + 1));
      s.gap += a * (Math.min(dt, s.gn > 20 ? 20 * s.gap : dt) - s.gap);
      s.gn++;
    }
    if (Number.isNaN(s.lt) || ts > s.lt) s.lt = ts;
    // Template silence, once per stream bucket: templates that fill every bucket and stopped.
    const b = Math.floor(ts / P.bucketMs);
    if (!Number.isNaN(s.sb) && b > s.sb) {
      for (const [id, st] of this.#st) {
        if (st.quiet || st.b - st.fb < P.rateMinBuckets || st.rate < 3) continue;
        const missed = b - st.b - 1;
        if (missed < 1) continue;
        const S = (st.rate * missed - Math.log(1 + missed)) * Math.LOG10E;
        if (S / (S + P.sSilence) < 0.5) continue;
        st.quiet = true;
        const t = this.miner.get(id);
        this.#emit('template_silence', S, P.sSilence, `Template "${clip(t === undefined ? String(id) : templateText(t))}" has been silent for ${missed} windows of ${P.bucketMs / 1000} s; it usually has ${st.rate.toPrecision(2)} lines per window.`, {
          template: id, silent_windows: missed, usual: round(st.rate, 3),
        });
      }
    }
    if (Number.isNaN(s.sb) || b > s.sb) s.sb = b;
  }

  save(): Uint8Array {
    const s = this.s;
    s.miner = this.miner.save();
    const st: TStatWire[] = [];
    for (const [id, x] of this.#st) {
      const slots: SlotWire[] = [];
      for (const [pos, sl] of x.slots) slots.push([pos, sl.c === null ? null : [...sl.c], sl.n, sl.m, sl.d, sl.k, sl.pv, sl.up]);
      st.push([id, x.pres, x.lb, x.b, x.bc, x.rate, x.fb, x.sev, x.il, x.it, x.ik, x.is, x.quiet ? 1 : 0, slots, x.pc, x.ic, x.io, x.ib, x.yc]);
    }
    s.st = st;
    // Unrounded: a stream split into many tasks must score exactly as in one.
    return encodeState(s);
  }
}

const TEXT_TAG = new TextEncoder().encode('"kind":"text"');

/** True when the bytes are a state of the older line-level text detector ({"v":1,"kind":"text",…}). */
function isTextState(b: Uint8Array): boolean {
  const head = b.subarray(0, 32);
  outer: for (let i = 0; i + TEXT_TAG.length <= head.length; i++) {
    for (let j = 0; j < TEXT_TAG.length; j++) if (head[i + j] !== TEXT_TAG[j]) continue outer;
    return true;
  }
  return false;
}

export function scoreLogs(
  state: Uint8Array | null,
  events: ScoreInput[],
  params: Readonly<LogParams> = LOG_PARAMS,
  rows?: Float32Array,
  threshold = 0.5,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  // A state of the line-level text detector (before templates) starts the stream afresh.
  const s = state === null || state.length === 0 || isTextState(state) ? fresh() : decodeState<LogState>(state, 'logs');
  const scorer = new LogScorer(s, params);
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    scorer.feed(text, typeof e.ts === 'number' ? e.ts : Number.NaN);
    for (const f of scorer.out) if (f.score >= threshold) findings.push({ index: i, ...f });
    if (rows !== undefined) rows[i] = Math.min(1, scorer.rowScore);
  }
  return { state: scorer.save(), findings, scored };
}
