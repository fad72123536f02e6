// Value bursts of a log stream (logs.ts): one value of an id-like slot (a source address, a user,
// a client) that suddenly recurs in a template's lines far more than any value of that slot does.
//
//   line of template t ─► its high-cardinality slots (fields.ts no longer keeps their values)
//        │  value v of slot k: c = this line + the stream's last REPEAT_RING lines of t with the
//        │  same v in slot k within windowMs of event time (the ring: hashes and times)
//        ▼
//   c against t's record (decayed mean of c, of c², peak c): quasi-Poisson tail at
//   factor × mean + floor (rate.ts's arithmetic), and against the peak (a value burst no larger
//   than the template's earlier ones is not reported: the smaller S of the two); Bonferroni
//   over the slots tested. The peak is the largest c of a window without a finding, decayed per
//   window of event time (a monitoring host's check of 12 names every 5 minutes is usual).
//        ▼
//   breadth (branch edge14): the burst's lines show, in another slot whose values usually recur
//   (ports, paths, names: learnt per template as the chance that two lines share the value), at
//   least c/2 different values and more than the slot's effective number of values. A scan is
//   one value against many others; a host's routine run (its few messages over and over, with a
//   sequence number, a reading or a packet id new on each line) is one value against the same few.
//   Or (branch edge22) a slot far broader than one value's lines usually are in it (logs-breadth.ts:
//   its own history), whose surprise then judges the burst as well as its count does.
//
// A port scan: a source knocks on 40-160 ports in seconds where every source usually knocks on
// 1-4; the template's rate alone (knocks of many sources, clumped) needs 30-40 of them. Event
// time only; the ring and the records live in the state (LogsState.hr, hv), so the findings do
// not depend on the batch split. A template's record is charged REPEAT_BYTES in the template
// layer and leaves with it.
import type { Template, TemplateMiner } from './templates.js';
import { templateText } from './templates.js';
import { ownSlot, slotLayout } from './slots.js';
import { dispersion, poissonTailLog10Real, RATE_PARAMS } from './rate.js';
import { round6 } from './round.js';
import { FNV_BASIS, FNV_PRIME, fnv1aFrom } from './fnv.js';
import { clip, type LogsState, type Part } from './logs-state.js';
import { slotEntity, TOKEN } from './slot-entity.js';
import { closeWindow } from './logs-repeat-window.js';
import { BREADTH_PARAMS, breadthAt, breadthBytes, breadthSurprise, burstLines, learnBreadth } from './logs-breadth.js';

export const VALUE_BURST_DETECTOR = 'value_burst';

/**
 * Value bursts' parameters.
 */
