// The text detector's parameters (text.ts): one set for every stream.
import { TEXT_BUDGET } from './budget.js';

export const TEXT_DETECTOR = 'compression_surprise';

/**
 * One parameter set for every stream. Chosen on BGL_2k, Thunderbird_2k and the demo log
 * (test/workers/detect.e2e.test.ts prints the figures); see the sensitivity notes there.
 */
export const TEXT_PARAMS: Readonly<TextParams> = Object.freeze({
  /** Bytes of distinct normalised lines kept as the deflate dictionary. */
  baselineBytes: 16384,
  /** …and at most this many bytes of them in the state's JSON (budget.ts; bites only on lines of escaped characters). */
  baselineJsonBytes: TEXT_BUDGET.baseline,
  /** Lines longer than this (after normalisation) are scored on their first bytes only. */
  maxLineBytes: 2048,
  level: 6,
  /** Recent costs kept for the empirical null. */
  nullSize: 256,
  /** Null statistics are refreshed every this many insertions (keeps per-event cost down). */
  nullRefresh: 16,
  /** No finding before this many events and null samples. */
  warmupEvents: 100,
  warmupNull: 16,
  /**
   * …except in a regular stream, whose lines are mostly exact repeats of known lines, so that
   * few lines ever reach the null (issue 11: a logfmt stream of 1,500 lines held 6-13 costs, and
   * never reported its never-seen errors): past warmupEvents events, this many samples suffice.
   */
  warmupNullRegular: 4,
  /**
   * Once this many costs came after the warm-up, a line with an explicit error level is judged by
   * the null without the warm-up's costs (measured against a dictionary still learning the
   * stream's vocabulary; text-null.ts). Other lines keep the whole null.
   */
  matureNull: 8,
  /**
   * Before then, an error-level line is judged by the costs that came after the warm-up once this
   * many did (their median and MAD-scale, with the null's floors); with fewer it is neither
   * admitted nor a cost of the null (it stays unknown: its next sighting is judged again), so that
   * a lone error is not admitted by the warm-up's costs and every later sighting a known line.
   */
  lateNull: 5,
  /**
   * …or, in event time, once the stream has sent lines for this long, at least
   * warmupEventsSlow of them, and is regular (at most half of its lines were not exact repeats
   * of known lines, so it has shown its vocabulary): a slow stream (a scheduler's line every
   * 30 s) otherwise spends most of an hour learning and misses its never-seen errors (issue 11,
   * k8s tuning seeds 201-205); a slow but varied log (Loghub's Mac) keeps the count. Only where
   * the caller gives event times (logs.ts).
   */
  warmupMs: 15 * 60_000,
  warmupEventsSlow: 32,
  /**
   * A stream settles once it has sent lines for settleMs of event time, or settleEvents lines,
   * whichever comes first. Before then a line without a severity word (no high level, no failure
   * word, no warning that names a failure) is learnt, not reported, by the novelty scores
   * (compression here; template novelty, slot values and metadata in logs.ts): a host's first
   * half hour shows its 10- and 15-minute timers, its first cron runs, logins and mail for the
   * first time, whatever its line count (host tuning seeds 201-210: 40 % of the false alarms
   * fell in a stream's first 30 minutes), while a busy stream has shown its vocabulary in far
   * fewer minutes. Severe lines are judged from the line warm-up on. Only where the caller gives
   * event times.
   */
  settleMs: 30 * 60_000,
  settleEvents: 500,
  /**
   * A stream's first habitMs of event time, and its first habitEvents lines as well (a replay
   * whose lines are milliseconds apart shows its habits in fewer minutes), show what it does on a
   * schedule of up to an hour: a metadata value seen before, or unseen only in the line's context,
   * is judged from then on (logs-values.ts, TextScorer.young). Only where the caller gives times.
   */
  habitMs: 60 * 60_000,
  habitEvents: 1500,
  /** Robust z at which the score reaches 0.5 (the finding threshold). */
  zHalf: 8,
  /** Minimum excess over the typical cost, in bits, before anything is flagged. */
  minExcessBits: 48,
  /**
   * A line without a severity word is news only when at most this share of the stream's last
   * nullSize costs were as high (its empirical p, with a full null); 0 disables.
   */
  rareCostP: 0.01,
  /** A severe line (see severityOf) needs a z of zHalf / (1 + severityBoost); 0 disables. */
  severityBoost: 3,
  /**
   * …but when the severity comes only from a failure word in the message (no explicit
   * FATAL/ERROR level token), zHalf / (1 + severityBoostWord): weaker evidence, smaller prior.
   */
  severityBoostWord: 2,
  /**
   * A recurrence of a quarantined pattern without a severity word is folded into its first
   * finding: it scores this fraction of the first sighting's score, so at the default threshold
   * 0.5 only a strongly surprising pattern (first score ≥ 0.5 / 0.65 ≈ 0.77) is reported again; a
   * sensitive profile sees the rest. Severe recurrences keep the full score.
   */
  mildRecurrenceWeight: 0.65,
  /**
   * …and the sighting that makes such a pattern common (admitted into the baseline as normal)
   * scores at most this fraction: under the default threshold whatever the first score, so a
   * routine line is not reported at the moment it is judged normal (db generator: PostgreSQL
   * autovacuum entries, Mongo connection lines); a sensitive profile still sees the admission.
   */
  mildAdmissionWeight: 0.45,
  /** Sightings of a quarantined pattern at most this many events apart are one incident. */
  incidentGap: 32,
  /**
   * An incident of at least burstLines lines that are at least burstDensity (a third) of the stream's
   * events since it began is a storm of the pattern (a never-seen message arriving as its own
   * flood, a SYN flood's kernel warnings): its lines without a severity word are reported (at
   * mildRecurrenceWeight) instead of folded into the first, while the pattern is rare. The edge
   * generator's SYN floods are 40-80% of their stream's lines; a plain warning every 4th line
   * stays folded (test/workers/warn-failure.unit.test.ts).
   */
  burstLines: 4,
  burstDensity: 1 / 3,
  /**
   * A storm is a flood in event time: its incident's lines (the pattern's and the stream's own)
   * arrive at least stormPace times as fast as the stream's usual pace (its decayed mean interval,
   * weight paceAlpha per line, trusted after paceLines lines with a time). A flood comes on top of
   * the stream's traffic (a SYN flood's warnings at 40-80% of the lines double or triple the
   * fw stream's rate); a long run of a routine message that is the stream's texture (a job's
   * status lines, a scanner's auth failures on an internet-facing host, lines with no times or
   * times that do not separate them) replaces other lines and leaves the pace as it was. Without it
   * (branch edge12) the unlabelled Loghub logs, replayed with times 1 ms apart, went from 21.6 to
   * about 44 per 1,000 with the other rules of that session (test/workers/detect.e2e.test.ts).
   */
  stormPace: 1.25,
  paceAlpha: 1 / 256,
  paceLines: 64,
  /**
   * A storm is one message flooding: the line's pattern key (its words outside numbered tokens,
   * patternKey) keeps at least this share of its skeleton's words (by length, both cut at
   * quarantineLineBytes). A JSON record has spaces only inside a few values, its user agent's
   * mostly: its key is those words, the same for every call one client makes (a Terraform plan's
   * ListRolePolicies and GetBucketVersioning), and a client's burst of different calls is no
   * message's storm (branch burst15; cloud 201-210: the first hourly plan's calls were 421 of its
   * 2,154 false alarms). Its incident is folded into its first line as any routine run's.
   */
  stormKeyShare: 0.25,
  /**
   * Rarity is a quarantined pattern's decayed frequency, at two time scales (no count of
   * sightings decides). The long run: its occurrences, decayed with this half-life in events. A
   * sighting after more than incidentGap events without the pattern is an occurrence; the close
   * sightings of one incident are the same occurrence (a burst of an alert counts once) until
   * the incident has gone on for steadySpan events, longer than a burst: it then counts for its
   * duration (duration / incidentGap occurrences, a steady trickle: common at once), and each
   * later sighting for the time since the previous one (gap / incidentGap).
   */
  rareHalfLife: 2000,
  steadySpan: 350,
  /**
   * …common when that frequency expects it at least once in this many events (frequency ×
   * ln 2 / rareHalfLife × rareHorizon ≥ 1, i.e. about 3.2 recent occurrences); rare again when
   * the expectation falls under ½ (a long absence).
   */
  rareHorizon: 900,
  /**
   * …and for a pattern with a severity word (an error), when it expects itself at least once in
   * this many events (about 5.8 recent occurrences): an error that returns every 600 lines or so
   * stays rare (news each time), one that comes every couple of hundred lines becomes routine.
   * Chosen on db 201-205 (branch db12): 900 admitted a rare error returning every ~600-1,300
   * lines after 4-6 sightings; 300 kept a benign duplicate-key error (every ~180 lines) rare.
   * A pattern without one that came as its own storm and has returned only alone since (an
   * alert's message: the SYN-flood warning) is judged at this horizon too (branch edge15: its
   * lone returns every 500-1,500 lines of the morning's busier fw stream were admitted after 3-4
   * of them at the mild one; edge 201-210 rare_error 523 → 537 of 578, false alarms unchanged).
   */
  rareHorizonSevere: 500,
  /**
   * A pattern without a severity word that has begun at least this many incidents, and begins
   * one more no sooner than periodicGap of its mean spacing (its incidents begun over the events
   * since it was first flagged), is routine: it comes back at its own pace (a consumer group's
   * rebalance every few thousand lines), however rare by the decayed frequency above, and the
   * new incident is not reported. A sooner one, or one with a severity word, is judged as before.
   */
  periodicStarts: 4,
  periodicGap: 0.5,
  /**
   * A pattern, with a severity word or not, whose incidents began scheduleStarts times in a row
   * a whole number of periods (1 to scheduleMultiple) after the previous start (a period of at
   * least scheduleMinMs of event time, each start within scheduleTol of its spacing plus
   * scheduleTolMs) is on a schedule: a job that fails the same way every 5 minutes
   * (a metrics exporter denied a resource it was never granted, a cron job's known error). Its
   * next incident on the schedule is not news; one off the schedule is judged as before, and the
   * schedule is learnt again from it. A rare error that returns at irregular times stays news
   * (issue 11). Chosen on cloud 201-210 (branch cloud13): kube-state-metrics' 403 every 300 s was
   * about 44 of the 244 false alarms of seed 201.
   */
  scheduleStarts: 4,
  scheduleMinMs: 60_000,
  scheduleTol: 0.002,
  scheduleTolMs: 1_000,
  scheduleMultiple: 9,
  /**
   * The recent run: its sightings decayed with this half-life; common while they make up at
   * least commonShare of the stream's recent lines (sightings × ln 2 / recentHalfLife): a
   * sustained flow of the pattern (about 100 lines in a row) is the stream's present
   * behaviour. Once the flow stops this share fades within a few hundred events and the
   * long-run frequency alone decides, so a burst does not make a rare error common for long.
   */
  recentHalfLife: 500,
  commonShare: 0.125,
  /**
   * A severe pattern's incident (an error's lines at most incidentGap events apart) is the
   * stream's present behaviour (common by its recent share or by its duration, above) only once
   * it has gone on for this much event time: a burst of an alert shorter than that (a broker
   * losing its leader, a gateway timing out for two minutes) is an incident whose lines are all
   * reported, and it does not leave the error common afterwards, so its later lone lines are
   * judged by how often its incidents begin. A line fed without event time keeps the event-count
   * rules alone (issue 11: a rare error stays rare after one long burst). Only an incident during
   * which the stream is louder than before it (severeBurstLouder) is a burst: an alert adds its
   * lines to the stream's own. A severe message that takes turns with the stream's other lines at
   * its usual volume (a supercomputer's routine kernel and hardware messages) is judged by its
   * share and duration as before. Off (0) from 6 Dec 15:10 to branch severe13: every young severe
   * incident a burst took the unlabelled Loghub logs (test/workers/detect.e2e.test.ts) from 19.0 to
   * 31.3 findings per 1,000 (over their bound 21.7); with severeBurstLouder 19.5.
   */
  severeFlowMs: 300_000,
  /**
   * The stream's events per ms since the incident began, against its events per ms from its first
   * event to the incident's start: a burst needs at least this ratio. 1.25: the generators' alert
   * bursts (batch, svc: 100-150 lines over 1-2.5 minutes on streams of 0.5-3 lines a second) make
   * their stream 1.3-5 times as loud; a stream's own pace swings slowly (the batch ramp 0.6x to
   * 1.4x over 75 minutes), and over the ~90 lines that would admit a pattern the count's noise is
   * about 10%.
   */
  severeBurstLouder: 1.25,
  /**
   * While a rare severe pattern's incident goes on (Quarantine.severeIncident), a surprising
   * severe line of the same message (sameMessage: its words outside numbered tokens, in order,
   * are most of the incident's) is never benign novelty: the same error from another thread. Any
   * severe line during any rare severe incident (branch batch12) took BGL_2k's F1 from 0.678 to
   * 0.631: a supercomputer's routine kernel messages interleave with each other; same message
   * only: 0.671.
   */
  severeIncidentNews: true,
  quarantineSize: 32,
  /** …and at most this many bytes of entries in the state's JSON (budget.ts; the least recently seen out). */
  quarantineBytes: TEXT_BUDGET.quarantine,
  /** Longest pattern key (skeleton) kept in the quarantine. */
  quarantineLineBytes: 512,
  /**
   * A severe line that compression judged normal is flagged all the same when another novelty score
   * of the line reports it at least this high (TextScorer.flagged, logs.ts): 0.55 is a metadata
   * value never seen in about 275 sightings (p ≈ 0.0036). Weaker news (a young stream's first
   * warning-level line after 109 sightings, p ≈ 0.009, score 0.50) is reported but does not make
   * the pattern's every return news (host seed 202: a mail server's routine SASL failures).
   */
  flaggedScore: 0.55,
  /** Costs of flagged lines enter the null, clipped at the threshold. */
  nullTakesAnomalies: true,
});

