// The engine's on-disk spool (engine/sinks/spool), measured on this machine:
//
//   spool_append   writes of 100-event batches with PostgreSQL down (the sink's pool points at a
//                  closed port): each write is framed, appended and fdatasync'd in groups before
//                  it resolves, as an ack would wait. 64 writes in flight.
//   spool_replay   the same spool opened again in front of a live CopySink (DATABASE_URL, a fresh
//                  database): events/s until it has drained into PostgreSQL.
//   copy_direct    for comparison: the same batches written to the live CopySink directly, 64
//                  in flight (what the replay competes with).
//
// Prints one line per case: `name: N events/s ...`. Usage:
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres node dist/bench/spool.bench.js [seconds]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPool, migrate } from '../src/core/db.js';
import { silentLogger } from '../src/core/log.js';
import { createTenant } from '../src/core/tenancy/tenants.js';
import { BLOCK_COLUMNS, blockLines } from '../engine/sinks/postgres/blocks.js';
import { CopySink, type SinkWrite } from '../engine/sinks/postgres/service.js';
import { spoolOptions } from '../engine/sinks/spool/config.js';
import { SpooledSink } from '../engine/sinks/spool/service.js';
import { validateEvents } from '../engine/transforms/decode.js';
import type { EventRecord } from '../engine/types.js';
import { scratchDatabase } from './scratch-db.js';

const PER = 100;
const IN_FLIGHT = 64;

function batch(n: number): EventRecord[] {
  const raw = Array.from({ length: PER }, (_, i) => ({
    timestamp: 1_700_000_000_000 + n * PER + i, stream_type: 'logs', stream: `bench-${n % 8}`,
    data: `GET /api/v1/items/${(n * PER + i) % 9973} 200 ${(i * 37) % 500}ms user=${(n + i) % 311}`, metadata: { source: 'bench', host: 'web-1' },
  }));
  return validateEvents(raw, { maxBatchEvents: 1_000, maxEventBytes: 64 * 1024 });
}

const sinkFor = (pool: pg.Pool): CopySink => new CopySink(pool, silentLogger, {
  name: 'events', table: 'event_blocks', columns: BLOCK_COLUMNS, usageColumn: 'events', countBytes: false,
  flushIntervalMs: 10, flushMaxRows: 10_000, maxPendingRows: 100_000, maxConcurrentFlushes: 2, whenFull: 'drop_newest',
});

/**
 * Keeps IN_FLIGHT calls of `call(n)` (n = 1, 2, …) going for `seconds`, then resolves once the
 * last has settled. A call that fails is rethrown unhandled: the bench stops.
 */
function closedLoop(seconds: number, call: (n: number) => Promise<void>): Promise<void> {
  const end = performance.now() + seconds * 1000;
  return new Promise<void>((resolve) => {
    let inFlight = 0;
    let n = 0;
    const launch = (): void => {
      while (inFlight < IN_FLIGHT && performance.now() < end) {
        inFlight++;
        call(++n).then(() => {}, (err: unknown) => { throw err; })
          .finally(() => { inFlight--; if (inFlight === 0 && performance.now() >= end) resolve(); else launch(); });
      }
    };
    launch();
  });
}

const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 5);
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) throw new Error('set DATABASE_URL (a server where the bench may create a database)');
  const scratch = await scratchDatabase(adminUrl, 'spool');
  const live = createPool(scratch.url, 4);
  const dir = await mkdtemp(join(tmpdir(), 'dw-bench-spool-'));
  try {
    await migrate(live);
    const tenantId = (await createTenant(live, 'bench')).id;
    const batches = Array.from({ length: 64 }, (_, n) => batch(n));
    const lines = batches.map((b) => blockLines(tenantId, b, undefined).lines);
    const opts = spoolOptions({ dir, maxBytes: 8 * 1024 ** 3 });

    // PostgreSQL down: a pool on a port where nothing listens.
    const dead = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:9/none', max: 2, connectionTimeoutMillis: 1_000 });
    dead.on('error', () => {});
    const deadSink = sinkFor(dead);
    let spool = await SpooledSink.open<SinkWrite, EventRecord[]>(deadSink, silentLogger, opts, { rowsOf: (_w, a) => a.length, onReplayed: () => {} });
    // The first write finds PostgreSQL down (the sink retries, then refuses): from then on, the spool.
    await spool.write({ tenantId, lines: lines[0], rows: PER, bytes: 0 }, batches[0]);
    const lat: number[] = [];
    let written = 0;
    const start = performance.now();
    const fsync0 = spool.stats.fsyncs;
    await closedLoop(seconds, async (n) => {
      const i = (n - 1) % batches.length;
      const t = performance.now();
      await spool.write({ tenantId, lines: lines[i], rows: PER, bytes: 0, batchKey: `b-${n}` }, batches[i]);
      lat.push(performance.now() - t);
      written++;
    });
    const took = (performance.now() - start) / 1000;
    const s = spool.stats;
    lat.sort((x, y) => x - y);
    console.log(`spool_append: ${Math.round((written * PER) / took)} events/s (${Math.round(written / took)} batches/s of ${PER}, ${IN_FLIGHT} in flight; ` +
      `ack p50 ${pct(lat, 50).toFixed(2)} ms, p99 ${pct(lat, 99).toFixed(2)} ms; ${Math.round((s.fsyncs - fsync0) / took)} fdatasync/s; ` +
      `${(s.bytes / 2 ** 20).toFixed(0)} MiB spooled, ${Math.round(s.bytes / (written + 1))} bytes/batch)`);
    await spool.close();
    await deadSink.close();
    await dead.end();

    // PostgreSQL back: the spool replays into a live sink.
    const liveSink = sinkFor(live);
    let replayed = 0;
    const t0 = performance.now();
    spool = await SpooledSink.open<SinkWrite, EventRecord[]>(liveSink, silentLogger, opts, { rowsOf: (_w, a) => a.length, onReplayed: (_w, a) => { replayed += a.length; } });
    while (spool.stats.spooling) await new Promise((r) => setTimeout(r, 20));
    const replaySec = (performance.now() - t0) / 1000;
    const stored = Number((await live.query<{ n: string }>('SELECT coalesce(sum(count), 0) AS n FROM event_blocks')).rows[0].n);
    console.log(`spool_replay: ${Math.round(replayed / replaySec)} events/s (${replayed} events in ${replaySec.toFixed(1)} s; ${stored} events stored)`);
    await spool.close();
    await liveSink.close();

    const direct = sinkFor(live);
    let stored2 = 0;
    const d0 = performance.now();
    await closedLoop(seconds, async (n) => {
      const i = (n - 1) % batches.length;
      await direct.write({ tenantId, lines: lines[i], rows: PER, bytes: 0, batchKey: `d-${n}` });
      stored2 += PER;
    });
    const dSec = (performance.now() - d0) / 1000;
    console.log(`copy_direct: ${Math.round(stored2 / dSec)} events/s (keyed batches of ${PER}, ${IN_FLIGHT} in flight; replay = ${(replayed / replaySec / (stored2 / dSec)).toFixed(2)} of it)`);
    await direct.close();
  } finally {
    await live.end();
    await scratch.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
