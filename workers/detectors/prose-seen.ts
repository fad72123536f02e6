// The verbatim memory of the free-text detector (prose.ts, issue 11): hashes of the texts a
// stream accepted while it was ordinary, kept far longer than the 12 KiB deflate dictionary and
// the long-run vocabulary keep their words. A rare kind of text the stream accepted before (a
// second-language question asked again 500 texts later, the same stock reply) is not new
// vocabulary when it comes back word for word; without this, it was judged new as soon as its
// words had left the dictionary and the vocabulary (llm-shop tuning seeds: 9 of 62 vocabulary
// false alarms were verbatim repeats of a text accepted earlier).
//
//   accept(x, at): x (normalised, as the dictionary holds it) accepted at event `at`, no text
//                flagged in the `hold` events before: its 32-bit FNV-1a hash waits `hold` events;
//                a flagged text in that time (an off-topic run or an attack beginning) drops every
//                waiting hash, so neither a run's first texts, accepted before the run was noticed,
//                nor its later ones vouch for a later run's repeats
//   note(at, flagged) at each event, before its text is accepted: flagged(at), then tick(at)
//   tick(at):    hashes that waited `hold` events join a ring of `size` hashes (no duplicates, oldest out)
//   has(x):      the hash is in the ring
// State: the ring as base64 of little-endian uint32 (size × 4 bytes), the write position, the waiting [event, hash] pairs.

export interface SeenState {
  /** The ring of hashes, base64 (4 bytes each, in ring order). */
  h: string;
  /** Write position (the oldest entry once the ring is full). */
  p: number;
  /** Waiting hashes: [event, hash, event, hash, …], oldest first. */
  q: number[];
  /** The event of the last flagged text (-1: none). */
  f: number;
}

export function isSeenState(o: unknown): o is SeenState {
  if (o === null || typeof o !== 'object') return false;
  const s = o as SeenState;
  return typeof s.h === 'string' && Number.isInteger(s.p) && s.p >= 0 && Buffer.from(s.h, 'base64').length % 4 === 0 &&
    Array.isArray(s.q) && s.q.length % 2 === 0 && s.q.every((x) => Number.isInteger(x) && x >= 0) && Number.isInteger(s.f);
}

/** FNV-1a over the UTF-16 units of x. */
export function textHash32(x: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < x.length; i++) {
    h ^= x.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class SeenTexts {
  readonly #size: number;
  readonly #hold: number;
  #q: number[];
  #last: number;
  #ring: number[];
  #pos: number;
  /** Hash → how many ring slots hold it (at most 1 unless a saved state had duplicates). */
  readonly #has = new Map<number, number>();
  #dirty = false;

  constructor(size: number, hold: number, saved?: SeenState) {
    this.#size = size;
    this.#hold = hold;
    this.#ring = [];
    this.#pos = 0;
    this.#q = saved?.q.slice() ?? [];
    this.#last = saved?.f ?? -1;
    if (saved !== undefined) {
      const b = Buffer.from(saved.h, 'base64');
      for (let i = 0; i + 4 <= b.length && this.#ring.length < size; i += 4) this.#ring.push(b.readUInt32LE(i));
      this.#pos = this.#ring.length < size ? this.#ring.length : saved.p % size;
      for (const h of this.#ring) this.#has.set(h, (this.#has.get(h) ?? 0) + 1);
    }
  }

  has(x: string): boolean {
    return this.#has.has(textHash32(x));
  }

  /** x accepted at event `at` waits `hold` events before it is remembered. */
  accept(x: string, at: number): void {
    if (this.#last >= 0 && at - this.#last <= this.#hold) return;
    this.#q.push(at, textHash32(x));
    this.#dirty = true;
  }

  /** Event `at` (before its text is accepted), flagged or not. */
  note(at: number, flagged: boolean): void {
    if (flagged) this.flagged(at);
    this.tick(at);
  }

  /** A text was flagged at event `at`: the waiting hashes are dropped. */
  flagged(at: number): void {
    this.#last = at;
    this.#dirty = true;
    this.#q.length = 0;
  }

  /** Event `at`: the hashes that waited `hold` events are remembered. */
  tick(at: number): void {
    let k = 0;
    while (k < this.#q.length && at - this.#q[k] >= this.#hold) {
      this.#remember(this.#q[k + 1]);
      k += 2;
    }
    if (k > 0) {
      this.#q.splice(0, k);
      this.#dirty = true;
    }
  }

  #remember(h: number): void {
    if (this.#has.has(h) || this.#size <= 0) return;
    if (this.#ring.length < this.#size) {
      this.#ring.push(h);
      this.#pos = this.#ring.length % this.#size;
    } else {
      this.#drop(this.#ring[this.#pos]);
      this.#ring[this.#pos] = h;
      this.#pos = (this.#pos + 1) % this.#size;
    }
    this.#has.set(h, 1);
    this.#dirty = true;
  }

  #drop(h: number): void {
    const c = (this.#has.get(h) ?? 0) - 1;
    if (c <= 0) this.#has.delete(h);
    else this.#has.set(h, c);
  }

  /** The state to save, or undefined when nothing changed since the last save. */
  save(): SeenState | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    const b = Buffer.alloc(this.#ring.length * 4);
    this.#ring.forEach((h, i) => b.writeUInt32LE(h, i * 4));
    return { h: b.toString('base64'), p: this.#pos, q: this.#q.slice(), f: this.#last };
  }
}
