// The text detector's quarantine (text.ts): the patterns of anomalous lines, their incidents and
// rarity rules (issue 11), and the baseline lines accepted with a pattern that became common.
import type { Finding } from '../types.js';
import { jsonBytes } from './budget.js';
import type { TextBaseline } from './text-baseline.js';
import { TEXT_DETECTOR, type TextParams } from './text-params.js';
import { entryBytes, type QEntry, type TextState } from './text-state.js';
import { fixed } from './round.js';
import { patternKey, skeleton } from './text-words.js';

/** The quarantine of one task: its patterns live in the state (s.q). */
export class Quarantine {
  readonly s: TextState;
  readonly P: Readonly<TextParams>;
  readonly #baseline: TextBaseline;
  /** The quarantine's bytes in the state's JSON (entryBytes summed). */
  #qBytes = 0;
  /** Baseline lines accepted with a quarantined pattern that became common → its entry. */
  readonly #accepted = new Map<string, QEntry>();

  constructor(s: TextState, params: Readonly<TextParams>, baseline: TextBaseline) {
    this.s = s;
    this.P = params;
    this.#baseline = baseline;
    for (const e of s.q) if (e[12] !== '') this.#accepted.set(e[12], e);
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

  /** The entry a baseline line was accepted with (its pattern became common), or undefined. */
  acceptedOf(line: string): QEntry | undefined {
    return this.#accepted.size === 0 ? undefined : this.#accepted.get(line);
  }

  /** Quarantines a new pattern (the most recently seen). */
  open(entry: QEntry): void {
    this.s.q.push(entry);
    this.#qBytes += entryBytes(entry);
    this.#trimQuarantine();
  }

  /** The quarantine's entry of a pattern key (the first, as s.q.find would give), or undefined. */
  find(key: string): QEntry | undefined {
    const q = this.s.q;
    for (let i = 0; i < q.length; i++) if (q[i][0] === key) return q[i];
    return undefined;
  }

  /**
   * A severe pattern still rare, of the message whose words outside numbered tokens are `pk`
   * (sameMessage), was seen within incidentGap events: its incident is going on. A surprising
   * severe line of that message then is not benign novelty (text.ts), though its only new text
   * is in an id-like slot: the same error from another thread or worker (`[ntainer#0-0-C-1]` where
   * the first lines came from `[o-8080-exec-152]`) is part of the incident, not a normal line.
   */
  severeIncident(pk: string): boolean {
    const q = this.s.q;
    for (let i = q.length - 1; i >= 0; i--) {
      const e = q[i];
      if (this.s.n - e[7] > this.P.incidentGap) return false;
      if (e[6] !== '' && e[11] === 0 && sameMessage(pk, e[0])) return true;
    }
    return false;
  }

  /** On becoming common a pattern's line joins the baseline (the dictionary), as a normal line does. */
  #admit(q: QEntry, line: string): void {
    if (q[12] !== '' || this.#baseline.has(line)) return;
    this.#baseline.add(line);
    q[12] = line;
    this.#accepted.set(line, q);
    // The entry now keeps its line: the patterns seen longest ago make room (q itself is the most recent).
    this.#qBytes += jsonBytes(line) - 2;
    this.#trimQuarantine();
  }

  /**
   * The stream's pace: a line's event time `ts` (text.ts, every line with one) enters the decayed
   * mean interval between lines (an interval clipped to [0, 10 min]: a night's silence or a line
   * stamped earlier is not the pace).
   */
  pace(ts: number): void {
    const p = this.s.pace;
    if (p === undefined) {
      this.s.pace = [ts, 0, 1];
      return;
    }
    const dt = Math.min(600_000, Math.max(0, ts - p[0]));
    p[1] = p[2] === 1 ? dt : fixed(p[1] + this.P.paceAlpha * (dt - p[1]), 3);
    p[0] = Math.max(p[0], ts);
    p[2] = Math.min(p[2] + 1, 1e9);
  }

  /**
   * An incident (q's current one, `dur` events since it began, at event time `ts`) of at least
   * burstLines lines that are at least burstDensity of the stream's events since it began, which
   * came at least stormPace times as fast as the stream's pace: a never-seen message arriving as
   * its own flood, reported line by line while rare. Without event time (or a pace of 0: lines
   * whose times do not separate them) no incident is a storm. Only the pattern's first storm is
   * (q[17]: the event its incident began at): a pattern that comes back as a flood again is a
   * recurring texture of the stream (a scanner's runs of auth failures, a job's status runs), and
   * its later incidents are folded into their first line as any routine run's.
   */
  #storm(q: QEntry, dur: number, ts: number | undefined, line: string): boolean {
    const P = this.P;
    // A storm goes on while its incident does (its lines within incidentGap events, or close in
    // time: #closeInTime), as a burst, younger than severeFlowMs of event time, with the stream
    // louder than before it (#louder): a flood with lulls, its later lines thinner among the
    // stream's than its first, is still the one flood (edge seeds 202, 204: a SYN flood's warnings
    // over three minutes). A message that went on flowing for longer is the stream's texture.
    if (q[17] > 0 && q[17] === q[9] && typeof ts === 'number' && ts - q[16] < P.severeFlowMs && this.#louder(q, ts)) return true;
    if (q[10] < P.burstLines || q[10] < P.burstDensity * (dur + 1)) return false;
    if (q[17] !== 0 && q[17] !== q[9]) return false;
    const p = this.s.pace;
    if (p === undefined || p[2] < P.paceLines || !(p[1] > 0) || typeof ts !== 'number' || q[16] <= 0) return false;
    // Lines per usual interval over the incident (its span plus one interval: a single line is 1).
    if ((dur + 1) * p[1] < P.stormPace * (ts - q[16] + p[1])) return false;
    // One message: the pattern key keeps enough of the line (not a JSON record's user agent alone).
    if (patternKey(line, P.quarantineLineBytes).length < P.stormKeyShare * skeleton(line, P.quarantineLineBytes).length) return false;
    q[17] = q[9];
    return true;
  }

  /**
   * The stream has been louder since q's incident began (event time `ts`) than before it: at least
   * severeBurstLouder times its events per ms from its first event to the incident's start. An
   * alert's burst adds its lines to what the stream was logging (a broker losing its leader, a
   * gateway timing out); a message that is simply part of the stream's usual output (a
   * supercomputer's hardware monitor naming node after node) takes turns with the stream's other
   * lines, at the stream's usual volume. Unknown (no history, or no time gone by): not louder.
   */
  #louder(q: QEntry, ts: number): boolean {
    const t0 = this.s.t0;
    if (t0 === undefined || q[16] <= t0 || ts <= q[16]) return false;
    return (this.s.n - q[9]) * (q[16] - t0) >= this.P.severeBurstLouder * q[9] * (ts - q[16]);
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
   * or its long-run expectation has fallen under ½ (a long absence). A sighting that begins an
   * incident is judged by how often its incidents begin (each one, however long, an occurrence):
   * a long burst, counted for its duration, does not make the next lone line common (a rare
   * error's lone recurrences after its burst). A severe pattern's incident younger than
   * severeFlowMs of event time (`ts`, the line's) is a burst, not a flow: neither its share nor its
   * duration makes it common.
   */
  recur(q: QEntry, line: string, sev: string, explained?: (known: boolean) => boolean, ts?: number): Omit<Finding, 'index'> | null {
    const s = this.s;
    const P = this.P;
    q[1]++;
    const span = s.n - q[2];
    const gap = s.n - q[7];
    const severe = sev !== '' || q[6] !== '';
    const timed = typeof ts === 'number' && Number.isFinite(ts) && ts > 0;
    const inIncident = gap <= P.incidentGap || (timed && this.#closeInTime(q, ts));
    if (timed) q[20] = ts;
    if (!inIncident) this.#ranAgain(q);
    // On a schedule: this incident begins at the spacing its last ones began at (event time).
    const scheduled = !inIncident && timed && this.#onSchedule(q, ts);
    if (!inIncident) q[16] = timed ? ts : 0;
    // A severe incident younger than severeFlowMs of event time: a burst (its start time unknown: not one).
    const burst = severe && timed && q[16] > 0 && ts - q[16] < P.severeFlowMs && (!inIncident || this.#louder(q, ts));
    // Frequencies as they were just before this sighting.
    const long = q[8] * 2 ** (-gap / P.rareHalfLife);
    const recent = q[13] * 2 ** (-gap / P.recentHalfLife);
    const starts = q[14] * 2 ** (-gap / P.rareHalfLife);
    // The long run that judges this sighting: the incidents' durations inside a steady one (it has
    // gone on for steadySpan events, and it is no burst), their count at its start and inside a
    // shorter one (else the second line of a new incident of a pattern once common for a long
    // burst re-admits it).
    const steady = inIncident && s.n - q[9] >= P.steadySpan && !burst;
    const run = steady ? long : starts;
    const horizon = this.#horizon(q, severe);
    const expectOf = (f: number): number => (f * Math.LN2 * horizon) / P.rareHalfLife;
    const shareOf = (f: number): number => (f * Math.LN2) / P.recentHalfLife;
    // The recent share that can make it common: none inside a burst.
    const flowOf = (f: number): number => (burst ? 0 : shareOf(f));
    // Hysteresis on the long run: a pattern that keeps coming stays common; after a long absence
    // (its expectation under ½) it is rare again.
    const wasCommon = q[11] === 1 && (expectOf(run) >= 0.5 || flowOf(recent) >= P.commonShare);
    // Routine: a mild pattern that has begun periodicStarts incidents and begins one more at its
    // own pace (no sooner than periodicGap of the mean spacing of its incidents so far). Neither
    // this rule nor the next for a pattern that came as a storm (q[17] > 0) and has returned only
    // alone since: its history is its own flood, an anomaly, and its lone returns while it is rare
    // are news (a SYN-flood warning after its burst, branch edge14).
    const begun = q[15];
    const periodic = !severe && !inIncident && q[17] <= 0 && begun >= P.periodicStarts && gap * begun >= P.periodicGap * span;
    // Known: a mild pattern's new incident whose line is made of parts the stream has shown (its
    // template known and unchanged, no new value in its slots: logs.ts, slots.ts). Its first line
    // was news; it comes back as a known kind of line (an autovacuum report an hour later).
    const known = !severe && !inIncident && q[17] <= 0 && explained !== undefined && explained(true);
    this.#count(q, inIncident, gap, long, recent, starts);
    const expect = expectOf(steady ? q[8] : q[14]);
    const common = wasCommon || expect >= 1 || flowOf(q[13]) >= P.commonShare;
    q[11] = common ? 1 : 0;
    if (common && wasCommon) return null;
    // Without a severity word, the lines of an incident after its first are folded into it (a
    // routine message in a run is reported once per run), unless the incident is a storm.
    if (!severe && inIncident && !common && !this.#storm(q, s.n - q[9], timed ? ts : undefined, line)) return null;
    if (common) this.#admit(q, line);
    if ((periodic || known || scheduled) && !common) return null;
    // Without a severity word, a recurrence is folded into the first finding: a fraction of its
    // score (a mildly surprising pattern's recurrences fall under the default threshold).
    // The sighting that admits a mild pattern as normal is reported under the default threshold
    // (mildAdmissionWeight < 0.5): a sensitive profile sees the admission, the default does not.
    const fold = common ? Math.min(P.mildRecurrenceWeight, P.mildAdmissionWeight) : P.mildRecurrenceWeight;
    // A rare pattern that came as a storm keeps its score, unfolded (#foldNote says why).
    const stormed = !severe && !common && q[17] > 0;
    const score = severe || stormed ? q[3] : fixed(q[3] * fold, 4);
    const share = shareOf(q[13]);
    const frequency = steady ? q[8] : q[14];
    let explanation = this.#explain(q, { span, gap, inIncident, frequency, expect, horizon, share, common, burst: burst && inIncident ? ts - q[16] : -1 });
    if (!severe) explanation += this.#foldNote(q, stormed, fold);
    return {
      score,
      detector: TEXT_DETECTOR,
      explanation,
      details: {
        kind: inIncident ? 'incident' : 'rare', first_cost_bits: q[4], typical_bits: q[5], recurrences: q[1], since_events: span, gap_events: gap,
        frequency, expected: Number(expect.toFixed(4)), recent_share: Number(share.toFixed(4)), severity: sev || q[6], admitted: common,
        ...(burst && inIncident ? { burst_ms: ts - q[16] } : {}),
      },
    };
  }

  /**
   * A pattern that came as a storm and whose incident since then was a run again (burstLines
   * lines): a recurring texture of the stream (an automation's runs), no longer a storm's message
   * returning alone (q[17] -1: no storm again, and known and periodic judge it as before).
   */
  #ranAgain(q: QEntry): void {
    if (q[17] > 0 && q[9] !== q[17] && q[10] >= this.P.burstLines) q[17] = -1;
  }

  /**
   * The horizon q's rarity is judged at: the severe one for a severe pattern, and for one that came
   * as its own storm (q[17] > 0) and has returned only alone since (an alert's message: its lone
   * returns stay news as long as a severe message's would).
   */
  #horizon(q: QEntry, severe: boolean): number {
    return severe || q[17] > 0 ? this.P.rareHorizonSevere : this.P.rareHorizon;
  }

  /**
   * Whether a sighting at event time `ts`, more than incidentGap events after q's previous one,
   * goes on q's storm (its current incident is its storm: q[17] is its start): it came within
   * incidentGap of the stream's usual intervals (its pace) of the previous one, and only the other
   * lines of the flood came faster between them (a SYN flood's warnings among a scan's drops).
   * Unknown times or pace: not close.
   */
  #closeInTime(q: QEntry, ts: number): boolean {
    const p = this.s.pace;
    if (q[17] <= 0 || q[17] !== q[9] || q[20] <= 0 || p === undefined || p[2] < this.P.paceLines || !(p[1] > 0)) return false;
    return ts - q[20] <= this.P.incidentGap * p[1];
  }

  /**
   * The words on a mild pattern's recurrence: folded into its first finding (`fold` × its first
   * score), or, for a rare pattern that came as a storm (q[17] > 0: a line of its storm, or a lone
   * return since), reported at its first score (`stormed`). A storm is news by its own flood, not a
   * routine run's recurrence; folded, whether a whole storm was reported hung on how surprising its
   * first line happened to be (a SYN-flood warning first seen alone at 0.69: 0.69 × 0.65 < 0.5,
   * and its 40-80 storm lines and lone returns were silent; edge seeds 212, 218, 230).
   */
  #foldNote(q: QEntry, stormed: boolean, fold: number): string {
    return stormed
      ? ` No severity word, but the pattern came as a storm (its lines at least ${this.P.stormPace} times as fast as the stream's pace): reported at its first score ${q[3]}.`
      : ` No severity word: folded into the first finding (score ${q[3]} × ${fold}).`;
  }

  /**
   * Whether a new incident of q starting at `ts` is on its schedule (scheduleStarts starts in a
   * row at a whole number of periods, up to scheduleMultiple, after the previous one: a job's
   * failure of two alternating shapes each lands on some of its runs), and learns the period: a
   * spacing that is a whole number of periods (or of which the period is one: the period is then
   * this shorter spacing) counts a start on the schedule; two spacings neither a whole number of
   * the other but both of a common period (the longest, at least scheduleMinMs) count on that
   * period; another one starts the count anew.
   */
  #onSchedule(q: QEntry, ts: number): boolean {
    const P = this.P;
    const d = q[16] > 0 ? ts - q[16] : 0;
    if (d < P.scheduleMinMs) {
      q[18] = 0;
      q[19] = 0;
      return false;
    }
    // `slack`: the fixed scheduleTolMs beside the relative tolerance (not for a period inferred
    // from two spacings: a short one fits random spacings within a second too often).
    const near = (x: number, period: number, slack = P.scheduleTolMs): boolean => {
      const m = Math.round(x / period);
      return m >= 1 && m <= P.scheduleMultiple && Math.abs(x - m * period) <= P.scheduleTol * m * period + slack;
    };
    if (q[18] > 0 && (near(d, q[18]) || near(q[18], d))) {
      if (d < q[18]) q[18] = d;
      q[19]++;
      return q[19] >= P.scheduleStarts;
    }
    // Neither spacing a whole number of the other (6 and 4 periods: the error lands on some runs
    // of its schedule only): the longest period of which both are whole numbers, at least
    // scheduleMinMs, is the schedule, and the spacing counts on it as the earlier ones did (each
    // a whole number of the old period, so of the new one); both within scheduleTol alone.
    for (let k = 2; q[18] > 0 && k <= P.scheduleMultiple; k++) {
      const period = Math.max(d, q[18]) / k;
      if (period < P.scheduleMinMs) break;
      if (near(d, period, 0) && near(q[18], period, 0)) {
        q[18] = Math.round(period);
        q[19]++;
        return q[19] >= P.scheduleStarts;
      }
    }
    q[18] = d;
    q[19] = 1;
    return false;
  }

  /**
   * Counts a sighting of q (its frequencies `long`, `recent`, `starts` decayed to now). As an
   * occurrence: a new incident is one; inside an incident, nothing while it is no longer than a
   * burst; once it has gone on for steadySpan events, its whole duration in units of
   * incidentGap, then the share of incidentGap each sighting covers.
   */
  #count(q: QEntry, inIncident: boolean, gap: number, long: number, recent: number, starts: number): void {
    const s = this.s;
    const P = this.P;
    if (inIncident) q[10]++;
    else {
      q[9] = s.n;
      q[10] = 1;
      q[15]++;
    }
    const dur = s.n - q[9];
    const w = !inIncident ? 1 : dur < P.steadySpan ? 0 : q[7] - q[9] < P.steadySpan ? dur / P.incidentGap : gap / P.incidentGap;
    q[8] = fixed(long + w, 4);
    q[13] = fixed(recent + 1, 4);
    q[14] = fixed(starts + (inIncident ? 0 : 1), 4);
    q[7] = s.n;
    // Most recently seen last: the quarantine drops the pattern seen longest ago.
    s.q.splice(s.q.indexOf(q), 1);
    s.q.push(q);
  }

