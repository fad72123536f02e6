// Credentials before bytes: an unauthenticated request is answered and closed as soon as its
// credential is refused (not after its body), request bodies in flight are bounded engine-wide,
// and an open WebSocket stops being served once its credential is revoked.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startEngine } from '../../engine/engine.js';
import { boomWorker, countEvents, logEvent, startHarness, WsClient, type Harness } from './harness.js';

const MAX_BODY = 64 * 1024;
let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: MAX_BODY, maxEventBytes: 4096, apiKeyCacheMs: 0 }); });
afterAll(async () => { await h?.close(); });

const BOGUS = 'dw_' + 'A'.repeat(32);

interface RawResponse { status: number; headers: Record<string, string>; body: string }

/** A request whose body is only partly sent: the headers (declaring `length`) and `first`, then nothing more. */
class PartialRequest {
  readonly socket: Socket;
  #data = '';
  #ended = false;
  #waiters: (() => void)[] = [];

  constructor(port: number, path: string, key: string, length: number, first: string, contentType = 'application/json') {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.#data += d; this.#wake(); });
    this.socket.on('close', () => { this.#ended = true; this.#wake(); });
    this.socket.on('error', () => {});
    this.socket.write(`POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
      `Authorization: Bearer ${key}\r\nContent-Length: ${length}\r\n\r\n${first}`);
  }

  #wake(): void { for (const w of this.#waiters.splice(0)) w(); }

  /** Waits for a complete response (by its Content-Length), or fails after `ms`. */
  async response(ms = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + ms;
    for (;;) {
      const head = this.#data.indexOf('\r\n\r\n');
      if (head >= 0) {
        const lines = this.#data.slice(0, head).split('\r\n');
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
        }
        const body = this.#data.slice(head + 4);
        if (body.length >= Number(headers['content-length'] ?? 0)) {
          return { status: Number(lines[0].split(' ')[1]), headers, body };
        }
      }
      if (this.#ended) throw new Error(`connection closed without a complete response: ${JSON.stringify(this.#data)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${ms} ms (got ${JSON.stringify(this.#data)})`);
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.#waiters.push(() => { clearTimeout(t); r(); }); });
    }
  }

  /** Resolves once the server closed the connection (or after `ms`, with false). */
  async closedByServer(ms = 5_000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => { const t = setTimeout(r, left); this.#waiters.push(() => { clearTimeout(t); r(); }); });
    }
    return true;
  }

  send(rest: string): void { this.socket.write(rest); }
  destroy(): void { this.socket.destroy(); }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('engine sources: authentication before the body', () => {
  for (const path of ['/api/v1/events/ingest', '/v1/logs']) {
    it(`${path}: a bad key with a large declared body gets 401 and a closed connection before the body is sent`, async () => {
      const req = new PartialRequest(h.engine.port, path, BOGUS, 60_000, '[' + ' '.repeat(1000));
      try {
        const res = await req.response();
        expect(res.status).toBe(401);
        expect(res.headers.connection?.toLowerCase()).toBe('close');
        expect(JSON.parse(res.body)).toMatchObject({ error: { code: 'DW_ERR_UNAUTHORIZED' } });
        expect(await req.closedByServer()).toBe(true);
      } finally {
        req.destroy();
      }
    });
  }

  it('a key without the ingest scope gets 403 before the body is sent', async () => {
    const req = new PartialRequest(h.engine.port, '/api/v1/events/ingest', h.tenantA.readKey, 60_000, '[');
    try {
      const res = await req.response();
      expect(res.status).toBe(403);
      expect(JSON.parse(res.body).error.code).toBe('DW_ERR_FORBIDDEN');
      expect(await req.closedByServer()).toBe(true);
    } finally {
      req.destroy();
    }
  });

  it('a valid key still has its body streamed in several parts and stored', async () => {
    const body = JSON.stringify([logEvent('streamed 1'), logEvent('streamed 2')]);
    const before = await countEvents(h, h.tenantA.id);
    const req = new PartialRequest(h.engine.port, '/api/v1/events/ingest', h.tenantA.key, Buffer.byteLength(body), body.slice(0, 10));
    try {
      await sleep(100); // authentication has resolved by now: the rest goes to the buffer allocated after it
      req.send(body.slice(10, 40));
      await sleep(20);
      req.send(body.slice(40));
      const res = await req.response();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ accepted: 2 });
      expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    } finally {
      req.destroy();
    }
  });

  it('bounds request bodies in flight: one tenant may hold the budget but one share (4 × maxBodyBytes less maxBodyBytes kept for others); past it 503 with Retry-After', async () => {
    const declared = MAX_BODY - 1024;
    const held: PartialRequest[] = [];
    try {
      for (let i = 0; i < 4; i++) held.push(new PartialRequest(h.engine.port, '/api/v1/events/ingest', h.tenantA.key, declared, '['));
      await sleep(300);
      for (const path of ['/api/v1/events/ingest', '/v1/logs']) {
        const extra = new PartialRequest(h.engine.port, path, h.tenantA.key, declared, '[');
        try {
          const res = await extra.response();
          expect(res.status).toBe(503);
          expect(res.headers['retry-after']).toBe('1');
          expect(JSON.parse(res.body).error.code).toBe('DW_ERR_UNAVAILABLE');
        } finally {
          extra.destroy();
        }
      }
      // A small body still fits beside them.
      const small = JSON.stringify([logEvent('small')]);
      const ok = new PartialRequest(h.engine.port, '/api/v1/events/ingest', h.tenantA.key, Buffer.byteLength(small), small);
      try {
        expect((await ok.response()).status).toBe(200);
      } finally {
        ok.destroy();
      }
    } finally {
      for (const r of held) r.destroy();
    }
    // Aborted requests gave their share back.
    await sleep(100);
    const again = new PartialRequest(h.engine.port, '/api/v1/events/ingest', h.tenantA.key, declared, '[');
    try {
      again.send(' '.repeat(declared - 2) + ']');
      const res = await again.response();
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toEqual({ accepted: 0 });
    } finally {
      again.destroy();
    }
  });

  it('40 bogus-key requests declaring 15 MiB each are all answered at once and allocate no declared buffers', async () => {
    const config = loadConfig({ env: {}, overrides: { enginePort: 0, host: '127.0.0.1', workerThreads: 1, logLevel: 'silent', maxBodyBytes: 16 * 1024 * 1024, spoolMaxBytes: 0 } });
    const engine = await startEngine({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker });
    const reqs: PartialRequest[] = [];
    try {
      const base = process.memoryUsage().arrayBuffers;
      let peak = base;
      const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 5);
      const first = '[' + ' '.repeat(64 * 1024);
      for (let i = 0; i < 40; i++) reqs.push(new PartialRequest(engine.port, i % 2 === 0 ? '/api/v1/events/ingest' : '/v1/logs', BOGUS, 15 * 1024 * 1024, first));
      const answers = await Promise.all(reqs.map((r) => r.response()));
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      for (const a of answers) expect([401, 503]).toContain(a.status);
      expect(answers.some((a) => a.status === 401)).toBe(true);
      // Declared-length buffers would be 40 × 15 MiB = 600 MiB.
      expect(peak - base).toBeLessThan(64 * 1024 * 1024);
    } finally {
      for (const r of reqs) r.destroy();
      await engine.close();
    }
  });
});

describe('engine WebSocket source: credentials re-checked on open connections', () => {
  it('nacks the next frame after the key is revoked and closes with 1008', async () => {
    const k = await createApiKey(h.db.pool, h.tenantB.id);
    const c = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${k.key}` });
    try {
      c.sendJson({ seq: 1, events: [logEvent('before revocation')] });
      expect((await c.answer(1)).msg).toEqual({ ack: 1 });
      await h.db.pool.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1', [k.id]);
      const before = await countEvents(h, h.tenantB.id);
      await sleep(1_100); // the per-connection re-check interval
      c.sendJson({ seq: 2, events: [logEvent('after revocation')] });
      const a = await c.answer(2);
      expect(a.msg).toMatchObject({ nack: 2, error: { code: 'DW_ERR_UNAUTHORIZED' } });
      for (let i = 0; i < 50 && c.closed === undefined; i++) await sleep(20);
      expect(c.closed?.code).toBe(1008);
      expect(await countEvents(h, h.tenantB.id)).toBe(before);
    } finally {
      await c.close();
    }
  });
});
