// The fly driver: a tenant's engine is a Fly.io Machine in FLY_APP_NAME, driven through the
// Machines API (https://api.machines.dev/v1, Node's fetch):
//
//   ensure ─▶ GET  /apps/{app}/machines?metadata.driftwatch_tenant=<id>  found (by name) ─▶ adopt (start if stopped)
//          └▶ POST /apps/{app}/machines {name, region, config}  per region of FLY_REGIONS:
//               422 insufficient_capacity / 409 "insufficient …" ─▶ next region
//               409 name taken, 5xx or no answer ─▶ list again: adopt what the lost create made, else retry
//   start / stop / destroy ─▶ POST /machines/{id}/lease (ttl) ─▶ the call with fly-machine-lease-nonce ─▶ DELETE lease
//   waitFor ─▶ GET /machines/{id}/wait?state=…&timeout≤60 ─ 408 ─▶ again until our own deadline
//
// Every request goes through a client-side token bucket per (action, machine) at the rates
// Fly documents (1 req/s, burst 3; get 5 req/s, burst 10); a 429 waits Retry-After (or an
// exponential backoff) and retries. A 404 for a machine created less than notFoundGraceMs ago
// is eventual consistency, retried, not "gone".
import type { Logger } from '../../core/log.js';
import { ProviderError, probeHealth, sleep, type MachineProvider, type MachineSpec, type ProviderMachine, type ProviderState } from './provider.js';

export const NONCE_HEADER = 'fly-machine-lease-nonce';
/** The Machines API answers a wait after at most this long (its proxy's cap). */
export const FLY_WAIT_CAP_SECONDS = 60;

export interface FlyRate { perSecond: number; burst: number }

export interface FlyProviderOptions {
  baseUrl: string;
  token: string;
  app: string;
  regions: readonly string[];
  image: string;
  /** Environment of the engine inside the machine (DATABASE_URL, ...); DRIFTWATCH_TENANT_ID is added. */
  env: Readonly<Record<string, string>>;
  log: Logger;
  /** Port the engine listens on inside the machine (default 8090). */
  enginePort?: number;
  /** Client-side limits (defaults: Fly's published ones). */
  rate?: FlyRate;
  getRate?: FlyRate;
  /** Retries of a 429, 5xx or lost answer (default 6). */
  maxRetries?: number;
  /** First backoff (default 250 ms), doubled per retry, capped at backoffMaxMs (default 8 s). */
  backoffMs?: number;
  backoffMaxMs?: number;
  /** A 404 this soon after our create is eventual consistency (default 20 s). */
  notFoundGraceMs?: number;
  /** Lease TTL in seconds (default 30). */
  leaseTtlSeconds?: number;
  /** Where a machine's engine answers (default `<id>.vm.<app>.internal:<enginePort>`, Fly's private network). */
  addressOf?: (m: FlyMachine) => string;
}

export interface FlyMachine {
  id: string;
  name: string;
  state: string;
  region: string;
  instance_id?: string;
  private_ip?: string;
  config?: { metadata?: Record<string, string> };
  created_at?: string;
}

interface Answer { status: number; body: unknown; headers: Headers }

/** A request that failed with an HTTP answer (status) or without one (status 0). */
export class FlyApiError extends ProviderError {
  readonly flyStatus: string | undefined;
  readonly body: unknown;
  constructor(message: string, status: number, body?: unknown) {
    super(message, status);
    this.name = 'FlyApiError';
    this.body = body;
    this.flyStatus = typeof body === 'object' && body !== null && typeof (body as { status?: unknown }).status === 'string'
      ? (body as { status: string }).status : undefined;
  }
  get text(): string {
    const b = this.body as { error?: unknown } | string | undefined;
    return typeof b === 'string' ? b : typeof b?.error === 'string' ? b.error : '';
  }
}

/** Region-wide lack of capacity (try the next region), as Fly reports it. */
export function isCapacityError(err: unknown): boolean {
  if (!(err instanceof FlyApiError)) return false;
  if (err.flyStatus === 'insufficient_capacity') return true;
  return err.status === 409 && /insufficient (cpus|memory|ips|resources) available|no capacity/i.test(err.text);
}

const isNameTaken = (err: unknown): boolean =>
  err instanceof FlyApiError && (err.flyStatus === 'name_taken' || (err.status === 409 && /already (exists|been taken|in use)/i.test(err.text)));

