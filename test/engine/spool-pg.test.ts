// The engine's spool against a real PostgreSQL that the test stops and starts (its own
// embedded server; the shared one is never touched):
//   (a) PostgreSQL down ─► HTTP and WebSocket batches keep being acknowledged; back ─► every
//       event is stored once, in order, and the scorer sees each stream once, in order;
//   (b) spool full ─► 503 DW_ERR_SPOOL_FULL with Retry-After / nack; every acknowledged event is kept;
//   (d) a torn last record (a crash mid-write) is cut off at start and counted; the rest replays;
//       a segment replayed again (a crash after the replay committed, before the file was
//       deleted) stores nothing twice, batches without a client key included;
//   (e) under a steady stream the replay catches up and hands over: the spool drains, order holds;
//   (f) close() right after PostgreSQL returns lets the spool drain first;
//   (g) a signed-in user's access token (its session checked before the outage) keeps working
//       while PostgreSQL is down; a key the engine never verified gets 503.
//   (h) no idle ticks while the spool holds acknowledged events: a stream whose events wait in
//       the spool is not quiet (a tick would judge its silence, and date it after events still to come).
//   (i) an anomaly write that PostgreSQL's stop cuts off is written once it is back (its event is
//       stored: its finding is kept too).
import { appendFile, copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { TokenService } from '../../src/core/auth/jwt.js';
import { loadConfig, type Config } from '../../src/core/config.js';
import { migrate } from '../../src/core/db.js';
import { silentLogger, type Logger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { waitFor } from '../helpers/net.js';
import { ownPool, startOwnPostgres, storedMarkers, type OwnPostgres } from '../helpers/own-postgres.js';
import { boomWorker, WsClient } from './harness.js';

let pgs: OwnPostgres;
let pool: pg.Pool;
let tokens: TokenService;
const dirs: string[] = [];

beforeAll(async () => {
  pgs = await startOwnPostgres();
  pool = ownPool(pgs.url);
  await migrate(pool);
  tokens = await new TokenService(pool, { issuer: 'driftwatch', audience: 'driftwatch', ttlSeconds: 900 }).init();
});
afterAll(async () => {
  await pool?.end();
  await pgs?.close();
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tenant(): Promise<{ id: string; key: string }> {
  const t = await createTenant(pool, `spool ${Math.random()}`);
  return { id: t.id, key: (await createApiKey(pool, t.id)).key };
}

async function spoolDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'dw-spool-test-'));
  dirs.push(d);
  return d;
}

function engineOn(dir: string, overrides: Partial<Config> = {}, log: Logger = silentLogger): Promise<EngineHandle> {
  const config = loadConfig({
    env: {},
    overrides: {
      enginePort: 0, host: '127.0.0.1', workerThreads: 1, logLevel: 'silent', flushIntervalMs: 5,
      // Every request looks the key up again: while PostgreSQL is down only the stale-if-down rule lets it in.
      apiKeyCacheMs: 0, spoolDir: dir, spoolMaxBytes: 64 * 1024 * 1024, ...overrides,
    },
  });
  return startEngine({ config, pool, tokens, log, workerFilename: boomWorker });
}

/** Event n of a stream; its data is its marker, and every 7th is flagged by the BOOM fixture detector. */
const marker = (stream: string, n: number): string => `${stream}:${n}${n % 7 === 0 ? ':BOOM' : ''}`;
const ev = (stream: string, n: number): Record<string, unknown> =>
  ({ timestamp: 1_700_000_000_000 + n, stream_type: 'logs', stream, data: marker(stream, n) });

async function post(port: number, key: string, events: unknown[], idempotencyKey?: string): Promise<{ status: number; retryAfter: string | null; body: any }> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1/events/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}) },
    body: JSON.stringify(events),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);
/** The positions flagged (BOOM) among a stream's first `count` events. */
const flagged = (count: number): number[] => range(0, count).filter((n) => n % 7 === 0);

async function anomaliesOf(tenantId: string, stream: string): Promise<{ data: string; seen: number }[]> {
  const { rows } = await pool.query<{ data: string; seen: number }>(
    `SELECT event->>'data' AS data, (details->>'seen')::int AS seen FROM anomalies WHERE tenant_id = $1 AND stream = $2 ORDER BY seen`, [tenantId, stream]);
  return rows;
}

