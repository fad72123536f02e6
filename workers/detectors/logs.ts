// Logs detector (streams of type logs and traces): templates, then scores that each explain
// themselves in words.
//
//   line ─► scan: tokens + key (digit tokens masked) ─► template miner (templates.ts)
//        │
//        ▼
//   novelty and rarity (text.ts): normalised line already in the baseline? → known, no
//        compression; else compression surprise of the normalised line against the
//        stream's dictionary of recent distinct lines; a flagged pattern is quarantined, its
//        bursts are incidents whose lines are all reported, and it stays anomalous while its
//        decayed count of incidents stays low (a rare error stays rare after one long burst)
//        │
//   every line, either path:
//   ├─► slot values (fields.ts): per template and slot, an unseen value of a low-cardinality
//   │   slot (status, currency, region), a numeric outlier (latency, size) against the same
//   │   route's values; high-cardinality slots (ids, users, hashes) are recognised and ignored
//   ├─► metadata: the event's own fields, per stream and field name, judged the same way
//   └─► rate: per template, lines in windows of event time vs the template's decayed mean
//       (Poisson tail): a burst of an ordinary but infrequent line (a retry storm)
//
// Event time only (the events' timestamps), no clock: a replay gives the same findings. Every
// influence on a score lives in the serialised state and is updated per event in stream order,
// so findings do not depend on how the stream was split into batches (test/workers/logs.unit).
// State: JSON {v: 2, kind: 'logs', t: text state, m: miner, s: slot stats, r: rates, md:
// metadata}; a v1 text state (checkpoints written before templates) is upgraded in place: its
// baseline, null and quarantine carry on, templates start empty.
import type { Finding, ScoreInput } from '../types.js';
import { encodeState } from './state.js';
import { freshTextState, TEXT_PARAMS, TextScorer, upgradeTextState, type TextState } from './text.js';
import { freshMiner, MINER_PARAMS, scan, TemplateMiner, templateText, WILD, type MinerState, type Template } from './templates.js';
import { freshField, isContext, observeValue, type FieldStats, type ValueFinding } from './fields.js';

export const SLOT_DETECTOR = 'template_slot';
export const RATE_DETECTOR = 'template_rate';
export const META_DETECTOR = 'metadata_field';

export const RATE_PARAMS = Object.freeze({
  /** Window of event time, ms. */
  windowMs: 10_000,
  /** EWMA weight per window of the mean count. */
  alpha: 0.05,
  /** Windows of history before a rate finding. */
  minWindows: 30,
  /** Lines in the window before a rate finding. */
  minCount: 5,
  /** S = -log10 p at which the score is 0.5. */
  half: 4,
  /** Expected count = factor × decayed mean + floor (real logs are burstier than Poisson). */
  factor: 1.5,
  floor: 0.2,
});

/** Metadata fields kept per stream, and the longest value judged. */
const MAX_META_FIELDS = 32;
const MAX_META_VALUE = 64;

/** Per template: [window start ms, count in it, decayed mean count, windows seen]. */
type RateStats = [number, number, number, number];

interface LogsState {
  v: 2;
  kind: 'logs';
  t: TextState;
  m: MinerState;
  /** Slot stats per template id, per slot position. */
  s: Record<string, Record<string, FieldStats>>;
  r: Record<string, RateStats>;
  md: Record<string, FieldStats>;
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
  #n = 0;

  constructor(s: LogsState) {
    this.#s = s;
    this.#text = new TextScorer(s.t, TEXT_PARAMS);
    this.#miner = new TemplateMiner(s.m, MINER_PARAMS);
    this.#n = s.t.n;
  }

