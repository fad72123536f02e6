// The reorder buffer between the events sink and the scorer (engine.ts): committed writes are
// released in the order they were submitted.

/**
 * Releases items in the order their slots were taken, whatever order they complete in
 * (STYLE.md §9). The engine takes a slot when a write goes to the events sink (ingest.ts: with
 * the spool, when its router sends it there; a spooled write's slot is taken at its replay) and
 * completes it when the write settles: with its records once committed, with null when the
 * write failed or was a duplicate (the slot is released, nothing is scored). So a stream's
 * events reach the scorer in submission order even when a later flush commits first.
 * Every slot taken must be completed exactly once, or everything after it waits.
 */
export class InOrder<T> {
  readonly #release: (item: T) => void;
  readonly #done = new Map<number, T | null>();
  #next = 0;
  #head = 0;

  constructor(release: (item: T) => void) {
    this.#release = release;
  }

  /** Slots taken and not yet released. */
  get waiting(): number { return this.#next - this.#head; }

  take(): number {
    return this.#next++;
  }

  complete(slot: number, item: T | null): void {
    if (slot < this.#head || slot >= this.#next || this.#done.has(slot)) throw new RangeError(`slot ${slot} is not waiting`);
    this.#done.set(slot, item);
    while (this.#done.has(this.#head)) {
      const it = this.#done.get(this.#head)!;
      this.#done.delete(this.#head);
      this.#head++;
      if (it !== null) this.#release(it);
    }
  }
}
