// The logs detector's state (logs.ts): its shape, its loading and the upgrade of older ones.
//
// State: JSON {v: 2, kind: 'logs', t: text state, m: miner, s: slot stats, r: rates, md:
// metadata, k: keys pooled per stream, sr: the stream's rate, q: last window checked for
// silence, sub: sub-second timestamps seen, he: entity-burst records per template, hb: slots' breadth
// histories per template (logs-breadth.ts), ek: the
// stream's known id values (logs-known.ts), al: its decayed share of error-level lines, ep: templates'
// episodes (logs-episodes.ts)} (k, sr,
// q, sub, he, hb, ek, al, ep and the longer rate records are
// added to older v2 states as they are met); a v1 text state (checkpoints written before templates) is upgraded in place: its
// baseline, null and quarantine carry on, templates start empty.
import type { Finding } from '../types.js';
import type { ProseState } from './prose.js';
import { freshTextState, upgradeTextState, type TextState } from './text.js';
import { freshMiner, type MinerState } from './templates.js';
import type { FieldStats } from './fields.js';
import type { RateStats } from './rate.js';
import type { PairActor } from './logs-pairs.js';
import { fixed } from './round.js';

export interface LogsState {
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
  /** Rate records of template families (logs-rate.ts: the templates that begin with the same words); absent until one. */
  f?: Record<string, RateStats>;
  /** Per template id, its bursts' episodes, for bursts on a schedule (rate-period.ts); absent until a burst. Counted in the template's bytes (budget.ts PERIOD_BYTES), evicted with it. */
  rp?: Record<string, number[]>;
  /** Per family key (as `f`), its bursts' episodes (rate-period.ts); dropped with the family. */
  fp?: Record<string, number[]>;
  /** JSON records' keys: values shown (-1: wide, not categorical), and a rate record per categorical key=value (value-rate.ts); absent until a JSON record. */
  vk?: Record<string, number>;
  vr?: Record<string, RateStats>;
  /** Per such key, the event time of its last new value. */
  vn?: Record<string, number>;
  /** The last line's value in one of its usual bursts (value-rate.ts coverShare): [event time, its excess]; absent until one. */
  vc?: [number, number];
  /** Value bursts before branch edge14 (logs-repeat.ts): the ring of 5 numbers a line; dropped when read. */
  hr?: number[];
  /** Value bursts (logs-repeat.ts): the stream's last lines' [ts, template id, maxSlots slot value keys], flat; absent until one. */
  hq?: number[];
  /** Per template id, [lines, decayed lines of it in the ring, per slot index its decayed recurrences] (logs-repeat.ts), charged in the template's bytes. */
  hd?: Record<string, number[]>;
  /** Per template id, its slots' breadth history (logs-breadth.ts): absent until one of its values recurs; charged in the template's bytes, evicted with it. */
  hb?: Record<string, number[]>;
  /** Per template id, its value-burst record (logs-repeat.ts), charged in the template's bytes, evicted with it. */
  hv?: Record<string, number[]>;
  /** Per template id, its entity-burst record: head and ring of its last lines' id-like slot keys (logs-entity.ts), charged in the template's bytes. */
  he?: Record<string, number[]>;
  /** The values the stream has shown in its templates' id-like slots (logs-known.ts: a Bloom filter of two generations and its recent strangers), for the entity bursts. */
  ek?: number[];
  /** [lines since, event time of] the last line that opened a template (logs-news.ts); absent until one with a time. */
  nt?: [number, number];
  /** [decayed error lines (text-words.ts LineSeverity.error), decayed lines] of the stream (logs-rate.ts NEWCOMER_PARAMS: errors unusual for it); absent until a rated line; a state saved before it, with templates, starts from their counts (logs-rate.ts seededErrorShare). */
  al?: [number, number];
  /** Event time of the stream's last reported burst line (logs-fold.ts: a burst line within momentMs after it is folded); absent until one. */
  bm?: number;
  /** Per template id in a fleet wave (logs-wave.ts): [event time of its last wave line, the wave's lines, its first line's event time]; absent until one, a wave's entry dropped once it ended. */
  fw?: Record<string, number[]>;
  /** Fleet waves (logs-wave.ts): the wave lines' ids [hash, template id, event time], flat, the last WAVE_PARAMS.ring; and the stream's returns [last one's event time, count]; absent until one. */
  wr?: number[];
  wv?: number[];
  /** Per actor word of JSON records (`user.username=alice`), the field values seen with it (logs-pairs.ts); absent until one. */
  ap?: Record<string, PairActor>;
  /** Per (actor, address key) of the templates' slots, its networks (logs-partner.ts); absent until one. */
  pn?: Record<string, number[]>;
  /** Per slot name (a key, or `#` and a bare slot's token index), the actors with an address it has shown, counted to FIELD_PARAMS.lowCard + 1 (logs-partner.ts). */
  pk?: Record<string, number>;
  /** Per template id with a signal (a severity word, a warning), its episodes in event time (logs-episodes.ts), charged in the template's bytes, evicted with it; absent until one. */
  ep?: Record<string, number[]>;
  /** Open incidents of a new warning (logs-sequel.ts): [key hash, first line's event time, last line's, lines] each, at most SEQUEL_PARAMS.maxOpen; absent until one. */
  sq?: number[];
  /** Rare values that may be taking over their slot (logs-share.ts): [template id × 256 + slot index, value hash, share before × 1e9, lines, bits] each, at most SHARE_PARAMS.maxOpen; absent until one. */
  vs?: number[];
  /** The last prose-like lines' words (logs-prose.ts wordsHash, PROSE_VARIETY), oldest first; absent until one. */
  pw?: number[];
  /** The free-text detector's state for the stream's prose lines (logs-prose.ts); absent until one. */
  p?: ProseState;
}

const dec = new TextDecoder('utf-8', { fatal: true });

export function loadState(bytes: Uint8Array | null): LogsState {
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

/** A finding of the line being scored, before its index in the task is known. */
export type Part = Omit<Finding, 'index'>;

/** A template's text as an explanation quotes it. */
export function clip(s: string): string {
  return s.length > 100 ? `${s.slice(0, 97)}...` : s;
}

/**
 * The score of news after a settled quiet (logs-news.ts: a new template after the stream's
 * vocabulary held; logs-pairs.ts: a new pair after an actor's pairs held): q = min(lines /
 * perLines, ms / perMs), the quiet against both its bounds, scored q / (q + 1) (0.5 at both
 * bounds, higher the longer it held); undefined when there was no quiet (q not above 0: time
 * went back).
 */
export function quietScore(lines: number, ms: number, perLines: number, perMs: number): number | undefined {
  const q = Math.min(lines / perLines, ms / perMs);
  return q > 0 ? fixed(q / (q + 1), 4) : undefined;
}
