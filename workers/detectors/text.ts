// Text detector (logs, traces, LLM I/O): compression surprise.
// size-exception: ~700 lines (~450 of code): the quarantine's incident and rarity rules (issue 11) and the
// in-place deflate dictionary grew it; to split (baseline and dictionary / null / quarantine): the regex
// normaliser this waited for is gone (normalise.ts).
//
//   line ─► normalise (ids/IPs/numbers → <N3>, <H16>, <IP>…)
//        ─► exact line already in the baseline? ──yes──► normal (no compression)
//        │ no
//        ├─► pattern (skeleton: the line's words) quarantined? ──yes──► recurrence, no compression:
//        │      sightings at most incidentGap events apart are one incident, all reported (a burst
//        │      of an alert) while the pattern is rare. Rarity is its decayed frequency, no count
//        │      of sightings: common when its long-run occurrences (half-life rareHalfLife; an
//        │      incident's close lines count once, an incident longer than steadySpan keeps
//        │      adding) expect it at least once in the next rareHorizon events, or while it makes
//        │      up commonShare of the recent lines (a sustained flow); rare again when the flow
//        │      stops (a burst) or after a long absence. Without a severity word a recurrence is
//        │      folded into the first finding (mildRecurrenceWeight × its score; the later lines
//        │      of one incident are not reported again).
//        │ no
//        ▼
//   cost = |deflateRaw(line, dictionary = baseline of recent distinct lines)| in bits
//        ─► robust z against the stream's empirical null of recent costs (median / MAD), and
//           an empirical p-value: the share of those recent costs (of this same stream, in
//           stream order, never a shuffle) at least as high. Numbers, ids and timestamps are
//           normalised away first, so counters and clocks do not make every line look new.
//        ─► score = z / (z + zHalf), zHalf lowered for severe lines (an explicit FATAL/ERROR
//           level; less for failure words when there is no level token); finding when ≥ the task's
//           threshold (default 0.5) after warm-up (warmupEvents lines; a slow regular stream:
//           warmupMs of event time and warmupEventsSlow lines)
//        ─► the threshold decides only what is reported: baseline, null and quarantine always
//           cut at 0.5, so the state (and every later score) is the same whatever the profile
//        ─► normal: line joins the baseline (LRU, bounded bytes of UTF-8 and of JSON) and the null
//           anomalous: its pattern is quarantined, not baselined (hygiene)
//
// Beside the per-line score, every line feeds the template-mix tracker (mix.ts): one
// 'template_mix' finding on a window's last line when known lines arrive in unusual
// proportions.
//
// Everything that influences a score lives in the serialised state and is updated per event
// in stream order, so findings do not depend on how the stream was split into batches.
import { deflatedBits } from './deflate.js';
import type { Finding, ScoreInput } from '../types.js';
import { normalise } from './normalise.js';
import { decodeState, encodeState } from './state.js';
import { freshMix, hashLine, MixDrift, type MixState } from './mix.js';
import { empiricalP, formatP } from './pvalue.js';
import { jsonBytes, TEXT_BUDGET } from './budget.js';
import { hasHighLevel, severityOf, skeleton } from './text-words.js';

export { hasHighLevel, severityOf, skeleton } from './text-words.js';

export const TEXT_DETECTOR = 'compression_surprise';

/**
 * One parameter set for every stream. Chosen on BGL_2k, Thunderbird_2k and the demo log
 * (test/workers/detect.e2e.test.ts prints the figures); see the sensitivity notes there.
 */
