// Telemetry as an operator sees it: GET /metrics of the engine, the control API and the edge of
// one process (`driftwatch up`), read by a real Prometheus text parser (parse-prometheus-text-format);
// the METRICS_TOKEN guard; GET /ready of the engine while its PostgreSQL (a server of this
// test's own) is up, then down (the spool acknowledges; without a spool: 503).
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type MetricFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startSystem, type System } from '../../src/system.js';
import { keyEncryptionOf } from '../../src/core/auth/key-encryption.js';
import { startOwnPostgres, type OwnPostgres } from '../helpers/own-postgres.js';

const TOKEN = 'metrics-token-of-this-test-0123456789';
let pg: OwnPostgres;
let sys: System;
let spoolDir: string;
let noSpool: EngineHandle | undefined;
let edgeBase: string;

interface Got { status: number; body: string; type: string | undefined }
function get(url: string, headers: Record<string, string> = {}): Promise<Got> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), type: res.headers['content-type'] }));
    });
    req.on('error', reject);
  });
}

const auth = { authorization: `Bearer ${TOKEN}` };
const scrape = async (base: string, headers: Record<string, string> = {}): Promise<MetricFamily[]> => {
  const r = await get(`${base}/metrics`, { ...auth, ...headers });
  expect(r.status, r.body.slice(0, 300)).toBe(200);
  expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusTextFormat(r.body);
};
const family = (m: MetricFamily[], name: string): MetricFamily => {
  const f = m.find((x) => x.name === name);
  expect(f, name).toBeDefined();
  return f!;
};
const valueOf = (m: MetricFamily[], name: string, labels: Record<string, string> = {}): number => {
  const s = family(m, name).metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return s === undefined ? 0 : Number(s.value);
};

async function ingest(n: number, key = sys.demoApiKey!): Promise<Response> {
  const events = Array.from({ length: n }, (_, i) => ({ timestamp: new Date().toISOString(), stream_type: 'logs', stream: 'metrics-test', data: `line ${i}` }));
  return fetch(`${sys.engineUrl}/api/v1/events/ingest`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(events),
  });
}

beforeAll(async () => {
  pg = await startOwnPostgres();
  spoolDir = mkdtempSync(join(tmpdir(), 'dw-metrics-spool-'));
  const config = loadConfig({
    env: {},
    overrides: {
      databaseUrl: pg.url, host: '127.0.0.1', enginePort: 0, controlPort: 0, edgePort: 0, workerThreads: 1, logLevel: 'silent',
      demoTenant: true, spoolDir, metricsToken: TOKEN,
    },
  });
  sys = await startSystem(config, silentLogger, { engine: true, control: true, edge: true });
  edgeBase = `http://127.0.0.1:${sys.edge!.port}`;
  // A second engine on the same PostgreSQL with the spool off: it cannot acknowledge while PostgreSQL is down.
  // The system sealed the signing keys with its data directory's key file (DATABASE_URL, no key configured): the same one here.
  const tokens = await new TokenService(sys.db.pool, { issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: 900, encryption: keyEncryptionOf(config) }).init();
  noSpool = await startEngine({ config: { ...config, spoolMaxBytes: 0 }, pool: sys.db.pool, tokens, log: silentLogger, shutdownGraceMs: 1_000 });
});

