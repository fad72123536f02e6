// Text detector (logs, traces, LLM I/O): compression surprise.
//
//   line ─► normalise (ids/IPs/numbers → <N3>, <H16>, <IP>…)
//        ─► exact line already in the baseline? ──yes──► normal (no compression)
//        │ no
//        ├─► pattern (its words; a routine line's outside numbered tokens: patternKey) quarantined? ──yes──► recurrence, no compression:
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
//
// The parts: text-params.ts (TEXT_PARAMS), text-state.ts (the serialised state), text-baseline.ts
// (the baseline and its deflate dictionary), text-null.ts (the cost null), text-quarantine.ts (the
// quarantine and its rarity rules); this file feeds a line through them.
import { deflatedBits } from './deflate.js';
import type { Finding, ScoreInput } from '../types.js';
import { normalise } from './normalise.js';
import { decodeState, encodeState } from './state.js';
import { MixDrift, shapeHash } from './mix.js';
import { empiricalP, formatP } from './pvalue.js';
import { LineSeverity, patternKey, skeleton } from './text-words.js';
import { TEXT_DETECTOR, type TextParams, TEXT_PARAMS } from './text-params.js';
import { freshTextState, type QEntry, type TextState, upgradeTextState } from './text-state.js';
import { TextBaseline } from './text-baseline.js';
import { CostNull, RATIO_EVERY } from './text-null.js';
import { Quarantine } from './text-quarantine.js';

export { hasHighLevel, LineSeverity, patternKey, severityOf, skeleton, warnedFailure } from './text-words.js';
export { TEXT_DETECTOR, TEXT_PARAMS, type TextParams } from './text-params.js';
export { freshTextState, upgradeTextState, type TextState } from './text-state.js';

/** The detector as a class for a single task: load state, feed events, save state. */
export class TextScorer {
  readonly s: TextState;
  /** The baseline and its deflate dictionary (text-baseline.ts). */
  readonly #base: TextBaseline;
  /** The stream's null of recent costs (text-null.ts). */
  readonly #null: CostNull;
  /** The quarantined patterns (text-quarantine.ts). */
  readonly #quarantine: Quarantine;

  readonly P: Readonly<TextParams>;
  readonly #mix: MixDrift;
  /** Per-task memo of line hashes (most lines of a batch repeat). */
  readonly #hashes = new Map<string, number>();
  /** The template-mix finding of the last event fed, if any (read by scoreText). */
  mixFinding: Omit<Finding, 'index'> | null = null;
  /** The severity words of the line being fed (a caller that asks them first, logs.ts, shares them: of(text)). */
  readonly severity = new LineSeverity();
  /** The last fed line's surprise score (0 for a known line or during warm-up). */
  rowScore = 0;
  /** The last fed line's empirical p-value against the stream's null; NaN when it was not compared (a known line, a recurrence, warm-up). */
  rowP = Number.NaN;
  /** The null sample's size rowP was computed against. */
  rowN = 0;

  constructor(s: TextState, params: Readonly<TextParams>) {
    this.s = s;
    this.P = params;
    this.#mix = new MixDrift(s.mix);
    this.#base = new TextBaseline(params);
    for (const line of s.base) this.#base.add(line);
    this.#null = new CostNull(s, params);
    this.#quarantine = new Quarantine(s, params, this.#base);
  }

  /**
   * The stream is young at event time `ts` in one of its two phases (unknown times: not):
   * `settle`, it has not settled (TEXT_PARAMS.settleMs, settleEvents: its routine lines are
   * learnt, not reported, by the novelty scores); `habit`, it is still learning its habits
   * (habitMs, habitEvents: logs-values.ts judges metadata values after it).
   */
  young(ts: number | undefined, phase: 'settle' | 'habit'): boolean {
    const s = this.s;
    const P = this.P;
    return typeof ts === 'number' && Number.isFinite(ts) && s.t0 !== undefined && s.n < P[`${phase}Events`] && ts - s.t0 < P[`${phase}Ms`];
  }

  /**
   * The line is routine (LineSeverity.routine: no severity word, no warning that names a failure)
   * as this scorer reads it: with severityBoost 0 a severity word is no severity (feed's `sev`),
   * so it does not exempt the line from the settling either.
   */
  routine(w: LineSeverity): boolean {
    return w.warned === '' && (this.P.severityBoost <= 0 || w.word === '');
  }

  /** The normalised form of a raw line, as the baseline holds it. */
  normLine(text: string): string {
    const line = normalise(text);
    return line.length > this.P.maxLineBytes ? line.slice(0, this.P.maxLineBytes) : line;
  }

