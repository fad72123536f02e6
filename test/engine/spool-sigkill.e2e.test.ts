// SIGKILL mid-stream: the engine runs as a child process (`node dist/bin/driftwatch.js engine`)
// against an own embedded PostgreSQL; clients keep what was not acknowledged and resend it after
// reconnecting (WebSocket: same client_id and seq; HTTP: same Idempotency-Key). The engine is
// killed with SIGKILL while they stream, with PostgreSQL up, and (second case) with PostgreSQL
// down so that the spool holds acknowledged batches; then restarted. Every acknowledged event
// is stored exactly once (each event carries a unique marker), and nothing is stored twice.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { migrate } from '../../src/core/db.js';
import { packageRoot } from '../../src/core/paths.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { freePort, waitFor } from '../helpers/net.js';
import { ownPool, startOwnPostgres, storedMarkers, type OwnPostgres } from '../helpers/own-postgres.js';

let pgs: OwnPostgres;
let pool: pg.Pool;
const children = new Set<ChildProcess>();
const dirs: string[] = [];

beforeAll(async () => {
  pgs = await startOwnPostgres();
  pool = ownPool(pgs.url);
  await migrate(pool);
});
afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await pool?.end();
  await pgs?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

interface EngineProcess { child: ChildProcess; log: { msg: string; [k: string]: unknown }[] }

/** Starts `driftwatch engine` on `port` and waits until it answers /health. */
async function startEngineProcess(port: number, spoolDir: string): Promise<EngineProcess> {
  const child = spawn(process.execPath, [
    join(packageRoot, 'dist/bin/driftwatch.js'), 'engine',
    '--database-url', pgs.url, '--engine-port', String(port), '--host', '127.0.0.1',
    '--spool-dir', spoolDir, '--worker-threads', '1', '--log-level', 'info',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const out: EngineProcess = { child, log: [] };
  let buf = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try { out.log.push(JSON.parse(line)); } catch { out.log.push({ msg: line }); }
    }
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`engine exited ${child.exitCode}: ${JSON.stringify(out.log.slice(-5))}`);
    const r = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    return r?.ok ? true : undefined;
  }, 30_000, 'the engine to answer /health');
  return out;
}

function sigkill(p: EngineProcess): Promise<void> {
  return new Promise((resolve) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) { resolve(); return; }
    p.child.once('exit', () => resolve());
    p.child.kill('SIGKILL');
  });
}

const markersOf = (prefix: string, n: number, per: number): string[] => Array.from({ length: per }, (_, i) => `${prefix}:${n}:${i}`);
const eventsOf = (stream: string, markers: string[]): unknown[] =>
  markers.map((m, i) => ({ timestamp: 1_700_000_000_000 + i, stream_type: 'logs', stream, data: m }));

/**
 * A WebSocket client that pipelines up to `window` frames (a new one every `paceMs` at most, so
 * that the stream lasts long enough to be cut), keeps every frame until it is acknowledged, and
 * after any disconnect reconnects and resends them in seq order.
 */
class ResendingWsClient {
  readonly acked = new Set<number>();
  /** Acks that said `duplicate`: frames stored before the kill whose ack was lost, recognised on resend. */
  duplicates = 0;
  lostAcks = 0;
  readonly #unacked = new Map<number, string>();
  #next = 1;
  #ws: WebSocket | undefined;
  #done: () => void = () => {};
  readonly finished: Promise<void>;
  #stopped = false;
  reconnects = 0;

  #ticker: NodeJS.Timeout;

