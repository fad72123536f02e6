// Logs detector (streams of type logs and traces): templates, then scores that each explain
// themselves in words.
//
//   line ─► scan: tokens + key (digit tokens masked; a JSON object's fields as key=value, json-line.ts; a CSV record's columns, csv-line.ts) ─► template miner
//        │
//        ▼
//   novelty and rarity (text.ts): normalised line already in the baseline? → known, no
//        compression; else compression surprise of the normalised line against the
//        stream's dictionary of recent distinct lines; a flagged pattern is quarantined, its
//        bursts are incidents whose lines are all reported, and it stays anomalous while its
//        decayed frequency stays low (a rare error stays rare after one long burst);
//        a known template's line whose only new text is a new value of an id-like slot is
//        benign novelty, not a finding (slots.ts)
//        │
//   episodes (logs-episodes.ts): per template with a signal (a severity word, a warning), its
//        episodes in event time (lines within a minute are one), decayed: a template seen in many
//        separate episodes is a habit, and its line without an explicit error level is normal for
//        the text detector (a retry warning all day); one whose history is a long burst stays
//        rare, and a warning's lone return is reported (template_rarity)
//        │
//   every line, either path:
//   ├─► slot values (fields.ts): per template and slot, an unseen (or once-seen, long ago) value
//   │   of a low-cardinality slot (status, currency, region), a numeric outlier (latency, size)
//   │   against the same route's values (the template's other categorical slots together, or
//   │   each alone, the tightest history); high-cardinality slots (ids, users, hashes) are recognised and ignored;
//   │   keyed slots (status=) also per key name over the stream's templates
//   ├─► pairs (logs-pairs.ts): in a JSON record, a field value never seen with its actor (a
//   │   user, a principal) once that actor's pairs have settled: an actor doing what it never did
//   ├─► metadata: the event's own fields, per stream and field name, judged the same way
//   ├─► rate: per template, lines in windows of event time vs the template's decayed mean,
//   │   and a scan of its last 5 lines' span (quasi-Poisson tails): a burst of an ordinary
//   │   but infrequent line (a retry storm), seen from its first few lines
//   └─► silence, once per window of event time (also at an idle tick {ts, idle: true}): a
//       steady template that stopped while the stream went on, or the whole stream stopped
//
// Event time only (the events' timestamps), no clock: a replay gives the same findings. Every
// influence on a score lives in the serialised state and is updated per event in stream order,
// so findings do not depend on how the stream was split into batches (test/workers/logs.unit).
// State: logs-state.ts. Slot values and metadata: logs-values.ts; rate and silence: logs-rate.ts.
import type { Finding, ScoreInput } from '../types.js';
import { encodeState } from './state.js';
import { LiveScorers } from './live.js';
import { ProseLines } from './logs-prose.js';
import { TEXT_PARAMS, TextScorer } from './text.js';
import { MINER_PARAMS, scan, TemplateMiner, type Match } from './templates.js';
import { chargeSlotStats, explainedBySlots, SLOT_NEW_PARAMS } from './slots.js';
import { flushFields } from './fields.js';
import { jsonWords, severityView } from './json-line.js';
import { csvWords } from './csv-line.js';
import { loadState, type LogsState, type Part } from './logs-state.js';
import { META_DETECTOR, SLOT_DETECTOR, ValueScorer } from './logs-values.js';
import { EXPECTED, RateScorer } from './logs-rate.js';
import { RepeatScorer } from './logs-repeat.js';
import { EntityScorer } from './logs-entity.js';
import { NEWS_DETECTOR, templateNews } from './logs-news.js';
import { pairNews } from './logs-pairs.js';
import { partnerNews } from './logs-partner.js';
import { foldBurst } from './logs-fold.js';
import { foldWave, sameKind, WAVE_PARAMS } from './logs-wave.js';
import { BUSY } from './rate.js';
import { EpisodeScorer } from './logs-episodes.js';
import { opensSequel, sequelLine } from './logs-sequel.js';
import { dropShares, shareLine } from './logs-share.js';

