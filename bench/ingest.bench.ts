// bench/ingest: the ingest path on this machine, ceilings and the full engine, in one run.
//
//   parent (this process): PostgreSQL setup, load generators, row counts, the report
//     │ fork(this file --role <r>) per case, so that every case starts clean and reports its own peak RSS
//     ▼
//   websocket_decode_discard  ws client ──frames of 1000──► child: bare uWS app: copy, JSON.parse, count ─► {"ack": seq}
//   http_decode_discard       autocannon ──bodies of 1000─► child: bare uWS app: copy, JSON.parse, count ─► {"accepted": n}
//   copy_to_postgres                                        child: blocks.ts + CopySink (the engine's events sink) ─► COPY ─► PostgreSQL
//   websocket_to_postgres     ws client ──frames of 1000──► child: startEngine (detection on) ─► PostgreSQL ─► {"ack": seq}
//   http_to_postgres          autocannon ──bodies of 1000─► child: startEngine (detection on) ─► PostgreSQL ─► {"accepted": n}
//   http_to_postgres_half_load  the same at a fixed rate of half what http_to_postgres reached
//   otlp_to_postgres          autocannon ──OTLP/HTTP JSON, gzip, 1000 records─► the engine's POST /v1/logs
//                             └─ after each engine case: count the tenant's rows ≥ acknowledged events
//
// One line per case: `name: N events/s ±x% p50 X ms p99 Y ms rss Z MiB (ratio R of <ceiling>)`.
// N = events acknowledged in the window / window; ±x% = coefficient of variation of the
// 1-second samples; p50/p99 = send-to-ack per frame or request (copy: write-to-commit per
// 1000 rows); rss = the child's peak RSS (worker threads included, PostgreSQL not).
// Run: npx tsc -p tsconfig.json && node dist/bench/ingest.bench.js [--duration 10] [--only copy,websocket]
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import autocannon, { type Result as AutocannonResult } from 'autocannon';
import pino from 'pino';
import uWS from 'uWebSockets.js';
import WebSocket from 'ws';
import { createApiKey } from '../src/core/auth/api-keys.js';
import { TokenService } from '../src/core/auth/jwt.js';
import { loadConfig } from '../src/core/config.js';
import { createPool, migrate, startEmbeddedPostgres } from '../src/core/db.js';
import { syntheticLog } from '../src/tools/demo/synthetic.js';
import { silentLogger } from '../src/core/log.js';
import { createTenant } from '../src/core/tenancy/tenants.js';
import { startEngine } from '../engine/engine.js';
import { BLOCK_COLUMNS, blockLines } from '../engine/sinks/postgres/blocks.js';
import { CopySink } from '../engine/sinks/postgres/service.js';
import { validateEvents } from '../engine/transforms/decode.js';
import type { EventRecord } from '../engine/types.js';
import { decodeDiscardIngest } from './discard.js';
import { loghubStreams, variedEvents, type LogStream } from './loghub-varied.js';
import { scratchDatabase } from './scratch-db.js';
import { pgBackendTicks, splitEngine, sumTicks, threadTicks, tickDelta, TICK_MS } from './cpu-split.js';

const BATCH = 1000;
const DISTINCT_BATCHES = 16;
const STREAMS = 8;

