// The scorer's anomaly writes (transforms/score.ts): a task's anomaly rows ─► onAnomalies (the
// engine: the anomalies sink), within each tenant's share of rows being written, and again while
// storage is unavailable.
//
//   write(tenant, rows) ─► over maxAnomalyRowsPerTenant being written: dropped, counted (stats.
//        │                 anomaliesDropped), logged (ScoreAnomaliesDropped, at most every 5 s)
//        ▼
//   onAnomalies(rows) ─► refused as unavailable (DW_ERR_UNAVAILABLE, DW_ERR_DATABASE_UNAVAILABLE):
//        │               tried again every 100 ms doubling to 2 s, until stored or giveUp() (close())
//        ▼
//   settled ─► the tenant's share freed; onSettled() (the scorer's drain checks whether it is idle)
import type { Logger } from '../../src/core/log.js';
import { ScoreAnomalyWriteError } from '../../src/core/telemetry/index.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';

export interface AnomalyWriteStats {
  anomalyWritesFailed: number;
  anomalyWriteRetries: number;
  anomaliesDropped: number;
}

export class AnomalyWrites {
  readonly #log: Logger;
  readonly #onAnomalies: (rows: AnomalyRow[]) => Promise<unknown>;
  readonly #stats: AnomalyWriteStats;
  readonly #onSettled: () => void;
  readonly #maxAnomalyRows: number;
  readonly #anomalyRowsOf = new Map<string, number>();
  #lastAnomalyDropLog = 0;
  #writes = new Set<Promise<unknown>>();
  /** Anomaly writes waiting to be tried again (storage unavailable), and whether close() has given up on them. */
  readonly #retryWaits = new Set<() => void>();
  #giveUp = false;

  constructor(log: Logger, onAnomalies: (rows: AnomalyRow[]) => Promise<unknown>, maxAnomalyRows: number, stats: AnomalyWriteStats, onSettled: () => void) {
    this.#log = log;
    this.#onAnomalies = onAnomalies;
    this.#maxAnomalyRows = maxAnomalyRows;
    this.#stats = stats;
    this.#onSettled = onSettled;
  }

  /** Writes not yet settled. */
  get size(): number { return this.#writes.size; }

  /** Hands a tenant's anomaly rows to the sink, within its share of rows being written (else dropped and counted). */
  write(tenantId: string, rows: AnomalyRow[]): void {
    const held = this.#anomalyRowsOf.get(tenantId) ?? 0;
    if (held + rows.length > this.#maxAnomalyRows) {
      this.#stats.anomaliesDropped += rows.length;
      if (Date.now() - this.#lastAnomalyDropLog <= 5_000) return;
      this.#lastAnomalyDropLog = Date.now();
      this.#log.warn({ tenantId, dropped: this.#stats.anomaliesDropped, intentional: true }, 'ScoreAnomaliesDropped: a tenant has too many anomaly rows being written');
      return;
    }
    this.#anomalyRowsOf.set(tenantId, held + rows.length);
    const p = this.#writeWhileUnavailable(rows).catch((err: unknown) => {
      this.#stats.anomalyWritesFailed++;
      ScoreAnomalyWriteError.emit(this.#log, { err, rows: rows.length });
    });
    this.#writes.add(p);
    void p.finally(() => {
      const left = (this.#anomalyRowsOf.get(tenantId) ?? rows.length) - rows.length;
      if (left > 0) this.#anomalyRowsOf.set(tenantId, left); else this.#anomalyRowsOf.delete(tenantId);
      this.#writes.delete(p);
      this.#onSettled();
    });
  }

  /** Writes waiting for storage to return fail now, and later refusals are not tried again (close(), past its deadline). */
  giveUp(): void {
    this.#giveUp = true;
    for (const wake of this.#retryWaits) wake();
    this.#retryWaits.clear();
  }

  /**
   * onAnomalies(rows), again while storage is unavailable (PostgreSQL down: the sink's own retries
   * span ~350 ms), every 100 ms doubling to 2 s, until stored or the scorer gives up at close():
   * the rows' events are stored (or spooled), so their findings are kept too, not dropped when an
   * outage begins while they are being written. Bounded by maxAnomalyRowsPerTenant (rows being
   * written). A retry of a write that did commit fails on the rows' keys and is not stored twice.
   */
  async #writeWhileUnavailable(rows: AnomalyRow[]): Promise<void> {
    for (let wait = 100; ; wait = Math.min(2 * wait, 2_000)) {
      try {
        await this.#onAnomalies(rows);
        return;
      } catch (err) {
        const code = (err as { code?: unknown } | null)?.code;
        if ((code !== 'DW_ERR_UNAVAILABLE' && code !== 'DW_ERR_DATABASE_UNAVAILABLE') || this.#giveUp) throw err;
        this.#stats.anomalyWriteRetries++;
        await new Promise<void>((resolve) => {
          const t = setTimeout(() => { this.#retryWaits.delete(wake); resolve(); }, wait);
          const wake = (): void => { clearTimeout(t); resolve(); };
          this.#retryWaits.add(wake);
        });
      }
    }
  }
}
