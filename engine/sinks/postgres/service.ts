// The PostgreSQL sink with group commit: the only file of the engine that talks to PostgreSQL.
//
//   write(w) ──► pending[] ──(flushMaxRows rows, or flushIntervalMs after the first write)──► flush(group)
//   (group.ts takes a group: tenants not over their share of the recent rows first, in a group of
//   their own, one write per tenant in turn; a tenant holds at most maxFlushesPerTenant flushes,
//   and the heavy tenants' groups at most maxConcurrentFlushes - 1; a write whose batch key is in
//   the group or in a flush in flight waits for that flush, so the first copy of a key is the one stored)
//                                                                                               │
//   (the group's blocks compressed first, before BEGIN, in slices of ~2 ms: blocks.ts mergedBlockLinesSliced;
//   then its turn: after the COPY of its tenants' flushes taken before it, so block ids follow submission order: copy-order.ts)
//     BEGIN                                                                                     │
//       INSERT ingest_batches ... ON CONFLICT DO NOTHING   (keyed writes, with their fingerprint;
//                                                           a conflict with the same fingerprint = duplicate,
//                                                           with another = DW_ERR_CONFLICT for that write)
//       COPY <table> FROM STDIN                            (every fresh write of the group, one COPY:
//                                                           event blocks, or anomaly rows; writes with
//                                                           parts: one block per (tenant, stream) over
//                                                           the group, rebuilt here if a write was a duplicate)
//       WITH usage_counters, stream_minutes, stream_totals,  (one statement, rollup.ts: usage per tenant
//            ingest_commits (marker) SELECT pg_notify(...)    and hour, the writes' per-minute rollups, the
//                                                           transaction's marker under the first write's
//                                                           tenant, notify payloads delivered at COMMIT)
//     COMMIT ──► each write's promise resolves {duplicate, rows}; on failure it rejects DW_ERR_UNAVAILABLE
//
// Retries live here only (STYLE.md §10): a transient error before COMMIT was sent retries the
// group; a data error (one bad row fails the COPY of the whole group) retries each write in its
// own transaction, so one tenant's bad row never fails another tenant's batch. An error after
// COMMIT was sent is ambiguous: commitOutcome() looks the marker up on a fresh connection once
// the old backend is gone; committed ─► the writes resolve as stored; not committed ─► retried
// like an error before COMMIT; cannot tell ─► DW_ERR_UNAVAILABLE.
// Retention: about once per retentionCheckMs (1 h), a flush starts a background delete of
// ingest_batches and ingest_commits rows older than 7 days, in chunks of retentionChunk rows.
// Bounded: at most maxPendingRows rows and maxPendingBytes bytes of COPY lines wait; beyond either a
// write is refused at once with DW_ERR_UNAVAILABLE (whenFull: 'drop_newest': the caller gets the
// error, 503 + Retry-After, nothing is dropped silently). A write is always taken when nothing waits.
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { DwError } from '../../../src/core/errors.js';
import { claimBatchKeys } from './batch-keys.js';
import { classifyPgError, isTransientPgError } from '../../../src/core/db.js';
import type { Logger } from '../../../src/core/log.js';
import { SinkCommitAmbiguous, SinkFlushError, SinkFlushRetried, SinkRequestBuildError, SinkRetentionError, sinkMetrics } from '../../../src/core/telemetry/index.js';
import { copySinkOptions, type CopySinkOptions, type ResolvedCopySinkOptions } from './config.js';
import { linesSize, mergedBlockLines, mergedBlockLinesSliced, type BlockPart, type MinuteRollup } from './blocks.js';
import { batchKeyOf, takeGroup } from './group.js';
import { CopyOrder, type CopyTurn } from './copy-order.js';
import { TenantShares } from '../../transforms/shares.js';
import { bookkeepingQuery } from './rollup.js';

