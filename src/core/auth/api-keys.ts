// API keys for agents: `dw_` + 32 base62-ish chars of 192 random bits, shown once, stored as
// sha256 (a fast hash is right for a high-entropy secret). The prefix (first 11 chars) is kept
// in clear so that users can tell keys apart.
import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export const API_KEY_PREFIX = 'dw_';
export const API_KEY_SCOPES = ['ingest', 'read'] as const;

export interface NewApiKey { key: string; prefix: string; hash: Buffer }

export function generateApiKey(): NewApiKey {
  const key = API_KEY_PREFIX + randomBytes(24).toString('base64url');
  return { key, prefix: key.slice(0, 11), hash: hashApiKey(key) };
}

export const hashApiKey = (key: string): Buffer => createHash('sha256').update(key).digest();

export const looksLikeApiKey = (token: string): boolean => token.startsWith(API_KEY_PREFIX) && token.length >= 30 && token.length <= 64;

export interface ApiKeyRecord { id: string; tenantId: string; scopes: string[] }

/** Looks a presented key up; null when unknown or revoked. Touches last_used_at at most once a minute. */
export async function findApiKey(pool: pg.Pool, key: string): Promise<ApiKeyRecord | null> {
  const { rows } = await pool.query<{ id: string; tenant_id: string; scopes: string[]; stale: boolean }>(
    `SELECT id, tenant_id, scopes, (last_used_at IS NULL OR last_used_at < now() - interval '1 minute') AS stale
       FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
    [hashApiKey(key)],
  );
  if (rows.length === 0) return null;
  const r = rows[0];
  if (r.stale) await pool.query('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [r.id]);
  return { id: r.id, tenantId: r.tenant_id, scopes: r.scopes };
}

/** Creates a key for a tenant and returns the clear key (the only time it exists). */
export async function createApiKey(
  pool: pg.Pool | pg.PoolClient,
  tenantId: string,
  opts: { name?: string; scopes?: readonly string[]; createdBy?: string | null } = {},
): Promise<{ id: string; key: string; prefix: string; name: string; scopes: string[]; created_at: string }> {
  const k = generateApiKey();
  const { rows } = await pool.query<{ id: string; name: string; scopes: string[]; created_at: Date }>(
    `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, created_by)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, scopes, created_at`,
    [tenantId, opts.name ?? '', k.prefix, k.hash, opts.scopes ?? [...API_KEY_SCOPES], opts.createdBy ?? null],
  );
  const r = rows[0];
  return { id: r.id, key: k.key, prefix: k.prefix, name: r.name, scopes: r.scopes, created_at: r.created_at.toISOString() };
}
