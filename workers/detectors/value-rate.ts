// The rate of a field's value in a stream of JSON records (logs.ts): a burst of one value of a
// categorical field, whatever the records' templates.
//
//   JSON record ─► its fields as key=value words (json-line.ts)
//        │
//        ▼  per key: how many values it has shown (LogsState.vk); a key past MAX_PER_KEY values
//        │  is an id, an address, a time: marked wide (-1), its records dropped, never counted again
//        ▼  per categorical value (`key=value`, LogsState.vr, at most MAX_RECORDS, the least
//        │  recently seen out): a rate record as a template's (rate.ts), the same burst test:
//        │  its lines in the sliding 10 s window vs its decayed mean, vs its usual share of the
//        │  stream's lines in that window, vs its own earlier bursts (peak), and the scan of its
//        │  last lines' span; no test before 30 windows of the value's history
//        ▼
//   the line's strongest value burst, one finding: "errorCode = AccessDenied: 14 lines within
//   9.1 s of event time, where it usually shows 0.0012 per second"
//
// Why: a burst in an audit log (a stolen key enumerating APIs, each call denied; a person deleting
// 60 resources in a minute; a password spray) is spread over many templates, one per API or
// resource, none of which bursts on its own (cloud generator, tuning seeds 201-205: the denied
// calls and deletions were 83% of the incidents). What they share is a field's value: the error
// code, the actor's role, the verb. A value that makes up most of the stream (a constant field)
// has no others to compare with and is not reported (RATE_PARAMS.maxShare), as for templates.
import { jsonBytes } from './budget.js';
import { BURST_S, burstTest, closeWindows, freshRate, PEAK, poissonTailLog10Real, PREV_HOT, pushRing, RATE_PARAMS, type Burst, type BurstOptions, type RateStats } from './rate.js';
import type { LogsState } from './logs-state.js';
import { fixed } from './round.js';

export const VALUE_RATE_PARAMS = Object.freeze({
  /** A key that has shown more values than this is not categorical (ids, addresses, times): no value record. */
  maxPerKey: 16,
  /** Keys whose values are counted, per stream (a key past them is not judged). */
  maxKeys: 64,
  /** Value records per stream, the least recently seen out. */
  maxRecords: 256,
  /** A key=value word of more JSON bytes than this is not counted (a message, a blob). */
  maxWordBytes: 130,
  /** …nor a key of more than this many JSON bytes. */
  maxKeyBytes: 66,
  /**
   * The floor of a value's expected count per window (a template's is RATE_PARAMS.floor, 0.2): a
   * value's record is judged only after 30 windows of history, so its usual rate is measured,
   * and a value seen once in 15 minutes that comes 5 times in 10 s is a burst. The scan runs on
   * every value with this floored rate, and every test is corrected for the values tested on the line.
   */
  floor: 0.02,
  /**
   * A window whose highest S reached this is a storm's (a template's: RATE_PARAMS.half), capped
   * in the mean: a value's burst is seen from its first few lines at a low S, and the burst's
   * first window would otherwise teach the value a rate that hides the rest of it.
   */
  stormS: 1,
  /** A key whose last new value is at least this old (event time) has a settled set of values. */
  settledMs: 60 * 60_000,
  /** The slow burst's time constant (slowTest), and its S at which the score is 0.5 (a window's: RATE_PARAMS.half). */
  slowMs: 60_000,
  slowHalf: 5,
  /**
   * While a slow burst goes on (its decayed count at least RATE_PARAMS.minCount), the slow test
   * judges it against the value's usual rate from before it began, for at most this long of event
   * time: the burst's own windows enter the mean (3 a window is no storm for the window test) and
   * taught a value deleted once a minute a rate of 3 a window within a minute (cloud 202: a
   * person's 34 deletions in 110 s were reported on their first 9 lines only). Longer, it is the
   * value's new rate. 90 s, not 180: db 205's mongo c = NETWORK rising with the connections for
   * minutes gave 34 more false alarms at 180 s, 11 at 90 s (cloud 202: 6 vs 7 incidents missed).
   */
  slowHoldMs: 90_000,
  /**
   * A value on the line that is in one of its usual bursts (it has come in bursts, a peak of at
   * least RATE_PARAMS.minCount; its decayed count over slowMs is at least minCount above its usual
   * rate there, its excess; no test finds it news) and makes up at most this share of the
   * stream's lines explains the bursts of the line's other values of no larger excess: a Terraform
   * plan's hourly run is a burst of its role, and with it of us-east-1 (IAM calls) and of
   * requestParameters = null, values that other actors send too and whose peaks have decayed;
   * for a window after such a line, the other lines' bursts of no larger excess are explained too
   * (a person's call to us-east-1 in the middle of the plan's run).
   * A person's deletions are a burst of readOnly = false too, within its usual bursts (deploys),
   * but its excess is smaller than the person's (its usual rate is higher): not explained.
   * Chosen on cloud 201-210 (branch cloud13).
   */
  coverShare: 0.5,
});