export interface TextParams {
  baselineBytes: number;
  baselineJsonBytes: number;
  maxLineBytes: number;
  level: number;
  nullSize: number;
  nullRefresh: number;
  warmupEvents: number;
  warmupNull: number;
  warmupNullRegular: number;
  matureNull: number;
  lateNull: number;
  warmupMs: number;
  warmupEventsSlow: number;
  settleMs: number;
  settleEvents: number;
  habitMs: number;
  habitEvents: number;
  zHalf: number;
  minExcessBits: number;
  rareCostP: number;
  incidentGap: number;
  burstLines: number;
  burstDensity: number;
  stormPace: number;
  paceAlpha: number;
  paceLines: number;
  stormKeyShare: number;
  rareHalfLife: number;
  steadySpan: number;
  rareHorizon: number;
  rareHorizonSevere: number;
  periodicStarts: number;
  periodicGap: number;
  scheduleStarts: number;
  scheduleMinMs: number;
  scheduleTol: number;
  scheduleTolMs: number;
  scheduleMultiple: number;
  recentHalfLife: number;
  commonShare: number;
  severeFlowMs: number;
  severeIncidentNews: boolean;
  severeBurstLouder: number;
  quarantineSize: number;
  quarantineBytes: number;
  quarantineLineBytes: number;
  nullTakesAnomalies: boolean;
  flaggedScore: number;
  /** Severity words divide zHalf by (1 + this) for novel lines; 0 disables. */
  severityBoost: number;
  /** Like severityBoost, for lines whose severity is only a failure word (no level token). */
  severityBoostWord: number;
  /** Score of a non-severe recurrence, as a fraction of its pattern's first score. */
  mildRecurrenceWeight: number;
  mildAdmissionWeight: number;
}
