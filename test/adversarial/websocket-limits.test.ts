// WebSocket ingest under abuse (issue 12, High 2 and Medium 7): a frame is checked against its
// tenant's own limits before it is decoded (on main, frames up to the global 16 MiB were decoded
// first); one tenant cannot hold every connection (WS_MAX_CONNECTIONS_PER_TENANT) nor every byte
// of the frames the engine holds in memory (a share per tenant, then 503 nacks for that tenant
// only), while another tenant's frames are still acknowledged.
import { pack } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { loadConfig } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { startEngine, type EngineHandle } from '../../engine/engine.js';
import { boomWorker, logEvent, startHarness, WsClient, type Harness } from '../engine/harness.js';
import { waitFor } from '../helpers/net.js';

const MiB = 1024 * 1024;
let h: Harness;
let free: { id: string; key: string };
const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  h = await startHarness({ wsMaxConnectionsPerTenant: 3 });
  const t = await createTenant(h.db.pool, 'Free F', 'free');
  free = { id: t.id, key: (await createApiKey(h.db.pool, t.id)).key };
});
afterAll(async () => { await h?.close(); });

describe('WebSocket: the tenant\'s limits before decoding, connection and memory shares (issue 12)', () => {
  it('a free tenant\'s 2 MiB frame is nacked 413 with its own 1 MiB limit; a 15 M-event frame is refused from its header', async () => {
    const c = await WsClient.connect(h.wsUrl, auth(free.key));
    try {
      const big = JSON.stringify({ seq: 1, events: [logEvent('x'.repeat(2 * MiB))] });
      c.ws.send(big);
      expect((await c.answer(1)).msg).toMatchObject({ nack: 1, error: { code: 'DW_ERR_PAYLOAD_TOO_LARGE', details: { limit: MiB, source: 'plan' } } });
      // {seq: 2, events: <array32 of 15 M empty maps>}: 14.3 MiB, over the frame limit for a free tenant too; a business tenant's
      // 16 MiB limit lets it through to the count, which its header gives away.
      const head = pack({ seq: 2, events: [] });
      const maps = Buffer.alloc(5 + 15_000_000, 0x80);
      maps[0] = 0xdd;
      maps.writeUInt32BE(15_000_000, 1);
      const frame = Buffer.concat([head.subarray(0, head.length - 1), maps]);
      const b = await WsClient.connect(h.wsUrl, auth(h.tenantB.key));
      try {
        b.ws.send(frame, { binary: true });
        // Its seq is read from the bytes before the events array.
        expect((await b.answer(2)).msg).toMatchObject({ nack: 2, error: { code: 'DW_ERR_TOO_MANY_EVENTS', details: { limit: 10_000, events: 15_000_000 } } });
        // The connection still serves.
        b.sendJson({ seq: 3, events: [logEvent('after')] });
        expect((await b.answer(3)).msg).toEqual({ ack: 3 });
      } finally {
        await b.close();
      }
    } finally {
      await c.close();
    }
  });

  it('a tenant holds at most WS_MAX_CONNECTIONS_PER_TENANT connections (429); another tenant still connects; a closed one frees its place', async () => {
    const held = await Promise.all([1, 2, 3].map(() => WsClient.connect(h.wsUrl, auth(h.tenantA.key))));
    try {
      await expect(WsClient.connect(h.wsUrl, auth(h.tenantA.key))).rejects.toMatchObject({ status: 429 });
      const b = await WsClient.connect(h.wsUrl, auth(h.tenantB.key));
      await b.close();
      await held.pop()!.close();
      // The server frees the place when it sees the close: 429 until then.
      const again = await waitFor(() => WsClient.connect(h.wsUrl, auth(h.tenantA.key)), 5_000, 'the closed connection\'s place to be freed');
      held.push(again);
      again.sendJson({ seq: 1, events: [logEvent('in')] });
      expect((await again.answer(1)).msg).toEqual({ ack: 1 });
    } finally {
      await Promise.all(held.map((c) => c.close()));
    }
  });

  it('frames held in memory: a tenant flooding one connection gets 503 nacks past its share; another tenant\'s frames are acked', async () => {
    const config = loadConfig({ env: {}, overrides: { enginePort: 0, host: '127.0.0.1', workerThreads: 1, logLevel: 'silent', spoolMaxBytes: 0, flushIntervalMs: 200 } });
    // 4 MiB of frames in memory: a tenant's share is 1 MiB, and alone it may hold 3 MiB.
    const engine: EngineHandle = await startEngine({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger, workerFilename: boomWorker, maxFrameBytesInMemory: 4 * MiB });
    const url = `ws://127.0.0.1:${engine.port}/api/v1/stream`;
    try {
      const a = await WsClient.connect(url, auth(h.tenantA.key));
      const b = await WsClient.connect(url, auth(h.tenantB.key));
      const frame = (seq: number): string => JSON.stringify({ seq, events: Array.from({ length: 30 }, (_, i) => logEvent(`a ${seq} ${i} ${'y'.repeat(1000)}`)) });
      // 200 frames of ~32 KiB at once: 6.4 MiB arrive faster than a 200 ms group commit stores them.
      for (let i = 0; i < 200; i++) a.ws.send(frame(i));
      b.sendJson({ seq: 1, events: [logEvent('b')] });
      expect((await b.answer(1, 20_000)).msg).toEqual({ ack: 1 });
      const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => a.answer(i, 30_000)));
      const codes = answers.map((x) => (x.msg.ack !== undefined ? 'ack' : x.msg.error.code));
      expect(codes.filter((x) => x === 'DW_ERR_UNAVAILABLE').length).toBeGreaterThan(0);
      expect(codes.filter((x) => x === 'ack').length).toBeGreaterThan(0);
      expect(new Set(codes)).toEqual(new Set(['ack', 'DW_ERR_UNAVAILABLE']));
      await a.close();
      await b.close();
    } finally {
      await engine.close();
    }
  });
});
