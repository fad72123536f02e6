// The engine's NATS connection and the JetStream objects the roles share (issue 15):
//
//   connect(NATS_URL, reconnect forever) ─► ensure(): stream DW_EVENTS (dw.events.*),
//     stream DW_ANOMALIES (dw.anomalies.*), durable pull consumers dw-store / dw-store-anomalies,
//     KV bucket dw_leases (partition leases of the detect role); NATS_REPLICAS replicas each
//   status: down since when (a reconnect after a node's death is short; JetStream that stays
//   unreachable for UNREACHABLE_AFTER_MS sends ingest to the local spool: cluster/publish.ts)
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { Logger } from '../../src/core/log.js';
import { ANOMALIES_STREAM, EVENTS_STREAM } from './partition.js';

export const STORE_EVENTS_CONSUMER = 'dw-store';
export const STORE_ANOMALIES_CONSUMER = 'dw-store-anomalies';
export const LEASE_BUCKET = 'dw_leases';
/** JetStream unreachable this long: ingest goes to the local spool instead of nacking. */
export const UNREACHABLE_AFTER_MS = 5_000;
/** JetStream's duplicate window on both streams (a resend inside it is dropped by message id). */
const DUPLICATE_WINDOW_NS = 2 * 60 * 1e9;
/** Messages are kept 7 days (a detect checkpoint or a store consumer further behind than that loses them). */
const MAX_AGE_NS = 7 * 86_400 * 1e9;

export interface Nats {
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  leases: KV;
  /** Whether the connection is up now. */
  readonly connected: boolean;
  /** ms since the connection went down (0 while up). */
  downForMs(now?: number): number;
  close(): Promise<void>;
}

export async function openNats(url: string, replicas: number, log: Logger): Promise<Nats> {
  const nc = await connect({
    servers: url.split(','), name: 'driftwatch-engine', maxReconnectAttempts: -1, reconnectTimeWait: 250, waitOnFirstConnect: true, timeout: 5_000,
  });
  let downSince = 0;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') {
        if (downSince === 0) downSince = Date.now();
        log.warn({ server: s.server }, 'ClusterNatsDisconnected: the NATS connection is down; reconnecting');
      } else if (s.type === 'reconnect') {
        downSince = 0;
        log.info({ server: s.server }, 'ClusterNatsReconnected');
      }
    }
  })().catch(() => {});
  const jsm = await jetstreamManager(nc, { timeout: 10_000 });
  await untilPlaced(() => ensureStreams(jsm, replicas), log);
  const js = jetstream(nc, { timeout: 10_000 });
  const leases = await untilPlaced(() => new Kvm(js).create(LEASE_BUCKET, { replicas, history: 1 }), log);
  return {
    nc, js, jsm, leases,
    get connected() { return !nc.isClosed() && downSince === 0; },
    downForMs: (now = Date.now()) => (downSince === 0 ? 0 : now - downSince),
    close: async () => { await nc.drain().catch(() => nc.close()); },
  };
}

/** The leases bucket's keys starting with `prefix`, from its stream's subjects (stream info: no consumer, see lease.ts). */
export async function leaseKeys(jsm: JetStreamManager, prefix: string): Promise<string[]> {
  const base = `$KV.${LEASE_BUCKET}.`;
  const si = await jsm.streams.info(`KV_${LEASE_BUCKET}`, { subjects_filter: `${base}${prefix}>` });
  return Object.keys(si.state.subjects ?? {}).map((s) => s.slice(base.length)).filter((k) => k.startsWith(prefix)).sort();
}

/** How long a start waits for JetStream peers enough for NATS_REPLICAS (a cluster still forming). */
export const PLACEMENT_WAIT_MS = 60_000;

/** JetStream's answer while too few peers are up for the replicas asked (a cluster still forming). */
function isPlacementError(err: unknown): boolean {
  const text = err instanceof Error ? err.message : String(err);
  return /no suitable peers for placement|insufficient resources/i.test(text);
}

/**
 * Runs `ensure` until JetStream can place the replicas: while the cluster is still forming (its
 * other nodes starting, or restarting) a stream of NATS_REPLICAS replicas cannot be placed yet.
 * Retries every 0.25–2 s for PLACEMENT_WAIT_MS, logging each wait; any other error is thrown at once.
 */
export async function untilPlaced<T>(ensure: () => Promise<T>, log: Logger, waitMs = PLACEMENT_WAIT_MS): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await ensure();
    } catch (err) {
      if (!isPlacementError(err) || Date.now() + delay > deadline) throw err;
      log.warn({ err: (err as Error).message, retryInMs: delay }, 'ClusterNatsPlacementWait: JetStream has too few peers for the replicas yet; waiting for the cluster to form');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

async function ensureStream(jsm: JetStreamManager, name: string, subject: string, replicas: number): Promise<void> {
  const cfg = {
    name, subjects: [subject], num_replicas: replicas, storage: StorageType.File, retention: RetentionPolicy.Limits,
    duplicate_window: DUPLICATE_WINDOW_NS, max_msg_size: 1024 * 1024, max_age: MAX_AGE_NS,
  };
  try {
    await jsm.streams.info(name);
  } catch {
    await jsm.streams.add(cfg).catch(async (err: unknown) => {
      // Another engine created it meanwhile.
      await jsm.streams.info(name).catch(() => { throw err; });
    });
  }
}

async function ensureConsumer(jsm: JetStreamManager, stream: string, durable: string, subject: string, replicas: number): Promise<void> {
  try {
    await jsm.consumers.info(stream, durable);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: durable, ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, filter_subject: subject,
      // A store process that dies holds its messages this long before they are redelivered.
      ack_wait: 20 * 1e9, max_ack_pending: 20_000, num_replicas: replicas,
    }).catch(async (err: unknown) => {
      await jsm.consumers.info(stream, durable).catch(() => { throw err; });
    });
  }
}

async function ensureStreams(jsm: JetStreamManager, replicas: number): Promise<void> {
  await ensureStream(jsm, EVENTS_STREAM, 'dw.events.*', replicas);
  await ensureStream(jsm, ANOMALIES_STREAM, 'dw.anomalies.*', replicas);
  await ensureConsumer(jsm, EVENTS_STREAM, STORE_EVENTS_CONSUMER, 'dw.events.*', replicas);
  await ensureConsumer(jsm, ANOMALIES_STREAM, STORE_ANOMALIES_CONSUMER, 'dw.anomalies.*', replicas);
}
