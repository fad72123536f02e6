// The alert dispatcher: queues a notification per detection incident, sends due deliveries, and
// raises the system alerts. One per control API instance; any number may run on one database.
//
//   LiveHub.onAnomalies ─► foldAnomalies (incidents.ts) ─► alert_deliveries (pending) ─► kick()
//   every ALERT_SYSTEM_CHECK_MS ─► checkSystem (system.ts: quota 80/100%, VM crashes) ─► kick()
//   every hour ─► pruneHistory (system.ts: delivery log and system events older than 90 days)
//   kick() / every ALERT_POLL_MS ─► tenants with due rows ─► per tenant, claim them:
//        UPDATE … WHERE tenant_id = $t AND id IN (SELECT … WHERE tenant_id = $t … FOR UPDATE SKIP LOCKED)
//        status sending, attempts + 1, locked_until now + lease ─► Senders.send
//        ─► sent | pending (next_attempt_at = now + base × 2^(attempts−1)) | failed (ALERT_MAX_ATTEMPTS)
//
// A row is claimed by one instance (SKIP LOCKED; a claim is a lease: a row left 'sending' by an
// instance that died is claimed again after LEASE_MS, so it may then be sent twice; the delivery
// id header lets a receiver drop the repeat).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { DwError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { UsageStore } from '../../core/usage.js';
import { AlertDeliveryError, AlertFoldError, alertMetrics } from '../../core/telemetry/catalog.js';
import { type AlertMessage, backoffMs } from './format.js';
import { type FoldAnomaly, foldAnomalies } from './incidents.js';
import type { Senders, SendTarget } from './senders.js';
import { checkSystem, pruneHistory } from './system.js';

export const LEASE_MS = 60_000;
const PRUNE_MS = 3_600_000;
const CLAIM_BATCH = 20;

export interface DispatcherOptions {
  retryBaseMs: number; maxAttempts: number; pollMs: number; systemCheckMs: number; windowMs: number;
  dashboardUrl: string; now?: () => Date;
}

interface Claimed extends SendTarget { id: string; tenant_id: string; attempts: number; payload: AlertMessage }

export class AlertDispatcher {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #o: DispatcherOptions;
  readonly #senders: Senders;
  readonly #usage: UsageStore;
  readonly #now: () => Date;
  readonly #timers: NodeJS.Timeout[] = [];
  #running: Promise<void> | undefined;
  #again = false;
  #closed = false;
  readonly #work = new Set<Promise<unknown>>();
  /** folded: announced anomalies this instance looked at (every instance counts each one). */
  readonly stats = { folded: 0, sent: 0, failedAttempts: 0 };

  constructor(pool: pg.Pool, log: Logger, senders: Senders, usage: UsageStore, o: DispatcherOptions) {
    this.#pool = pool;
    this.#log = log.child({ component: 'alerts' });
    this.#senders = senders;
    this.#usage = usage;
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
  }