// ─── arguments ────────────────────────────────────────────────────────────────────────────
function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? undefined : process.argv[i + 1];
}
function intArg(name: string, dflt: number): number {
  const raw = arg(name);
  if (raw === undefined) return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`--${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return n;
}

// ─── shared: the payload ──────────────────────────────────────────────────────────────────
/** DISTINCT_BATCHES JSON arrays of BATCH log events (synthetic web-service log, STREAMS sources). */
function batchesJson(): string[] {
  const { lines } = syntheticLog({ lines: BATCH * DISTINCT_BATCHES, anomalies: 40, seed: 7 });
  const t0 = Date.UTC(2026, 0, 1);
  const out: string[] = [];
  for (let b = 0; b < DISTINCT_BATCHES; b++) {
    const events = [];
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      events.push({ timestamp: new Date(t0 + n * 10).toISOString(), stream_type: 'logs', data: lines[n], metadata: { source: `svc-${n % STREAMS}`, host: `web-${n % 3}` } });
    }
    out.push(JSON.stringify(events));
  }
  return out;
}

/** Events per frame of the varied case (the issue's `websocket_varied_to_postgres`). */
const VARIED_FRAME = 100;
/**
 * The Loghub logs as frames of VARIED_FRAME events, each log its own stream (`loghub-<name>`),
 * the streams interleaved line by line (as one shipper multiplexes its sources); event time
 * 10 ms per line. The whole corpus once (about 30,000 lines), then repeated by the load generator.
 */
function variedBatchesJson(streams: LogStream[]): { bodies: string[]; events: number } {
  const all = variedEvents(streams);
  const bodies: string[] = [];
  for (let i = 0; i + VARIED_FRAME <= all.length; i += VARIED_FRAME) bodies.push(JSON.stringify(all.slice(i, i + VARIED_FRAME)));
  return { bodies, events: bodies.length * VARIED_FRAME };
}

/**
 * The same log lines as gzip-compressed OTLP ExportLogsServiceRequests of BATCH records: one
 * resource per service (STREAMS of them), the attributes an OpenTelemetry SDK sets.
 */
function otlpBodies(): Buffer[] {
  const { lines } = syntheticLog({ lines: BATCH * DISTINCT_BATCHES, anomalies: 40, seed: 7 });
  const t0 = BigInt(Date.UTC(2026, 0, 1)) * 1_000_000n;
  const str = (key: string, v: string): object => ({ key, value: { stringValue: v } });
  const out: Buffer[] = [];
  for (let b = 0; b < DISTINCT_BATCHES; b++) {
    const byService: object[][] = Array.from({ length: STREAMS }, () => []);
    for (let i = 0; i < BATCH; i++) {
      const n = b * BATCH + i;
      byService[n % STREAMS].push({
        timeUnixNano: String(t0 + BigInt(n) * 10_000_000n), observedTimeUnixNano: String(t0 + BigInt(n) * 10_000_000n + 1000n),
        severityNumber: 9, severityText: 'INFO', body: { stringValue: lines[n] },
        attributes: [str('host', `web-${n % 3}`), { key: 'thread.id', value: { intValue: n % 16 } }],
        traceId: randomBytes(16).toString('hex'), spanId: randomBytes(8).toString('hex'),
      });
    }
    const req = {
      resourceLogs: byService.map((logRecords, s) => ({
        resource: { attributes: [str('service.name', `svc-${s}`), str('telemetry.sdk.language', 'nodejs'), str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.version', '1.28.0')] },
        scopeLogs: [{ scope: { name: '@opentelemetry/instrumentation-pino', version: '0.45.0' }, logRecords }],
      })),
    };
    out.push(gzipSync(JSON.stringify(req)));
  }
  return out;
}

interface Sampler { tick(n: number): void; samples(): number[] }
/** Counts per 1-second slot from `start`. */
function sampler(start: number): Sampler {
  const slots: number[] = [];
  return {
    tick(n) { const s = Math.floor((performance.now() - start) / 1000); slots[s] = (slots[s] ?? 0) + n; },
    samples() { return Array.from(slots, (x) => x ?? 0); },
  };
}

const pct = (sorted: Float64Array | number[], p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** Coefficient of variation of the full 1-second samples, in %. */
function spread(samples: number[], seconds: number): number {
  const full = samples.slice(0, Math.floor(seconds));
  if (full.length < 2) return 0;
  const mean = full.reduce((a, b) => a + b, 0) / full.length;
  const sd = Math.sqrt(full.reduce((a, b) => a + (b - mean) ** 2, 0) / (full.length - 1));
  return mean === 0 ? 0 : (sd / mean) * 100;
}

interface CaseResult { events: number; seconds: number; spreadPct: number; p50: number; p99: number; rssMiB: number; note: string }

// ─── child roles ──────────────────────────────────────────────────────────────────────────
interface ChildMsg { type: 'ready' | 'result'; port?: number; data?: Record<string, unknown> }
const toParent = (m: ChildMsg): void => { process.send!(m); };
const peakRssMiB = (): number => process.resourceUsage().maxRSS / 1024;

/** Bare uWS: WebSocket and HTTP, copy + JSON.parse + count, answer like the engine does. */
function roleDecode(): void {
  const app = uWS.App();
  app.ws<Record<string, never>>('/api/v1/stream', {
    maxPayloadLength: 64 * 1024 * 1024,
    maxBackpressure: 64 * 1024 * 1024,
    message(ws, message) {
      const bytes = new Uint8Array(message.slice(0));
      const frame = JSON.parse(Buffer.from(bytes.buffer).toString('utf8')) as { seq: number; events: unknown[] };
      if (frame.events.length < 0) return;
      ws.cork(() => { ws.send(`{"ack":${frame.seq}}`, false); });
    },
  });
  decodeDiscardIngest(app);
  app.listen('127.0.0.1', 0, (s) => {
    if (s === false) throw new Error('bench: cannot listen');
    toParent({ type: 'ready', port: uWS.us_socket_local_port(s) });
  });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stop') { toParent({ type: 'result', data: { rssMiB: peakRssMiB() } }); setImmediate(() => process.exit(0)); }
  });
}

/** CopySink alone: pre-validated records, blocks built (grouped, compressed) per write as the engine does, no network. */
async function roleCopy(url: string, tenantId: string, seconds: number): Promise<void> {
  const pool = createPool(url, 4);
  const limits = { maxBatchEvents: 10_000, maxEventBytes: 64 * 1024 };
  const batches: EventRecord[][] = batchesJson().map((j) => validateEvents(JSON.parse(j) as unknown[], limits));
  const config = loadConfig({ env: {} });
  const sink = new CopySink(pool, silentLogger, {
    name: 'events', table: 'event_blocks', columns: BLOCK_COLUMNS, usageColumn: 'events', countBytes: true,
    flushIntervalMs: config.flushIntervalMs, flushMaxRows: config.flushMaxRows,
    maxPendingRows: Math.max(10 * config.flushMaxRows, 100_000), maxConcurrentFlushes: 2, whenFull: 'drop_newest',
  });
  toParent({ type: 'ready' });
  const inFlightCap = 32;
  const start = performance.now();
  const end = start + seconds * 1000;
  const s = sampler(start);
  const lat: number[] = [];
  let events = 0;
  let failed = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    let inFlight = 0;
    const launch = (): void => {
      while (inFlight < inFlightCap && performance.now() < end) {
        const recs = batches[next++ % batches.length];
        const t = performance.now();
        inFlight++;
        const b = blockLines(tenantId, recs, undefined);
        sink.write({ tenantId, lines: b.lines, rows: recs.length, bytes: 0 }).then(
          () => { const now = performance.now(); if (now <= end) { events += recs.length; s.tick(recs.length); } lat.push(now - t); },
          () => { failed++; },
        ).finally(() => { inFlight--; if (inFlight === 0 && performance.now() >= end) resolve(); else launch(); });
      }
    };
    launch();
  });
  await sink.close();
  await pool.end();
  lat.sort((a, b) => a - b);
  toParent({ type: 'result', data: { events, seconds, samples: s.samples(), p50: pct(lat, 50), p99: pct(lat, 99), rssMiB: peakRssMiB(), failed } });
  setImmediate(() => process.exit(0));
}

/** The engine, in-process in this child, on its own pool; detection on (dist/workers/score.js). */
async function roleEngine(url: string, threads: number | undefined): Promise<void> {
  // The spool off: these figures are for batches committed to PostgreSQL before their ack (with
  // the spool on, a full sink buffer would turn acks into spool appends, replayed later).
  const config = loadConfig({ env: {}, overrides: { enginePort: 0, host: '127.0.0.1', databaseUrl: url, logLevel: 'info', spoolMaxBytes: 0, ...(threads === undefined ? {} : { workerThreads: threads }) } });
  const pool = createPool(url, 20);
  const tokens = await new TokenService(pool, { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: 900 }).init();
  // Keep the engine's own account: its closing stats and any warnings.
  let closedStats: unknown;
  const warnings = new Map<string, number>();
  const log = pino({ level: 'info' }, {
    write(line: string) {
      const rec = JSON.parse(line) as { level: number; msg: string; event?: string; events?: unknown; score?: unknown };
      if (rec.event === 'EngineShutdownCompleted') closedStats = { events: rec.events, score: rec.score };
      else if (rec.level >= 40) warnings.set(rec.msg, (warnings.get(rec.msg) ?? 0) + 1);
    },
  });
  // --detector noop (bench only): the pipeline without detection's cost (bench/noop-score-worker.ts).
  const noop = process.env.DW_BENCH_DETECTOR === 'noop';
  const engine = await startEngine({ config, pool, tokens, log, ...(noop ? { workerFilename: fileURLToPath(new URL('./noop-score-worker.js', import.meta.url)) } : {}) });
  // RSS once a second from ready on: does memory level off under load?
  // Heap used and external (Buffers, ArrayBuffers) with it, to tell V8 heap growth from native.
  const rss: number[] = [];
  const heap: number[] = [];
  const ext: number[] = [];
  // And the stored events waiting to be scored (the scorer's backlog, bounded by its high-water mark).
  const backlog: number[] = [];
  const sampling = setInterval(() => {
    const m = process.memoryUsage();
    rss.push(m.rss / 2 ** 20); heap.push(m.heapUsed / 2 ** 20); ext.push(m.external / 2 ** 20);
    backlog.push(engine.stats().scorePending);
  }, 1000);
  // CPU time of the engine process (main thread, detector threads, libuv's pool) from ready to the
  // end of close() (the backlog scored): per acked event it is less skewed by other work on the
  // host than events/s is.
  const cpu0 = process.cpuUsage();
  // Per thread over the load window (ready → stop), with the events stored and scored in it.
  const threads0 = threadTicks();
  const t0 = performance.now();
  toParent({ type: 'ready', port: engine.port, data: { workerThreads: config.workerThreads } });
  process.on('message', (m: { type: string }) => {
    if (m.type !== 'stop') return;
    clearInterval(sampling);
    const st = engine.stats();
    const window = { ms: performance.now() - t0, stored: st.events.rowsWritten, scored: st.score.eventsScored, ...splitEngine(tickDelta(threads0, threadTicks()), process.pid, config.workerThreads) };
    const t = performance.now();
    void engine.close().then(async () => {
      const closeMs = performance.now() - t;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      await pool.end();
      toParent({ type: 'result', data: { rssMiB: peakRssMiB(), cpuMs, rss, heap, ext, backlog, closeMs, stats: closedStats, warnings: Object.fromEntries(warnings), window } });
      setImmediate(() => process.exit(0));
    });
  });
}

// ─── parent: children, load generators ────────────────────────────────────────────────────
interface Child { proc: ChildProcess; port: number; ready: Record<string, unknown>; result(): Promise<Record<string, unknown>> }

function spawnChild(role: string, args: string[]): Promise<Child> {
  const proc = fork(fileURLToPath(import.meta.url), ['--role', role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let resolveResult: (d: Record<string, unknown>) => void;
  let rejectResult: (e: Error) => void;
  const result = new Promise<Record<string, unknown>>((res, rej) => { resolveResult = res; rejectResult = rej; });
  result.catch(() => {});
  return new Promise((resolve, reject) => {
    proc.on('message', (m: ChildMsg) => {
      if (m.type === 'ready') resolve({ proc, port: m.port ?? 0, ready: m.data ?? {}, result: () => result });
      else resolveResult(m.data ?? {});
    });
    proc.once('exit', (code) => {
      const err = new Error(`bench child ${role} exited with ${code}`);
      reject(err);
      rejectResult(err);
    });
  });
}

async function stopChild(c: Child, timeoutMs = 120_000): Promise<Record<string, unknown>> {
  c.proc.send({ type: 'stop' });
  let timer: NodeJS.Timeout | undefined;
  const out = await Promise.race([
    c.result(),
    new Promise<Record<string, unknown>>((resolve) => { timer = setTimeout(() => { c.proc.kill('SIGKILL'); resolve({ killed: true }); }, timeoutMs); }),
  ]);
  clearTimeout(timer);
  return out;
}

interface WsLoad { events: number; frames: number; nacks: number; samples: number[]; lat: Float64Array; problems: string[] }

/** N connections, each keeping `pipeline` frames of 1000 events in flight; send-to-ack per frame. */
async function wsLoad(url: string, bodies: Buffer[], conns: number, pipeline: number, seconds: number, perFrame = BATCH): Promise<WsLoad> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const s = sampler(start);
  const lats: number[] = [];
  const problems: string[] = [];
  let frames = 0;
  let nacks = 0;
  const runOne = (c: number): Promise<void> => new Promise((resolve) => {
    // The client masks with a zero key (valid, and ws then sends the body without copying it;
    // uWS still unmasks every byte) and sends each frame as three fragments around a shared,
    // pre-encoded body: the load generator must not be what limits the ceiling.
    const ws = new WebSocket(`${url}${url.includes('?') ? '&' : '?'}client_id=bench-${randomBytes(4).toString('hex')}-${c}`,
      { perMessageDeflate: false, generateMask: (mask: Buffer) => { mask.fill(0); } });
    const sentAt = new Map<number, number>();
    let seq = 0;
    const sendNext = (): void => {
      if (performance.now() >= end) { if (sentAt.size === 0) ws.close(); return; }
      const n = seq++;
      sentAt.set(n, performance.now());
      ws.send(`{"seq":${n},"events":`, { fin: false });
      ws.send(bodies[(n + c) % bodies.length], { binary: false, fin: false });
      ws.send('}', { binary: false, fin: true });
    };
    ws.on('open', () => { for (let i = 0; i < pipeline; i++) sendNext(); });
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString('utf8')) as { ack?: number; nack?: number; error?: { code: string } };
      const n = m.ack ?? m.nack;
      const t = n === undefined ? undefined : sentAt.get(n);
      if (n === undefined || t === undefined) return;
      sentAt.delete(n);
      const now = performance.now();
      if (m.ack !== undefined) {
        frames++;
        if (now <= end) s.tick(perFrame);
        lats.push(now - t);
      } else {
        nacks++;
        if (problems.length < 3) problems.push(`nack ${m.error?.code}`);
      }
      sendNext();
    });
    ws.on('close', (code: number) => {
      if (sentAt.size > 0) problems.push(`connection ${c} closed ${code} with ${sentAt.size} frames unanswered`);
      resolve();
    });
    ws.on('error', (err: Error) => { problems.push(`connection ${c}: ${err.message}`); });
  });
  await Promise.all(Array.from({ length: conns }, (_, c) => runOne(c)));
  // Acks that arrive after the window count as stored (and verified), not in the rate.
  const inWindow = s.samples().reduce((a, b) => a + b, 0);
  const lat = Float64Array.from(lats).sort();
  return { events: inWindow, frames, nacks, samples: s.samples(), lat, problems };
}

/** autocannon, each connection cycling through the distinct bodies (so detection sees a varied log). */
interface HttpPayload { path: string; bodies: (string | Buffer)[]; headers: Record<string, string> }

async function httpLoad(url: string, key: string, payload: HttpPayload, connections: number, seconds: number, overallRate?: number): Promise<{ r: AutocannonResult }> {
  const { path, bodies } = payload;
  const r = await autocannon({
    url: `${url}${path}`, method: 'POST', connections, pipelining: 1, duration: seconds, timeout: 30, overallRate,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...payload.headers },
    requests: bodies.map((body) => ({ method: 'POST', body })),
  });
  return { r };
}

function line(name: string, c: CaseResult, ratio?: { of: string; value: number }[]): string {
  const rate = c.events / c.seconds;
  const r = ratio === undefined ? '' : ` (ratio ${ratio.map((x) => `${x.value.toFixed(2)} of ${x.of}`).join('; ')})`;
  return `${name}: ${Math.round(rate)} events/s ±${c.spreadPct.toFixed(1)}% p50 ${c.p50.toFixed(1)} ms p99 ${c.p99.toFixed(1)} ms rss ${Math.round(c.rssMiB)} MiB${r}${c.note}`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

async function main(): Promise<void> {
  const seconds = intArg('duration', 10);
  const wsConns = intArg('connections', 4);
  const pipeline = intArg('pipeline', 4);
  const httpConns = intArg('http-connections', 8);
  const only = arg('only')?.split(',');
  const variedPipeline = intArg('varied-pipeline', 16);
  const loghubDir = arg('loghub') ?? process.env.LOGHUB_DIR ?? fileURLToPath(new URL('../../../shared/datasets/logs', import.meta.url));
  // --detector noop: the engine cases run with a worker that decodes each task and finds nothing
  // (bench/noop-score-worker.ts): the pipeline's own ceiling, detection's cost left out.
  const detector = arg('detector') ?? 'real';
  if (detector !== 'real' && detector !== 'noop') throw new TypeError(`--detector must be real or noop, got ${JSON.stringify(detector)}`);
  if (detector === 'noop') process.env.DW_BENCH_DETECTOR = 'noop';
  const want = (name: string): boolean => only === undefined || only.some((o) => name.includes(o));
  const bodiesJson = batchesJson();
  const bodies = bodiesJson.map((b) => Buffer.from(b));
  const ingestPayload: HttpPayload = { path: '/api/v1/events/ingest', bodies: bodiesJson, headers: {} };

  // PostgreSQL: DATABASE_URL's server, or an embedded one in a temp dir; a fresh database either way.
  let adminUrl = process.env.DATABASE_URL;
  let stopPg: (() => Promise<void>) | undefined;
  let pgDir: string | undefined;
  if (adminUrl === undefined || adminUrl === '') {
    pgDir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-pg-'));
    const started = await startEmbeddedPostgres(pgDir, await freePort());
    adminUrl = started.url;
    stopPg = started.stop;
  }
  const scratch = await scratchDatabase(adminUrl, 'ingest');
  const url = scratch.url;
  // --worker-threads n: the engine's detector threads (default: the engine's own, cores - 1).
  const threadsArg = arg('worker-threads');
  const engineArgs = threadsArg === undefined ? [url] : [url, String(intArg('worker-threads', 1))];
  const pool = createPool(url, 4);
  await migrate(pool);
  const pgVersion = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0].v;
  try {
    const tenant = async (name: string): Promise<{ id: string; key: string }> => {
      // Business: the benchmark sends millions of events, far over the free plan's monthly quota.
      const t = await createTenant(pool, `${name} ${randomBytes(3).toString('hex')}`, 'business');
      return { id: t.id, key: (await createApiKey(pool, t.id)).key };
    };
    const countRows = async (tenantId: string): Promise<number> =>
      Number((await pool.query<{ n: string }>('SELECT coalesce(sum(count), 0) AS n FROM event_blocks WHERE tenant_id = $1', [tenantId])).rows[0].n);
    // Every PostgreSQL case starts from empty tables (index sizes comparable between cases).
    const emptyTables = (): Promise<unknown> => pool.query('TRUNCATE event_blocks, anomalies, ingest_batches');

    console.log(`# bench/ingest: ${availableParallelism()} cores, Node ${process.version}, PostgreSQL ${pgVersion} (${stopPg ? 'embedded' : 'DATABASE_URL'}), ${seconds} s per case, batches of ${BATCH} log events (${Math.round(bodiesJson[0].length / BATCH)} B/event JSON)`);
    console.log(`# processes: this one = load generators (ws client: ${wsConns} connections × ${pipeline} frames in flight; autocannon: ${httpConns} connections) and row counts;`);
    console.log('#   a fresh child per case = the server side (bare uWS | CopySink | engine + its detector worker threads); PostgreSQL = its own processes; all share the cores');
    if (detector === 'noop') console.log('#   --detector noop: engine cases score with bench/noop-score-worker.js (no detection: the pipeline\'s own ceiling)');
    console.log(`#   load average before the run: ${loadavg().map((x) => x.toFixed(2)).join(' ')} (other work on the host skews every figure: compare within one run)`);

    // A full-engine figure as a fraction of each ceiling it runs into: the transport's and COPY's.
    // The binding one (the largest fraction) comes first.
    const ceilings = new Map<string, number>();
    const withRatio = (name: string, c: CaseResult, transport: string): string => {
      const r = [transport, 'copy_to_postgres'].filter((of) => ceilings.has(of))
        .map((of) => ({ of, value: c.events / c.seconds / ceilings.get(of)! }))
        .sort((a, b) => b.value - a.value);
      return line(name, c, r.length === 0 ? undefined : r);
    };

    // (a) ceilings
    if (want('websocket_decode_discard')) {
      const child = await spawnChild('decode', []);
      const w = await wsLoad(`ws://127.0.0.1:${child.port}/api/v1/stream`, bodies, wsConns, pipeline, seconds);
      const res = await stopChild(child);
      const c: CaseResult = { events: w.events, seconds, spreadPct: spread(w.samples, seconds), p50: pct(w.lat, 50), p99: pct(w.lat, 99), rssMiB: Number(res.rssMiB), note: w.problems.length ? ` [${w.problems.join('; ')}]` : '' };
      ceilings.set('websocket_decode_discard', c.events / seconds);
      console.log(line('websocket_decode_discard', c));
    }
    if (want('http_decode_discard')) {
      const child = await spawnChild('decode', []);
      const { r } = await httpLoad(`http://127.0.0.1:${child.port}`, 'none', ingestPayload, httpConns, seconds);
      const res = await stopChild(child);
      const c = fromAutocannon(r, Number(res.rssMiB));
      ceilings.set('http_decode_discard', c.events / seconds);
      console.log(line('http_decode_discard', c));
    }
    if (want('copy_to_postgres')) {
      const t = await tenant('bench copy');
      const child = await spawnChild('copy', [url, t.id, String(seconds)]);
      const res = await child.result();
      const stored = await countRows(t.id);
      const c: CaseResult = {
        events: Number(res.events), seconds, spreadPct: spread(res.samples as number[], seconds), p50: Number(res.p50), p99: Number(res.p99), rssMiB: Number(res.rssMiB),
        note: ` [stored ${stored} events${Number(res.failed) > 0 ? `, ${String(res.failed)} writes failed` : ''}]`,
      };
      ceilings.set('copy_to_postgres', c.events / seconds);
      await emptyTables();
      console.log(line('copy_to_postgres', c));
    }

    // (b) the full engine, detection on
    if (want('websocket_to_postgres')) {
      const t = await tenant('bench ws');
      const child = await spawnChild('engine', engineArgs);
      const w = await wsLoad(`ws://127.0.0.1:${child.port}/api/v1/stream?token=${t.key}`, bodies, wsConns, pipeline, seconds);
      const stored = await countRows(t.id);
      const acked = w.frames * BATCH;
      const res = await stopChild(child);
      await emptyTables();
      const c: CaseResult = {
        events: w.events, seconds, spreadPct: spread(w.samples, seconds), p50: pct(w.lat, 50), p99: pct(w.lat, 99), rssMiB: Number(res.rssMiB),
        note: ` [${verdict(stored, acked, 0)}; ${engineNote(child, res)}${w.nacks ? `; ${w.nacks} nacks` : ''}${w.problems.length ? `; ${w.problems.join('; ')}` : ''}]`,
      };
      console.log(withRatio('websocket_to_postgres', c, 'websocket_decode_discard'));
    }
    // (c) the issue's varied case: the Loghub logs as 12+ streams, frames of 100, detection on.
    if (want('websocket_varied')) {
      const streams = loghubStreams(loghubDir);
      if (typeof streams === 'string') console.log(`# websocket_varied_to_postgres: skipped: ${streams}`);
      else await variedCase(streams, { url, engineArgs, wsConns, pipeline: variedPipeline, seconds, tenant, countRows, emptyTables, ceilings });
    }
    const httpEngine = async (name: string, payload: HttpPayload, overallRate?: number): Promise<number> => {
      const t = await tenant(`bench ${name}`);
      const child = await spawnChild('engine', engineArgs);
      const { r } = await httpLoad(`http://127.0.0.1:${child.port}`, t.key, payload, httpConns, seconds, overallRate);
      // Requests cut off when autocannon stops may still commit: wait for them, then count.
      await new Promise((res) => setTimeout(res, 1000));
      const stored = await countRows(t.id);
      const res = await stopChild(child);
      await emptyTables();
      const c = fromAutocannon(r, Number(res.rssMiB));
      c.note = ` [${overallRate === undefined ? '' : `offered ${overallRate * BATCH} events/s; `}${verdict(stored, r['2xx'] * BATCH, httpConns * BATCH)}; ${engineNote(child, res)}${r.non2xx || r.errors ? `; ${r.non2xx} non-2xx, ${r.errors} errors` : ''}]`;
      console.log(withRatio(name, c, 'http_decode_discard'));
      return c.events / c.seconds;
    };
    let httpRate: number | undefined;
    if (want('http_to_postgres')) httpRate = await httpEngine('http_to_postgres', ingestPayload);
    // The issue's latency target is set at half the sustained load: an open-loop rate (autocannon
    // corrects its latencies for coordinated omission), half of what http_to_postgres reached.
    if (want('http_to_postgres_half_load') && httpRate !== undefined) {
      await httpEngine('http_to_postgres_half_load', ingestPayload, Math.max(1, Math.round(httpRate / 2 / BATCH)));
    }
    // OpenTelemetry logs as the exporters send them: OTLP/HTTP JSON, gzip-compressed.
    if (want('otlp_to_postgres')) await httpEngine('otlp_to_postgres', { path: '/v1/logs', bodies: otlpBodies(), headers: { 'content-encoding': 'gzip' } });
  } finally {
    await pool.end();
    await scratch.drop();
    await stopPg?.();
    if (pgDir !== undefined) await rm(pgDir, { recursive: true, force: true });
  }
}

