// The long-run vocabulary of a free-text stream (prose.ts): the words of its accepted texts, kept
// far longer than the 12 KiB deflate dictionary holds them. A word the stream used 500 texts ago
// ("quota", "exceeded", "caveat") is not new vocabulary when it comes back; without this, a short
// text or an answer in a stream of long ones was judged new for words that had only left the
// dictionary (issue 11, llm-dev generator: most false alarms on its tuning seeds 201-205).
//
//   two generations of a Bloom filter (bits each, HASHES probes per word):
//     add(w): set w's bits in the current generation; a word new to it counts; at `words` words
//             the current generation becomes the previous one and a fresh one starts
//     has(w): in either generation (a word used in the last `words`…2·`words` distinct words)
//   false "seen" answers: about 1 % at `words` = 1024 in 16,384 bits with 3 probes per generation
//
// State: the two generations as base64 (2 × 2,732 characters) and the current count.
import { fnv1a } from './fnv.js';

export interface LexiconState {
  /** Current generation (base64 of bits / 8 bytes). */
  a: string;
  /** Previous generation. */
  b: string;
  /** Distinct words added to the current generation. */
  c: number;
}

export const LEXICON_BITS = 16384;
const HASHES = 3;
const BYTES = LEXICON_BITS / 8;

/** FNV-1a (fnv.ts), and a second hash from it (Kirsch–Mitzenmacher double hashing). */
function hashes(w: string): [number, number] {
  const h = fnv1a(w);
  let g = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  g = Math.imul(g ^ (g >>> 13), 0xc2b2ae35);
  g ^= g >>> 16;
  return [h, (g | 1) >>> 0];
}

function test(bits: Uint8Array, h1: number, h2: number): boolean {
  for (let k = 0; k < HASHES; k++) {
    const i = (h1 + Math.imul(k, h2)) >>> 0;
    const b = i % LEXICON_BITS;
    if ((bits[b >>> 3] & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

function decode(s: unknown): Uint8Array {
  if (typeof s !== 'string') throw new TypeError('task.state is not a prose detector state (lexicon)');
  const b = Buffer.from(s, 'base64');
  if (b.length !== BYTES) throw new TypeError('task.state is not a prose detector state (lexicon size)');
  return new Uint8Array(b);
}

export class Lexicon {
  readonly #words: number;
  #cur: Uint8Array;
  #old: Uint8Array;
  #count: number;

  /** words: distinct words per generation. */
  constructor(words: number, s?: LexiconState) {
    this.#words = words;
    if (s === undefined) {
      this.#cur = new Uint8Array(BYTES);
      this.#old = new Uint8Array(BYTES);
      this.#count = 0;
    } else {
      if (s === null || typeof s !== 'object' || !Number.isInteger(s.c) || s.c < 0) throw new TypeError('task.state is not a prose detector state (lexicon)');
      this.#cur = decode(s.a);
      this.#old = decode(s.b);
      this.#count = s.c;
    }
  }

  has(w: string): boolean {
    const [h1, h2] = hashes(w);
    return test(this.#cur, h1, h2) || test(this.#old, h1, h2);
  }

  add(w: string): void {
    const [h1, h2] = hashes(w);
    if (test(this.#cur, h1, h2)) return;
    for (let k = 0; k < HASHES; k++) {
      const b = ((h1 + Math.imul(k, h2)) >>> 0) % LEXICON_BITS;
      this.#cur[b >>> 3] |= 1 << (b & 7);
    }
    if (++this.#count >= this.#words) {
      this.#old = this.#cur;
      this.#cur = new Uint8Array(BYTES);
      this.#count = 0;
    }
  }

  save(): LexiconState {
    return { a: Buffer.from(this.#cur).toString('base64'), b: Buffer.from(this.#old).toString('base64'), c: this.#count };
  }
}
