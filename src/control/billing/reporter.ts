// The usage reporter: hourly usage_counters rows of tenants with a Stripe customer become Stripe
// Billing Meter events, each hour once.
//
//   runOnce (one reporter at a time: advisory lock)
//     1. usage_counters ⋈ billing_customers, closed hours not in billing_usage_reports
//          older than 35 days ─▶ INSERT ... 'expired'   (log BillingUsageHourExpired)
//          otherwise          ─▶ INSERT ... 'pending'   (identifier + value fixed here, committed)
//     2. every 'pending' row, oldest first, `concurrency` (8) at a time:
//          billing.meterEvents.create({ event_name, identifier, timestamp: hour, payload })
//            with Idempotency-Key = identifier
//          ok ─▶ 'sent' │ 400/402 ─▶ 'rejected' │ 5xx, 401, network ... ─▶ retry with backoff; still failing ─▶
//          stays 'pending', the run stops (the next run, or `driftwatch billing report`, goes on)
//
// Why an hour is never billed twice: it is claimed (INSERT ... ON CONFLICT DO NOTHING, primary
// key tenant+hour) before anything is sent, and a claimed row is only ever resent with the same
// identifier, timestamp and value under the same Idempotency-Key: after a crash between Stripe's
// answer and our UPDATE, Stripe replays its first answer (idempotency) or refuses the identifier
// it already has (rejected, shown by reconcile), and bills nothing new.
import type pg from 'pg';
import type Stripe from 'stripe';
import type { Logger } from '../../core/log.js';
import { HOUR_SETTLE_MS, USAGE_IDENTIFIER_SQL, backoffMs, lastClosedHour, oldestSendableHour } from './meter.js';
import { isStripeRejection } from './stripe.js';

const REPORTER_LOCK = 0x64770010;

export interface ReporterOptions {
  eventName: string;
  log: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Tries per hour within one run (default 4: one send and three retries). */
  attempts?: number;
  /** Meter events in flight at once (default 8; Stripe allows 1,000 meter event calls a second in live mode). */
  concurrency?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  settleMs?: number;
  now?: () => Date;
}

export interface ReportResult {
  /** Another reporter held the lock (only when not waiting for it). */
  busy: boolean;
  sent: number;
  sentEvents: number;
  expired: number;
  rejected: number;
  /** Hours still pending after this run (Stripe failing). */
  pending: number;
}

interface PendingRow { tenant_id: string; bucket: Date; identifier: string; stripe_customer_id: string; events: string; attempts: number }

export class UsageReporter {
  #pool: pg.Pool;
  #stripe: Stripe;
  #o: Required<Omit<ReporterOptions, 'log' | 'now'>>;
  #log: ReporterOptions['log'];
  #now: () => Date;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<unknown> | undefined;
  #abort = new AbortController();
  readonly stats = { runs: 0, sent: 0, sendErrors: 0, expired: 0, rejected: 0 };