/** The last part of a field name that names who acted (logs-pairs.ts's actors too). */
export const ACTOR_KEY = /(^|\.)(user|username|user_name|userid|user_id|actor|principal|principalid|principal_id|alternateid|invokedby|caller|login|client_id|clientid)$/i;

/** The strongest value burst of the line fed last (valueRate's), read before the next call. */
export interface ValueBurst {
  S: number;
  word: string;
  usual: number;
  b: Burst;
}

const best: ValueBurst = { S: 0, word: '', usual: 0, b: undefined as unknown as Burst };
const saved: Burst = { S: 0, rawS: 0, scan: false, k: 0, span: 0, lambda: 0, D: 1, share: -1, streamCount: 0, peak: 0 };

/**
 * Counts the record's categorical values at `ts` (the stream's own record, `s.sr`, already counted)
 * and tests each for a burst: the strongest (S > 0), or null. `words`: the record's key=value words.
 */
export function valueRate(s: LogsState, words: readonly string[], ts: number, res: number): ValueBurst | null {
  const P = VALUE_RATE_PARAMS;
  const vk = (s.vk ??= {});
  const vr = (s.vr ??= {});
  best.S = 0;
  const streamMean = s.sr === undefined ? 0 : s.sr[2];
  const todo = candidates(vk, words);
  const o: BurstOptions = { floor: P.floor, scanFloored: true, tests: Math.max(1, todo.length) };
  // The largest excess over slowMs of a value on the line in one of its usual bursts (coverShare), and the best's.
  let cover = 0;
  let bestC = 0;
  for (const w of todo) {
    const eq = w.indexOf('=');
    const key = w.slice(0, eq);
    let n = vk[key];
    let r = vr[w];
    if (r === undefined) {
      if (n === undefined) {
        if (Object.keys(vk).length >= P.maxKeys) continue;
        n = 0;
      }
      if (n >= P.maxPerKey) {
        vk[key] = -1;
        if (s.vn !== undefined) delete s.vn[key];
        for (const k of Object.keys(vr)) if (k.indexOf('=') === eq && k.startsWith(key)) delete vr[k];
        continue;
      }
      vk[key] = n + 1;
      // Its first window enters the mean at the EWMA's weight, not as the whole mean (a template's
      // first window does): the value was seen once, not once per window.
      // A new value of a key whose values have been settled (no new one for settledMs: a verb,
      // an error code) is judged at once, at the floor's rate: a never-seen value arriving in a
      // burst (a first mass deletion) is no less a burst. A key still showing new values (the
      // actors of a stream that is starting its day) gives its new value the usual 30 windows.
      const vn = (s.vn ??= {});
      const settled = n > 0 && vn[key] !== undefined && ts - vn[key] >= P.settledMs;
      vn[key] = ts;
      r = vr[w] = freshRate(ts);
      r[3] = settled ? RATE_PARAMS.minWindows : 1;
      trim(vr, w);
    } else if (ts >= r[0] + RATE_PARAMS.windowMs) closeValue(r, ts, ACTOR_KEY.test(key));
    r[1]++;
    const b = burstTest(r, s.sr, ts, res, o);
    pushRing(r, ts);
    // A scan of no more lines than the value's earlier bursts put in one window is none (the window test has the peak already).
    if (b.scan && r[PEAK] >= RATE_PARAMS.minCount && b.k <= r[PEAK]) b.S = 0;
    slowTest(b, r, ts, o);
    const share = streamMean > 0 ? r[2] / streamMean : 0;
    if (b.S <= 0 && share <= P.coverShare && usualBursts(r, ts)) cover = Math.max(cover, excess(r));
    // A value that is most of the stream has no others to compare with (as a template's), its share on its raw counts (RAW_MEAN).
    if (b.S > best.S && !(streamMean > 0 && Math.max(r[2], r[RAW_MEAN] ?? 0) / streamMean > RATE_PARAMS.maxShare)) {
      bestC = excess(r);
      best.S = b.S;
      best.word = w;
      best.usual = r[2];
      Object.assign(saved, b);
      best.b = saved;
    }
  }
  // A usual burst covers the stream's lines for a window: the lines of others within it carry its values too.
  if (cover >= RATE_PARAMS.minCount) s.vc = [ts, fixed(cover, 2)];
  else if (s.vc !== undefined && ts - s.vc[0] <= RATE_PARAMS.windowMs) cover = s.vc[1];
  return best.S > 0 && (cover < RATE_PARAMS.minCount || bestC > cover) ? best : null;
}

