// Entity bursts of a log stream (logs.ts): one value of an id-like slot (a source address, a user,
// an actor) that takes over a template's recent lines, where the template's values are usually
// diverse. "41 of the last 48 `Invalid user <*> from <*> port <*>` lines came from 80.185.192.188,
// usually at most 3": a brute force against a bastion that always sees internet background
// scanning, whose every line is an ordinary one.
//
//   line of template t ─► its id-like slots (fields.ts keeps no values for them), the first maxSlots
//        │  c = this line + t's last ring lines with the same value in that slot (by lines of t,
//        │  not of the stream nor of time: other streams' or templates' lines between them, and a
//        │  quiet night or a busy hour, do not change what "the last 48 lines of t" are)
//        ▼
//   c against t's usual concentration: the peak of c (the largest c of an epoch of ring lines of
//   t), learnt only from epochs that had no finding and whose next epoch had none either (a
//   burst's first, not yet reported lines do not teach it its own size), decayed per epoch;
//   Poisson tail at the peak + floor (rate.ts's arithmetic), Bonferroni over the slots tested.
//        │
//        ▼  reported only for a stranger with spread (what a brute force is and a busy entity is not):
//   the value was first seen in the stream (logs-known.ts) when its run in the template began
//   (the mark stays on its ring lines while the run lasts), and another place of its lines takes
//   at least c/spread values the stream already knew (the user names a source tries). A busy node,
//   job or client of a real log is known to the stream before it takes over a template, and its
//   lines repeat themselves or carry ids new on each line (a dump's name, a sequence number):
//   the first form, without these two tests, reported such bursts of real logs.
//
// Why not the rate tests (logs-rate.ts) or the value bursts (logs-repeat.ts): the template is
// common (background scanners of many addresses, in clumps), so a burst of one source is only
// ~1.7× its usual peak rate per window, and the rate model learns from the burst's first window;
// a value burst counts the stream's last 24 lines within 10 s, where an attacker's attempt (1 a
// second, 2-3 lines each, other hosts' and the firewall's lines between) shows a handful. The
// composition of the template's lines, not their rate, is what changes: one source instead of many.
//
// Findings go straight to the line's findings (not the burst fold, logs-fold.ts): each line of
// the entity's burst is evidence of its own (an attempt's `Received disconnect` and `Disconnected`
// lines at the same millisecond are two lines of the attack). Event time is not used: the state is
// per line of the template, the same whatever the batch split. A template's record is charged to
// it in the template layer and leaves with it.
import type { Template, TemplateMiner } from './templates.js';
import { templateText } from './templates.js';
import { ownSlot, slotLayout } from './slots.js';
import { poissonTailLog10Real, RATE_PARAMS } from './rate.js';
import { round6 } from './round.js';
import { clip, type LogsState, type Part } from './logs-state.js';
import { freshKnown, known, see, unitAt, unitsSince, upgradeKnown, valueHash } from './logs-known.js';
import { FNV_BASIS, FNV_PRIME, fnv1aFrom } from './fnv.js';

export const ENTITY_DETECTOR = 'entity_burst';

/**
 * Entity bursts' parameters.
 */
export const ENTITY_PARAMS = Object.freeze({
  /** Lines of the template remembered (its last ones): c counts a value among them. */
  ring: 48,
  /** Id-like slots of a template tested per line (its first ones). */
  maxSlots: 3,
  /** Lines of the template before its record is kept (a young template has no usual diversity). */
  startLines: 30,
  /**
   * Lines of the template's record (after startLines) before a finding: two epochs, the first
   * one's peak entered when the second closed without a finding, and a third begun.
   */
  minLines: 120,
  /** c at which an entity burst may be reported. */
  minCount: 8,
  /** The peak decays by this factor per epoch (ring lines of the template). */
  peakDecay: 0.98,
  /** An epoch with a finding (or after one) raises the peak to at most peakGrowth × peak + 1. */
  peakGrowth: 2,
  /**
   * The value's lines carry at least 1/spread as many values known to the stream in another place
   * (user names tried, paths asked for) as they are lines.
   */
  spread: 3,
  /**
   * A stranger's mark carries over its run's lines for at most this many lines of the template
   * after it was first marked (a multiple of MARK_UNIT, at most 16 × MARK_UNIT with the ring: the
   * mark's age is counted mod 31 units): a value that keeps recurring within the ring's 48 lines
   * (a quiet stream's few ids) is no stranger for good.
   */
  strangerLines: 256,
});

/**
 * A template's record: [lines, its places' slot indices (sig), ring's next place, epoch's lines,
 * epoch had a finding], then per place (the template's first maxSlots id-like slots) [peak,
 * epoch's largest c, previous epoch's largest c (-(c) - 1: it had a finding)], then the ring: per line,
 * maxSlots keys (0: none).
 */