export const TEXT_PARAMS: Readonly<TextParams> = Object.freeze({
  /** Bytes of distinct normalised lines kept as the deflate dictionary. */
  baselineBytes: 16384,
  /** …and at most this many bytes of them in the state's JSON (budget.ts; bites only on lines of escaped characters). */
  baselineJsonBytes: TEXT_BUDGET.baseline,
  /** Lines longer than this (after normalisation) are scored on their first bytes only. */
  maxLineBytes: 2048,
  level: 6,
  /** Recent costs kept for the empirical null. */
  nullSize: 256,
  /** Null statistics are refreshed every this many insertions (keeps per-event cost down). */
  nullRefresh: 16,
  /** No finding before this many events and null samples. */
  warmupEvents: 100,
  warmupNull: 16,
  /**
   * …except in a regular stream, whose lines are mostly exact repeats of known lines, so that
   * few lines ever reach the null (issue 11: a logfmt stream of 1,500 lines held 6-13 costs, and
   * never reported its never-seen errors): past warmupEvents events, this many samples suffice.
   */
  warmupNullRegular: 4,
  /**
   * …or, in event time, once the stream has sent lines for this long, at least
   * warmupEventsSlow of them, and is regular (at most half of its lines were not exact repeats
   * of known lines, so it has shown its vocabulary): a slow stream (a scheduler's line every
   * 30 s) otherwise spends most of an hour learning and misses its never-seen errors (issue 11,
   * k8s tuning seeds 201-205); a slow but varied log (Loghub's Mac) keeps the count. Only where
   * the caller gives event times (logs.ts).
   */
  warmupMs: 15 * 60_000,
  warmupEventsSlow: 32,
  /** Robust z at which the score reaches 0.5 (the finding threshold). */
  zHalf: 8,
  /** Minimum excess over the typical cost, in bits, before anything is flagged. */
  minExcessBits: 48,
  /** A severe line (see severityOf) needs a z of zHalf / (1 + severityBoost); 0 disables. */
  severityBoost: 3,
  /**
   * …but when the severity comes only from a failure word in the message (no explicit
   * FATAL/ERROR level token), zHalf / (1 + severityBoostWord): weaker evidence, smaller prior.
   */
  severityBoostWord: 2,
  /**
   * A recurrence of a quarantined pattern without a severity word is folded into its first
   * finding: it scores this fraction of the first sighting's score, so at the default threshold
   * 0.5 only a strongly surprising pattern (first score ≥ 0.5 / 0.65 ≈ 0.77) is reported again; a
   * sensitive profile sees the rest. Severe recurrences keep the full score.
   */
  mildRecurrenceWeight: 0.65,
  /** Sightings of a quarantined pattern at most this many events apart are one incident. */
  incidentGap: 32,
  /**
   * Rarity is a quarantined pattern's decayed frequency, at two time scales (no count of
   * sightings decides). The long run: its occurrences, decayed with this half-life in events. A
   * sighting after more than incidentGap events without the pattern is an occurrence; the close
   * sightings of one incident are the same occurrence (a burst of an alert counts once) until
   * the incident has gone on for steadySpan events, longer than a burst: it then counts for its
   * duration (duration / incidentGap occurrences, a steady trickle: common at once), and each
   * later sighting for the time since the previous one (gap / incidentGap).
   */
  rareHalfLife: 2000,
  steadySpan: 350,
  /**
   * …common when that frequency expects it at least once in this many events (frequency ×
   * ln 2 / rareHalfLife × rareHorizon ≥ 1, i.e. about 3.2 recent occurrences); rare again when
   * the expectation falls under ½ (a long absence).
   */
  rareHorizon: 900,
  /**
   * The recent run: its sightings decayed with this half-life; common while they make up at
   * least commonShare of the stream's recent lines (sightings × ln 2 / recentHalfLife): a
   * sustained flow of the pattern (about 100 lines in a row) is the stream's present
   * behaviour. Once the flow stops this share fades within a few hundred events and the
   * long-run frequency alone decides, so a burst does not make a rare error common for long.
   */
  recentHalfLife: 500,
  commonShare: 0.125,
  quarantineSize: 32,
  /** …and at most this many bytes of entries in the state's JSON (budget.ts; the least recently seen out). */
  quarantineBytes: TEXT_BUDGET.quarantine,
  /** Longest pattern key (skeleton) kept in the quarantine. */
  quarantineLineBytes: 512,
  /** Costs of flagged lines enter the null, clipped at the threshold. */
  nullTakesAnomalies: true,
});

