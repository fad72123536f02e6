// The in-memory layer of the routing table: subdomain → route (or "known absent"), each entry
// with the version it was written at and an expiry. No I/O here: src/core/routing/table.ts feeds it
// from PostgreSQL, from Redis and from pub/sub messages, in whatever order they arrive, and
// offer() keeps the newest:
//
//   offer(sub, route | null, version, ttl) ─┬─ a fresh entry holds a newer version ─▶ refused (stale)
//                                            └─ otherwise ─▶ stored, expires after ttl
//
// An expired entry no longer counts: a route removed long ago, whose removal message this
// instance missed, must not keep a later (version 0) "absent" read out.

/** A route as the table hands it out. `version` grows with every change of any route. */
export interface Route {
  readonly subdomain: string;
  /** "host:port" of the tenant's engine. */
  readonly address: string;
  readonly machineId: string | null;
  readonly tenantId: string | null;
  readonly version: number;
  readonly updatedAt: string;
}

export interface CacheEntry {
  /** null: known absent (negative caching, or a removal). */
  readonly route: Route | null;
  readonly version: number;
  readonly expiresAt: number;
}

/** A subdomain is one DNS label, lower-case: what slugify() makes of a tenant's name. */
export const SUBDOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** "host:port": a DNS name or IPv4 address, or a bracketed IPv6 address, and a port. */
export const ADDRESS_RE = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

export function isSubdomain(s: unknown): s is string {
  return typeof s === 'string' && SUBDOMAIN_RE.test(s);
}

export function isAddress(s: unknown): s is string {
  if (typeof s !== 'string') return false;
  const m = ADDRESS_RE.exec(s);
  if (m === null) return false;
  const port = Number(m[1]);
  return port >= 1 && port <= 65535;
}

/** Splits "host:port" (IPv6 in brackets) for net.connect / http.request. */
export function splitAddress(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i);
  return { host: host.startsWith('[') ? host.slice(1, -1) : host, port: Number(address.slice(i + 1)) };
}

export class RouteCache {
  readonly #entries = new Map<string, CacheEntry>();
  readonly #maxEntries: number;

  constructor(opts: { maxEntries?: number } = {}) {
    const max = opts.maxEntries ?? 100_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new TypeError('options.maxEntries must be a positive integer');
    this.#maxEntries = max;
  }

  /** The entry if it has not expired (its route may be null: known absent). */
  get(subdomain: string, now = Date.now()): CacheEntry | undefined {
    const e = this.#entries.get(subdomain);
    if (e === undefined) return undefined;
    if (e.expiresAt <= now) {
      this.#entries.delete(subdomain);
      return undefined;
    }
    return e;
  }

  /** Stores what a read or a message says unless a fresh entry holds a newer version; true if stored. */
  offer(subdomain: string, route: Route | null, version: number, ttlMs: number, now = Date.now()): boolean {
    const held = this.get(subdomain, now);
    if (held !== undefined && held.version > version) return false;
    // Delete first so that the entry moves to the end: the oldest written is evicted first.
    this.#entries.delete(subdomain);
    this.#entries.set(subdomain, Object.freeze({ route, version, expiresAt: now + ttlMs }));
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    return true;
  }

  drop(subdomain: string): void {
    this.#entries.delete(subdomain);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
