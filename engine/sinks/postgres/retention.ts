// Retention by plan for event blocks and anomalies (plans.retention_days: 7, 30, 90).
//
//   every hour (and at engine start), by one engine at a time (a session advisory lock; the others skip):
//     dw_event_block_partitions(today - 1, today + AHEAD_DAYS)      create the daily partitions ahead
//     DROP TABLE event_blocks_pYYYYMMDD                              days wholly older than the longest
//                                                                    retention: every plan is past them
//     per plan shorter than the longest, per partition that started before its cutoff (and the default one):
//       DELETE its tenants' blocks received before the cutoff       (chunks of `chunk` rows, by
//                                                                    (tenant_id, ctid): a TID scan here;
//                                                                    under Citus a ctid names a row of one
//                                                                    shard and tenant_id picks the shard;
//                                                                    a block is one row for ~100 events)
//     per plan: DELETE its tenants' anomalies detected before the cutoff (same chunks)
//     per plan: DELETE its tenants' stream_minutes (the dashboard's rollup) of minutes before the cutoff
//
// Cutoff = now() − retention_days. Blocks count from received_at (when they were stored), so a
// backfill of old events is kept as long as new ones. A tenant whose plan has no row in `plans`,
// and blocks of a deleted tenant, keep the longest retention. Only this file and the schema's
// function touch partitions.
import type pg from 'pg';
import type { Logger } from '../../../src/core/log.js';
import { RetentionRunCompleted, RetentionRunError } from '../../../src/core/telemetry/index.js';

/** Daily partitions kept ready ahead of today. */
export const AHEAD_DAYS = 7;
const DEFAULT_CHUNK = 10_000;
/** At most this many chunks per table and plan in one run; the rest waits for the next run. */
const MAX_ROUNDS = 100;
const DAY_MS = 86_400_000;
const PARTITION_RE = /^event_blocks_p(\d{4})(\d{2})(\d{2})$/;
const LOCK_TIMEOUT = '5s';
/** Session advisory lock: one retention run at a time across every engine on the database. */
const RETENTION_LOCK = 'driftwatch.retention';

export interface RetentionResult {
  /** Another engine held the retention lock: this one did nothing. */
  skipped: boolean;
  partitionsCreated: number;
  partitionsDropped: string[];
  blocksDeleted: number;
  anomaliesDeleted: number;
}

interface PlanRetention { id: string; days: number }

/** Creates the missing daily partitions from yesterday to AHEAD_DAYS ahead (UTC days); returns how many it created. */
export async function ensurePartitions(db: pg.Pool | pg.PoolClient, aheadDays = AHEAD_DAYS): Promise<number> {
  const { rows } = await db.query<{ made: number }>(
    `SELECT dw_event_block_partitions((now() AT TIME ZONE 'UTC')::date - 1, (now() AT TIME ZONE 'UTC')::date + $1::int) AS made`, [aheadDays]);
  return rows[0].made;
}

