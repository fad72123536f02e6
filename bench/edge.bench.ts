// What the built-in edge proxy costs: the same HTTP load sent straight to an engine-like
// upstream and through the edge proxy (src/edge/proxy.ts), one line per case:
//
//   <case>_direct    autocannon ────────────────────────────────▶ child: bare uWS upstream
//   <case>_via_edge  autocannon ─ Host: bench.localhost ─▶ child: edge proxy ─▶ child: bare uWS upstream
//   ws_100_events_*  WebSocket clients (ws) ─ text frames of 100 JSON events, up to 8 unacked per
//                    connection ─▶ (edge proxy, whose tunnel checks each frame's UTF-8 ─▶) upstream
//                    /api/v1/stream, which JSON.parses each frame and answers {"ack": seq}
//   ws_frame_check   in this process, no network: the tunnel's check (FrameScanner) of the same
//                    frames, masked, in 64 KiB chunks, beside JSON.parse of each (what the engine
//                    does with every frame anyway) as the ratio's reference
//
// The upstream is a bare uWebSockets.js app (GET /health; POST /api/v1/events/ingest reads the
// body, JSON.parse, answers {"accepted": n}), so PostgreSQL is not in the measurement. The route
// is fixed (a lookup that always answers it): this measures the proxy, not the routing table,
// whose lookups are memory hits after the first. Each server runs in its own process; on a
// 2-core machine the load generator, the edge and the upstream share the cores.
//
//   node dist/bench/edge.bench.js [--duration 5] [--connections 16]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import uWS from 'uWebSockets.js';
import WebSocket from 'ws';
import { syntheticLog } from '../src/tools/demo/synthetic.js';
import { startEdgeProxy } from '../src/edge/proxy.js';
import { FrameScanner } from '../src/edge/ws-frames.js';
import { silentLogger } from '../src/core/log.js';
import { decodeDiscardIngest } from './discard.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return dflt;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new TypeError(`--${name} must be a positive number`);
  return n;
}

function roleUpstream(): void {
  const app = uWS.App();
  app.get('/health', (res) => { res.writeHeader('content-type', 'application/json').end('{"status":"ok"}'); });
  decodeDiscardIngest(app);
  app.ws('/api/v1/stream', {
    maxPayloadLength: 16 * 1024 * 1024,
    message: (ws, message) => {
      const frame = JSON.parse(Buffer.from(message).toString('utf8')) as { seq: number };
      ws.send(`{"ack":${frame.seq}}`, false);
    },
  });
  app.listen('127.0.0.1', 0, (s) => {
    if (s === false) throw new Error('bench: cannot listen');
    process.send!({ port: uWS.us_socket_local_port(s) });
  });
}

async function roleEdge(upstreamPort: number): Promise<void> {
  const route = Object.freeze({ subdomain: 'bench', address: `127.0.0.1:${upstreamPort}`, machineId: null, tenantId: null, version: 1, updatedAt: new Date().toISOString() });
  const edge = await startEdgeProxy({
    routes: { get: async (sub: string) => (sub === 'bench' ? route : null) },
    domain: 'localhost', host: '127.0.0.1', port: 0, log: silentLogger,
  });
  process.send!({ port: edge.port });
}

function spawn(role: string, ...args: string[]): Promise<{ proc: ChildProcess; port: number }> {
  const proc = fork(fileURLToPath(import.meta.url), ['--role', role, ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    proc.once('message', (m: { port: number }) => resolve({ proc, port: m.port }));
    proc.once('exit', (code) => reject(new Error(`bench child ${role} exited with ${code}`)));
  });
}

