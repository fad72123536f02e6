// A template's history in episodes (logs.ts): rarity from how many separate times a template has
// come, not from how many lines it wrote.
//
//   line of template t at event time ts ─► its episode: lines of t within gapMs of event time of
//        │   the previous one are one episode (a burst of 100 lines is one; a lone line is one)
//        ▼
//   E = t's episodes, decayed over event time (half-life halfLifeMs), before this line's; an
//        │   episode counts once when it is a burst (longLines lines or more per gapMs of its
//        │   span), else it weighs its span (one more per gapMs it lasted): a template present
//        │   all along, a line every few seconds for half an hour, is a habit at its first pause
//        ├─► E ≥ habitEpisodes (burstHabit for the warning of a template whose history is a
//        │   burst, below): a habit (a retry warning that recurs all day in small clusters):
//        │   its line without an explicit error level (text-words.ts statedLevel) in an episode no
//        │   longer than habitLines is normal: the text detector's findings on it are dropped
//        │   (logs.ts), its state learns the line as before
//        └─► a burst of longLines lines or more among t's first episodes, this line states a
//            warning and begins a new episode alone, E < burstHabit (a habit's count, doubled: a
//            warning's history that began as a burst): a rare template's return (a warning whose
//            history is one or two long bursts comes back alone an hour later, or every few
//            minutes for an hour): reported, score burstHabit / (burstHabit + E), 0.5 at a habit
//
// No count of sightings admits a template: a warning that came as one long burst stays rare while
// its returns stay few, one that keeps coming in many episodes becomes a habit, and stops being one
// once its episodes have decayed (it stops for long). Only templates with a signal get a record:
// a line with a severity word, a warning that names a failure, or a stated level of warning or
// worse (the record then counts all the template's lines); routine templates cost nothing. A
// return is reported only for a line that states a warning: an error's rarity is the text
// detector's (text-quarantine.ts), and an information line's return is no news.
//
// State: LogsState.ep, per template id (EPISODE_LEN numbers, charged EPISODE_BYTES in the
// template layer, evicted with it). Event time only: a replay gives the same findings.
import type { Template, TemplateMiner } from './templates.js';
import { templateText } from './templates.js';
import { clip, type LogsState, type Part } from './logs-state.js';
import { EPISODE_BYTES } from './budget.js';
import { fixed } from './round.js';
import type { LineSeverity } from './text-words.js';

export const RARITY_DETECTOR = 'template_rarity';

export const EPISODE_PARAMS = Object.freeze({
  /** A line of a template within this much event time of its previous line belongs to the same episode. */
  gapMs: 60_000,
  /** Half-life of a template's count of episodes, in event time. */
  halfLifeMs: 2 * 3_600_000,
  /** Decayed episodes at which a template is a habit. */
  habitEpisodes: 5,
  /** …and at which a warning of a template whose history is a burst (longLines) is one: a rare error's sporadic returns after its burst stay news twice as long. */
  burstHabit: 10,
  /**
   * A habit's line is normal when it begins an episode, or comes at least flurryMs after the
   * previous line of its template while its episode has at most habitLines lines: a storm of the
   * habit (lines a fraction of a second apart, or many) is judged as before.
   */
  habitLines: 4,
  flurryMs: 2_000,
  /** An episode of at least this many lines per gapMs of its span (its first gapMs included) is a burst. */
  longLines: 20,
  /** …and makes the template rare on its returns when fewer than this many episodes (decayed) came before it: its history is the burst. */
  burstFirst: 2,
});


/** [first line ms, current episode's start ms, its last line ms, its lines, decayed episodes, their time ms, longest past episode's lines]. */
export type EpisodeStats = number[];
export const EPISODE_LEN = 7;

/** What the episodes say of a line (EpisodeScorer.line). */
export interface EpisodeView {
  /** The line is a habit's and states no error level: its text findings are dropped (logs.ts). */
  habit: boolean;
  /** The score of a rare template's return reported for it (0: none). */
  score: number;
}

const NONE: EpisodeView = Object.freeze({ habit: false, score: 0 });

export class EpisodeScorer {
  readonly #s: LogsState;
  readonly #miner: TemplateMiner;
  readonly #evicted: (id: number) => void;

