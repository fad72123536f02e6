// Admission of a decoded batch, as named stages, each refusing with its own DwError:
//
//   ingest(tenant, records, bytes, key)
//     ─► checkTenantLimits   the tenant's body bytes and events per batch (413; src/core/tenancy/limits.ts,
//                            read with its quota reading: no I/O per batch)
//     ─► takeRate            its events per second, a token bucket (429 + Retry-After; transforms/limit.ts)
//     ─► waitForBacklog      the scorer's backlog over its high-water mark: wait here (not stored, not acked)
//     ─► admitQuota          the plan's events per month (429 DW_ERR_QUOTA_EXCEEDED; transforms/quota.ts);
//                            a resend of a batch already stored is acknowledged, not refused
//     ─► store               one compressed block per stream (sinks/postgres/blocks.ts) ─► the spool, or
//                            the events sink without one ─► usage counted, quota settled, queued for scoring
//
// Telemetry: every batch is counted on entry and on ack (counter increments only); a refusal
// is counted by the source that answers it (countRefusal) and logged here, rate-limited (emit).
import type pg from 'pg';
import type { Config } from '../src/core/config.js';
import { DwError } from '../src/core/errors.js';
import type { Logger } from '../src/core/log.js';
import { IngestQuotaReadError, ingestMetrics, IngestTenantLimited, IngestTenantQuotaExceeded } from '../src/core/telemetry/index.js';
import { effectiveLimits, NO_LIMITS, type EffectiveLimits, type LimitSource } from '../src/core/tenancy/limits.js';
import { planUsage, type UsageStore } from '../src/core/usage.js';
import { blockLines, blockParts } from './sinks/postgres/blocks.js';
import type { CopySink, SinkWrite } from './sinks/postgres/service.js';
import type { SpooledSink } from './sinks/spool/service.js';
import type { IngestResult } from './sources/common.js';
import { TenantRateLimiter } from './transforms/limit.js';
import { TenantTurns } from './transforms/turns.js';
import { TenantQuota, type QuotaReading, type QuotaTicket, type SharedQuota } from './transforms/quota.js';
import { forScoring } from './transforms/decode.js';
import type { InOrder, Scorer } from './transforms/score.js';
import type { EventRecord } from './types.js';
import type { Publish } from './cluster/cluster.js';

export interface IngestDeps {
  config: Readonly<Config>;
  pool: pg.Pool;
  log: Logger;
  usage: UsageStore;
  scorer: Scorer;
  events: CopySink;
  /** The on-disk spool in front of the events sink (undefined when SPOOL_MAX_BYTES is 0). */
  spool: SpooledSink<SinkWrite, EventRecord[]> | undefined;
  /** Committed records go to the scorer in submission order. */
  toScore: InOrder<{ tenantId: string; records: EventRecord[] }>;
  /** With NATS_URL: the batch goes to JetStream instead (engine/cluster/); 'unreachable': stored here as without it. */
  publish?: Publish;
  /** With NATS_URL: the quota count shared by every ingest node (cluster/quota.ts). */
  sharedQuota?: SharedQuota;
}

const sourceName = (s: LimitSource): string => (s === 'config' ? 'the engine\'s setting' : s === 'plan' ? 'its plan' : 'its own override');

const acked = {
  postgresql: ingestMetrics.ackedBatches.child('postgresql'),
  spool: ingestMetrics.ackedBatches.child('spool'),
  duplicate: ingestMetrics.ackedBatches.child('duplicate'),
  jetstream: ingestMetrics.ackedBatches.child('jetstream'),
};

/** The admission stages of one engine, sharing its rate limiter, quota and per-reading limits. */
export class Ingest {
  readonly rateLimit: TenantRateLimiter;
  readonly quota: TenantQuota;
  /** The event loop's turns, shared by tenants (decoding in the sources, building blocks here). */
  readonly turns = new TenantTurns();
  readonly #d: IngestDeps;
  readonly #global: EffectiveLimits;
  /** Per-tenant limits, computed once per quota reading (a reading is replaced, never changed). */
  readonly #limitsOf = new WeakMap<QuotaReading, EffectiveLimits>();

  constructor(deps: IngestDeps) {
    const { config, pool, usage, log } = deps;
    this.#d = deps;
    this.#global = effectiveLimits(config, NO_LIMITS, NO_LIMITS);
    this.rateLimit = new TenantRateLimiter(config.tenantEventsPerSecond);
    this.quota = new TenantQuota(async (tenantId, monthStartMs) => {
      const p = await planUsage(pool, usage, tenantId, monthStartMs);
      return { plan: p.plan, planName: p.planName, limit: p.limit, used: p.usage.events, limits: { plan: p.planLimits, tenant: p.tenantLimits } };
    }, {
      refreshMs: config.quotaRefreshMs,
      shared: deps.sharedQuota,
      onReadError: (err, tenantId) => IngestQuotaReadError.emit(log, { err, tenantId }),
    });
  }

