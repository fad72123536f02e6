// The text detector's quarantine (text.ts): the patterns of anomalous lines, their incidents and
// rarity rules (issue 11), and the baseline lines accepted with a pattern that became common.
import type { Finding } from '../types.js';
import { jsonBytes } from './budget.js';
import type { TextBaseline } from './text-baseline.js';
import { TEXT_DETECTOR, type TextParams } from './text-params.js';
import { entryBytes, type QEntry, type TextState } from './text-state.js';

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
   * An incident (q's current one, `dur` events since it began) of at least burstLines lines that
   * are at least burstDensity of the stream's events since it began: a never-seen message
   * arriving as its own flood, reported line by line while rare.
   */
  #storm(q: QEntry, dur: number): boolean {
    return q[10] >= this.P.burstLines && q[10] >= this.P.burstDensity * (dur + 1);
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
   * error's lone recurrences after its burst).
   */
  recur(q: QEntry, line: string, sev: string): Omit<Finding, 'index'> | null {
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
    const starts = q[14] * 2 ** (-gap / P.rareHalfLife);
    // The long run that judges this sighting: the incidents' durations inside a steady one (it has
    // gone on for steadySpan events), their count at its start and inside a shorter one (else the
    // second line of a new incident of a pattern once common for a long burst re-admits it).
    const steady = inIncident && s.n - q[9] >= P.steadySpan;
    const run = steady ? long : starts;
    const expectOf = (f: number): number => (f * Math.LN2 * P.rareHorizon) / P.rareHalfLife;
    const shareOf = (f: number): number => (f * Math.LN2) / P.recentHalfLife;
    // Hysteresis on the long run: a pattern that keeps coming stays common; after a long absence
    // (its expectation under ½) it is rare again.
    const wasCommon = q[11] === 1 && (expectOf(run) >= 0.5 || shareOf(recent) >= P.commonShare);
    // Routine: a mild pattern that has begun periodicStarts incidents and begins one more at its
    // own pace (no sooner than periodicGap of the mean spacing of its incidents so far).
    const begun = q[15];
    const periodic = !severe && !inIncident && begun >= P.periodicStarts && gap * begun >= P.periodicGap * span;
    if (inIncident) q[10]++;
    else {
      q[9] = s.n;
      q[10] = 1;
      q[15] = begun + 1;
    }
    // This sighting as an occurrence: a new incident is one; inside an incident, nothing while
    // it is no longer than a burst; once it has gone on for steadySpan events, its whole
    // duration in units of incidentGap, then the share of incidentGap each sighting covers.
    const dur = s.n - q[9];
    const w = !inIncident ? 1 : dur < P.steadySpan ? 0 : q[7] - q[9] < P.steadySpan ? dur / P.incidentGap : gap / P.incidentGap;
    q[8] = Number((long + w).toFixed(4));
    q[13] = Number((recent + 1).toFixed(4));
    q[14] = Number((starts + (inIncident ? 0 : 1)).toFixed(4));
    q[7] = s.n;
    // Most recently seen last: the quarantine drops the pattern seen longest ago.
    s.q.splice(s.q.indexOf(q), 1);
    s.q.push(q);
    const expect = expectOf(steady ? q[8] : q[14]);
    const share = shareOf(q[13]);
    const common = wasCommon || expect >= 1 || share >= P.commonShare;
    q[11] = common ? 1 : 0;
    if (common && wasCommon) return null;
    // Without a severity word, the lines of an incident after its first are folded into it (a
    // routine message in a run is reported once per run), unless the incident is a storm.
    if (!severe && inIncident && !common && !this.#storm(q, dur)) return null;
    if (common) this.#admit(q, line);
    if (periodic && !common) return null;
    const seen = inIncident
      ? `A pattern first flagged ${span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again ${gap} events after its previous line: part of the same incident (${q[10]} lines). `
      : `A pattern first flagged ${span} events ago (then ${q[4]} bits vs. a typical ${q[5]}) seen again after ${gap} events without it. `;
    const why =
      `At its decayed frequency (${(steady ? q[8] : q[14]).toFixed(2)} occurrences, half-life ${P.rareHalfLife} events; an incident's close lines count once) it is expected ${expect.toFixed(2)} times in the next ${P.rareHorizon} events (common at 1), ` +
      `and it made up ${(100 * share).toFixed(1)}% of the stream's recent lines (half-life ${P.recentHalfLife} events; common at ${(100 * P.commonShare).toFixed(1)}%)`;
    let explanation = common
      ? `${seen}${why}: it has become common, so it is now accepted into the baseline as normal while it keeps coming (it is rare again once it stops for long).`
      : `${seen}Still rare: ${why.charAt(0).toLowerCase()}${why.slice(1)}.`;
    // Without a severity word, a recurrence is folded into the first finding: a fraction of its
    // score (a mildly surprising pattern's recurrences fall under the default threshold).
    // The sighting that admits a mild pattern as normal is reported under the default threshold
    // (mildAdmissionWeight < 0.5): a sensitive profile sees the admission, the default does not.
    const fold = common ? Math.min(P.mildRecurrenceWeight, P.mildAdmissionWeight) : P.mildRecurrenceWeight;
    const score = severe ? q[3] : Number((q[3] * fold).toFixed(4));
    if (!severe) explanation += ` No severity word: folded into the first finding (score ${q[3]} × ${fold}).`;
    return {
      score,
      detector: TEXT_DETECTOR,
      explanation,
      details: {
        kind: inIncident ? 'incident' : 'rare', first_cost_bits: q[4], typical_bits: q[5], recurrences: q[1], since_events: span, gap_events: gap,
        frequency: steady ? q[8] : q[14], expected: Number(expect.toFixed(4)), recent_share: Number(share.toFixed(4)), severity: sev || q[6], admitted: common,
      },
    };
  }
}