const HEAD = 5 + 3 * ENTITY_PARAMS.maxSlots;
/** A record in JSON (with its id as key): its head (up to 12 characters a number) and ring (up to 9). */
export const ENTITY_BYTES = 16 + HEAD * 12 + ENTITY_PARAMS.ring * ENTITY_PARAMS.maxSlots * 9;

/** A time of day or a date: the line's time, not an id. */
const CLOCK = /^(\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?|\d{4}([-./])\d{2}\4\d{2}.*)$/;
/** A number (a port, a pid, a count; `51234:11:` too): a quantity, not an entity's name. */
const NUMBER = /^\d+(?:[:,]\d*)*$/;
/**
 * A ring place's mark, in its key's high bits (1-31; 0: none): its value was a stranger to the
 * stream (logs-known.ts) when its run in the template began, and 1 + the template's line unit
 * (MARK_UNIT lines of its record, mod 31) then; a place is marked when its mark is at least STRANGER.
 */
const STRANGER = 1 << 24;
const KEY = STRANGER - 1;
const MARK_UNIT = 16;
const MARK_UNITS = 31;
const MARK_AGE = ENTITY_PARAMS.strangerLines / MARK_UNIT;
/**
 * A record's line count stays under LINES_CAP (its digits are bounded): there it steps back by
 * MARK_TURNS, whole turns of the mark clock (MARK_UNIT × MARK_UNITS lines), so the clock runs on
 * (stopped at the cap, it froze: a stranger's mark never aged) and the count stays far above minLines.
 */
const LINES_CAP = 1e9;
const MARK_TURNS = MARK_UNIT * MARK_UNITS * 1e6;
/** The record's line unit now (the unit of its lines r[0], mod MARK_UNITS). */
const unitOf = (r: number[]): number => unitAt(r[0], MARK_UNIT, MARK_UNITS);
/** Units since a marked place's mark was first set. */
const markAge = (r: number[], x: number): number => unitsSince(unitOf(r), (x >>> 24) - 1, MARK_UNITS);

/** 32-bit FNV-1a of (slot index, value from `from`), its low 24 bits, never 0 (0 is an empty place). */
function keyOf(k: number, v: string, from: number): number {
  return fnv1aFrom(v, from, Math.imul(FNV_BASIS ^ k, FNV_PRIME)) & 0xff_ffff || 1;
}

