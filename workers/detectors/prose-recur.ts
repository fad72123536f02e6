// The recurrence memory of the free-text detector (prose.ts, issue 11): a kind of text that is
// normal for a stream but rare in it (a second language of a few percent of its users, a pasted
// product description) is flagged the first time, and because flagged texts never join the
// reference, it was flagged every time after. Here the texts flagged for their vocabulary (and the
// last paragraphs of texts flagged for it: a closing line of a rare kind) are remembered with the
// event they came at; a later text flagged for either gets a second opinion against them (its
// vocabulary and its last paragraph measured again).
//
//   memory: the last flagged texts (normalised), grouped in episodes (texts within `gap` events of
//           the previous one: an off-topic run is one episode; at most `perEpisode` texts each)
//   second opinion for text x at event `at`:
//     episodes that ended more than `gap` events ago (not the run x is part of)
//     ─► fewer than `episodes` of them: none
//     ─► drop the episodes − 1 that share most of x's words (one earlier off-topic run, or one
//        earlier injection of the same wording, cannot vouch for x)
//     ─► the rest's texts and words extend the deflate dictionary and the known words: x's
//        vocabulary distance is measured again (prose.ts); below its threshold, x is of a kind
//        that keeps coming back (from at least `episodes` separate episodes): not reported, and
//        it joins the reference
//     ─► else (loneSupport): the flagged texts of closed episodes of at most `loneSize` texts whose letter-pair
//        profile is far from the dictionary's (another language) vouch the same way, for a text not
//        in a run that has at least one word the stream knows (recurLone; one earlier episode)
// Bounded: at most `size` texts and `maxBytes` bytes of them in the state's JSON (oldest out; budget.ts).
import { jsonBytes } from './budget.js';

export interface RecurState {
  /** Flagged texts (normalised, cut to `text` characters), oldest first. */
  t: string[];
  /** The event (the stream's text count) each came at; the last of an episode at its latest text. */
  n: number[];
}

export interface RecurParams { size: number; maxBytes: number; text: number; perEpisode: number; gap: number; episodes: number; loneSize: number }

export function freshRecur(): RecurState {
  return { t: [], n: [] };
}

export function isRecurState(o: unknown): o is RecurState {
  if (o === null || typeof o !== 'object') return false;
  const r = o as RecurState;
  return Array.isArray(r.t) && Array.isArray(r.n) && r.t.length === r.n.length && r.t.every((x) => typeof x === 'string') && r.n.every((x) => Number.isInteger(x));
}

/** Episode number of each entry: a new episode starts after a gap of more than `gap` events. */
function episodes(n: readonly number[], gap: number): number[] {
  const ep: number[] = [];
  let e = 0;
  for (let i = 0; i < n.length; i++) {
    if (i > 0 && n[i] - n[i - 1] > gap) e++;
    ep.push(e);
  }
  return ep;
}

/** Remembers a text (or last paragraph) flagged at event `at` (an episode keeps its first perEpisode texts and stays open). */
export function noteRecur(rs: RecurState, x: string, at: number, P: RecurParams): void {
  const last = rs.n.length - 1;
  if (last >= 0 && at - rs.n[last] <= P.gap) {
    const ep = episodes(rs.n, P.gap);
    let c = 0;
    for (let i = last; i >= 0 && ep[i] === ep[last]; i--) c++;
    if (c >= P.perEpisode) {
      rs.n[last] = at;
      return;
    }
  }
  rs.t.push(x.slice(0, P.text));
  rs.n.push(at);
  let bytes = 0;
  for (const t of rs.t) bytes += jsonBytes(t) + 12;
  while (rs.t.length > 1 && (rs.t.length > P.size || bytes > P.maxBytes)) {
    bytes -= jsonBytes(rs.t.shift() as string) + 12;
    rs.n.shift();
  }
}

const WORD = /\p{L}{3,}/gu;

