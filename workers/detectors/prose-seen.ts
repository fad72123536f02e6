// The verbatim memory of the free-text detector (prose.ts, issue 11): keys of the texts a
// stream accepted while it was ordinary, kept far longer than the 12 KiB deflate dictionary and
// the long-run vocabulary keep their words. A rare kind of text the stream accepted before (a
// second-language question asked again 500 texts later, the same stock reply) is not new
// vocabulary when it comes back word for word; without this, it was judged new as soon as its
// words had left the dictionary and the vocabulary (llm-shop tuning seeds: 9 of 62 vocabulary
// false alarms were verbatim repeats of a text accepted earlier).
//
//   accept(x, at): x (normalised, as the dictionary holds it) accepted at event `at`, no text
//                flagged in the `hold` events before: its key waits `hold` events; a flagged text
//                in that time (an off-topic run or an attack beginning) drops every waiting key, so
//                neither a run's first texts, accepted before the run was noticed, nor its later
//                ones vouch for a later run's repeats
//   note(at, flagged) at each event, before its text is accepted: flagged(at), then tick(at)
//   tick(at):    keys that waited `hold` events join a ring of `size` keys (no duplicates, oldest out)
//   has(x):      the key is in the ring
// The key: the first 64 bits of SHA-256 over the text's UTF-16 units (every string its own bytes,
// lone surrogates included). A text that passes for an accepted one word for word escapes the
// vocabulary and drift tests, so the key must not be forgeable: with the 32-bit FNV-1a hash of
// before, a collision with a known stock reply took seconds to craft (and pairs of words such as
// "costarring" and "liquid" collide); a second preimage of 64 bits of SHA-256 takes about 2^64
// hashes. Unkeyed, so that a stream's state and findings stay a function of its events.
// State: the ring as base64 of big-endian 64-bit keys (size × 8 bytes), the write position, the
// waiting [event, key's high 32 bits, its low 32 bits] triples, w: 2. A state saved before (no w:
// 4-byte FNV-1a hashes, [event, hash] pairs) is upgraded when loaded: its hashes cannot be turned
// into keys (the texts are not kept), so its ring and waiting hashes are dropped and the memory
// starts empty (texts accepted before are judged as before the memory, until accepted again); the
// last flagged event carries on.
import { createHash, hash } from 'node:crypto';

export interface SeenState {
  /** The ring of keys, base64 (8 bytes each, big-endian, in ring order; 4-byte hashes in a state without w). */
  h: string;
  /** Write position (the oldest entry once the ring is full). */
  p: number;
  /** Waiting keys: [event, high 32 bits, low 32 bits, …], oldest first ([event, hash, …] in a state without w). */
  q: number[];
  /** The event of the last flagged text (-1: none). */
  f: number;
  /** 32-bit words per key: 2 (absent in states saved with 32-bit FNV-1a hashes, upgraded on load). */
  w?: 2;
}

const isWord = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= 0xffffffff;

export function isSeenState(o: unknown): o is SeenState {
  if (o === null || typeof o !== 'object') return false;
  const s = o as SeenState;
  if (typeof s.h !== 'string' || !Number.isInteger(s.p) || s.p < 0 || !Array.isArray(s.q) || !Number.isInteger(s.f)) return false;
  const per = s.w === undefined ? 1 : s.w === 2 ? 2 : 0;
  return per > 0 && Buffer.from(s.h, 'base64').length % (4 * per) === 0 && s.q.length % (per + 1) === 0 && s.q.every((x) => Number.isInteger(x) && x >= 0) &&
    s.q.every((x, i) => i % (per + 1) === 0 || isWord(x));
}

/** SHA-256 of a buffer: the one-shot crypto.hash where Node has it (20.12 on), else createHash. */
const sha256: (b: Buffer) => Buffer = typeof hash === 'function' ? (b) => hash('sha256', b, 'buffer') : (b) => createHash('sha256').update(b).digest();

/** The key of x: the first 64 bits of SHA-256 over its UTF-16 units (little-endian). */
export function textKey(x: string): bigint {
  return sha256(Buffer.from(x, 'utf16le')).readBigUInt64BE(0);
}

const LOW = 0xffffffffn;

export class SeenTexts {
  readonly #size: number;
  readonly #hold: number;
  /** Waiting keys: [event, key, …], oldest first. */
  #q: (number | bigint)[];
  #last: number;
  #ring: bigint[];
  #pos: number;
  /** Key → how many ring slots hold it (at most 1 unless a saved state had duplicates). */
  readonly #has = new Map<bigint, number>();
  #dirty = false;

  constructor(size: number, hold: number, saved?: SeenState) {
    this.#size = size;
    this.#hold = hold;
    this.#ring = [];
    this.#pos = 0;
    this.#q = [];
    this.#last = saved?.f ?? -1;
    if (saved === undefined) return;
    if (saved.w !== 2) {
      // A state of 32-bit FNV-1a hashes: they cannot become keys; the memory starts empty, in the new format at the next save.
      this.#dirty = true;
      return;
    }
    for (let i = 0; i + 2 < saved.q.length; i += 3) this.#q.push(saved.q[i], (BigInt(saved.q[i + 1]) << 32n) | BigInt(saved.q[i + 2]));
    const b = Buffer.from(saved.h, 'base64');
    for (let i = 0; i + 8 <= b.length && this.#ring.length < size; i += 8) this.#ring.push(b.readBigUInt64BE(i));
    this.#pos = this.#ring.length < size ? this.#ring.length : saved.p % size;
    for (const h of this.#ring) this.#has.set(h, (this.#has.get(h) ?? 0) + 1);
  }

  has(x: string): boolean {
    return this.#has.has(textKey(x));
  }

  /** x accepted at event `at` waits `hold` events before it is remembered. */
  accept(x: string, at: number): void {
    if (this.#last >= 0 && at - this.#last <= this.#hold) return;
    this.#q.push(at, textKey(x));
    this.#dirty = true;
  }

  /** Event `at` (before its text is accepted), flagged or not. */
  note(at: number, flagged: boolean): void {
    if (flagged) this.flagged(at);
    this.tick(at);
  }

  /** A text was flagged at event `at`: the waiting keys are dropped. */
  flagged(at: number): void {
    this.#last = at;
    this.#dirty = true;
    this.#q.length = 0;
  }

  /** Event `at`: the keys that waited `hold` events are remembered. */
  tick(at: number): void {
    let k = 0;
    while (k < this.#q.length && at - (this.#q[k] as number) >= this.#hold) {
      this.#remember(this.#q[k + 1] as bigint);
      k += 2;
    }
    if (k > 0) {
      this.#q.splice(0, k);
      this.#dirty = true;
    }
  }

  #remember(h: bigint): void {
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

  #drop(h: bigint): void {
    const c = (this.#has.get(h) ?? 0) - 1;
    if (c <= 0) this.#has.delete(h);
    else this.#has.set(h, c);
  }

  /** The state to save, or undefined when nothing changed since the last save. */
  save(): SeenState | undefined {
    if (!this.#dirty) return undefined;
    this.#dirty = false;
    const b = Buffer.alloc(this.#ring.length * 8);
    this.#ring.forEach((h, i) => b.writeBigUInt64BE(h, i * 8));
    const q: number[] = [];
    for (let i = 0; i + 1 < this.#q.length; i += 2) {
      const k = this.#q[i + 1] as bigint;
      q.push(this.#q[i] as number, Number(k >> 32n), Number(k & LOW));
    }
    return { h: b.toString('base64'), p: this.#pos, q, f: this.#last, w: 2 };
  }
}
