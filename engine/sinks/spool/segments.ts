// The spool's segment files: the writer (group commit: records queued for syncMs, then one
// writev + fdatasync into the active segment), recovery at start, reads for the replayer, and
// deletion of what the replay has made final.
//
//   append(record) ─► full? DW_ERR_SPOOL_FULL ─► queue ─(syncMs)─► writev + fdatasync ─► resolve all
//                                                                 └─ error ─► truncate, seal, reject all (503)
//   recover() ─► every seg-*.spool in order: not a segment ─► .corrupt │ torn tail ─► truncated │ empty ─► deleted
//                (the copies it confirms noted: state.confirmed)
//   read(seg, offset, n) ─► one reader handle, reopened per segment
//   release(last) / detach() + discard() ─► segments behind the replay deleted
import { open, readdir, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DwError } from '../../../src/core/errors.js';
import { SEGMENT_MAGIC, confirmOf, parseRecords, segmentId, segmentName } from './spool.js';
import { SpoolFull } from '../../../src/core/telemetry/index.js';
import type { SpoolState } from './types.js';

export interface Segment {
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

/** Segments taken out of the spool by a drain, to close and delete. */
export interface Detached { segments: Segment[]; fh: FileHandle | undefined }

export class Segments {
  readonly #s: SpoolState;
  /** Called when appends become durable or fail: the replayer may have work, or may drain. */
  readonly #onSettled: () => void;
  #list: Segment[] = [];
  #nextId = 1;
  #fh: FileHandle | undefined;
  #queue: Queued[] = [];
  #queueBytes = 0;
  #syncing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  #reader: { id: number; fh: FileHandle } | undefined;

  constructor(state: SpoolState, onSettled: () => void) {
    this.#s = state;
    this.#onSettled = onSettled;
  }