export const REPEAT_PARAMS = {
  /** Lines of the stream remembered (a value's recurrences are counted among them). */
  ring: 24,
  /**
   * Slots of a template kept per line (the first ones that are id-like or have shown two values;
   * before branch edge14 the first 4 id-like ones, where a netfilter line's DPT was not among them).
   */
  maxSlots: 8,
  /** EWMA weight per line of the mean and mean square of c. */
  alpha: 0.01,
  /** The peak c decays by this factor per window of event time (rate.ts's peakDecay). */
  peakDecay: 0.99,
  /**
   * Lines of the template before a finding. Off from 6 Dec 17:25 to branch edge14 (Thunderbird_2k:
   * 16 false alarms in 2,000 lines, a host's routine run); on since a burst must also be broad
   * (breadth below). Edge 201-210 with it on: scan 235 of 275 incidents, 183 without.
   */
  minLines: 500,
  /**
   * Closed windows of event time (10 s each) in which the template was seen, before a finding.
   * The peak (the template's earlier value bursts) and the mean of c are learned window by
   * window: a template seen in fewer windows has no known history of bursts, and a line that is
   * only "within 10 s" of the others because the stream's times do not separate them (a file
   * replayed with times 1 ms apart, or minutes of lines stamped with one second) is no evidence
   * of a burst in time. Without it (branch edge12, peak 0 while no window had closed) a
   * replayed HPC log's routine bursts of one host took Thunderbird_2k from 1 to 10.5 false
   * alarms per 1,000 (test/workers/detect.e2e.test.ts).
   */
  minWindows: 20,
  /** c at which a value burst may be reported. */
  minCount: 6,
  /**
   * Values of a template remembered as having burst (c ≥ minCount; the least recently bursting out):
   * a value that bursts again after routineGapMs of event time without bursting is routine, as
   * long as its burst goes on (gaps under routineGapMs). One host's periodic burst of a warning
   * (a monitoring daemon's check of many items every hour) is reported at most the first time;
   * the decayed peak alone forgets it within the hour (0.99 per 10 s window).
   */
  burstValues: 3,
  routineGapMs: 60_000,
  /**
   * A scan's breadth (branch edge14): a value burst is reported only when, among its lines,
   * another slot shows at least breadth × c different values, a slot whose values usually recur
   * (the chance that two lines of the template share its value, learnt over the ring, at least
   * sharedMin, after sharedLines lines): ports, paths, names, not a counter, a packet id or a
   * sequence number, which differ on every line of any run.
   */
  breadth: 0.5,
  /**
   * Different values in the burst's lines that are broad whatever the slot's share: half the
   * ring. A slot whose effective number of values (1 / share) is near or above the ring's 24
   * lines could otherwise never show more of them (a port slot of share 0.03-0.05); a routine run
   * cycles through its few values (6 metrics), well under it.
   */
  broadValues: 12,
  sharedMin: 0.03,
  sharedLines: 100,
};

/** Slots (by index in the template) whose share of recurring values is learnt: the first 32. */
const MAX_SHARED_SLOT = 32;
const SHARE_BYTES = 12; // a number of a template's shares record (hd), in JSON

/**
 * A template's record: [decayed mean of c, of c², peak c, lines, largest c in the current window,
 * the window's start, 1 when the window had a finding, windows closed with a line (absent in
 * records saved before it: 0)]; in JSON with its id as key (a timestamp of 17 characters, seven
 * other numbers of up to 12): charged to the template.
 */
export const REPEAT_BYTES = 14 + 17 + 7 * 12;
/** A remembered bursting value in a record: its key, its last burst's time, 1 when routine. */
const BURST_VALUE_BYTES = 3 * 14;

/** Lines whose ring entries are left behind the window before they are dropped in one copy (RepeatScorer.compact). */
const COMPACT_LINES = 64;

/** 32-bit FNV-1a of (template id, slot index, value), its low 24 bits: the ring's key (8 digits at most in the state). */
export function keyOf(id: number, k: number, v: string, from = 0): number {
  return fnv1aFrom(v, from, Math.imul(Math.imul(FNV_BASIS ^ id, FNV_PRIME) ^ k, FNV_PRIME)) & 0xff_ffff;
}

