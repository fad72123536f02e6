// The on-disk spool in front of a sink: the only file of the spool that touches the disk.
//
//   write(w, a) ─┬─ not spooling ─► sink.write(w) ── committed ─────────────────────────► {spooled: false}
//                │                        └── DW_ERR_UNAVAILABLE (down, or its buffer full) ─┐
//                └─ spooling ──────────────────────────────────────────────────────────────┤ in submission order
//                                                                                           ▼
//      batch key set (the client's, else spool:<uuid>) ─► frame (len, crc32, msgpack {w, a}) ─► queue
//      ─(syncMs window)─► one writev + fdatasync per window into the active segment ─► {spooled: true}
//                         (a full spool refuses at once: DW_ERR_SPOOL_FULL, 503 + Retry-After)
//
//   replayer (one loop): segments in order ─► a wave of ≤ replayMaxRows rows ─► sink.write(w) each,
//      submitted together (one group commit); DW_ERR_UNAVAILABLE ─► back off, resubmit what is not
//      final (the batch keys make a resubmitted or re-replayed write a duplicate, never a second copy)
//      ─► wave final ─► hooks.onReplayed(w, a, result) in spool order ─► segments wholly behind
//      the wave deleted ─► nothing left and nothing queued ─► drained: writes go to the sink again.
//
// Once anything is spooled, every later write is spooled too until the spool drains, so a
// stream's spooled batches are never overtaken by later ones written directly. A fallback from a
// direct write waits for the direct writes submitted before it (the order queue), so spool order
// is submission order.
// Start: LOCK (one process per directory) ─► every segment parsed; a torn last record (crash
// during a write, never acknowledged) is cut off and counted (SpoolTornRecordTruncated) ─►
// replay starts. close(): stop replaying (entries left are replayed by the next start), flush the
// queue, release the lock.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DwError } from '../../../src/core/errors.js';
import type { Logger } from '../../../src/core/log.js';
import type { SpoolOptions } from './config.js';
import { SEGMENT_MAGIC, decodeEntry, encodeEntry, frame, parseRecords, segmentId, segmentName } from './spool.js';

/** What the spool needs of a sink write: its tenant and idempotency key; the rest is carried as plain data. */
export interface SpoolableWrite {
  tenantId: string;
  batchKey?: string;
}

export interface SinkResult {
  duplicate: boolean;
  rows: number;
}

export interface SpoolWriteResult extends SinkResult {
  /** True when the write was acknowledged from the spool (stored later by the replayer). */
  spooled: boolean;
}

export interface Sink<W> {
  write(w: W): Promise<SinkResult>;
}

export interface SpoolHooks<W, A> {
  /** Rows of a write (replay waves are bounded by rows, to fit one group commit). */
  rowsOf(w: W, a: A): number;
  /** A replayed write is final (stored, or found already stored): called once per entry, in spool order. */
  onReplayed(w: W, a: A, result: SinkResult): void;
}

interface Segment {
  id: number;
  path: string;
  /** Durable bytes (magic + whole records); the writer adds to it only after fdatasync. */
  bytes: number;
  sealed: boolean;
}