const isLost = (err: unknown): boolean => err instanceof FlyApiError && ((err.status ?? 0) === 0 || (err.status ?? 0) >= 500);

/** Reservation token bucket: a caller over the rate waits its turn instead of being refused. */
class Buckets {
  #b = new Map<string, { tokens: number; at: number }>();
  async take(key: string, r: FlyRate): Promise<void> {
    const now = Date.now();
    let b = this.#b.get(key);
    if (b === undefined) {
      if (this.#b.size > 10_000) this.#b.clear();
      b = { tokens: r.burst, at: now };
      this.#b.set(key, b);
    }
    b.tokens = Math.min(r.burst, b.tokens + ((now - b.at) / 1000) * r.perSecond);
    b.at = now;
    b.tokens -= 1;
    if (b.tokens < 0) await sleep((-b.tokens / r.perSecond) * 1000);
  }
}

function retryAfterMs(h: string | null): number | undefined {
  if (h === null) return undefined;
  const s = Number(h);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const at = Date.parse(h);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

const STATE_MAP: Record<string, ProviderState> = {
  created: 'created', starting: 'starting', started: 'started', stopping: 'stopping', stopped: 'stopped',
  suspending: 'stopping', suspended: 'stopped', replacing: 'starting', updating: 'starting', launch_failed: 'failed',
  failed: 'failed', destroying: 'destroyed', destroyed: 'destroyed', replaced: 'destroyed',
};

export class FlyProvider implements MachineProvider {
  readonly kind = 'fly' as const;
  readonly stats = { requests: 0, retries429: 0, retriesLost: 0, notFoundRetries: 0, regionFallbacks: 0, adopted: 0, created: 0 };
  #o: FlyProviderOptions;
  #base: string;
  #log: Logger;
  #buckets = new Buckets();
  #createdAt = new Map<string, number>();
  #rate: FlyRate;
  #getRate: FlyRate;
  #port: number;

  constructor(opts: FlyProviderOptions) {
    if (opts.regions.length === 0) throw new TypeError('options.regions must name at least one Fly.io region');
    this.#o = opts;
    this.#base = `${opts.baseUrl.replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(opts.app)}/machines`;
    this.#log = opts.log.child({ component: 'machines-fly' });
    this.#rate = opts.rate ?? { perSecond: 1, burst: 3 };
    this.#getRate = opts.getRate ?? { perSecond: 5, burst: 10 };
    this.#port = opts.enginePort ?? 8090;
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────────────────

  #backoff(attempt: number): number {
    const base = this.#o.backoffMs ?? 250;
    const d = Math.min(base * 2 ** attempt, this.#o.backoffMaxMs ?? 8_000);
    return d / 2 + Math.random() * (d / 2);
  }

  /**
   * One API call: rate-limited, 429 retried after Retry-After; with `retryLost`, 5xx and
   * network failures retried too (never for create, whose retry goes through adoption).
   */
  async #call(action: string, machineId: string | undefined, method: string, path: string,
    opts: { body?: unknown; nonce?: string; retryLost?: boolean; timeoutMs?: number } = {}): Promise<Answer> {
    const max = this.#o.maxRetries ?? 6;
    for (let attempt = 0; ; attempt++) {
      await this.#buckets.take(`${action}:${machineId ?? '-'}`, action === 'get' || action === 'list' ? this.#getRate : this.#rate);
      this.stats.requests++;
      let res: Response;
      try {
        res = await fetch(`${this.#base}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${this.#o.token}`,
            ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(opts.nonce !== undefined ? { [NONCE_HEADER]: opts.nonce } : {}),
          },
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000),
        });
      } catch (err) {
        const e = new FlyApiError(`Fly.io ${action}: no answer (${(err as Error).message})`, 0);
        if (opts.retryLost === true && attempt < max) { this.stats.retriesLost++; await sleep(this.#backoff(attempt)); continue; }
        throw e;
      }
      const text = await res.text();
      let body: unknown = text;
      try { body = text === '' ? undefined : JSON.parse(text); } catch { /* keep the text */ }
      if (res.status === 429 && attempt < max) {
        this.stats.retries429++;
        const wait = Math.max(retryAfterMs(res.headers.get('retry-after')) ?? 0, this.#backoff(attempt));
        this.#log.warn({ action, machineId, waitMs: Math.round(wait), attempt }, 'FlyRateLimited: 429 from the Machines API');
        await sleep(wait);
        continue;
      }
      if (res.status >= 500 && opts.retryLost === true && attempt < max) {
        this.stats.retriesLost++;
        await sleep(this.#backoff(attempt));
        continue;
      }
      if (res.status >= 400 && !(action === 'wait' && res.status === 408)) {
        const msg = typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string' ? (body as { error: string }).error : String(text).slice(0, 200);
        throw new FlyApiError(`Fly.io ${action}${machineId ? ` ${machineId}` : ''}: ${res.status} ${msg}`, res.status, body);
      }
      return { status: res.status, body, headers: res.headers };
    }
  }

  /** #call for a machine, retrying 404s while the machine is young (eventual consistency). */
  async #onMachine(action: string, id: string, method: string, path: string,
    opts: { body?: unknown; nonce?: string; retryLost?: boolean; timeoutMs?: number } = {}): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#call(action, id, method, `/${encodeURIComponent(id)}${path}`, opts);
      } catch (err) {
        if (err instanceof FlyApiError && err.status === 404 && this.#young(id)) {
          this.stats.notFoundRetries++;
          await sleep(Math.min(100 * 2 ** attempt, 1_000));
          continue;
        }
        throw err;
      }
    }
  }

  #young(id: string): boolean {
    const at = this.#createdAt.get(id);
    return at !== undefined && Date.now() - at < (this.#o.notFoundGraceMs ?? 20_000);
  }

  #view(m: FlyMachine): ProviderMachine {
    return {
      id: m.id, name: m.name, state: STATE_MAP[m.state] ?? 'starting', region: m.region ?? null,
      address: this.#o.addressOf?.(m) ?? `${m.id}.vm.${this.#o.app}.internal:${this.#port}`,
    };
  }

  // ── leases ─────────────────────────────────────────────────────────────────────────────

  /** Runs fn holding the machine's lease (acquired with retries while another holder has it). */
  async #withLease<T>(id: string, what: string, fn: (nonce: string) => Promise<T>): Promise<T> {
    let nonce: string | undefined;
    for (let attempt = 0; nonce === undefined; attempt++) {
      try {
        const r = await this.#onMachine('lease', id, 'POST', '/lease', {
          body: { ttl: this.#o.leaseTtlSeconds ?? 30, description: `driftwatch ${what}` }, retryLost: true,
        });
        nonce = (r.body as { data?: { nonce?: string } }).data?.nonce;
        if (typeof nonce !== 'string') throw new FlyApiError(`Fly.io lease ${id}: no nonce in the answer`, r.status, r.body);
      } catch (err) {
        if (err instanceof FlyApiError && err.status === 409 && attempt < (this.#o.maxRetries ?? 6)) {
          await sleep(this.#backoff(attempt));
          continue;
        }
        throw err;
      }
    }
    try {
      return await fn(nonce);
    } finally {
      await this.#onMachine('lease_release', id, 'DELETE', '/lease', { nonce, retryLost: true }).catch((err: unknown) => {
        // Destroyed machines take their lease with them; otherwise it expires after its TTL.
        if (!(err instanceof FlyApiError && err.status === 404)) this.#log.warn({ err, id }, 'FlyLeaseReleaseError');
      });
    }
  }

  // ── MachineProvider ────────────────────────────────────────────────────────────────────

  async #findByName(spec: MachineSpec): Promise<FlyMachine | undefined> {
    const q = new URLSearchParams({ [`metadata.driftwatch_tenant`]: spec.tenantId });
    const r = await this.#call('list', undefined, 'GET', `?${q.toString()}`, { retryLost: true });
    const list = Array.isArray(r.body) ? (r.body as FlyMachine[]) : [];
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

  async ensure(spec: MachineSpec): Promise<ProviderMachine> {
    const found = await this.#findByName(spec);
    if (found !== undefined) return this.#adopt(found);
    const body = (region: string): unknown => ({
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
    });
    const failures: string[] = [];
    for (const region of this.#o.regions) {
      for (let attempt = 0; ; attempt++) {
        try {
          const r = await this.#call('create', undefined, 'POST', '', { body: body(region), timeoutMs: 60_000 });
          const m = r.body as FlyMachine;
          this.#createdAt.set(m.id, Date.now());
          this.stats.created++;
          this.#log.info({ id: m.id, name: m.name, region: m.region }, 'FlyMachineCreated');
          return this.#view(m);
        } catch (err) {
          if (isCapacityError(err)) {
            this.stats.regionFallbacks++;
            failures.push(`${region}: ${(err as Error).message}`);
            this.#log.warn({ region, err: (err as Error).message }, 'FlyRegionFull: trying the next region');
            break;
          }
          if (isNameTaken(err) || isLost(err)) {
            // The create may have happened (the answer was lost), or someone else made it.
            const m = await this.#findByName(spec);
            if (m !== undefined) return this.#adopt(m);
            if (attempt < (this.#o.maxRetries ?? 6)) { this.stats.retriesLost++; await sleep(this.#backoff(attempt)); continue; }
          }
          throw err;
        }
      }
    }
    throw new ProviderError(`no capacity in any of the regions ${this.#o.regions.join(', ')} (${failures.join('; ')})`, 422);
  }

  async start(id: string): Promise<void> {
    await this.#withLease(id, 'start', (nonce) => this.#onMachine('start', id, 'POST', '/start', { nonce, retryLost: true }));
  }

  async stop(id: string): Promise<void> {
    try {
      await this.#withLease(id, 'stop', (nonce) => this.#onMachine('stop', id, 'POST', '/stop', { nonce, retryLost: true, body: { signal: 'SIGTERM', timeout: '10s' } }));
    } catch (err) {
      if (err instanceof FlyApiError && err.status === 404) return; // gone already
      throw err;
    }
  }

  async destroy(id: string): Promise<void> {
    try {
      await this.#withLease(id, 'destroy', (nonce) => this.#onMachine('destroy', id, 'DELETE', '?force=true', { nonce, retryLost: true }));
    } catch (err) {
      if (err instanceof FlyApiError && err.status === 404) return;
      throw err;
    }
    this.#createdAt.delete(id);
  }

  async #getRaw(id: string): Promise<FlyMachine | null> {
    try {
      return (await this.#onMachine('get', id, 'GET', '', { retryLost: true })).body as FlyMachine;
    } catch (err) {
      if (err instanceof FlyApiError && err.status === 404) return null;
      throw err;
    }
  }

  async get(id: string): Promise<ProviderMachine | null> {
    const m = await this.#getRaw(id);
    return m === null ? null : this.#view(m);
  }

  /** Loops on the wait endpoint (each call ≤ 60 s, Fly's cap) until our own deadline. */
  async waitFor(id: string, state: 'started' | 'stopped' | 'destroyed', timeoutMs: number): Promise<ProviderMachine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new ProviderError(`Fly.io machine ${id} was not ${state} within ${timeoutMs} ms`);
      const raw = await this.#getRaw(id);
      const cur = raw === null ? null : this.#view(raw);
      if (cur === null) {
        if (state === 'destroyed') return { id, name: id, state: 'destroyed', region: null, address: null };
        throw new ProviderError(`Fly.io machine ${id} does not exist`, 404);
      }
      if (cur.state === state) return cur;
      if (state === 'started' && (cur.state === 'failed' || cur.state === 'destroyed')) {
        throw new ProviderError(`Fly.io machine ${id} is ${cur.state}; it will not reach started`);
      }
      const seconds = Math.max(1, Math.min(FLY_WAIT_CAP_SECONDS, Math.ceil(remaining / 1000)));
      // instance_id: the machine version the wait is about (Fly asks for it when waiting for stopped).
      const q = new URLSearchParams({ state, timeout: String(seconds), ...(raw!.instance_id !== undefined ? { instance_id: raw!.instance_id } : {}) });
      const r = await this.#onMachine('wait', id, 'GET', `/wait?${q.toString()}`, { retryLost: true, timeoutMs: seconds * 1000 + 15_000 });
      if (r.status === 200) {
        const after = await this.get(id);
        if (after !== null) return after;
        if (state === 'destroyed') return { id, name: id, state: 'destroyed', region: null, address: null };
      }
      // 408: the wait's own cap passed; ask again.
    }
  }

  healthy(machine: ProviderMachine, timeoutMs: number): Promise<boolean> {
    return probeHealth(machine.address, timeoutMs);
  }

  async close(): Promise<void> { /* Fly machines run on without us; nothing to release. */ }
}