  /** SourceContext.ingest: admits a batch, stores it durably (resolves after COMMIT or the spool's fsync), queues it for scoring. */
  async ingest(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined, bodyFingerprint?: string): Promise<IngestResult> {
    if (records.length === 0) return { accepted: 0, duplicate: false };
    ingestMetrics.receivedBatches.inc();
    ingestMetrics.receivedEvents.inc(records.length);
    ingestMetrics.receivedBytes.inc(bytes);
    const lim = this.#tenantLimits(await this.quota.current(tenantId));
    this.#checkTenantLimits(tenantId, lim, records.length, bytes);
    this.#takeRate(tenantId, lim, records.length);
    const room = waitForBacklog(this.#d.scorer, tenantId);
    if (room !== undefined) await room;
    const ticket = await this.#admitQuota(tenantId, records.length, batchKey);
    const r = await this.#store(tenantId, records, bytes, batchKey, bodyFingerprint, ticket);
    ingestMetrics.ackedEvents.inc(r.accepted);
    return r;
  }

  /** The tenant's effective limits (read with its quota reading), for the sources to apply before decoding. */
  async limits(tenantId: string): Promise<EffectiveLimits> {
    return this.#tenantLimits(await this.quota.current(tenantId));
  }

  #tenantLimits(r: QuotaReading | undefined): EffectiveLimits {
    if (r?.limits === undefined) return this.#global;
    let l = this.#limitsOf.get(r);
    if (l === undefined) {
      l = effectiveLimits(this.#d.config, r.limits.plan, r.limits.tenant);
      this.#limitsOf.set(r, l);
    }
    return l;
  }

  /** The tenant's own sizes (its plan's or its override); the global ones were applied before decoding. */
  #checkTenantLimits(tenantId: string, lim: EffectiveLimits, events: number, bytes: number): void {
    if (bytes > lim.maxBodyBytes.value) {
      this.#limited(tenantId, 'body', lim);
      throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE',
        `the body or frame is ${bytes} bytes; this tenant's limit is ${lim.maxBodyBytes.value} (${sourceName(lim.maxBodyBytes.source)})`,
        { limit: lim.maxBodyBytes.value, source: lim.maxBodyBytes.source, bytes });
    }
    if (events > lim.maxBatchEvents.value) {
      this.#limited(tenantId, 'batch', lim);
      throw new DwError('DW_ERR_TOO_MANY_EVENTS',
        `the batch has ${events} events; this tenant's limit is ${lim.maxBatchEvents.value} (${sourceName(lim.maxBatchEvents.source)})`,
        { limit: lim.maxBatchEvents.value, source: lim.maxBatchEvents.source, events });
    }
  }

  /** Per-tenant events per second (after authentication and decoding, before storing): 429 + Retry-After, or a nack. */
  #takeRate(tenantId: string, lim: EffectiveLimits, events: number): void {
    const rate = lim.eventsPerSecond.value;
    const wait = this.rateLimit.take(tenantId, events, Date.now(), rate);
    if (wait <= 0) return;
    this.#limited(tenantId, 'rate', lim);
    throw new DwError('DW_ERR_RATE_LIMITED', `more than ${rate} events per second for this tenant (${sourceName(lim.eventsPerSecond.source)}); retry after ${wait} s`,
      { limit: rate, source: lim.eventsPerSecond.source, retryAfterSeconds: wait });
  }

  #limited(tenantId: string, what: 'body' | 'batch' | 'rate', limits: EffectiveLimits): void {
    IngestTenantLimited.emit(this.#d.log, { tenantId, what, limits, refused: this.rateLimit.stats.batchesRefused });
  }

  /**
   * The plan's monthly quota: a batch that would go over is refused whole. A resend of a batch
   * already stored (its ack was lost) is acknowledged again, not refused: the sink finds it a
   * duplicate and counts nothing. One lookup, only on the refusal path.
   */
  async #admitQuota(tenantId: string, events: number, batchKey: string | undefined): Promise<QuotaTicket> {
    try {
      return await this.quota.admit(tenantId, events);
    } catch (err) {
      if (batchKey !== undefined && await batchStored(this.#d.pool, tenantId, batchKey)) return { tenantId, events: 0, month: 0 };
      IngestTenantQuotaExceeded.emit(this.#d.log, { tenantId, refused: this.quota.stats.batchesRefused, details: (err as DwError).details });
      throw err;
    }
  }

  /**
   * The batch cut into one part per stream (compressed by the events sink at its group commit,
   * merged with the group's other writes of the stream), written through the spool (or the events
   * sink), then counted: only when stored now (a resent batch, a duplicate, is acknowledged, not
   * counted). A spooled batch is not stored yet: it is counted in Redis and scored when its replay
   * commits (the spool's onReplayed), but it takes its place in this engine's quota now.
   */
  async #store(
    tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined, bodyFingerprint: string | undefined, ticket: QuotaTicket,
  ): Promise<IngestResult> {
    const { spool, events, toScore, usage } = this.#d;
    // Cutting the batch into blocks' parts (and hashing it) is the batch's second long synchronous
    // step: at the tenant's turn too (and so is encoding the batch's JetStream messages, with NATS_URL).
    await this.turns.take(tenantId);
    if (this.#d.publish !== undefined) {
      const published = await this.#published(tenantId, records, bytes, batchKey, ticket);
      if (published !== undefined) return published;
    }
    // Not compressed here: the sink compresses at the group commit, one block per stream over the
    // group's writes (blocks.ts mergedBlockLines), so a frame of 100 events over 15 streams does
    // not make 15 blocks of ~7 events each.
    // While the spool takes the writes, the blocks are compressed here as before: the spool keeps
    // them compressed on disk (a write that falls back to the spool after a failed direct write
    // keeps its parts: larger on disk, replayed alike).
    const hash = batchKey !== undefined && bodyFingerprint === undefined;
    const built = spool?.stats.spooling === true ? blockLines(tenantId, records, batchKey, undefined, hash) : blockParts(records, hash);
    const fingerprint = batchKey === undefined ? undefined : bodyFingerprint ?? built.fingerprint;
    const w: SinkWrite = 'parts' in built
      ? { tenantId, lines: '', parts: built.parts, rows: records.length, bytes, batchKey, fingerprint, rollup: built.rollup }
      : { tenantId, lines: built.lines, rows: records.length, bytes, batchKey, fingerprint, rollup: built.rollup };
    // The place in scoring order is taken when the write goes to the events sink (storage order):
    // with the spool, that is when it routes the write there, which for a write held for the
    // replay's hand-off is after the last replayed wave took its places (so a stream is scored in
    // stream order through an outage). A spooled write takes none here: its replay does.
    const place: { slot: number | undefined } = { slot: undefined };
    const reserve = (): void => { place.slot = toScore.take(); };
    let r;
    try {
      if (spool !== undefined) {
        r = await spool.write(w, records, reserve);
      } else {
        reserve();
        r = { ...(await events.write(w)), spooled: false };
      }
    } catch (err) {
      this.quota.settle(ticket, 0);
      if (place.slot !== undefined) toScore.complete(place.slot, null);
      throw err;
    }
    const stored = r.duplicate || r.spooled ? 0 : r.rows;
    if (stored > 0) usage.add(tenantId, { events: stored, bytes });
    this.quota.settle(ticket, r.duplicate ? 0 : r.rows);
    // The scorer keeps each line once (decode.ts forScoring: data as text, its JSON rebuilt if asked).
    if (place.slot !== undefined) toScore.complete(place.slot, r.duplicate || r.spooled ? null : { tenantId, records: forScoring(records) });
    (r.duplicate ? acked.duplicate : r.spooled ? acked.spool : acked.postgresql).inc();
    return { accepted: r.rows, duplicate: r.duplicate };
  }

  /**
   * The cluster's ingest role: the batch is acknowledged once JetStream has every part of it; it is
   * stored, counted (usage) and scored by the store and detect roles. undefined: JetStream is
   * unreachable, and the batch is stored here (the spool) as without NATS_URL.
   */
  async #published(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined, ticket: QuotaTicket): Promise<IngestResult | undefined> {
    let r;
    try {
      r = await this.#d.publish!(tenantId, records, bytes, batchKey);
    } catch (err) {
      this.quota.settle(ticket, 0);
      throw err;
    }
    if (r === 'unreachable') return undefined;
    this.quota.settle(ticket, r.duplicate ? 0 : r.accepted);
    (r.duplicate ? acked.duplicate : acked.jetstream).inc();
    return r;
  }
}

/**
 * The detector's backlog: while more than its high-water mark of stored events wait to be
 * scored, new batches wait here (not yet stored, not acked), so memory stays bounded and ingest
 * runs at the rate detection keeps up with.
 */
export function waitForBacklog(scorer: Scorer, tenantId: string): Promise<void> | undefined {
  // The tenant's own share of the backlog (transforms/score.ts): a heavy tenant waits, not the others.
  const room = scorer.room(tenantId);
  if (room !== undefined) ingestMetrics.backlogWaits.inc();
  return room;
}

/** Whether this tenant's batch key is already stored (a resend whose ack was lost). */
export async function batchStored(pool: pg.Pool, tenantId: string, batchKey: string): Promise<boolean> {
  return (await pool.query('SELECT 1 FROM ingest_batches WHERE tenant_id = $1 AND batch_key = $2', [tenantId, batchKey])).rowCount === 1;
}
