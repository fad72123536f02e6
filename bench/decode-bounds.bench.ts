// bench/decode-bounds: how fast the engine refuses a body built to freeze it, and whether the
// control API in the same process stays responsive meanwhile (issue 12, High 2).
//
//   4 clients ──POST 14.3 MiB msgpack: array32 of 15 M empty maps (business tenant: 16 MiB body limit)──► engine
//   prober ──GET /health every 5 ms──► control API (same process, same event loop)
//   ceiling: one memchr pass over the same 14.3 MiB (Buffer.indexOf), in this process
//
// One line: `decode_refusal_15m_maps: refused <code> in p50 X ms max Y ms after the body was sent
// (max per round: ...; the first round cold) (N at once); control /health max Z ms p99 W ms during; ceiling: memchr of the body X ms (ratio R)`.
// Needs DATABASE_URL (creates dw_bench_decode_<random> and drops it).
//   npx tsc -p tsconfig.json && DATABASE_URL=postgres://... node dist/bench/decode-bounds.bench.js [--rounds 5]
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberArg as arg, quantile } from './args.js';
import { scratchDatabase } from './scratch-db.js';
import { createApiKey } from '../src/core/auth/api-keys.js';
import { loadConfig } from '../src/core/config.js';
import { silentLogger } from '../src/core/log.js';
import { createTenant } from '../src/core/tenancy/tenants.js';
import { startSystem } from '../src/system.js';
import { decodeBody } from '../engine/transforms/decode.js';

const CONCURRENT = 4;
const MAPS = 15_000_000;

/**
 * POSTs `body`; resolves with the ms from the last byte written to the complete answer (from the
 * first byte when the answer came before the client had written the whole body: `early`), and its code.
 */
function post(url: string, key: string, body: Buffer): Promise<{ ms: number; early: boolean; status: number; code: string }> {
  return new Promise((resolve) => {
    const startAt = performance.now();
    let sentAt = 0;
    const req = http.request(`${url}/api/v1/events/ingest`, {
      method: 'POST', agent: false,
      headers: { 'content-type': 'application/msgpack', 'content-length': body.length, authorization: `Bearer ${key}` },
    }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => { text += d.toString(); });
      res.on('end', () => {
        let code = '';
        try { code = String((JSON.parse(text) as { error?: { code?: string } }).error?.code ?? ''); } catch { code = 'unparsable'; }
        resolve({ ms: performance.now() - (sentAt || startAt), early: sentAt === 0, status: res.statusCode ?? 0, code });
      });
    });
    // Refused before the whole body was sent (over the tenant's share of the body budget: 503 and close).
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ ms: performance.now() - (sentAt || startAt), early: sentAt === 0, status: 0, code: err.code ?? 'error' }));
    req.end(body, () => { sentAt = performance.now(); });
  });
}

/** GET /health every 5 ms until stop(); the latencies seen. */
function probe(url: string): { stop(): Promise<number[]> } {
  const lat: number[] = [];
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loop = (async () => {
    while (running) {
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        http.get(`${url}/health`, { agent }, (res) => { res.resume(); res.on('end', () => resolve()); }).on('error', () => resolve());
      });
      lat.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return { async stop() { running = false; await loop; agent.destroy(); return lat; } };
}

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL;
  if (adminUrl === undefined) { process.stderr.write('decode-bounds.bench: set DATABASE_URL\n'); process.exitCode = 2; return; }
  const rounds = arg('--rounds', 5);
  const db = await scratchDatabase(adminUrl, 'decode');
  const spoolDir = mkdtempSync(join(tmpdir(), 'dw-bench-spool-'));
  const config = loadConfig({ env: {}, overrides: { databaseUrl: db.url, host: '127.0.0.1', enginePort: 0, controlPort: 0, workerThreads: 1, logLevel: 'silent', demoTenant: false, spoolDir } });
  const system = await startSystem(config, silentLogger, { engine: true, control: true });
  try {
    const tenant = await createTenant(system.db.pool, 'Bench', 'business');
    const key = (await createApiKey(system.db.pool, tenant.id)).key;
    const body = Buffer.alloc(5 + MAPS, 0x80);
    body[0] = 0xdd;
    body.writeUInt32BE(MAPS, 1);

    // /health alone first (its own baseline: connection set-up, first requests).
    const warm = probe(system.controlUrl!);
    await new Promise((r) => setTimeout(r, 1_000));
    const alone = await warm.stop();

    const refusals: number[] = [];
    const roundMax: number[] = [];
    let early = 0;
    const codes = new Set<string>();
    const p = probe(system.controlUrl!);
    await new Promise((r) => setTimeout(r, 200));
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => { rssPeak = Math.max(rssPeak, process.memoryUsage().rss); }, 10);
    for (let r = 0; r < rounds; r++) {
      const answers = await Promise.all(Array.from({ length: CONCURRENT }, () => post(system.engineUrl!, key, body)));
      for (const a of answers) {
        codes.add(`${a.status} ${a.code}`);
        if (a.status === 413) { refusals.push(a.ms); if (a.early) early++; }
      }
      roundMax.push(Math.max(...answers.map((a) => a.ms)));
    }
    clearInterval(sampler);
    const health = await p.stop();

    // The machine's ceiling: the cheapest full pass over the same bytes (memchr for a byte absent from them).
    const scans: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      if (body.indexOf(0xff) !== -1) throw new Error('unexpected byte');
      scans.push(performance.now() - t0);
    }
    // The refusal itself, in this process: decodeBody with a business tenant's limits.
    const decodes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t0 = performance.now();
      try { decodeBody(body, 'msgpack', { maxBatchEvents: 10_000, maxEventBytes: 65_536 }); } catch { /* refused */ }
      decodes.push(performance.now() - t0);
    }
    const p50 = quantile(refusals, 0.5);
    const scan = quantile(scans, 0.5);
    process.stdout.write(
      `decode_refusal_15m_maps: refused ${[...codes].join(', ')} in p50 ${p50.toFixed(1)} ms max ${Math.max(...refusals).toFixed(1)} ms after the body was sent ` +
      `(max per round: ${roundMax.map((m) => m.toFixed(1)).join(', ')}; the first round is the first the engine serves: cold code paths) ` +
      `(${early} of ${refusals.length} before the client had sent it all: timed from its first byte) ` +
      `(${CONCURRENT} at once, ${rounds} rounds); control /health max ${Math.max(...health).toFixed(1)} ms p99 ${quantile(health, 0.99).toFixed(1)} ms p50 ${quantile(health, 0.5).toFixed(1)} ms ` +
      `(${health.length} probes; alone: max ${Math.max(...alone).toFixed(1)} ms p50 ${quantile(alone, 0.5).toFixed(1)} ms); decodeBody refusal in-process p50 ${quantile(decodes, 0.5).toFixed(3)} ms; rss +${((rssPeak - rssBefore) / 2 ** 20).toFixed(0)} MiB; ceiling: memchr of the 14.3 MiB body ${scan.toFixed(2)} ms (ratio ${(p50 / scan).toFixed(1)}); load ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores\n`,
    );
  } finally {
    await system.close();
    rmSync(spoolDir, { recursive: true, force: true });
    await db.drop();
  }
}

await main();
