// Sessions of signed-in users: an access token is honoured only while its session is not
// revoked (logout, refresh-token reuse). Shared by both servers through PrincipalResolver.
import type pg from 'pg';
import { DwError } from '../errors.js';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** How long a session's "not revoked" answer is trusted (revocation delay across instances). */
export const SESSION_CACHE_MS = 2_000;

/**
 * Answers "is this session still valid for this user" from PostgreSQL, caching answers for a
 * short while. This process forgets a session at once when it revokes it; other instances see
 * the revocation within cacheMs.
 */
export class SessionGuard {
  #pool: pg.Pool;
  #cacheMs: number;
  #cache = new Map<string, { at: number; userId: string | null; active: boolean }>();
  readonly #staleMs: number;
  readonly #isUnavailable: (err: unknown) => boolean;

  /** staleIfUnavailableMs: an active answer this recent still holds while the database is unreachable (default 0). */
  constructor(pool: pg.Pool, opts: { cacheMs: number; staleIfUnavailableMs?: number; isUnavailable?: (err: unknown) => boolean }) {
    this.#pool = pool;
    this.#cacheMs = opts.cacheMs;
    this.#staleMs = opts.staleIfUnavailableMs ?? 0;
    this.#isUnavailable = opts.isUnavailable ?? (() => false);
  }

  async assertActive(sessionId: string | undefined, userId: string): Promise<void> {
    if (sessionId === undefined || !UUID_RE.test(sessionId)) throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid session');
    const now = Date.now();
    let hit = this.#cache.get(sessionId);
    if (hit === undefined || now - hit.at >= this.#cacheMs) {
      let rows: { user_id: string; active: boolean }[];
      try {
        ({ rows } = await this.#pool.query<{ user_id: string; active: boolean }>(
          'SELECT user_id, revoked_at IS NULL AS active FROM sessions WHERE id = $1', [sessionId]));
      } catch (err) {
        if (hit?.active === true && hit.userId === userId && now - hit.at < this.#staleMs && this.#isUnavailable(err)) return;
        throw err;
      }
      hit = { at: now, userId: rows[0]?.user_id ?? null, active: rows[0]?.active ?? false };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(sessionId, hit);
    }
    if (!hit.active || hit.userId !== userId) throw new DwError('DW_ERR_UNAUTHORIZED', 'the session has ended; sign in again');
  }

  /** Drops a cached answer (call after revoking a session). */
  forget(sessionId: string): void {
    this.#cache.delete(sessionId);
  }
}

