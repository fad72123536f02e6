// Store role (issue 15): JetStream ─► PostgreSQL, acknowledged after COMMIT.
//
//   durable pull consumer dw-store (DW_EVENTS) ─► message: tenant header + events
//     ─► blocks.ts (one compressed block per stream) ─► CopySink.write, batch key = the message id
//        (group commit: one COPY per window; a message seen again, redelivered or resent past
//        JetStream's duplicate window, is found in ingest_batches and stored no second time)
//     ─► COMMIT ─► usage counted (Redis, when not a duplicate) ─► msg.ack()
//   durable pull consumer dw-store-anomalies (DW_ANOMALIES) ─► anomaly rows (deterministic ids,
//     detect.ts) ─► anomalies CopySink, batch key = the message id, pg_notify at COMMIT (the live
//     feed of every control API instance) ─► msg.ack()
//   a tick message (ticks.ts: the detect role's idle ticks, not events) ─► acked, nothing stored or counted
//   a write refused for its data (DW_ERR_CONFLICT: a key reused for other data, a tenant deleted)
//   ─► msg.term(), logged; anything else (PostgreSQL down, the sink full) ─► msg.nak(delay): redelivered.
// Several store processes share each durable consumer: JetStream hands a message to one at a time.
import type { ConsumerMessages, JsMsg } from '@nats-io/jetstream';
import type { Logger } from '../../src/core/log.js';
import { anomalyNotes } from '../../src/core/anomaly-feed.js';
import type { UsageStore } from '../../src/core/usage.js';
import { blockLines } from '../sinks/postgres/blocks.js';
import { anomalyLines } from '../sinks/postgres/copy.js';
import type { CopySink, SinkWrite, WriteResult } from '../sinks/postgres/service.js';
import { fingerprintOf } from '../sinks/postgres/service.js';
import { BYTES_HEADER, TENANT_HEADER } from './publish.js';
import { isTickMessage } from './ticks.js';
import { ANOMALIES_STREAM, decodeAnomalies, decodeEvents, EVENTS_STREAM } from './partition.js';
import { STORE_ANOMALIES_CONSUMER, STORE_EVENTS_CONSUMER, type Nats } from './nats.js';

/** No message for this long while the consumer has some pending: consume again. */
const STALL_MS = 5_000;

export interface StoreRoleDeps {
  nats: Nats;
  events: CopySink;
  anomalies: CopySink;
  usage: UsageStore;
  log: Logger;
  /** Messages being written at once per consumer at most (default 2,000). */
  maxInFlight?: number;
}

export interface StoreStats {
  stored: number; duplicates: number; anomalies: number; retried: number; refused: number;
  /** Tick messages passed over (acked, not stored). */
  ticks: number;
}

/** The message's id (its Nats-Msg-Id header), the batch key of its write. */
const msgId = (m: JsMsg): string => m.headers?.get('Nats-Msg-Id') ?? `seq:${m.seq}`;

export class StoreRole {
  readonly stats: StoreStats = { stored: 0, duplicates: 0, anomalies: 0, retried: 0, refused: 0, ticks: 0 };
  readonly #d: StoreRoleDeps;
  readonly #loops: Promise<void>[] = [];
  readonly #iters: ConsumerMessages[] = [];
  #closing = false;

  constructor(deps: StoreRoleDeps) {
    this.#d = deps;
  }

  start(): void {
    this.#loops.push(this.#run(EVENTS_STREAM, STORE_EVENTS_CONSUMER, (m) => this.#storeEvents(m)));
    this.#loops.push(this.#run(ANOMALIES_STREAM, STORE_ANOMALIES_CONSUMER, (m) => this.#storeAnomalies(m)));
  }