export { poissonTailLog10, poissonTailLog10Real, RATE_PARAMS, SILENCE_PARAMS } from './rate.js';
export { META_DETECTOR, SLOT_DETECTOR } from './logs-values.js';
export { RATE_DETECTOR, SILENCE_DETECTOR } from './logs-rate.js';
export { REPEAT_PARAMS, VALUE_BURST_DETECTOR } from './logs-repeat.js';
export { ENTITY_DETECTOR, ENTITY_PARAMS } from './logs-entity.js';
export { NEWS_DETECTOR, NEWS_PARAMS } from './logs-news.js';
export { PAIR_DETECTOR, PAIR_PARAMS } from './logs-pairs.js';
export { FOLD_PARAMS } from './logs-fold.js';
export { WAVE_PARAMS } from './logs-wave.js';
export { EPISODE_PARAMS, RARITY_DETECTOR } from './logs-episodes.js';
export { SEQUEL_DETECTOR, SEQUEL_PARAMS } from './logs-sequel.js';
export { SHARE_DETECTOR, SHARE_PARAMS } from './logs-share.js';

/** The novelty scores a stream that has not settled learns from instead of reporting (TEXT_PARAMS.settleMs). */
const SETTLING = new Set([NEWS_DETECTOR, SLOT_DETECTOR, META_DETECTOR]);

/**
 * A routine line of a stream that has not settled: its novelty findings are dropped (their
 * scorers have learnt the line all the same); the line's top score without them, under 0.5.
 */
function learnt(out: Part[], top: number): number {
  let kept = 0;
  let left = 0;
  for (const p of out) {
    if (SETTLING.has(p.detector)) continue;
    out[kept++] = p;
    left = Math.max(left, p.score);
  }
  if (kept === out.length) return top;
  out.length = kept;
  return Math.max(left, Math.min(top, 0.4999));
}

/** The detector for one task: load state, feed events, save state. */
class LogScorer {
  readonly #s: LogsState;
  readonly #text: TextScorer;
  readonly #miner: TemplateMiner;
  readonly #prose: ProseLines;
  readonly #values: ValueScorer;
  readonly #rates: RateScorer;
  readonly #repeats: RepeatScorer;
  readonly #entities: EntityScorer;
  readonly #episodes: EpisodeScorer;
  #n = 0;

