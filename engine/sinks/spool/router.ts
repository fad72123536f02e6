// Submission order: each write goes to the sink directly while nothing is spooled, else to the
// spool, and a write that falls back from the sink (DW_ERR_UNAVAILABLE) is appended behind the
// direct writes submitted before it, so that spool order is submission order.
//
//   submit(w, a) ─┬─ not spooling ─► 'direct' ─► sink.write ── committed ─► {spooled: false}
//                 │                                 └── unavailable ─► 'spool' (SpoolEngaged)
//                 ├─ spooling ─────────────────────────────────────────► 'spool'
//                 └─ hand-off (the replayer's last wave) ─► 'hold' ─► drained: 'direct' │ wave failed: 'spool'
//   onDirect (the caller's, e.g. the engine's place in scoring order) runs when a write goes 'direct':
//   for a held write that is after the last wave's onReplayed, so its place follows the replayed ones.
//   pump: 'spool' items in order ─► keyed + framed ─► segments.append ─► {spooled: true}
//         (an earlier 'direct' still in flight holds the rest back, fallbackOrderMs at most;
//         then it is overtaken: a copy of it is spooled in its place first, see #overtake)
import { randomUUID } from 'node:crypto';
import { DwError } from '../../../src/core/errors.js';
import type { Segments } from './segments.js';
import { encodeConfirm, encodeEntry, frame } from './spool.js';
import { isUnavailable, type Sink, type SpoolableWrite, type SpoolHooks, type SpoolState, type SpoolWriteResult } from './types.js';

interface Ordered<W, A> {
  state: 'direct' | 'spool' | 'hold' | 'done';
  /** When it was submitted (a fallback waits for an earlier direct write at most fallbackOrderMs). */
  at: number;
  w: W;
  a: A;
  /** Called once, synchronously, when the write is submitted to the sink (its place in storage order is taken then). */
  onDirect: (() => void) | undefined;
  /** A direct write overtaken while in flight: the copy spooled in its place (#overtake). */
  copy: Copy | undefined;
  resolve: (r: SpoolWriteResult) => void;
  reject: (err: unknown) => void;
}

interface Copy {
  id: string;
  /** Settles when the copy's append does: undefined once durable, else the append's error. */
  appended: Promise<unknown>;
}

/** What the replay does with a copy: 'pending' while its direct write is in flight (the replay waits for those). */
export type CopyOutcome = 'pending' | 'replay' | 'skip';

export interface RouterParts<W, A> {
  sink: Sink<W>;
  hooks: SpoolHooks<W, A>;
  segments: Segments;
  /** An append failed: the replayer may now find the spool empty and drain. */
  wakeReplayer: () => void;
}

export class Router<W extends SpoolableWrite, A> {
  readonly #s: SpoolState;
  readonly #p: RouterParts<W, A>;
  #order: Ordered<W, A>[] = [];
  #toSpool = 0;
  #orderTimer: NodeJS.Timeout | undefined;
  /** Direct writes submitted to the sink and not settled: the replay waits for them (they come first). */
  #directInFlight = 0;
  #directIdle: (() => void) | undefined;
  /** The replayer is on its last wave: new writes wait ('hold') and go to the sink once it drains. */
  #handoff = false;
  #held = 0;
  /** The copies this process spooled whose replay has not taken them yet (takeCopy). */
  readonly #copies = new Map<string, CopyOutcome>();

  constructor(state: SpoolState, parts: RouterParts<W, A>) {
    this.#s = state;
    this.#p = parts;
  }

