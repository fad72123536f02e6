// WebSocket frames through the edge proxy (issue 12, lows): a text frame that is not valid UTF-8
// made the engine's uWebSockets.js drop the connection without a close frame (the client saw
// 1006; README "Malformed framing sent straight to the engine"). The edge now reads the client's
// frame headers as they pass, checks text messages' UTF-8 across fragments and chunks, and sends
// the client close 1007 with a reason (1002 for an unmasked frame); valid messages, however they
// are split, pass unchanged and are acked by a real engine. A Content-Length of 10 digits, which
// Node's parser accepts and uWS (9 digits at most) does not, is answered at the edge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { Route } from '../../src/core/routing/cache.js';
import { startEdgeProxy, type EdgeHandle } from '../../src/edge/proxy.js';
import { logEvent, startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';
import { RawWebSocket, wsFrame } from '../helpers/raw-ws.js';

let h: Harness;
let edge: EdgeHandle;

beforeAll(async () => {
  h = await startHarness();
  const route: Route = { subdomain: 'alice', address: `127.0.0.1:${h.engine.port}`, machineId: null, tenantId: h.tenantA.id, version: 1, updatedAt: new Date().toISOString() };
  edge = await startEdgeProxy({
    routes: { get: async (sub) => (sub === 'alice' ? route : null) },
    domain: 'localhost', host: '127.0.0.1', port: 0, log: silentLogger, connectTimeoutMs: 2_000, shutdownGraceMs: 1_000,
  });
});

afterAll(async () => {
  await edge?.close();
  await h?.close();
});

const open = async (): Promise<RawWebSocket> => {
  const c = await RawWebSocket.open(edge.port, '/api/v1/stream', { Host: `alice.localhost:${edge.port}`, Authorization: `Bearer ${h.tenantA.key}` });
  expect(c.status).toBe(101);
  return c;
};

describe('edge proxy: WebSocket frames checked on the way to the engine (issue 12, lows)', () => {
  it('a text frame of invalid UTF-8: the client gets close 1007 with a reason, and a new connection works', async () => {
    const c = await open();
    try {
      c.send(wsFrame(1, JSON.stringify({ seq: 1, events: [logEvent('ok')] })));
      expect(await c.answer(1)).toEqual({ ack: 1 });
      const bad = Buffer.concat([Buffer.from('{"seq":2,"events":[{"data":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}]}')]);
      c.send(wsFrame(1, bad));
      const close = await c.closeFrame();
      expect(close.code).toBe(1007);
      expect(close.reason).toMatch(/UTF-8/);
      await c.until(() => c.ended, 6_000, 'the connection to close');
    } finally {
      c.destroy();
    }
    const again = await open();
    try {
      again.send(wsFrame(1, JSON.stringify({ seq: 3, events: [logEvent('after')] })));
      expect(await again.answer(3)).toEqual({ ack: 3 });
    } finally {
      again.destroy();
    }
  });

  it('invalid UTF-8 split across fragments (a lead byte ending one, a non-continuation starting the next): 1007', async () => {
    const c = await open();
    try {
      c.send(Buffer.concat([wsFrame(1, Buffer.from([0x7b, 0xe2, 0x82]), { fin: false }), wsFrame(0, Buffer.from('x}'))]));
      expect((await c.closeFrame()).code).toBe(1007);
    } finally {
      c.destroy();
    }
  });

  it('a valid fragmented text message, cut inside frame headers and inside multi-byte characters, with a ping between fragments: acked', async () => {
    const c = await open();
    try {
      const text = Buffer.from(JSON.stringify({ seq: 7, events: [logEvent('é € 😀 ✓ 𝄞 — ünïcödé'), logEvent('x'.repeat(300))] }), 'utf8');
      // Fragments cut inside characters: 😀 is 4 bytes, € 3, é 2.
      const at = (s: string, plus: number): number => text.indexOf(Buffer.from(s, 'utf8')) + plus;
      const cuts = [at('é', 1), at('😀', 2), at('𝄞', 3), text.length - 1];
      const fragments: Buffer[] = [];
      let from = 0;
      cuts.forEach((cut, i) => {
        fragments.push(wsFrame(i === 0 ? 1 : 0, text.subarray(from, cut), { fin: false }));
        if (i === 1) fragments.push(wsFrame(9, 'ping'));
        from = cut;
      });
      fragments.push(wsFrame(0, text.subarray(from)));
      const bytes = Buffer.concat(fragments);
      // Writes cut after the first header byte, inside its mask key, after the next frame's first
      // header byte, inside its mask key, then every 7 bytes (through the later headers, the
      // last one's 126-length extension among them).
      const writes = [1, 3, fragments[0].length + 1, fragments[0].length + 4];
      for (let o = fragments[0].length + 10; o < bytes.length - 1 && writes.length < 60; o += 7) writes.push(o);
      await c.sendInPieces(bytes, writes);
      expect(await c.answer(7)).toEqual({ ack: 7 });
      expect(c.frames.some((f) => f.opcode === 10 && f.payload.toString() === 'ping')).toBe(true);
      expect(c.frames.some((f) => f.opcode === 8)).toBe(false);
    } finally {
      c.destroy();
    }
  });

  it('an unmasked client frame: close 1002', async () => {
    const c = await open();
    try {
      c.send(wsFrame(1, JSON.stringify({ seq: 1, events: [] }), { mask: null }));
      const close = await c.closeFrame();
      expect(close.code).toBe(1002);
      expect(close.reason).toMatch(/masked/);
    } finally {
      c.destroy();
    }
  });
});

describe('edge proxy: a Content-Length the engine would drop is answered at the edge (issue 12, lows)', () => {
  it('10 digits over MAX_BODY_BYTES: 413 at once; 10 digits of a small value: 400; both with the error body', async () => {
    for (const [length, status, code] of [['9999999999', 413, 'DW_ERR_PAYLOAD_TOO_LARGE'], ['0000000002', 400, 'DW_ERR_VALIDATION']] as const) {
      const r = new RawRequest(edge.port, `POST /api/v1/events/ingest HTTP/1.1\r\nHost: alice.localhost:${edge.port}\r\n` +
        `Authorization: Bearer ${h.tenantA.key}\r\nContent-Type: application/json\r\nContent-Length: ${length}`, '[]');
      try {
        const t0 = performance.now();
        const res = await r.response(3_000);
        expect(performance.now() - t0, length).toBeLessThan(1_000);
        expect({ status: res.status, code: JSON.parse(res.body).error?.code }, length).toEqual({ status, code });
      } finally {
        r.destroy();
      }
    }
  });
});
