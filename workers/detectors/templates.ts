// Online template mining for log lines (a Drain-style fixed-depth parse tree, He et al. 2017).
//
//   line ─► tokens (whitespace) and key (tokens with a digit → *, key=value with a digit → key=*)
//        ─► key in the memo? ──yes──► template id (fast path: no tree, no compression)
//        │ no
//        ▼
//   leaf = (token count, first token, second token; a token with a digit counts as *)
//        ─► most similar template of the leaf: share of its constant positions whose token equals
//           the line's (a key=value field matches one with the same key whatever its value;
//           wildcards count as neither, a keyed slot filled with another key as a position that
//           differs); ≥ `similarity` → the line joins it (positions that differ become wildcards,
//           a keyed slot filled with another key a plain one), else a new template
//        ─► template id + its variable slots (the line's tokens at the wildcard positions)
//
// Bounded: at most `maxTemplates` per stream, and at most `maxBytes` of template layer: each
// template's serialised entry, its rate record, its slot statistics and its burst period record
// (logs.ts and logs-rate.ts grow the last two through grow()), accounted as they change (never by serialising; budget.ts); when over either
// bound the least recently seen template is evicted (its id is never reused). The memo is not serialised: it is cleared whenever a
// template is created, changed or evicted, so it only ever answers what the tree would, and a
// stream's templates do not depend on how it was split into batches. Pure and deterministic.
// A key's answer depends only on its leaf's templates (a key names its leaf), so a created or
// changed template makes only its leaf's memo entries stale (each entry holds its leaf's
// generation); an eviction clears the memo.

export interface MinerParams {
  maxTemplates: number;
  /** Bytes of the template layer per stream (templates, their slot and rate statistics), as serialised at most. */
  maxBytes: number;
  /** Share of a template's constant positions a line must match to join it. */
  similarity: number;
  /** Memo entries (key → template id) kept in memory. */
  memoSize: number;
  /** Lines with more tokens are cut (the rest is one trailing token). */
  maxTokens: number;
}


export const MINER_PARAMS: Readonly<MinerParams> = Object.freeze({
  maxTemplates: 10_000,
  /** The template layer's share of the stream's state budget (budget.ts; the least recently seen templates are evicted beyond it). */
  maxBytes: STATE_BUDGET.templates - FAMILY_BUDGET - VALUE_BUDGET - PAIR_BUDGET - PARTNER_BUDGET - KNOWN_BUDGET,
  similarity: 0.8,
  memoSize: 20_000,
  maxTokens: 64,
});

import { FAMILY_BUDGET, jsonBytes, KNOWN_BUDGET, PAIR_BUDGET, PARTNER_BUDGET, STATE_BUDGET, TEMPLATE_FIXED_BYTES, VALUE_BUDGET } from './budget.js';

import { fieldEq, isKeyedWild, type Leaf, memoHit, type MemoHit, positionsOf, sameKey, similarity, stillBest, WILD } from './templates-similarity.js';

export { fieldEq, WILD } from './templates-similarity.js';

export interface Template {
  id: number;
  /** Tokens; WILD or `key=<*>` at variable positions. */
  tokens: string[];
  /** Stream line at which it was last seen (eviction order). */
  last: number;
  count: number;
  /** Bytes accounted to it (budget.ts): its serialised entry, fixed parts, and what grow() added (its slot statistics). */
  bytes?: number;
  /** A cache of a caller's per-template work (logs.ts: its slot layout); cleared whenever the tokens change. */
  layout?: unknown;
  /** Its family key (logs-rate.ts familyOf; null: none); cleared whenever the tokens change. */
  family?: string | null;
  /** Its constant positions (not WILD nor key=<*>), as the tree search compares them; cleared whenever the tokens change. */
  consts?: Int32Array;
  /** Its keyed slots (`key=<*>`), compared by key in the tree search; cleared whenever the tokens change. */
  keyed?: Int32Array;
  /** Its leaf's generation when this line created or last changed it (in memory only; loaded templates: none, as old as any memo entry). */
  gen?: number;
}