export interface TextParams {
  baselineBytes: number;
  baselineJsonBytes: number;
  maxLineBytes: number;
  level: number;
  nullSize: number;
  nullRefresh: number;
  warmupEvents: number;
  warmupNull: number;
  warmupNullRegular: number;
  warmupMs: number;
  warmupEventsSlow: number;
  zHalf: number;
  minExcessBits: number;
  incidentGap: number;
  rareHalfLife: number;
  steadySpan: number;
  rareHorizon: number;
  recentHalfLife: number;
  commonShare: number;
  quarantineSize: number;
  quarantineBytes: number;
  quarantineLineBytes: number;
  nullTakesAnomalies: boolean;
  /** Severity words divide zHalf by (1 + this) for novel lines; 0 disables. */
  severityBoost: number;
  /** Like severityBoost, for lines whose severity is only a failure word (no level token). */
  severityBoostWord: number;
  /** Score of a non-severe recurrence, as a fraction of its pattern's first score. */
  mildRecurrenceWeight: number;
}

/** Sampling of the typical compression ratio (explanations only). */
const RATIO_EVERY = 8;
const RATIO_RING = 32;

/**
 * A quarantined pattern: [skeleton, sightings, first event, score, first cost bits, typical bits
 * then, severity word, last sighting, long-run decayed frequency (weighted occurrences), start
 * of the last incident, its sightings, 1 while common, the line it was accepted with, recent
 * decayed sightings]. Entries of 13 fields (written before the recent frequency) and of 7
 * (before incidents) are upgraded by upgradeTextState.
 */
type QEntry = [string, number, number, number, number, number, string, number, number, number, number, number, string, number];

/** A quarantine entry's bytes in the state's JSON: its strings, and its 11 numbers (at most 23 characters each), commas and brackets. */
function entryBytes(e: QEntry): number {
  return jsonBytes(e[0]) + jsonBytes(e[6]) + jsonBytes(e[12]) + 11 * 23 + 16;
}

export interface TextState {
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
  /** Ring of sampled compression ratios (cost given the baseline / cost alone), and its write position. */
  rring: number[];
  rpos: number;
  /** Quarantined patterns. */
  q: QEntry[];
  /** Window-level template-mix drift (mix.ts). */
  mix: MixState;
  /** Event time of the first line fed with one (TEXT_PARAMS.warmupMs); absent until then. */
  t0?: number;
}

export function freshTextState(): TextState {
  return { v: 1, kind: 'text', n: 0, base: [], ring: [], pos: 0, ins: 0, med: 0, scale: 1, p99: 0, rmed: 0, rring: [], rpos: 0, q: [], mix: freshMix() };
}

function median(sorted: ArrayLike<number>): number {
  const m = sorted.length >> 1;
  return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
}