  hashOf(line: string): number {
    let h = this.#hashes.get(line);
    if (h === undefined) {
      h = shapeHash(line);
      if (this.#hashes.size < 4096) this.#hashes.set(line, h);
    }
    return h;
  }

  /**
   * Score one event (`norm`: its normalisation when the caller has it); returns a finding (without
   * index) or null. `explained`: asked only for a line that would be costed (not a known line,
   * not a recurrence); true when the caller knows the line's new text to be benign (logs.ts: a
   * known template's line whose only new text is in id-like slots; with `known` true, asked of a
   * line without a severity word, also one with no new text in its slots at all): it is then
   * normal whatever its cost (no finding, not quarantined; it joins the baseline and the null). A
   * quarantined pattern's recurrence asks it too (text-quarantine.ts). `ts`: the line's
   * event time (ms), for the warm-up in event time (warmupMs).
   */
  feed(text: string, threshold = 0.5, norm?: string, explained?: (known: boolean) => boolean, ts?: number): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    s.n++;
    const timed = typeof ts === 'number' && Number.isFinite(ts);
    if (timed && s.t0 === undefined) s.t0 = ts;
    if (timed) this.#quarantine.pace(ts);
    this.rowScore = 0;
    this.rowP = Number.NaN;
    this.#last = null;
    const line = norm ?? this.normLine(text);
    const w = this.severity.of(text);
    const known = this.#base.get(line);
    const h = known === undefined ? this.hashOf(line) : known.hash;
    this.mixFinding = this.#mix.observe(h, this.#name, threshold);
    if (known !== undefined) {
      this.#base.touch(line, known);
      // A line accepted with a common pattern still counts towards that pattern's rarity.
      const qa = this.#quarantine.acceptedOf(line);
      return qa === undefined ? null : this.#quarantine.recur(qa, line, w.word || w.warned, undefined, ts);
    }
    const sev = P.severityBoost > 0 ? w.word : '';
    // A routine line's pattern leaves out the words of its numbered tokens (a user agent, a
    // thread, a query: patternKey), so it is counted as one pattern and becomes common as a whole.
    // A severe line keeps its full skeleton: its recurrences are all reported while rare, and a
    // coarser identity would report lines that compression judges familiar (BGL_2k's benign FATALs).
    const key = sev === '' ? patternKey(line, P.quarantineLineBytes) : skeleton(line, P.quarantineLineBytes);
    const q = this.#quarantine.find(key);
    // A warning that names a failure recurs as a severe pattern does (text-words.ts).
    if (q !== undefined) return this.#quarantine.recur(q, line, sev || w.warned, explained, ts);
    return this.#costed(w, line, key, sev, threshold, explained, ts);
  }

  /** A line neither known nor quarantined: its cost against the baseline, scored against the null. */
  #costed(w: LineSeverity, line: string, key: string, sev: string, threshold: number, explained: ((known: boolean) => boolean) | undefined, ts: number | undefined): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    const timed = typeof ts === 'number' && Number.isFinite(ts);
    const buf = Buffer.from(line + '\n');
    const baseLines = this.#base.size;
    const cost = baseLines > 0 ? deflatedBits(buf, P.level, this.#base.dictionary()) : buf.length * 8;
    // A line with an explicit error level is judged by the null without the warm-up's costs
    // (text-null.ts); before it exists, by the costs after the warm-up once lateNull of them came,
    // and with fewer it is held out (pending: neither baseline nor null). So is a warning that
    // names a failure (an error report at warning level, text-words.ts), without the severity prior.
    // (The warning's failure word is '' for a line with a high level: `high` is the same.)
    const warned = w.warned;
    const high = w.high;
    // A routine line (LineSeverity.routine) of a stream that has not settled in event time is learnt (settleMs).
    const warm = (s.n > P.warmupEvents || (timed && s.n > P.warmupEventsSlow && 2 * s.ins <= s.n && ts - (s.t0 as number) >= P.warmupMs)) &&
      s.ring.length >= Math.min(P.warmupNull, P.warmupNullRegular) && (!this.routine(w) || !this.young(ts, 'settle'));
    const late = high && s.mm === undefined ? this.#null.young() : null;
    const [med, scale] = s.mm !== undefined && high ? s.mm : late !== null && late[2] >= P.lateNull ? [late[0], late[1]] : [s.med, s.scale];
    const pending = warm && late !== null && late[2] < P.lateNull;
    let z = 0;
    if (warm) z = (cost - med) / scale;
    const excess = cost - med;
    // A severity word (FATAL, panic, error…) in a line the baseline cannot explain halves the z
    // needed to reach 0.5; it never makes a known line anomalous.
    // A failure word without an explicit level token is weaker evidence (severityBoostWord).
    const zHalf = sev === '' ? P.zHalf : P.zHalf / (1 + (high ? P.severityBoost : P.severityBoostWord));
    let surprise = warm && excess >= P.minExcessBits && z > 0 ? z / (z + zHalf) : 0;
    // A line without a severity word whose cost is not in the tail of the stream's own recent
    // costs (a full null, more than a share rareCostP of them as high) is not news, however far
    // above the median it lies: a stream whose costs are heavy-tailed (JSON records with varied
    // fields, a scanner's requests now and then) has a MAD far below its tail.
    if (surprise >= 0.5 && sev === '' && P.rareCostP > 0 && s.ring.length >= P.nullSize && empiricalP(s.ring, cost) > P.rareCostP) surprise = 0.4999;
    // Asked only for a line that would be reported or quarantined (the state is the same whatever the threshold).
    // A severe line during an ongoing severe incident is never benign novelty (Quarantine.severeIncident).
    // A line without a severity word whose every part the stream has shown (a known template, no
    // new value in its slots) is known, however much it costs: the dictionary forgot it (slots.ts).
    const score = surprise > 0 && surprise >= Math.min(threshold, 0.5) && explained !== undefined && !(P.severeIncidentNews && sev !== '' && this.#quarantine.severeIncident(patternKey(line, P.quarantineLineBytes))) && explained(this.routine(w)) ? 0 : surprise;
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
      // A reported line that is also ratio-sampled is deflated alone once for both.
      const reported = score > 0 && score >= threshold;
      const sampled = s.ins % RATIO_EVERY === 0;
      const alone = reported || sampled ? deflatedBits(buf, P.level) : 0;
      const low = reported ? this.#novel(buf, cost, z, baseLines, sev, Number(score.toFixed(4)), true, alone, med) : null;
      const ratio = sampled ? cost / alone : null;
      if (!pending) {
        this.#null.push(cost, ratio);
        this.#base.add(line, buf);
      }
      if (sev !== '' || warned !== '') this.#last = { line, key, cost, med: Math.round(med), sev: sev || warned, ts: timed && ts > 0 ? ts : 0 };
      return low;
    }
    // Anomalous: quarantine rather than baseline (hygiene). Its cost still enters the null
    // (clipped at the current threshold) so that a stream whose lines are all diverse
    // widens its own null instead of alarming on everything.
    const alone = deflatedBits(buf, P.level);
    if (P.nullTakesAnomalies) this.#null.push(Math.min(cost, med + zHalf * scale), cost / alone);
    const entry = this.#entry(key, score, cost, Math.round(med), sev || warned, timed && ts > 0 ? ts : 0);
    this.#quarantine.open(entry);
    return this.#novel(buf, cost, z, baseLines, sev, entry[3], false, alone, med);
  }