/**
 * The texts that may vouch for x at event `at` (module header), joined, and their words; null
 * when fewer than `episodes` closed episodes are remembered.
 */
export function recurSupport(rs: RecurState, x: string, at: number, P: RecurParams): { text: string; words: Set<string> } | null {
  if (rs.t.length === 0) return null;
  const ep = episodes(rs.n, P.gap);
  const open = at - rs.n[rs.n.length - 1] <= P.gap ? ep[ep.length - 1] : -1;
  const mine = new Set(x.match(WORD));
  const shared = new Map<number, number>();
  const words = rs.t.map((t) => new Set(t.match(WORD)));
  for (let i = 0; i < rs.t.length; i++) {
    if (ep[i] === open) continue;
    let c = shared.get(ep[i]) ?? 0;
    for (const w of words[i]) if (mine.has(w)) c++;
    shared.set(ep[i], c);
  }
  if (shared.size < P.episodes) return null;
  // The episodes − 1 closest to x are left out (ties: the most recent first).
  const out = new Set([...shared.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0]).slice(0, P.episodes - 1).map(([e]) => e));
  const texts: string[] = [];
  const known = new Set<string>();
  for (let i = 0; i < rs.t.length; i++) {
    if (ep[i] === open || out.has(ep[i])) continue;
    texts.push(rs.t[i]);
    for (const w of words[i]) known.add(w);
  }
  return { text: texts.join('\n'), words: known };
}

/**
 * The lone witnesses at event `at`: the texts of closed episodes of at most `loneSize` flagged
 * texts (isolated texts, not a run: a second-language user who asks twice within `gap` texts is
 * still not an off-topic run of 8 or more) whose letter-pair profile has a cosine under maxCos with the stream's
 * main text (the deflate dictionary: another language, not an injection worded in the stream's own
 * words), joined, and their words; null when the text at `at` follows a flagged text within `gap`
 * events (it is part of a run) or there is none. One earlier episode may vouch here (recurSupport
 * needs `episodes`): a second language is a steady share of a stream, an off-topic run or an
 * injection in the stream's language is not in another one.
 */
export function loneSupport(rs: RecurState, at: number, P: RecurParams, main: string, maxCos: number): { text: string; words: Set<string> } | null {
  const m = rs.n.length;
  if (m === 0 || at - rs.n[m - 1] <= P.gap) return null;
  const ep = episodes(rs.n, P.gap);
  const size = new Map<number, number>();
  for (const e of ep) size.set(e, (size.get(e) ?? 0) + 1);
  const texts: string[] = [];
  const known = new Set<string>();
  let profile: Map<string, number> | null = null;
  for (let i = 0; i < m; i++) {
    if ((size.get(ep[i]) as number) > P.loneSize) continue;
    if (pairCosine(letterPairs(rs.t[i]), (profile ??= letterPairs(main))) >= maxCos) continue;
    texts.push(rs.t[i]);
    for (const w of rs.t[i].match(WORD) ?? []) known.add(w);
  }
  return texts.length === 0 ? null : { text: texts.join('\n'), words: known };
}

/** Counts of the letter pairs of a text's words (with a space at each end: first and last letters count). */
export function letterPairs(t: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const w of t.toLowerCase().match(/\p{L}+/gu) ?? []) {
    const s = ` ${w} `;
    for (let i = 0; i + 2 <= s.length; i++) {
      const b = s.slice(i, i + 2);
      m.set(b, (m.get(b) ?? 0) + 1);
    }
  }
  return m;
}

/** Cosine of two letter-pair profiles (0 when either is empty). */
export function pairCosine(a: Map<string, number>, b: Map<string, number>): number {
  let d = 0;
  let na = 0;
  let nb = 0;
  for (const [k, v] of a) {
    na += v * v;
    d += v * (b.get(k) ?? 0);
  }
  for (const v of b.values()) nb += v * v;
  return na === 0 || nb === 0 ? 0 : d / Math.sqrt(na * nb);
}