/**
 * The value has come in bursts (a peak of RATE_PARAMS.minCount) and had minWindows of history
 * before its slow burst going on began: a value new with this burst (a first run) explains nothing.
 */
function usualBursts(r: RateStats, ts: number): boolean {
  const during = r[SLOW_FROM] > 0 ? (ts - r[SLOW_FROM]) / RATE_PARAMS.windowMs : 0;
  return r[PEAK] >= RATE_PARAMS.minCount && r[3] >= RATE_PARAMS.minWindows + during;
}

/** A value's count over slowMs beyond its usual rate there, from before its slow burst (its excess: what a burst adds; after slowTest). */
function excess(r: RateStats): number {
  return r[SLOW] - (RATE_PARAMS.factor * Math.min(r[2], r[SLOW_MEAN]) + VALUE_RATE_PARAMS.floor) * (VALUE_RATE_PARAMS.slowMs / RATE_PARAMS.windowMs);
}

/** Where a value's record keeps its decayed count (time constant slowMs) and the time of its last line. */
const SLOW = 17;
const SLOW_TS = 18;
/** …the value's usual rate (r[2]) from before the slow burst going on, and the event time it began (0: none). */
const SLOW_MEAN = 19;
const SLOW_FROM = 20;

/**
 * A slow burst (30 deletions in 100 s: 3 a window, under the window test's 5, too spread for the
 * scan's last 5 lines): the value's count decayed with time constant slowMs against its usual
 * rate over that time (floored, × RATE_PARAMS.factor; its earlier bursts' peak too), Poisson,
 * corrected for the values tested; raises `b` where its S is higher (explained as the count
 * within slowMs).
 */
