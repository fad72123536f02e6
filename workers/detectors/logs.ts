// Logs detector (streams of type logs and traces): templates, then scores that each explain
// size-exception: ~460 lines: byte accounting (statebound) and per-slot numeric views (k8s4) landed
// together; to split (the template scorer / the stream scorer) next.
// themselves in words.
//
//   line ─► scan: tokens + key (digit tokens masked; a JSON object's fields as key=value, json-line.ts) ─► template miner
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
//   every line, either path:
//   ├─► slot values (fields.ts): per template and slot, an unseen (or once-seen, long ago) value
//   │   of a low-cardinality slot (status, currency, region), a numeric outlier (latency, size)
//   │   against the same route's values (the template's other categorical slots together, or
//   │   each alone, the tightest history); high-cardinality slots (ids, users, hashes) are recognised and ignored;
//   │   keyed slots (status=) also per key name over the stream's templates
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
// State: JSON {v: 2, kind: 'logs', t: text state, m: miner, s: slot stats, r: rates, md:
// metadata, k: keys pooled per stream, sr: the stream's rate, q: last window checked for
// silence, sub: sub-second timestamps seen} (k, sr, q, sub and the longer rate records are
// added to older v2 states as they are met); a v1 text state (checkpoints written before templates) is upgraded in place: its
// baseline, null and quarantine carry on, templates start empty.
import type { Finding, ScoreInput } from '../types.js';
import { encodeState } from './state.js';
import { LiveScorers } from './live.js';
import { ProseLines } from './logs-prose.js';
import type { ProseState } from './prose.js';
import { freshTextState, severityOf, TEXT_PARAMS, TextScorer, upgradeTextState, type TextState } from './text.js';
import { freshMiner, MINER_PARAMS, scan, TemplateMiner, templateText, type Match, type MinerState, type Template } from './templates.js';
import { chargeSlotStats, explainedBySlots, MAX_SLOT_VALUE, slotLayout } from './slots.js';
import { flushFields, freshField, grownBytes, isContext, observeValue, type FieldStats, type ValueFinding } from './fields.js';
import { FIELD_BYTES, jsonBytes, TEXT_BUDGET } from './budget.js';
import { FieldTable } from './field-table.js';
import { jsonFields } from './json-line.js';
import {
  burstTest, BUSY, closeWindows, fmtSpan, freshRate, pushRing, RATE_LEN, RATE_PARAMS, SCAN_PRIOR, SILENCE_PARAMS, silenceS,
  SILENT, upgradeRate, type RateStats,
} from './rate.js';

export { poissonTailLog10, poissonTailLog10Real, RATE_PARAMS, SILENCE_PARAMS } from './rate.js';

export const SLOT_DETECTOR = 'template_slot';
export const RATE_DETECTOR = 'template_rate';
export const META_DETECTOR = 'metadata_field';
export const SILENCE_DETECTOR = 'silence';

/** Metadata fields kept per stream, and the longest value judged. */
const MAX_META_FIELDS = 32;
const MAX_META_VALUE = MAX_SLOT_VALUE;
/** Key names pooled per stream. */
const MAX_KEYS = 64;


interface LogsState {
  v: 2;
  kind: 'logs';
  t: TextState;
  m: MinerState;
  /** Slot stats per template id, per slot position. */
  s: Record<string, Record<string, FieldStats>>;
  r: Record<string, RateStats>;
  md: Record<string, FieldStats>;
  /**
   * Keyed slots (status=<*>, currency=<*>) pooled per key name over all the stream's templates,
   * categorical only: a template that is new or infrequent (a route's POST line) inherits what
   * the stream knows of the key. Absent in states written before.
   */
  k?: Record<string, FieldStats>;
  /** Silence: the stream's rate record (its lines per window), and the last window checked. */
  sr?: RateStats;
  q?: number;
  /** 1 once a timestamp with a sub-second part was seen (the scan's resolution is then 1 ms, else 1 s). */
  sub?: number;
  /** The free-text detector's state for the stream's prose lines (logs-prose.ts); absent until one. */
  p?: ProseState;
}

const dec = new TextDecoder('utf-8', { fatal: true });