function quantile(sorted: ArrayLike<number>, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface BaseLine {
  bytes: Buffer;
  hash: number;
  /** Where #dictionary() last put its bytes in #arena (-1: not yet). */
  off: number;
  /** Its bytes in the state's JSON (with a comma). */
  json: number;
}

/** The detector as a class for a single task: load state, feed events, save state. */
export class TextScorer {
  readonly s: TextState;
  /** Baseline line → its UTF-8 bytes ended by \n and its hashLine() (the Map keeps recency order, least recent first; mirrors s.base). */
  readonly #base = new Map<string, BaseLine>();
  #baseBytes = 0;
  #baseJson = 0;
  /** The quarantine's bytes in the state's JSON (entryBytes summed). */
  #qBytes = 0;
  /**
   * The deflate dictionary (the baseline's bytes in that order) is #arena[#from, #to) while
   * #valid: a new line is appended in place and an evicted one dropped from the front, so only a
   * reordering (a known line touched) or a full arena makes #dictionary() copy the lines again.
   */
  #arena: Buffer = Buffer.alloc(0);
  #from = 0;
  #to = 0;
  #valid = false;

  readonly P: Readonly<TextParams>;
  readonly #mix: MixDrift;
  /** Per-task memo of line hashes (most lines of a batch repeat). */
  readonly #hashes = new Map<string, number>();
  /** The template-mix finding of the last event fed, if any (read by scoreText). */
  mixFinding: Omit<Finding, 'index'> | null = null;
  /** The last fed line's surprise score (0 for a known line or during warm-up). */
  rowScore = 0;
  /** The last fed line's empirical p-value against the stream's null; NaN when it was not compared (a known line, a recurrence, warm-up). */
  rowP = Number.NaN;
  /** The null sample's size rowP was computed against. */
  rowN = 0;

  /** Baseline lines accepted with a quarantined pattern that became common → its entry. */
  readonly #accepted = new Map<string, QEntry>();

  constructor(s: TextState, params: Readonly<TextParams>) {
    this.s = s;
    for (const e of s.q) if (e[12] !== '') this.#accepted.set(e[12], e);
    this.P = params;
    this.#mix = new MixDrift(s.mix);
    for (const line of s.base) this.#add(line);
    for (const e of s.q) this.#qBytes += entryBytes(e);
    // A state saved before the byte bound may hold more.
    this.#trimQuarantine();
  }

  /** Drops the least recently seen patterns while the quarantine holds too many or too many bytes (never the last one). */
  #trimQuarantine(): void {
    const q = this.s.q;
    while (q.length > 1 && (q.length > this.P.quarantineSize || this.#qBytes > this.P.quarantineBytes)) {
      const gone = q.shift() as QEntry;
      this.#qBytes -= entryBytes(gone);
      if (gone[12] !== '') this.#accepted.delete(gone[12]);
    }
  }

  /** The most recent baseline line (the dictionary's last), or null. */
  #newest: string | null = null;

  /** `bytes`: the line's UTF-8 bytes ended by \n, when the caller has them. */
  #add(line: string, bytes: Buffer = Buffer.from(line + '\n')): void {
    const json = jsonBytes(line) + 1;
    const entry: BaseLine = { bytes, hash: hashLine(line), off: -1, json };
    this.#base.set(line, entry);
    this.#newest = line;
    this.#baseBytes += bytes.length;
    this.#baseJson += json;
    if (this.#valid) {
      if (this.#to + bytes.length <= this.#arena.length) {
        this.#arena.set(bytes, this.#to);
        entry.off = this.#to;
        this.#to += bytes.length;
      } else this.#valid = false;
    }
    while ((this.#baseBytes > this.P.baselineBytes || this.#baseJson > this.P.baselineJsonBytes) && this.#base.size > 1) {
      const oldest = this.#base.keys().next().value as string;
      const old = this.#base.get(oldest) as BaseLine;
      const gone = old.bytes.length;
      this.#baseBytes -= gone;
      this.#baseJson -= old.json;
      this.#base.delete(oldest);
      this.#from += gone;
    }
  }

  /** A known line seen again: it becomes the most recent (`entry`: its entry). */
  #touch(line: string, entry: BaseLine): void {
    // Already the most recent: the order, and so the dictionary, stay as they are.
    if (line === this.#newest) return;
    this.#newest = line;
    this.#base.delete(line);
    this.#base.set(line, entry);
    this.#valid = false;
  }

  #dictionary(): Buffer {
    if (!this.#valid) {
      // The baseline's lines, least recent first, each ended by \n, in the arena. The leading
      // lines already there in this order (from the least recent line's place on) stay: most
      // touches move a recent line last, so only the lines from the first one out of place on
      // are copied again. Every live line's bytes are at its `off` after a pass (a write lands
      // past the lines kept, on a line this pass copies later or on none).
      let fresh = false;
      if (this.#arena.length < this.#baseBytes) {
        this.#arena = Buffer.allocUnsafe(Math.max(4 * this.P.baselineBytes, 2 * this.#baseBytes));
        fresh = true;
      }
      let from = -1;
      let at = 0;
      let kept = !fresh;
      for (const e of this.#base.values()) {
        if (from < 0) {
          from = kept && e.off >= 0 && e.off + this.#baseBytes <= this.#arena.length ? e.off : 0;
          at = from;
        }
        if (kept && e.off === at) {
          at += e.bytes.length;
          continue;
        }
        kept = false;
        this.#arena.set(e.bytes, at);
        e.off = at;
        at += e.bytes.length;
      }
      this.#from = Math.max(from, 0);
      this.#to = at;
      this.#valid = true;
    }
    if (this.#view.byteOffset - this.#arena.byteOffset !== this.#from || this.#view.length !== this.#to - this.#from || this.#view.buffer !== this.#arena.buffer) {
      this.#view = this.#arena.subarray(this.#from, this.#to);
    }
    return this.#view;
  }

  /** The last dictionary handed out (a view of #arena[#from, #to)). */
  #view: Buffer = Buffer.alloc(0);

  #sorted = new Float64Array(0);
  #dev = new Float64Array(0);

  /** Adds a cost (and, when measured, a compression ratio) to the stream's null. */
  #pushNull(cost: number, ratio: number | null): void {
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
    if (s.ins % P.nullRefresh === 0 || s.ins <= P.warmupNull) {
      // Sorted in two scratch arrays (numeric order, as a comparator sort of these finite costs).
      const n = s.ring.length;
      if (this.#sorted.length < n) {
        this.#sorted = new Float64Array(Math.max(n, P.nullSize));
        this.#dev = new Float64Array(this.#sorted.length);
      }
      const sorted = this.#sorted.subarray(0, n);
      sorted.set(s.ring);
      sorted.sort();
      const med = median(sorted);
      const dev = this.#dev.subarray(0, n);
      for (let i = 0; i < n; i++) dev[i] = Math.abs(sorted[i] - med);
      dev.sort();
      s.med = med;
      // Scale floors: a stream of near-identical lines has MAD 0; a byte of deflate output is
      // the measurement's resolution.
      s.scale = Math.max(1.4826 * median(dev), 8, 0.1 * med);
      s.p99 = quantile(sorted, 0.99);
      if (s.rring.length > 0) s.rmed = median([...s.rring].sort((a, b) => a - b));
    }
  }

  /** The normalised form of a raw line, as the baseline holds it. */
  normLine(text: string): string {
    const line = normalise(text);
    return line.length > this.P.maxLineBytes ? line.slice(0, this.P.maxLineBytes) : line;
  }

  hashOf(line: string): number {
    let h = this.#hashes.get(line);
    if (h === undefined) {
      h = hashLine(line);
      if (this.#hashes.size < 4096) this.#hashes.set(line, h);
    }
    return h;
  }

  /**
   * Score one event (`norm`: its normalisation when the caller has it); returns a finding (without
   * index) or null. `explained`: asked only for a line that would be costed (not a known line,
   * not a recurrence); true when the caller knows the line's new text to be benign (logs.ts: a
   * known template's line whose only new text is in id-like slots): it is then normal whatever its
   * cost (no finding, not quarantined; it joins the baseline and the null). `ts`: the line's
   * event time (ms), for the warm-up in event time (warmupMs).
   */
  feed(text: string, threshold = 0.5, norm?: string, explained?: () => boolean, ts?: number): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    s.n++;
    const timed = typeof ts === 'number' && Number.isFinite(ts);
    if (timed && s.t0 === undefined) s.t0 = ts;
    this.rowScore = 0;
    this.rowP = Number.NaN;
    const line = norm ?? this.normLine(text);
    const known = this.#base.get(line);
    const h = known === undefined ? this.hashOf(line) : known.hash;
    this.mixFinding = this.#mix.observe(h, this.#name, threshold);
    if (known !== undefined) {
      this.#touch(line, known);
      // A line accepted with a common pattern still counts towards that pattern's rarity.
      const qa = this.#accepted.size === 0 ? undefined : this.#accepted.get(line);
      return qa === undefined ? null : this.#recur(qa, line, severityOf(text));
    }
    const key = skeleton(line, P.quarantineLineBytes);
    const sev = P.severityBoost > 0 ? severityOf(text) : '';
    const q = this.#quarantined(key);
    if (q !== undefined) return this.#recur(q, line, sev);

    const buf = Buffer.from(line + '\n');
    const baseLines = this.#base.size;
    const cost = baseLines > 0 ? deflatedBits(buf, P.level, this.#dictionary()) : buf.length * 8;
    const warm = (s.n > P.warmupEvents || (timed && s.n > P.warmupEventsSlow && 2 * s.ins <= s.n && ts - (s.t0 as number) >= P.warmupMs)) &&
      s.ring.length >= Math.min(P.warmupNull, P.warmupNullRegular);
    let z = 0;
    if (warm) z = (cost - s.med) / s.scale;
    const excess = cost - s.med;
    // A severity word (FATAL, panic, error…) in a line the baseline cannot explain halves the z
    // needed to reach 0.5; it never makes a known line anomalous.
    // A failure word without an explicit level token is weaker evidence (severityBoostWord).
    const zHalf = sev === '' ? P.zHalf : P.zHalf / (1 + (hasHighLevel(text) ? P.severityBoost : P.severityBoostWord));
    const surprise = warm && excess >= P.minExcessBits && z > 0 ? z / (z + zHalf) : 0;
    // Asked only for a line that would be reported or quarantined (the state is the same whatever the threshold).
    const score = surprise > 0 && surprise >= Math.min(threshold, 0.5) && explained !== undefined && explained() ? 0 : surprise;
    this.rowScore = score;
    // Against the costs as they were before this line joins them.
    if (warm) {
      this.rowP = empiricalP(s.ring, cost);
      this.rowN = s.ring.length;
    }
    if (score < 0.5) {
      // Normal: joins the baseline and the null. The compression ratio only feeds the typical
      // ratio quoted in explanations, and costs a second, dictionary-free deflate: it is
      // sampled on every RATIO_EVERY-th null insertion.
      // A threshold below 0.5 (sensitive profile) reports the line, which still joins the baseline.
      const low = score > 0 && score >= threshold ? this.#novel(buf, cost, z, baseLines, sev, Number(score.toFixed(4)), true) : null;
      const ratio = s.ins % RATIO_EVERY === 0 ? cost / deflatedBits(buf, P.level) : null;
      this.#pushNull(cost, ratio);
      this.#add(line, buf);
      return low;
    }
    // Anomalous: quarantine rather than baseline (hygiene). Its cost still enters the null
    // (clipped at the current threshold) so that a stream whose lines are all diverse
    // widens its own null instead of alarming on everything.
    const alone = deflatedBits(buf, P.level);
    if (P.nullTakesAnomalies) this.#pushNull(Math.min(cost, s.med + zHalf * s.scale), cost / alone);
    const entry: QEntry = [key, 1, s.n, Number(Math.min(1, score).toFixed(4)), cost, Math.round(s.med), sev, s.n, 1, s.n, 1, 0, '', 1];
    s.q.push(entry);
    this.#qBytes += entryBytes(entry);
    this.#trimQuarantine();
    return this.#novel(buf, cost, z, baseLines, sev, entry[3], false, alone);
  }

  /** The finding of a novel line (baselined: it scored under 0.5 and joined the baseline). */
  #novel(
    buf: Buffer, cost: number, z: number, baseLines: number, sev: string, score: number, baselined: boolean,
    alone = deflatedBits(buf, this.P.level),
  ): Omit<Finding, 'index'> {
    const s = this.s;
    const p = Number.isNaN(this.rowP) ? 1 : this.rowP;
    const explanation =
      `Line cost ${cost} bits given the last ${baseLines} distinct lines of this stream vs. a typical ${Math.round(s.med)} bits (p99 ${Math.round(s.p99)}, robust z ${z.toFixed(1)}, ${formatP(p, this.rowN, 'line costs')}); ` +
      `compression ratio ${(cost / alone).toFixed(2)} vs. typical ${s.rmed.toFixed(2)}${sev !== '' ? `; severity word "${sev}"` : ''}.` +
      (baselined ? ' Below the default threshold 0.5, reported because this stream is set to be more sensitive; the line joins the baseline.' : '');
    return {
      score,
      detector: TEXT_DETECTOR,
      explanation,
      details: {
        kind: 'novel',
        cost_bits: cost,
        alone_bits: alone,
        ratio: Number((cost / alone).toFixed(4)),
        typical_bits: Math.round(s.med),
        p99_bits: Math.round(s.p99),
        typical_ratio: Number(s.rmed.toFixed(4)),
        z: Number(z.toFixed(3)),
        p_value: Number(p.toPrecision(3)),
        null_size: this.rowN,
        baseline_lines: baseLines,
        severity: sev,
        recurrences: 1,
        admitted: false,
        ...(baselined ? { baselined: true } : {}),
      },
    };
  }

  /**
   * A line whose pattern is quarantined (flagged earlier): no compression. Sightings within
   * incidentGap events of the previous one belong to the same incident, and an incident's lines
   * are all reported (a burst of an alert is one incident) while the pattern is rare. Rarity is
   * its decayed frequency, not a count of sightings: it is common when its long-run frequency
   * (occurrences, half-life rareHalfLife, a clump of close sightings weighing about one) expects
   * it at least once in the next rareHorizon events, or while it makes up commonShare of the
   * stream's recent lines (half-life recentHalfLife: a sustained flow). A pattern that keeps
   * coming stays common; one that stops is rare again once its recent share has faded (a burst)
   * or its long-run expectation has fallen under ½ (a long absence).
   */
  #recur(q: QEntry, line: string, sev: string): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    q[1]++;
    const span = s.n - q[2];
    const gap = s.n - q[7];
    const inIncident = gap <= P.incidentGap;
    const severe = sev !== '' || q[6] !== '';
    // Frequencies as they were just before this sighting.
    const long = q[8] * 2 ** (-gap / P.rareHalfLife);
    const recent = q[13] * 2 ** (-gap / P.recentHalfLife);
    const expectOf = (f: number): number => (f * Math.LN2 * P.rareHorizon) / P.rareHalfLife;
    const shareOf = (f: number): number => (f * Math.LN2) / P.recentHalfLife;
    // Hysteresis on the long run: a pattern that keeps coming stays common; after a long absence
    // (its expectation under ½) it is rare again.
    const wasCommon = q[11] === 1 && (expectOf(long) >= 0.5 || shareOf(recent) >= P.commonShare);
    if (inIncident) q[10]++;
    else {
      q[9] = s.n;
      q[10] = 1;
    }
    // This sighting as an occurrence: a new incident is one; inside an incident, nothing while
    // it is no longer than a burst; once it has gone on for steadySpan events, its whole
    // duration in units of incidentGap, then the share of incidentGap each sighting covers.
    const dur = s.n - q[9];
    const w = !inIncident ? 1 : dur < P.steadySpan ? 0 : q[7] - q[9] < P.steadySpan ? dur / P.incidentGap : gap / P.incidentGap;
    q[8] = Number((long + w).toFixed(4));
    q[13] = Number((recent + 1).toFixed(4));
    q[7] = s.n;
    // Most recently seen last: the quarantine drops the pattern seen longest ago.
    s.q.splice(s.q.indexOf(q), 1);
    s.q.push(q);
    const expect = expectOf(q[8]);
    const share = shareOf(q[13]);
    const common = wasCommon || expect >= 1 || share >= P.commonShare;
    q[11] = common ? 1 : 0;
    if (common && wasCommon) return null;
    // Without a severity word, the lines of an incident after its first are folded into it: a
    // routine message that comes in a run is reported once per run, not once per line.
    if (!severe && inIncident && !common) return null;
    // On becoming common its line joins the baseline (the dictionary), as a normal line does.
    if (common && q[12] === '' && !this.#base.has(line)) {
      this.#add(line);
      q[12] = line;
      this.#accepted.set(line, q);
      // The entry now keeps its line: the patterns seen longest ago make room (q itself is the most recent).
      this.#qBytes += jsonBytes(line) - 2;
      this.#trimQuarantine();
    }
    const admitted = common;
    const seen = inIncident
      ? `A pattern first flagged ${span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again ${gap} events after its previous line: part of the same incident (${q[10]} lines). `
      : `A pattern first flagged ${span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again after ${gap} events without it. `;
    const why =
      `At its decayed frequency (${q[8].toFixed(2)} occurrences, half-life ${P.rareHalfLife} events; an incident's close lines count once) it is expected ${expect.toFixed(2)} times in the next ${P.rareHorizon} events (common at 1), ` +
      `and it made up ${(100 * share).toFixed(1)}% of the stream's recent lines (half-life ${P.recentHalfLife} events; common at ${(100 * P.commonShare).toFixed(1)}%)`;
    let explanation = admitted
      ? `${seen}${why}: it has become common, so it is now accepted into the baseline as normal while it keeps coming (it is rare again once it stops for long).`
      : `${seen}Still rare: ${why.charAt(0).toLowerCase()}${why.slice(1)}.`;
    // Without a severity word, a recurrence is folded into the first finding: a fraction of its
    // score (a mildly surprising pattern's recurrences fall under the default threshold).
    const score = severe ? q[3] : Number((q[3] * P.mildRecurrenceWeight).toFixed(4));
    if (!severe) explanation += ` No severity word: folded into the first finding (score ${q[3]} × ${P.mildRecurrenceWeight}).`;
    return {
      score,
      detector: TEXT_DETECTOR,
      explanation,
      details: {
        kind: inIncident ? 'incident' : 'rare', first_cost_bits: q[4], typical_bits: q[5], recurrences: q[1], since_events: span, gap_events: gap,
        frequency: q[8], expected: Number(expect.toFixed(4)), recent_share: Number(share.toFixed(4)), severity: sev || q[6], admitted,
      },
    };
  }

  /** The quarantine's entry of a pattern key (the first, as s.q.find would give), or undefined. */
  #quarantined(key: string): QEntry | undefined {
    const q = this.s.q;
    for (let i = 0; i < q.length; i++) if (q[i][0] === key) return q[i];
    return undefined;
  }

  /** #nameOf as one function for the whole task (not a closure per line). */
  readonly #name = (h: number): string | undefined => this.#nameOf(h);

  /** A baseline line with this hash (for explanations), most recent first. */
  #nameOf(h: number): string | undefined {
    const lines = [...this.#base.keys()];
    for (let i = lines.length - 1; i >= 0; i--) if (hashLine(lines[i]) === h) return lines[i];
    return undefined;
  }

  save(): Uint8Array {
    return encodeState(this.saveState());
  }

  saveState(): TextState {
    this.s.base = [...this.#base.keys()];
    this.s.mix = this.#mix.save();
    return this.s;
  }
}