afterAll(async () => {
  if (pg !== undefined && !pg.up) await pg.start();
  await noSpool?.close();
  await sys?.close();
  await pg?.close();
  if (spoolDir !== undefined) await rm(spoolDir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('the engine, the control API and the edge answer the same Prometheus set, with the ingest counted', async () => {
    expect(sys.demoApiKey).toEqual(expect.any(String));
    const before = await scrape(sys.engineUrl!);
    const r = await ingest(25);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 25 });
    // A refusal, counted by its code.
    expect((await ingest(1, 'dw_not_a_key')).status).toBe(401);

    const engine = await scrape(sys.engineUrl!);
    const control = await scrape(sys.controlUrl!);
    const edge = await scrape(edgeBase);
    for (const m of [engine, control, edge]) {
      expect(valueOf(m, 'driftwatch_ingest_received_events_total') - valueOf(before, 'driftwatch_ingest_received_events_total')).toBe(25);
      expect(valueOf(m, 'driftwatch_ingest_acked_events_total')).toBeGreaterThanOrEqual(25);
      expect(valueOf(m, 'driftwatch_ingest_acked_batches_total', { storage: 'postgresql' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(m, 'driftwatch_refusals_total', { server: 'engine', error_code: 'DW_ERR_UNAUTHORIZED' })).toBeGreaterThanOrEqual(1);
      expect(valueOf(m, 'driftwatch_sink_written_rows_total', { sink: 'events' })).toBeGreaterThanOrEqual(1);
      // Receive-to-ack latency: a histogram with buckets, sum and count.
      const h = family(m, 'driftwatch_ingest_request_duration_seconds');
      expect(h.type).toBe('HISTOGRAM');
      expect(Number(h.metrics[0].count)).toBeGreaterThanOrEqual(2);
      expect(Object.keys(h.metrics[0].buckets ?? {}).length).toBeGreaterThan(5);
      // Queue depth as a pushed/popped pair; spool bytes; process metrics.
      expect(family(m, 'driftwatch_score_queue_pushed_events_total').type).toBe('COUNTER');
      expect(family(m, 'driftwatch_score_queue_popped_events_total').type).toBe('COUNTER');
      expect(family(m, 'driftwatch_spool_bytes').type).toBe('GAUGE');
      expect(valueOf(m, 'driftwatch_process_resident_memory_bytes')).toBeGreaterThan(0);
      // Names and conventions: driftwatch_*, counters end in _total, no tenant or stream label.
      for (const f of m) {
        expect(f.name).toMatch(/^driftwatch_/);
        if (f.type === 'COUNTER') expect(f.name).toMatch(/_total$/);
        for (const s of f.metrics) for (const l of Object.keys(s.labels ?? {})) expect(['tenant', 'tenant_id', 'stream']).not.toContain(l);
      }
    }
    // One registry per process: every server answers the same set of names.
    const names = (m: MetricFamily[]): string[] => m.map((f) => f.name).sort();
    expect(names(control)).toEqual(names(engine));
    expect(names(edge)).toEqual(names(engine));
    // The scorer takes the stored events off its queue (pushed, then popped).
    await expect.poll(async () => valueOf(await scrape(sys.engineUrl!), 'driftwatch_score_queue_popped_events_total'), { timeout: 10_000 })
      .toBeGreaterThanOrEqual(25);
  });

  it('asks for METRICS_TOKEN on every server; the edge serves /metrics on its own address only', async () => {
    for (const base of [sys.engineUrl!, sys.controlUrl!, edgeBase]) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-wrong-token' }, { authorization: TOKEN }] as Record<string, string>[]) {
        const r = await get(`${base}/metrics`, headers);
        expect(r.status, `${base} ${JSON.stringify(headers)}`).toBe(401);
        expect(JSON.parse(r.body).error.code).toBe('DW_ERR_UNAUTHORIZED');
      }
    }
    // A tenant's Host: not answered by the edge, and not proxied to the tenant's engine.
    const tenant = await get(`${edgeBase}/metrics`, { ...auth, host: `demo.localhost:${sys.edge!.port}` });
    expect(tenant.status).toBe(404);
    expect(JSON.parse(tenant.body).error.code).toBe('DW_ERR_NOT_FOUND');
    // Refusals are counted by server and code.
    const m = await scrape(sys.controlUrl!);
    expect(valueOf(m, 'driftwatch_refusals_total', { server: 'control', error_code: 'DW_ERR_UNAUTHORIZED' })).toBeGreaterThanOrEqual(3);
    expect(valueOf(m, 'driftwatch_refusals_total', { server: 'edge', error_code: 'DW_ERR_NOT_FOUND' })).toBeGreaterThanOrEqual(1);
  });
});

describe('GET /ready on the engine', () => {
  it('200 on PostgreSQL; PostgreSQL gone: 200 on the spool (acks from it), 503 without a spool', async () => {
    const up = await get(`${sys.engineUrl}/ready`);
    expect(up.status).toBe(200);
    expect(JSON.parse(up.body)).toEqual({ ready: true, storage: 'postgresql', postgresql: 'up' });
    const noSpoolUrl = `http://127.0.0.1:${noSpool!.port}`;
    expect(JSON.parse((await get(`${noSpoolUrl}/ready`)).body)).toMatchObject({ ready: true, storage: 'postgresql' });

    await pg.stop();
    const down = await get(`${sys.engineUrl}/ready`);
    expect(down.status).toBe(200);
    expect(JSON.parse(down.body)).toEqual({ ready: true, storage: 'spool', postgresql: 'down' });
    const refused = await get(`${noSpoolUrl}/ready`);
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body)).toMatchObject({ ready: false, storage: null, postgresql: 'down', error: { code: 'DW_ERR_DATABASE_UNAVAILABLE' } });

    // It says so truly: a batch is acknowledged from the spool, and the spool's bytes show.
    const r = await ingest(10);
    expect(r.status).toBe(200);
    const m = await scrape(sys.engineUrl!);
    expect(valueOf(m, 'driftwatch_ingest_acked_batches_total', { storage: 'spool' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(m, 'driftwatch_spool_bytes')).toBeGreaterThan(0);
    expect(valueOf(m, 'driftwatch_spool_engaged')).toBe(1);

    await pg.start();
    await expect.poll(async () => JSON.parse((await get(`${sys.engineUrl}/ready`)).body).storage, { timeout: 30_000, interval: 200 }).toBe('postgresql');
  });
});