  constructor(s: LogsState) {
    this.#s = s;
    this.#text = new TextScorer(s.t, TEXT_PARAMS);
    this.#miner = new TemplateMiner(s.m, MINER_PARAMS);
    this.#prose = new ProseLines(s.p, s);
    this.#values = new ValueScorer(s, this.#miner, this.#evicted);
    this.#rates = new RateScorer(s, this.#miner, this.#evicted);
    this.#repeats = new RepeatScorer(s, this.#miner, this.#evicted);
    this.#entities = new EntityScorer(s, this.#miner, this.#evicted);
    this.#episodes = new EpisodeScorer(s, this.#miner, this.#evicted);
    this.#n = lineCount(s);
    chargeSlotStats(this.#miner, s.s, this.#evicted);
    this.#rates.chargePeriods();
    this.#repeats.chargeRecords();
    this.#entities.chargeRecords();
    this.#episodes.chargeRecords();
  }

  /** A template the miner evicted: its slot, rate and period statistics go with it. */
  readonly #evicted = (id: number): void => {
    delete this.#s.s[id];
    delete this.#s.r[id];
    if (this.#s.rp !== undefined) delete this.#s.rp[id];
    if (this.#s.hv !== undefined) delete this.#s.hv[id];
    if (this.#s.hd !== undefined) delete this.#s.hd[id];
    if (this.#s.hb !== undefined) delete this.#s.hb[id];
    if (this.#s.he !== undefined) delete this.#s.he[id];
    if (this.#s.ep !== undefined) delete this.#s.ep[id];
    if (this.#s.fw !== undefined) delete this.#s.fw[id];
    dropShares(this.#s, id);
  };

  /** Scores one event: its findings (at least `threshold`), and the highest score seen. */
  feed(e: ScoreInput, text: string, threshold: number, out: Part[]): number {
    if (this.#prose.claims(text, threshold, out)) {
      const top = Math.max(this.#prose.rowScore, this.#rates.silence(e.ts, threshold, out));
      this.#rates.streamLine(e.ts);
      return top;
    }
    const deep = this.#deep;
    if (deep.length !== 0) deep.length = 0;
    const json = jsonWords(text, deep);
    // A CSV record's columns are fields as a JSON record's are (csv-line.ts); its severity is read in the whole line (its columns have no names).
    const words = json ?? csvWords(text);
    // The line's severity words (a JSON record's in its severity fields), worked out once for the text detector and the settling rule below.
    const sev = this.#text.severity.of(text, json === null ? undefined : severityView(json));
    const sc = scan(words === null ? text : words.join(' '), MINER_PARAMS.maxTokens);
    this.#n++;
    const m = this.#miner.match(sc, this.#n, this.#evicted);
    if (m.before !== undefined) this.#values.widened(m.template, m.before);
    let top = 0;
    this.#m = m;
    this.#tokens = sc.tokens;
    // The template's episodes: a rare template's return is reported; a habit's line that states no error level is normal for the text detector.
    const { score: rare, habit } = this.#episodes.line(m.template, e.ts, sev, threshold, out);
    top = rare;
    // A prose line the free-text detector is still learning: its text novelty only when severe (logs-prose.ts).
    if (!this.#prose.learning || sev.word !== '') {
      const f = this.#text.feed(text, threshold, this.#text.normLine(text), this.#explained, e.ts);
      const cap = habit ? 0.4999 : 1;
      top = Math.max(top, Math.min(cap, this.#text.rowScore));
      if (f !== null) {
        top = Math.max(top, Math.min(cap, f.score));
        if (f.score >= threshold && !habit) out.push(f);
      }
      if (this.#text.mixFinding !== null) {
        top = Math.max(top, this.#text.mixFinding.score);
        out.push(this.#text.mixFinding);
      }
    }
    const news = templateNews(this.#s, m.template, m.created, e.ts, threshold, out);
    top = Math.max(top, news);
    top = Math.max(top, this.#values.slots(m.template, sc.tokens, threshold, out));
    // A rare value that takes over its slot (logs-share.ts): a trunk's calls failing, each line an ordinary one.
    if (this.#values.shares.n !== 0) top = Math.max(top, shareLine(this.#s, this.#values.shares, sev, threshold, out));
    top = Math.max(top, this.#entities.line(m.template, sc.tokens, threshold, out));
    top = Math.max(top, partnerNews(this.#s, m.template, sc.tokens, e.ts, sev.word !== '', threshold, out));
    if (json !== null) top = Math.max(top, pairNews(this.#s, deep.length === 0 ? json : [...json, ...deep], e.ts, threshold, out));
    top = Math.max(top, this.#rates.silence(e.ts, threshold, out));
    // The line's burst findings wait for the fold (logs-fold.ts) until its other findings are known.
    const burst = this.#burst;
    if (burst.length !== 0) burst.length = 0;
    let bursting = 0;
    if (this.#rates.streamLine(e.ts)) {
      const own = this.#rates.rate(m.template, e.ts, threshold, burst, sev);
      const rated = Math.max(own, this.#rates.family(m.template, e.ts, own, threshold, burst));
      const nRated = burst.length;
      // A line of its template's burst on a schedule (EXPECTED, rate-period.ts) carries its values' bursts too: counted, not reported.
      let vals = words === null ? 0 : this.#rates.values(deep.length === 0 ? words : [...words, ...deep], e.ts, threshold, burst);
      if (own === EXPECTED) {
        burst.length = nRated;
        vals = 0;
      }
      const rep = this.#repeats.line(m.template, sc.tokens, e.ts, threshold, burst);
      // Another value's burst carries the template's rate (a scan): this line's template and family findings go (logs-repeat.ts: ordinary).
      if (this.#repeats.ordinary) burst.splice(0, nRated);
      bursting = Math.max(this.#repeats.ordinary ? 0 : rated, vals, rep);
      // A burst of an established routine line, each line a different entity, whose ids come back on other lines: a fleet wave (logs-wave.ts).
      const rp = this.#repeats;
      bursting = foldWave(this.#s, m.template.id, e.ts, sev, rp.lone && (this.#s.r[m.template.id]?.[BUSY] ?? 0) >= WAVE_PARAMS.minBusyWindows, rp.ids, rp.idCount, out.length !== 0, burst, bursting, threshold, out, this.#kin);
    }
    const meta = e.metadata !== undefined && e.metadata !== null && typeof e.metadata === 'object' ? this.#values.meta(e.metadata, threshold, out, this.#text.young(e.ts, 'habit')) : 0;
    top = Math.max(top, meta);
    // A severe line the text detector judged normal but a novelty score reports (a new template, a metadata value never seen) is flagged all the same (TextScorer.flagged).
    this.#text.flagged(habit ? 0 : Math.max(news, meta));
    if (out.length !== 0 && this.#text.young(e.ts, 'settle') && this.#text.routine(sev)) top = learnt(out, top);
    // A reported new warning opens an incident; the stream's later lines of its shape are its lines (logs-sequel.ts).
    top = Math.max(top, sequelLine(this.#s, sc.key, e.ts, opensSequel(out, threshold, sev, this.#values.unseenWord), threshold, out));
    return Math.max(top, foldBurst(this.#s, e.ts, sev, out.length !== 0, burst, bursting, threshold, out));
  }

  /** Whether two templates are one kind of line (logs-wave.ts sameKind): an id back on such a line is no return of a wave. */
  readonly #kin = (a: number, b: number): boolean => {
    const x = this.#miner.get(a);
    const y = this.#miner.get(b);
    return x !== undefined && y !== undefined && sameKind(x, y);
  };

  /** The line's burst findings before the fold, reused from line to line. */
  readonly #burst: Part[] = [];

  /** A JSON line's nested fields (jsonWords), reused from line to line. */
  readonly #deep: string[] = [];

  /** The line being fed: its template match and tokens (for #explained). */
  #m: Match | undefined;
  #tokens: readonly string[] = [];

  /**
   * The line's template is known and unchanged by it, and its new text is in id-like slots, or
   * (`known`) it has none (slots.ts); a young template's line without a severity word may have
   * widened it (SLOT_NEW_PARAMS.young).
   */
  readonly #explained = (known: boolean): boolean => {
    const m = this.#m;
    if (m === undefined || m.created) return false;
    const young = known && m.template.count <= SLOT_NEW_PARAMS.young;
    return (!m.changed || young) && explainedBySlots(m.template, this.#tokens, this.#s.s[m.template.id], known, young);
  };

  /** An idle tick at the stream's event time `ts`: only silences are judged. */
  idle(ts: number, threshold: number, out: Part[]): number {
    return this.#rates.silence(ts, threshold, out);
  }

  save(): Uint8Array {
    flushFields();
    this.#repeats.compact();
    const s = this.#s;
    s.t = this.#text.saveState();
    s.m = this.#miner.save();
    if (this.#prose.state !== undefined) s.p = this.#prose.state;
    return encodeState(s);
  }
}

/**
 * The template path's line count of a loaded state (the number the miner stamps on the templates
 * it matches, their least-recently-used order): the last one it stamped (templates.ts `last`),
 * or the text detector's count when larger (a v1 text state's, before the miner). Not the text
 * detector's count alone: the prose-like lines the prose detector is learning take the template
 * path without the text detector (logs-prose.ts), and a split stream stamped smaller numbers.
 */
function lineCount(s: LogsState): number {
  let n = s.t.n;
  for (const t of s.m.t) if (t[2] > n) n = t[2];
  return n;
}

export { LIVE_PARAMS } from './live.js';
const live = new LiveScorers<LogScorer>();

export function scoreLogs(
  state: Uint8Array | null,
  events: ScoreInput[],
  rows: Float32Array | undefined,
  threshold = 0.5,
  /** The stream's name: its live scorer is kept in this thread for its next task (see LIVE_PARAMS). */
  key?: string,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const scorer = live.take(key, state) ?? new LogScorer(loadState(state));
  const findings: Finding[] = [];
  const parts: Part[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') {
      if (e !== null && typeof e === 'object' && e.idle === true) {
        if (parts.length !== 0) parts.length = 0;
        const top = scorer.idle(e.ts, threshold, parts);
        for (const p of parts) findings.push({ index: i, ...p });
        if (rows !== undefined) rows[i] = Math.min(1, top);
      }
      continue;
    }
    scored++;
    if (parts.length !== 0) parts.length = 0;
    const top = scorer.feed(e, text, threshold, parts);
    for (const p of parts) findings.push({ index: i, ...p });
    if (rows !== undefined) rows[i] = Math.min(1, top);
  }
  const out = scorer.save();
  if (key !== undefined) live.keep(key, out, scorer);
  return { state: out, findings, scored };
}
