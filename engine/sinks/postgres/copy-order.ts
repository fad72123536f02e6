// A tenant's COPYs in the order its flushes were taken (service.ts). Pure (no I/O).
//
//   #kick takes flush F1 (tenant t), then F2 (tenant t) ─► enter: F2's turn comes after F1's COPY
//   F2: compress ─► await turn ─► connect, BEGIN, keys, COPY ─► ...
//   F1: compress ─► connect, BEGIN, keys, COPY ─► copied() ─► (F2's turn) ─► rollups, COMMIT
//
// The events sink runs up to maxFlushesPerTenant flushes of a tenant at once, and block ids come
// from a sequence at COPY: without the turn, a later flush that reaches its COPY first (the first
// one waiting on a lock, a slow connection, a busy machine) stores its blocks under lower ids, so
// a stream read back in block order is out of the order it was sent (and the spool's hand-off,
// which sends the writes held for the last wave and then the next ones directly, is in order
// only up to the sink). The turn ends at the COPY, not at COMMIT: the later flush still overlaps
// the earlier one's rollups and COMMIT (it would wait on its usage_counters row lock there
// anyway). A flush that fails after its COPY and is retried COPYs again after the later ones.

/** One flush's place: wait for `turn` before the COPY, call `copied` once it is done (or the flush ends). */
export interface CopyTurn {
  turn: Promise<void> | undefined;
  copied: () => void;
}

export class CopyOrder {
  /** Per tenant: the COPY of the last flush taken with its writes (settled: it is done). */
  readonly #last = new Map<string, { done: Promise<void>; settled: boolean }>();
  /** Called when a flush is taken (in take order), with the tenants of its writes. */
  enter(tenants: readonly string[]): CopyTurn {
    const before: Promise<void>[] = [];
    let resolve!: () => void;
    const mine = { done: new Promise<void>((r) => { resolve = r; }), settled: false };
    for (const t of tenants) {
      const p = this.#last.get(t);
      if (p !== undefined && !p.settled) before.push(p.done);
      this.#last.set(t, mine);
    }
    const copied = (): void => {
      if (mine.settled) return;
      mine.settled = true;
      for (const t of tenants) if (this.#last.get(t) === mine) this.#last.delete(t);
      resolve();
    };
    return { turn: before.length === 0 ? undefined : Promise.all(before).then(() => {}), copied };
  }
}