  /** Stops taking messages and waits for those being written (each acked after its COMMIT). */
  async close(): Promise<void> {
    this.#closing = true;
    for (const it of this.#iters) it.stop();
    await Promise.all(this.#loops);
  }

  async #run(stream: string, durable: string, write: (m: JsMsg) => Promise<WriteResult>): Promise<void> {
    const max = this.#d.maxInFlight ?? 2_000;
    const inFlight = new Set<Promise<void>>();
    while (!this.#closing) {
      try {
        const c = await this.#d.nats.js.consumers.get(stream, durable);
        const it = await c.consume({ max_messages: Math.min(max, 1_000) });
        this.#iters.push(it);
        // Watchdog: a consumer whose node died can wait without delivering; with messages pending
        // and none delivered for STALL_MS, the consume starts again.
        let lastAt = Date.now();
        const watch = setInterval(() => {
          if (Date.now() - lastAt < STALL_MS) return;
          lastAt = Date.now();
          void c.info().then((ci) => {
            if (ci.num_pending + ci.num_ack_pending - inFlight.size > 0) {
              this.#d.log.warn({ stream, pending: ci.num_pending }, 'ClusterStoreConsumerStalled: consuming again');
              it.stop();
            }
          }, () => {});
        }, 1_000);
        try {
          for await (const m of it) {
            lastAt = Date.now();
            const p = this.#one(m, write).finally(() => inFlight.delete(p));
            inFlight.add(p);
            while (inFlight.size >= max) await Promise.race(inFlight);
            if (this.#closing) break;
          }
        } finally {
          clearInterval(watch);
        }
      } catch (err) {
        if (this.#closing) break;
        this.#d.log.warn({ err, stream }, 'ClusterStoreConsumeError: the store consumer stopped; it starts again');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    await Promise.all(inFlight);
  }

  async #one(m: JsMsg, write: (m: JsMsg) => Promise<WriteResult>): Promise<void> {
    try {
      const r = await write(m);
      if (r.duplicate) this.stats.duplicates++;
      m.ack();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'DW_ERR_CONFLICT' || code === 'DW_ERR_INVALID_EVENT') {
        this.stats.refused++;
        this.#d.log.error({ err, seq: m.seq, subject: m.subject }, 'ClusterStoreMessageRefused: a message was refused by PostgreSQL for its data; it is dropped');
        m.term();
      } else {
        this.stats.retried++;
        m.nak(1_000);
      }
    }
  }

  async #storeEvents(m: JsMsg): Promise<WriteResult> {
    if (isTickMessage(m.headers)) {
      this.stats.ticks++;
      return { duplicate: false, rows: 0 };
    }
    const tenantId = m.headers?.get(TENANT_HEADER) ?? '';
    const bytes = Number(m.headers?.get(BYTES_HEADER) ?? '0') || 0;
    const records = decodeEvents(m.data);
    const key = msgId(m);
    const built = blockLines(tenantId, records, key, undefined, true);
    const w: SinkWrite = { tenantId, lines: built.lines, rows: records.length, bytes, batchKey: key, fingerprint: built.fingerprint, rollup: built.rollup };
    const r = await this.#d.events.write(w);
    if (!r.duplicate && r.rows > 0) {
      this.stats.stored += r.rows;
      this.#d.usage.add(tenantId, { events: r.rows, bytes });
    }
    return r;
  }

  async #storeAnomalies(m: JsMsg): Promise<WriteResult> {
    const tenantId = m.headers?.get(TENANT_HEADER) ?? '';
    const rows = decodeAnomalies(m.data);
    const ids = rows.map((a) => a.id);
    // The ids are deterministic (detect.ts): a replay's rows have the same ids, whatever their detected_at.
    const fingerprint = fingerprintOf(ids.join(',')).toString('hex');
    const r = await this.#d.anomalies.write({ tenantId, lines: anomalyLines(rows), rows: rows.length, bytes: 0, batchKey: msgId(m), fingerprint, notify: anomalyNotes(tenantId, ids) });
    if (!r.duplicate) {
      this.stats.anomalies += r.rows;
      this.#d.usage.add(tenantId, { anomalies: r.rows });
    }
    return r;
  }
}