  constructor(pool: pg.Pool, stripe: Stripe, opts: ReporterOptions) {
    this.#pool = pool;
    this.#stripe = stripe;
    this.#log = opts.log;
    this.#now = opts.now ?? (() => new Date());
    this.#o = {
      eventName: opts.eventName, attempts: opts.attempts ?? 4, concurrency: opts.concurrency ?? 8, baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 30_000, settleMs: opts.settleMs ?? HOUR_SETTLE_MS,
    };
  }

  /** Sends every closed, unsent hour now. `wait`: wait for a running reporter instead of returning busy. */
  async runOnce(opts: { wait?: boolean } = {}): Promise<ReportResult> {
    const lock = await this.#pool.connect();
    try {
      if (opts.wait === true) {
        await lock.query('SELECT pg_advisory_lock($1)', [REPORTER_LOCK]);
      } else {
        const { rows } = await lock.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [REPORTER_LOCK]);
        if (!rows[0].ok) return { busy: true, sent: 0, sentEvents: 0, expired: 0, rejected: 0, pending: 0 };
      }
      try {
        this.stats.runs++;
        return await this.#run();
      } finally {
        await lock.query('SELECT pg_advisory_unlock($1)', [REPORTER_LOCK]);
      }
    } finally {
      lock.release();
    }
  }

  async #run(): Promise<ReportResult> {
    const now = this.#now();
    const closed = lastClosedHour(now, this.#o.settleMs);
    const oldest = oldestSendableHour(now);
    const out: ReportResult = { busy: false, sent: 0, sentEvents: 0, expired: 0, rejected: 0, pending: 0 };
    const candidates = `
      FROM usage_counters u JOIN billing_customers c ON c.tenant_id = u.tenant_id
      WHERE u.events > 0 AND u.bucket >= date_trunc('hour', c.created_at) AND u.bucket <= $1
        AND NOT EXISTS (SELECT 1 FROM billing_usage_reports r WHERE r.tenant_id = u.tenant_id AND r.bucket = u.bucket)`;
    const expired = await this.#pool.query<{ tenant_id: string; bucket: Date; events: string }>(
      `INSERT INTO billing_usage_reports (tenant_id, bucket, identifier, stripe_customer_id, events, status, last_error)
       SELECT u.tenant_id, u.bucket, ${USAGE_IDENTIFIER_SQL}, c.stripe_customer_id, u.events, 'expired', 'older than Stripe''s 35-day window'
       ${candidates} AND u.bucket < $2
       ON CONFLICT DO NOTHING RETURNING tenant_id, bucket, events`, [closed, oldest]);
    for (const r of expired.rows) this.#expiredLog(r.tenant_id, r.bucket, r.events);
    out.expired += expired.rowCount ?? 0;
    await this.#pool.query(
      `INSERT INTO billing_usage_reports (tenant_id, bucket, identifier, stripe_customer_id, events, status)
       SELECT u.tenant_id, u.bucket, ${USAGE_IDENTIFIER_SQL}, c.stripe_customer_id, u.events, 'pending'
       ${candidates} AND u.bucket >= $2
       ON CONFLICT DO NOTHING`, [closed, oldest]);
    // Pending rows that fell out of the window while Stripe was unreachable can no longer be sent.
    const late = await this.#pool.query<{ tenant_id: string; bucket: Date; events: string }>(
      `UPDATE billing_usage_reports SET status = 'expired', last_error = 'older than Stripe''s 35-day window'
        WHERE status = 'pending' AND bucket < $1 RETURNING tenant_id, bucket, events`, [oldest]);
    for (const r of late.rows) this.#expiredLog(r.tenant_id, r.bucket, r.events);
    out.expired += late.rowCount ?? 0;
    this.stats.expired += out.expired;

    const { rows } = await this.#pool.query<PendingRow>(
      `SELECT tenant_id, bucket, identifier, stripe_customer_id, events, attempts FROM billing_usage_reports
        WHERE status = 'pending' ORDER BY bucket, tenant_id`);
    // Oldest first, `concurrency` at a time; after a chunk in which Stripe kept failing, stop.
    for (let i = 0; i < rows.length && !this.#abort.signal.aborted; i += this.#o.concurrency) {
      const chunk = rows.slice(i, i + this.#o.concurrency);
      const outcomes = await Promise.all(chunk.map((r) => this.#send(r)));
      for (const [j, o] of outcomes.entries()) {
        if (o === 'sent') { out.sent++; out.sentEvents += Number(chunk[j].events); } else if (o === 'rejected') out.rejected++;
      }
      if (outcomes.includes('failed')) break; // Stripe is failing: leave the rest for the next run
    }
    out.pending = rows.length - out.sent - out.rejected;
    if (out.sent > 0 || out.pending > 0 || out.expired > 0) {
      this.#log.info({ event: 'BillingUsageReported', sent: out.sent, events: out.sentEvents, pending: out.pending, expired: out.expired, rejected: out.rejected },
        'usage reported to Stripe');
    }
    return out;
  }

  #expiredLog(tenantId: string, bucket: Date, events: string): void {
    this.#log.warn({ event: 'BillingUsageHourExpired', tenant_id: tenantId, hour: bucket.toISOString(), events: Number(events) },
      'usage hour older than Stripe\'s 35-day meter window: not billed');
  }

  async #send(r: PendingRow): Promise<'sent' | 'rejected' | 'failed'> {
    let lastErr: unknown;
    for (let attempt = 1; attempt <= this.#o.attempts; attempt++) {
      if (attempt > 1) {
        if (!(await this.#sleep(backoffMs(attempt - 1, this.#o.baseDelayMs, this.#o.maxDelayMs)))) break;
      }
      try {
        await this.#stripe.billing.meterEvents.create({
          event_name: this.#o.eventName,
          identifier: r.identifier,
          timestamp: Math.floor(r.bucket.getTime() / 1000),
          payload: { stripe_customer_id: r.stripe_customer_id, value: String(r.events) },
        }, { idempotencyKey: r.identifier });
        await this.#pool.query(
          `UPDATE billing_usage_reports SET status = 'sent', sent_at = now(), attempts = attempts + $3, last_error = NULL
            WHERE tenant_id = $1 AND bucket = $2`, [r.tenant_id, r.bucket, attempt]);
        this.stats.sent++;
        return 'sent';
      } catch (err) {
        lastErr = err;
        this.stats.sendErrors++;
        if (isStripeRejection(err)) {
          await this.#pool.query(
            `UPDATE billing_usage_reports SET status = 'rejected', attempts = attempts + $3, last_error = $4
              WHERE tenant_id = $1 AND bucket = $2`, [r.tenant_id, r.bucket, attempt, String((err as Error).message).slice(0, 500)]);
          this.stats.rejected++;
          this.#log.error({ event: 'BillingUsageRejected', tenant_id: r.tenant_id, hour: r.bucket.toISOString(), identifier: r.identifier, err },
            'Stripe refused a meter event');
          return 'rejected';
        }
      }
    }
    await this.#pool.query(
      `UPDATE billing_usage_reports SET attempts = attempts + $3, last_error = $4 WHERE tenant_id = $1 AND bucket = $2`,
      [r.tenant_id, r.bucket, this.#o.attempts, String((lastErr as Error | undefined)?.message ?? 'stopped').slice(0, 500)]);
    this.#log.warn({ event: 'BillingUsageSendError', tenant_id: r.tenant_id, hour: r.bucket.toISOString(), err: lastErr, error_code: 'stripe_unavailable' },
      'Stripe did not take a meter event; it stays pending for the next run');
    return 'failed';
  }

  /** Resolves true after ms, false at once if the reporter is stopping. */
  #sleep(ms: number): Promise<boolean> {
    const signal = this.#abort.signal;
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(true); }, ms);
      const onAbort = (): void => { clearTimeout(t); resolve(false); };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Runs now and then every intervalMs until stop(); a run that fails is logged, the next one tries again. */
  start(intervalMs: number, tick: () => Promise<unknown> = () => this.runOnce()): void {
    if (this.#timer !== undefined) return;
    const loop = (): void => {
      this.#running = tick().catch((err: unknown) => {
        this.#log.error({ event: 'BillingUsageRunError', err }, 'usage report run failed');
      }).finally(() => {
        this.#running = undefined;
        if (!this.#abort.signal.aborted) this.#timer = setTimeout(loop, intervalMs);
      });
    };
    this.#timer = setTimeout(loop, 0);
  }

  /** Stops the timer and waits for a run in progress (its backoff sleeps end at once). */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }
}