describe('engine spool with PostgreSQL stopped and started', () => {
  it('(a) keeps acknowledging HTTP and WebSocket batches while PostgreSQL is down; every event lands once, in order, and is scored once, in order', async () => {
    const t = await tenant();
    const engine = await engineOn(await spoolDir());
    const ws = await WsClient.connect(`ws://127.0.0.1:${engine.port}/api/v1/stream?client_id=c1`, { authorization: `Bearer ${t.key}` });
    let hn = 0;
    let wn = 0;
    let seq = 0;
    let lastHttp: { events: unknown[]; key: string } | undefined;
    let lastWs: { seq: number; events: unknown[] } | undefined;
    const httpBatch = async (keyed: boolean): Promise<void> => {
      const events = range(hn, hn + 5).map((n) => ev('h', n));
      hn += 5;
      const key = keyed ? `h-${hn}` : undefined;
      const r = await post(engine.port, t.key, events, key);
      expect(r, JSON.stringify(r.body)).toMatchObject({ status: 200, body: { accepted: 5 } });
      if (key !== undefined) lastHttp = { events, key };
    };
    const wsBatch = async (): Promise<void> => {
      const events = range(wn, wn + 5).map((n) => ev('w', n));
      wn += 5;
      seq++;
      ws.sendJson({ seq, events });
      expect((await ws.answer(seq, 20_000)).msg).toEqual({ ack: seq });
      lastWs = { seq, events };
    };
    try {
      for (let i = 0; i < 10; i++) { await httpBatch(i % 2 === 0); await wsBatch(); }
      expect(engine.stats().spool).toMatchObject({ spooling: false, appended: 0 });
      // What was stored and scored so far is in before PostgreSQL stops: the flagged events of
      // both streams. The scorer keeps the order within a stream, not between streams (h's last
      // task may wait longer than w's: its settings lookup, its gathering timer, the worker), so
      // w's rows being stored says nothing of h's. (An anomaly write still in flight when
      // PostgreSQL stopped used to be dropped after the sink's ~350 ms of retries, and the wait
      // for stream h's anomalies below timed out; it is now tried again until PostgreSQL is back: (i).)
      await waitFor(async () => {
        for (const [stream, count] of [['h', hn], ['w', wn]] as const) {
          if ((await anomaliesOf(t.id, stream)).length < flagged(count).length) return undefined;
        }
        return true;
      }, 15_000, 'anomalies of the first part');

      await pgs.stop();
      const t0 = Date.now();
      for (let i = 0; i < 10; i++) { await httpBatch(i % 2 === 0); await wsBatch(); }
      // A client that did not see its answer resends: the same Idempotency-Key / the same seq on the same client_id.
      expect(await post(engine.port, t.key, lastHttp!.events, lastHttp!.key)).toMatchObject({ status: 200, body: { accepted: 5 } });
      ws.sendJson({ seq: lastWs!.seq, events: lastWs!.events });
      await waitFor(async () => (ws.answers.filter((a) => a.msg.ack === lastWs!.seq).length === 2 ? true : undefined), 10_000, 'the resend acked');
      const down = engine.stats().spool!;
      expect(down.spooling).toBe(true);
      expect(down.appended).toBe(22);
      expect(down.batches).toBe(22);
      expect(down.bytes).toBeGreaterThan(0);
      expect(Date.now() - t0).toBeLessThan(15_000);

      await pgs.start();
      await waitFor(async () => (engine.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain');
      for (let i = 0; i < 5; i++) { await httpBatch(i % 2 === 0); await wsBatch(); }

      const s = engine.stats().spool!;
      expect(s).toMatchObject({ spooling: false, bytes: 0, batches: 0, replayRejected: 0 });
      expect(s.replayed).toBe(20);
      expect(s.replayedDuplicates).toBe(2);
      // Stored: each event once, in the order sent (storage order = events.id).
      expect(await storedMarkers(pool, t.id, 'h')).toEqual(range(0, hn).map((n) => marker('h', n)));
      expect(await storedMarkers(pool, t.id, 'w')).toEqual(range(0, wn).map((n) => marker('w', n)));
      // Scored: each BOOM event found once, at its position in the stream as the worker counted
      // it (`seen`): the scorer saw every event of the stream once, in order, spooled or not.
      for (const [stream, count] of [['h', hn], ['w', wn]] as const) {
        const booms = flagged(count);
        const found = await waitFor(async () => {
          const rows = await anomaliesOf(t.id, stream);
          return rows.length >= booms.length ? rows : undefined;
        }, 15_000, `anomalies of stream ${stream}`);
        expect(found).toEqual(booms.map((n) => ({ data: marker(stream, n), seen: n })));
      }
      expect(engine.stats().score.anomalyWritesFailed).toBe(0);
    } finally {
      await ws.close();
      await pgs.start();
      await engine.close();
    }
  });

  it('(b) when the spool is full: 503 DW_ERR_SPOOL_FULL with Retry-After and a nack; every acknowledged event is stored once', async () => {
    const t = await tenant();
    // Each batch is ~2-3 KB framed: a 16 KiB spool takes a handful.
    const engine = await engineOn(await spoolDir(), { spoolMaxBytes: 16 * 1024 });
    const ws = await WsClient.connect(`ws://127.0.0.1:${engine.port}/api/v1/stream?client_id=full`, { authorization: `Bearer ${t.key}` });
    const acked: string[] = [];
    try {
      await pgs.stop();
      let n = 0;
      let refused: { status: number; retryAfter: string | null; body: any } | undefined;
      let refusedBatch: { events: unknown[]; key: string } | undefined;
      for (let i = 0; i < 100 && refused === undefined; i++) {
        const events = range(n, n + 5).map((k) => ev('f', k));
        const r = await post(engine.port, t.key, events, `f-${i}`);
        if (r.status === 200) { acked.push(...range(n, n + 5).map((k) => marker('f', k))); n += 5; } else { refused = r; refusedBatch = { events, key: `f-${i}` }; }
      }
      expect(refused).toBeDefined();
      expect(refused!.status).toBe(503);
      expect(refused!.retryAfter).toMatch(/^[1-9]\d*$/);
      expect(refused!.body.error.code).toBe('DW_ERR_SPOOL_FULL');
      expect(acked.length).toBeGreaterThan(0);
      ws.sendJson({ seq: 1, events: [ev('g', 0)] });
      const nack = (await ws.answer(1, 20_000)).msg;
      expect(nack).toMatchObject({ nack: 1, error: { code: 'DW_ERR_SPOOL_FULL' } });
      expect(engine.stats().spool!.refusedFull).toBeGreaterThanOrEqual(2);
      expect(engine.stats().spool!.bytes).toBeLessThanOrEqual(16 * 1024);

      await pgs.start();
      await waitFor(async () => (engine.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain');
      expect(await storedMarkers(pool, t.id, 'f')).toEqual(acked);
      expect(await storedMarkers(pool, t.id, 'g')).toEqual([]);
      // The refused batch, sent again once there is room, is stored like any other.
      expect(await post(engine.port, t.key, refusedBatch!.events, refusedBatch!.key)).toMatchObject({ status: 200, body: { accepted: 5 } });
      expect(await storedMarkers(pool, t.id, 'f')).toEqual([...acked, ...range(n, n + 5).map((k) => marker('f', k))]);
    } finally {
      await ws.close();
      await pgs.start();
      await engine.close();
    }
  });

  it('(d) cuts a torn last record at start, logs and counts it, and replays every whole record once', async () => {
    const t = await tenant();
    const dir = await spoolDir();
    const acked: string[] = [];
    const first = await engineOn(dir);
    try {
      // The engine verifies the key once while PostgreSQL is up (while it is down, only keys it has verified get in).
      expect((await post(first.port, t.key, [ev('up', 0)])).status).toBe(200);
      await pgs.stop();
      try {
        for (let i = 0; i < 6; i++) {
          // No Idempotency-Key: the spool gives each batch a key of its own.
          const r = await post(first.port, t.key, range(i * 3, i * 3 + 3).map((k) => ev('d', k)));
          expect(r.status).toBe(200);
          acked.push(...range(i * 3, i * 3 + 3).map((k) => marker('d', k)));
        }
        expect(first.stats().spool!.batches).toBe(6);
      } finally {
        // Closed with PostgreSQL still down: the spool stays on disk for the next start.
        await first.close();
      }
    } finally {
      await first.close();
      await pgs.start();
    }
    const segs = (await readdir(dir)).filter((f) => f.startsWith('seg-'));
    expect(segs).toHaveLength(1);
    const saved = join(await spoolDir(), segs[0]);
    await copyFile(join(dir, segs[0]), saved);
    // A crash in the middle of a write: a header announcing 500 bytes, and only 20 of them.
    const torn = Buffer.alloc(28);
    torn.writeUInt32LE(500, 0);
    await appendFile(join(dir, segs[0]), torn);

    const lines: { msg: string; bytes?: number; reason?: string }[] = [];
    const log = pino({ level: 'info' }, { write(line: string) { lines.push(JSON.parse(line)); } });
    const second = await engineOn(dir, {}, log);
    try {
      await waitFor(async () => (second.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain');
      expect(second.stats().spool).toMatchObject({ recovered: 6, tornRecords: 1, tornBytes: 28, replayed: 6, replayedDuplicates: 0 });
      expect(lines.find((l) => l.msg.startsWith('SpoolTornRecordTruncated'))).toMatchObject({ bytes: 28, reason: 'short_payload' });
      expect(lines.some((l) => l.msg.startsWith('SpoolDrained'))).toBe(true);
      expect(await storedMarkers(pool, t.id, 'd')).toEqual(acked);
      expect((await readdir(dir)).filter((f) => f.startsWith('seg-'))).toEqual([]);
    } finally {
      await second.close();
    }
    // As if the engine had died after the replay committed and before it deleted the segment:
    // the same records are replayed again, and found stored (their keys, spool-assigned here).
    await copyFile(saved, join(dir, segs[0]));
    const third = await engineOn(dir);
    try {
      await waitFor(async () => (third.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain again');
      expect(third.stats().spool).toMatchObject({ recovered: 6, replayed: 0, replayedDuplicates: 6 });
      expect(await storedMarkers(pool, t.id, 'd')).toEqual(acked);
    } finally {
      await third.close();
    }
  });

  it('(e) drains while a client keeps streaming (hand-off), every event once and in order', async () => {
    const t = await tenant();
    const engine = await engineOn(await spoolDir());
    const ws = await WsClient.connect(`ws://127.0.0.1:${engine.port}/api/v1/stream?client_id=steady`, { authorization: `Bearer ${t.key}` });
    let n = 0;
    let seq = 0;
    // Pipelined: up to 8 frames unanswered; every answer must be an ack.
    const send = async (frames: number): Promise<void> => {
      const first = seq + 1;
      for (let i = 0; i < frames; i++) {
        seq++;
        ws.sendJson({ seq, events: range(n, n + 4).map((k) => ev('s', k)) });
        n += 4;
        if (seq - first >= 8) expect((await ws.answer(seq - 8, 20_000)).msg).toEqual({ ack: seq - 8 });
      }
      for (let s2 = Math.max(first, seq - 7); s2 <= seq; s2++) expect((await ws.answer(s2, 20_000)).msg).toEqual({ ack: s2 });
    };
    try {
      await send(5);
      await pgs.stop();
      await send(100);
      expect(engine.stats().spool!.batches).toBeGreaterThanOrEqual(100);
      await pgs.start();
      // Keep streaming until the spool has drained (or 20 s): it must not need the stream to stop.
      const end = Date.now() + 20_000;
      while (engine.stats().spool!.spooling && Date.now() < end) await send(10);
      expect(engine.stats().spool!.spooling).toBe(false);
      await send(20);
      expect(engine.stats().spool!.spooling).toBe(false);
      expect(await storedMarkers(pool, t.id, 's')).toEqual(range(0, n).map((k) => marker('s', k)));
    } finally {
      await ws.close();
      await pgs.start();
      await engine.close();
    }
  });

  it('(f) close() soon after PostgreSQL returns drains the spool before it stops', async () => {
    const t = await tenant();
    const dir = await spoolDir();
    const engine = await engineOn(dir);
    const acked: string[] = [];
    let closed = false;
    try {
      expect((await post(engine.port, t.key, [ev('f0', 0)])).status).toBe(200);
      await pgs.stop();
      for (let i = 0; i < 30; i++) {
        expect((await post(engine.port, t.key, range(i * 2, i * 2 + 2).map((k) => ev('c', k)))).status).toBe(200);
        acked.push(...range(i * 2, i * 2 + 2).map((k) => marker('c', k)));
      }
      await pgs.start();
      await engine.close();
      closed = true;
      expect(engine.stats().spool).toMatchObject({ spooling: false, batches: 0, replayed: 30 });
      expect(await storedMarkers(pool, t.id, 'c')).toEqual(acked);
      expect((await readdir(dir)).filter((f) => f.startsWith('seg-'))).toEqual([]);
    } finally {
      await pgs.start();
      if (!closed) await engine.close();
    }
  });

  it('(g) while PostgreSQL is down, credentials verified before still ingest; one never seen gets 503', async () => {
    const t = await tenant();
    const unseen = await tenant();
    const { rows: [user] } = await pool.query<{ id: string }>(
      `INSERT INTO users (tenant_id, email, username, name, password_hash) VALUES ($1, $2, $3, 'u', 'x') RETURNING id`,
      [t.id, `u${Date.now()}@example.com`, `u${Date.now()}`]);
    const { rows: [session] } = await pool.query<{ id: string }>('INSERT INTO sessions (user_id) VALUES ($1) RETURNING id', [user.id]);
    const jwt = await tokens.sign({ sub: user.id, email: 'u@example.com', role: 'owner', tenant_id: t.id, session_id: session.id });
    const engine = await engineOn(await spoolDir());
    try {
      expect((await post(engine.port, jwt, [ev('j', 0)])).status).toBe(200);
      await pgs.stop();
      // Past the session cache (2 s): the session is looked up again, and PostgreSQL does not answer.
      // Kept: SESSION_CACHE_MS is a constant (src/core/auth/sessions.ts); its expiry is the behaviour under test.
      await new Promise((r) => setTimeout(r, 2_200));
      expect(await post(engine.port, jwt, [ev('j', 1)])).toMatchObject({ status: 200, body: { accepted: 1 } });
      const never = await post(engine.port, unseen.key, [ev('j', 99)]);
      expect(never.status).toBe(503);
      expect(never.retryAfter).toBe('1');
      await pgs.start();
      await waitFor(async () => (engine.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain');
      expect(await storedMarkers(pool, t.id, 'j')).toEqual([marker('j', 0), marker('j', 1)]);
      expect(await storedMarkers(pool, unseen.id)).toEqual([]);
    } finally {
      await pgs.start();
      await engine.close();
    }
  });
  it('(h) sends no idle tick while the spool holds events: a spooled stream is not quiet, and is scored in order after the outage', async () => {
    const t = await tenant();
    // Ticks every second: the outage below lasts several intervals; the sender's gaps are far shorter.
    const engine = await engineOn(await spoolDir(), { streamIdleTickMs: 1_000 });
    let n = 0;
    let sending = true;
    // A live sender: a batch every 50 ms, before and during the outage.
    const sender = (async () => {
      while (sending) {
        const r = await post(engine.port, t.key, range(n, n + 2).map((k) => ev('q', k)), `q-${n}`);
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        n += 2;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
    const sleep = (ms: number): Promise<void> => new Promise((res) => setTimeout(res, ms));
    try {
      // The scorer holds the stream (its first event scored) before the outage.
      await waitFor(async () => ((await anomaliesOf(t.id, 'q')).length > 0 ? true : undefined), 15_000, 'the stream scored before the outage');
      const ticksBefore = engine.stats().score.idleTicks;
      await pgs.stop();
      await sleep(4_000);
      expect(engine.stats().spool!.spooling).toBe(true);
      // The sender keeps going through PostgreSQL's return and the replay's hand-off (a write held
      // for the last wave is scored after it: (j) makes that case deterministic).
      await pgs.start();
      await waitFor(async () => (engine.stats().spool!.spooling ? undefined : true), 30_000, 'the spool to drain');
      sending = false;
      await sender;
      // The stream's events waited in the spool, not in the scorer: it was not quiet, and got no tick.
      expect(engine.stats().score.idleTicks).toBe(ticksBefore);
      // The fixture counts every input of a task, ticks included: a tick among the events would shift `seen`.
      const booms = flagged(n);
      const found = await waitFor(async () => {
        const rows = await anomaliesOf(t.id, 'q');
        return rows.length >= booms.length ? rows : undefined;
      }, 15_000, 'anomalies of stream q');
      expect(found).toEqual(booms.map((k) => ({ data: marker('q', k), seen: k })));
    } finally {
      sending = false;
      await sender.catch(() => {});
      await pgs.start();
      await engine.close();
    }
  });
  it('(i) writes an anomaly whose write PostgreSQL\'s stop cut off once PostgreSQL is back', async () => {
    const t = await tenant();
    const engine = await engineOn(await spoolDir());
    // Another session holds the anomalies table: the anomaly write is in flight when PostgreSQL stops.
    const blocker = new pg.Client({ connectionString: pgs.url });
    blocker.on('error', () => {});
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE anomalies IN ACCESS EXCLUSIVE MODE');
      expect(await post(engine.port, t.key, [ev('x', 0), ev('x', 1)])).toMatchObject({ status: 200, body: { accepted: 2 } });
      await waitFor(async () => ((await pool.query(
        `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'COPY anomalies%'`)).rowCount ? true : undefined), 15_000, 'the anomaly write waiting on the lock');
      await pgs.stop();
      // Longer than the sink's own retries (~350 ms).
      await new Promise((r) => setTimeout(r, 1_500));
      await pgs.start();
      const found = await waitFor(async () => {
        const rows = await anomaliesOf(t.id, 'x');
        return rows.length > 0 ? rows : undefined;
      }, 15_000, 'the anomaly of stream x');
      expect(found).toEqual([{ data: marker('x', 0), seen: 0 }]);
      expect(engine.stats().score.anomalyWriteRetries).toBeGreaterThan(0);
      expect(engine.stats().score.anomalyWritesFailed).toBe(0);
    } finally {
      await blocker.end().catch(() => {});
      await pgs.start();
      await engine.close();
    }
  });
  it('(j) a write held for the replay\'s last wave is scored after the replayed events (scoring order = stream order)', async () => {
    const t = await tenant();
    // One batch of 7 events per replay wave (replayMaxRows = flushMaxRows), so the replay goes wave by
    // wave and the last one is a hand-off; each batch starts with a BOOM event (n % 7 === 0).
    const engine = await engineOn(await spoolDir(), { flushMaxRows: 7 });
    const PER = 7;
    let n = 0;
    const batch = (): Record<string, unknown>[] => { const b = range(n, n + PER).map((k) => ev('o', k)); n += PER; return b; };
    // Sessions that take turns holding event_blocks: each replay wave waits for one of them.
    const lockers = [new pg.Client({ connectionString: pgs.url }), new pg.Client({ connectionString: pgs.url })];
    const waiting = async (like: string): Promise<boolean> => ((await pool.query(
      `SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1`, [like])).rowCount ?? 0) > 0;
    let held: Promise<{ status: number }> | undefined;
    try {
      for (let i = 0; i < 2; i++) expect((await post(engine.port, t.key, batch())).status).toBe(200);
      await waitFor(async () => ((await anomaliesOf(t.id, 'o')).length === 2 ? true : undefined), 15_000, 'the stream scored before the outage');
      await pgs.stop();
      for (let i = 0; i < 12; i++) expect((await post(engine.port, t.key, batch(), `o-${n}`)).status).toBe(200);
      expect(engine.stats().spool!.batches).toBe(12);
      await pgs.start();
      for (const c of lockers) { c.on('error', () => {}); await c.connect(); }
      let holder = 0;
      await lockers[0].query('BEGIN');
      await lockers[0].query('LOCK TABLE event_blocks IN ACCESS EXCLUSIVE MODE');
      // Wave by wave: the next session queues for the lock behind the waiting wave, so the next wave
      // waits for it in turn; until the wave that waits is the last one (the hand-off).
      for (;;) {
        await waitFor(async () => ((await waiting('COPY event_blocks%')) ? true : undefined), 15_000, 'a replay wave waiting on the lock');
        if (engine.stats().spool!.batches === 1) break;
        const next = 1 - holder;
        await lockers[next].query('BEGIN');
        const locked = lockers[next].query('LOCK TABLE event_blocks IN ACCESS EXCLUSIVE MODE');
        await waitFor(async () => ((await waiting('LOCK TABLE event_blocks%')) ? true : undefined), 15_000, 'the next lock queued');
        await lockers[holder].query('ROLLBACK');
        await locked;
        holder = next;
      }
      expect(engine.stats().spool!.spooling).toBe(true);
      // The stream goes on during the hand-off: this batch is held until the last wave has drained.
      held = post(engine.port, t.key, batch(), `o-${n}`);
      await waitFor(async () => (engine.stats().spool!.held === 1 ? true : undefined), 15_000, 'the write held for the hand-off');
      await lockers[holder].query('ROLLBACK');
      expect((await held).status).toBe(200);
      expect(engine.stats().spool).toMatchObject({ spooling: false, batches: 0, held: 0, replayed: 12 });
      for (let i = 0; i < 2; i++) expect((await post(engine.port, t.key, batch())).status).toBe(200);
      expect(await storedMarkers(pool, t.id, 'o')).toEqual(range(0, n).map((k) => marker('o', k)));
      // Each BOOM event found once, at its position in the stream as the worker counted it.
      const booms = flagged(n);
      const found = await waitFor(async () => {
        const rows = await anomaliesOf(t.id, 'o');
        return rows.length >= booms.length ? rows : undefined;
      }, 15_000, 'anomalies of stream o');
      expect(found).toEqual(booms.map((k) => ({ data: marker('o', k), seen: k })));
    } finally {
      for (const c of lockers) await c.end().catch(() => {});
      await held?.catch(() => {});
      await pgs.start();
      await engine.close();
    }
  });
});
