import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boomWorker, countEvents, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ flushIntervalMs: 50 }); });
afterAll(async () => { await h?.close(); });

describe('engine close()', () => {
  it('stores every acknowledged event and its anomalies when closed with requests in flight', async () => {
    const ws = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${h.tenantA.key}` });
    const before = await countEvents(h);
    const http: Promise<{ status: number; body: any } | Error>[] = [];
    for (let i = 0; i < 30; i++) {
      http.push(ingest(h, Array.from({ length: 100 }, (_, j) => logEvent(j === 0 ? `BOOM ${i}` : `line ${i} ${j}`)), { key: i % 2 ? h.tenantA.key : h.tenantB.key }).catch((e: Error) => e));
      ws.sendJson({ seq: i, events: Array.from({ length: 50 }, (_, j) => logEvent(`ws ${i} ${j}`)) });
    }
    // Close as soon as the first request is acknowledged: the others are still in flight
    // (waiting in a 50 ms group-commit window, being decoded, or not yet read).
    await http[0];
    await h.engine.close();

    const results = await Promise.all(http);
    let acked = 0;
    let boomsAcked = 0;
    for (const r of results) {
      if (r instanceof Error) continue; // refused at the socket: never acknowledged
      if (r.status === 200) { acked += r.body.accepted; boomsAcked++; } else {
        expect(r.status).toBe(503);
        expect(r.body.error.code).toBe('DW_ERR_SHUTTING_DOWN');
      }
    }
    for (const a of ws.answers) {
      if (a.msg.ack !== undefined) acked += 50;
      else expect(a.msg.error.code).toBe('DW_ERR_SHUTTING_DOWN');
    }
    expect(acked).toBeGreaterThan(0);
    // Everything acknowledged is stored, and nothing that was refused.
    expect((await countEvents(h)) - before).toBe(acked);
    // Detection drained before close() resolved: every acknowledged BOOM has its anomaly row now.
    const { rows } = await h.db.pool.query("SELECT count(*)::int AS n FROM anomalies WHERE event->>'data' LIKE 'BOOM %'");
    expect(rows[0].n).toBe(boomsAcked);
    await waitClosed(ws);
    expect(ws.closed?.code).toBe(1001);

    // New work is refused.
    const after = await ingest(h, [logEvent('late')]).catch((e: Error) => e);
    expect(after instanceof Error || after.status === 503).toBe(true);
    await h.restart();
  });

  it('finishes a request whose headers arrived before close() even if its body is still streaming', async () => {
    const enc = new TextEncoder();
    const body = JSON.stringify(Array.from({ length: 20 }, (_, i) => logEvent(`slow body ${i}`)));
    let resume!: () => void;
    const gate = new Promise<void>((r) => { resume = r; });
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        c.enqueue(enc.encode(body.slice(0, 100)));
        await gate;
        c.enqueue(enc.encode(body.slice(100)));
        c.close();
      },
    });
    const before = await countEvents(h);
    const res = fetch(`${h.url}/api/v1/events/ingest`, {
      method: 'POST', body: stream, duplex: 'half',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
    });
    // No server-side signal to poll for "headers received"; 300 ms on loopback is ample.
    await new Promise((r) => setTimeout(r, 300));
    const closing = h.engine.close();
    resume();
    const r = await res;
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ accepted: 20 });
    await closing;
    expect((await countEvents(h)) - before).toBe(20);
    await h.restart();
  });

  it('lets the process exit by itself after close(), with keep-alive and WebSocket clients still connected', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/engine-exit.mjs', import.meta.url)), h.db.url, boomWorker], { stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    let out = '';
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /port (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', () => reject(new Error(`child exited early: ${out}`)));
    });
    const url = `http://127.0.0.1:${port}`;
    const r = await fetch(`${url}/api/v1/events/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}`, connection: 'keep-alive' },
      body: JSON.stringify([logEvent('child BOOM')]),
    });
    expect(r.status).toBe(200);
    await r.text();
    const ws = await WsClient.connect(`ws://127.0.0.1:${port}/api/v1/stream`, { authorization: `Bearer ${h.tenantA.key}` });
    ws.sendJson({ seq: 1, events: [logEvent('child ws')] });
    expect((await ws.answer(1)).msg).toEqual({ ack: 1 });
    const t0 = Date.now();
    child.stdin.write('close\n');
    const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 10_000))]);
    if (code === 'hung') child.kill('SIGKILL');
    expect(code).toBe(0);
    expect(out).toMatch(/closed \d+/);
    // Sooner than undici's 4 s keep-alive: the engine itself closed the idle HTTP connection.
    expect(Date.now() - t0).toBeLessThan(3_000);
  });
});

async function waitClosed(c: WsClient): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
