// The rate findings of a log stream (logs.ts), in event time:
//
//   rate: per template, lines in windows of event time vs the template's decayed mean, and a
//   scan of its last 5 lines' span (quasi-Poisson tails, rate.ts): a burst of an ordinary but
//   infrequent line (a retry storm), seen from its first few lines
//   silence, once per window of event time (also at an idle tick {ts, idle: true}): a steady
//   template that stopped while the stream went on, or the whole stream stopped
import type { MinerState, Template, TemplateMiner } from './templates.js';
import { templateText, WILD } from './templates.js';
import {
  burstTest, BUSY, type Burst, closeWindows, fmtSpan, freshRate, pushRing, RATE_LEN, RATE_PARAMS, SCAN_PRIOR, SILENCE_PARAMS, silenceS,
  SILENT, upgradeRate, type RateStats,
} from './rate.js';
import { clip, type LogsState, type Part } from './logs-state.js';
import { jsonBytes, PERIOD_BYTES } from './budget.js';
import { expectedBurst, freshPeriod, type PeriodStats } from './rate-period.js';
import { valueRate } from './value-rate.js';
import { fixed } from './round.js';
import { LineSeverity } from './text-words.js';

/** rate()'s score for a burst line on a schedule (rate-period.ts): nothing reported, nor by its family. */
export const EXPECTED = -1;

export const RATE_DETECTOR = 'template_rate';
export const SILENCE_DETECTOR = 'silence';

/**
 * The stream resumes after a silence of its own (its gap since its last line is one the silence
 * test reports: S ≥ SILENCE_PARAMS.half on the stream's record, steady as that test wants it):
 * the whole windows of the gap are no windows of its values (value-rate.ts), whose records move
 * on past them instead of learning them as empty. A stream that stopped for 25 minutes said
 * nothing about how often its values come; counted as empty, they took a value's usual rate to
 * 5% of it (0.95 per window, 150 windows), and the stream's ordinary lines after the silence
 * were bursts of Mongo's c = NETWORK and of its slow queries' id (db 201-210: 35 false alarms).
 * Called before the stream's record closes its windows (its mean and last line as they were).
 */
function quietValues(s: LogsState, sr: RateStats, ts: number): void {
  const W = RATE_PARAMS.windowMs;
  const vr = s.vr;
  const gap = ts - sr[5];
  if (vr === undefined || sr[5] < 0 || gap < 2 * W || sr[BUSY] < SILENCE_PARAMS.minBusyWindows || sr[2] < SILENCE_PARAMS.streamMinMean) return;
  if (silenceS(sr, gap, 1) < SILENCE_PARAMS.half) return;
  const k = Math.floor(gap / W) - 1;
  for (const key of Object.keys(vr)) vr[key][0] += k * W;
}

/** A template's family: the templates that begin with the same FAMILY_WORDS constant words (LogsRate.family). */
export const FAMILY_WORDS = 5;
/** Families' rate records kept per stream (the least recently seen out): about 64 × 300 bytes. */
export const MAX_FAMILIES = 64;
/** A family's key takes at most this many bytes of JSON (64 × (2 × 258 + a 202-byte rate record + a period record) ≤ FAMILY_BUDGET, budget.ts). */
const MAX_FAMILY_KEY_BYTES = 256;
/** A family's key keeps at most this much of each word. */
const FAMILY_WORD_CHARS = 40;

/** The family of a template's tokens: its first FAMILY_WORDS constant words (no wildcard, no key=<*>), or null with fewer. */
export function familyKey(tokens: readonly string[]): string | null {
  let key = '';
  let n = 0;
  for (let i = 0; i < tokens.length && n < FAMILY_WORDS; i++) {
    const x = tokens[i];
    if (x === WILD || x.endsWith('=<*>')) continue;
    key += n === 0 ? x.slice(0, FAMILY_WORD_CHARS) : ` ${x.slice(0, FAMILY_WORD_CHARS)}`;
    n++;
  }
  // A key of escapes (up to 6 bytes a character) is no family: 64 records stay within FAMILY_BUDGET.
  return n < FAMILY_WORDS || jsonBytes(key) > MAX_FAMILY_KEY_BYTES ? null : key;
}

/** A template's family key (familyKey), kept on the template until its tokens change (templates.ts clears it). */
export function familyOf(t: Template): string | null {
  if (t.family === undefined) t.family = familyKey(t.tokens);
  return t.family;
}