  constructor(readonly url: string, readonly key: string, readonly total: number, readonly window: number, readonly per: number, paceMs: number) {
    this.finished = new Promise((r) => { this.#done = r; });
    this.#connect();
    this.#ticker = setInterval(() => this.#sendNew(), paceMs);
  }

  #frame(seq: number): string {
    return JSON.stringify({ seq, events: eventsOf('ws', markersOf('w', seq, this.per)) });
  }

  #connect(): void {
    if (this.#stopped) return;
    const ws = new WebSocket(this.url, { headers: { authorization: `Bearer ${this.key}` } });
    this.#ws = ws;
    ws.on('open', () => {
      for (const f of [...this.#unacked.entries()].sort((x, y) => x[0] - y[0])) ws.send(f[1]);
    });
    ws.on('message', (data: Buffer) => {
      const m = JSON.parse(data.toString()) as { ack?: number; nack?: number | null };
      if (typeof m.ack === 'number') {
        // Until the first disconnect, every 50th ack is "lost" (as if the kill had eaten it): the
        // frame stays unacknowledged here and is resent after reconnecting, though it was stored.
        if (this.reconnects === 0 && m.ack % 50 === 0) { this.lostAcks++; return; }
        this.#unacked.delete(m.ack);
        this.acked.add(m.ack);
        if ((m as { duplicate?: boolean }).duplicate === true) this.duplicates++;
        if (this.acked.size === this.total) { this.stop(); this.#done(); }
      } else if (typeof m.nack === 'number') {
        // Refused (storage unavailable, spool full, shutting down): try again a little later.
        const seq = m.nack;
        setTimeout(() => { const f = this.#unacked.get(seq); if (f !== undefined && ws.readyState === WebSocket.OPEN) ws.send(f); }, 200);
      }
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (this.#stopped) return;
      this.reconnects++;
      setTimeout(() => this.#connect(), 100);
    });
  }

  #sendNew(): void {
    const ws = this.#ws;
    if (ws !== undefined && ws.readyState === WebSocket.OPEN && this.#unacked.size < this.window && this.#next <= this.total) {
      const seq = this.#next++;
      const f = this.#frame(seq);
      this.#unacked.set(seq, f);
      ws.send(f);
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#ws?.terminate();
  }
}

/** Sequential HTTP batches with an Idempotency-Key each, resent (same key) until answered 200. */
async function resendingHttp(port: number, key: string, total: number, per: number, acked: Set<number>, stop: () => boolean): Promise<void> {
  for (let n = 1; n <= total && !stop(); n++) {
    const body = JSON.stringify(eventsOf('http', markersOf('h', n, per)));
    for (;;) {
      if (stop()) return;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/events/ingest`, {
        method: 'POST', body,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, 'idempotency-key': `h-${n}` },
      }).catch(() => undefined);
      if (res?.status === 200) { acked.add(n); break; }
      await res?.arrayBuffer().catch(() => {});
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Bytes in the spool's segment files. */
async function spooledBytes(dir: string): Promise<number> {
  let n = 0;
  for (const f of await readdir(dir)) if (f.startsWith('seg-')) n += (await stat(join(dir, f))).size;
  return n;
}

async function expectExactlyOnce(tenantId: string, ws: { total: number; per: number }, http: { total: number; per: number }): Promise<void> {
  const stored = await storedMarkers(pool, tenantId);
  const counts = new Map<string, number>();
  for (const m of stored) counts.set(m, (counts.get(m) ?? 0) + 1);
  const doubled = [...counts].filter(([, c]) => c > 1);
  expect(doubled, 'markers stored more than once').toEqual([]);
  const expected = [
    ...Array.from({ length: ws.total }, (_, s) => markersOf('w', s + 1, ws.per)).flat(),
    ...Array.from({ length: http.total }, (_, s) => markersOf('h', s + 1, http.per)).flat(),
  ];
  const missing = expected.filter((m) => !counts.has(m));
  expect(missing, 'acknowledged markers not stored').toEqual([]);
  expect(stored.length).toBe(expected.length);
}

describe('engine killed with SIGKILL mid-stream, then restarted; clients resend what was not acknowledged', () => {
  // About 300 frames a second at most: the stream lasts a few seconds, long enough to be cut.
  const WS = { total: 1500, per: 10, window: 32, paceMs: 3 };
  const HTTP = { total: 150, per: 10 };

  async function setup(): Promise<{ tenantId: string; key: string; port: number; dir: string }> {
    const t = await createTenant(pool, `sigkill ${Math.random()}`, 'business');
    const key = (await createApiKey(pool, t.id)).key;
    const dir = await mkdtemp(join(tmpdir(), 'dw-spool-kill-'));
    dirs.push(dir);
    return { tenantId: t.id, key, port: await freePort(), dir };
  }

  it('with PostgreSQL up: every acknowledged event stored exactly once', async () => {
    const { tenantId, key, port, dir } = await setup();
    let engine = await startEngineProcess(port, dir);
    const ws = new ResendingWsClient(`ws://127.0.0.1:${port}/api/v1/stream?client_id=kill-up`, key, WS.total, WS.window, WS.per, WS.paceMs);
    const httpAcked = new Set<number>();
    let stopHttp = false;
    const http = resendingHttp(port, key, HTTP.total, HTTP.per, httpAcked, () => stopHttp);
    try {
      await waitFor(async () => (ws.acked.size >= WS.total / 3 ? true : undefined), 60_000, 'a third of the frames acked');
      const ackedAtKill = ws.acked.size;
      await sigkill(engine);
      expect(ackedAtKill).toBeLessThan(WS.total);
      engine = await startEngineProcess(port, dir);
      await ws.finished;
      await http;
      expect(ws.reconnects).toBeGreaterThanOrEqual(1);
      // Frames stored before the kill whose ack the client "lost" were recognised when resent.
      expect(ws.lostAcks).toBeGreaterThan(0);
      expect(ws.duplicates).toBeGreaterThanOrEqual(ws.lostAcks);
      await expectExactlyOnce(tenantId, WS, HTTP);
    } finally {
      ws.stop();
      stopHttp = true;
      await sigkill(engine);
    }
  });

  it('with PostgreSQL down (the spool holds acknowledged batches): every acknowledged event stored exactly once', async () => {
    const { tenantId, key, port, dir } = await setup();
    let engine = await startEngineProcess(port, dir);
    const ws = new ResendingWsClient(`ws://127.0.0.1:${port}/api/v1/stream?client_id=kill-down`, key, WS.total, WS.window, WS.per, WS.paceMs);
    const httpAcked = new Set<number>();
    let stopHttp = false;
    const http = resendingHttp(port, key, HTTP.total, HTTP.per, httpAcked, () => stopHttp);
    try {
      await waitFor(async () => (ws.acked.size >= WS.total / 5 ? true : undefined), 60_000, 'a fifth of the frames acked');
      await pgs.stop();
      // Acknowledged while PostgreSQL is down: those batches are in the spool only.
      const before = ws.acked.size;
      await waitFor(async () => (ws.acked.size >= before + 60 ? true : undefined), 60_000, 'frames acked while PostgreSQL is down');
      const spooled = await spooledBytes(dir);
      expect(spooled).toBeGreaterThan(8);
      await sigkill(engine);
      expect(ws.acked.size).toBeLessThan(WS.total);
      // The engine needs PostgreSQL to start (schema, signing keys): start it, then the engine.
      await pgs.start();
      engine = await startEngineProcess(port, dir);
      await ws.finished;
      await http;
      expect(ws.reconnects).toBeGreaterThanOrEqual(1);
      await waitFor(async () => (engine.log.some((l) => l.msg.startsWith('SpoolDrained')) ? true : undefined), 30_000, 'the spool to drain');
      const recovered = engine.log.find((l) => l.msg.startsWith('SpoolRecovered'));
      expect(recovered, 'the restarted engine found the spooled batches').toBeDefined();
      expect(recovered!.batches as number).toBeGreaterThan(0);
      // The "lost" acks' frames were resent into the spool again: the replay found them stored.
      expect(ws.lostAcks).toBeGreaterThan(0);
      const drained = engine.log.find((l) => l.msg.startsWith('SpoolDrained'))!;
      expect((drained.duplicates as number) + ws.duplicates).toBeGreaterThanOrEqual(ws.lostAcks);
      await expectExactlyOnce(tenantId, WS, HTTP);
      if (process.env.DW_SPOOL_DEBUG) console.log('lost acks', ws.lostAcks, 'duplicate acks', ws.duplicates, 'drained', JSON.stringify(drained), 'recovered', JSON.stringify(recovered));
    } finally {
      ws.stop();
      stopHttp = true;
      await pgs.start();
      await sigkill(engine);
    }
  });
});