/** A text state as saved by any earlier version, brought to this one's shape. */
export function upgradeTextState(s: TextState): TextState {
  // States written before the pattern quarantine (3-field entries, no ratio ring position).
  if (typeof s.rpos !== 'number') s.rpos = 0;
  const q = s.q as unknown[][];
  // Entries written before incidents were counted (7 fields): one occurrence, at the first
  // sighting. Entries written before the recent frequency (13 fields): their decayed count of
  // incidents is the long-run frequency (an incident weighs one occurrence) and the sightings
  // of their last incident the recent one.
  s.q = q
    .filter((e) => e.length === 7 || e.length === 13 || e.length === 14)
    .map((e) => (e.length === 7 ? [...e, e[2], 1, e[2], 1, 0, '', 1] : e.length === 13 ? [...e, e[10]] : e)) as QEntry[];
  if (s.mix === undefined) s.mix = freshMix();
  return s;
}

export function scoreText(
  state: Uint8Array | null,
  events: ScoreInput[],
  params: Readonly<TextParams> = TEXT_PARAMS,
  /** When given (length events.length): per event, the line's score (its highest finding's, else its surprise score). */
  rows?: Float32Array,
  /** Findings need a score ≥ this; it never changes the state (0.5: the default profile). */
  threshold = 0.5,
  /** When given (length events.length): per event, its empirical p-value against the stream's null (NaN when not compared). */
  pValues?: Float64Array,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const s = upgradeTextState(state === null || state.length === 0 ? freshTextState() : decodeState<TextState>(state, 'text'));
  const scorer = new TextScorer(s, params);
  const findings: Finding[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    const f = scorer.feed(text, threshold);
    if (f !== null && f.score >= threshold) findings.push({ index: i, ...f });
    if (scorer.mixFinding !== null) findings.push({ index: i, ...scorer.mixFinding });
    if (rows !== undefined) rows[i] = Math.min(1, Math.max(scorer.rowScore, f?.score ?? 0, scorer.mixFinding?.score ?? 0));
    if (pValues !== undefined) pValues[i] = scorer.rowP;
  }
  return { state: scorer.save(), findings, scored };
}
