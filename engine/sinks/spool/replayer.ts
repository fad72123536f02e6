// The replayer: one loop that stores what the spool holds, in spool order, and hands writing
// back to the sink once everything is final.
//
//   loop: read a wave from the cursor (≤ replayMaxRows rows, ≤ replayMaxWrites, ≤ replayMaxBytes)
//     ─► empty: drained? (nothing queued, nothing waiting) ─► delete every segment, writes go direct
//     ─► caught up and healthy: hand-off (new writes held for this last wave)
//     ─► wait for direct writes submitted before ─► copies of overtaken direct writes (router.ts #overtake):
//        replayed where their write fell back, skipped where it committed (after a restart: replayed if confirmed)
//     ─► sink.write(w) each, submitted together (one group commit)
//        DW_ERR_UNAVAILABLE ─► back off (100 ms doubling to 2 s), resubmit what is not final
//        (the batch keys make a resubmitted or re-replayed write a duplicate, never a second copy)
//        refused for good ─► kept in rejected.spool, logged
//     ─► wave final ─► hooks.onReplayed(w, a, result) in spool order ─► segments behind it deleted
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Router } from './router.js';
import type { Segments } from './segments.js';
import { SEGMENT_MAGIC, confirmOf, decodeEntry, encodeEntry, frame, parseRecords } from './spool.js';
import { SpoolReplayRetry } from '../../../src/core/telemetry/index.js';
import { isUnavailable, type Sink, type SinkResult, type SpoolableWrite, type SpoolHooks, type SpoolState } from './types.js';

const REJECTED_FILE = 'rejected.spool';
const MIN_READ = 256 * 1024;

interface WaveEntry<W, A> {
  w: W;
  a: A;
  rows: number;
  seg: number;
  end: number;
  /** The copy of an overtaken direct write (router.ts #overtake): its id. */
  copy: string | undefined;
  /** A copy whose write committed directly (or was never acknowledged): not written, not reported. */
  skip: boolean;
  result: SinkResult | null | undefined;
}

export interface ReplayerParts<W extends SpoolableWrite, A> {
  sink: Sink<W>;
  hooks: SpoolHooks<W, A>;
  segments: Segments;
  router: Router<W, A>;
}

export class Replayer<W extends SpoolableWrite, A> {
  readonly #s: SpoolState;
  readonly #p: ReplayerParts<W, A>;
  #cursor = { seg: 0, offset: SEGMENT_MAGIC.length };
  #woken = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #replaying = false;
  /** The last wave was stored at its first attempt: the sink looks healthy enough to hand back to. */
  #healthy = false;
  #drainWaiters: (() => void)[] = [];
  #replayStarted = 0;
  #lastProgress = 0;

  constructor(state: SpoolState, parts: ReplayerParts<W, A>) {
    this.#s = state;
    this.#p = parts;
  }