interface Queued {
  buf: Buffer;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Ordered<W, A> {
  state: 'direct' | 'spool' | 'hold' | 'done';
  /** When it was submitted (a fallback waits for an earlier direct write at most fallbackOrderMs). */
  at: number;
  w: W;
  a: A;
  resolve: (r: SpoolWriteResult) => void;
  reject: (err: unknown) => void;
}

interface WaveEntry<W, A> {
  w: W;
  a: A;
  rows: number;
  seg: number;
  end: number;
  result: SinkResult | null | undefined;
}

export interface SpoolStats {
  /** Writes go to the spool (something is spooled, or was, and has not drained yet). */
  spooling: boolean;
  bytes: number;
  batches: number;
  appended: number;
  appendedBytes: number;
  fsyncs: number;
  refusedFull: number;
  writeErrors: number;
  engaged: number;
  drained: number;
  /** Replayed writes stored by the sink, and those it found already stored. */
  replayed: number;
  replayedDuplicates: number;
  replayRejected: number;
  replayRetries: number;
  replayUndecodable: number;
  /** Batches found at start, left by a previous process. */
  recovered: number;
  tornRecords: number;
  tornBytes: number;
  corruptSegments: number;
  segmentsDeleted: number;
}

const LOCK_FILE = 'LOCK';
const REJECTED_FILE = 'rejected.spool';
const MIN_READ = 256 * 1024;
const WARN_EVERY_MS = 5_000;
/** Directories this process holds (a second engine in the same process must not share one). */
const lockedHere = new Set<string>();

const isUnavailable = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'DW_ERR_UNAVAILABLE' || code === 'DW_ERR_DATABASE_UNAVAILABLE';
};

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started (Linux: field 22 of /proc/<pid>/stat, in clock ticks since boot), to
 * tell the LOCK's holder from an unrelated process that got the same pid later (a restarted
 * container numbers its processes the same way). '' where /proc is not there.
 */
