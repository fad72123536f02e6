// Gathering (transforms/score.ts): a stream with fewer than minTaskEvents waiting gathers more for
// up to maxTaskWaitMs from its oldest waiting event before its task is queued, so that the fixed
// cost of a task (the detector state decoded and encoded, the hand-over to a thread) is not paid
// for a handful of events.
//
//   offer(entry, now) ─► a task's worth waiting, or waited long enough ─► enqueue(entry) (ready)
//        │               else ─► gathering set; one timer, for the earliest wait to end
//   timer ─► flush(false): the streams whose wait is over ─► enqueue; timer re-armed; pump()
//   drain ─► flush(true): every gathering stream ─► enqueue; pump()
import type { StreamQueue } from './score-queue.js';

export class Gathering {
  /** Streams gathering events for their next task, and the timer that queues them when their wait is over. */
  readonly #gathering = new Set<StreamQueue>();
  #gatherTimer: NodeJS.Timeout | undefined;
  readonly #minTaskEvents: number;
  readonly #maxTaskWaitMs: number;
  readonly #enqueue: (q: StreamQueue) => void;
  readonly #pump: () => void;

  constructor(minTaskEvents: number, maxTaskWaitMs: number, enqueue: (q: StreamQueue) => void, pump: () => void) {
    this.#minTaskEvents = minTaskEvents;
    this.#maxTaskWaitMs = maxTaskWaitMs;
    this.#enqueue = enqueue;
    this.#pump = pump;
  }

  /** Streams gathering now. */
  get size(): number { return this.#gathering.size; }

  /**
   * A stream with events waiting, neither running nor queued: queued now if it has a task's worth
   * (minTaskEvents) or its oldest event has waited maxTaskWaitMs, else it gathers until then.
   */
  offer(q: StreamQueue, now: number): void {
    if (q.pending.length >= this.#minTaskEvents || now - q.since >= this.#maxTaskWaitMs) {
      if (q.gathering) {
        q.gathering = false;
        this.#gathering.delete(q);
        if (this.#gathering.size === 0) { clearTimeout(this.#gatherTimer); this.#gatherTimer = undefined; }
      }
      this.#enqueue(q);
      return;
    }
    if (q.gathering) return;
    q.gathering = true;
    this.#gathering.add(q);
    // Referenced (not unref'd): a caller awaiting drain() keeps the process alive until the wait is over.
    this.#gatherTimer ??= setTimeout(() => this.#gathered(), Math.max(1, q.since + this.#maxTaskWaitMs - now));
  }

  /** The gathering timer: queues the streams whose wait is over; re-armed for the next one. */
  #gathered(): void {
    this.#gatherTimer = undefined;
    this.flush(false);
  }

  /** Queues gathering streams: those whose wait is over, or all of them (drain). */
  flush(all: boolean): void {
    const now = Date.now();
    let next = Infinity;
    for (const q of this.#gathering) {
      if (all || q.pending.length >= this.#minTaskEvents || now - q.since >= this.#maxTaskWaitMs) {
        q.gathering = false;
        this.#gathering.delete(q);
        this.#enqueue(q);
      } else next = Math.min(next, q.since + this.#maxTaskWaitMs);
    }
    if (all) { clearTimeout(this.#gatherTimer); this.#gatherTimer = undefined; }
    if (next !== Infinity && this.#gatherTimer === undefined) this.#gatherTimer = setTimeout(() => this.#gathered(), Math.max(1, next - now));
    this.#pump();
  }

  /** Forgets every gathering stream (their events were dropped: the caller clears their flags) and stops the timer. */
  clear(): void {
    this.#gathering.clear();
    clearTimeout(this.#gatherTimer);
    this.#gatherTimer = undefined;
  }

  /** Stops the timer (close(), after the drain). */
  stop(): void { clearTimeout(this.#gatherTimer); }
}