/** Drops the least recently seen family (by its last line's time; ties by key), never `keep` (called when there are more than MAX_FAMILIES). */
function trimFamilies(fr: Record<string, RateStats>, keep: string, fp: Record<string, number[]> | undefined): void {
  // The least recent is unique (ties by key), so the order of the walk does not matter; no array of the keys, one look-up each.
  let old = '';
  let oldTs = 0;
  for (const k in fr) {
    if (k === keep) continue;
    const ts = fr[k][5];
    if (old === '' || ts < oldTs || (ts === oldTs && k < old)) {
      old = k;
      oldTs = ts;
    }
  }
  delete fr[old];
  if (fp !== undefined) delete fp[old];
}

/**
 * A template first seen at an explicit error level (text-words.ts LineSeverity.error) in a stream that
 * seldom logs one starts its rate record from the stream's history (newRate). Not a warning: real
 * logs have many warning templates whose first appearance is a burst that is routine (branch
 * host17r started every warning-level newcomer so: Loghub Thunderbird 1.0 → 16.5 false alarms per
 * 1,000, the unlabelled logs 617 → 726 flagged lines). Not in a stream whose errors are part of its
 * usual output either: there a new error template arriving as a burst is what the stream does.
 */
export const NEWCOMER_PARAMS = Object.freeze({
  /** Half-life, in lines, of the stream's decayed count of error lines and of all its lines (LogsState.al). */
  halfLife: 2000,
  /** Errors are unusual for the stream while its error lines are under this share of its lines (decayed). */
  maxErrorShare: 0.01,
});

/** The per-line decay of LogsState.al's two counts (NEWCOMER_PARAMS.halfLife). */
const NEWCOMER_DECAY = 2 ** (-1 / NEWCOMER_PARAMS.halfLife);

/**
 * LogsState.al for a state saved before it (an upgrade: templates, no al), from the history the
 * state holds: its templates' lines (MinerState counts) and those of them whose template states an
 * error level (LineSeverity.error of its text), as decayed counts of that many lines at that share.
 * Without it the upgraded stream started at [0, 0], where one line without an error made the
 * next error unusual: a stream with a long history, errors in a tenth of its lines, took its first
 * new error template after the upgrade for an error it seldom logs. A stream that never saved a
 * template (a fresh one, a v1 text state's fresh miner) keeps undefined: al starts at its first rated line.
 */
export function seededErrorShare(m: MinerState): [number, number] | undefined {
  let lines = 0;
  let errors = 0;
  const sev = new LineSeverity();
  for (const [, joined, , count] of m.t) {
    lines += count;
    if (sev.of(joined.replaceAll('\u0001', ' ')).error) errors += count;
  }
  if (lines <= 0) return undefined;
  const w = (1 - NEWCOMER_DECAY ** lines) / (1 - NEWCOMER_DECAY);
  return [fixed((w * errors) / lines, 4), fixed(w, 4)];
}

/**
 * The rate record of a template first seen at `ts` in a stream whose own record is `sr` (undefined:
 * none to start from). In a stream with minWindows of history the template was absent from all of
 * them: its record starts with those windows and a mean of 0, so its first burst is tested (a
 * never-seen alert arriving as its own flood) instead of teaching the template its rate (the first
 * window sets the mean, and the burst's peak then excuses every later burst of its size).
 */
function newRate(sr: RateStats | undefined, ts: number): RateStats {
  const r = freshRate(ts);
  if (sr !== undefined && sr[3] >= RATE_PARAMS.minWindows) r[3] = sr[3];
  return r;
}

