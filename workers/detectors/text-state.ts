// The text detector's serialised state (text.ts): its shape, a fresh one, and the upgrade of older ones.
import { jsonBytes } from './budget.js';
import { freshMix, type MixState } from './mix.js';

/**
 * A quarantined pattern: [skeleton, sightings, first event, score, first cost bits, typical bits
 * then, severity word, last sighting, long-run decayed frequency (weighted occurrences), start
 * of the last incident, its sightings, 1 while common, the line it was accepted with, recent
 * decayed sightings, decayed incidents (each incident one, however long), incidents begun (not
 * decayed), event time (ms) of the last incident's start (0: unknown), the event (s.n) at which
 * its first storm began (0: none, text-quarantine.ts), the spacing (ms) of its last incident
 * starts (0: none), how many starts in a row came at that spacing, event time (ms) of the last
 * sighting (0: unknown)]. Entries of 20 fields (written before the last sighting's time was kept:
 * unknown), 18 fields (written
 * before the schedule was kept: none), 17 fields (written before storms were remembered: none), 16 fields
 * (written before the incident's start time was kept: unknown), 15 fields (written before incidents were counted without decay), 14
 * (before incidents were counted apart), 13 (before the recent frequency) and 7 (before
 * incidents) are upgraded by upgradeTextState.
 */
export type QEntry = [string, number, number, number, number, number, string, number, number, number, number, number, string, number, number, number, number, number, number, number, number];

/** A quarantine entry's bytes in the state's JSON: its strings, and its 18 numbers (at most 23 characters each), commas and brackets. */
export function entryBytes(e: QEntry): number {
  return jsonBytes(e[0]) + jsonBytes(e[6]) + jsonBytes(e[12]) + 18 * 23 + 23;
}

export interface TextState {
  v: 1;
  kind: 'text';
  /** Events seen. */
  n: number;
  /** Distinct normalised lines, least recent first. */
  base: string[];
  /** Ring of recent costs (bits) of non-exact lines, and its write position and fill. */
  ring: number[];
  pos: number;
  /** Insertions into the null so far. */
  ins: number;
  /** Median and MAD-scale of the null without the warm-up's costs, once matureNull came after it (text-null.ts). */
  mm?: [number, number];
  /** Insertions made during the warm-up (the first warmupEvents events); absent in states saved before it (then none). */
  wi?: number;
  /** Null statistics at the last refresh: median, MAD-scale, p99 of cost; median ratio. */
  med: number;
  scale: number;
  p99: number;
  rmed: number;
  /** Ring of sampled compression ratios (cost given the baseline / cost alone), and its write position. */
  rring: number[];
  rpos: number;
  /** Quarantined patterns. */
  q: QEntry[];
  /** Window-level template-mix drift (mix.ts). */
  mix: MixState;
  /** Event time of the first line fed with one (TEXT_PARAMS.warmupMs); absent until then. */
  t0?: number;
  /**
   * The stream's pace in event time: [latest event time, decayed mean interval between lines
   * (ms), lines with a time counted] (Quarantine.pace; the storm rule); absent until a line with
   * a time came (and in states saved before it).
   */
  pace?: [number, number, number];
}

export function freshTextState(): TextState {
  return { v: 1, kind: 'text', n: 0, base: [], ring: [], pos: 0, ins: 0, med: 0, scale: 1, p99: 0, rmed: 0, rring: [], rpos: 0, q: [], mix: freshMix() };
}

/** A text state as saved by any earlier version, brought to this one's shape. */
export function upgradeTextState(s: TextState): TextState {
  // States written before the pattern quarantine (3-field entries, no ratio ring position).
  if (typeof s.rpos !== 'number') s.rpos = 0;
  const q = s.q as unknown[][];
  // Entries written before incidents were counted (7 fields): one occurrence, at the first
  // sighting. Entries written before the recent frequency (13 fields): their decayed count of
  // incidents is the long-run frequency (an incident weighs one occurrence) and the sightings
  // of their last incident the recent one. Entries written before incidents were counted apart
  // (14 fields): their long-run frequency is their count of incidents. Entries written before
  // incidents were counted without decay (15 fields and older): one, their first (counted from here on).
  // Entries written before the incident's start time was kept (16 fields and older): 0, unknown.
  // Entries written before storms were remembered (17 fields and older): 0, no storm yet.
  // Entries written before the schedule was kept (18 fields and older): no spacing, no start at it.
  // Entries written before the last sighting's time was kept (20 fields and older): 0, unknown.
  const to16 = (e: unknown[]): unknown[] => (e.length === 7 ? [...e, e[2], 1, e[2], 1, 0, '', 1, 1, 1] : e.length === 13 ? [...e, e[10], e[8], 1] : e.length === 14 ? [...e, e[8], 1] : e.length === 15 ? [...e, 1] : e);
  s.q = q
    .filter((e) => e.length === 7 || (e.length >= 13 && e.length <= 18) || e.length === 20 || e.length === 21)
    .map((e) => (e.length === 21 ? e : e.length === 20 ? [...e, 0] : e.length === 18 ? [...e, 0, 0, 0] : e.length === 17 ? [...e, 0, 0, 0, 0] : [...to16(e), 0, 0, 0, 0, 0])) as QEntry[];
  if (s.mix === undefined) s.mix = freshMix();
  return s;
}