/** The daily partitions of event_blocks: name and the UTC day (ms) they start. */
export async function listPartitions(db: pg.Pool): Promise<{ name: string; day: number }[]> {
  const { rows } = await db.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'event_blocks'::regclass ORDER BY 1`);
  const out: { name: string; day: number }[] = [];
  for (const r of rows) {
    const m = PARTITION_RE.exec(r.name);
    if (m) out.push({ name: r.name, day: Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) });
  }
  return out;
}

async function chunked(db: pg.Pool, sql: string, params: unknown[]): Promise<number> {
  let total = 0;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const r = await db.query(sql, params);
    total += r.rowCount ?? 0;
    if ((r.rowCount ?? 0) < (params[params.length - 1] as number)) break;
  }
  return total;
}

export class Retention {
  readonly #db: pg.Pool;
  readonly #log: Logger;
  readonly #chunk: number;
  /** Counters (STYLE.md §11): runs completed and failed, rows and partitions removed in all. */
  readonly stats = { runs: 0, runsFailed: 0, runsSkipped: 0, partitionsCreated: 0, partitionsDropped: 0, blocksDeleted: 0, anomaliesDeleted: 0, minutesDeleted: 0 };

  constructor(db: pg.Pool, log: Logger, opts: { chunk?: number } = {}) {
    this.#db = db;
    this.#log = log.child({ component: 'retention' });
    this.#chunk = opts.chunk ?? DEFAULT_CHUNK;
  }

  /** One pass: partitions ahead, old partitions dropped, each plan's expired blocks and anomalies deleted. */
  async run(now = Date.now()): Promise<RetentionResult> {
    let r: RetentionResult;
    const client = await this.#db.connect();
    // A checked-out client has no 'error' listener (pg-pool removes its own): PostgreSQL going
    // away mid-run would otherwise be an uncaught 'error'. The run's query fails instead.
    let broken: Error | undefined;
    const onError = (e: Error): void => { broken ??= e; };
    client.on('error', onError);
    let locked = false;
    try {
      locked = (await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [RETENTION_LOCK])).rows[0].ok;
      if (!locked) {
        this.stats.runsSkipped++;
        return { skipped: true, partitionsCreated: 0, partitionsDropped: [], blocksDeleted: 0, anomaliesDeleted: 0 };
      }
      r = await this.#run(now, client);
    } catch (err) {
      this.stats.runsFailed++;
      throw err;
    } finally {
      if (locked && broken === undefined) {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [RETENTION_LOCK]).catch((e: Error) => { broken ??= e; });
      }
      client.off('error', onError);
      client.release(broken);
    }
    this.stats.runs++;
    this.stats.partitionsCreated += r.partitionsCreated;
    this.stats.partitionsDropped += r.partitionsDropped.length;
    this.stats.blocksDeleted += r.blocksDeleted;
    this.stats.anomaliesDeleted += r.anomaliesDeleted;
    return r;
  }

  async #run(now: number, client: pg.PoolClient): Promise<RetentionResult> {
    const db = this.#db;
    const { rows: planRows } = await db.query<{ id: string; retention_days: number }>('SELECT id, retention_days FROM plans ORDER BY retention_days');
    const plans: PlanRetention[] = planRows.map((r) => ({ id: r.id, days: r.retention_days }));
    const longest = plans.reduce((m, p) => Math.max(m, p.days), 0);

    // Creating and dropping a partition lock the parent table, which the sinks' COPY waits on:
    // each waits at most LOCK_TIMEOUT for transactions in flight, else the run ends with an
    // error and the next one tries again (partitions exist AHEAD_DAYS ahead).
    const partitions = await listPartitions(db);
    const dropBefore = now - longest * DAY_MS;
    const partitionsDropped: string[] = [];
    let partitionsCreated: number;
    try {
      await client.query(`SET lock_timeout = '${LOCK_TIMEOUT}'`);
      partitionsCreated = await ensurePartitions(client);
      // Whole days past the longest retention: dropped, whatever the tenants' plans.
      for (const p of longest > 0 ? partitions : []) {
        if (p.day + DAY_MS <= dropBefore) {
          await client.query(`DROP TABLE IF EXISTS ${p.name}`);
          partitionsDropped.push(p.name);
        }
      }
    } finally {
      await client.query('RESET lock_timeout');
    }
    if (longest <= 0) return { skipped: false, partitionsCreated, partitionsDropped, blocksDeleted: 0, anomaliesDeleted: 0 };
    const kept = partitions.filter((p) => !partitionsDropped.includes(p.name));

    let blocksDeleted = 0;
    let anomaliesDeleted = 0;
    const cutoffOf = (days: number): Date => new Date(now - days * DAY_MS);
    for (const plan of plans) {
      const cutoff = cutoffOf(plan.days);
      // Tenants without a plan row keep the longest retention: counted with the longest plan.
      const tenants = plan.days === longest
        ? 'SELECT id FROM tenants WHERE plan = $1 OR plan NOT IN (SELECT id FROM plans)'
        : 'SELECT id FROM tenants WHERE plan = $1';
      if (plan.days < longest) {
        const targets = [...kept.filter((p) => p.day < cutoff.getTime()).map((p) => p.name), 'event_blocks_default'];
        for (const part of targets) {
          blocksDeleted += await chunked(db,
            `DELETE FROM ${part} x USING (
               SELECT tenant_id, ctid AS row FROM ${part} WHERE tenant_id IN (${tenants}) AND received_at < $2 LIMIT $3) d
             WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`,
            [plan.id, cutoff, this.#chunk]);
        }
      }
      anomaliesDeleted += await chunked(db,
        `DELETE FROM anomalies x USING (
           SELECT tenant_id, ctid AS row FROM anomalies WHERE tenant_id IN (${tenants}) AND detected_at < $2 LIMIT $3) d
         WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`,
        [plan.id, cutoff, this.#chunk]);
      this.stats.minutesDeleted += await chunked(db,
        `DELETE FROM stream_minutes x USING (
           SELECT tenant_id, ctid AS row FROM stream_minutes WHERE tenant_id IN (${tenants}) AND minute < $2 LIMIT $3) d
         WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`,
        [plan.id, cutoff, this.#chunk]);
    }
    // The default partition is never dropped: what of it is past the longest retention goes by rows
    // (tenants gone from `tenants` included).
    blocksDeleted += await chunked(db,
      `DELETE FROM event_blocks_default x USING (
         SELECT tenant_id, ctid AS row FROM event_blocks_default WHERE received_at < $1 LIMIT $2) d
       WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`,
      [cutoffOf(longest), this.#chunk]);
    anomaliesDeleted += await chunked(db,
      `DELETE FROM anomalies x USING (
         SELECT tenant_id, ctid AS row FROM anomalies WHERE tenant_id NOT IN (SELECT id FROM tenants) AND detected_at < $1 LIMIT $2) d
       WHERE x.tenant_id = d.tenant_id AND x.ctid = d.row`,
      [cutoffOf(longest), this.#chunk]);
    const result = { skipped: false, partitionsCreated, partitionsDropped, blocksDeleted, anomaliesDeleted };
    if (partitionsCreated + partitionsDropped.length + blocksDeleted + anomaliesDeleted > 0) RetentionRunCompleted.emit(this.#log, result);
    else RetentionRunCompleted.add();
    return result;
  }
}

/** Retention runs at start and this often. */
export const RETENTION_EVERY_MS = 3_600_000;

/** Retention in the background (a slow delete never delays start-up or ingest), one run at a time. */
export function scheduleRetention(retention: Retention, log: Logger, everyMs = RETENTION_EVERY_MS): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  const run = (): void => {
    running ??= retention.run().then(() => undefined, (err: unknown) => { RetentionRunError.emit(log, { err }); })
      .finally(() => { running = undefined; });
  };
  run();
  const timer = setInterval(run, everyMs).unref();
  return {
    /** Stops the timer and waits for a run in progress. */
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
