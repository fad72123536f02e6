// The setup of the detect takeover tests: a three-node JetStream cluster, ingest and store in
// this process (test/engine/harness.ts, the real detectors), two detect processes (children),
// a NATS connection with the lease bucket and a JetStream manager. start() in beforeAll, close()
// in afterAll (it stops whatever was started, also after a failed start).
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { startHarness, type Harness } from '../engine/harness.js';
import { spawnEngine, type EngineProc } from '../helpers/engine-proc.js';
import { startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

export interface DetectPair {
  cluster: NatsCluster;
  h: Harness;
  /** The two detect processes. */
  procs: EngineProc[];
  nc: NatsConnection;
  /** The lease bucket dw_leases. */
  kv: KV;
  jsm: JetStreamManager;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** `env`: more environment for the two detect processes (over the defaults below). */
export function detectPair(env: Record<string, string> = {}): DetectPair {
  const d = { procs: [] as EngineProc[] } as unknown as DetectPair;
  d.start = async () => {
    d.cluster = await startNatsCluster();
    d.h = await startHarness({ natsUrl: d.cluster.url, natsReplicas: 3, roles: 'ingest,store' }, 'real');
    // No idle ticks (engine/cluster/ticks.ts): these tests compare a stream sent with pauses (a
    // kill, a takeover) with one sent without, and a pause past 10 s would be a silence of its own.
    const all = { DATABASE_URL: d.h.db.url, NATS_URL: d.cluster.url, NATS_REPLICAS: '3', STREAM_IDLE_TICK_MS: '0', ...env };
    d.procs.push(await spawnEngine(all, 'detect'), await spawnEngine(all, 'detect'));
    d.nc = await connect({ servers: d.cluster.url.split(','), maxReconnectAttempts: -1 });
    d.kv = await new Kvm(d.nc).open('dw_leases');
    d.jsm = await jetstreamManager(d.nc);
  };
  d.close = async () => {
    for (const p of d.procs) await p.stop();
    await d.nc?.close();
    await d.h?.close();
    await d.cluster?.stop();
  };
  return d;
}