  constructor(s: LogsState, miner: TemplateMiner, evicted: (id: number) => void) {
    this.#s = s;
    this.#miner = miner;
    this.#evicted = evicted;
  }

  /** Charges a loaded state's episode records to their templates (EPISODE_BYTES each). */
  chargeRecords(): void {
    if (this.#s.ep !== undefined) this.#miner.chargeRecords(this.#s.ep, () => EPISODE_BYTES, this.#evicted);
  }

  /**
   * A line of template `t` at event time `ts` with severity `sev`: counted in the template's
   * episodes (its record created at its first line with a signal); a rare return's finding at
   * least `threshold` to out.
   */
  line(t: Template, ts: number, sev: LineSeverity, threshold: number, out: Part[]): EpisodeView {
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return NONE;
    const P = EPISODE_PARAMS;
    let r = this.#s.ep?.[t.id];
    if (r === undefined) {
      if (sev.word === '' && sev.warned === '' && sev.stated !== 'warn' && sev.stated !== 'error') return NONE;
      r = (this.#s.ep ??= {})[t.id] = [ts, -1, -1, 0, 0, ts, 0];
      this.#miner.grow(t, EPISODE_BYTES, this.#evicted);
    }
    const prev = r[2];
    const fresh = prev < 0 || ts - prev > P.gapMs;
    // The episodes before this line's: all of them at a new one, else all but the current one.
    const decay = (at: number): number => 2 ** (-(ts - at) / P.halfLifeMs);
    let all = r[4] * decay(r[5]);
    let before = fresh ? all : Math.max(0, all - decay(r[1]));
    if (fresh) {
      // The episode that ended: a burst (longLines lines or more per gapMs of its span) counts once; a sparser one weighs its span, one more for each gapMs it lasted (a template present all along is a habit, not one long episode).
      const more = prev < 0 ? 0 : Math.floor((prev - r[1]) / P.gapMs);
      const burst = r[3] >= P.longLines * (1 + more);
      // A burst among the template's first episodes (fewer than burstFirst before it, r[4] counted at its start) is its history: its lone returns are rare.
      if (burst && r[4] - 1 < P.burstFirst && r[3] > r[6]) r[6] = r[3];
      if (!burst) all += more * decay(prev);
      before = all;
      r[1] = ts;
      r[3] = 0;
      r[4] = fixed(all + 1, 4);
      r[5] = ts;
    }
    r[2] = Math.max(r[2], ts);
    r[3]++;
    // A warning of a template whose history is a burst is a habit only at burstHabit episodes: until then its returns are news.
    const H = r[6] >= P.longLines && sev.stated === 'warn' ? P.burstHabit : P.habitEpisodes;
    const habit = before >= H && sev.stated !== 'error' && (fresh || (r[3] <= P.habitLines && ts - prev >= P.flurryMs));
    if (!fresh || habit || r[6] < P.longLines || sev.stated !== 'warn') return habit ? HABIT : NONE;
    const score = fixed(P.burstHabit / (P.burstHabit + before), 4);
    if (score >= threshold) out.push(this.#rare(t, r, before, ts - prev, score));
    return { habit: false, score };
  }

  /** The finding of a rare template's return after `gap` ms without it. */
  #rare(t: Template, r: EpisodeStats, before: number, gap: number, score: number): Part {
    const P = EPISODE_PARAMS;
    const quiet = Math.round(gap / 60_000);
    return {
      score,
      detector: RARITY_DETECTOR,
      explanation:
        `A rare warning's return: template "${clip(templateText(t))}" comes back alone after ${quiet} min; its history is ${before.toFixed(1)} episodes (decayed, half-life ${P.halfLifeMs / 3_600_000} h; lines within ${P.gapMs / 1000} s are one), ` +
        `among them a burst of ${r[6]} lines: it has not come often enough to be a habit (${P.burstHabit} episodes, after a burst), so each return is news.`,
      details: { kind: 'rare_return', template: t.id, episodes: Number(before.toFixed(2)), longest_episode: r[6], habit_at: P.burstHabit },
    };
  }
}

const HABIT: EpisodeView = Object.freeze({ habit: true, score: 0 });