/** A burst finding of a rate record (`usual`: its decayed mean per window) named `name`. */
function burstPart(name: string, b: Burst, usual: number, score: number, ids: Record<string, number | string>, kind = 'burst', noun = 'template'): Part {
  const P = RATE_PARAMS;
  const p = Number((10 ** -b.rawS).toPrecision(2));
  // The window's count slides over the previous window (rate.ts: burstTest): a whole number of lines within this window, else about so many in the last windowMs.
  const inWin = Number.isInteger(b.k) ? `${b.k} lines in this ${P.windowMs / 1000} s window` : `about ${b.k.toFixed(1)} lines in the last ${P.windowMs / 1000} s`;
  const streamN = Number.isInteger(b.streamCount) ? `${b.streamCount}` : `about ${b.streamCount.toFixed(1)}`;
  const disp = b.D > 1.05 ? `, counts over-dispersed ×${b.D.toFixed(1)}` : '';
  const explanation = b.scan
    ? `${name}: ${b.k} lines within ${fmtSpan(b.span)} of event time, where it usually shows ${(usual / (P.windowMs / 1000)).toPrecision(2)} per second (Poisson tail p ≈ ${p} at an expected ${b.lambda.toPrecision(2)}${disp}; ${SCAN_PRIOR} spans tested).`
    : b.peak > 0
      ? `${name}: ${inWin} of event time, more than in its earlier bursts (at most ${b.peak.toPrecision(3)} per window, decayed; Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}); it usually shows ${usual.toFixed(2)} per window.`
      : b.share >= 0
      ? `${name}: ${inWin} of event time; the stream sent ${streamN} lines in it, of which this ${noun} is usually ${(100 * b.share).toPrecision(2)}% (Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}; its usual ${usual.toFixed(2)} per window alone would expect fewer).`
      : `${name}: ${inWin} of event time vs. a usual ${usual.toFixed(2)} per window (Poisson tail p ≈ ${p} at an expected ${b.lambda.toFixed(2)}${disp}).`;
  return {
    score,
    detector: RATE_DETECTOR,
    explanation,
    details: { kind, ...ids, count: Number(b.k.toFixed(2)), usual, p_value: p, window_ms: b.scan ? b.span : P.windowMs, ...(b.share >= 0 ? { stream_count: Number(b.streamCount.toFixed(2)), usual_share: Number(b.share.toPrecision(4)) } : {}), ...(b.peak > 0 ? { peak: b.peak } : {}) },
  };
}

