// The on-disk spool in front of a sink: the parts that touch the disk (segments.ts, lock.ts)
// and the two loops that decide where a write goes (router.ts) and when it is stored
// (replayer.ts), put together behind one write()/close().
//
//   write(w, a) ─┬─ not spooling ─► sink.write(w) ── committed ─────────────────────────► {spooled: false}
//                │                        └── DW_ERR_UNAVAILABLE (down, or its buffer full) ─┐
//                └─ spooling ──────────────────────────────────────────────────────────────┤ in submission order
//                   (router.ts)                                                             ▼
//      batch key set (the client's, else spool:<uuid>) ─► frame (len, crc32, msgpack {w, a}) ─► queue
//      ─(syncMs window)─► one writev + fdatasync per window into the active segment ─► {spooled: true}
//                         (a full spool refuses at once: DW_ERR_SPOOL_FULL, 503 + Retry-After)
//                         (segments.ts)
//
//   replayer (replayer.ts, one loop): segments in order ─► a wave of ≤ replayMaxRows rows ─► sink.write(w)
//      each, submitted together (one group commit); DW_ERR_UNAVAILABLE ─► back off, resubmit what is not
//      final (the batch keys make a resubmitted or re-replayed write a duplicate, never a second copy)
//      ─► wave final ─► hooks.onReplayed(w, a, result) in spool order ─► segments wholly behind
//      the wave deleted ─► nothing left and nothing queued ─► drained: writes go to the sink again.
//
// Once anything is spooled, every later write is spooled too until the spool drains, so a
// stream's spooled batches are never overtaken by later ones written directly. A fallback from a
// direct write waits for the direct writes submitted before it (the order queue), so spool order
// is submission order; one still in flight after fallbackOrderMs is overtaken, and a copy of it
// takes its place in the spool (replayed if it falls back, skipped if it commits: router.ts).
// Start: LOCK (one process per directory: lock.ts) ─► every segment parsed; a torn last record
// (crash during a write, never acknowledged) is cut off and counted (SpoolTornRecordTruncated) ─►
// replay starts. close(): stop replaying (entries left are replayed by the next start), flush the
// queue, release the lock.
import { mkdir } from 'node:fs/promises';
import { DwError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/log.js';
import type { SpoolOptions } from './config.js';
import { lockDir, unlockDir } from './lock.js';
import { Replayer } from './replayer.js';
import { Router } from './router.js';
import { Segments } from './segments.js';
import { SpoolState, type Sink, type SpoolableWrite, type SpoolHooks, type SpoolStats, type SpoolWriteResult } from './types.js';

export type { Sink, SinkResult, SpoolableWrite, SpoolHooks, SpoolStats, SpoolWriteResult } from './types.js';

export class SpooledSink<W extends SpoolableWrite, A> {
  readonly #s: SpoolState;
  readonly #segments: Segments;
  readonly #router: Router<W, A>;
  readonly #replayer: Replayer<W, A>;
  #closing: Promise<void> | undefined;

  private constructor(sink: Sink<W>, log: Logger, opts: Readonly<SpoolOptions>, hooks: SpoolHooks<W, A>) {
    this.#s = new SpoolState(opts, log.child({ component: 'spool' }));
    const wakeReplayer = (): void => this.#replayer.wake();
    this.#segments = new Segments(this.#s, wakeReplayer);
    this.#router = new Router(this.#s, { sink, hooks, segments: this.#segments, wakeReplayer });
    this.#replayer = new Replayer(this.#s, { sink, hooks, segments: this.#segments, router: this.#router });
  }

  /** Locks the directory, recovers what a previous process left (cutting a torn tail) and starts replaying it. */
  static async open<W extends SpoolableWrite, A>(sink: Sink<W>, log: Logger, opts: Readonly<SpoolOptions>, hooks: SpoolHooks<W, A>): Promise<SpooledSink<W, A>> {
    const s = new SpooledSink(sink, log, opts, hooks);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await lockDir(opts.dir, s.#s.log);
    try {
      await s.#segments.recover();
    } catch (err) {
      await unlockDir(opts.dir);
      throw err;
    }
    s.#replayer.start();
    return s;
  }

  /** Counters (STYLE.md §11) and the spool's current size (bytes on disk and queued, batches not yet replayed). */
  get stats(): SpoolStats {
    return { spooling: this.#s.spooling, bytes: this.#s.bytes, batches: this.#s.records, held: this.#router.held, ...this.#s.counters };
  }

  /**
   * Resolves once the write is committed by the sink or durable in the spool; rejects with a DwError.
   * onDirect runs, synchronously, when the write is submitted to the sink itself (in storage order:
   * a write held for the replay's hand-off, after the last wave's onReplayed); never for a spooled one.
   */
  write(w: W, a: A, onDirect?: () => void): Promise<SpoolWriteResult> {
    if (this.#s.closed) return Promise.reject(new DwError('DW_ERR_SHUTTING_DOWN'));
    return this.#router.submit(w, a, onDirect);
  }

  /**
   * Refuses new writes; waits up to `drainMs` for the spool to drain while the sink takes the
   * replay (a wave that has to be retried ends the wait: storage is still down); then stops
   * replaying (what is left is replayed by the next start), writes what is queued and releases
   * the lock.
   */
  close(drainMs = 0): Promise<void> {
    this.#closing ??= (async () => {
      const s = this.#s;
      s.closed = true;
      this.#router.cancelHandoff();
      if (drainMs > 0 && s.spooling) {
        this.#replayer.wake(); // out of a retry back-off: try now
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          this.#replayer.whenDrained(),
          new Promise<void>((resolve) => { timer = setTimeout(resolve, drainMs); }),
        ]);
        clearTimeout(timer);
      }
      s.stopping = true;
      this.#router.stop();
      this.#replayer.wake();
      await this.#replayer.done;
      await this.#segments.flush();
      await this.#segments.close();
      await unlockDir(s.opts.dir);
      if (s.records > 0) s.log.warn({ batches: s.records, bytes: s.bytes }, 'SpoolClosedNotEmpty: the next start replays what is left');
      else s.log.info('spool closed');
    })();
    return this.#closing;
  }
}