export interface SinkWrite {
  tenantId: string;
  /** COPY text lines, each ending in '\n': event blocks (blocks.ts) or anomaly rows (copy.ts). */
  lines: string;
  /**
   * Event blocks not built yet (blocks.ts blockParts; `lines` then ''): the sink compresses them
   * at the group commit, one block per (tenant, stream, stream_type) over the group's fresh writes.
   */
  parts?: BlockPart[];
  /** Events (or anomalies) in the write: what usage_counters and the row bounds count, not COPY lines. */
  rows: number;
  /** Bytes counted in usage_counters.bytes (when the sink counts bytes). */
  bytes: number;
  /** Idempotency key: a write whose (tenant, key) is already stored is not stored again. */
  batchKey?: string;
  /**
   * sha256 (hex) of what the write stores, compared when its key is seen again (a key reused for
   * other data is refused). The events sink passes one of the uncompressed content (blocks.ts),
   * so a resend matches whatever the compressor does; absent: the sha256 of `lines`.
   */
  fingerprint?: string;
  /** Events per stream and minute of this write (blocks.ts): added to stream_minutes and stream_totals in the same transaction. */
  rollup?: MinuteRollup;
  /** Payloads sent with pg_notify on the sink's notifyChannel when the write commits (each under 8,000 bytes). */
  notify?: string[];
}

export interface WriteResult {
  duplicate: boolean;
  /** Rows stored by this write, or, for a duplicate, the event count stored the first time. */
  rows: number;
}

export type { CopySinkOptions } from './config.js';

/** A write's outcome in a committed transaction: stored or duplicate, or refused (key reused for other data). */
type Outcome = WriteResult | DwError;
const isRefused = (r: Outcome): r is DwError => !('duplicate' in r);

interface TxState {
  commitSent: boolean;
  /** The ingest_commits row this transaction inserts. */
  markerId: string;
  /** The backend's pid, to wait for it to settle when the connection fails after COMMIT. */
  backendPid: number | undefined;
  /** Set just before COMMIT is sent. */
  results: Outcome[] | undefined;
}

interface Pending {
  w: SinkWrite;
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

const RETRIES = 3;
/** A group's blocks are compressed in slices of about this long (ms), the event loop given back between them. */
const SLICE_MS = 2;
const RETENTION = "interval '7 days'";
const PRUNE_MAX_ROUNDS = 100;

export { fingerprintOf } from './batch-keys.js';

export type CommitOutcome = 'committed' | 'not_committed' | 'unknown';

/**
 * After an error that arrived once COMMIT was sent: did the transaction with this marker commit?
 * Waits (up to waitMs) until the old backend has exited or sits idle outside a transaction, so
 * its transaction is settled, then looks the marker up on a fresh connection. 'unknown' when
 * PostgreSQL cannot be asked or the old backend does not settle in time.
 */
export async function commitOutcome(pool: pg.Pool, markerId: string, backendPid: number | undefined, waitMs = 5_000): Promise<CommitOutcome> {
  let client: pg.PoolClient | undefined;
  try {
    client = await pool.connect();
    if (backendPid !== undefined && backendPid !== 0) {
      const end = Date.now() + waitMs;
      for (;;) {
        const r = await client.query<{ state: string | null }>('SELECT state FROM pg_stat_activity WHERE pid = $1', [backendPid]);
        if (r.rows.length === 0 || r.rows[0].state === 'idle') break;
        if (Date.now() >= end) return 'unknown';
        await new Promise((res) => setTimeout(res, 25));
      }
    }
    const found = await client.query('SELECT 1 FROM ingest_commits WHERE id = $1', [markerId]);
    return found.rows.length > 0 ? 'committed' : 'not_committed';
  } catch {
    return 'unknown';
  } finally {
    client?.release();
  }
}

/** Data errors: invalid input (22), constraint violations (23). One write's rows are at fault (src/core/db.ts decides). */
const isDataError = (err: unknown): boolean => classifyPgError(err) === 'data';

export class CopySink {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #o: ResolvedCopySinkOptions;
  readonly #m: ReturnType<typeof sinkMetrics>;
  readonly #copySql: string;
  #pending: Pending[] = [];
  #pendingRows = 0;
  #pendingBytes = 0;
  #active = 0;
  #due = false;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #idle: (() => void)[] = [];
  /** Flushes in flight that hold a write of the tenant. */
  readonly #flushesOf = new Map<string, number>();
  /** Rows written recently per tenant: who is over its share (group.ts). */
  readonly #shares = new TenantShares();
  /** Flushes in flight taken from the heavy lane. */
  #heavyFlushes = 0;
  /** Batch keys of the writes in flushes in flight (group.ts batchKeyOf): a second write with one waits for that flush. */
  readonly #keysInFlight = new Set<string>();
  /** A tenant's COPYs in the order its flushes were taken (copy-order.ts): its blocks' ids follow submission order. */
  readonly #copyOrder = new CopyOrder();
  /** Counters (STYLE.md §11 names): rows stored, writes failed, duplicates, key conflicts, flushes, ... */
  readonly stats = {
    rowsWritten: 0, writesFailed: 0, duplicates: 0, conflicts: 0, flushes: 0, refusedFull: 0, refusedFullBytes: 0,
    ambiguousCommits: 0, pruneRuns: 0, pruned: 0,
    /** Event blocks built at flushes from writes' parts (COPY lines of transactions that may still fail or retry). */
    blocksBuilt: 0,
    /** Flushes that waited for an earlier flush of one of their tenants to finish its COPY (copy-order.ts). */
    copyTurnWaits: 0,
  };
  #lastPrune = -Infinity;
  #pruning: Promise<void> | undefined;

