// Online template mining for log lines (a Drain-style fixed-depth parse tree, He et al. 2017).
//
//   line ─► tokens (whitespace) ─► masked key (tokens with a digit → *) ──in the exact cache?──► template id (fast path)
//        │ no
//        ▼
//   leaf = (token count, first token, second token; a token with a digit counts as *)
//        ─► most similar template of the leaf: share of its constant positions whose token equals
//           the line's (a key=value field matches one with the same key, whatever its value;
//           wildcards count as neither); ≥ `similarity` → the line joins it (positions that differ become
//           wildcards: `merged` names them), else a new template
//        ─► template id + its variable slots (the line's tokens at the wildcard positions)
//
// Bounded: at most `maxTemplates` per stream; when full the least recently seen template is
// evicted (its id is never reused). The miner's state is plain arrays, serialised with the
// stream's detector state. Pure and deterministic.

export interface MinerParams {
  /** Templates kept per stream. */
  maxTemplates: number;
  /** Share of a template's constant positions a line must match to join it. */
  similarity: number;
  /** Exact-key cache entries (masked line → template id) kept in memory; rebuilt freely. */
  cacheSize: number;
  /** Lines longer than this many tokens are cut (the rest is one trailing token). */
  maxTokens: number;
}

export const MINER_PARAMS: Readonly<MinerParams> = Object.freeze({
  maxTemplates: 10_000,
  similarity: 0.8,
  cacheSize: 20_000,
  maxTokens: 64,
});

export const WILD = '<*>';

/** One template: its tokens (WILD at variable positions). */
export interface Template {
  id: number;
  tokens: string[];
  /** Stream line number at which it was last seen (for eviction). */
  last: number;
  /** Lines matched so far. */
  count: number;
}

/** Serialised miner: next id, templates as [id, tokens joined by \u0001, last, count]. */
export interface MinerState {
  next: number;
  t: [number, string, number, number][];
}

export function freshMiner(): MinerState {
  return { next: 1, t: [] };
}

export interface Match {
  template: Template;
  /** The line's tokens (the template's wildcard positions hold the slot values). */
  tokens: string[];
  /** A new template was created for this line. */
  created: boolean;
  /** Positions that were constant in the template and became wildcards for this line (with the old constant). */
  merged: [number, string][] | null;
  /** Id of a template evicted to make room, or 0. */
  evicted: number;
}