  /** Scores one event: its findings (at least `threshold`), and the highest score seen. */
  feed(e: ScoreInput, text: string, threshold: number, out: Part[]): number {
    const sc = scan(text, MINER_PARAMS.maxTokens);
    this.#n++;
    const m = this.#miner.match(sc, this.#n, (id) => {
      delete this.#s.s[id];
      delete this.#s.r[id];
    });
    let top = 0;
    const norm = this.#text.normLine(text);
    const f = this.#text.feed(text, threshold, norm);
    top = this.#text.rowScore;
    if (f !== null) {
      top = Math.max(top, f.score);
      if (f.score >= threshold) out.push(f);
    }
    if (this.#text.mixFinding !== null) {
      top = Math.max(top, this.#text.mixFinding.score);
      out.push(this.#text.mixFinding);
    }
    top = Math.max(top, this.#slots(m.template, sc.tokens, threshold, out));
    top = Math.max(top, this.#rate(m.template, e.ts, threshold, out));
    if (e.metadata !== undefined && e.metadata !== null && typeof e.metadata === 'object') top = Math.max(top, this.#meta(e.metadata, threshold, out));
    return top;
  }

  #slots(t: Template, tokens: readonly string[], threshold: number, out: Part[]): number {
    const tt = t.tokens;
    let stats = this.#s.s[t.id];
    let top = 0;
    let ctx = '';
    const names: string[] = [];
    const values: string[] = [];
    for (let i = 0; i < tt.length && i < tokens.length; i++) {
      const x = tt[i];
      const keyed = x.length > 4 && x.endsWith('=<*>');
      if (x !== WILD && !keyed) continue;
      const tok = tokens[i];
      const name = keyed ? x.slice(0, x.length - 4) : `#${i}`;
      const value = keyed ? tok.slice(x.length - 3) : tok;
      names.push(name);
      values.push(value);
      stats ??= this.#s.s[t.id] = {};
      const f = stats[name];
      if (f !== undefined && isContext(f)) ctx += ctx === '' ? `${name}=${value}` : ` ${name}=${value}`;
    }
    if (stats === undefined) return 0;
    for (let k = 0; k < names.length; k++) {
      const name = names[k];
      if (values[k].length > MAX_META_VALUE) continue;
      const f = (stats[name] ??= freshField());
      // A context slot is categorical (its own numbers are not judged), so the context can include it.
      const r = observeValue(f, values[k], ctx);
      if (r !== null) top = Math.max(top, this.#report(r, SLOT_DETECTOR, `Slot ${name.startsWith('#') ? `at word ${name.slice(1)}` : `"${name}"`} of template "${clip(templateText(t))}"`, threshold, out, { template: t.id, slot: name }));
    }
    return top;
  }

  #meta(md: Record<string, unknown>, threshold: number, out: Part[]): number {
    let top = 0;
    for (const name of Object.keys(md)) {
      const raw = md[name];
      if (typeof raw !== 'string' && typeof raw !== 'number' && typeof raw !== 'boolean') continue;
      const value = String(raw);
      if (value.length > MAX_META_VALUE) continue;
      let f = this.#s.md[name];
      if (f === undefined) {
        if (Object.keys(this.#s.md).length >= MAX_META_FIELDS) continue;
        f = this.#s.md[name] = freshField();
      }
      const r = observeValue(f, value, '');
      if (r !== null) top = Math.max(top, this.#report(r, META_DETECTOR, `Metadata field "${name}"`, threshold, out, { field: name }));
    }
    return top;
  }

  #report(r: ValueFinding, detector: string, what: string, threshold: number, out: Part[], extra: Record<string, number | string>): number {
    const score = Number(Math.min(1, r.score).toFixed(4));
    if (score >= threshold) out.push({ score, detector, explanation: `${what}: ${r.words}.`, details: { kind: r.kind, ...extra, ...r.details } });
    return score;
  }

  #rate(t: Template, ts: number, threshold: number, out: Part[]): number {
    const P = RATE_PARAMS;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return 0;
    let r = this.#s.r[t.id];
    if (r === undefined) {
      r = this.#s.r[t.id] = [ts - (ts % P.windowMs), 0, 0, 0];
    } else if (ts >= r[0] + P.windowMs) {
      const k = Math.floor((ts - r[0]) / P.windowMs);
      let mean = r[2] + (r[3] === 0 ? 1 : P.alpha) * (r[1] - r[2]);
      if (k > 1) mean *= (1 - P.alpha) ** Math.min(k - 1, 10_000);
      r[2] = Number(mean.toPrecision(6));
      r[3] += k;
      r[0] += k * P.windowMs;
      r[1] = 0;
    }
    r[1]++;
    if (r[3] < P.minWindows || r[1] < P.minCount) return 0;
    const lambda = P.factor * r[2] + P.floor;
    const S = -poissonTailLog10(r[1], lambda);
    const score = Number((S / (S + P.half)).toFixed(4));
    if (score >= threshold) {
      out.push({
        score,
        detector: RATE_DETECTOR,
        explanation: `Template "${clip(templateText(t))}": ${r[1]} lines in this ${P.windowMs / 1000} s window of event time vs. a usual ${r[2].toFixed(2)} per window (Poisson tail p ≈ ${(10 ** -S).toPrecision(2)} at an expected ${lambda.toFixed(2)}).`,
        details: { kind: 'burst', template: t.id, count: r[1], usual: r[2], p_value: Number((10 ** -S).toPrecision(3)), window_ms: P.windowMs },
      });
    }
    return score;
  }

  save(): Uint8Array {
    const s = this.#s;
    s.t = this.#text.saveState();
    s.m = this.#miner.save();
    return encodeState(s);
  }
}

function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/** log10 P(X ≥ k) for X ~ Poisson(lambda). */
export function poissonTailLog10(k: number, lambda: number): number {
  // Sum the tail from k upward (terms fall fast once past lambda).
  let logTerm = -lambda + k * Math.log(lambda) - logFactorial(k);
  let sum = 0;
  const first = logTerm;
  for (let j = k; j < k + 200; j++) {
    sum += Math.exp(logTerm - first);
    logTerm += Math.log(lambda) - Math.log(j + 1);
    if (logTerm - first < -30) break;
  }
  return Math.min(0, (first + Math.log(sum)) / Math.LN10);
}

function logFactorial(k: number): number {
  let s = 0;
  for (let i = 2; i <= k; i++) s += Math.log(i);
  return s;
}

/**
 * Per worker thread: the live scorers of the streams this thread scored last, each with the state
 * bytes it returned. A task whose state is byte for byte those bytes continues the live scorer
 * instead of parsing the JSON again (for a stream with thousands of templates the parse cost
 * more than its lines); any other state is parsed. The scorer's in-memory form is a function of
 * its state (memos aside, which only ever answer what the state would), so both paths give the
 * same findings and bytes. Bounded by entries and by state bytes; least recently used first out.
 */
// A stream at the 10,000-template bound has 2.4 MB of state and a 10 MB live scorer
// (bench/logs-memory.bench.ts), so 16 MiB of state is at most about 70 MB of heap per thread.
export const LIVE_PARAMS = Object.freeze({ maxEntries: 32, maxBytes: 16 * 1024 * 1024 });
const live = new Map<string, { bytes: Uint8Array; scorer: LogScorer }>();
let liveBytes = 0;

function takeLive(key: string | undefined, state: Uint8Array | null): LogScorer | null {
  if (key === undefined) return null;
  const e = live.get(key);
  if (e === undefined) return null;
  // Taken out while it runs: a task that throws half-way leaves no half-fed scorer behind.
  live.delete(key);
  liveBytes -= e.bytes.byteLength;
  const same = state !== null && state.byteLength === e.bytes.byteLength && Buffer.from(state.buffer, state.byteOffset, state.byteLength).equals(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
  return same ? e.scorer : null;
}

function keepLive(key: string, bytes: Uint8Array, scorer: LogScorer): void {
  if (bytes.byteLength > LIVE_PARAMS.maxBytes) return;
  live.set(key, { bytes, scorer });
  liveBytes += bytes.byteLength;
  for (const [k, e] of live) {
    if (live.size <= LIVE_PARAMS.maxEntries && liveBytes <= LIVE_PARAMS.maxBytes) break;
    live.delete(k);
    liveBytes -= e.bytes.byteLength;
  }
}

export function scoreLogs(
  state: Uint8Array | null,
  events: ScoreInput[],
  rows: Float32Array | undefined,
  threshold = 0.5,
  /** The stream's name: its live scorer is kept in this thread for its next task (see LIVE_PARAMS). */
  key?: string,
): { state: Uint8Array; findings: Finding[]; scored: number } {
  const scorer = takeLive(key, state) ?? new LogScorer(loadState(state));
  const findings: Finding[] = [];
  const parts: Part[] = [];
  let scored = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i];
    const text = e === null || typeof e !== 'object' ? undefined : e.text;
    if (typeof text !== 'string') continue;
    scored++;
    parts.length = 0;
    const top = scorer.feed(e, text, threshold, parts);
    for (const p of parts) findings.push({ index: i, ...p });
    if (rows !== undefined) rows[i] = Math.min(1, top);
  }
  const out = scorer.save();
  if (key !== undefined) keepLive(key, out, scorer);
  return { state: out, findings, scored };
}
