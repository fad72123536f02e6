// The template search's comparisons (templates.ts): a template's similarity to a scanned line,
// its constant and keyed positions, key=value tokens, and the memo's entries with the check that
// a stale one still names the template the search would choose (split from templates.ts for size).
import type { Match, Template } from './templates.js';

export const WILD = '<*>';

/**
 * The share of a template's constant positions whose token equals the line's (a key=value field
 * matches one with the same key whatever its value); plain wildcards count as neither, and so does
 * a keyed slot (key=<*>) the line fills with that key, but one it fills with another key counts as
 * a position that differs: a logfmt line's keys are its shape, and lines whose keys differ are
 * other lines even once every value has become a slot.
 */
export function similarity(t: Template, tokens: readonly string[]): number {
  const tt = t.tokens;
  const consts = positionsOf(t, false);
  const keyed = positionsOf(t, true);
  let same = 0;
  let total = consts.length;
  for (let j = 0; j < consts.length; j++) {
    const i = consts[j];
    const x = tt[i];
    if (x === tokens[i] || sameKey(x, tokens[i])) same++;
  }
  for (let j = 0; j < keyed.length; j++) if (!sameKey(tt[keyed[j]], tokens[keyed[j]])) total++;
  return total === 0 ? 1 : same / total;
}

/** A template's constant positions (Template.consts: neither WILD nor key=<*>), or its keyed slots (Template.keyed). */
export function positionsOf(t: Template, keyed: boolean): Int32Array {
  const cached = keyed ? t.keyed : t.consts;
  if (cached !== undefined) return cached;
  const tt = t.tokens;
  const want = (x: string): boolean => (keyed ? isKeyedWild(x) : x !== WILD && !isKeyedWild(x));
  let n = 0;
  for (const x of tt) if (want(x)) n++;
  const c = new Int32Array(n);
  n = 0;
  for (let i = 0; i < tt.length; i++) if (want(tt[i])) c[n++] = i;
  return keyed ? (t.keyed = c) : (t.consts = c);
}

/** Position of the `=` of a key=value token whose key has no digit, or -1. */
export function fieldEq(tok: string): number {
  const i = tok.indexOf('=');
  if (i <= 0 || i === tok.length - 1) return -1;
  for (let k = 0; k < i; k++) {
    const c = tok.charCodeAt(k);
    if (c >= 48 && c <= 57) return -1;
  }
  return i;
}

/** A keyed slot (`key=<*>`). */
export function isKeyedWild(x: string): boolean {
  return x.length > 4 && x.endsWith('=<*>');
}

/** Both tokens are key=value with the same key. */
export function sameKey(a: string, b: string): boolean {
  const i = fieldEq(a);
  return i > 0 && b.length > i + 1 && b.charCodeAt(i) === 61 && b.startsWith(a.slice(0, i + 1));
}

/** A leaf's templates, and its generation: bumped when one of them is created or changed. */
export type Leaf = Template[] & { gen: number };

/** A memo entry: the key's template, found in `leaf` at generation `gen` (stale once the leaf's moved on). */
export interface MemoHit {
  t: Template;
  leaf: Leaf;
  gen: number;
  /** What a hit returns: t, neither changed nor created (one object per entry, not one per line). */
  m: Match;
}

/**
 * A memo entry whose leaf moved on since (another of its templates was created or changed) still
 * names the template the tree search would choose for its key: its template is unchanged since,
 * and none of the leaf's templates created or changed since then comes before it in the search's
 * order (higher similarity, then more wildcards, then the first in the leaf). The others are as
 * they were when it won, so they still lose; the line's similarity to a template depends only on
 * its key (a constant holds no digit). The memo stays a cache: the search's answer is the same.
 */
export function stillBest(hit: MemoHit, tokens: readonly string[]): boolean {
  const t = hit.t;
  if ((t.gen ?? 0) > hit.gen) return false;
  const leaf = hit.leaf;
  let sim = -1;
  let wild = -1;
  let after = false;
  for (let j = 0; j < leaf.length; j++) {
    const u = leaf[j];
    if (u === t) {
      after = true;
      continue;
    }
    if ((u.gen ?? 0) <= hit.gen) continue;
    if (sim < 0) {
      sim = similarity(t, tokens);
      wild = t.tokens.length - positionsOf(t, false).length;
    }
    const su = similarity(u, tokens);
    if (su > sim) return false;
    if (su < sim) continue;
    const wu = u.tokens.length - positionsOf(u, false).length;
    if (wu > wild || (wu === wild && !after)) return false;
  }
  return after;
}

export function memoHit(t: Template, leaf: Leaf, gen: number): MemoHit {
  return { t, leaf, gen, m: { template: t, changed: false, created: false } };
}
