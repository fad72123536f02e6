// Per worker thread: the live scorers of the streams this thread scored last, each with the state
// bytes it returned (logs.ts). A task whose state is byte for byte those bytes continues the live
// scorer instead of parsing the JSON again (for a stream with thousands of templates the parse
// cost more than its lines); any other state is parsed. The scorer's in-memory form is a function
// of its state (memos aside, which only ever answer what the state would), so both paths give the
// same findings and bytes. Bounded by entries and by state bytes; least recently used first out.

// A stream at the 10,000-template bound has 2.4 MB of state and a 10 MB live scorer
// (bench/logs-memory.bench.ts), so 16 MiB of state is at most about 70 MB of heap per thread.
export const LIVE_PARAMS = Object.freeze({ maxEntries: 32, maxBytes: 16 * 1024 * 1024 });

export class LiveScorers<T> {
  readonly #live = new Map<string, { bytes: Uint8Array; scorer: T }>();
  #bytes = 0;

  take(key: string | undefined, state: Uint8Array | null): T | null {
    if (key === undefined) return null;
    const e = this.#live.get(key);
    if (e === undefined) return null;
    // Taken out while it runs: a task that throws half-way leaves no half-fed scorer behind.
    this.#live.delete(key);
    this.#bytes -= e.bytes.byteLength;
    const same = state !== null && state.byteLength === e.bytes.byteLength && Buffer.from(state.buffer, state.byteOffset, state.byteLength).equals(Buffer.from(e.bytes.buffer, e.bytes.byteOffset, e.bytes.byteLength));
    return same ? e.scorer : null;
  }

  keep(key: string, bytes: Uint8Array, scorer: T): void {
    if (bytes.byteLength > LIVE_PARAMS.maxBytes) return;
    this.#live.set(key, { bytes, scorer });
    this.#bytes += bytes.byteLength;
    for (const [k, e] of this.#live) {
      if (this.#live.size <= LIVE_PARAMS.maxEntries && this.#bytes <= LIVE_PARAMS.maxBytes) break;
      this.#live.delete(k);
      this.#bytes -= e.bytes.byteLength;
    }
  }
}
