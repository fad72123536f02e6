// A client of the Fly.io Machines API (https://api.machines.dev/v1, Node's fetch) for one app:
// the calls the fly driver (fly.ts) makes, with Fly's rate limits, retries and leases.
//
//   list / create / get / start / stop / destroy / wait / lease
//     ─▶ token bucket per (action, machine) at the rates Fly documents (1 req/s, burst 3;
//        get and list 5 req/s, burst 10): a caller over the rate waits its turn
//     ─▶ fetch ─┬─ 429 ─▶ wait Retry-After (or an exponential backoff), again
//               ├─ 5xx or no answer, with retryLost ─▶ backoff, again (never for create: its
//               │     retry goes through adoption, in fly.ts)
//               ├─ ≥ 400 (but a wait's 408) ─▶ FlyApiError
//               └─ answer
//   a machine's 404 less than notFoundGraceMs after our create ─▶ eventual consistency, retried
//   withLease(id, fn) ─▶ POST /lease (409: held by another, retried) ─▶ fn(nonce) ─▶ DELETE /lease
import type { Logger } from '../../core/log.js';
import { ProviderError, sleep } from './provider.js';

export const NONCE_HEADER = 'fly-machine-lease-nonce';

export interface FlyRate { perSecond: number; burst: number }

export interface FlyClientOptions {
  baseUrl: string;
  token: string;
  app: string;
  log: Logger;
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

/** Counters of the client (requests, retries) and of the driver (adoptions, creates, region fallbacks). */
export interface FlyStats {
  requests: number; retries429: number; retriesLost: number; notFoundRetries: number;
  regionFallbacks: number; adopted: number; created: number;
}

interface Answer { status: number; body: unknown; text: string; headers: Headers }
interface CallOptions { body?: unknown; nonce?: string; retryLost?: boolean; timeoutMs?: number }

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

export const isNameTaken = (err: unknown): boolean =>
  err instanceof FlyApiError && (err.flyStatus === 'name_taken' || (err.status === 409 && /already (exists|been taken|in use)/i.test(err.text)));

/** No answer, or a 5xx: the request may or may not have happened. */
export const isLost = (err: unknown): boolean => err instanceof FlyApiError && ((err.status ?? 0) === 0 || (err.status ?? 0) >= 500);

export const isNotFound = (err: unknown): boolean => err instanceof FlyApiError && err.status === 404;

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

function httpError(action: string, machineId: string | undefined, a: Answer): FlyApiError {
  const b = a.body as { error?: unknown } | undefined;
  const msg = typeof b === 'object' && b !== null && typeof b.error === 'string' ? b.error : String(a.text).slice(0, 200);
  return new FlyApiError(`Fly.io ${action}${machineId ? ` ${machineId}` : ''}: ${a.status} ${msg}`, a.status, a.body);
}

export class FlyClient {
  readonly stats: FlyStats = { requests: 0, retries429: 0, retriesLost: 0, notFoundRetries: 0, regionFallbacks: 0, adopted: 0, created: 0 };
  readonly maxRetries: number;
  readonly #o: FlyClientOptions;
  readonly #base: string;
  readonly #log: Logger;
  readonly #buckets = new Buckets();
  readonly #createdAt = new Map<string, number>();
  readonly #rate: FlyRate;
  readonly #getRate: FlyRate;

  constructor(opts: FlyClientOptions) {
    this.#o = opts;
    this.#base = `${opts.baseUrl.replace(/\/+$/, '')}/v1/apps/${encodeURIComponent(opts.app)}/machines`;
    this.#log = opts.log;
    this.#rate = opts.rate ?? { perSecond: 1, burst: 3 };
    this.#getRate = opts.getRate ?? { perSecond: 5, burst: 10 };
    this.maxRetries = opts.maxRetries ?? 6;
  }