export class EntityScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;
  /** The line's keys (the first nk places) and their slots' token values (for the explanation). */
  readonly #keys: number[] = [];
  readonly #values: string[] = [];
  /** The line's values' hashes (logs-known.ts) and whether each was a stranger to the stream. */
  readonly #hashes: number[] = [];
  readonly #new: boolean[] = [];
  /** Per place, the mark this line's key carries on (1-31; 0: a new one, when #new). */
  readonly #marks: number[] = [];

  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
    if (s.ek !== undefined) upgradeKnown(s.ek);
  }

  /** Charges a loaded state's records to their templates (as when created); a record whose template is gone is dropped. */
  chargeRecords(): void {
    if (this.#s.he !== undefined) this.#miner.chargeRecords(this.#s.he, () => ENTITY_BYTES, this.#evicted);
  }

  /**
   * The template's places: its first maxSlots id-like slots (fields.ts keeps no values for them)
   * but those holding a time of day or a date on this line;
   * the line's values there into #keys (hashed with the slot's index; 0 where the line has none)
   * and #values. Returns the places' signature (their slot indices), and their number in #nk.
   */
  #keysOf(t: Template, tokens: readonly string[]): number {
    const L = slotLayout(t);
    let nk = 0;
    let sig = 0;
    for (let k = 0; k < L.pos.length && nk < ENTITY_PARAMS.maxSlots; k++) {
      const f = L.fields[k];
      if (f === undefined || f.v !== null) continue;
      const i = L.pos[k];
      const tok = i < tokens.length ? tokens[i] : '';
      const cut = L.cut[k];
      // A clock or a date is the line's time, not an id (and not a place: syslog's time slot).
      const c0 = tok.charCodeAt(cut);
      if (c0 >= 48 && c0 <= 57 && CLOCK.test(cut === 0 ? tok : tok.slice(cut))) continue;
      sig = sig * 64 + (k % 63) + 1;
      const q = nk++;
      this.#keys[q] = 0;
      this.#values[q] = '';
      if (tok === '' || !ownSlot(L, k, tok)) continue;
      const v = cut === 0 ? tok : tok.slice(cut);
      if (NUMBER.test(v)) continue;
      this.#keys[q] = keyOf(k, tok, cut);
      this.#hashes[q] = valueHash(tok, cut);
      this.#values[q] = v;
    }
    this.#nk = nk;
    return sig;
  }

  #nk = 0;

  /** A fresh record (or a record whose template's id-like slots changed: learnt anew), signature `sig`. */
  static #fresh(r: number[], sig: number): void {
    const P = ENTITY_PARAMS;
    r.length = 0;
    r.push(0, sig, 0, 0, 0);
    for (let q = 0; q < P.maxSlots; q++) r.push(0, 0, -1);
    for (let j = 0; j < P.ring * P.maxSlots; j++) r.push(0);
  }

  /** The line of template `t` (its tokens): an entity burst at least `threshold` to out; its score. */
  line(t: Template, tokens: readonly string[], threshold: number, out: Part[]): number {
    const P = ENTITY_PARAMS;
    let r = this.#s.he?.[t.id];
    const sig = this.#keysOf(t, tokens);
    const nk = this.#nk;
    this.#meet(nk, r);
    if (r === undefined) {
      if (nk === 0 || t.count < P.startLines) return 0;
      r = (this.#s.he ??= {})[t.id] = [];
      EntityScorer.#fresh(r, sig);
      this.#miner.grow(t, ENTITY_BYTES, this.#evicted);
    } else if (r[1] !== sig) EntityScorer.#fresh(r, sig);
    // Per place: c, this line and the ring's lines with its key there, against the place's peak;
    // the most surprising place whose value is a stranger (new to the stream on this line, or
    // marked so on a ring line: a stranger's run in the template keeps the mark while it lasts).
    const counts = this.#count(r, nk);
    let S = 0;
    let top = -1;
    let cTop = 0;
    let tests = 0;
    for (let q = 0; q < nk; q++) {
      if (this.#keys[q] === 0) continue;
      tests++;
      const c = counts[q];
      const peak = r[5 + 3 * q];
      if (!this.#new[q] || r[0] < P.minLines || c < P.minCount || c <= peak || ENTITY_PARAMS.spread * this.#spread(r, q, nk) < c) continue;
      const s = -poissonTailLog10Real(c, peak + RATE_PARAMS.floor);
      if (s > S) {
        S = s;
        top = q;
        cTop = c;
      }
    }
    let score = 0;
    if (top >= 0) score = this.#judge(t, r, S - Math.log10(tests), top, cTop, tests, threshold, out);
    this.#enter(r, nk);
    return score;
  }

  /**
   * Per place, c: this line and the ring's lines with its key there (the epoch's largest c
   * updated); a place whose key is marked a stranger on a ring line is a stranger's on this line too.
   */
  #count(r: number[], nk: number): number[] {
    const P = ENTITY_PARAMS;
    const counts = this.#counts;
    for (let q = 0; q < nk; q++) {
      const key = this.#keys[q];
      counts[q] = 0;
      if (key === 0) continue;
      let c = 1;
      let age = -1;
      let stale = false;
      this.#marks[q] = 0;
      for (let j = HEAD + q; j < r.length; j += P.maxSlots) {
        if ((r[j] & KEY) !== key) continue;
        c++;
        // A mark carries on (its first unit kept) for strangerLines of the template's lines; past
        // them the value has been in the template that long: no stranger, whatever the filter says.
        if (r[j] < STRANGER) continue;
        const a = markAge(r, r[j]);
        if (a >= MARK_AGE) stale = true;
        else if (a > age) {
          age = a;
          this.#marks[q] = r[j] >>> 24;
        }
      }
      if (age >= 0) this.#new[q] = true;
      else if (stale) this.#new[q] = false;
      if (c > r[6 + 3 * q]) r[6 + 3 * q] = c;
      counts[q] = c;
    }
    return counts;
  }

  readonly #counts: number[] = [];
  /** #spread's set of the known values at one place, cleared per place. */
  readonly #seen = new Set<number>();

  /**
   * The most values known to the stream (not strangers) another place takes on the lines (this
   * one and the ring's) with this line's value at place q: an actor that tries many known things
   * (user names, paths) from one source, not a busy entity repeating its own line, nor one whose
   * every line carries an id of its own (a sequence number, a dump's name: strangers each).
   */
  #spread(r: number[], q: number, nk: number): number {
    const P = ENTITY_PARAMS;
    const key = this.#keys[q];
    let most = 0;
    for (let o = 0; o < nk; o++) {
      if (o === q || this.#keys[o] === 0) continue;
      const seen = this.#seen;
      seen.clear();
      if (!this.#new[o]) seen.add(this.#keys[o]);
      for (let j = HEAD; j < r.length; j += P.maxSlots) if ((r[j + q] & KEY) === key && r[j + o] !== 0 && (r[j + o] < STRANGER || markAge(r, r[j + o]) >= MARK_AGE)) seen.add(r[j + o] & KEY);
      most = Math.max(most, seen.size);
    }
    return most;
  }

  /**
   * The line's values against the stream's known ones (logs-known.ts): whether each is a stranger
   * (into #new, judged before any of them is seen, so one value in two places is judged alike),
   * then all are seen. A value the filter does not know that the template's ring `r` holds
   * unmarked was known when it came (the filter forgot it, or the state is older than the filter:
   * LogsState.ek): known, and not a stranger to the filter's recent ring either.
   */
  #meet(nk: number, r: number[] | undefined): void {
    let k: number[] | undefined;
    for (let q = 0; q < nk; q++) {
      this.#new[q] = false;
      if (this.#keys[q] === 0) continue;
      // A stream whose state has entity records and no known values was saved before them: it has a history to learn first.
      k ??= this.#s.ek ??= freshKnown(this.#s.he !== undefined && Object.keys(this.#s.he).length !== 0);
      this.#new[q] = !known(k, this.#hashes[q]) && !(r !== undefined && EntityScorer.#inRing(r, this.#keys[q]));
    }
    if (k !== undefined) for (let q = 0; q < nk; q++) if (this.#keys[q] !== 0) see(k, this.#hashes[q], this.#new[q]);
  }

  /** Whether the ring of record r holds key unmarked at some place. */
  static #inRing(r: number[], key: number): boolean {
    for (let j = HEAD; j < r.length; j++) if (r[j] === key) return true;
    return false;
  }

  /** The score of surprise S (log10) for place `top`'s count c; a finding at least `threshold` to out. */
  #judge(t: Template, r: number[], S: number, top: number, c: number, tests: number, threshold: number, out: Part[]): number {
    const P = ENTITY_PARAMS;
    const score = S > 0 ? Number((S / (S + RATE_PARAMS.half)).toFixed(4)) : 0;
    // The epoch's mark at the default level, not the task's threshold: the state is the same whatever the threshold.
    if (score >= 0.5) r[4] = 1;
    if (score < threshold) return score;
    const p = Number((10 ** -S).toPrecision(2));
    const peak = r[5 + 3 * top];
    const lines = Math.min(P.ring, r[0]) + 1;
    const value = clip(this.#values[top]);
    out.push({
      score,
      detector: ENTITY_DETECTOR,
      explanation: `Template "${clip(templateText(t))}": ${c} of its last ${lines} lines have "${value}" in one id-like slot, where its lines usually spread over many values (at most ${peak.toPrecision(2)} of them with one value there, decayed; Poisson tail p ≈ ${p}, ${tests} slot${tests === 1 ? '' : 's'} tested).`,
      details: { kind: 'entity_burst', template: t.id, count: c, lines, usual: peak, value, p_value: p },
    });
    return score;
  }

  /** The line enters record r: its keys at the ring's next place; the epoch closes after ring lines. */
  #enter(r: number[], nk: number): void {
    const P = ENTITY_PARAMS;
    const at = HEAD + r[2] * P.maxSlots;
    // A new stranger's mark: 1 + the record's line unit now; a carried one keeps its first.
    const mark = this.#marks;
    for (let q = 0; q < P.maxSlots; q++) r[at + q] = q < nk && this.#keys[q] !== 0 ? this.#keys[q] + (this.#new[q] ? (mark[q] || 1 + unitOf(r)) * STRANGER : 0) : 0;
    r[2] = (r[2] + 1) % P.ring;
    r[0] = r[0] + 1 < LINES_CAP ? r[0] + 1 : r[0] + 1 - MARK_TURNS;
    if (++r[3] < P.ring) return;
    // The epoch closes: per place, the previous epoch's largest c becomes the peak when neither it
    // nor this one had a finding (a burst's lines before its first finding teach nothing). When
    // one had, it teaches at most a doubling of the peak (peakGrowth): a value that goes on holding
    // the template (a client that became busy for good) becomes its usual concentration within a
    // few epochs instead of being reported for ever. A previous epoch with a finding is kept as
    // -(its largest c) - 1.
    for (let q = 0; q < P.maxSlots; q++) {
      const b = 5 + 3 * q;
      const prev = r[b + 2];
      const prevMax = prev < 0 ? -prev - 1 : prev;
      let peak = r[b] * P.peakDecay;
      if (r[4] === 0 && prev >= 0) peak = Math.max(peak, prevMax);
      else peak = Math.max(peak, Math.min(prevMax, P.peakGrowth * peak + 1));
      r[b] = round6(peak);
      r[b + 2] = r[4] === 1 ? -r[b + 1] - 1 : r[b + 1];
      r[b + 1] = 0;
    }
    r[3] = 0;
    r[4] = 0;
  }
}