interface VariedCtx {
  url: string; engineArgs: string[]; wsConns: number; pipeline: number; seconds: number;
  tenant(name: string): Promise<{ id: string; key: string }>;
  countRows(tenantId: string): Promise<number>;
  emptyTables(): Promise<unknown>;
  ceilings: Map<string, number>;
}

/**
 * websocket_varied_decode_discard (its transport ceiling: the same frames into a bare uWS app) and
 * websocket_varied_to_postgres (the engine, detection on): every acknowledged event must be stored
 * (rows of the tenant) and scored (the scorer's eventsScored at close, all of them drained).
 */
async function variedCase(streams: { name: string; lines: string[] }[], x: VariedCtx): Promise<void> {
  const { bodies: json, events } = variedBatchesJson(streams);
  const bodies = json.map((b) => Buffer.from(b));
  console.log(`# varied: ${streams.length} Loghub streams (${streams.map((s) => s.name).join(', ')}), ${events} lines, ${bodies.length} distinct frames of ${VARIED_FRAME} events (${Math.round(json.reduce((a, b) => a + b.length, 0) / events)} B/event JSON), ${x.wsConns} connections × ${x.pipeline} frames in flight`);
  const dc = await spawnChild('decode', []);
  const d = await wsLoad(`ws://127.0.0.1:${dc.port}/api/v1/stream`, bodies, x.wsConns, x.pipeline, x.seconds, VARIED_FRAME);
  const dres = await stopChild(dc);
  const ceiling: CaseResult = { events: d.events, seconds: x.seconds, spreadPct: spread(d.samples, x.seconds), p50: pct(d.lat, 50), p99: pct(d.lat, 99), rssMiB: Number(dres.rssMiB), note: d.problems.length ? ` [${d.problems.join('; ')}]` : '' };
  console.log(line('websocket_varied_decode_discard', ceiling));

  const t = await x.tenant('bench varied');
  const child = await spawnChild('engine', x.engineArgs);
  const db = new URL(x.url).pathname.slice(1);
  const gen0 = process.cpuUsage();
  const pg0 = pgBackendTicks(db);
  const w = await wsLoad(`ws://127.0.0.1:${child.port}/api/v1/stream?token=${t.key}`, bodies, x.wsConns, x.pipeline, x.seconds, VARIED_FRAME);
  const gen = process.cpuUsage(gen0);
  const pgMs = sumTicks(tickDelta(pg0, pgBackendTicks(db))) * TICK_MS;
  const acked = w.frames * VARIED_FRAME;
  const res = await stopChild(child);
  // Counted after close: the scorer has drained, so stored = scored is checkable.
  const stored = await x.countRows(t.id);
  await x.emptyTables();
  const sc = (res.stats as { score?: { eventsScored?: number; eventsDropped?: number } } | undefined)?.score ?? {};
  const scored = sc.eventsScored ?? -1;
  const scoredNote = scored >= stored && (sc.eventsDropped ?? 0) === 0 ? `all ${stored} stored events scored` : `UNSCORED: ${stored - scored} stored events not scored (scored ${scored}, dropped ${sc.eventsDropped ?? 0})`;
  const c: CaseResult = {
    events: w.events, seconds: x.seconds, spreadPct: spread(w.samples, x.seconds), p50: pct(w.lat, 50), p99: pct(w.lat, 99), rssMiB: Number(res.rssMiB),
    note: ` [${verdict(stored, acked, x.wsConns * x.pipeline * VARIED_FRAME)}; ${scoredNote}; ${engineNote(child, res)}${w.nacks ? `; ${w.nacks} nacks` : ''}${w.problems.length ? `; ${w.problems.join('; ')}` : ''}]`,
  };
  const rate = c.events / c.seconds;
  const ratio = [['websocket_varied_decode_discard', ceiling.events / x.seconds], ...[...x.ceilings].filter(([k]) => k === 'copy_to_postgres')] as [string, number][];
  console.log(line('websocket_varied_to_postgres', c, ratio.map(([of, v]) => ({ of, value: rate / v })).sort((a, b) => b.value - a.value)));
  console.log(cpuSplit(res.window as EngineWindow | undefined, (gen.user + gen.system) / 1000, pgMs, acked));
}