export class RepeatScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;
  /** The line's slot keys and their slots' indices (the first nk count), their counts in the ring within windowMs, and their recurrences among its lines of the template (reused from line to line). */
  readonly #keys: number[] = [];
  readonly #slots: number[] = [];
  readonly #idLike: boolean[] = [];
  readonly #counts = new Int32Array(REPEAT_PARAMS.maxSlots);
  readonly #same = new Int32Array(REPEAT_PARAMS.maxSlots);

  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
  }

  /** Where the ring's window begins in LogsState.hq: the entries before it are out (compact drops them). */
  #from = 0;

  /** Drops the ring's entries that are out of its window (before the state is saved, and every COMPACT_LINES lines). */
  compact(): void {
    const ring = this.#s.hq;
    const drop = this.#from;
    this.#from = 0;
    if (ring === undefined || drop === 0) return;
    // In place (splice would allocate the removed entries' array).
    for (let j = drop; j < ring.length; j++) ring[j - drop] = ring[j];
    ring.length -= drop;
  }

  /** Charges a loaded state's records to their templates (as when created); a record whose template is gone is dropped. */
  chargeRecords(): void {
    if (this.#s.hv !== undefined) this.#miner.chargeRecords(this.#s.hv, (r) => REPEAT_BYTES + BURST_VALUE_BYTES * Math.max(0, Math.floor((r.length - 8) / 3)), this.#evicted);
    if (this.#s.hd !== undefined) this.#miner.chargeRecords(this.#s.hd, (d) => SHARE_BYTES * d.length, this.#evicted);
    if (this.#s.hb !== undefined) this.#miner.chargeRecords(this.#s.hb, breadthBytes, this.#evicted);
  }

  /**
   * The line's keys into #keys, #slots and #idLike: its slots in the template's order that are
   * id-like (a value burst's candidates) or have shown more than one value (a scan's breadth may
   * be in a port slot of few values before the scan), at most maxSlots; their number.
   */
  #keysOf(t: Template, tokens: readonly string[], ts: number): number {
    const L = slotLayout(t);
    let nk = 0;
    this.idCount = 0;
    for (let k = 0; k < L.pos.length && nk < REPEAT_PARAMS.maxSlots; k++) {
      const f = L.fields[k];
      const i = L.pos[k];
      if (f === undefined || (f.v !== null && f.k < 2) || i >= tokens.length) continue;
      // The value is the token from its cut on (hashed there); a token of another key (slots.ts readSlot) is not this slot's value.
      const tok = tokens[i];
      const cut = L.cut[k];
      if (!ownSlot(L, k, tok)) continue;
      // The line's time (a clock, a date, epoch seconds) is no id: every line of the same second shares it; an address:port is its address (slot-entity.ts).
      const who = slotEntity(tok, cut, ts);
      if (who === null) continue;
      this.#slots[nk] = k;
      this.#idLike[nk] = f.v === null;
      if (f.v === null) this.ids[this.idCount++] = fnv1aFrom(tok, cut, FNV_BASIS) & 0xff_ffff;
      this.#keys[nk++] = (who === TOKEN ? keyOf(t.id, k, tok, cut) : keyOf(t.id, k, who)) || 1;
    }
    return nk;
  }

  /**
   * The last line fed (line()) is its template's ordinary traffic during another value's burst:
   * the template's record had a value-burst finding in this window of event time, a value that
   * burst within windowMs is none of this line's, and this line's own values are no burst. The
   * template's rate burst is that value's (a scan's knocks), not this line's (logs.ts drops the
   * line's template and family rate findings): during a port scan, the ordinary drops of other
   * sources are not anomalies (edge 201-210: 64 of 628 false alarms were such lines).
   */
  ordinary = false;

  /**
   * The last line fed (line()) has id-like slots, each value alone among its template's ring lines within
   * windowMs of event time: one of many distinct ones (a fleet's devices reconnecting; logs-fold.ts foldWave).
   */
  lone = false;

  /** The last line's id-like values as they are (24-bit hashes of the whole tokens, whatever the template), the first idCount: logs-wave.ts. */
  readonly ids: number[] = [];
  idCount = 0;

  /** The line's slot values (its template `t`, tokens, event time `ts`): a value burst at least `threshold` to out; its score. */
  line(t: Template, tokens: readonly string[], ts: number, threshold: number, out: Part[]): number {
    const P = REPEAT_PARAMS;
    this.ordinary = false;
    this.lone = false;
    const nk = this.#keysOf(t, tokens, ts);
    if (nk === 0) return 0;
    // The ring before branch edge14 (5 numbers a line, no template) cannot be read as this one.
    if (this.#s.hr !== undefined) delete this.#s.hr;
    const ring = (this.#s.hq ??= []);
    const keys = this.#keys;
    const W = RATE_PARAMS.windowMs;
    const stride = P.maxSlots + 2;
    // Per slot: this line and the ring's lines of t within W with the same key there (counts),
    // and the ring's lines of t with it at any time (same, for the slot's share of recurring
    // values). A key is the slot's value at the slot's place in the line's keys, which stays while
    // the template's slots keep their kinds (a constant slot's second value shifts the places after it).
    // (Only the first nk places are read, here and in #learnShares: set in a loop, not by fill's call.)
    const counts = this.#counts;
    const same = this.#same;
    for (let q = 0; q < nk; q++) {
      counts[q] = 1;
      same[q] = 0;
    }
    let m = 0;
    for (let j = this.#from; j + stride <= ring.length; j += stride) {
      if (ring[j + 1] !== t.id) continue;
      m++;
      const dt = ts - ring[j];
      const near = dt < W && dt >= 0;
      for (let q = 0; q < nk; q++) {
        if (ring[j + 2 + q] !== keys[q]) continue;
        same[q]++;
        if (near) counts[q]++;
      }
    }
    // The id-like value counted most (the first of equals), its count and its place among the keys.
    let c = 1;
    let top = 0;
    let qTop = -1;
    let tests = 0;
    for (let q = 0; q < nk; q++) {
      if (!this.#idLike[q]) continue;
      tests++;
      if (counts[q] > c) {
        c = counts[q];
        top = keys[q];
        qTop = q;
      }
    }
    // This line: its time, template and keys (0: no slot), the oldest line out.
    ring.push(ts, t.id);
    for (let x = 0; x < P.maxSlots; x++) ring.push(x < nk ? keys[x] : 0);
    // The oldest out: the window moves on, and the entries behind it go in one copy now and then (compact).
    const drop = ring.length - stride * P.ring - this.#from;
    if (drop > 0) this.#from += drop;
    if (this.#from >= COMPACT_LINES * stride) this.compact();
    if (tests === 0) return 0;
    this.lone = c === 1;
    // A line of a value burst does not teach the slots' shares (a scan's ports would make the port
    // slot look like an id's).
    if (c < P.minCount) this.#learnShares(t, nk, m);
    if (c >= 2 && c < P.minCount) this.#learnBreadths(t, qTop, ts, nk);
    const score = this.#judge(t, c, top, ts, tests, c >= P.minCount ? this.#broad(t, qTop, c, ts, nk) : -1, threshold, out);
    this.ordinary = c < P.minCount && this.#otherBurst(t, ts, nk);
    return score;
  }

  /** Whether t's record had a value-burst finding in this window and a value none of the line's (its nk keys) burst within windowMs of ts, not routinely. */
  #otherBurst(t: Template, ts: number, nk: number): boolean {
    const r = this.#s.hv?.[t.id];
    if (r === undefined || r[6] !== 1) return false;
    for (let j = 8; j + 2 < r.length; j += 3) {
      if (r[j + 2] === 1 || ts - r[j + 1] >= RATE_PARAMS.windowMs) continue;
      let own = false;
      for (let q = 0; q < nk && !own; q++) own = this.#keys[q] === r[j];
      if (!own) return true;
    }
    return false;
  }

  /**
   * Learns, per slot of t tested on this line, the share of the ring's lines of t that had this
   * line's value there (`same`, among `m` lines): a decayed estimate of the chance that two lines
   * of t share the slot's value (Simpson's index). A port or a path recurs (22, /login); a
   * counter, a packet id, a byte count or a sequence number almost never does.
   */
  #learnShares(t: Template, nk: number, m: number): void {
    if (m === 0) return;
    const hd = (this.#s.hd ??= {});
    let d = hd[t.id];
    if (d === undefined) {
      d = hd[t.id] = [0, 0];
      this.#miner.grow(t, 2 * SHARE_BYTES, this.#evicted);
    }
    const a = REPEAT_PARAMS.alpha;
    d[0] = Math.min(d[0] + 1, 1e9);
    d[1] = round6(d[1] + a * (m - d[1]));
    for (let q = 0; q < nk; q++) {
      const k = this.#slots[q];
      if (k >= MAX_SHARED_SLOT) continue;
      while (d.length < 3 + k) {
        d.push(0);
        this.#miner.grow(t, SHARE_BYTES, this.#evicted);
      }
      d[2 + k] = round6(d[2 + k] + a * (this.#same[q] - d[2 + k]));
    }
    // A slot not tested on this line learns a miss for it only when tested again: its share is of
    // the lines that had it.
  }

  /** The ring places of a burst's lines and one slot's different values among them (#broad), reused from call to call. */
  readonly #burstLines: number[] = [];
  readonly #seen = new Set<number>();

  /** The share record of t when its shares are learnt (sharedLines lines), else undefined. */
  #sharesOf(t: Template, qTop: number): number[] | undefined {
    const d = this.#s.hd?.[t.id];
    return d === undefined || d[0] < REPEAT_PARAMS.sharedLines || d[1] <= 0 || qTop < 0 ? undefined : d;
  }

  /**
   * A recurrence of value `qTop` (2 ≤ c < minCount): its lines' breadth in each slot whose values
   * usually recur enters the slot's breadth history (logs-breadth.ts).
   */
  #learnBreadths(t: Template, qTop: number, ts: number, nk: number): void {
    const d = this.#sharesOf(t, qTop);
    if (d === undefined) return;
    const ring = this.#s.hq ?? [];
    burstLines(ring, this.#from, REPEAT_PARAMS.maxSlots + 2, t.id, qTop, this.#keys[qTop], ts, this.#burstLines);
    for (let q = 0; q < nk; q++) {
      const k = this.#slots[q];
      if (q === qTop || k >= MAX_SHARED_SLOT || (d[2 + k] ?? 0) / d[1] < REPEAT_PARAMS.sharedMin) continue;
      learnBreadth(this.#s, this.#miner, this.#evicted, t, k, breadthAt(ring, this.#burstLines, q, this.#seen));
    }
  }

  /**
   * A scan's breadth: among the lines of the burst (value `qTop`'s key within windowMs of `ts`,
   * this line included), another slot whose values usually recur (share ≥ sharedMin, learnt from
   * sharedLines lines) shows at least breadth × c different values: one source knocking on many
   * ports, one client asking for many paths. A host's routine run (its few messages repeated, a
   * sequence number or a byte count changing on each) has no such slot. Returns -1 when no slot
   * is broad, else the largest surprise of a broad slot's breadth against its own history
   * (logs-breadth.ts; 0 without one).
   */
  #broad(t: Template, qTop: number, c: number, ts: number, nk: number): number {
    const P = REPEAT_PARAMS;
    const d = this.#sharesOf(t, qTop);
    if (d === undefined) return -1;
    const ring = this.#s.hq ?? [];
    burstLines(ring, this.#from, P.maxSlots + 2, t.id, qTop, this.#keys[qTop], ts, this.#burstLines);
    let sB = -1;
    for (let q = 0; q < nk; q++) {
      const k = this.#slots[q];
      const share = (d[2 + k] ?? 0) / d[1];
      if (q === qTop || k >= MAX_SHARED_SLOT || share < P.sharedMin) continue;
      const b = breadthAt(ring, this.#burstLines, q, this.#seen);
      if (b < P.breadth * c) continue;
      const s = breadthSurprise(this.#s, t, k, b);
      // More values than the slot usually spreads over (1 / share: its effective number of
      // values), and not a few of them repeated: a host cycling through its 6 metrics is not broad.
      // The ring holds `ring` lines: a slot that usually spreads over more values than half of it
      // (ports knocked from a wide range) is broad at broadValues different ones (edge seed 202:
      // a port slot of share 0.05, a scan of 4 knocks a second unseen); or far broader than one
      // value's lines usually are in the slot (its own history).
      if (b * share > 1 || b >= P.broadValues || s >= BREADTH_PARAMS.broadS) sB = Math.max(sB, s);
    }
    return sB;
  }

  /**
   * Whether value `key`'s burst (c ≥ minCount at event time `ts`) is routine for record r: the
   * value burst before and came back after routineGapMs without bursting. Remembers the burst
   * (r[8…]: key, time, routine, for at most burstValues values; a new one charged to template t).
   */
  #routine(t: Template, r: number[], key: number, ts: number): boolean {
    const P = REPEAT_PARAMS;
    for (let j = 8; j + 2 < r.length; j += 3) {
      if (r[j] !== key) continue;
      if (ts - r[j + 1] > P.routineGapMs) r[j + 2] = 1;
      r[j + 1] = Math.max(r[j + 1], ts);
      return r[j + 2] === 1;
    }
    if (r.length < 8 + 3 * P.burstValues) this.#miner.grow(t, BURST_VALUE_BYTES, this.#evicted);
    else {
      // The value that burst least recently makes room.
      let old = 8;
      for (let j = 11; j + 2 < r.length; j += 3) if (r[j + 1] < r[old + 1]) old = j;
      r.splice(old, 3);
    }
    r.push(key, ts, 0);
    return false;
  }

  /** The test of c for template t's record (created here), then c enters it. */
  #judge(t: Template, c: number, key: number, ts: number, tests: number, sB: number, threshold: number, out: Part[]): number {
    const P = REPEAT_PARAMS;
    const hv = (this.#s.hv ??= {});
    let r = hv[t.id];
    if (r === undefined) {
      r = hv[t.id] = [c, c * c + c, 0, 0, 0, ts - (ts % RATE_PARAMS.windowMs), 0, 0];
      this.#miner.grow(t, REPEAT_BYTES, this.#evicted);
    }
    // A record saved before its count of windows: none counted yet.
    if (r.length < 8) r[7] = 0;
    closeWindow(r, ts, P.peakDecay);
    let S = 0;
    const routine = c >= P.minCount && this.#routine(t, r, key, ts);
    if (sB >= 0 && !routine && r[3] >= P.minLines && r[7] >= P.minWindows && c >= P.minCount && c > r[2]) {
      // On rate.ts's arithmetic: a record of c's mean and mean square (its dispersion).
      const D = dispersion([0, 0, r[0], 0, r[1]]);
      const lam = RATE_PARAMS.factor * r[0] + RATE_PARAMS.floor;
      const sMean = -poissonTailLog10Real(c / D, lam / D);
      const sPeak = -poissonTailLog10Real(c, r[2] + RATE_PARAMS.floor);
      // A burst far broader than its slot's history is judged by its breadth as well (its count may be no larger than earlier bursts').
      S = Math.max(Math.min(sMean, sPeak), sB) - Math.log10(tests);
    }
    const score = S > 0 ? Number((S / (S + RATE_PARAMS.half)).toFixed(4)) : 0;
    // The window's mark is set at the default level, not the task's threshold: the state is the
    // same whatever the threshold (test/workers/threshold.e2e.test.ts).
    if (score >= 0.5) r[6] = 1;
    if (score >= threshold) {
      const p = Number((10 ** -S).toPrecision(2));
      out.push({
        score,
        detector: VALUE_BURST_DETECTOR,
        explanation: `Template "${clip(templateText(t))}": one value of an id-like slot in ${c} of its lines within ${RATE_PARAMS.windowMs / 1000} s of event time, where a value usually recurs ${r[0].toPrecision(2)} times (at most ${r[2].toPrecision(2)} in its earlier value bursts, decayed; Poisson tail p ≈ ${p}, ${tests} slot${tests === 1 ? '' : 's'} tested).`,
        details: { kind: 'value_burst', template: t.id, count: c, usual: r[0], peak: r[2], p_value: p },
      });
    }
    // A count beyond both the expected one and the peak enters at no more than the larger (a value
    // burst, reported or building up, does not make value bursts usual).
    const x = Math.min(c, Math.max(RATE_PARAMS.factor * r[0] + RATE_PARAMS.floor, r[2]));
    r[0] = round6(r[0] + P.alpha * (x - r[0]));
    r[1] = round6(r[1] + P.alpha * (x * x - r[1]));
    r[3]++;
    if (c > r[4]) r[4] = c;
    return score;
  }
}
