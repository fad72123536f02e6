// The engine's roles joined by NATS JetStream (issue 15; docs/scaling.md). Only with NATS_URL:
// without it the engine is one process with its spool, as before, and nothing here runs.
//
//   ingest role ─► ingest.ts #store hands every admitted, decoded batch (HTTP, WebSocket, OTLP and
//                  any other source) to publish (publish.ts) ─► dw.events.<partition>;
//                  its quota check reserves in the count every ingest node shares (quota.ts)
//   store role  ─► store.ts: dw.events.* and dw.anomalies.* ─► COPY ─► ack after COMMIT
//   detect role ─► detect.ts: leased partitions (lease.ts) ─► scored in order ─► dw.anomalies.<partition>;
//                  idle ticks of quiet streams published on dw.events.<partition> (ticks.ts)
//   a process without the ingest role refuses ingest (DW_ERR_UNAVAILABLE: send it to an ingest node)
import type pg from 'pg';
import type { Config } from '../../src/core/config.js';
import { DwError } from '../../src/core/errors.js';
import type { Logger } from '../../src/core/log.js';
import type { UsageStore } from '../../src/core/usage.js';
import type { CopySink } from '../sinks/postgres/service.js';
import { DetectorStates } from '../sinks/postgres/state.js';
import { idleTickOptions } from '../transforms/idle-ticks.js';
import { StreamSettings } from '../transforms/stream-settings.js';
import type { CloseStep } from '../lifecycle.js';
import type { EventRecord } from '../types.js';
import { DetectRole } from './detect-role.js';
import { openNats, type Nats } from './nats.js';
import { PARTITIONS, parseRoles, type Roles } from './partition.js';
import { publishBatch, type PublishResult } from './publish.js';
import { PgQuota } from './quota.js';
import { StoreRole } from './store.js';

export type Publish = (tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined) => Promise<PublishResult | 'unreachable'>;

export interface Cluster {
  roles: Roles;
  nats: Nats;
  /** Where ingest.ts sends a batch (a process without the ingest role refuses it). */
  publish: Publish;
  /** The ingest role's quota count shared with the other ingest nodes (undefined without the ingest role). */
  quota: PgQuota | undefined;
  store: StoreRole | undefined;
  detect: DetectRole | undefined;
  /** Stops the detect and store roles (each finishes and acks what it holds); call before the sinks flush. */
  stopRoles(): Promise<void>;
  /** Closes the NATS connection (after the batches in flight are answered). */
  close(): Promise<void>;
}

export interface ClusterDeps {
  config: Readonly<Config>;
  pool: pg.Pool;
  log: Logger;
  usage: UsageStore;
  events: CopySink;
  anomalies: CopySink;
  workerFilename?: string;
  /** Detect role: a partition lease not renewed for this long is taken over (default 5 s). */
  leaseMs?: number;
}

export async function startCluster(d: ClusterDeps): Promise<Cluster | undefined> {
  const { config, log } = d;
  if (config.natsUrl === undefined) return undefined;
  const roles = parseRoles(config.roles);
  const nats = await openNats(config.natsUrl, config.natsReplicas, log);
  const store = roles.store ? new StoreRole({ nats, events: d.events, anomalies: d.anomalies, usage: d.usage, log }) : undefined;
  const detect = roles.detect
    ? new DetectRole({
      nats, pool: d.pool, log, states: new DetectorStates(d.pool, log), settings: new StreamSettings(d.pool, log),
      threads: config.workerThreads, workerFilename: d.workerFilename, leaseMs: d.leaseMs,
      maxStreams: config.maxStreams,
      idleTicks: idleTickOptions({ everyMs: config.streamIdleTickMs, horizonMs: Math.max(config.streamIdleTickMs, config.streamIdleTtlMs || 3_600_000), maxPerSweep: config.streamIdleTicksMax }),
    })
    : undefined;
  store?.start();
  detect?.start();
  log.info({ roles: config.roles, partitions: PARTITIONS, detectId: detect?.id }, 'ClusterRolesStarted');
  const publish: Publish = roles.ingest
    ? publishBatch(nats)
    : () => Promise.reject(new DwError('DW_ERR_UNAVAILABLE', `this engine runs the roles ${config.roles}, not ingest; send events to an ingest node`));
  let stopped: Promise<void> | undefined;
  const stopRoles = (): Promise<void> => {
    stopped ??= Promise.all([detect?.close(), store?.close()]).then(() => {});
    return stopped;
  };
  return {
    roles, nats, publish, quota: roles.ingest ? new PgQuota(d.pool) : undefined, store, detect, stopRoles,
    async close() {
      await stopRoles();
      await nats.close();
    },
  };
}

/**
 * The engine's close steps with the cluster's: its roles stop (each acks what it has stored and
 * checkpoints what it has scored) once the requests in flight are answered and before the sinks
 * flush; the NATS connection closes last.
 */
export function withClusterSteps(steps: readonly CloseStep[], cluster: Cluster | undefined): readonly CloseStep[] {
  if (cluster === undefined) return steps;
  const out = [...steps];
  const at = out.findIndex(([name]) => name === 'finish requests in flight') + 1;
  out.splice(at, 0, ['stop the cluster roles', () => cluster.stopRoles()]);
  out.push(['close the NATS connection', () => cluster.close()]);
  return out;
}