  start(): void {
    const poll = setInterval(() => this.kick(), this.#o.pollMs);
    const sys = setInterval(() => { void this.#track(this.checkSystem()).catch((err: unknown) => this.#log.warn({ err }, 'AlertSystemCheckError')); }, this.#o.systemCheckMs);
    const prune = setInterval(() => { void this.#track(pruneHistory(this.#pool)).catch((err: unknown) => this.#log.warn({ err }, 'AlertPruneError')); }, PRUNE_MS);
    poll.unref();
    sys.unref();
    prune.unref();
    this.#timers.push(poll, sys, prune);
    this.kick();
  }

  /** The live hub's listener: fold, then send what was queued. */
  async onAnomalies(tenantId: string, list: readonly FoldAnomaly[]): Promise<void> {
    if (this.#closed) return;
    let r: { queued: number; folded: number };
    try {
      r = await this.#track(foldAnomalies(this.#pool, tenantId, list, { windowMs: this.#o.windowMs, dashboardUrl: this.#o.dashboardUrl, now: this.#now }));
    } catch (err) {
      AlertFoldError.emit(this.#log, { err, tenant_id: tenantId, anomalies: list.length }, list.length);
      return;
    }
    this.stats.folded += r.folded;
    alertMetrics.folded.inc(r.folded);
    if (r.queued > 0) this.kick();
  }

  /** Quota and VM checks now (also run every systemCheckMs). */
  async checkSystem(): Promise<number> {
    const queued = await checkSystem(this.#pool, this.#usage, { now: this.#now(), dashboardUrl: this.#o.dashboardUrl });
    if (queued > 0) this.kick();
    return queued;
  }

  /** Runs due deliveries until none is left (one run at a time; a kick during a run runs again). */
  kick(): void {
    if (this.#closed) return;
    if (this.#running !== undefined) { this.#again = true; return; }
    this.#running = this.#track((async () => {
      do {
        this.#again = false;
        try {
          while (!this.#closed && await this.runDue() === CLAIM_BATCH) { /* more are due */ }
        } catch (err) {
          this.#log.warn({ err }, 'AlertDispatchError: due deliveries could not be read');
        }
      } while (this.#again && !this.#closed);
    })()).finally(() => { this.#running = undefined; });
  }

  /**
   * Claims up to CLAIM_BATCH due deliveries and sends them; returns how many were claimed. The
   * tenants with due deliveries are read first (longest waiting first, no lock), then each one's
   * are claimed by a query that names the tenant: under Citus (docs/scaling.md) the claim's FOR
   * UPDATE SKIP LOCKED then runs in that tenant's shard, which a claim across tenants could not.
   */
  async runDue(): Promise<number> {
    const { rows: tenants } = await this.#pool.query<{ tenant_id: string }>(
      `SELECT tenant_id FROM alert_deliveries
        WHERE (status = 'pending' OR (status = 'sending' AND locked_until < now())) AND next_attempt_at <= now()
        GROUP BY tenant_id ORDER BY min(next_attempt_at) LIMIT $1`, [CLAIM_BATCH]);
    const claimed: Claimed[] = [];
    for (const { tenant_id: tenantId } of tenants) {
      if (claimed.length >= CLAIM_BATCH) break;
      const { rows } = await this.#pool.query<Claimed>(
        `UPDATE alert_deliveries d SET status = 'sending', attempts = d.attempts + 1, locked_until = now() + make_interval(secs => $1)
           FROM alert_channels c
          WHERE d.tenant_id = $3 AND c.tenant_id = d.tenant_id AND c.id = d.channel_id AND d.id IN (
                SELECT id FROM alert_deliveries
                 WHERE tenant_id = $3 AND (status = 'pending' OR (status = 'sending' AND locked_until < now())) AND next_attempt_at <= now()
                 ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED)
          RETURNING d.id, d.tenant_id, d.attempts, d.payload, c.kind, c.target, c.secret`, [LEASE_MS / 1000, CLAIM_BATCH - claimed.length, tenantId]);
      claimed.push(...rows);
    }
    await Promise.all(claimed.map((r) => this.#deliver(r)));
    return claimed.length;
  }

  async #deliver(r: Claimed): Promise<void> {
    const res = await this.#senders.send(r, r.payload, r.id);
    if (res.ok) {
      this.stats.sent++;
      alertMetrics.attempts.child(r.kind, 'sent').inc();
      await this.#pool.query(
        `UPDATE alert_deliveries SET status = 'sent', sent_at = now(), response_code = $2, last_error = NULL, locked_until = NULL
          WHERE tenant_id = $3 AND id = $1`, [r.id, res.code, r.tenant_id]);
      return;
    }
    this.stats.failedAttempts++;
    const last = r.attempts >= this.#o.maxAttempts;
    alertMetrics.attempts.child(r.kind, last ? 'failed' : 'retry').inc();
    AlertDeliveryError.emit(this.#log, { delivery_id: r.id, kind: r.kind, attempts: r.attempts, code: res.code, error: res.error });
    await this.#pool.query(
      `UPDATE alert_deliveries SET status = $2, response_code = $3, last_error = $4, locked_until = NULL,
              next_attempt_at = now() + make_interval(secs => $5) WHERE tenant_id = $6 AND id = $1`,
      [r.id, last ? 'failed' : 'pending', res.code, res.error, backoffMs(this.#o.retryBaseMs, r.attempts) / 1000, r.tenant_id]);
  }

  /** Queues a test message to the channel and tries it at once; returns the delivery's id (retried like any other when it fails). */
  async sendTest(tenantId: string, channelId: string): Promise<string> {
    const m: AlertMessage = {
      event: 'test', title: 'Test notification from driftwatch', url: this.#o.dashboardUrl,
      text: 'This channel is set up: alerts for incidents, quota thresholds and engine VM crashes will arrive here.', data: { tenant_id: tenantId },
    };
    // Inserted already claimed (sending, attempt 1, leased), so no poll of any instance takes it
    // before this request has made its first attempt; a failure is retried like any other.
    const { rows } = await this.#pool.query<Claimed>(
      `WITH d AS (
         INSERT INTO alert_deliveries (id, tenant_id, channel_id, event, dedupe_key, payload, status, attempts, locked_until)
         SELECT $1, $2, id, 'test', $4, $5, 'sending', 1, now() + make_interval(secs => $6) FROM alert_channels WHERE id = $3 AND tenant_id = $2
         RETURNING id, tenant_id, attempts, payload, channel_id)
       SELECT d.id, d.tenant_id, d.attempts, d.payload, c.kind, c.target, c.secret FROM d JOIN alert_channels c ON c.tenant_id = d.tenant_id AND c.id = d.channel_id`,
      [randomUUID(), tenantId, channelId, `test:${randomUUID()}`, m, LEASE_MS / 1000]);
    if (rows.length === 0) throw new DwError('DW_ERR_NOT_FOUND', 'alert channel');
    await this.#track(this.#deliver(rows[0]));
    return rows[0].id;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    await Promise.allSettled([...this.#work]);
    this.#senders.close();
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#work.add(p);
    void p.finally(() => this.#work.delete(p)).catch(() => undefined);
    return p;
  }
}