async function startTimeOf(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

export class SpooledSink<W extends SpoolableWrite, A> {
  readonly #sink: Sink<W>;
  readonly #log: Logger;
  readonly #o: Readonly<SpoolOptions>;
  readonly #hooks: SpoolHooks<W, A>;

  // Writer.
  #segments: Segment[] = [];
  #nextId = 1;
  #fh: FileHandle | undefined;
  #queue: Queued[] = [];
  #queueBytes = 0;
  #syncing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Bytes held: durable segment bytes + queued records. */
  #bytes = 0;
  /** Entries in the spool whose replay is not final yet. */
  #records = 0;
  #spooling = false;

  // Submission order.
  #order: Ordered<W, A>[] = [];
  #toSpool = 0;
  #orderTimer: NodeJS.Timeout | undefined;
  /** Direct writes submitted to the sink and not settled: the replay waits for them (they come first). */
  #directInFlight = 0;
  #directIdle: (() => void) | undefined;
  /** The replayer is on its last wave: new writes wait ('hold') and go to the sink once it drains. */
  #handoff = false;

  // Replayer.
  #cursor = { seg: 0, offset: SEGMENT_MAGIC.length };
  #reader: { id: number; fh: FileHandle } | undefined;
  #woken = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #replaying = false;
  /** The last wave was stored at its first attempt: the sink looks healthy enough to hand back to. */
  #healthy = false;
  #drainWaiters: (() => void)[] = [];
  #replayStarted = 0;
  #lastProgress = 0;

  #closed = false;
  #closing: Promise<void> | undefined;
  #lastWarn = { full: 0, replay: 0 };

  readonly #counters: Omit<SpoolStats, 'spooling' | 'bytes' | 'batches'> = {
    appended: 0, appendedBytes: 0, fsyncs: 0, refusedFull: 0, writeErrors: 0, engaged: 0, drained: 0,
    replayed: 0, replayedDuplicates: 0, replayRejected: 0, replayRetries: 0, replayUndecodable: 0,
    recovered: 0, tornRecords: 0, tornBytes: 0, corruptSegments: 0, segmentsDeleted: 0,
  };

  private constructor(sink: Sink<W>, log: Logger, opts: Readonly<SpoolOptions>, hooks: SpoolHooks<W, A>) {
    this.#sink = sink;
    this.#log = log.child({ component: 'spool' });
    this.#o = opts;
    this.#hooks = hooks;
  }

  /** Locks the directory, recovers what a previous process left (cutting a torn tail) and starts replaying it. */
  static async open<W extends SpoolableWrite, A>(sink: Sink<W>, log: Logger, opts: Readonly<SpoolOptions>, hooks: SpoolHooks<W, A>): Promise<SpooledSink<W, A>> {
    const s = new SpooledSink(sink, log, opts, hooks);
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    await s.#lock();
    try {
      await s.#recover();
    } catch (err) {
      await s.#unlock();
      throw err;
    }
    s.#loop = s.#replayLoop().catch((err: unknown) => {
      s.#log.error({ err }, 'SpoolReplayError: the replayer stopped; restart the engine to replay the spool');
    });
    return s;
  }

  /** Counters (STYLE.md §11) and the spool's current size (bytes on disk and queued, batches not yet replayed). */
  get stats(): SpoolStats {
    return { spooling: this.#spooling, bytes: this.#bytes, batches: this.#records, ...this.#counters };
  }

  /** Resolves once the write is committed by the sink or durable in the spool; rejects with a DwError. */
  write(w: W, a: A): Promise<SpoolWriteResult> {
    if (this.#closed) return Promise.reject(new DwError('DW_ERR_SHUTTING_DOWN'));
    return new Promise<SpoolWriteResult>((resolve, reject) => {
      const state = !this.#spooling ? 'direct' : this.#handoff ? 'hold' : 'spool';
      const item: Ordered<W, A> = { state, at: Date.now(), w, a, resolve, reject };
      this.#order.push(item);
      if (state === 'direct') {
        this.#direct(item);
      } else if (state === 'spool') {
        this.#toSpool++;
        this.#pump();
      }
    });
  }

  #direct(item: Ordered<W, A>): void {
    this.#directInFlight++;
    const settled = (): void => {
      if (--this.#directInFlight === 0) {
        const f = this.#directIdle;
        this.#directIdle = undefined;
        f?.();
      }
    };
    this.#sink.write(item.w).finally(settled).then(
      (r) => {
        item.state = 'done';
        item.resolve({ duplicate: r.duplicate, rows: r.rows, spooled: false });
        this.#pump();
      },
      (err: unknown) => {
        if (isUnavailable(err)) {
          item.state = 'spool';
          this.#toSpool++;
          if (!this.#spooling) {
            this.#spooling = true;
            this.#counters.engaged++;
            this.#log.warn({ reason: (err as Error).message }, 'SpoolEngaged: storage is slow or down; acknowledging from the spool until it drains');
          }
        } else {
          item.state = 'done';
          item.reject(err);
        }
        this.#pump();
      },
    );
  }

  /** The last wave failed or the spool closes: the writes held for the hand-off are spooled after all. */
  #cancelHandoff(): void {
    if (!this.#handoff) return;
    this.#handoff = false;
    for (const it of this.#order) {
      if (it.state === 'hold') { it.state = 'spool'; this.#toSpool++; }
    }
    this.#pump();
  }

  /** Drained: the writes held for the hand-off go to the sink, in order. */
  #releaseHeld(): void {
    this.#handoff = false;
    for (const it of this.#order) {
      if (it.state === 'hold') { it.state = 'direct'; this.#direct(it); }
    }
  }

  /**
   * Appends the writes that wait for the spool, in submission order: one waits behind an earlier
   * direct write still in flight (which may yet fall back to the spool), but for fallbackOrderMs
   * at most, so that a slow PostgreSQL (direct writes pending for long, later ones refused by
   * its full buffer) does not hold acknowledgements back. A direct write that falls back after
   * that is appended behind the later ones.
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
        const wait = this.#o.fallbackOrderMs - (now - it.at);
        if (wait <= 0) { i++; continue; }
        if (this.#orderTimer === undefined) {
          this.#orderTimer = setTimeout(() => { this.#orderTimer = undefined; this.#pump(); }, wait);
        }
        break;
      }
      this.#order.splice(i, 1);
      this.#toSpool--;
      this.#append(it.w, it.a).then(
        () => it.resolve({ duplicate: false, rows: this.#hooks.rowsOf(it.w, it.a), spooled: true }),
        (err: unknown) => {
          it.reject(err);
          this.#wakeReplayer(); // it may now find the spool empty and drain
        },
      );
    }
  }

  #append(w: W, a: A): Promise<void> {
    // A batch with no client key gets one, so that replaying it twice cannot store it twice.
    const keyed = w.batchKey === undefined ? { ...w, batchKey: `spool:${randomUUID()}` } : w;
    let rec: Buffer;
    try {
      rec = frame(encodeEntry({ w: keyed, a }));
    } catch (err) {
      return Promise.reject(new DwError('DW_ERR_INTERNAL', `the batch cannot be spooled (${(err as Error).message})`));
    }
    // (+ a segment header, in case this record opens a new segment)
    if (this.#bytes + rec.length + SEGMENT_MAGIC.length > this.#o.maxBytes) {
      this.#counters.refusedFull++;
      const now = Date.now();
      if (now - this.#lastWarn.full > WARN_EVERY_MS) {
        this.#lastWarn.full = now;
        this.#log.warn({ bytes: this.#bytes, maxBytes: this.#o.maxBytes, refused: this.#counters.refusedFull }, 'SpoolFull: refusing batches (503 / nack) until the replay frees space');
      }
      return Promise.reject(new DwError('DW_ERR_SPOOL_FULL', `${this.#bytes} of ${this.#o.maxBytes} bytes held while storage catches up`,
        { retryAfterSeconds: this.#o.retryAfterSeconds }));
    }
    this.#bytes += rec.length;
    this.#queueBytes += rec.length;
    this.#records++;
    this.#spooling = true;
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ buf: rec, resolve, reject });
      this.#scheduleSync();
    });
  }

  #scheduleSync(): void {
    if (this.#syncing !== undefined || this.#timer !== undefined || this.#queue.length === 0) return;
    const run = (): void => {
      this.#timer = undefined;
      this.#syncing = this.#sync().finally(() => {
        this.#syncing = undefined;
        // Records queued during this sync have waited at least its duration: write them now.
        if (this.#queue.length > 0) {
          this.#timer = setImmediate(run);
        }
      });
    };
    this.#timer = this.#o.syncMs === 0 ? setImmediate(run) : setTimeout(run, this.#o.syncMs);
  }

  /** One group: writev of every queued record into the active segment, one fdatasync, then every append resolves. */
  async #sync(): Promise<void> {
    const batch = this.#queue;
    const queued = this.#queueBytes;
    this.#queue = [];
    this.#queueBytes = 0;
    let seg: Segment | undefined;
    try {
      seg = await this.#activeSegment();
      const fresh = seg.bytes === 0;
      const bufs = batch.map((b) => b.buf);
      if (fresh) bufs.unshift(SEGMENT_MAGIC);
      let total = 0;
      for (const b of bufs) total += b.length;
      await writeAll(this.#fh!, bufs, total, seg.bytes);
      await this.#fh!.datasync();
      // A new file's directory entry must be durable too before its records are acknowledged.
      if (fresh) await this.#syncDir();
      seg.bytes += total;
      if (fresh) this.#bytes += SEGMENT_MAGIC.length;
      this.#counters.fsyncs++;
      this.#counters.appended += batch.length;
      this.#counters.appendedBytes += queued;
      for (const b of batch) b.resolve();
      this.#wakeReplayer();
    } catch (err) {
      // Nothing of this group is acknowledged: the callers answer 503 and the clients resend.
      this.#bytes -= queued;
      this.#records -= batch.length;
      this.#counters.writeErrors++;
      this.#log.error({ err, batches: batch.length }, 'SpoolWriteError: could not write to the spool; those batches are refused (503)');
      if (seg !== undefined && this.#fh !== undefined) {
        // Cut whatever part of the group reached the file, and start a new segment next time.
        await this.#fh.truncate(seg.bytes).catch(() => {});
        await this.#fh.close().catch(() => {});
        this.#fh = undefined;
        seg.sealed = true;
      }
      const out = new DwError('DW_ERR_UNAVAILABLE', 'the spool could not write to disk');
      for (const b of batch) b.reject(out);
      this.#wakeReplayer();
    }
  }

  /** The segment appends go to: the open one while it holds less than segmentBytes, else a new one. */
  async #activeSegment(): Promise<Segment> {
    const last = this.#segments.at(-1);
    if (last !== undefined && !last.sealed && this.#fh !== undefined && last.bytes < this.#o.segmentBytes) return last;
    if (last !== undefined && !last.sealed) {
      last.sealed = true;
      await this.#fh?.close();
      this.#fh = undefined;
    }
    const id = this.#nextId++;
    const seg: Segment = { id, path: join(this.#o.dir, segmentName(id)), bytes: 0, sealed: false };
    this.#fh = await open(seg.path, 'w', 0o600);
    this.#segments.push(seg);
    return seg;
  }

  async #syncDir(): Promise<void> {
    const d = await open(this.#o.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  async #lock(): Promise<void> {
    const path = join(this.#o.dir, LOCK_FILE);
    const inUse = (pid: number): Error =>
      new Error(`the spool directory ${this.#o.dir} is in use by process ${pid}; give each engine process its own SPOOL_DIR`);
    if (lockedHere.has(this.#o.dir)) throw inUse(process.pid);
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(path, `${process.pid} ${await startTimeOf(process.pid)}`, { flag: 'wx', mode: 0o600 });
        lockedHere.add(this.#o.dir);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
        const [pidText = '', started = ''] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
        const pid = Number(pidText);
        if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) && (started === '' || started === await startTimeOf(pid))) {
          throw inUse(pid);
        }
        // Left by a process that is gone (SIGKILL, crash, a container restarted: the pid now
        // names another process), or by this process after a failed start.
        this.#log.info({ pid }, 'spool: taking over the lock of a process that is gone');
        await unlink(path).catch(() => {});
      }
    }
  }

  async #unlock(): Promise<void> {
    lockedHere.delete(this.#o.dir);
    await unlink(join(this.#o.dir, LOCK_FILE)).catch(() => {});
  }

  /** Reads every segment a previous process left: whole records are kept, a torn tail is cut off. */
  async #recover(): Promise<void> {
    const ids = (await readdir(this.#o.dir)).map(segmentId).filter((id): id is number => id !== undefined).sort((x, y) => x - y);
    let records = 0;
    for (const id of ids) {
      const path = join(this.#o.dir, segmentName(id));
      this.#nextId = Math.max(this.#nextId, id + 1);
      const buf = await readFile(path);
      const head = buf.subarray(0, SEGMENT_MAGIC.length);
      if (!head.equals(SEGMENT_MAGIC.subarray(0, head.length))) {
        this.#counters.corruptSegments++;
        await rename(path, `${path}.corrupt`);
        this.#log.error({ segment: path }, 'SpoolCorruptSegment: not a spool segment; renamed to .corrupt and skipped');
        continue;
      }
      const parsed = buf.length < SEGMENT_MAGIC.length
        ? { records: [], validEnd: 0, torn: 'short_header' as const }
        : parseRecords(buf.subarray(SEGMENT_MAGIC.length), SEGMENT_MAGIC.length);
      if (parsed.torn !== undefined) {
        const cut = buf.length - parsed.validEnd;
        this.#counters.tornRecords++;
        this.#counters.tornBytes += cut;
        const fh = await open(path, 'r+');
        try {
          await fh.truncate(parsed.validEnd);
          await fh.datasync();
        } finally {
          await fh.close();
        }
        const last = id === ids.at(-1);
        this.#log[last ? 'warn' : 'error']({ segment: path, offset: parsed.validEnd, bytes: cut, reason: parsed.torn, lastSegment: last, kept: parsed.records.length },
          'SpoolTornRecordTruncated: a record was cut off by a crash (never acknowledged); the segment is truncated before it');
      }
      if (parsed.records.length === 0) {
        await unlink(path);
        continue;
      }
      records += parsed.records.length;
      this.#segments.push({ id, path, bytes: parsed.validEnd, sealed: true });
      this.#bytes += parsed.validEnd;
    }
    this.#records = records;
    this.#counters.recovered = records;
    if (this.#segments.length > 0) {
      this.#cursor = { seg: this.#segments[0].id, offset: SEGMENT_MAGIC.length };
      this.#spooling = true;
      this.#log.info({ segments: this.#segments.length, batches: records, bytes: this.#bytes, tornRecords: this.#counters.tornRecords },
        'SpoolRecovered: replaying what the previous process spooled');
    }
  }

  #wakeReplayer(): void {
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

  async #replayLoop(): Promise<void> {
    while (!this.#stopping) {
      this.#woken = false;
      const wave = await this.#readWave();
      if (this.#stopping) return;
      if (wave.length === 0) {
        if (await this.#tryDrain()) continue;
        if (this.#woken || this.#stopping) continue;
        await new Promise<void>((resolve) => { this.#wake = resolve; });
        continue;
      }
      // Caught up (the wave reaches the end of what is durable, and it is small) and the sink took
      // the previous wave at once: hold new writes for this last wave so that the spool can
      // drain even under a steady stream.
      const last = this.#segments.at(-1);
      if (!this.#handoff && this.#healthy && last !== undefined && this.#cursor.seg >= last.id && this.#cursor.offset >= last.bytes &&
          wave.length < this.#o.replayMaxWrites / 2 && this.#queue.length < this.#o.replayMaxWrites / 2) {
        this.#handoff = true;
      }
      if (!this.#replaying) {
        this.#replaying = true;
        this.#replayStarted = Date.now();
        this.#lastProgress = this.#replayStarted;
        this.#log.info({ batches: this.#records, bytes: this.#bytes }, 'SpoolReplayStarted');
      }
      // Direct writes submitted before the spool engaged are stored (or spooled) first.
      if (this.#directInFlight > 0) await new Promise<void>((resolve) => { this.#directIdle = resolve; });
      if (this.#stopping) return;
      if (!(await this.#replayWave(wave))) return;
      await this.#release(wave[wave.length - 1]);
      const now = Date.now();
      if (now - this.#lastProgress >= this.#o.progressLogMs) {
        this.#lastProgress = now;
        this.#log.info({ replayed: this.#counters.replayed, duplicates: this.#counters.replayedDuplicates, remainingBatches: this.#records,
          remainingBytes: this.#bytes, ms: now - this.#replayStarted }, 'SpoolReplayProgress');
      }
    }
  }

  /** Reads the next wave from the cursor: whole durable records, bounded by rows, writes and bytes. */
  async #readWave(): Promise<WaveEntry<W, A>[]> {
    const wave: WaveEntry<W, A>[] = [];
    let rows = 0;
    let bytes = 0;
    while (wave.length < this.#o.replayMaxWrites && rows < this.#o.replayMaxRows && bytes < this.#o.replayMaxBytes) {
      const seg = this.#segments.find((s) => s.id >= this.#cursor.seg);
      if (seg === undefined) break;
      if (seg.id !== this.#cursor.seg) this.#cursor = { seg: seg.id, offset: SEGMENT_MAGIC.length };
      const durable = seg.bytes;
      if (this.#cursor.offset >= durable) {
        if (!seg.sealed) break;
        this.#cursor = { seg: seg.id + 1, offset: SEGMENT_MAGIC.length };
        continue;
      }
      const want = Math.min(durable - this.#cursor.offset, Math.max(MIN_READ, this.#o.replayMaxBytes - bytes));
      let chunk = await this.#read(seg, this.#cursor.offset, want);
      let parsed = parseRecords(chunk, this.#cursor.offset, this.#o.replayMaxWrites - wave.length);
      if (parsed.records.length === 0 && parsed.need !== undefined && this.#cursor.offset + parsed.need <= durable) {
        chunk = await this.#read(seg, this.#cursor.offset, parsed.need);
        parsed = parseRecords(chunk, this.#cursor.offset, 1);
      }
      if (parsed.records.length === 0) {
        // Durable bytes that do not parse: the disk changed under us. Skip the rest of the segment.
        this.#counters.corruptSegments++;
        this.#log.error({ segment: seg.path, offset: this.#cursor.offset, reason: parsed.torn }, 'SpoolCorruptRecord: unreadable durable data; skipping the rest of the segment');
        this.#cursor.offset = durable;
        continue;
      }
      for (const r of parsed.records) {
        try {
          const e = decodeEntry<W, A>(r.payload);
          const n = this.#hooks.rowsOf(e.w, e.a);
          wave.push({ w: e.w, a: e.a, rows: n, seg: seg.id, end: r.end, result: undefined });
          rows += n;
        } catch (err) {
          this.#counters.replayUndecodable++;
          this.#records--;
          this.#log.error({ err, segment: seg.path, end: r.end }, 'SpoolUndecodableRecord: a whole record does not decode; skipped');
        }
        bytes += r.payload.length;
        this.#cursor.offset = r.end;
        if (rows >= this.#o.replayMaxRows || bytes >= this.#o.replayMaxBytes) break;
      }
    }
    return wave;
  }

  async #read(seg: Segment, offset: number, length: number): Promise<Buffer> {
    if (this.#reader?.id !== seg.id) {
      await this.#reader?.fh.close().catch(() => {});
      this.#reader = { id: seg.id, fh: await open(seg.path, 'r') };
    }
    const buf = Buffer.allocUnsafe(length);
    let at = 0;
    while (at < length) {
      const { bytesRead } = await this.#reader.fh.read(buf, at, length - at, offset + at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return buf.subarray(0, at);
  }

  /**
   * Submits the wave's writes together, retrying those refused as unavailable (the others that
   * committed meanwhile come back as duplicates, which is fine) until every one is final, then
   * reports them in spool order. Returns false when stopped first (the entries stay spooled).
   */
  async #replayWave(wave: WaveEntry<W, A>[]): Promise<boolean> {
    let todo = wave;
    let backoff = 100;
    this.#healthy = true;
    for (;;) {
      const results = await Promise.allSettled(todo.map((e) => this.#sink.write(e.w)));
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
      if (this.#closed) for (const f of this.#drainWaiters.splice(0)) f();
      this.#cancelHandoff();
      if (this.#stopping) return false;
      this.#counters.replayRetries++;
      const now = Date.now();
      if (now - this.#lastWarn.replay > WARN_EVERY_MS) {
        this.#lastWarn.replay = now;
        this.#log.warn({ waiting: retry.length, remainingBatches: this.#records, reason: (results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as { message?: unknown } | null | undefined)?.message },
          'SpoolReplayRetry: storage still unavailable; retrying');
      }
      await this.#sleep(backoff);
      backoff = Math.min(backoff * 2, 2_000);
      if (this.#stopping) return false;
      todo = retry;
    }
    for (const e of wave) {
      this.#records--;
      if (e.result === null || e.result === undefined) continue;
      if (e.result.duplicate) this.#counters.replayedDuplicates++;
      else this.#counters.replayed++;
      try {
        this.#hooks.onReplayed(e.w, e.a, e.result);
      } catch (err) {
        this.#log.error({ err }, 'SpoolReplayHookError');
      }
    }
    return true;
  }

  /** A replayed write the sink refuses for good (its rows, or a key reused for other data): kept aside and logged, never dropped silently. */
  async #keepRejected(e: WaveEntry<W, A>, err: unknown): Promise<void> {
    this.#counters.replayRejected++;
    const file = join(this.#o.dir, REJECTED_FILE);
    try {
      await appendFile(file, frame(encodeEntry({ w: e.w, a: e.a })), { mode: 0o600 });
    } catch (writeErr) {
      this.#log.error({ err: writeErr }, 'SpoolRejectedWriteError: could not keep a refused batch aside');
    }
    this.#log.error({ tenantId: e.w.tenantId, batchKey: e.w.batchKey, code: (err as { code?: unknown })?.code, message: (err as Error)?.message, keptIn: file },
      'SpoolReplayRejected: storage refused a spooled batch for good; kept in the rejected file');
  }

  /** Deletes the segments wholly behind `last` (the end of a final wave). */
  async #release(last: { seg: number; end: number }): Promise<void> {
    while (this.#segments.length > 0) {
      const s = this.#segments[0];
      const behind = s.sealed && (s.id < last.seg || (s.id === last.seg && last.end >= s.bytes));
      if (!behind) break;
      this.#segments.shift();
      await this.#deleteSegment(s);
    }
  }

  async #deleteSegment(s: Segment, account = true): Promise<void> {
    if (account) this.#bytes -= s.bytes;
    this.#counters.segmentsDeleted++;
    if (this.#reader?.id === s.id) {
      const r = this.#reader;
      this.#reader = undefined;
      await r.fh.close().catch(() => {});
    }
    await unlink(s.path).catch((err: unknown) => this.#log.warn({ err, segment: s.path }, 'SpoolDeleteError'));
  }

  /** Everything spooled is final and nothing waits to be written: delete the rest, write directly again. */
  async #tryDrain(): Promise<boolean> {
    if (!this.#spooling || this.#queue.length > 0 || this.#syncing !== undefined || this.#timer !== undefined || this.#toSpool > 0) {
      // Appends still to be written or replayed: the hand-off waits for the next wave.
      return false;
    }
    const segs = this.#segments;
    const fh = this.#fh;
    this.#segments = [];
    this.#fh = undefined;
    this.#spooling = false;
    this.#releaseHeld();
    this.#bytes = 0;
    if (this.#records !== 0) this.#log.error({ batches: this.#records }, 'SpoolAccountingError: drained with batches counted');
    this.#records = 0;
    this.#cursor = { seg: this.#nextId, offset: SEGMENT_MAGIC.length };
    this.#counters.drained++;
    for (const f of this.#drainWaiters.splice(0)) f();
    if (this.#replaying) {
      this.#replaying = false;
      this.#log.info({ replayed: this.#counters.replayed, duplicates: this.#counters.replayedDuplicates, rejected: this.#counters.replayRejected,
        ms: Date.now() - this.#replayStarted }, 'SpoolDrained: every spooled batch is stored; writing directly again');
    }
    await fh?.close().catch(() => {});
    for (const s of segs) await this.#deleteSegment(s, false);
    return true;
  }

  /**
   * Refuses new writes; waits up to `drainMs` for the spool to drain while the sink takes the
   * replay (a wave that has to be retried ends the wait: storage is still down); then stops
   * replaying (what is left is replayed by the next start), writes what is queued and releases
   * the lock.
   */
  close(drainMs = 0): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#cancelHandoff();
      if (drainMs > 0 && this.#spooling) {
        this.#wakeReplayer(); // out of a retry back-off: try now
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          new Promise<void>((resolve) => { this.#drainWaiters.push(resolve); }),
          new Promise<void>((resolve) => { timer = setTimeout(resolve, drainMs); }),
        ]);
        clearTimeout(timer);
      }
      this.#stopping = true;
      if (this.#orderTimer !== undefined) { clearTimeout(this.#orderTimer); this.#orderTimer = undefined; }
      this.#wakeReplayer();
      this.#directIdle?.();
      await this.#loop;
      while (this.#queue.length > 0 || this.#syncing !== undefined || this.#timer !== undefined) {
        if (this.#syncing !== undefined) await this.#syncing;
        else await new Promise((r) => setTimeout(r, Math.max(1, this.#o.syncMs)));
      }
      await this.#fh?.close().catch(() => {});
      this.#fh = undefined;
      await this.#reader?.fh.close().catch(() => {});
      this.#reader = undefined;
      await this.#unlock();
      if (this.#records > 0) this.#log.warn({ batches: this.#records, bytes: this.#bytes }, 'SpoolClosedNotEmpty: the next start replays what is left');
      else this.#log.info('spool closed');
    })();
    return this.#closing;
  }
}

/** writev until every byte is written (a file write may be short). */
async function writeAll(fh: FileHandle, bufs: Buffer[], total: number, position: number): Promise<void> {
  let { bytesWritten } = await fh.writev(bufs, position);
  if (bytesWritten === total) return;
  const rest = Buffer.concat(bufs, total);
  while (bytesWritten < total) {
    const r = await fh.write(rest, bytesWritten, total - bytesWritten, position + bytesWritten);
    bytesWritten += r.bytesWritten;
  }
}