function loadState(bytes: Uint8Array | null): LogsState {
  if (bytes === null || bytes.length === 0) return { v: 2, kind: 'logs', t: freshTextState(), m: freshMiner(), s: {}, r: {}, md: {} };
  const s = JSON.parse(dec.decode(bytes)) as { v?: number; kind?: string };
  if (s !== null && typeof s === 'object' && s.v === 1 && s.kind === 'text') {
    // Migration from the checkpoints of the line detector alone (v1 text state).
    return { v: 2, kind: 'logs', t: upgradeTextState(s as unknown as TextState), m: freshMiner(), s: {}, r: {}, md: {} };
  }
  if (s === null || typeof s !== 'object' || s.v !== 2 || s.kind !== 'logs') throw new TypeError('task.state is not a logs detector state (wrong stream type, or a newer version)');
  const ls = s as unknown as LogsState;
  ls.t = upgradeTextState(ls.t);
  return ls;
}

type Part = Omit<Finding, 'index'>;

/** The detector for one task: load state, feed events, save state. */
class LogScorer {
  readonly #s: LogsState;
  readonly #text: TextScorer;
  readonly #miner: TemplateMiner;
  readonly #prose: ProseLines;
  /** Metadata fields and pooled keys, bounded in bytes (field-table.ts). */
  readonly #md: FieldTable;
  readonly #keys: FieldTable;
  #n = 0;

  constructor(s: LogsState) {
    this.#s = s;
    this.#text = new TextScorer(s.t, TEXT_PARAMS);
    this.#miner = new TemplateMiner(s.m, MINER_PARAMS);
    this.#prose = new ProseLines(s.p);
    this.#md = new FieldTable(s.md, () => s.md, MAX_META_FIELDS, TEXT_BUDGET.metadata);
    this.#keys = new FieldTable(s.k, () => (s.k ??= {}), MAX_KEYS, TEXT_BUDGET.keys);
    this.#n = s.t.n;
    chargeSlotStats(this.#miner, s.s, this.#evicted);
  }

  /** A template the miner evicted: its slot and rate statistics go with it. */
  readonly #evicted = (id: number): void => {
    delete this.#s.s[id];
    delete this.#s.r[id];
  };

