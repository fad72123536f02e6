// The free-text detector's state (prose.ts): its format, a fresh one, and decoding a saved one
// (kept apart from prose.ts for size).
import type { TailNull } from './prose-features.js';
import { CLASSES, freshNull } from './prose-features.js';
import type { LexiconState } from './prose-lexicon.js';
import { isSegmentState, type SegmentState, type SegmentValues } from './prose-segment.js';
import { isRecurState, type RecurState } from './prose-recur.js';
import { isRunState, type RunMemory } from './prose-purge.js';
import { isSeenState, type SeenState } from './prose-seen.js';
import { isHeld, type Held } from './prose-hold.js';
import { isEndings } from './prose-ending.js';
import { isBurstState, type BurstState } from './prose-burst.js';

/** State format version; an older llm state (the line detector's, kind 'text') restarts the stream's warm-up. */
export const PROSE_STATE_VERSION = 1;

export const STATS = ['unexplained', 'novelty', 'repetition', 'length', 'characters', 'token', 'window'] as const;
export type Stat = (typeof STATS)[number];

/** Smallest spread of each statistic's tail taken seriously (a stream of near-identical texts). */
export const FLOOR: Record<Stat, number> = { unexplained: 0.03, novelty: 0.05, repetition: 0.03, length: 0.5, characters: 0.03, token: 0.5, window: 0.02 };

/** A text's statistics (prose.ts header), its size, longest token and character-class shares; its last paragraph when it has several. */
export interface ProseValues {
  /** The text as the dictionary holds it (lower-cased, normalised, cut to maxBytes). */
  x: string;
  unexplained: number; novelty: number; novel: string[]; repetition: number; length: number; characters: number; token: number; window: number;
  /** How many of the novel words are one edit from a word of the dictionary's texts (typos: prose-typo.ts). */
  typos: number;
  bytes: number; longest: number; shares: Float64Array;
  /** The class of its last character (prose-ending.ts ENDINGS). */
  ending: number;
  /** The text's segment (prose-segment.ts): its last paragraph, or the whole text (`whole`) when it has one paragraph. */
  segment: SegmentValues;
}

export interface ProseState {
  v: 1;
  kind: 'prose';
  n: number;
  /** Recent normal texts (normalised), oldest first. */
  dict: string[];
  nulls: Record<Stat, TailNull>;
  ins: number;
  /** Usual character-class shares (EWMA over accepted texts). */
  mix: number[];
  /** Last `window` unexplained values (every text), and write position. */
  win: number[];
  wpos: number;
  /** Last flagMemory flags (1 flagged, 0 not), and write position. */
  fl: number[];
  fpos: number;
  /** The long-run vocabulary (absent in states saved before it: seeded from dict). */
  lx?: LexiconState;
  /** Recent notable long tokens (absent in older states). */
  tk?: string[];
  /** Per size bin, the nulls of the segments of accepted texts (prose-segment.ts; absent in older states). */
  sg?: SegmentState;
  /** Texts flagged for their vocabulary (or last paragraphs flagged) and when (prose-recur.ts; absent in older states). */
  rc?: RecurState;
  /** Accepted texts of a rare kind (prose.ts #rare; absent in older states and when off). */
  rk?: string[];
  /** Accepted texts of the last window events that were already poorly explained: [event, hash of the text] (prose-purge.ts). */
  pw?: RunMemory;
  /** Keys (64 bits of SHA-256) of texts accepted while the stream was ordinary (prose-seen.ts; absent in older states and when off; 32-bit hashes in states before its `w`, upgraded on load). */
  sn?: SeenState;
  /** Near misses waiting to join the dictionary: [event, text] (prose-hold.ts; absent in older states and when off). */
  ph?: Held;
  /** How many texts ended in each class of prose-ending.ts (absent in older states and when off). */
  ed?: number[];
  /** The burst view's window and kind counts (prose-burst.ts; absent in older states and when off). */
  bu?: BurstState;
}