export class RateScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;

  /** `evicted` receives the id of a template the miner evicts when a period record is charged (logs.ts drops its records). */
  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
    if (s.al === undefined) {
      const al = seededErrorShare(s.m);
      if (al !== undefined) s.al = al;
    }
  }

  /**
   * Charges the templates' period records of a loaded state to their templates (PERIOD_BYTES
   * each, as when they were created), evicting beyond the budget as then; a record whose
   * template is gone is dropped. After chargeSlotStats (slots.ts), in the state's key order.
   */
  chargePeriods(): void {
    if (this.#s.rp !== undefined) this.#miner.chargeRecords(this.#s.rp, () => PERIOD_BYTES, this.#evicted);
  }

  /**
   * A line of template `t` at `ts` (counted by streamLine first; `text`, the raw line): a burst
   * finding at least `threshold` to out; its score (EXPECTED for a burst on a schedule). A template
   * whose first line states an error level in a stream whose lines seldom do (#unusualError)
   * starts its record from the stream's history (newRate): its first burst is tested, and
   * reported line by line while it goes on. Any other newcomer learns its rate from its first
   * lines (a job's first run, a client's new calls together, a new warning).
   */
  rate(t: Template, ts: number, threshold: number, out: Part[], sev: LineSeverity): number {
    const P = RATE_PARAMS;
    if (this.#s.sub !== 1 && ts % 1000 !== 0) this.#s.sub = 1;
    const unusual = this.#unusualError(sev.error);
    let r = this.#s.r[t.id];
    if (r === undefined) r = this.#s.r[t.id] = unusual ? newRate(this.#s.sr, ts) : freshRate(ts);
    else {
      if (r.length < RATE_LEN) upgradeRate(r);
      if (ts >= r[0] + P.windowMs) closeWindows(r, ts);
    }
    r[1]++;
    r[SILENT] = 0;
    const b = burstTest(r, this.#s.sr, ts, this.#s.sub === 1 ? 1 : 1000);
    pushRing(r, ts);
    const score = this.#burstScore(b, ts, 'rp', t.id, t);
    if (score >= threshold) out.push(burstPart(`Template "${clip(templateText(t))}"`, b, r[2], score, { template: t.id }));
    return score;
  }

  /**
   * Whether the line, stating an error level or not (`error`: LineSeverity.error), does while the
   * stream's lines before it seldom did (under maxErrorShare of its decayed lines, LogsState.al);
   * counts the line in al.
   */
  #unusualError(error: boolean): boolean {
    const N = NEWCOMER_PARAMS;
    const al = (this.#s.al ??= [0, 0]);
    const unusual = error && al[1] > 0 && al[0] < N.maxErrorShare * al[1];
    const d = NEWCOMER_DECAY;
    al[0] = fixed(al[0] * d + (error ? 1 : 0), 4);
    al[1] = fixed(al[1] * d + 1, 4);
    return unusual;
  }

  /**
   * The score of a template's or a family's burst test `b` (0: no burst). A burst line of a burst
   * that recurs on a schedule, no larger than before, is expected: EXPECTED (rate-period.ts; the
   * episodes in LogsState[periods][key], created at the first burst line).
   */
  #burstScore(b: Burst, ts: number, periods: 'rp' | 'fp', key: number | string, t?: Template): number {
    if (b.S <= 0) return 0;
    if (b.S >= RATE_PARAMS.half && expectedBurst(this.#period(periods, key, t), ts)) return EXPECTED;
    return fixed(b.S / (b.S + RATE_PARAMS.half), 4);
  }

  /**
   * The period record of a template (`t`, charged PERIOD_BYTES in the template layer when it is
   * created; the least recently seen others may be evicted) or of a family (within FAMILY_BUDGET).
   */
  #period(periods: 'rp' | 'fp', key: number | string, t: Template | undefined): PeriodStats {
    const all = (this.#s[periods] ??= {});
    let r = all[key];
    if (r === undefined) {
      r = all[key] = freshPeriod();
      if (t !== undefined) this.#miner.grow(t, PERIOD_BYTES, this.#evicted);
    }
    return r;
  }

  /**
   * The line's family, the templates that begin with its template's first FAMILY_WORDS constant
   * words (a message whose free-text tail varies in length is split over several templates, each
   * too young or too thin for a rate test of its own): the same burst test on the family's rate
   * record (LogsState.f, at most MAX_FAMILIES, the least recently seen out). Reported when the
   * template's own test (`own`, its score) did not reach `threshold`; the family's score.
   */
  /** Keys of LogsState.f (-1: not counted yet). */
  #families = -1;

  family(t: Template, ts: number, own: number, threshold: number, out: Part[]): number {
    const key = familyOf(t);
    if (key === null) return 0;
    const fr = (this.#s.f ??= {});
    // The families held, counted once per scorer and kept as they are added and dropped here (their only writer).
    if (this.#families < 0) this.#families = Object.keys(fr).length;
    let r = fr[key];
    if (r === undefined) {
      r = fr[key] = freshRate(ts);
      this.#families++;
    } else if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
    r[1]++;
    const b = burstTest(r, this.#s.sr, ts, this.#s.sub === 1 ? 1 : 1000);
    pushRing(r, ts);
    if (this.#families > MAX_FAMILIES) {
      trimFamilies(fr, key, this.#s.fp);
      this.#families--;
    }
    const score = this.#burstScore(b, ts, 'fp', key);
    if (score >= threshold && own !== EXPECTED && own < threshold) out.push(burstPart(`Templates beginning "${clip(key)}" (a family; here "${clip(templateText(t))}")`, b, r[2], score, { template: t.id, family: key }));
    return score;
  }

  /**
   * A JSON record's categorical values (`words`, its key=value fields; value-rate.ts), each
   * counted in its own rate record: the strongest value burst at least `threshold` to out; its score.
   */
  values(words: readonly string[], ts: number, threshold: number, out: Part[]): number {
    const v = valueRate(this.#s, words, ts, this.#s.sub === 1 ? 1 : 1000);
    if (v === null) return 0;
    const score = Number((v.S / (v.S + RATE_PARAMS.half)).toFixed(4));
    const eq = v.word.indexOf('=');
    if (score >= threshold) out.push(burstPart(`Field "${v.word.slice(0, eq)}" = "${v.word.slice(eq + 1)}" (records of every template with this value)`, v.b, v.usual, score, { field: v.word.slice(0, eq), value: v.word.slice(eq + 1) }, 'value_burst', 'value'));
    return score;
  }

  /**
   * Counts a line in the stream's own rate record (the silence of the whole stream, the share of
   * each template). A late line, before the stream's current window (a log whose timestamps go
   * back), is not counted in any window, its template's neither: false, and no rate test.
   */
  streamLine(ts: number): boolean {
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return false;
    let r = this.#s.sr;
    if (r === undefined) r = this.#s.sr = freshRate(ts);
    else if (ts < r[0]) return false;
    else if (ts >= r[0] + RATE_PARAMS.windowMs) {
      quietValues(this.#s, r, ts);
      closeWindows(r, ts);
    }
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
  silence(ts: number, threshold: number, out: Part[]): number {
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
    if (sr !== undefined && sr[BUSY] >= P.minBusyWindows && sr[SILENT] !== 1 && sr[2] >= P.streamMinMean) {
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
}
