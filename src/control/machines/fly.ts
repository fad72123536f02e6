// The fly driver: a tenant's engine is a Fly.io Machine in FLY_APP_NAME, driven through the
// Machines API client (fly-client.ts: rate limits, retries, leases):
//
//   ensure ─▶ list machines with metadata.driftwatch_tenant=<id>  found (by name) ─▶ adopt (start if stopped)
//          └▶ create {name, region, config}  per region of FLY_REGIONS:
//               422 insufficient_capacity / 409 "insufficient …" ─▶ next region
//               409 name taken, 5xx or no answer ─▶ list again: adopt what the lost create made, else retry
//   start / stop / destroy ─▶ under the machine's lease
//   waitFor ─▶ the wait endpoint (≤ 60 s a call) ─ 408 ─▶ again until our own deadline
import type { Logger } from '../../core/log.js';
import { FlyClient, isCapacityError, isLost, isNameTaken, isNotFound, type FlyClientOptions, type FlyMachine, type FlyStats } from './fly-client.js';
import { ProviderError, probeHealth, sleep, type MachineProvider, type MachineSpec, type ProviderMachine, type ProviderState } from './provider.js';


/** The Machines API answers a wait after at most this long (its proxy's cap). */
export const FLY_WAIT_CAP_SECONDS = 60;

/** The Machines API client's options (connection, limits, retries, leases), and the provider's own. */
export interface FlyProviderOptions extends FlyClientOptions {
  regions: readonly string[];
  image: string;
  /** Environment of the engine inside the machine (DATABASE_URL, ...); DRIFTWATCH_TENANT_ID is added. */
  env: Readonly<Record<string, string>>;
  /** Port the engine listens on inside the machine (default 8090). */
  enginePort?: number;
  /** Where a machine's engine answers (default `<id>.vm.<app>.internal:<enginePort>`, Fly's private network). */
  addressOf?: (m: FlyMachine) => string;
}

const STATE_MAP: Record<string, ProviderState> = {
  created: 'created', starting: 'starting', started: 'started', stopping: 'stopping', stopped: 'stopped',
  suspending: 'stopping', suspended: 'stopped', replacing: 'starting', updating: 'starting', launch_failed: 'failed',
  failed: 'failed', destroying: 'destroyed', destroyed: 'destroyed', replaced: 'destroyed',
};

const destroyedView = (id: string): ProviderMachine => ({ id, name: id, state: 'destroyed', region: null, address: null });

export class FlyProvider implements MachineProvider {
  readonly kind = 'fly' as const;
  readonly stats: FlyStats;
  readonly #o: FlyProviderOptions;
  readonly #log: Logger;
  readonly #api: FlyClient;
  readonly #port: number;

  constructor(opts: FlyProviderOptions) {
    if (opts.regions.length === 0) throw new TypeError('options.regions must name at least one Fly.io region');
    this.#o = opts;
    this.#log = opts.log.child({ component: 'machines-fly' });
    this.#api = new FlyClient({ ...opts, log: this.#log });
    this.stats = this.#api.stats;
    this.#port = opts.enginePort ?? 8090;
  }