  get handingOff(): boolean { return this.#handoff; }
  get directInFlight(): number { return this.#directInFlight; }
  /** Writes waiting to be appended to the spool. */
  get waitingForSpool(): number { return this.#toSpool; }

  /** Writes held for the hand-off (they go to the sink once the last wave has drained). */
  get held(): number { return this.#held; }

  /**
   * onDirect is called (synchronously) when the write goes to the sink directly: at once when
   * nothing is spooled, or, for a write held for the hand-off, after the replay's last wave has
   * been reported (hooks.onReplayed). Never for a write that is spooled (its replay reports it).
   */
  submit(w: W, a: A, onDirect?: () => void): Promise<SpoolWriteResult> {
    return new Promise<SpoolWriteResult>((resolve, reject) => {
      const state = !this.#s.spooling ? 'direct' : this.#handoff ? 'hold' : 'spool';
      const item: Ordered<W, A> = { state, at: Date.now(), w, a, onDirect, copy: undefined, resolve, reject };
      if (state === 'hold') this.#held++;
      this.#order.push(item);
      if (state === 'direct') {
        this.#direct(item);
      } else if (state === 'spool') {
        this.#toSpool++;
        this.#pump();
      }
    });
  }

  /** Resolves once the direct writes in flight have settled (call while directInFlight > 0). */
  whenDirectIdle(): Promise<void> {
    return new Promise<void>((resolve) => { this.#directIdle = resolve; });
  }

  #direct(item: Ordered<W, A>): void {
    this.#directInFlight++;
    const onDirect = item.onDirect;
    item.onDirect = undefined;
    try {
      onDirect?.();
    } catch (err) {
      this.#s.log.error({ err }, 'SpoolHookError');
    }
    // Settled once its outcome is final (a copy's confirmation included): the replay waits for that.
    this.#p.sink.write(item.w).then(
      (r) => {
        this.#decide(item, 'skip');
        item.state = 'done';
        item.resolve({ duplicate: r.duplicate, rows: r.rows, spooled: false });
      },
      (err: unknown) => this.#directFailed(item, err),
    ).finally(() => {
      if (--this.#directInFlight === 0) {
        const f = this.#directIdle;
        this.#directIdle = undefined;
        f?.();
      }
      this.#pump();
    });
  }

  async #directFailed(item: Ordered<W, A>, err: unknown): Promise<void> {
    if (!isUnavailable(err)) {
      this.#decide(item, 'skip');
      item.state = 'done';
      item.reject(err);
      return;
    }
    this.#engage(err);
    if (item.copy === undefined) {
      item.state = 'spool';
      this.#toSpool++;
      return;
    }
    // Overtaken: its copy holds its place. Acknowledged from the spool once the copy and its
    // confirmation are durable (a restart replays a copy only if confirmed).
    const copy = item.copy;
    let failed = await copy.appended;
    if (failed === undefined) failed = await this.#p.segments.append(frame(encodeConfirm(copy.id)), true).then(() => undefined, (e: unknown) => e);
    item.state = 'done';
    if (failed === undefined) {
      this.#decide(item, 'replay');
      item.resolve({ duplicate: false, rows: this.#p.hooks.rowsOf(item.w, item.a), spooled: true });
    } else {
      // Not acknowledged (503: the client sends it again), so not replayed either.
      this.#decide(item, 'skip');
      item.reject(failed);
      this.#p.wakeReplayer();
    }
  }

  /** The outcome of an overtaken write's copy, final once its direct write is (and its confirmation durable). */
  #decide(item: Ordered<W, A>, outcome: 'replay' | 'skip'): void {
    if (item.copy !== undefined && this.#copies.has(item.copy.id)) this.#copies.set(item.copy.id, outcome);
  }

  /**
   * The replay's question about a copy it reads (call after whenDirectIdle: final then): replay
   * it or skip it. undefined: not a copy of this process (a restart: state.confirmed decides).
   */
  takeCopy(id: string): CopyOutcome | undefined {
    const outcome = this.#copies.get(id);
    if (outcome !== undefined && outcome !== 'pending') this.#copies.delete(id);
    return outcome;
  }

  #engage(err: unknown): void {
    if (this.#s.spooling) return;
    this.#s.spooling = true;
    this.#s.counters.engaged++;
    this.#s.log.warn({ reason: (err as Error).message }, 'SpoolEngaged: storage is slow or down; acknowledging from the spool until it drains');
  }

  /** The replayer's last wave: new writes are held until it drains (or fails). */
  startHandoff(): void {
    this.#handoff = true;
  }

  /** The last wave failed or the spool closes: the writes held for the hand-off are spooled after all. */
  cancelHandoff(): void {
    if (!this.#handoff) return;
    this.#handoff = false;
    for (const it of this.#order) {
      if (it.state === 'hold') { it.state = 'spool'; this.#toSpool++; }
    }
    this.#held = 0;
    this.#pump();
  }

  /** Drained: the writes held for the hand-off go to the sink, in order. */
  releaseHeld(): void {
    this.#handoff = false;
    this.#held = 0;
    for (const it of this.#order) {
      if (it.state === 'hold') { it.state = 'direct'; this.#direct(it); }
    }
  }

  /**
   * Appends the writes that wait for the spool, in submission order: one waits behind an earlier
   * direct write still in flight (which may yet fall back to the spool), but for fallbackOrderMs
   * at most, so that a slow PostgreSQL (direct writes pending for long, later ones refused by
   * its full buffer) does not hold acknowledgements back. Past that, the direct write is
   * overtaken, and a copy of it is spooled in its place first (#overtake).
   */
  #pump(): void {
    const now = Date.now();
    let i = 0;
    while (i < this.#order.length) {
      const it = this.#order[i];
      if (it.state === 'done') {
        this.#order.splice(i, 1);
        continue;
      }
      if (it.state === 'hold') break;
      if (it.state === 'direct') {
        const wait = this.#s.opts.fallbackOrderMs - (now - it.at);
        if (wait <= 0) {
          // (toSpool > 0: a write behind it waits for the spool, the ones before it are appended)
          if (it.copy === undefined && this.#toSpool > 0) this.#overtake(it);
          i++;
          continue;
        }
        if (this.#orderTimer === undefined) {
          this.#orderTimer = setTimeout(() => { this.#orderTimer = undefined; this.#pump(); }, wait);
        }
        break;
      }
      this.#order.splice(i, 1);
      this.#toSpool--;
      this.#append(it.w, it.a).then(
        () => it.resolve({ duplicate: false, rows: this.#p.hooks.rowsOf(it.w, it.a), spooled: true }),
        (err: unknown) => {
          it.reject(err);
          this.#p.wakeReplayer(); // it may now find the spool empty and drain
        },
      );
    }
  }

  /**
   * A direct write in flight is overtaken by later writes that wait for the spool: a copy of it
   * is appended in its place, so that if it falls back it is replayed there, before them (spool
   * order = submission order). If it commits, the copy is skipped at replay. A restart replays
   * the copy only if a confirmation follows it in the spool (appended, and durable, before the
   * fallback is acknowledged): without one the write was never acknowledged from the spool, and
   * may have committed directly, so replaying it could store a batch without a client key twice.
   * Trade-off: the copy's bytes count in the spool (until replayed or skipped); a copy the spool
   * refuses (full) makes that write's fallback a 503 rather than a spooled write out of order.
   */
  #overtake(it: Ordered<W, A>): void {
    const id = randomUUID();
    this.#copies.set(id, 'pending');
    this.#s.counters.copies++;
    const appended = this.#append(it.w, it.a, id).then(() => undefined, (err: unknown) => {
      this.#copies.delete(id);
      return err;
    });
    it.copy = { id, appended };
  }

  #append(w: W, a: A, copy?: string): Promise<void> {
    // A batch with no client key gets one, so that replaying it twice cannot store it twice.
    const keyed = w.batchKey === undefined ? { ...w, batchKey: `spool:${randomUUID()}` } : w;
    let rec: Buffer;
    try {
      rec = frame(encodeEntry(copy === undefined ? { w: keyed, a } : { w: keyed, a, copy }));
    } catch (err) {
      return Promise.reject(new DwError('DW_ERR_INTERNAL', `the batch cannot be spooled (${(err as Error).message})`));
    }
    return this.#p.segments.append(rec);
  }

  /** close(): no more order timer; a replayer waiting for direct writes goes on. */
  stop(): void {
    if (this.#orderTimer !== undefined) { clearTimeout(this.#orderTimer); this.#orderTimer = undefined; }
    this.#directIdle?.();
  }
}