  /** A new quarantine entry: the pattern `key` of a line flagged at `score` (its cost, the typical cost, its severity word, its event time or 0). */
  #entry(key: string, score: number, cost: number, med: number, sev: string, ts: number): QEntry {
    const n = this.s.n;
    return [key, 1, n, Number(Math.min(1, score).toFixed(4)), cost, med, sev, n, 1, n, 1, 0, '', 1, 1, 1, ts, 0, 0, 0, ts];
  }

  /** The last fed line when it was severe and costed as normal (joined the baseline, or held out pending): flagged(), else null. */
  #last: { line: string; key: string; cost: number; med: number; sev: string; ts: number } | null = null;

  /**
   * The last fed line, severe (a severity word or a warning that names a failure) and judged
   * normal here, was reported by another novelty score of the caller at `score` (≥ flaggedScore: a value
   * never seen in its metadata, a new template; logs.ts): it is a flagged line all the same. It
   * leaves the baseline and its pattern is quarantined, so its recurrences are judged by rarity
   * (a burst of it reported line by line while rare) instead of being known lines (host19: a web
   * host's first kernel warning "nfs: server … not responding, timed out", reported for its new
   * appname, then its 60-120 repeats silent as exact repeats). Returns whether it did.
   */
  flagged(score: number): boolean {
    const l = this.#last;
    this.#last = null;
    if (l === null || score < this.P.flaggedScore || this.#quarantine.find(l.key) !== undefined) return false;
    this.#base.remove(l.line);
    this.#quarantine.open(this.#entry(l.key, score, l.cost, l.med, l.sev, l.ts));
    return true;
  }

  /** The finding of a novel line (baselined: it scored under 0.5 and joined the baseline). */
  #novel(
    buf: Buffer, cost: number, z: number, baseLines: number, sev: string, score: number, baselined: boolean,
    alone = deflatedBits(buf, this.P.level),
    /** The typical cost the line was judged against. */
    med = this.s.med,
  ): Omit<Finding, 'index'> {
    const s = this.s;
    const p = Number.isNaN(this.rowP) ? 1 : this.rowP;
    const explanation =
      `Line cost ${cost} bits given the last ${baseLines} distinct lines of this stream vs. a typical ${Math.round(med)} bits (p99 ${Math.round(s.p99)}, robust z ${z.toFixed(1)}, ${formatP(p, this.rowN, 'line costs')}); ` +
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
        typical_bits: Math.round(med),
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

  /** The baseline's nameOf as one function for the whole task (not a closure per line). */
  readonly #name = (h: number): string | undefined => this.#base.nameOf(h);

  save(): Uint8Array {
    return encodeState(this.saveState());
  }

  saveState(): TextState {
    this.s.base = this.#base.lines();
    this.s.mix = this.#mix.save();
    return this.s;
  }
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
