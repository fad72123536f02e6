// The events sink as the sink tests start it: a CopySink over event_blocks (BLOCK_COLUMNS) on a
// scratch database with tenants of its own, and log records to write through it.
import { afterAll, beforeAll } from 'vitest';
import type pg from 'pg';
import { BLOCK_COLUMNS } from '../../engine/sinks/postgres/blocks.js';
import { CopySink, type CopySinkOptions } from '../../engine/sinks/postgres/service.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import type { EventRecord } from '../../engine/types.js';
import { createTestDatabase, type TestDatabase } from './db.js';

/** The events sink's options (event_blocks, counted in usage, drop_newest), the test's own on top. */
export const blockSinkOptions = (o: Partial<CopySinkOptions> = {}): CopySinkOptions => ({
  name: 'events', table: 'event_blocks', columns: BLOCK_COLUMNS, usageColumn: 'events', countBytes: true,
  flushIntervalMs: 20, flushMaxRows: 1000, maxPendingRows: 100_000, maxConcurrentFlushes: 2, whenFull: 'drop_newest', ...o,
});

/** A CopySink over event_blocks on `pool` (silent log). */
export const blockSink = (pool: pg.Pool, o: Partial<CopySinkOptions> = {}): CopySink => new CopySink(pool, silentLogger, blockSinkOptions(o));

export interface SinkDatabase {
  /** Set in beforeAll. */
  db: TestDatabase;
  /** One tenant id per name given, in order (set in beforeAll). */
  tenants: string[];
}

/** A scratch database (migrated) with one tenant per name, made in the caller's beforeAll and dropped in its afterAll. */
export function sinkDatabase(...names: string[]): SinkDatabase {
  const s = { tenants: [] as string[] } as SinkDatabase;
  beforeAll(async () => {
    s.db = await createTestDatabase();
    for (const name of names) s.tenants.push((await createTenant(s.db.pool, name)).id);
  });
  afterAll(async () => { await s.db?.drop(); });
  return s;
}

/** `n` log events of one stream, event time i ms, data `${stream} ${i}` (or data(i)), validated as ingest does. */
export const logRecords = (stream: string, n: number, data: (i: number) => string = (i) => `${stream} ${i}`): EventRecord[] =>
  validateEvents(Array.from({ length: n }, (_, i) => ({ timestamp: i, stream_type: 'logs', stream, data: data(i) })), { maxBatchEvents: 1e6, maxEventBytes: 1e6 });