  #view(m: FlyMachine): ProviderMachine {
    return {
      id: m.id, name: m.name, state: STATE_MAP[m.state] ?? 'starting', region: m.region ?? null,
      address: this.#o.addressOf?.(m) ?? `${m.id}.vm.${this.#o.app}.internal:${this.#port}`,
    };
  }

  async #findByName(spec: MachineSpec): Promise<FlyMachine | undefined> {
    const list = await this.#api.listByTenant(spec.tenantId);
    // The filter narrows the list; the name decides (a server ignoring the filter changes nothing).
    return list.find((m) => m.name === spec.name && STATE_MAP[m.state] !== 'destroyed');
  }

  async #adopt(m: FlyMachine): Promise<ProviderMachine> {
    this.stats.adopted++;
    this.#log.info({ id: m.id, name: m.name, state: m.state }, 'FlyMachineAdopted');
    const st = STATE_MAP[m.state];
    if (st === 'stopped' || st === 'created' || st === 'failed' || st === 'stopping') {
      if (st === 'stopping') await this.waitFor(m.id, 'stopped', 60_000).catch(() => undefined);
      await this.start(m.id);
      return { ...this.#view(m), state: 'starting' };
    }
    return this.#view(m);
  }

  #machineConfig(spec: MachineSpec, region: string): unknown {
    return {
      name: spec.name,
      region,
      config: {
        image: this.#o.image,
        env: { ...this.#o.env, DRIFTWATCH_TENANT_ID: spec.tenantId, HOST: '::', ENGINE_PORT: String(this.#port) },
        metadata: { driftwatch_tenant: spec.tenantId, driftwatch_slug: spec.slug },
        guest: { cpu_kind: 'shared', cpus: 1, memory_mb: 512 },
        restart: { policy: 'no' },
        auto_destroy: false,
      },
    };
  }

  async ensure(spec: MachineSpec): Promise<ProviderMachine> {
    const found = await this.#findByName(spec);
    if (found !== undefined) return this.#adopt(found);
    const failures: string[] = [];
    for (const region of this.#o.regions) {
      const made = await this.#createIn(spec, region, failures);
      if (made !== undefined) return made;
    }
    throw new ProviderError(`no capacity in any of the regions ${this.#o.regions.join(', ')} (${failures.join('; ')})`, 422);
  }

  /** Creates (or adopts) the machine in one region; undefined when the region has no capacity. */
  async #createIn(spec: MachineSpec, region: string, failures: string[]): Promise<ProviderMachine | undefined> {
    for (let attempt = 0; ; attempt++) {
      try {
        const m = await this.#api.create(this.#machineConfig(spec, region));
        this.stats.created++;
        this.#log.info({ id: m.id, name: m.name, region: m.region }, 'FlyMachineCreated');
        return this.#view(m);
      } catch (err) {
        if (isCapacityError(err)) {
          this.stats.regionFallbacks++;
          failures.push(`${region}: ${(err as Error).message}`);
          this.#log.warn({ region, err: (err as Error).message }, 'FlyRegionFull: trying the next region');
          return undefined;
        }
        if (isNameTaken(err) || isLost(err)) {
          // The create may have happened (the answer was lost), or someone else made it.
          const m = await this.#findByName(spec);
          if (m !== undefined) return this.#adopt(m);
          if (attempt < this.#api.maxRetries) { this.stats.retriesLost++; await sleep(this.#api.backoff(attempt)); continue; }
        }
        throw err;
      }
    }
  }

  async start(id: string): Promise<void> {
    await this.#api.withLease(id, 'start', (nonce) => this.#api.start(id, nonce));
  }

  async stop(id: string): Promise<void> {
    try {
      await this.#api.withLease(id, 'stop', (nonce) => this.#api.stop(id, nonce));
    } catch (err) {
      if (isNotFound(err)) return; // gone already
      throw err;
    }
  }

  async destroy(id: string): Promise<void> {
    try {
      await this.#api.withLease(id, 'destroy', (nonce) => this.#api.destroy(id, nonce));
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    this.#api.forget(id);
  }

  async get(id: string): Promise<ProviderMachine | null> {
    const m = await this.#api.get(id);
    return m === null ? null : this.#view(m);
  }

  /** Loops on the wait endpoint (each call ≤ 60 s, Fly's cap) until our own deadline. */
  async waitFor(id: string, state: 'started' | 'stopped' | 'destroyed', timeoutMs: number): Promise<ProviderMachine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ProviderError(`Fly.io machine ${id} was not ${state} within ${timeoutMs} ms`);
      const raw = await this.#api.get(id);
      if (raw === null) {
        if (state === 'destroyed') return destroyedView(id);
        throw new ProviderError(`Fly.io machine ${id} does not exist`, 404);
      }
      const cur = this.#view(raw);
      if (cur.state === state) return cur;
      if (state === 'started' && (cur.state === 'failed' || cur.state === 'destroyed')) {
        throw new ProviderError(`Fly.io machine ${id} is ${cur.state}; it will not reach started`);
      }
      const seconds = Math.max(1, Math.min(FLY_WAIT_CAP_SECONDS, Math.ceil(remaining / 1000)));
      if (await this.#api.wait(id, state, seconds, raw.instance_id)) {
        const after = await this.get(id);
        if (after !== null) return after;
        if (state === 'destroyed') return destroyedView(id);
      }
      // 408: the wait's own cap passed; ask again.
    }
  }

  healthy(machine: ProviderMachine, timeoutMs: number): Promise<boolean> {
    return probeHealth(machine.address, timeoutMs);
  }

  async close(): Promise<void> { /* Fly machines run on without us; nothing to release. */ }
}