  /** Scores one event: its findings (at least `threshold`), and the highest score seen. */
  feed(e: ScoreInput, text: string, threshold: number, out: Part[]): number {
    if (this.#prose.claims(text, threshold, out)) {
      const top = Math.max(this.#prose.rowScore, this.#silence(e.ts, threshold, out));
      this.#streamLine(e.ts);
      return top;
    }
    const sc = scan(jsonFields(text) ?? text, MINER_PARAMS.maxTokens);
    this.#n++;
    const m = this.#miner.match(sc, this.#n, this.#evicted);
    let top = 0;
    this.#m = m;
    this.#tokens = sc.tokens;
    // A prose line the free-text detector is still learning: its text novelty only when severe (logs-prose.ts).
    if (!this.#prose.learning || severityOf(text) !== '') {
      const f = this.#text.feed(text, threshold, this.#text.normLine(text), this.#explained, e.ts);
      top = this.#text.rowScore;
      if (f !== null) {
        top = Math.max(top, f.score);
        if (f.score >= threshold) out.push(f);
      }
      if (this.#text.mixFinding !== null) {
        top = Math.max(top, this.#text.mixFinding.score);
        out.push(this.#text.mixFinding);
      }
    }
    top = Math.max(top, this.#slots(m.template, sc.tokens, threshold, out));
    top = Math.max(top, this.#silence(e.ts, threshold, out));
    if (this.#streamLine(e.ts)) top = Math.max(top, this.#rate(m.template, e.ts, threshold, out));
    if (e.metadata !== undefined && e.metadata !== null && typeof e.metadata === 'object') top = Math.max(top, this.#meta(e.metadata, threshold, out));
    return top;
  }

  /** The line being fed: its template match and tokens (for #explained). */
  #m: Match | undefined;
  #tokens: readonly string[] = [];

  /** The line's template is known and unchanged by it, and its new text is in id-like slots (slots.ts). */
  readonly #explained = (): boolean => {
    const m = this.#m;
    return m !== undefined && !m.created && !m.changed && explainedBySlots(m.template, this.#tokens, this.#s.s[m.template.id]);
  };

  /** Values of the current line's slots, and its varying context slots as `name=value` (reused from line to line). */
  readonly #values: string[] = [];
  readonly #views: string[] = [];

  #slots(t: Template, tokens: readonly string[], threshold: number, out: Part[]): number {
    const L = slotLayout(t);
    const n = L.pos.length;
    let stats = L.stats;
    let top = 0;
    let ctx = '';
    const values = this.#values;
    const views = this.#views;
    let nv = 0;
    let slots = 0;
    for (let k = 0; k < n; k++) {
      const i = L.pos[k];
      if (i >= tokens.length) break;
      const name = L.names[k];
      const cut = L.cut[k];
      const value = cut === 0 ? tokens[i] : tokens[i].slice(cut);
      values[slots++] = value;
      stats ??= L.stats = this.#s.s[t.id] ??= {};
      let f = L.fields[k];
      if (f === undefined) {
        f = stats[name];
        if (f !== undefined) L.fields[k] = f;
      }
      if (f !== undefined && isContext(f)) {
        const piece = `${name}=${value}`;
        ctx += ctx === '' ? piece : ` ${piece}`;
        if (f.k > 1) views[nv++] = piece;
      }
    }
    if (stats === undefined) return 0;
    // Bytes the template's statistics grow by on this line (budget.ts): new fields, values, contexts.
    let grew = 0;
    views.length = nv;
    // Each varying context slot is also a history of its own (fields.ts), from two of them on.
    const byView = nv >= 2 ? views : undefined;
    for (let k = 0; k < slots; k++) {
      const name = L.names[k];
      const value = values[k];
      if (value.length > MAX_META_VALUE) continue;
      const had = L.fields[k] ?? stats[name];
      if (had === undefined) grew += FIELD_BYTES + jsonBytes(name);
      const f = (L.fields[k] = had ?? (stats[name] = freshField()));
      const g0 = grownBytes();
      // A context slot is categorical (its own numbers are not judged), so the context can include it.
      let r = observeValue(f, value, ctx, true, false, byView);
      grew += grownBytes() - g0;
      let pooled = false;
      if (L.pool[k]) {
        // The same key over the stream's templates: the larger of the two findings is reported.
        // A key left out (the pool full) is asked for again: the pool's bytes may have fallen since.
        const g = L.pooled[k] ?? (L.pooled[k] = this.#keys.field(name));
        const q = g === undefined ? null : this.#keys.observe(g, name, value, '', false);
        if (q !== null && (r === null || q.score > r.score)) {
          r = q;
          pooled = true;
        }
      }
      if (r === null) continue;
      const score = valueScore(r);
      top = Math.max(top, score);
      // The words only for a finding that is reported (most value findings score under the threshold).
      if (score < threshold) continue;
      const where = pooled ? `Key "${name}" over the stream's templates (here in "${clip(templateText(t))}")` : `Slot ${name.startsWith('#') ? `at word ${name.slice(1)}` : `"${name}"`} of template "${clip(templateText(t))}"`;
      this.#report(r, score, SLOT_DETECTOR, where, out, { template: t.id, slot: name, ...(pooled ? { pooled: 1 } : {}) });
    }
    if (grew !== 0) this.#miner.grow(t, grew, this.#evicted);
    return top;
  }

  #meta(md: Record<string, unknown>, threshold: number, out: Part[]): number {
    let top = 0;
    for (const name of Object.keys(md)) {
      const raw = md[name];
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') continue;
      const value = String(raw);
      if (value.length > MAX_META_VALUE) continue;
      const f = this.#md.field(name);
      if (f === undefined) continue;
      const r = this.#md.observe(f, name, value, '', true, true);
      if (r === null) continue;
      const score = valueScore(r);
      top = Math.max(top, score);
      if (score >= threshold) this.#report(r, score, META_DETECTOR, `Metadata field "${name}"`, out, { field: name });
    }
    return top;
  }

  /** A value finding that reached the threshold (`score`: its valueScore). */
  #report(r: ValueFinding, score: number, detector: string, what: string, out: Part[], extra: Record<string, number | string>): void {
    out.push({ score, detector, explanation: `${what}: ${r.words}.`, details: { kind: r.kind, ...extra, ...r.details } });
  }

  #rate(t: Template, ts: number, threshold: number, out: Part[]): number {
    const P = RATE_PARAMS;
    if (this.#s.sub !== 1 && ts % 1000 !== 0) this.#s.sub = 1;
    let r = this.#s.r[t.id];
    if (r === undefined) r = this.#s.r[t.id] = freshRate(ts);
    else {
      if (r.length < RATE_LEN) upgradeRate(r);
      if (ts >= r[0] + P.windowMs) closeWindows(r, ts);
    }
    r[1]++;
    r[SILENT] = 0;
    const b = burstTest(r, this.#s.sr, ts, this.#s.sub === 1 ? 1 : 1000);
    pushRing(r, ts);
    if (b.S <= 0) return 0;
    const score = Number((b.S / (b.S + P.half)).toFixed(4));
    if (score >= threshold) {
      const p = Number((10 ** -b.rawS).toPrecision(2));
      const usual = r[2];
      const disp = b.D > 1.05 ? `, counts over-dispersed ×${b.D.toFixed(1)}` : '';
      const name = `Template "${clip(templateText(t))}"`;
      const explanation = b.scan
        ? `${name}: ${b.k} lines within ${fmtSpan(b.span)} of event time, where it usually shows ${(usual / (P.windowMs / 1000)).toPrecision(2)} per second (Poisson tail p ≈ ${p} at an expected ${b.lambda.toPrecision(2)}${disp}; ${SCAN_PRIOR} spans tested).`
        : b.peak > 0
          ? `${name}: ${b.k} lines in this ${P.windowMs / 1000} s window of event time, more than in its earlier bursts (at most ${b.peak.toPrecision(3)} per window, decayed; Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}); it usually shows ${usual.toFixed(2)} per window.`
          : b.share >= 0
          ? `${name}: ${b.k} lines in this ${P.windowMs / 1000} s window of event time; the stream sent ${b.streamCount} lines in it, of which this template is usually ${(100 * b.share).toPrecision(2)}% (Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}; its usual ${usual.toFixed(2)} per window alone would expect fewer).`
          : `${name}: ${b.k} lines in this ${P.windowMs / 1000} s window of event time vs. a usual ${usual.toFixed(2)} per window (Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}).`;
      out.push({
        score,
        detector: RATE_DETECTOR,
        explanation,
        details: { kind: 'burst', template: t.id, count: b.k, usual, p_value: p, window_ms: b.scan ? b.span : P.windowMs, ...(b.share >= 0 ? { stream_count: b.streamCount, usual_share: Number(b.share.toPrecision(4)) } : {}), ...(b.peak > 0 ? { peak: b.peak } : {}) },
      });
    }
    return score;
  }

  /** An idle tick at the stream's event time `ts`: only silences are judged. */
  idle(ts: number, threshold: number, out: Part[]): number {
    return this.#silence(ts, threshold, out);
  }

  /**
   * Counts a line in the stream's own rate record (the silence of the whole stream, the share of
   * each template). A late line, before the stream's current window (a log whose timestamps go
   * back), is not counted in any window, its template's neither: false, and no rate test.
   */
  #streamLine(ts: number): boolean {
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return false;
    let r = this.#s.sr;
    if (r === undefined) r = this.#s.sr = freshRate(ts);
    else if (ts < r[0]) return false;
    else if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
    r[1]++;
    r[5] = ts;
    r[SILENT] = 0;
    return true;
  }

  /**
   * Silence, judged once per window of event time (at the first line or idle tick past a window's
   * end). The stream: no line since its last one, against its own decayed lines per window, at the
   * first window boundary where it is significant (the finding's ts). Each
   * steady template (at least minMean lines per window, minWindows of history): no line between
   * its last one and the stream's last line (so a stream that stopped is one finding, not one per
   * template). P(no line) is the negative binomial's zero at the expected count / slack and the
   * record's dispersion; reported once per silence, Bonferroni-corrected for the templates checked.
   */
  #silence(ts: number, threshold: number, out: Part[]): number {
    const P = SILENCE_PARAMS;
    const W = RATE_PARAMS.windowMs;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return 0;
    const w = Math.floor(ts / W);
    const q = this.#s.q;
    if (q !== undefined && w <= q) return 0;
    this.#s.q = w;
    if (q === undefined) return 0;
    let top = 0;
    const sr = this.#s.sr;
    if (sr !== undefined && sr[BUSY] >= P.minBusyWindows && sr[SILENT] !== 1 && sr[2] >= P.minMean) {
      // Judged at window boundaries of event time: the first since the last check where the
      // silence reaches the threshold (the score rises with the gap), so neither where the check
      // happens (a line, an idle tick whenever the engine sent it) nor its time (Finding.ts) varies.
      const scoreAt = (b: number): number => {
        const S = b - sr[5] >= P.minGapMs ? silenceS(sr, b - sr[5], 1) : 0;
        return S > 0 ? Number((S / (S + P.half)).toFixed(4)) : 0;
      };
      top = scoreAt(w * W);
      if (top >= threshold) {
        let lo = q + 1;
        for (let hi = w; lo < hi;) {
          const mid = Math.floor((lo + hi) / 2);
          if (scoreAt(mid * W) >= threshold) hi = mid; else lo = mid + 1;
        }
        const at = lo * W, gap = at - sr[5], S = silenceS(sr, gap, 1);
        sr[SILENT] = 1;
        out.push({ score: scoreAt(at), ts: at, detector: SILENCE_DETECTOR, explanation: `The stream has been silent for ${fmtSpan(gap)} of event time; it usually sends ${(sr[2] / (W / 1000)).toPrecision(2)} lines per second (P(no line) ≈ ${(10 ** -S).toPrecision(2)}).`, details: { kind: 'stream_silence', silent_ms: gap, usual_per_window: sr[2], p_value: Number((10 ** -S).toPrecision(3)) } });
      }
    }
    const end = sr === undefined ? ts : sr[5];
    const ids: string[] = [];
    for (const id of Object.keys(this.#s.r)) {
      const r = this.#s.r[id];
      if (r.length > BUSY && r[BUSY] >= P.minBusyWindows && r[2] >= P.minMean && r[5] >= 0) ids.push(id);
    }
    const tests = Math.max(1, ids.length);
    for (const id of ids) {
      const r = this.#s.r[id];
      const gap = end - r[5];
      if (r[SILENT] === 1 || gap < P.minGapMs) continue;
      const S = silenceS(r, gap, tests);
      if (S <= 0) continue;
      const score = Number((S / (S + P.half)).toFixed(4));
      top = Math.max(top, score);
      if (score >= threshold) {
        r[SILENT] = 1;
        const t = this.#miner.get(Number(id));
        const name = t === undefined ? `#${id}` : `"${clip(templateText(t))}"`;
        out.push({ score, detector: SILENCE_DETECTOR, explanation: `Template ${name} has been silent for ${fmtSpan(gap)} of event time while the stream went on; it usually shows ${(r[2] / (W / 1000)).toPrecision(2)} lines per second (P(no line) ≈ ${(10 ** -S).toPrecision(2)}, ${tests} steady templates checked).`, details: { kind: 'template_silence', template: id, silent_ms: gap, usual_per_window: r[2], p_value: Number((10 ** -S).toPrecision(3)) } });
      }
    }
    return top;
  }

  save(): Uint8Array {
    flushFields();
    const s = this.#s;
    s.t = this.#text.saveState();
    s.m = this.#miner.save();
    if (this.#prose.state !== undefined) s.p = this.#prose.state;
    return encodeState(s);
  }
}

/** The score a value finding is reported with, and counted at in the row's top score. */
function valueScore(r: ValueFinding): number {
  return Number(Math.min(1, r.score).toFixed(4));
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
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
        parts.length = 0;
        const top = scorer.idle(e.ts, threshold, parts);
        for (const p of parts) findings.push({ index: i, ...p });
        if (rows !== undefined) rows[i] = Math.min(1, top);
      }
      continue;
    }
    scored++;
    parts.length = 0;
    const top = scorer.feed(e, text, threshold, parts);
    for (const p of parts) findings.push({ index: i, ...p });
    if (rows !== undefined) rows[i] = Math.min(1, top);
  }
  const out = scorer.save();
  if (key !== undefined) live.keep(key, out, scorer);
  return { state: out, findings, scored };
}
