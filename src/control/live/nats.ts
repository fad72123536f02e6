// The live feed's NATS source (issue 15, docs/scaling.md): with NATS_URL every control API
// instance reads the findings the detect role publishes, so any instance serves the dashboard's
// feed whichever detect process scored them, without waiting for the store role's COMMIT.
//
//   detect role ─► JetStream stream DW_ANOMALIES (dw.anomalies.<partition>, msgpack rows)
//     │  an ordered consumer of this instance (ephemeral, no acks): from the stream's tail at start
//     │  (deliver new), after a failure from the sequence after the last one read
//     ▼
//   decodeAnomalyMessage (src/core/anomaly-feed.ts; a payload it did not make is ignored)
//     ─► LiveHub.push ─► the tenant's pages and the alert listeners (ids already delivered
//        by the PostgreSQL NOTIFY path are dropped there, and the NOTIFY's later repeat too)
//
// The stream is created by the engine (engine/cluster/nats.ts); until it exists this source
// retries every RETRY_MS. A JetStream message is kept once per message id: a partition scored
// again after a takeover publishes the same ids, which JetStream drops inside its window and the
// hub's recent ids after it.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { ANOMALIES_STREAM, ANOMALIES_SUBJECTS, decodeAnomalyMessage } from '../../core/anomaly-feed.js';
import type { Logger } from '../../core/log.js';
import type { LiveHub } from './hub.js';

const RETRY_MS = 1_000;

export class NatsAnomalyFeed {
  readonly #url: string;
  readonly #hub: LiveHub;
  readonly #log: Logger;
  #nc: NatsConnection | undefined;
  #iter: ConsumerMessages | undefined;
  #closed = false;
  #lastSeq = 0;
  #loop: Promise<void> | undefined;
  #resolveReady!: () => void;
  /** Resolves once the consumer is in place (findings published from then on are delivered). */
  readonly ready: Promise<void> = new Promise((r) => { this.#resolveReady = r; });
  /** Counters: messages read, payloads ignored (not ours), consumers started. */
  readonly stats = { messages: 0, ignored: 0, consumers: 0 };

  constructor(url: string, hub: LiveHub, log: Logger) {
    this.#url = url;
    this.#hub = hub;
    this.#log = log;
  }

  /** Connects and reads in the background (a NATS that is down does not hold the boot). */
  start(): void {
    this.#loop ??= this.#run();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#iter?.stop();
    await this.#nc?.close().catch(() => {});
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        this.#nc ??= await connect({ servers: this.#url.split(','), name: 'driftwatch-control-live', maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true });
        const js = jetstream(this.#nc, { timeout: 10_000 });
        const c = await js.consumers.get(ANOMALIES_STREAM, this.#lastSeq === 0
          ? { filter_subjects: ANOMALIES_SUBJECTS, deliver_policy: DeliverPolicy.New }
          : { filter_subjects: ANOMALIES_SUBJECTS, deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.#lastSeq + 1 });
        const it = await c.consume({ max_messages: 256 });
        this.#iter = it;
        if (this.#closed) it.stop();
        this.stats.consumers++;
        this.#hub.natsListening = true;
        this.#resolveReady();
        for await (const m of it) {
          this.#lastSeq = m.seq;
          this.stats.messages++;
          const rows = decodeAnomalyMessage(m.data);
          if (rows === undefined) { this.stats.ignored++; continue; }
          try {
            await this.#hub.push(rows);
          } catch (err) {
            this.stats.ignored++;
            this.#log.warn({ err, seq: m.seq }, 'LiveNatsMessageError: a findings message could not be delivered');
          }
        }
      } catch (err) {
        if (this.#closed) break;
        this.#log.warn({ err }, 'LiveNatsError: cannot read the findings stream; retrying');
      } finally {
        this.#hub.natsListening = false;
      }
      if (!this.#closed) await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }
}
