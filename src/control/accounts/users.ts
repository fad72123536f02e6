// Users as the control API reads them: the columns it selects, the row, and usernames derived
// from a name or an email address.
import type pg from 'pg';

export interface UserRow { id: string; email: string; username: string; name: string; role: string; tenant_id: string }
export const USER_COLUMNS = 'id, email, username, name, role, tenant_id';

/** The row without anything else the query selected (a password hash, a session id). */
export const publicUser = (u: UserRow): UserRow => ({ id: u.id, email: u.email, username: u.username, name: u.name, role: u.role, tenant_id: u.tenant_id });

const USERNAME_MAX = 30;

/** `Alice` → `alice`; `Élodie-Marie` → `elodiemarie`; nothing usable → undefined. */
export function usernameBase(raw: string): string | undefined {
  const s = raw.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '').slice(0, USERNAME_MAX);
  return s === '' ? undefined : s;
}

/** The first of `base`, `base2`, `base3`, ... that no user has yet. */
export async function freeUsername(db: pg.PoolClient, base: string): Promise<string> {
  const { rows } = await db.query<{ username: string }>('SELECT username FROM users WHERE username LIKE $1', [`${base}%`]);
  const taken = new Set(rows.map((r) => r.username));
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/** The user of this tenant, or undefined. */
export async function userById(db: pg.Pool, id: string, tenantId: string): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
  return rows[0];
}

/** Renames the user (a null name keeps it); undefined when there is no such user in the tenant. */
export async function renameUser(db: pg.Pool, id: string, tenantId: string, name: string | null): Promise<UserRow | undefined> {
  const { rows } = await db.query<UserRow>(
    `UPDATE users SET name = coalesce($3, name), updated_at = now() WHERE id = $1 AND tenant_id = $2 RETURNING ${USER_COLUMNS}`,
    [id, tenantId, name]);
  return rows[0];
}
