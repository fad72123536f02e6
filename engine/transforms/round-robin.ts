// RoundRobin: items queued per key (a tenant), taken one key at a time in turn, so that a key
// with a thousand items queued does not go ahead of another key's one.
export class RoundRobin<T> {
  /** Keys with items, in turn order: the first goes next, then moves to the end. */
  readonly #queues = new Map<string, { items: T[]; head: number }>();

  push(key: string, item: T): void {
    const l = this.#queues.get(key);
    if (l === undefined) this.#queues.set(key, { items: [item], head: 0 });
    else l.items.push(item);
  }

  /** The first key's oldest item; that key then goes to the end of the round. */
  shift(): T | undefined {
    const first = this.#queues.entries().next();
    if (first.done === true) return undefined;
    const [key, l] = first.value;
    const item = l.items[l.head++];
    this.#queues.delete(key);
    if (l.head < l.items.length) {
      if (l.head > 1024 && l.head * 2 > l.items.length) { l.items.splice(0, l.head); l.head = 0; }
      this.#queues.set(key, l);
    }
    return item;
  }

  /** Removes a key's items, oldest first (none: an empty array). */
  takeAll(key: string): T[] {
    const l = this.#queues.get(key);
    if (l === undefined) return [];
    this.#queues.delete(key);
    return l.items.slice(l.head);
  }

  clear(): void { this.#queues.clear(); }
}
