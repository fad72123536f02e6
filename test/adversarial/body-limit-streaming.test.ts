// Issue 12 (High 2, the last part): OTLP bodies must not be read whole before the tenant's byte
// limit applies. A free tenant (max_body_bytes 1 MiB; the engine's MAX_BODY_BYTES is 16 MiB)
// sends a chunked body (no Content-Length) of 8 MiB, 64 KiB at a time: the refusal (413
// DW_ERR_PAYLOAD_TOO_LARGE) must be decided as soon as the received bytes pass its 1 MiB (the
// bytes it names), on the OTLP routes (JSON and protobuf) and on /api/v1/events/ingest (the same
// reader: engine/sources/body.ts). The rest of the body is then read and dropped, not buffered,
// and the answer written once it ended, with the connection closed (engine/sources/discard.ts:
// answered while the client still sends, it got a reset instead).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { startHarness, type Harness } from '../engine/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 64 * KiB;
const TOTAL = 8 * MiB;
let h: Harness;
let freeKey: string;

beforeAll(async () => {
  h = await startHarness();
  const t = await createTenant(h.db.pool, 'Free F', 'free');
  freeKey = (await createApiKey(h.db.pool, t.id)).key;
  const { rows } = await h.db.pool.query<{ max_body_bytes: number }>("SELECT max_body_bytes FROM plans WHERE id = 'free'");
  expect(Number(rows[0].max_body_bytes)).toBe(MiB);
  expect(h.config.maxBodyBytes).toBe(16 * MiB);
});
afterAll(async () => { await h?.close(); });

/** Sends up to TOTAL bytes chunked, CHUNK at a time (the next once the socket drained and 5 ms passed), until the server answers. */
async function sendChunked(path: string, contentType: string): Promise<{ sentWhenAnswered: number; status: number; body: string; closed: boolean; peak: number }> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = base;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().arrayBuffers); }, 5);
  const r = new RawRequest(h.engine.port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${contentType}\r\n` +
    `Authorization: Bearer ${freeKey}\r\nTransfer-Encoding: chunked`);
  try {
    const chunk = Buffer.concat([Buffer.from(`${CHUNK.toString(16)}\r\n`), Buffer.alloc(CHUNK, 0x20), Buffer.from('\r\n')]);
    let sent = 0;
    while (sent < TOTAL && !r.answered && !r.ended) {
      if (!r.socket.write(chunk)) await new Promise((resolve) => r.socket.once('drain', resolve));
      sent += CHUNK;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (sent >= TOTAL) r.send('0\r\n\r\n');
    const res = await r.response(10_000);
    return { sentWhenAnswered: sent, status: res.status, body: res.body, closed: await r.closedByServer(5_000), peak: peak - base };
  } finally {
    clearInterval(sampler);
    r.destroy();
  }
}

describe("the tenant's body limit applies while a chunked body streams in", () => {
  for (const [path, type] of [['/v1/logs', 'application/json'], ['/v1/traces', 'application/x-protobuf'], ['/api/v1/events/ingest', 'application/json']] as const) {
    it(`${path} (${type}): 413 decided once past 1 MiB, the rest of the 8 MiB dropped, the answer after it`, async () => {
      const r = await sendChunked(path, type);
      expect(r.status).toBe(413);
      // JSON: {"error": {"code"}}; protobuf: a google.rpc.Status whose message starts with the code.
      if (type === 'application/json') expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
      else expect(r.body).toContain('DW_ERR_PAYLOAD_TOO_LARGE');
      // Refused a few chunks past the limit at most (what was in flight on the socket), never near the end.
      const at = Number(/is (\d+) bytes/.exec(r.body)?.[1]);
      expect(at).toBeGreaterThan(MiB);
      expect(at, `refused at ${at} bytes`).toBeLessThanOrEqual(2 * MiB);
      expect(r.sentWhenAnswered).toBe(TOTAL);
      // The 7 MiB after the refusal were not kept (the client's own 64 KiB chunks and the answer aside).
      expect(r.peak).toBeLessThan(4 * MiB);
      expect(r.closed).toBe(true);
    });
  }
});