const hasDigit = (tok: string): boolean => {
  for (let i = 0; i < tok.length; i++) {
    const c = tok.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
};

/** A template token that is a field with a variable value ("status=<*>"). */
export function isKeyedWild(x: string): boolean {
  return x.length > 4 && x.endsWith('=<*>');
}

/** A variable position of a template: a wildcard or a field with a variable value. */
export function isSlot(x: string): boolean {
  return x === WILD || isKeyedWild(x);
}

/** A line token as a new template holds it: with a digit it is a slot (a field keeps its key). */
function maskToken(x: string): string {
  if (!hasDigit(x)) return x;
  const i = x.indexOf('=');
  return i > 0 && !hasDigit(x.slice(0, i)) ? x.slice(0, i + 1) + WILD : WILD;
}

/** Both tokens are key=value with the same non-empty key ("currency=EUR", "currency=JPY"). */
function sameKey(a: string, b: string): boolean {
  const i = a.indexOf('=');
  return i > 0 && i < a.length - 1 && b.length > i + 1 && b.charCodeAt(i) === 61 && a.startsWith(b.slice(0, i));
}

/** Whitespace tokens of a line, at most `max` (the rest joined into the last one). */
export function tokenise(line: string, max: number): string[] {
  const toks = line.split(/\s+/);
  if (toks.length > 0 && toks[0] === '') toks.shift();
  if (toks.length > 0 && toks[toks.length - 1] === '') toks.pop();
  if (toks.length > max) toks.splice(max - 1, toks.length - max + 1, toks.slice(max - 1).join(' '));
  return toks;
}

/** The template mined from a stream's lines so far. */
export class TemplateMiner {
  readonly P: Readonly<MinerParams>;
  #next: number;
  readonly #byId = new Map<number, Template>();
  /** Leaf key → templates. */
  readonly #leaves = new Map<string, Template[]>();
  /** Masked line → template id (only for lines that matched without changing the template). */
  readonly #cache = new Map<string, number>();

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

  templates(): IterableIterator<Template> {
    return this.#byId.values();
  }

  #leafKey(tokens: readonly string[]): string {
    const a = tokens.length > 0 ? (hasDigit(tokens[0]) ? WILD : tokens[0]) : '';
    const b = tokens.length > 1 ? (hasDigit(tokens[1]) ? WILD : tokens[1]) : '';
    return `${tokens.length}\u0001${a}\u0001${b}`;
  }

  #insert(t: Template): void {
    this.#byId.set(t.id, t);
    const key = this.#leafKey(t.tokens);
    const leaf = this.#leaves.get(key);
    if (leaf === undefined) this.#leaves.set(key, [t]);
    else leaf.push(t);
  }

  #evictOldest(): number {
    let old: Template | undefined;
    for (const t of this.#byId.values()) if (old === undefined || t.last < old.last || (t.last === old.last && t.id < old.id)) old = t;
    if (old === undefined) return 0;
    this.#byId.delete(old.id);
    const key = this.#leafKey(old.tokens);
    const leaf = this.#leaves.get(key);
    if (leaf !== undefined) {
      leaf.splice(leaf.indexOf(old), 1);
      if (leaf.length === 0) this.#leaves.delete(key);
    }
    this.#cache.clear();
    return old.id;
  }

  /** Matches one line (n: the stream's line number, for recency). */
  match(line: string, n: number): Match {
    const tokens = tokenise(line, this.P.maxTokens);
    let masked = '';
    for (let i = 0; i < tokens.length; i++) masked += (hasDigit(tokens[i]) ? '*' : tokens[i]) + '\u0001';
    const hit = this.#cache.get(masked);
    if (hit !== undefined) {
      const t = this.#byId.get(hit);
      if (t !== undefined) {
        t.last = n;
        t.count++;
        return { template: t, tokens, created: false, merged: null, evicted: 0 };
      }
    }
    const leaf = this.#leaves.get(this.#leafKey(tokens));
    let best: Template | undefined;
    let bestSim = -1;
    let bestWild = -1;
    if (leaf !== undefined) {
      for (const t of leaf) {
        // Similarity over the template's constant positions: a bare token must be equal, a
        // key=value field must have the same key (its value becomes a slot); slots count as neither.
        let same = 0;
        let total = 0;
        let wild = 0;
        const tt = t.tokens;
        for (let i = 0; i < tt.length; i++) {
          const x = tt[i];
          if (x === WILD || isKeyedWild(x)) {
            wild++;
            continue;
          }
          total++;
          if (x === tokens[i] || sameKey(x, tokens[i])) same++;
        }
        const sim = total === 0 ? 1 : same / total;
        if (sim > bestSim || (sim === bestSim && wild > bestWild)) {
          best = t;
          bestSim = sim;
          bestWild = wild;
        }
      }
    }
    if (best !== undefined && (bestSim >= this.P.similarity || tokens.length === 0)) {
      let merged: [number, string][] | null = null;
      const tt = best.tokens;
      for (let i = 0; i < tt.length; i++) {
        const x = tt[i];
        if (x === WILD || x === tokens[i] || isKeyedWild(x)) continue;
        (merged ??= []).push([i, x]);
        tt[i] = sameKey(x, tokens[i]) ? x.slice(0, x.indexOf('=') + 1) + WILD : WILD;
      }
      best.last = n;
      best.count++;
      if (merged === null) {
        if (this.#cache.size >= this.P.cacheSize) this.#cache.clear();
        this.#cache.set(masked, best.id);
      } else this.#cache.clear();
      return { template: best, tokens, created: false, merged, evicted: 0 };
    }
    let evicted = 0;
    if (this.#byId.size >= this.P.maxTemplates) evicted = this.#evictOldest();
    const t: Template = { id: this.#next++, tokens: tokens.map(maskToken), last: n, count: 1 };
    this.#insert(t);
    // A new template may be a better match for cached keys of its leaf: the cache only ever
    // answers what the tree would (it is not serialised, so batch splits must not matter).
    this.#cache.clear();
    this.#cache.set(masked, t.id);
    return { template: t, tokens, created: true, merged: null, evicted };
  }

  save(): MinerState {
    const t: MinerState['t'] = [];
    for (const x of [...this.#byId.values()].sort((a, b) => a.id - b.id)) t.push([x.id, x.tokens.join('\u0001'), x.last, x.count]);
    return { next: this.#next, t };
  }
}

/** A template as text ("GET /api <*> status=<*>"). */
export function templateText(t: Template): string {
  return t.tokens.join(' ');
}