interface EngineWindow { ms: number; stored: number; scored: number; main: number; detector: number[]; rest: number }

/**
 * Where the CPU went over the load window, per event: the engine's main thread (per event stored),
 * its detector threads (per event scored), its other threads, the load generator (this process,
 * per event acked) and the PostgreSQL backends of the bench's database (per event stored; the
 * server's shared writers left out); with each one's share of a core. Their sum bounds the rate
 * the machine's cores allow when they do nothing else.
 */
function cpuSplit(w: EngineWindow | undefined, genMs: number, pgMs: number, acked: number): string {
  if (w === undefined || w.main + w.rest + w.detector.reduce((a, b) => a + b, 0) === 0) return '# cpu split: not measured (no /proc)';
  const us = (ms: number, n: number): number => (n > 0 ? (ms * 1000) / n : 0);
  const core = (ms: number): string => `${Math.round((100 * ms) / w.ms)}%`;
  const det = w.detector.reduce((a, b) => a + b, 0);
  const parts = [us(w.main, w.stored), us(det, w.scored), us(w.rest, w.stored), us(genMs, acked), us(pgMs, w.stored)];
  const sum = parts.reduce((a, b) => a + b, 0);
  return `# cpu split over the ${(w.ms / 1000).toFixed(1)} s load window, µs per event (share of a core): engine main thread ${parts[0].toFixed(1)} (${core(w.main)}), ` +
    `detector thread${w.detector.length > 1 ? 's' : ''} ${parts[1].toFixed(1)} (${w.detector.map(core).join(' + ')}), engine other threads ${parts[2].toFixed(1)} (${core(w.rest)}), ` +
    `load generator ${parts[3].toFixed(1)} (${core(genMs)}), PostgreSQL backends ${parts[4].toFixed(1)} (${core(pgMs)}); sum ${sum.toFixed(1)} µs/event: ` +
    `${availableParallelism()} cores doing only this would allow ${Math.round((availableParallelism() * 1e6) / sum)} events/s; ${w.stored} stored, ${w.scored} scored in the window; load ${loadavg()[0].toFixed(1)}`;
}