/** Frames acked per second over `seconds`, `connections` WebSockets each keeping up to 8 frames unacked. */
async function wsRun(port: number, frames: string[], connections: number, seconds: number): Promise<{ perSecond: number; failed: number }> {
  const WINDOW = 8;
  let acked = 0;
  let failed = 0;
  let stop = false;
  const one = (): Promise<void> => new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/stream`, { headers: { host: `bench.localhost:${port}` } });
    let seq = 0;
    let unacked = 0;
    const fill = (): void => {
      while (!stop && unacked < WINDOW) {
        const f = frames[seq % frames.length];
        ws.send(`{"seq":${++seq},${f}`);
        unacked++;
      }
      if (stop && unacked === 0) ws.close();
    };
    ws.on('open', fill);
    ws.on('message', () => { acked++; unacked--; fill(); });
    ws.on('error', () => { failed++; resolve(); });
    ws.on('close', () => { if (!stop) failed++; resolve(); });
  });
  const t0 = performance.now();
  const runs = Array.from({ length: connections }, one);
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const counted = acked;
  const elapsed = (performance.now() - t0) / 1000;
  stop = true;
  await Promise.all(runs);
  return { perSecond: counted / elapsed, failed };
}

/** A client's text frame: masked, as the edge receives it. */
function maskedTextFrame(text: string): Buffer {
  const data = Buffer.from(text, 'utf8');
  const ext = data.length < 126 ? 0 : data.length < 65536 ? 2 : 8;
  const head = Buffer.alloc(2 + ext + 4);
  head[0] = 0x81;
  head[1] = 0x80 | (ext === 0 ? data.length : ext === 2 ? 126 : 127);
  if (ext === 2) head.writeUInt16BE(data.length, 2);
  if (ext === 8) head.writeBigUInt64BE(BigInt(data.length), 2);
  const mask = Buffer.from([0x5a, 0x13, 0xc7, 0x80]);
  mask.copy(head, 2 + ext);
  for (let i = 0; i < data.length; i++) data[i] ^= mask[i & 3];
  return Buffer.concat([head, data]);
}

/** The FrameScanner's cost per frame beside JSON.parse's, over the same frames (median of 5 rounds each). */
function frameCheck(frames: string[], seconds: number): string {
  const stream = Buffer.concat(frames.map((f, i) => maskedTextFrame(`{"seq":${i},${f}`)));
  const texts = frames.map((f, i) => `{"seq":${i},${f}`);
  const rounds = (run: () => void): number => {
    const per: number[] = [];
    for (let k = 0; k < 5; k++) {
      const t0 = performance.now();
      let n = 0;
      while (performance.now() - t0 < (seconds * 1000) / 10) { run(); n++; }
      per.push((performance.now() - t0) / n / frames.length);
    }
    return per.sort((a, b) => a - b)[2];
  };
  const scan = rounds(() => {
    const s = new FrameScanner(true);
    for (let at = 0; at < stream.length; at += 65_536) if (s.scan(stream.subarray(at, at + 65_536)) !== undefined) throw new Error('bench: a frame was refused');
  });
  const parse = rounds(() => { for (const t of texts) JSON.parse(t); });
  const mb = stream.length / frames.length / (scan * 1000);
  return `ws_frame_check: ${Math.round(1000 / scan)} frames/s (${(scan * 1000).toFixed(1)} µs per 100-event frame of ${Math.round(stream.length / frames.length)} bytes, ${mb.toFixed(0)} MB/s); ratio to JSON.parse of the frame ${(scan / parse).toFixed(3)} (${(parse * 1000).toFixed(1)} µs)\n`;
}

async function main(): Promise<void> {
  const seconds = arg('duration', 5);
  const connections = arg('connections', 16);
  const { lines } = syntheticLog({ lines: 8000, anomalies: 10, seed: 7 });
  const bodies: string[] = [];
  for (let b = 0; b < 8; b++) {
    bodies.push(JSON.stringify(lines.slice(b * 1000, (b + 1) * 1000).map((data, i) => ({ timestamp: 1_767_225_600_000 + i, stream_type: 'logs', data, metadata: { source: 'bench' } }))));
  }
  // WebSocket frames of 100 events, with non-ASCII text in some (the tunnel's UTF-8 check sees every byte).
  const wsFrames: string[] = [];
  for (let b = 0; b < 80; b++) {
    const events = lines.slice(b * 100, (b + 1) * 100).map((data, i) => ({ timestamp: 1_767_225_600_000 + i, stream_type: 'logs', data: i % 10 === 0 ? `${data} — ünïcödé ✓` : data, metadata: { source: 'bench' } }));
    wsFrames.push(`"events":${JSON.stringify(events)}}`);
  }
  process.stdout.write(frameCheck(wsFrames, seconds));
  const upstream = await spawn('upstream');
  const edge = await spawn('edge', String(upstream.port));
  try {
    const cases = [
      { name: 'http_health', method: 'GET' as const, path: '/health', bodies: undefined },
      { name: 'http_ingest_1000_events', method: 'POST' as const, path: '/api/v1/events/ingest', bodies },
    ];
    for (const c of cases) {
      for (const via of ['direct', 'via_edge'] as const) {
        const port = via === 'direct' ? upstream.port : edge.port;
        const r = await autocannon({
          url: `http://127.0.0.1:${port}${c.path}`, method: c.method, connections, duration: seconds, timeout: 30,
          headers: { host: `bench.localhost:${port}`, 'content-type': 'application/json' },
          ...(c.bodies ? { requests: c.bodies.map((body) => ({ method: 'POST' as const, body })) } : {}),
        });
        const bad = r.non2xx + r.errors + r.timeouts;
        const spread = r.requests.average > 0 ? (100 * r.requests.stddev) / r.requests.average : 0;
        process.stdout.write(`${c.name}_${via}: ${Math.round(r.requests.average)} req/s ±${spread.toFixed(1)}% p50 ${r.latency.p50} ms p99 ${r.latency.p99} ms${bad > 0 ? ` (${bad} failed)` : ''}\n`);
      }
    }
    for (const via of ['direct', 'via_edge'] as const) {
      const r = await wsRun(via === 'direct' ? upstream.port : edge.port, wsFrames, connections, seconds);
      process.stdout.write(`ws_100_events_${via}: ${Math.round(r.perSecond)} frames/s (${Math.round(100 * r.perSecond)} events/s)${r.failed > 0 ? ` (${r.failed} connections failed)` : ''}\n`);
    }
  } finally {
    edge.proc.kill();
    upstream.proc.kill();
  }
}

const roleAt = process.argv.indexOf('--role');
const role = roleAt === -1 ? undefined : process.argv[roleAt + 1];
if (role === 'upstream') roleUpstream();
else if (role === 'edge') void roleEdge(Number(process.argv[roleAt + 2]));
else void main().catch((err: unknown) => { process.stderr.write(`${String(err)}\n`); process.exitCode = 1; });