/** Serialised miner: next id, templates as [id, tokens joined by \u0001, last, count]. */
export interface MinerState {
  next: number;
  t: [number, string, number, number][];
}

export function freshMiner(): MinerState {
  return { next: 1, t: [] };
}

/** A scanned line: its tokens and its key (digit tokens masked). */
export interface Scan {
  tokens: string[];
  key: string;
}

export interface Match {
  template: Template;
  /** The template was created or changed by this line (the slow path scores its novelty). */
  changed: boolean;
  created: boolean;
  /** The template's tokens before this line widened it (when it changed an existing template). */
  before?: readonly string[];
}

function hasDigit(tok: string): boolean {
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

/** Longer tokens are variable (blobs, paths with ids) and not kept in a template. */
const MAX_TOKEN = 64;

function maskToken(x: string): string {
  if (x.length > MAX_TOKEN) return WILD;
  // What is kept never holds the serialised template's separator (\u0001): it would come back split.
  if (!hasDigit(x)) return x.includes('\u0001') ? WILD : x;
  const i = fieldEq(x);
  return i > 0 && !x.slice(0, i).includes('\u0001') ? x.slice(0, i + 1) + WILD : WILD;
}

/** The key's part for one token (`digit`: it holds a digit), with its trailing space. */
function keyPart(tok: string, digit: boolean): string {
  if (!digit) return tok + ' ';
  const eq = fieldEq(tok);
  return eq > 0 ? tok.slice(0, eq + 1) + '* ' : '* ';
}

/** The key of a line of Latin-1 characters, written here and read back as one flat string (it is hashed at once as the memo's key). */
let keyScratch = Buffer.allocUnsafe(4096);

/** Whitespace tokens (at most `max`, the rest joined into the last) and the masked key. */
export function scan(line: string, max: number): Scan {
  const tokens: string[] = [];
  const n = line.length;
  if (keyScratch.length < 2 * n + 16) keyScratch = Buffer.allocUnsafe(2 * n + 16);
  const kb = keyScratch;
  // The key as keyPart would give it, token by token: the token's characters are written as they
  // come; at its end, a token with a digit is cut back to its `key=` (or nothing) and a '*'.
  let at = 0;
  let from = 0;
  let wide = false;
  let start = -1;
  let digit = false;
  // The token's first '=' (its index in the line, -1: none yet) and whether a digit came before
  // it: fieldEq(tok) as the characters pass, without searching the token again.
  let eqAt = -1;
  let keyDigit = false;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? line.charCodeAt(i) : 32;
    if (c === 32 || c === 9 || c === 10 || c === 13) {
      if (start >= 0) {
        tokens.push(line.slice(start, i));
        if (digit) {
          // fieldEq: an '=' after a key of at least one character without a digit, not last.
          const eq = eqAt > start && eqAt < i - 1 && !keyDigit ? eqAt - start : -1;
          at = eq > 0 ? from + eq + 1 : from;
          kb[at++] = 42; // *
        }
        kb[at++] = 32;
        start = -1;
      }
    } else {
      if (start < 0) {
        start = i;
        from = at;
        digit = false;
        eqAt = -1;
        keyDigit = false;
      }
      if (c >= 48 && c <= 57) {
        digit = true;
        if (eqAt < 0) keyDigit = true;
      } else if (c === 61) {
        if (eqAt < 0) eqAt = i;
      } else if (c > 255) wide = true;
      kb[at++] = c;
    }
  }
  let key: string;
  if (tokens.length > max) {
    const rest = tokens.splice(max - 1).join(' ');
    tokens.push(rest);
    key = tokens.map(maskToken).join(' ');
  } else if (wide) {
    key = '';
    for (const tok of tokens) key += keyPart(tok, hasDigit(tok));
  } else key = kb.toString('latin1', 0, at);
  return { tokens, key };
}