function fromAutocannon(r: AutocannonResult, rssMiB: number): CaseResult {
  // autocannon samples completed requests once a second (requests.mean/stddev); each is BATCH events.
  const spreadPct = r.requests.mean === 0 ? 0 : (r.requests.stddev / r.requests.mean) * 100;
  return { events: r['2xx'] * BATCH, seconds: r.duration, spreadPct, p50: r.latency.p50, p99: r.latency.p99, rssMiB, note: '' };
}

function verdict(stored: number, acked: number, slack: number): string {
  if (stored < acked) return `LOST: ${acked - stored} acknowledged events missing (stored ${stored}, acked ${acked})`;
  if (stored === acked) return `all ${acked} acked events stored`;
  return stored - acked <= slack
    ? `all ${acked} acked events stored (+${stored - acked} cut off unanswered at the stop)`
    : `stored ${stored} > acked ${acked}: more than the ${slack} in flight`;
}

function engineNote(child: Child, res: Record<string, unknown>): string {
  if (res.killed) return 'engine did not close within 120 s (killed)';
  const st = res.stats as { score?: { eventsScored?: number; eventsDropped?: number; anomalies?: number; tasksRun?: number }; events?: { rowsWritten?: number; flushes?: number; blocksBuilt?: number } } | undefined;
  const sc = st?.score ?? {};
  const ev = st?.events ?? {};
  // Events per flush, and per block built at a flush (the sink merges a group's writes per stream).
  const sink = ev.flushes ? `; sink: ${ev.flushes} flushes (${Math.round((ev.rowsWritten ?? 0) / ev.flushes)} events/flush${ev.blocksBuilt ? `, ${((ev.rowsWritten ?? 0) / ev.blocksBuilt).toFixed(1)} events/block` : ''})` : '';
  const warn = Object.entries((res.warnings ?? {}) as Record<string, number>).map(([m, n]) => `${n}× ${m.split(':')[0]}`).join(', ');
  const rss = (res.rss ?? []) as number[];
  const trend = rss.length >= 4 ? `; rss at 1/4 → end of the run ${Math.round(rss[rss.length >> 2])} → ${Math.round(rss[rss.length - 1])} MiB; ${memorySeries(rss, (res.heap ?? []) as number[], (res.ext ?? []) as number[], (res.backlog ?? []) as number[])}` : '';
  const perTask = sc.tasksRun ? ` in ${sc.tasksRun} tasks (${Math.round((sc.eventsScored ?? 0) / sc.tasksRun)} events/task)` : '';
  const cpu = typeof res.cpuMs === 'number' && (sc.eventsScored ?? 0) > 0 ? `, engine cpu ${((res.cpuMs * 1000) / (sc.eventsScored ?? 1)).toFixed(1)} µs/event (all its threads, ready → closed)` : '';
  return `detection (${String(child.ready.workerThreads)} worker thread): ${sc.eventsScored ?? '?'} scored${perTask}, ${sc.eventsDropped ?? 0} unscored (queue full), ${sc.anomalies ?? 0} anomalies, close+drain ${(Number(res.closeMs) / 1000).toFixed(1)} s${cpu}${sink}${trend}${warn ? `; logged ${warn}` : ''}`;
}