  /** Starts the loop from the oldest segment. */
  start(): void {
    const first = this.#p.segments.list[0];
    if (first !== undefined) this.#cursor = { seg: first.id, offset: SEGMENT_MAGIC.length };
    this.#loop = this.#run().catch((err: unknown) => {
      this.#s.log.error({ err }, 'SpoolReplayError: the replayer stopped; restart the engine to replay the spool');
    });
  }

  /** Resolves when the loop has ended (after state.stopping and a wake). */
  get done(): Promise<void> { return this.#loop ?? Promise.resolve(); }

  /** Resolves at the next drain (or when a wave has to be retried while closing). */
  whenDrained(): Promise<void> {
    return new Promise<void>((resolve) => { this.#drainWaiters.push(resolve); });
  }

  wake(): void {
    this.#woken = true;
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => { this.#wake = undefined; resolve(); }, ms);
      this.#wake = () => { clearTimeout(t); resolve(); };
    });
  }

  async #run(): Promise<void> {
    const s = this.#s;
    while (!s.stopping) {
      this.#woken = false;
      const wave = await this.#readWave();
      if (s.stopping) return;
      if (wave.length === 0) {
        if (await this.#tryDrain()) continue;
        if (this.#woken || s.stopping) continue;
        await new Promise<void>((resolve) => { this.#wake = resolve; });
        continue;
      }
      this.#maybeHandOff(wave.length);
      if (!this.#replaying) {
        this.#replaying = true;
        this.#replayStarted = Date.now();
        this.#lastProgress = this.#replayStarted;
        s.log.info({ batches: s.records, bytes: s.bytes }, 'SpoolReplayStarted');
      }
      // Direct writes submitted before the spool engaged are stored (or spooled) first.
      if (this.#p.router.directInFlight > 0) await this.#p.router.whenDirectIdle();
      if (s.stopping) return;
      this.#settleCopies(wave);
      if (!(await this.#replayWave(wave))) return;
      await this.#p.segments.release(wave[wave.length - 1]);
      this.#logProgress();
    }
  }

  /**
   * Caught up (the wave reaches the end of what is durable, and it is small) and the sink took
   * the previous wave at once: hold new writes for this last wave so that the spool can drain
   * even under a steady stream.
   */
  #maybeHandOff(waveLength: number): void {
    const { router, segments } = this.#p;
    const last = segments.list.at(-1);
    const half = this.#s.opts.replayMaxWrites / 2;
    if (!router.handingOff && this.#healthy && last !== undefined && this.#cursor.seg >= last.id && this.#cursor.offset >= last.bytes &&
        waveLength < half && segments.queued < half) {
      router.startHandoff();
    }
  }

  /**
   * The wave's copies of overtaken direct writes, once those have settled: replayed where the
   * write fell back (acknowledged from the spool), skipped where it committed or was refused.
   * A copy of a previous process is replayed only if confirmed (state.confirmed, from recovery).
   */
  #settleCopies(wave: WaveEntry<W, A>[]): void {
    const s = this.#s;
    for (const e of wave) {
      if (e.copy === undefined) continue;
      const outcome = this.#p.router.takeCopy(e.copy) ?? (s.confirmed.delete(e.copy) ? 'replay' : 'skip');
      // ('pending' cannot be: the direct writes have settled; replayed then, rather than lost.)
      if (outcome !== 'skip') continue;
      e.skip = true;
      s.counters.copiesSkipped++;
    }
  }

  #logProgress(): void {
    const s = this.#s;
    const now = Date.now();
    if (now - this.#lastProgress < s.opts.progressLogMs) return;
    this.#lastProgress = now;
    s.log.info({ replayed: s.counters.replayed, duplicates: s.counters.replayedDuplicates, remainingBatches: s.records,
      remainingBytes: s.bytes, ms: now - this.#replayStarted }, 'SpoolReplayProgress');
  }

  /** Reads the next wave from the cursor: whole durable records, bounded by rows, writes and bytes. */
  async #readWave(): Promise<WaveEntry<W, A>[]> {
    const { opts, counters, log } = this.#s;
    const wave: WaveEntry<W, A>[] = [];
    let rows = 0;
    let bytes = 0;
    while (wave.length < opts.replayMaxWrites && rows < opts.replayMaxRows && bytes < opts.replayMaxBytes) {
      const seg = this.#p.segments.list.find((s) => s.id >= this.#cursor.seg);
      if (seg === undefined) break;
      if (seg.id !== this.#cursor.seg) this.#cursor = { seg: seg.id, offset: SEGMENT_MAGIC.length };
      const durable = seg.bytes;
      if (this.#cursor.offset >= durable) {
        if (!seg.sealed) break;
        this.#cursor = { seg: seg.id + 1, offset: SEGMENT_MAGIC.length };
        continue;
      }
      const want = Math.min(durable - this.#cursor.offset, Math.max(MIN_READ, opts.replayMaxBytes - bytes));
      let chunk = await this.#p.segments.read(seg, this.#cursor.offset, want);
      let parsed = parseRecords(chunk, this.#cursor.offset, opts.replayMaxWrites - wave.length);
      if (parsed.records.length === 0 && parsed.need !== undefined && this.#cursor.offset + parsed.need <= durable) {
        chunk = await this.#p.segments.read(seg, this.#cursor.offset, parsed.need);
        parsed = parseRecords(chunk, this.#cursor.offset, 1);
      }
      if (parsed.records.length === 0) {
        // Durable bytes that do not parse: the disk changed under us. Skip the rest of the segment.
        counters.corruptSegments++;
        log.error({ segment: seg.path, offset: this.#cursor.offset, reason: parsed.torn }, 'SpoolCorruptRecord: unreadable durable data; skipping the rest of the segment');
        this.#cursor.offset = durable;
        continue;
      }
      for (const r of parsed.records) {
        try {
          if (confirmOf(r.payload) !== undefined) {
            // A copy's confirmation: read at start (recovery), nothing to replay.
            this.#s.records--;
          } else {
            const e = decodeEntry<W, A>(r.payload);
            const n = this.#p.hooks.rowsOf(e.w, e.a);
            wave.push({ w: e.w, a: e.a, rows: n, seg: seg.id, end: r.end, copy: e.copy, skip: false, result: undefined });
            rows += n;
          }
        } catch (err) {
          counters.replayUndecodable++;
          this.#s.records--;
          log.error({ err, segment: seg.path, end: r.end }, 'SpoolUndecodableRecord: a whole record does not decode; skipped');
        }
        bytes += r.payload.length;
        this.#cursor.offset = r.end;
        if (rows >= opts.replayMaxRows || bytes >= opts.replayMaxBytes) break;
      }
    }
    return wave;
  }

  /**
   * Submits the wave's writes together, retrying those refused as unavailable (the others that
   * committed meanwhile come back as duplicates, which is fine) until every one is final, then
   * reports them in spool order. Returns false when stopped first (the entries stay spooled).
   */
  async #replayWave(wave: WaveEntry<W, A>[]): Promise<boolean> {
    const s = this.#s;
    let todo = wave.filter((e) => !e.skip);
    let backoff = 100;
    this.#healthy = true;
    for (;;) {
      const results = await Promise.allSettled(todo.map((e) => this.#p.sink.write(e.w)));
      const retry: WaveEntry<W, A>[] = [];
      for (let i = 0; i < todo.length; i++) {
        const e = todo[i];
        const r = results[i];
        if (r.status === 'fulfilled') {
          e.result = r.value;
        } else if (isUnavailable(r.reason) || (r.reason as { code?: unknown } | null)?.code === 'DW_ERR_SHUTTING_DOWN') {
          retry.push(e);
        } else {
          e.result = null;
          await this.#keepRejected(e, r.reason);
        }
      }
      if (retry.length === 0) break;
      this.#healthy = false;
      if (s.closed) for (const f of this.#drainWaiters.splice(0)) f();
      this.#p.router.cancelHandoff();
      if (s.stopping) return false;
      s.counters.replayRetries++;
      this.#warnRetry(retry.length, results);
      await this.#sleep(backoff);
      backoff = Math.min(backoff * 2, 2_000);
      if (s.stopping) return false;
      todo = retry;
    }
    this.#report(wave);
    return true;
  }

  #warnRetry(waiting: number, results: PromiseSettledResult<SinkResult>[]): void {
    const s = this.#s;
    SpoolReplayRetry.emit(s.log, {
      waiting, remainingBatches: s.records,
      reason: (results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as { message?: unknown } | null | undefined)?.message,
    }, 1, s.gates.replay);
  }

  /** A final wave: each stored (or duplicate) entry is counted and handed to onReplayed, in spool order. */
  #report(wave: WaveEntry<W, A>[]): void {
    const s = this.#s;
    for (const e of wave) {
      s.records--;
      if (e.result === null || e.result === undefined) continue;
      if (e.result.duplicate) s.counters.replayedDuplicates++;
      else s.counters.replayed++;
      try {
        this.#p.hooks.onReplayed(e.w, e.a, e.result);
      } catch (err) {
        s.log.error({ err }, 'SpoolReplayHookError');
      }
    }
  }

  /** A replayed write the sink refuses for good (its rows, or a key reused for other data): kept aside and logged, never dropped silently. */
  async #keepRejected(e: WaveEntry<W, A>, err: unknown): Promise<void> {
    const s = this.#s;
    s.counters.replayRejected++;
    const file = join(s.opts.dir, REJECTED_FILE);
    try {
      await appendFile(file, frame(encodeEntry({ w: e.w, a: e.a })), { mode: 0o600 });
    } catch (writeErr) {
      s.log.error({ err: writeErr }, 'SpoolRejectedWriteError: could not keep a refused batch aside');
    }
    s.log.error({ tenantId: e.w.tenantId, batchKey: e.w.batchKey, code: (err as { code?: unknown })?.code, message: (err as Error)?.message, keptIn: file },
      'SpoolReplayRejected: storage refused a spooled batch for good; kept in the rejected file');
  }

  /** Everything spooled is final and nothing waits to be written: delete the rest, write directly again. */
  async #tryDrain(): Promise<boolean> {
    const s = this.#s;
    const { segments, router } = this.#p;
    if (!s.spooling || !segments.idle || router.waitingForSpool > 0) {
      // Appends still to be written or replayed: the hand-off waits for the next wave.
      return false;
    }
    const detached = segments.detach();
    s.spooling = false;
    router.releaseHeld();
    s.bytes = 0;
    if (s.records !== 0) s.log.error({ batches: s.records }, 'SpoolAccountingError: drained with batches counted');
    s.records = 0;
    s.confirmed.clear();
    this.#cursor = { seg: segments.nextId, offset: SEGMENT_MAGIC.length };
    s.counters.drained++;
    for (const f of this.#drainWaiters.splice(0)) f();
    if (this.#replaying) {
      this.#replaying = false;
      s.log.info({ replayed: s.counters.replayed, duplicates: s.counters.replayedDuplicates, rejected: s.counters.replayRejected,
        ms: Date.now() - this.#replayStarted }, 'SpoolDrained: every spooled batch is stored; writing directly again');
    }
    await segments.discard(detached);
    return true;
  }
}