function slowTest(b: Burst, r: RateStats, ts: number, o: BurstOptions): void {
  const P = VALUE_RATE_PARAMS;
  const W = RATE_PARAMS.windowMs;
  while (r.length <= SLOW_FROM) r.push(0);
  const c = (r[SLOW_TS] > 0 ? r[SLOW] * Math.exp(-Math.max(0, ts - r[SLOW_TS]) / P.slowMs) : 0) + 1;
  r[SLOW] = fixed(c, 4);
  r[SLOW_TS] = ts;
  if (c < RATE_PARAMS.minCount) r[SLOW_FROM] = 0;
  else if (r[SLOW_FROM] === 0) r[SLOW_FROM] = ts;
  // Outside a slow burst (or past slowHoldMs of one) the usual rate follows the value's mean.
  if (r[SLOW_FROM] === 0 || ts - r[SLOW_FROM] > P.slowHoldMs) r[SLOW_MEAN] = r[2];
  if (r[3] < RATE_PARAMS.minWindows || c < RATE_PARAMS.minCount) return;
  const usual = Math.min(r[2], r[SLOW_MEAN]);
  const perWindow = Math.max(RATE_PARAMS.factor * usual + o.floor, r[PEAK] >= RATE_PARAMS.minCount ? RATE_PARAMS.factor * r[PEAK] : 0);
  const lam = perWindow * (P.slowMs / W);
  const S = (-poissonTailLog10Real(c, lam) - Math.log10(o.tests)) * (RATE_PARAMS.half / P.slowHalf);
  if (S > b.S) {
    b.S = S;
    b.rawS = S;
    b.scan = true;
    b.k = Number(c.toFixed(1));
    b.span = P.slowMs;
    b.lambda = lam;
    b.D = 1;
    b.share = -1;
    b.peak = 0;
  }
}

/** Where a value's record keeps the largest window of its storm going on (RATE_LEN = 16 numbers before it). */
const STORM_MAX = 16;

/**
 * Where a value's record keeps its mean per window of its raw counts (storm windows whole, as the
 * stream's own record takes them; r[2] caps them): its share of the stream. A value on every
 * record (MongoDB's "s" = "I") stays most of the stream after a storm, where its capped mean made
 * it look like a fifth of it, and every ordinary record in the next storm was reported as a burst
 * of it (db 201-210: 70 false alarms). A record without one (an older state) starts it at r[2].
 */
const RAW_MEAN = 21;

/** The numbers a value's record holds at most (RAW_MEAN is its last): what VALUE_BUDGET is checked with. */
export const VALUE_RECORD_LEN = RAW_MEAN + 1;

/** closeValue's update of RAW_MEAN: the closed window's raw count `raw` and the `k` windows it moves on, at closeWindows's weights. */
function rawMean(r: RateStats, raw: number, k: number): void {
  if (r.length <= RAW_MEAN) {
    while (r.length < RAW_MEAN) r.push(0);
    r.push(r[2]);
  }
  const P = RATE_PARAMS;
  let m = r[RAW_MEAN] + (r[3] === 0 ? 1 : P.alpha) * (raw - r[RAW_MEAN]);
  if (k > 1) m *= (1 - P.alpha) ** Math.min(k - 1, 10_000);
  r[RAW_MEAN] = fixed(m, 6);
}

/**
 * closeWindows with the value's lower storm mark, and its peak kept whole: a storm's windows enter
 * the mean and the peak capped (so the storm's later windows are judged against the value's
 * usual rate, not against its own first window), and once the storm is over its largest window
 * becomes the peak, uncapped: a value that comes in bursts (a pipeline's hourly run) is not
 * reported for a burst no larger than its last. An actor's value (`actor`: its key is ACTOR_KEY's)
 * in a slow burst (slowGoingOn) keeps its peak from before it, the burst's windows held in the
 * storm mark and made its peak after it: a person deleting every 2 s (5 a window, no storm for the
 * window test once their rate had risen with their work) had the burst's second window as their
 * earlier burst, and the slow test expected 45 a minute (cloud 203: 41 deletions, none reported;
 * value-rate-slow-peak.unit.test.ts). Only actors: a value many actors send (a namespace,
 * readOnly = false) rises slowly with the stream's work (all values: cloud 201-207 +70 false alarms).
 */
