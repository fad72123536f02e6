// bench/events-read: GET /api/v1/events' reader over a deep page of large, highly compressible
// events (issue 12, item 3): how long the event loop stalls while a page is read, against the
// ceiling of the same work done the way the reader did it before (every block up to the page
// decompressed and parsed synchronously, then the whole page serialised).
//
//   5,000 events of 64 KB ('a' × 65,336: brotli shrinks a block of 125 to ~1 KB), 40 blocks
//     ─► listEvents(limit 1000, offset 4000) with the default bounds, following next_cursor
//        until the 1,000 events are read                                       (bounded)
//     ─► decodeBlock (sync) of the 40 blocks + JSON.stringify of the 1,000 events   (unbounded)
//
// One line: `events_read_deep_page: max stall X ms, Y pages, Z MiB largest page (unbounded:
// max stall W ms, V MiB in one page; ratio X/W)`. The stall is the longest gap seen by a 1 ms
// interval timer (perf_hooks.monitorEventLoopDelay's max) during each run; median of RUNS runs.
// Needs DATABASE_URL (creates dw_bench_<random> and drops it). Run:
//   npx tsc -p tsconfig.json && node dist/bench/events-read.bench.js
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { scratchDatabase } from './scratch-db.js';
import { compress, decodeBlock, DEFAULT_CODEC } from '../src/core/blocks.js';
import { createPool, migrate } from '../src/core/db.js';
import { DEFAULT_READ_BOUNDS, listEvents } from '../src/core/event-blocks.js';

const RUNS = 5;
const EVENTS = 5_000;
const PER_BLOCK = 125;
const EVENT_BYTES = 64 * 1024 - 200;
const TENANT = '00000000-0000-4000-8000-0000000000e1';
const T0 = Date.UTC(2026, 10, 1);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function stallOf(work: () => Promise<unknown>): Promise<number> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  await work();
  await new Promise((resolve) => setTimeout(resolve, 5));
  h.disable();
  return h.max / 1e6;
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined || adminUrl === '') throw new Error('bench/events-read needs DATABASE_URL');
  const db = await scratchDatabase(adminUrl, 'events_read');
  const pool = createPool(db.url, 4);
  try {
    await migrate(pool);
    for (let b = 0; b < EVENTS / PER_BLOCK; b++) {
      const rows = [];
      for (let i = 0; i < PER_BLOCK; i++) {
        const n = b * PER_BLOCK + i;
        rows.push([T0 + n * 1000, `${n} ${'a'.repeat(EVENT_BYTES)}`, { n }]);
      }
      const first = T0 + b * PER_BLOCK * 1000;
      await pool.query(
        `INSERT INTO event_blocks (tenant_id, stream, stream_type, first_ts, last_ts, count, first_index, codec, payload)
         VALUES ($1, 'web', 'logs', $2, $3, $4, 0, $5, $6)`,
        [TENANT, new Date(first).toISOString(), new Date(first + (PER_BLOCK - 1) * 1000).toISOString(), PER_BLOCK, DEFAULT_CODEC,
          compress(DEFAULT_CODEC, JSON.stringify(rows))]);
    }
    console.log(`# bench/events-read: ${availableParallelism()} cores, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${EVENTS} events of ${EVENT_BYTES + 6} B in ${EVENTS / PER_BLOCK} blocks; bounds ${DEFAULT_READ_BOUNDS.maxDecodedBytes} decoded, ${DEFAULT_READ_BOUNDS.maxResponseBytes} response`);

    const bounded: number[] = [];
    const unbounded: number[] = [];
    let pages = 0;
    let largest = 0;
    let whole = 0;
    for (let r = 0; r < RUNS; r++) {
      bounded.push(await stallOf(async () => {
        let got = 0;
        let cursor: string | undefined;
        let offset = 4000;
        pages = 0;
        largest = 0;
        while (got < 1000) {
          const page = await listEvents(pool, TENANT, { limit: 1000 - got, offset, cursor });
          const body = JSON.stringify({ events: page.events });
          largest = Math.max(largest, body.length);
          pages++;
          got += page.events.length;
          if (page.next_cursor === undefined) break;
          cursor = page.next_cursor;
          offset = page.next_offset ?? 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }));
      unbounded.push(await stallOf(async () => {
        const { rows } = await pool.query<{ codec: string; payload: Buffer }>('SELECT codec, payload FROM event_blocks WHERE tenant_id = $1 ORDER BY last_ts DESC', [TENANT]);
        const all = rows.flatMap((b) => decodeBlock(b.codec, b.payload));
        whole = JSON.stringify({ events: all.slice(4000, 5000) }).length;
      }));
    }
    const b = median(bounded);
    const w = median(unbounded);
    const mib = (n: number): string => (n / 1024 / 1024).toFixed(1);
    console.log(`events_read_deep_page: max stall ${b.toFixed(1)} ms, ${pages} pages, ${mib(largest)} MiB largest page (unbounded: max stall ${w.toFixed(1)} ms, ${mib(whole)} MiB in one page; ratio ${(b / w).toFixed(3)})`);
  } finally {
    await pool.end();
    await db.drop();
  }
}

await main();