  /** The segments in order, oldest first. */
  get list(): readonly Segment[] { return this.#list; }
  get nextId(): number { return this.#nextId; }
  /** Records queued for the next group write. */
  get queued(): number { return this.#queue.length; }
  /** Nothing queued, being written or scheduled. */
  get idle(): boolean { return this.#queue.length === 0 && this.#syncing === undefined && this.#timer === undefined; }

  /**
   * Queues a framed record; resolves once it is durable, rejects with DW_ERR_SPOOL_FULL or DW_ERR_UNAVAILABLE.
   * `admitted`: a copy's confirmation (router.ts), a few dozen bytes that belong to a copy already taken
   * under the bound: not refused when the spool is full.
   */
  append(rec: Buffer, admitted = false): Promise<void> {
    const s = this.#s;
    // (+ a segment header, in case this record opens a new segment)
    if (!admitted && s.bytes + rec.length + SEGMENT_MAGIC.length > s.opts.maxBytes) {
      s.counters.refusedFull++;
      SpoolFull.emit(s.log, { bytes: s.bytes, maxBytes: s.opts.maxBytes, refused: s.counters.refusedFull }, 1, s.gates.full);
      return Promise.reject(new DwError('DW_ERR_SPOOL_FULL', `${s.bytes} of ${s.opts.maxBytes} bytes held while storage catches up`,
        { retryAfterSeconds: s.opts.retryAfterSeconds }));
    }
    s.bytes += rec.length;
    this.#queueBytes += rec.length;
    s.records++;
    s.spooling = true;
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
    this.#timer = this.#s.opts.syncMs === 0 ? setImmediate(run) : setTimeout(run, this.#s.opts.syncMs);
  }

  /** One group: writev of every queued record into the active segment, one fdatasync, then every append resolves. */
  async #sync(): Promise<void> {
    const s = this.#s;
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
      if (fresh) s.bytes += SEGMENT_MAGIC.length;
      s.counters.fsyncs++;
      s.counters.appended += batch.length;
      s.counters.appendedBytes += queued;
      for (const b of batch) b.resolve();
      this.#onSettled();
    } catch (err) {
      // Nothing of this group is acknowledged: the callers answer 503 and the clients resend.
      s.bytes -= queued;
      s.records -= batch.length;
      s.counters.writeErrors++;
      s.log.error({ err, batches: batch.length }, 'SpoolWriteError: could not write to the spool; those batches are refused (503)');
      if (seg !== undefined && this.#fh !== undefined) {
        // Cut whatever part of the group reached the file, and start a new segment next time.
        await this.#fh.truncate(seg.bytes).catch(() => {});
        await this.#fh.close().catch(() => {});
        this.#fh = undefined;
        seg.sealed = true;
      }
      const out = new DwError('DW_ERR_UNAVAILABLE', 'the spool could not write to disk');
      for (const b of batch) b.reject(out);
      this.#onSettled();
    }
  }

  /** The segment appends go to: the open one while it holds less than segmentBytes, else a new one. */
  async #activeSegment(): Promise<Segment> {
    const last = this.#list.at(-1);
    if (last !== undefined && !last.sealed && this.#fh !== undefined && last.bytes < this.#s.opts.segmentBytes) return last;
    if (last !== undefined && !last.sealed) {
      last.sealed = true;
      await this.#fh?.close();
      this.#fh = undefined;
    }
    const id = this.#nextId++;
    const seg: Segment = { id, path: join(this.#s.opts.dir, segmentName(id)), bytes: 0, sealed: false };
    this.#fh = await open(seg.path, 'w', 0o600);
    this.#list.push(seg);
    return seg;
  }

  async #syncDir(): Promise<void> {
    const d = await open(this.#s.opts.dir, 'r');
    try { await d.sync(); } finally { await d.close(); }
  }

  /** Reads every segment a previous process left: whole records are kept, a torn tail is cut off. */
  async recover(): Promise<void> {
    const s = this.#s;
    const ids = (await readdir(s.opts.dir)).map(segmentId).filter((id): id is number => id !== undefined).sort((x, y) => x - y);
    let records = 0;
    for (const id of ids) {
      this.#nextId = Math.max(this.#nextId, id + 1);
      records += await this.#recoverOne(id, id === ids.at(-1));
    }
    s.records = records;
    s.counters.recovered = records;
    if (this.#list.length > 0) {
      s.spooling = true;
      s.log.info({ segments: this.#list.length, batches: records, bytes: s.bytes, tornRecords: s.counters.tornRecords },
        'SpoolRecovered: replaying what the previous process spooled');
    }
  }

  /** One segment left by a previous process; returns the whole records it keeps. */
  async #recoverOne(id: number, last: boolean): Promise<number> {
    const s = this.#s;
    const path = join(s.opts.dir, segmentName(id));
    const buf = await readFile(path);
    const head = buf.subarray(0, SEGMENT_MAGIC.length);
    if (!head.equals(SEGMENT_MAGIC.subarray(0, head.length))) {
      s.counters.corruptSegments++;
      await rename(path, `${path}.corrupt`);
      s.log.error({ segment: path }, 'SpoolCorruptSegment: not a spool segment; renamed to .corrupt and skipped');
      return 0;
    }
    const parsed = buf.length < SEGMENT_MAGIC.length
      ? { records: [], validEnd: 0, torn: 'short_header' as const }
      : parseRecords(buf.subarray(SEGMENT_MAGIC.length), SEGMENT_MAGIC.length);
    if (parsed.torn !== undefined) {
      const cut = buf.length - parsed.validEnd;
      s.counters.tornRecords++;
      s.counters.tornBytes += cut;
      const fh = await open(path, 'r+');
      try {
        await fh.truncate(parsed.validEnd);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      s.log[last ? 'warn' : 'error']({ segment: path, offset: parsed.validEnd, bytes: cut, reason: parsed.torn, lastSegment: last, kept: parsed.records.length },
        'SpoolTornRecordTruncated: a record was cut off by a crash (never acknowledged); the segment is truncated before it');
    }
    if (parsed.records.length === 0) {
      await unlink(path);
      return 0;
    }
    for (const r of parsed.records) {
      try {
        const copy = confirmOf(r.payload);
        if (copy !== undefined) s.confirmed.add(copy);
      } catch {
        // Not decodable: the replay counts and logs it (SpoolUndecodableRecord).
      }
    }
    this.#list.push({ id, path, bytes: parsed.validEnd, sealed: true });
    s.bytes += parsed.validEnd;
    return parsed.records.length;
  }

  /** Up to `length` durable bytes of the segment from `offset`. */
  async read(seg: Segment, offset: number, length: number): Promise<Buffer> {
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

  /** Deletes the segments wholly behind `last` (the end of a final wave). */
  async release(last: { seg: number; end: number }): Promise<void> {
    while (this.#list.length > 0) {
      const s = this.#list[0];
      const behind = s.sealed && (s.id < last.seg || (s.id === last.seg && last.end >= s.bytes));
      if (!behind) break;
      this.#list.shift();
      await this.#delete(s);
    }
  }

  async #delete(seg: Segment, account = true): Promise<void> {
    if (account) this.#s.bytes -= seg.bytes;
    this.#s.counters.segmentsDeleted++;
    if (this.#reader?.id === seg.id) {
      const r = this.#reader;
      this.#reader = undefined;
      await r.fh.close().catch(() => {});
    }
    await unlink(seg.path).catch((err: unknown) => this.#s.log.warn({ err, segment: seg.path }, 'SpoolDeleteError'));
  }

  /** The drain: takes every segment out of the spool at once (synchronously); discard() deletes them. */
  detach(): Detached {
    const out = { segments: this.#list, fh: this.#fh };
    this.#list = [];
    this.#fh = undefined;
    return out;
  }

  async discard(d: Detached): Promise<void> {
    await d.fh?.close().catch(() => {});
    for (const seg of d.segments) await this.#delete(seg, false);
  }

  /** Waits until every queued record is written (or refused). */
  async flush(): Promise<void> {
    while (!this.idle) {
      if (this.#syncing !== undefined) await this.#syncing;
      else await new Promise((r) => setTimeout(r, Math.max(1, this.#s.opts.syncMs)));
    }
  }

  /** Closes the writer's and the reader's file handles. */
  async close(): Promise<void> {
    await this.#fh?.close().catch(() => {});
    this.#fh = undefined;
    await this.#reader?.fh.close().catch(() => {});
    this.#reader = undefined;
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