/**
 * The engine's memory over the run, one point every 30 s (about 20 points for shorter runs):
 * `t rss/heapUsed/external MiB, scoring backlog in thousands of events`.
 */
function memorySeries(rss: number[], heap: number[], ext: number[], backlog: number[]): string {
  const step = Math.max(1, rss.length >= 600 ? 30 : Math.ceil(rss.length / 20));
  const at = (i: number): string => `${i + 1}s ${Math.round(rss[i])}/${Math.round(heap[i] ?? 0)}/${Math.round(ext[i] ?? 0)} q${Math.round((backlog[i] ?? 0) / 1000)}k`;
  const pts: string[] = [];
  for (let i = 0; i < rss.length; i += step) pts.push(at(i));
  if ((rss.length - 1) % step !== 0) pts.push(at(rss.length - 1));
  // Flat or rising: the mean RSS of each quarter of the run (the first one includes the warm-up).
  const q = (k: number): number => { const part = rss.slice(Math.floor((k * rss.length) / 4), Math.floor(((k + 1) * rss.length) / 4)); return part.reduce((a, b) => a + b, 0) / Math.max(1, part.length); };
  return `memory (rss/heapUsed/external MiB, q = events waiting to be scored): ${pts.join(', ')}; mean rss per quarter ${[0, 1, 2, 3].map((k) => Math.round(q(k))).join(' → ')}; peak sampled rss ${Math.round(Math.max(...rss))}, backlog ${Math.round(Math.max(...backlog) / 1000)}k`;
}

// ─── entry ────────────────────────────────────────────────────────────────────────────────
const role = arg('role');
if (role === 'decode') roleDecode();
else if (role === 'copy') void roleCopy(process.argv[4], process.argv[5], Number(process.argv[6]));
else if (role === 'engine') void roleEngine(process.argv[4], process.argv[5] === undefined ? undefined : Number(process.argv[5]));
else await main();