  /** recur()'s words: the sighting, its decayed frequency and recent share, and what they made of it (`burst`: the incident's age in ms while it is a burst, else -1). */
  #explain(q: QEntry, w: { span: number; gap: number; inIncident: boolean; frequency: number; expect: number; horizon: number; share: number; common: boolean; burst: number }): string {
    const P = this.P;
    const seen = w.inIncident
      ? `A pattern first flagged ${w.span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again ${w.gap} events after its previous line: part of the same incident (${q[10]} lines). `
      : `A pattern first flagged ${w.span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again after ${w.gap} events without it. `;
    const why =
      `At its decayed frequency (${w.frequency.toFixed(2)} occurrences, half-life ${P.rareHalfLife} events; an incident's close lines count once) it is expected ${w.expect.toFixed(2)} times in the next ${w.horizon} events (common at 1), ` +
      `and it made up ${(100 * w.share).toFixed(1)}% of the stream's recent lines (half-life ${P.recentHalfLife} events; common at ${(100 * P.commonShare).toFixed(1)}%` +
      (w.burst >= 0 ? `, but not while its incident is a burst: ${Math.round(w.burst / 1000)} s of event time, under ${Math.round(P.severeFlowMs / 1000)} s)` : ')');
    return w.common
      ? `${seen}${why}: it has become common, so it is now accepted into the baseline as normal while it keeps coming (it is rare again once it stops for long).`
      : `${seen}Still rare: ${why.charAt(0).toLowerCase()}${why.slice(1)}.`;
  }
}

/**
 * Whether a line whose words outside numbered tokens are `pk` (patternKey) is the message of a
 * quarantined severe pattern `key` (its skeleton): pk's words appear in key in order, and make up
 * at least half of key's words (the rest came from the first line's id-like tokens: a thread
 * name, a host).
 */
export function sameMessage(pk: string, key: string): boolean {
  const a = pk.split(' ');
  const b = key.split(' ');
  if (2 * a.length < b.length) return false;
  let j = 0;
  for (const w of b) if (j < a.length && w === a[j]) j++;
  return j === a.length;
}
