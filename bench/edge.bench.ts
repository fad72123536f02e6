// What the built-in edge proxy costs: the same HTTP load sent straight to an engine-like
// upstream and through the edge proxy (src/edge/proxy.ts), one line per case:
//
//   <case>_direct    autocannon ────────────────────────────────▶ child: bare uWS upstream
//   <case>_via_edge  autocannon ─ Host: bench.localhost ─▶ child: edge proxy ─▶ child: bare uWS upstream
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
import { syntheticLog } from '../src/tools/demo/synthetic.js';
import { startEdgeProxy } from '../src/edge/proxy.js';
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

async function main(): Promise<void> {
  const seconds = arg('duration', 5);
  const connections = arg('connections', 16);
  const { lines } = syntheticLog({ lines: 8000, anomalies: 10, seed: 7 });
  const bodies: string[] = [];
  for (let b = 0; b < 8; b++) {
    bodies.push(JSON.stringify(lines.slice(b * 1000, (b + 1) * 1000).map((data, i) => ({ timestamp: 1_767_225_600_000 + i, stream_type: 'logs', data, metadata: { source: 'bench' } }))));
  }
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
