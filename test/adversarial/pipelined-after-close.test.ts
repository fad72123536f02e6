// Issue 12: a request the engine refuses is answered with `Connection: close`, and RFC 9112 §9.6
// says a server that sends close must not process further requests on that connection. uWS
// (uWebSockets v20.43 in this build) parses every request of a read in one loop and, when a
// handler ended its answer with closeConnection, closes the socket only after that loop: a
// request the client pipelined after the refused one, in the same write, was routed, stored and
// answered 200 (the next request's state reset also dropped the close; the connection stayed
// open). The engine now writes a closing answer after uWS's parser is done with the read
// (common.ts send): a request pipelined behind it finds the refused one still pending, and uWS
// closes the connection without routing it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, logEvent, startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.close(); });

const HOST = 'Host: 127.0.0.1';

/** A complete POST (head, blank line and body) as bytes on the wire. */
function post(path: string, headers: Record<string, string>, body: string): string {
  const lines = Object.entries({ ...headers, 'Content-Length': String(Buffer.byteLength(body)) }).map(([k, v]) => `${k}: ${v}`);
  return [`POST ${path} HTTP/1.1`, HOST, ...lines].join('\r\n') + '\r\n\r\n' + body;
}

/** A valid ingest of one event for tenant A. */
const valid = (msg: string): string =>
  post('/api/v1/events/ingest', { 'Content-Type': 'application/json', Authorization: `Bearer ${h.tenantA.key}` }, JSON.stringify([logEvent(msg)]));

/** Requests the engine refuses with `Connection: close` (each complete: its body ends before the next request). */
const refused = (): Record<string, string> => ({
  '415 (Content-Type)': post('/api/v1/events/ingest', { 'Content-Type': 'application/xml', Authorization: `Bearer ${h.tenantA.key}` }, '[]'),
  '415 (Content-Encoding)': post('/api/v1/events/ingest', { 'Content-Type': 'application/json', 'Content-Encoding': 'zstd', Authorization: `Bearer ${h.tenantA.key}` }, '[]'),
  '400 (Idempotency-Key)': post('/api/v1/events/ingest', { 'Content-Type': 'application/json', 'Idempotency-Key': 'k'.repeat(201), Authorization: `Bearer ${h.tenantA.key}` }, '[]'),
  '415 (OTLP Content-Type)': post('/v1/logs', { 'Content-Type': 'text/plain', Authorization: `Bearer ${h.tenantA.key}` }, '{}'),
  '400 (WebSocket upgrade)': [`GET /api/v1/stream?client_id=${'%20'.repeat(3)} HTTP/1.1`, HOST, `Authorization: Bearer ${h.tenantA.key}`,
    'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='].join('\r\n') + '\r\n\r\n',
  '401 (wrong key)': post('/api/v1/events/ingest', { 'Content-Type': 'application/json', Authorization: `Bearer dw_${'A'.repeat(32)}` }, '[]'),
});

/** Status codes of every response in `raw` (a connection's whole input). */
const statuses = (raw: string): number[] => [...raw.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

describe('nothing pipelined after a refusal with Connection: close is processed (RFC 9112 §9.6, issue 12)', () => {
  it('a refused request and a valid ingest in one write: the ingest is not stored, not answered, and the connection closes', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const got: Record<string, { closed: boolean; answered200: boolean }> = {};
    for (const [name, first] of Object.entries(refused())) {
      // The refused request and the whole valid one in a single write.
      const r = RawRequest.wire(h.engine.port, first + valid(`pipelined after ${name}`));
      try {
        got[name] = { closed: await r.closedByServer(3_000), answered200: statuses(r.data).includes(200) };
      } finally {
        r.destroy();
      }
    }
    expect(got).toEqual(Object.fromEntries(Object.keys(refused()).map((name) => [name, { closed: true, answered200: false }])));
    // Give a wrongly processed ingest time to commit before counting.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await countEvents(h, h.tenantA.id)).toBe(before);
  });

  it('the same refusals alone still get their answer, with Connection: close, then the close', async () => {
    for (const [name, first] of Object.entries(refused())) {
      const r = RawRequest.wire(h.engine.port, first);
      try {
        const res = await r.response(3_000);
        expect(res.status, name).toBe(Number(name.slice(0, 3)));
        expect(res.headers.connection?.toLowerCase(), name).toBe('close');
        expect(await r.closedByServer(2_000), name).toBe(true);
      } finally {
        r.destroy();
      }
    }
  });

  it('a valid ingest pipelined after a valid /health is still answered (only a closing answer ends the connection)', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const r = RawRequest.wire(h.engine.port, `GET /health HTTP/1.1\r\n${HOST}\r\n\r\n` + valid('pipelined after health'));
    try {
      const deadline = Date.now() + 5_000;
      while (statuses(r.data).length < 2 && !r.ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(statuses(r.data)).toEqual([200, 200]);
      expect(await countEvents(h, h.tenantA.id)).toBe(before + 1);
    } finally {
      r.destroy();
    }
  });
});
