// The detect role's bound on detector states in memory (issue 15, docs/scaling.md): one LRU per
// process over the streams of every partition it holds. No I/O: it only says which streams to
// evict; each partition's runner (detect.ts) checkpoints, then drops them.
//
//   runner uses a stream ─► touch(p, tenant, key) ─► most recently used
//     ├─ the tenant holds more than tenantShare × max ─► its own least recently used stream
//     └─ the process holds more than max             ─► the least recently used stream
//        ─► victims, grouped by partition ─► onEvict(p, keys): the runner checkpoints (states +
//           sequence, offsets.ts) and drops them; a stream used again is loaded from detector_states
//   a runner that stops or restarts ─► dropPartition(p) (its memory goes with it)
//
// A victim leaves the LRU at once; the runner drops its state at its next turn, unless the stream
// was used again meanwhile (has() is true again). The bound is therefore exceeded only by the
// victims waiting for their runner's turn.

export interface StreamCacheOptions {
  /** Streams held at most by the process. */
  max: number;
  /** Streams one tenant may hold at most (≤ max). */
  perTenant: number;
  /** Told the streams of partition p to drop (keys as given to touch()). */
  onEvict: (p: number, keys: string[]) => void;
}

interface Entry { p: number; tenantId: string; key: string }

const idOf = (p: number, tenantId: string, key: string): string => `${p}\u0000${tenantId}\u0000${key}`;

export class StreamCache {
  readonly #o: StreamCacheOptions;
  /** Insertion order is recency: the first entry is the least recently used. */
  readonly #lru = new Map<string, Entry>();
  /** Per tenant, its entries in the same order. */
  readonly #tenants = new Map<string, Map<string, Entry>>();
  readonly stats = { evicted: 0 };

  constructor(o: StreamCacheOptions) {
    if (!Number.isSafeInteger(o.max) || o.max < 1) throw new TypeError('options.max must be a positive integer');
    if (!Number.isSafeInteger(o.perTenant) || o.perTenant < 1 || o.perTenant > o.max) throw new TypeError('options.perTenant must be an integer in 1..max');
    this.#o = o;
  }

  get size(): number { return this.#lru.size; }

  has(p: number, tenantId: string, key: string): boolean { return this.#lru.has(idOf(p, tenantId, key)); }

  /** The stream is used now; evicts beyond the bounds (never this stream). */
  touch(p: number, tenantId: string, key: string): void {
    const id = idOf(p, tenantId, key);
    let t = this.#tenants.get(tenantId);
    if (t === undefined) this.#tenants.set(tenantId, t = new Map<string, Entry>());
    const e = this.#lru.get(id) ?? { p, tenantId, key };
    this.#lru.delete(id);
    this.#lru.set(id, e);
    t.delete(id);
    t.set(id, e);
    const victims: Entry[] = [];
    while (t.size > this.#o.perTenant) victims.push(this.#remove(t.keys().next().value!));
    while (this.#lru.size > this.#o.max) victims.push(this.#remove(this.#lru.keys().next().value!));
    if (victims.length === 0) return;
    this.stats.evicted += victims.length;
    const byPartition = new Map<number, string[]>();
    for (const v of victims) {
      const list = byPartition.get(v.p);
      if (list === undefined) byPartition.set(v.p, [v.key]);
      else list.push(v.key);
    }
    for (const [vp, keys] of byPartition) this.#o.onEvict(vp, keys);
  }

  /** Forgets the partition's streams (its runner stopped or starts again from its checkpoint). */
  dropPartition(p: number): void {
    for (const [id, e] of this.#lru) if (e.p === p) this.#remove(id);
  }

  #remove(id: string): Entry {
    const e = this.#lru.get(id)!;
    this.#lru.delete(id);
    const t = this.#tenants.get(e.tenantId)!;
    t.delete(id);
    if (t.size === 0) this.#tenants.delete(e.tenantId);
    return e;
  }
}