  constructor(pool: pg.Pool, log: Logger, options: CopySinkOptions) {
    const opts = copySinkOptions(options);
    this.#pool = pool;
    this.#log = log.child({ sink: opts.name });
    this.#o = opts;
    this.#m = sinkMetrics(opts.name);
    this.#copySql = `COPY ${opts.table} (${opts.columns.join(', ')}) FROM STDIN`;
  }

  get pendingRows(): number { return this.#pendingRows; }
  get pendingBytes(): number { return this.#pendingBytes; }

  /** Queues rows; resolves once they are committed (or found already stored), rejects with a DwError. */
  write(w: SinkWrite): Promise<WriteResult> {
    if (this.#closed) return Promise.reject(new DwError('DW_ERR_SHUTTING_DOWN'));
    if (this.#pending.length > 0 && this.#pendingRows + w.rows > this.#o.maxPendingRows) {
      this.stats.refusedFull++;
      this.#m.refused.inc();
      return Promise.reject(new DwError('DW_ERR_UNAVAILABLE', `the ${this.#o.name} buffer is full`));
    }
    const size = linesSize(w);
    if (this.#pending.length > 0 && this.#pendingBytes + size > this.#o.maxPendingBytes) {
      this.stats.refusedFullBytes++;
      this.#m.refused.inc();
      return Promise.reject(new DwError('DW_ERR_UNAVAILABLE', `the ${this.#o.name} buffer is full (${this.#o.maxPendingBytes} bytes waiting)`));
    }
    return new Promise<WriteResult>((resolve, reject) => {
      this.#pending.push({ w, resolve, reject });
      this.#pendingRows += w.rows;
      this.#pendingBytes += size;
      this.#shares.add(w.tenantId, w.rows, Date.now());
      this.#m.pushed.inc(w.rows);
      this.#schedule();
    });
  }

  /** Flushes everything pending, waits for flushes in flight, then refuses further writes. */
  async close(): Promise<void> {
    await this.drain();
    this.#closed = true;
    await this.#pruning;
  }

  /** Deletes ingest_batches and ingest_commits rows older than 7 days, in bounded chunks; returns the count. */
  async prune(): Promise<number> {
    const chunk = this.#o.retentionChunk;
    let total = 0;
    for (const table of ['ingest_batches', 'ingest_commits']) {
      for (let round = 0; round < PRUNE_MAX_ROUNDS; round++) {
        // A TID scan over at most `chunk` rows found through the created_at index. By (tenant_id,
        // ctid), not ctid alone: under Citus a ctid names a row of one shard only, and tenant_id
        // picks the shard (docs/scaling.md).
        const r = await this.#pool.query(
          `DELETE FROM ${table} x USING (
             SELECT tenant_id, ctid AS row FROM ${table} WHERE created_at < now() - ${RETENTION} LIMIT ${chunk}) d
           WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`);
        total += r.rowCount ?? 0;
        if ((r.rowCount ?? 0) < chunk) break;
      }
    }
    return total;
  }

  #maybePrune(): void {
    const now = Date.now();
    if (this.#pruning !== undefined || now - this.#lastPrune < this.#o.retentionCheckMs) return;
    this.#lastPrune = now;
    this.stats.pruneRuns++;
    this.#pruning = this.prune().then(
      (n) => { this.stats.pruned += n; },
      (err: unknown) => { this.#m.retention.inc(); SinkRetentionError.emit(this.#log, { err }); },
    ).finally(() => { this.#pruning = undefined; });
  }

  /** Resolves when nothing is pending or being flushed (writes made meanwhile are included). */
  drain(): Promise<void> {
    if (this.#pending.length === 0 && this.#active === 0) return Promise.resolve();
    this.#due = true;
    this.#kick();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #schedule(): void {
    if (this.#pendingRows >= this.#o.flushMaxRows || this.#due) {
      this.#kick();
    } else if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.#due = true;
        this.#kick();
      }, this.#o.flushIntervalMs);
    }
  }

  #kick(): void {
    while (this.#active < this.#o.maxConcurrentFlushes && this.#pending.length > 0 &&
           (this.#due || this.#pendingRows >= this.#o.flushMaxRows)) {
      const { group, heavy } = this.#take();
      // Only tenants already at their share of the flushes (or the heavy lane at its own) wait: the next flush to end takes them.
      if (group.length === 0) break;
      if (heavy) this.#heavyFlushes++;
      if (this.#pending.length === 0) {
        this.#due = false;
        if (this.#timer !== undefined) { clearTimeout(this.#timer); this.#timer = undefined; }
      }
      this.#active++;
      this.stats.flushes++;
      this.#m.flushes.inc();
      this.#maybePrune();
      const tenants = [...new Set(group.map((p) => p.w.tenantId))];
      for (const t of tenants) this.#flushesOf.set(t, (this.#flushesOf.get(t) ?? 0) + 1);
      const keys = group.map((p) => batchKeyOf(p.w)).filter((k): k is string => k !== undefined);
      for (const k of keys) this.#keysInFlight.add(k);
      const turn = this.#copyOrder.enter(tenants);
      if (turn.turn !== undefined) this.stats.copyTurnWaits++;
      void this.#flushGroup(group, turn).finally(() => {
        turn.copied();
        this.#active--;
        for (const k of keys) this.#keysInFlight.delete(k);
        if (heavy) this.#heavyFlushes--;
        for (const t of tenants) {
          const n = this.#flushesOf.get(t)! - 1;
          if (n > 0) this.#flushesOf.set(t, n);
          else this.#flushesOf.delete(t);
        }
        if (this.#pending.length > 0) this.#schedule();
        else if (this.#active === 0) for (const f of this.#idle.splice(0)) f();
      });
    }
  }

  /** The next group (group.ts: light tenants first, tenants in turn, those at their share of the flushes left waiting). */
  #take(): { group: Pending[]; heavy: boolean } {
    const now = Date.now();
    const { group, rest, rows, bytes, heavy } = takeGroup(this.#pending, this.#flushesOf, {
      maxRows: this.#o.flushMaxRows, maxFlushesPerTenant: this.#o.maxFlushesPerTenant,
      heavy: (t) => this.#shares.heavy(t, now),
      heavyMayStart: this.#heavyFlushes < Math.max(1, this.#o.maxConcurrentFlushes - 1),
      keysInFlight: this.#keysInFlight,
    });
    this.#pending = rest;
    this.#pendingRows -= rows;
    this.#pendingBytes -= bytes;
    this.#m.popped.inc(rows);
    return { group, heavy };
  }

  #settle(group: Pending[], results: Outcome[]): void {
    for (let i = 0; i < group.length; i++) {
      const r = results[i];
      if (isRefused(r)) group[i].reject(r);
      else group[i].resolve(r);
    }
  }

  async #flushGroup(group: Pending[], turn?: CopyTurn): Promise<void> {
    const writes = group.map((p) => p.w);
    // Compressed before BEGIN, in slices: the transaction holds its locks for the COPY only, and
    // the event loop serves other tenants between the blocks. Rebuilt in it if a write turns out a duplicate.
    const stored = writes.filter((w) => w.rows > 0);
    const merged = stored.some((w) => w.parts !== undefined) ? await mergedBlockLinesSliced(stored, SLICE_MS) : undefined;
    // Its turn (copy-order.ts; none for a write retried on its own): before connecting, so nothing is held meanwhile.
    if (turn?.turn !== undefined) await turn.turn;
    for (let attempt = 0; ; attempt++) {
      const state: TxState = { commitSent: false, markerId: randomUUID(), backendPid: undefined, results: undefined };
      try {
        this.#settle(group, await this.#transaction(writes, state, merged === undefined ? undefined : { ...merged, of: stored.length }, turn?.copied));
        return;
      } catch (err) {
        if (state.commitSent && state.results !== undefined) {
          this.stats.ambiguousCommits++;
          const outcome = await commitOutcome(this.#pool, state.markerId, state.backendPid);
          this.#m.ambiguous.inc();
          SinkCommitAmbiguous.emit(this.#log, { err, outcome, writes: group.length });
          if (outcome === 'committed') {
            this.#counted(group.map((p) => p.w), state.results);
            this.#settle(group, state.results);
            return;
          }
          // Known not to have committed: as safe to retry as an error before COMMIT.
          if (outcome === 'not_committed') state.commitSent = false;
        }
        if (isDataError(err) && group.length > 1) {
          this.#m.buildError.inc();
          SinkRequestBuildError.emit(this.#log, { err, writes: group.length });
          for (const p of group) await this.#flushGroup([p]);
          return;
        }
        if (isTransientPgError(err) && !state.commitSent && attempt < RETRIES) {
          this.#m.retry.inc();
          SinkFlushRetried.emit(this.#log, { err, attempt });
          await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
          continue;
        }
        this.stats.writesFailed += group.length;
        this.#m.failed.inc(group.length);
        SinkFlushError.emit(this.#log, { err, writes: group.length });
        const out = isDataError(err)
          ? new DwError('DW_ERR_INVALID_EVENT', `PostgreSQL refused a row (${(err as Error).message})`)
          : new DwError('DW_ERR_UNAVAILABLE', 'storage failed');
        for (const p of group) p.reject(out);
        return;
      }
    }
  }

  /** Counts a committed transaction's writes in stats. */
  #counted(writes: SinkWrite[], results: Outcome[]): void {
    for (let i = 0; i < writes.length; i++) {
      const r = results[i];
      if (isRefused(r)) this.stats.conflicts++;
      else if (r.duplicate) this.stats.duplicates++;
      else {
        this.stats.rowsWritten += writes[i].rows;
        this.#m.rows.inc(writes[i].rows);
      }
    }
  }

  async #transaction(writes: SinkWrite[], state: TxState, merged: { lines: string[]; blocks: number; of: number } | undefined,
    copied: (() => void) | undefined): Promise<Outcome[]> {
    const client = await this.#pool.connect();
    state.backendPid = (client as unknown as { processID?: number }).processID;
    let broken: Error | undefined;
    // A checked-out client has no 'error' listener (pg-pool removes its own): a connection that
    // ends without an ErrorResponse (network cut, server crash) would emit an uncaught 'error'.
    const onError = (e: Error): void => { broken ??= e; };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const results: Outcome[] = writes.map((w) => ({ duplicate: false, rows: w.rows }));
      await claimBatchKeys(client, writes, results);
      const fresh = writes.filter((_, i) => { const r = results[i]; return !isRefused(r) && !r.duplicate && writes[i].rows > 0; });
      if (fresh.length > 0) {
        const copy = client.query(copyStreams.from(this.#copySql));
        // Writes with parts: one block per (tenant, stream) over the group (blocks.ts).
        let lines = fresh.map((w) => w.lines);
        if (fresh.some((w) => w.parts !== undefined)) {
          const m = merged !== undefined && merged.of === fresh.length ? merged : mergedBlockLines(fresh);
          lines = m.lines;
          this.stats.blocksBuilt += m.blocks;
        }
        await pipeline(Readable.from(lines), copy);
      }
      // Every block id of this flush is taken: the tenants' next flush may COPY (copy-order.ts).
      copied?.();
      // Usage, rollups, notify payloads and the marker: one statement (rollup.ts).
      const book = bookkeepingQuery(this.#o, fresh, state.markerId, writes[0].tenantId);
      await client.query(book.text, book.values);
      state.results = results;
      state.commitSent = true;
      await client.query('COMMIT');
      this.#counted(writes, results);
      return results;
    } catch (err) {
      if (!state.commitSent) {
        await client.query('ROLLBACK').catch((e: Error) => { broken = e; });
      }
      if (isTransientPgError(err)) broken = err as Error;
      throw err;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}