function closeValue(r: RateStats, ts: number, actor: boolean): void {
  const P = VALUE_RATE_PARAMS;
  const raw = r[1];
  const storm = r[BURST_S] >= P.stormS || (r[PREV_HOT] === 1 && r[BURST_S] >= P.stormS * RATE_PARAMS.stormHold);
  // Empty windows after the closed one: the storm, if any, is over with it.
  const over = ts >= r[0] + 2 * RATE_PARAMS.windowMs;
  rawMean(r, raw, Math.floor((ts - r[0]) / RATE_PARAMS.windowMs));
  const slow = actor && slowGoingOn(r, ts);
  const peak = r[PEAK];
  closeWindows(r, ts, P.stormS);
  let held = r.length > STORM_MAX ? r[STORM_MAX] : 0;
  // A slow burst's windows wait in the storm mark too: its own windows are no earlier burst to judge it by.
  if (storm || slow) held = r[STORM_MAX] = Math.max(held, raw);
  if (slow) r[PEAK] = peak;
  else if ((!storm || over) && held > 0) {
    r[PEAK] = Math.max(r[PEAK], held);
    r[STORM_MAX] = 0;
  }
}

/** A slow burst of the value goes on (slowTest: its decayed count reached RATE_PARAMS.minCount) and is at most slowHoldMs old. */
function slowGoingOn(r: RateStats, ts: number): boolean {
  return r.length > SLOW_FROM && r[SLOW_FROM] > 0 && ts - r[SLOW_FROM] <= VALUE_RATE_PARAMS.slowHoldMs;
}

/** The record's words that may be categorical values: a key not known wide, a word of bounded bytes. */
function candidates(vk: Record<string, number>, words: readonly string[]): string[] {
  const P = VALUE_RATE_PARAMS;
  const out: string[] = [];
  for (const w of words) {
    const eq = w.indexOf('=');
    if (eq <= 0 || w.length > P.maxWordBytes || vk[w.slice(0, eq)] === -1) continue;
    if (jsonBytes(w) > P.maxWordBytes || eq + 2 > P.maxKeyBytes && jsonBytes(w.slice(0, eq)) > P.maxKeyBytes) continue;
    out.push(valueClass(w, eq));
  }
  return out;
}

/** A run of 8 or more hex digits with a digit among them, or of 6 or more digits: an id, a session, an account number (the hex run first: `123456e0` is one run). */
const ID_RUN = /(?=[0-9a-fA-F]*[0-9])[0-9a-fA-F]{8,}|[0-9]{6,}/g;

/**
 * The word with the id runs of its value as one class, `#`: an actor's identity that carries a
 * fresh session id on each call (`assumed-role/KarpenterControllerRole-prod/1700000000123456789`,
 * `assumed-role/orders-api-task/<32 hex>`) is one value, so the key keeps few values and the
 * people's identities beside them (`assumed-role/AWSReservedSSO_PowerUserAccess_<hex>/erin@…`,
 * no id run in the name) are counted as values of their own: a person's burst of deletions is a
 * burst of their identity. Before, the automation's sessions made the key wide and dropped it
 * (cloud 202: a person's 71 deletions of 7 APIs in 60 s went unreported for their first 30 lines).
 * A code of up to 5 digits (an HTTP status, an SQLSTATE) stays as it is, and so does a value that
 * is one run alone (a byte count, a bare session id: db 205's `bytesRead` became one value `#`).
 */
export function valueClass(w: string, eq: number): string {
  ID_RUN.lastIndex = 0;
  const v = w.slice(eq + 1);
  if (!ID_RUN.test(v)) return w;
  const c = v.replace(ID_RUN, '#');
  // A value that is all id (a count, a size, a session id alone) stays itself: its key is numeric or an id, wide.
  return c === '#' ? w : w.slice(0, eq + 1) + c;
}

/**
 * Drops the least recently seen value records (by their last line's time; ties by word) beyond
 * maxRecords, never `keep`. Its key's count of values stays: a key whose values keep pushing
 * others out is counted to wide, not kept cycling through the table.
 */
function trim(vr: Record<string, RateStats>, keep: string): void {
  const words = Object.keys(vr);
  if (words.length <= VALUE_RATE_PARAMS.maxRecords) return;
  let old = '';
  for (const w of words) if (w !== keep && (old === '' || vr[w][5] < vr[old][5] || (vr[w][5] === vr[old][5] && w < old))) old = w;
  delete vr[old];
}