  /** Exponential backoff with jitter: half of the step plus up to half again. */
  backoff(attempt: number): number {
    const base = this.#o.backoffMs ?? 250;
    const d = Math.min(base * 2 ** attempt, this.#o.backoffMaxMs ?? 8_000);
    return d / 2 + Math.random() * (d / 2);
  }

  // ── the Machines API ───────────────────────────────────────────────────────────────────

  /** The app's machines whose metadata names the tenant (a server may ignore the filter). */
  async listByTenant(tenantId: string): Promise<FlyMachine[]> {
    const q = new URLSearchParams({ [`metadata.driftwatch_tenant`]: tenantId });
    const r = await this.#call('list', undefined, 'GET', `?${q.toString()}`, { retryLost: true });
    return Array.isArray(r.body) ? (r.body as FlyMachine[]) : [];
  }

  /** One create, not retried (a lost answer is resolved by listing: fly.ts). */
  async create(config: unknown): Promise<FlyMachine> {
    const r = await this.#call('create', undefined, 'POST', '', { body: config, timeoutMs: 60_000 });
    const m = r.body as FlyMachine;
    this.#createdAt.set(m.id, Date.now());
    return m;
  }

  /** The machine, or null when Fly does not know it. */
  async get(id: string): Promise<FlyMachine | null> {
    try {
      return (await this.#onMachine('get', id, 'GET', '', { retryLost: true })).body as FlyMachine;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  async start(id: string, nonce: string): Promise<void> {
    await this.#onMachine('start', id, 'POST', '/start', { nonce, retryLost: true });
  }

  async stop(id: string, nonce: string): Promise<void> {
    await this.#onMachine('stop', id, 'POST', '/stop', { nonce, retryLost: true, body: { signal: 'SIGTERM', timeout: '10s' } });
  }

  async destroy(id: string, nonce: string): Promise<void> {
    await this.#onMachine('destroy', id, 'DELETE', '?force=true', { nonce, retryLost: true });
  }

  /** A destroyed machine: its 404s are final from now on. */
  forget(id: string): void {
    this.#createdAt.delete(id);
  }

  /** One wait (≤ `seconds`, Fly's cap is 60): true when the machine reached the state, false on 408. */
  async wait(id: string, state: string, seconds: number, instanceId: string | undefined): Promise<boolean> {
    // instance_id: the machine version the wait is about (Fly asks for it when waiting for stopped).
    const q = new URLSearchParams({ state, timeout: String(seconds), ...(instanceId !== undefined ? { instance_id: instanceId } : {}) });
    const r = await this.#onMachine('wait', id, 'GET', `/wait?${q.toString()}`, { retryLost: true, timeoutMs: seconds * 1000 + 15_000 });
    return r.status === 200;
  }

  /** Runs fn holding the machine's lease (acquired with retries while another holder has it). */
  async withLease<T>(id: string, what: string, fn: (nonce: string) => Promise<T>): Promise<T> {
    const nonce = await this.#acquireLease(id, what);
    try {
      return await fn(nonce);
    } finally {
      await this.#onMachine('lease_release', id, 'DELETE', '/lease', { nonce, retryLost: true }).catch((err: unknown) => {
        // Destroyed machines take their lease with them; otherwise it expires after its TTL.
        if (!isNotFound(err)) this.#log.warn({ err, id }, 'FlyLeaseReleaseError');
      });
    }
  }

  async #acquireLease(id: string, what: string): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      try {
        const r = await this.#onMachine('lease', id, 'POST', '/lease', {
          body: { ttl: this.#o.leaseTtlSeconds ?? 30, description: `driftwatch ${what}` }, retryLost: true,
        });
        const nonce = (r.body as { data?: { nonce?: string } }).data?.nonce;
        if (typeof nonce !== 'string') throw new FlyApiError(`Fly.io lease ${id}: no nonce in the answer`, r.status, r.body);
        return nonce;
      } catch (err) {
        if (err instanceof FlyApiError && err.status === 409 && attempt < this.maxRetries) {
          await sleep(this.backoff(attempt));
          continue;
        }
        throw err;
      }
    }
  }

  // ── HTTP ───────────────────────────────────────────────────────────────────────────────

  /**
   * One API call: rate-limited, 429 retried after Retry-After; with `retryLost`, 5xx and
   * network failures retried too.
   */
  async #call(action: string, machineId: string | undefined, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      await this.#buckets.take(`${action}:${machineId ?? '-'}`, action === 'get' || action === 'list' ? this.#getRate : this.#rate);
      this.stats.requests++;
      let a: Answer | FlyApiError;
      try {
        a = await this.#send(action, method, path, opts);
      } catch (err) {
        if (!(err instanceof FlyApiError)) throw err;
        a = err;
      }
      const wait = this.#retryWait(action, machineId, a, opts.retryLost === true, attempt);
      if (wait !== undefined) { await sleep(wait); continue; }
      if (a instanceof FlyApiError) throw a;
      if (a.status >= 400 && !(action === 'wait' && a.status === 408)) throw httpError(action, machineId, a);
      return a;
    }
  }

  /** The request; no answer at all is a FlyApiError with status 0. */
  async #send(action: string, method: string, path: string, opts: CallOptions): Promise<Answer> {
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
      throw new FlyApiError(`Fly.io ${action}: no answer (${(err as Error).message})`, 0);
    }
    const text = await res.text();
    let body: unknown = text;
    try { body = text === '' ? undefined : JSON.parse(text); } catch { /* keep the text */ }
    return { status: res.status, body, text, headers: res.headers };
  }

  /** How long to wait before trying again, or undefined to stop here (answer or throw). */
  #retryWait(action: string, machineId: string | undefined, a: Answer | FlyApiError, retryLost: boolean, attempt: number): number | undefined {
    if (attempt >= this.maxRetries) return undefined;
    if (a instanceof FlyApiError || a.status >= 500) {
      if (!retryLost) return undefined;
      this.stats.retriesLost++;
      return this.backoff(attempt);
    }
    if (a.status !== 429) return undefined;
    this.stats.retries429++;
    const wait = Math.max(retryAfterMs(a.headers.get('retry-after')) ?? 0, this.backoff(attempt));
    this.#log.warn({ action, machineId, waitMs: Math.round(wait), attempt }, 'FlyRateLimited: 429 from the Machines API');
    return wait;
  }

  /** #call for a machine, retrying 404s while the machine is young (eventual consistency). */
  async #onMachine(action: string, id: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#call(action, id, method, `/${encodeURIComponent(id)}${path}`, opts);
      } catch (err) {
        if (isNotFound(err) && this.#young(id)) {
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
}
