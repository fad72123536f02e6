// The detect role (issue 15): the partitions this process holds a lease on (lease.ts), each scored
// by one runner (detect.ts PartitionRunner), within the process's bound on states in memory
// (stream-cache.ts) and one pool of detector threads.
//
//   lease acquired ─► PartitionRunner(p).start()   lost ─► stop at once   released ─► checkpoint, stop
//   runners ─► each one's state now (diagnostics: what it awaits, since when; sequences scored and checkpointed)
import { randomUUID } from 'node:crypto';
import { Piscina } from 'piscina';
import type pg from 'pg';
import type { Logger } from '../../src/core/log.js';
import { workerFile } from '../../src/core/paths.js';
import type { DetectorStates } from '../sinks/postgres/state.js';
import type { IdleTickOptions } from '../transforms/idle-ticks.js';
import type { StreamSettings } from '../transforms/stream-settings.js';
import { PartitionRunner } from './detect.js';
import { Leases } from './lease.js';
import { leaseKeys, type Nats } from './nats.js';
import { StreamCache } from './stream-cache.js';

/** The share of MAX_STREAMS one tenant's streams may hold in a detect process (beyond, its own least recently used go). */
const TENANT_SHARE = 0.5;

export interface DetectRoleDeps {
  nats: Nats;
  pool: pg.Pool;
  log: Logger;
  states: DetectorStates;
  settings: StreamSettings;
  threads: number;
  workerFilename?: string;
  leaseMs?: number;
  /** Detector states in memory at most (MAX_STREAMS, default 100,000); one tenant may hold TENANT_SHARE of them. */
  maxStreams?: number;
  /** Idle ticks of quiet logs/traces streams (ticks.ts; everyMs 0 or absent: none). */
  idleTicks?: Readonly<IdleTickOptions>;
}

export interface DetectStats {
  messages: number; scored: number; anomalies: number; checkpoints: number; restarts: number;
  /** Streams whose state was dropped from memory (after a checkpoint), and states loaded from detector_states. */
  evicted: number; loaded: number;
  /** Idle ticks published (one per stream; not a duplicate of a tick message in the log), and sweeps whose tick message JetStream refused (the partition had moved on). */
  ticks: number; ticksRefused: number;
}

/** A runner's state (diagnostics): what its run awaits and what runs in its turn, since when (ms ago); sequences scored and checkpointed. */
export interface RunnerState { partition: number; phase: string; phaseMs: number; task: string | undefined; taskMs: number; lastSeq: number; savedSeq: number; quietMs: number }

export class DetectRole {
  readonly id = randomUUID();
  readonly stats: DetectStats = { messages: 0, scored: 0, anomalies: 0, checkpoints: 0, restarts: 0, evicted: 0, loaded: 0, ticks: 0, ticksRefused: 0 };
  /** The process's bound on detector states in memory. */
  readonly cache: StreamCache;
  readonly pool: Piscina;
  readonly #d: DetectRoleDeps;
  readonly #runners = new Map<number, PartitionRunner>();
  readonly leases: Leases;

  constructor(d: DetectRoleDeps) {
    this.#d = d;
    const max = d.maxStreams ?? 100_000;
    this.cache = new StreamCache({
      max, perTenant: Math.max(1, Math.floor(max * TENANT_SHARE)),
      onEvict: (p, keys) => this.#runners.get(p)?.evict(keys),
    });
    this.pool = new Piscina({ filename: d.workerFilename ?? workerFile('score'), minThreads: 1, maxThreads: d.threads });
    this.leases = new Leases({
      kv: d.nats.leases, id: this.id, log: d.log, leaseMs: d.leaseMs, keys: (prefix) => leaseKeys(d.nats.jsm, prefix),
      onAcquire: (p) => {
        const r = new PartitionRunner(p, this.#d, this.pool, this.stats, this.cache);
        this.#runners.set(p, r);
        r.start();
      },
      onLose: async (p) => { await this.#runners.get(p)?.stop(false); this.#runners.delete(p); },
      onRelease: async (p) => { await this.#runners.get(p)?.stop(true); this.#runners.delete(p); },
    });
  }

  start(): void { this.leases.start(); }

  /** Partitions held now. */
  get partitions(): number[] { return [...this.#runners.keys()].sort((a, b) => a - b); }

  /** Each runner's state now (diagnostics). */
  get runners(): RunnerState[] { return [...this.#runners.values()].map((r) => r.state()).sort((a, b) => a.partition - b.partition); }

  async close(): Promise<void> {
    await this.leases.close();
    await this.pool.destroy();
  }
}
