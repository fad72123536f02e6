// The scorer's view of stream_settings: (tenant, stream) ─► {profile, threshold, sessionField}, cached.
//
//   get(tenant, stream) ─► fresh cache entry (ttlMs)? ──yes──► it
//                          │ no
//                          ▼
//                          SELECT profile, threshold_offset, session_field ─► effectiveThreshold ─► cache (≤ maxEntries, oldest out)
//
// Asked at scoring time only, never on the ack path. A failed lookup is logged and falls back
// to the last known settings of the stream, else the balanced profile (the detectors' default).
import type pg from 'pg';
import type { Logger } from '../../src/core/log.js';
import { ScoreSettingsLookupError } from '../../src/core/telemetry/index.js';
import { effectiveThreshold, PROFILES, SESSION_FIELD_PATTERN, type Profile } from '../../src/core/tenancy/profiles.js';

export interface StreamProfile {
  profile: Profile;
  threshold: number;
  /** The metadata field that keys the stream's sessions (ScoreTask.sessionField); absent: automatic. */
  sessionField?: string;
}

export const DEFAULT_PROFILE: Readonly<StreamProfile> = Object.freeze({ profile: 'balanced', threshold: effectiveThreshold('balanced', 0) });

const SESSION_FIELD = new RegExp(SESSION_FIELD_PATTERN);

export interface StreamSettingsOptions {
  /** How long a looked-up value is used before it is read again (default 5 s). */
  ttlMs?: number;
  /** Streams cached at most (default 10,000; the oldest entry goes first). */
  maxEntries?: number;
}

interface Entry { at: number; value: Readonly<StreamProfile> }

export class StreamSettings {
  readonly #pool: pg.Pool;
  readonly #log: Logger;
  readonly #ttl: number;
  readonly #max: number;
  readonly #cache = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Readonly<StreamProfile>>>();
  readonly stats = { lookups: 0, lookupErrors: 0 };

  constructor(pool: pg.Pool, log: Logger, opts: StreamSettingsOptions = {}) {
    const ttl = opts.ttlMs ?? 5_000;
    const max = opts.maxEntries ?? 10_000;
    if (!Number.isFinite(ttl) || ttl < 0) throw new TypeError('options.ttlMs must be a non-negative number');
    if (!Number.isInteger(max) || max < 1) throw new TypeError('options.maxEntries must be a positive integer');
    this.#pool = pool;
    this.#log = log;
    this.#ttl = ttl;
    this.#max = max;
  }

  /** The cached settings when fresh, else undefined (then call get()). */
  peek(tenantId: string, stream: string): Readonly<StreamProfile> | undefined {
    const e = this.#cache.get(`${tenantId}\u0000${stream}`);
    return e !== undefined && Date.now() - e.at < this.#ttl ? e.value : undefined;
  }

  /** The stream's settings; never rejects. Concurrent calls for one stream share a query. */
  get(tenantId: string, stream: string): Promise<Readonly<StreamProfile>> {
    const key = `${tenantId}\u0000${stream}`;
    const hit = this.peek(tenantId, stream);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.#loading.get(key);
    if (p === undefined) {
      p = this.#load(key, tenantId, stream).finally(() => this.#loading.delete(key));
      this.#loading.set(key, p);
    }
    return p;
  }

  async #load(key: string, tenantId: string, stream: string): Promise<Readonly<StreamProfile>> {
    this.stats.lookups++;
    let value: Readonly<StreamProfile>;
    try {
      const { rows } = await this.#pool.query<{ profile: string; threshold_offset: number; session_field: string | null }>(
        'SELECT profile, threshold_offset, session_field FROM stream_settings WHERE tenant_id = $1 AND stream = $2', [tenantId, stream]);
      const r = rows[0];
      if (r === undefined) value = DEFAULT_PROFILE;
      else {
        const profile = (PROFILES as readonly string[]).includes(r.profile) ? (r.profile as Profile) : 'balanced';
        // The table's CHECK holds it to the pattern; anything else (a hand-edited row) is automatic.
        const threshold = effectiveThreshold(profile, Number(r.threshold_offset));
        const field = r.session_field;
        value = Object.freeze(typeof field === 'string' && SESSION_FIELD.test(field) ? { profile, threshold, sessionField: field } : { profile, threshold });
      }
    } catch (err) {
      this.stats.lookupErrors++;
      ScoreSettingsLookupError.emit(this.#log, { err });
      // Not cached: the next task asks again.
      return this.#cache.get(key)?.value ?? DEFAULT_PROFILE;
    }
    this.#cache.delete(key);
    this.#cache.set(key, { at: Date.now(), value });
    if (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value as string);
    return value;
  }
}
