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
  #cache = new Map<string, { at: number; userId: string | null; active: boolean; tenantId: string | null; role: string | null }>();
  readonly #staleMs: number;
  readonly #isUnavailable: (err: unknown) => boolean;

  /** staleIfUnavailableMs: an active answer this recent still holds while the database is unreachable (default 0). */
  constructor(pool: pg.Pool, opts: { cacheMs: number; staleIfUnavailableMs?: number; isUnavailable?: (err: unknown) => boolean }) {
    this.#pool = pool;
    this.#cacheMs = opts.cacheMs;
    this.#staleMs = opts.staleIfUnavailableMs ?? 0;
    this.#isUnavailable = opts.isUnavailable ?? (() => false);
  }

  /**
   * Throws unless the session is active and belongs to `userId`; returns that user's tenant and
   * role as the database has them now: what a request acts as (issue 12: a token's own
   * tenant_id and role claims are never trusted, even when correctly signed).
   */
  async assertActive(sessionId: string | undefined, userId: string): Promise<{ tenantId: string; role: string }> {
    if (sessionId === undefined || !UUID_RE.test(sessionId)) throw new DwError('DW_ERR_UNAUTHORIZED', 'invalid session');
    const now = Date.now();
    let hit = this.#cache.get(sessionId);
    if (hit === undefined || now - hit.at >= this.#cacheMs) {
      let rows: { user_id: string; active: boolean; tenant_id: string; role: string }[];
      try {
        ({ rows } = await this.#pool.query<{ user_id: string; active: boolean; tenant_id: string; role: string }>(
          `SELECT s.user_id, s.revoked_at IS NULL AS active, u.tenant_id, u.role
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1`, [sessionId]));
      } catch (err) {
        if (hit?.active === true && hit.userId === userId && hit.tenantId !== null && hit.role !== null && now - hit.at < this.#staleMs && this.#isUnavailable(err)) {
          return { tenantId: hit.tenantId, role: hit.role };
        }
        throw err;
      }
      hit = { at: now, userId: rows[0]?.user_id ?? null, active: rows[0]?.active ?? false, tenantId: rows[0]?.tenant_id ?? null, role: rows[0]?.role ?? null };
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(sessionId, hit);
    }
    if (!hit.active || hit.userId !== userId || hit.tenantId === null || hit.role === null) throw new DwError('DW_ERR_UNAUTHORIZED', 'the session has ended; sign in again');
    return { tenantId: hit.tenantId, role: hit.role };
  }

  /** Drops a cached answer (call after revoking a session). */
  forget(sessionId: string): void {
    this.#cache.delete(sessionId);
  }
}