/** A variable position of a template. */
export function isSlot(x: string): boolean {
  return x === WILD || isKeyedWild(x);
}

export class TemplateMiner {
  readonly P: Readonly<MinerParams>;
  #next: number;
  readonly #byId = new Map<number, Template>();
  readonly #leaves = new Map<string, Leaf>();
  readonly #memo = new Map<string, MemoHit>();

  constructor(s: MinerState = freshMiner(), params: Readonly<MinerParams> = MINER_PARAMS) {
    this.P = params;
    this.#next = s.next;
    for (const [id, joined, last, count] of s.t) this.#insert({ id, tokens: joined === '' ? [] : joined.split('\u0001'), last, count });
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): Template | undefined {
    return this.#byId.get(id);
  }

  #leafKey(tokens: readonly string[]): string {
    const a = tokens.length > 0 ? maskToken(tokens[0]) : '';
    const b = tokens.length > 1 ? maskToken(tokens[1]) : '';
    return `${tokens.length}\u0001${a}\u0001${b}`;
  }

  #bytes = 0;

  /** Bytes of template layer accounted (the bound maxBytes applies to it). */
  get bytes(): number {
    return this.#bytes;
  }

  #insert(t: Template): void {
    this.#byId.set(t.id, t);
    t.bytes ??= tplBytes(t);
    this.#bytes += t.bytes;
    const key = this.#leafKey(t.tokens);
    const leaf = this.#leaves.get(key);
    if (leaf === undefined) this.#leaves.set(key, Object.assign([t], { gen: 0 }));
    else leaf.push(t);
  }

  /**
   * Adds `delta` bytes to what template `t` holds (logs.ts: its slot statistics grew or shrank),
   * then evicts the least recently seen others while the layer is over maxBytes.
   */
  grow(t: Template, delta: number, evicted?: (id: number) => void): void {
    if (delta === 0 || this.#byId.get(t.id) !== t) return;
    t.bytes = (t.bytes ?? 0) + delta;
    this.#bytes += delta;
    while (this.#bytes > this.P.maxBytes && this.#byId.size > 1) {
      const id = this.#evictOldest(t);
      if (evicted !== undefined) evicted(id);
    }
  }

  /**
   * Charges a loaded state's per-template records (keyed by template id) to their templates,
   * `bytes` of each as when it was created (budget.ts), evicting beyond the budget as then, in
   * the records' key order; a record whose template is gone (or evicted meanwhile) is dropped.
   */
  chargeRecords<R>(records: Record<string, R>, bytes: (r: R) => number, evicted?: (id: number) => void): void {
    for (const id of Object.keys(records)) {
      const t = this.get(Number(id));
      const r = records[id];
      if (t === undefined || r === undefined) delete records[id];
      else this.grow(t, bytes(r), evicted);
    }
  }

  /** Evicts the least recently seen template (never `keep`); returns its id (0 when none). */
  #evictOldest(keep?: Template): number {
    let old: Template | undefined;
    for (const t of this.#byId.values()) if (t !== keep && (old === undefined || t.last < old.last || (t.last === old.last && t.id < old.id))) old = t;
    if (old === undefined) return 0;
    this.#byId.delete(old.id);
    this.#bytes -= old.bytes ?? 0;
    const key = this.#leafKey(old.tokens);
    const leaf = this.#leaves.get(key);
    if (leaf !== undefined) {
      leaf.splice(leaf.indexOf(old), 1);
      if (leaf.length === 0) this.#leaves.delete(key);
    }
    this.#memo.clear();
    return old.id;
  }

  /** Matches one scanned line (n: the stream's line number). `evicted` receives an evicted template's id. */
  match(sc: Scan, n: number, evicted?: (id: number) => void): Match {
    const tokens = sc.tokens;
    const hit = this.#memo.get(sc.key);
    if (hit !== undefined && (hit.leaf.gen === hit.gen || stillBest(hit, tokens))) {
      const t = hit.t;
      hit.gen = hit.leaf.gen;
      t.last = n;
      t.count++;
      return hit.m;
    }
    const lk = this.#leafKey(tokens);
    const leaf = this.#leaves.get(lk);
    let best: Template | undefined;
    let bestSim = -1;
    let bestWild = -1;
    if (leaf !== undefined) {
      for (const t of leaf) {
        const sim = similarity(t, tokens);
        const wild = t.tokens.length - positionsOf(t, false).length;
        if (sim > bestSim || (sim === bestSim && wild > bestWild)) {
          best = t;
          bestSim = sim;
          bestWild = wild;
        }
      }
    }
    if (best !== undefined && (bestSim >= this.P.similarity || tokens.length === 0)) {
      let changed = false;
      const tt = best.tokens;
      let before0: string[] | undefined;
      for (let i = 0; i < tt.length; i++) {
        const x = tt[i];
        if (x === WILD) continue;
        const y = tokens[i];
        if (isKeyedWild(x)) {
          // A keyed slot the line fills with another key becomes a plain slot: its values are not that key's.
          if (sameKey(x, y)) continue;
          changed = true;
          before0 ??= tt.slice();
          best.layout = best.family = best.consts = best.keyed = undefined;
          tt[i] = WILD;
          continue;
        }
        if (x === y) {
          // A constant that holds a digit can only be a key=value field's value here.
          continue;
        }
        changed = true;
        before0 ??= tt.slice();
        best.layout = best.family = best.consts = best.keyed = undefined;
        tt[i] = sameKey(x, y) ? x.slice(0, fieldEq(x) + 1) + WILD : WILD;
      }
      best.last = n;
      best.count++;
      if (changed) {
        best.gen = ++(leaf as Leaf).gen;
        // Its entry's text changed: the difference is accounted (a wildcard may be longer or shorter than the word).
        const before = tplBytes({ ...best, tokens: before0 as string[] });
        this.grow(best, tplBytes(best) - before, evicted);
      } else {
        if (this.#memo.size >= this.P.memoSize) this.#memo.clear();
        this.#memo.set(sc.key, memoHit(best, leaf as Leaf, (leaf as Leaf).gen));
      }
      return changed ? { template: best, changed, created: false, before: before0 } : { template: best, changed, created: false };
    }
    const t: Template = { id: this.#next++, tokens: tokens.map(maskToken), last: n, count: 1 };
    t.bytes = tplBytes(t);
    while (this.#byId.size > 0 && (this.#byId.size >= this.P.maxTemplates || this.#bytes + t.bytes > this.P.maxBytes)) {
      const id = this.#evictOldest();
      if (evicted !== undefined) evicted(id);
    }
    this.#insert(t);
    // The leaf the line was looked up in (its key is t's: maskToken is idempotent).
    const into = this.#leaves.get(lk) as Leaf;
    if (this.#memo.size >= this.P.memoSize) this.#memo.clear();
    t.gen = ++into.gen;
    this.#memo.set(sc.key, memoHit(t, into, into.gen));
    return { template: t, changed: true, created: true };
  }

  save(): MinerState {
    const t: MinerState['t'] = [];
    for (const x of [...this.#byId.values()].sort((a, b) => a.id - b.id)) t.push([x.id, x.tokens.join('\u0001'), x.last, x.count]);
    return { next: this.#next, t };
  }
}

/** A template's own bytes: its serialised entry in MinerState.t, and the fixed parts of its statistics (budget.ts). */
function tplBytes(t: Pick<Template, 'tokens'>): number {
  return jsonBytes(t.tokens.join('\u0001')) + TEMPLATE_FIXED_BYTES;
}

/** A template as text ("GET /api <*> status=<*>"). */
export function templateText(t: Template): string {
  return t.tokens.join(' ');
}