/**
 * The state with its keys in one order, whatever order its optional parts were created in (a
 * memory created in this task, or loaded from the last one), so the saved bytes do not depend on
 * how the stream was split into tasks.
 */
export function canonicalProse(s: ProseState): ProseState {
  const { v, kind, n, dict, nulls, ins, mix, win, wpos, fl, fpos, lx, tk, sg, rc, rk, pw, sn, ph, ed, bu, ...rest } = s;
  return { v, kind, n, dict, nulls, ins, mix, win, wpos, fl, fpos, lx, tk, sg, rc, rk, pw, sn, ph, ed, bu, ...rest };
}

/** Writes a text's `unexplained` into the window ring of the last `window` texts. */
export function pushWindow(s: ProseState, unexplained: number, window: number): void {
  if (s.win.length < window) s.win.push(unexplained);
  else s.win[s.wpos] = unexplained;
  s.wpos = (s.wpos + 1) % window;
}

/** Remembers a text's flag (the last `memory` of them); true when most recent texts were flagged (the stream has changed). */
export function noteFlag(s: ProseState, flagged: boolean, memory: number): boolean {
  if (s.fl.length < memory) s.fl.push(flagged ? 1 : 0);
  else s.fl[s.fpos] = flagged ? 1 : 0;
  s.fpos = (s.fpos + 1) % memory;
  let c = 0;
  for (const f of s.fl) c += f;
  return flagged && s.fl.length === memory && c * 2 > memory;
}

export function freshProse(): ProseState {
  const nulls = Object.fromEntries(STATS.map((s) => [s, freshNull()])) as Record<Stat, TailNull>;
  return { v: 1, kind: 'prose', n: 0, dict: [], nulls, ins: 0, mix: new Array<number>(CLASSES).fill(0), win: [], wpos: 0, fl: [], fpos: 0 };
}

/** Decodes an llm stream's state; null (a clean restart) for any other or older format. */
export function decodeProse(bytes: Uint8Array | null): ProseState {
  if (bytes === null || bytes.length === 0) return freshProse();
  let s: unknown;
  try {
    s = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new TypeError('task.state is not a prose detector state (not UTF-8 JSON)');
  }
  const o = s as Partial<ProseState> & { kind?: unknown; v?: unknown } | null;
  if (o === null || typeof o !== 'object') throw new TypeError('task.state is not a prose detector state');
  // An llm stream checkpointed by the line detector (kind 'text', before prose.ts), or given a logs state (logs.ts): start afresh.
  if ((o.kind as unknown) === 'text' || (o.kind as unknown) === 'logs') return freshProse();
  if (o.kind !== 'prose' || o.v !== PROSE_STATE_VERSION) throw new TypeError('task.state is not a prose detector state (wrong stream type, or a newer version)');
  if (o.tk !== undefined && (!Array.isArray(o.tk) || o.tk.some((t) => typeof t !== 'string'))) throw new TypeError('task.state is not a prose detector state (tokens)');
  if (o.sg !== undefined && !isSegmentState(o.sg)) throw new TypeError('task.state is not a prose detector state (segments)');
  if (o.rc !== undefined && !isRecurState(o.rc)) throw new TypeError('task.state is not a prose detector state (recurrence memory)');
  if (o.rk !== undefined && (!Array.isArray(o.rk) || o.rk.some((t) => typeof t !== 'string'))) throw new TypeError('task.state is not a prose detector state (rare kinds)');
  if (o.pw !== undefined && !isRunState(o.pw)) throw new TypeError('task.state is not a prose detector state (run memory)');
  if (o.sn !== undefined && !isSeenState(o.sn)) throw new TypeError('task.state is not a prose detector state (verbatim memory)');
  if (o.ph !== undefined && !isHeld(o.ph)) throw new TypeError('task.state is not a prose detector state (held texts)');
  if (o.ed !== undefined && !isEndings(o.ed)) throw new TypeError('task.state is not a prose detector state (endings)');
  if (o.bu !== undefined && !isBurstState(o.bu)) throw new TypeError('task.state is not a prose detector state (burst view)');
  return o as ProseState;
}
