// The text detector's baseline (text.ts): the recent distinct normalised lines, LRU, bounded bytes
// of UTF-8 and of JSON, and the deflate dictionary made of them, kept in place in an arena.
import { jsonBytes } from './budget.js';
import { shapeHash } from './mix.js';
import type { TextParams } from './text-params.js';

export interface BaseLine {
  bytes: Buffer;
  hash: number;
  /** Where dictionary() last put its bytes in #arena (-1: not yet). */
  off: number;
  /** Its bytes in the state's JSON (with a comma). */
  json: number;
}

/** The baseline: line → its entry, least recent first, and the deflate dictionary of their bytes. */
export class TextBaseline {
  /** Baseline line → its UTF-8 bytes ended by \n and its shapeHash() for the mix (the Map keeps recency order, least recent first; mirrors s.base). */
  readonly #base = new Map<string, BaseLine>();
  #baseBytes = 0;
  #baseJson = 0;
  /**
   * The deflate dictionary (the baseline's bytes in that order) is #arena[#from, #to) while
   * #valid: a new line is appended in place and an evicted one dropped from the front, so only a
   * reordering (a known line touched) or a full arena makes dictionary() copy the lines again.
   */
  #arena: Buffer = Buffer.alloc(0);
  #from = 0;
  #to = 0;
  #valid = false;

  readonly P: Readonly<TextParams>;

  constructor(params: Readonly<TextParams>) {
    this.P = params;
  }

  get size(): number {
    return this.#base.size;
  }

  get(line: string): BaseLine | undefined {
    return this.#base.get(line);
  }

  has(line: string): boolean {
    return this.#base.has(line);
  }

  /** The lines, least recent first (as s.base saves them). */
  lines(): string[] {
    return [...this.#base.keys()];
  }

  /** The most recent baseline line (the dictionary's last), or null. */
  #newest: string | null = null;

  /** `bytes`: the line's UTF-8 bytes ended by \n, when the caller has them. */
  add(line: string, bytes: Buffer = Buffer.from(line + '\n')): void {
    const json = jsonBytes(line) + 1;
    const entry: BaseLine = { bytes, hash: shapeHash(line), off: -1, json };
    this.#base.set(line, entry);
    this.#newest = line;
    this.#baseBytes += bytes.length;
    this.#baseJson += json;
    if (this.#valid) {
      if (this.#to + bytes.length <= this.#arena.length) {
        this.#arena.set(bytes, this.#to);
        entry.off = this.#to;
        this.#to += bytes.length;
      } else this.#valid = false;
    }
    while ((this.#baseBytes > this.P.baselineBytes || this.#baseJson > this.P.baselineJsonBytes) && this.#base.size > 1) {
      const oldest = this.#base.keys().next().value as string;
      const old = this.#base.get(oldest) as BaseLine;
      const gone = old.bytes.length;
      this.#baseBytes -= gone;
      this.#baseJson -= old.json;
      this.#base.delete(oldest);
      this.#from += gone;
    }
  }

  /** Takes a line out of the baseline (and so out of the dictionary); nothing when it is not there. */
  remove(line: string): void {
    const e = this.#base.get(line);
    if (e === undefined) return;
    this.#base.delete(line);
    this.#baseBytes -= e.bytes.length;
    this.#baseJson -= e.json;
    if (this.#newest === line) this.#newest = null;
    this.#valid = false;
  }

  /** A known line seen again: it becomes the most recent (`entry`: its entry). */
  touch(line: string, entry: BaseLine): void {
    // Already the most recent: the order, and so the dictionary, stay as they are.
    if (line === this.#newest) return;
    this.#newest = line;
    this.#base.delete(line);
    this.#base.set(line, entry);
    this.#valid = false;
  }

  dictionary(): Buffer {
    if (!this.#valid) {
      // The baseline's lines, least recent first, each ended by \n, in the arena. The leading
      // lines already there in this order (from the least recent line's place on) stay: most
      // touches move a recent line last, so only the lines from the first one out of place on
      // are copied again. Every live line's bytes are at its `off` after a pass (a write lands
      // past the lines kept, on a line this pass copies later or on none).
      let fresh = false;
      if (this.#arena.length < this.#baseBytes) {
        this.#arena = Buffer.allocUnsafe(Math.max(4 * this.P.baselineBytes, 2 * this.#baseBytes));
        fresh = true;
      }
      let from = -1;
      let at = 0;
      let kept = !fresh;
      // Lines whose bytes still lie in the arena one after the other, past everything written in
      // this pass (their old `off` at or after `at`), move together: one copyWithin of
      // [runSrc, runSrc + runLen) to runDst instead of a copy per line (after a touch, the lines
      // behind the touched one's old place). The same bytes land at the same places.
      let runSrc = -1;
      let runDst = 0;
      let runLen = 0;
      for (const e of this.#base.values()) {
        if (from < 0) {
          from = kept && e.off >= 0 && e.off + this.#baseBytes <= this.#arena.length ? e.off : 0;
          at = from;
        }
        const len = e.bytes.length;
        if (kept && e.off === at) {
          at += len;
          continue;
        }
        kept = false;
        if (runLen > 0 && e.off === runSrc + runLen && e.off >= at) {
          runLen += len;
        } else {
          if (runLen > 0) this.#arena.copyWithin(runDst, runSrc, runSrc + runLen);
          runLen = 0;
          if (!fresh && e.off >= at) {
            runSrc = e.off;
            runDst = at;
            runLen = len;
          } else this.#arena.set(e.bytes, at);
        }
        e.off = at;
        at += len;
      }
      if (runLen > 0) this.#arena.copyWithin(runDst, runSrc, runSrc + runLen);
      this.#from = Math.max(from, 0);
      this.#to = at;
      this.#valid = true;
    }
    if (this.#view.byteOffset - this.#arena.byteOffset !== this.#from || this.#view.length !== this.#to - this.#from || this.#view.buffer !== this.#arena.buffer) {
      this.#view = this.#arena.subarray(this.#from, this.#to);
    }
    return this.#view;
  }

  /** The last dictionary handed out (a view of #arena[#from, #to)). */
  #view: Buffer = Buffer.alloc(0);

  /** A baseline line with this hash (for explanations), most recent first. */
  nameOf(h: number): string | undefined {
    const lines = [...this.#base.keys()];
    for (let i = lines.length - 1; i >= 0; i--) if (shapeHash(lines[i]) === h) return lines[i];
    return undefined;
  }
}
