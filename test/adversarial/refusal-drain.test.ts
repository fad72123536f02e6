// Issue 12: a request the engine refuses while its body is still arriving (413 over the tenant's
// body limit, 401, 503 past the body budget) must reach the client as the JSON answer with its
// DW_ERR_* code. On main uWS wrote the answer and closed the socket at once, with the client's
// unread bytes in the kernel buffer: the kernel sent a reset, and undici (fetch, `request`), curl
// and the OpenTelemetry exporters saw ECONNRESET / "other side closed" instead. Now the rest of
// the body is read and dropped (up to MAX_BODY_BYTES, above the slow-body rate, within
// DISCARD_MAX_MS; engine/sources/discard.ts), then the answer is written with Connection: close.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/core/auth/api-keys.js';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { logEvent, startHarness, type Harness } from '../engine/harness.js';
import { RawRequest, type RawResponse } from '../helpers/raw-request.js';
import { Reader } from '../../engine/transforms/otlp-proto.js';

const run = promisify(execFile);
const KiB = 1024;
const MiB = 1024 * KiB;
let h: Harness;
let free: string;
let capped: string;

beforeAll(async () => {
  // Defaults: MAX_BODY_BYTES 16 MiB (a 64 MiB body budget, 16 MiB per tenant), MIN_BODY_BYTES_PER_SECOND 32 KiB.
  h = await startHarness();
  free = (await createApiKey(h.db.pool, (await createTenant(h.db.pool, 'Free F', 'free')).id)).key;
  // Business (16 MiB bodies) with batches of at most 100 events: its msgpack heads are refused after its body is reserved.
  const c = await createTenant(h.db.pool, 'Capped C', 'business');
  await h.db.pool.query('INSERT INTO tenant_limits (tenant_id, max_batch_events) VALUES ($1, 100)', [c.id]);
  capped = (await createApiKey(h.db.pool, c.id)).key;
});
afterAll(async () => { await h?.close(); });

// Each case starts with the engine's discard bucket full (discard.ts DiscardRate: the body budget,
// 64 MiB, at once and per second; a refusal takes its body's whole rest or is cut at once). The
// cases send their refused bodies back to back, faster than 64 MiB/s: the 16 bodies of 4 MiB of
// the first case leave the bucket nearly empty for the second, and the six of the 503 case left
// 12.6-49.5 MiB for the four 12 MiB rests (47.75 MiB) of the next, whose last was then cut (by
// design). A second without a refusal refills it whatever it held.
let lastEnded = 0;
afterEach(() => { lastEnded = Date.now(); });
beforeEach(async () => {
  const wait = lastEnded + 1_100 - Date.now();
  if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
});

// The clients run in a process of their own: in the engine's own process libuv reads the answer
// before the next write fails, which hides the reset a client elsewhere sees (there, on main,
// undici failed 16 of 20 such requests with EPIPE).
const CLIENT = `
import { request } from 'undici';
const [url, key, bytes, n] = process.argv.slice(1);
const body = Buffer.alloc(Number(bytes), 0x20);
body[0] = 0x5b; body[body.length - 1] = 0x5d;
const headers = { 'content-type': 'application/json', authorization: 'Bearer ' + key };
const code = (text) => { try { return JSON.parse(text).error?.code; } catch { return text.slice(0, 40); } };
const out = [];
for (let i = 0; i < Number(n); i++) {
  try {
    const res = await request(url, { method: 'POST', headers, body });
    out.push(res.statusCode + ' ' + code(await res.body.text()) + ' ' + res.headers['retry-after']);
  } catch (err) { out.push('request error ' + (err.code ?? err.message)); }
  try {
    const res = await fetch(url, { method: 'POST', headers, body });
    out.push(res.status + ' ' + code(await res.text()) + ' ' + res.headers.get('retry-after'));
  } catch (err) { out.push('fetch error ' + (err.cause?.code ?? err.message)); }
}
console.log(JSON.stringify(out));
`;

/**
 * `n` rounds of a POST of a `bytes` JSON body (a JSON array) to `path` with undici's request()
 * and with fetch(), from a child process: each answer as "status code retry-after", or the error.
 */
async function childClients(path: string, key: string, bytes: number, n: number): Promise<string[]> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', CLIENT, `${h.url}${path}`, key, String(bytes), String(n)], { timeout: 60_000 });
  return JSON.parse(stdout) as string[];
}

const statusAndCode = (answer: string): string => answer.split(' ').slice(0, 2).join(' ');

/** The first `n` bytes of a msgpack array32 of `count` empty maps. */
function msgpackHead(count: number, n: number): Buffer {
  const b = Buffer.alloc(n, 0x80);
  b[0] = 0xdd;
  b.writeUInt32BE(count, 1);
  return b;
}

/** Sends `total` bytes of `r`'s body `chunk` at a time, one every `everyMs`, without reading first (as a shipper does). */
async function sendBody(r: RawRequest, total: number, chunk: number, everyMs: number): Promise<void> {
  for (let sent = 0; sent < total && !r.ended; sent += chunk) {
    r.send(Buffer.alloc(Math.min(chunk, total - sent), 0x20));
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

describe('a refusal while the body arrives reaches the client (issue 12)', () => {
  it('a free tenant (1 MiB limit) sending 4 MiB with undici request() and fetch(): 413 DW_ERR_PAYLOAD_TOO_LARGE every time, never a reset', async () => {
    const got = [...await childClients('/api/v1/events/ingest', free, 4 * MiB, 5), ...await childClients('/v1/logs', free, 4 * MiB, 3)];
    expect(got.map(statusAndCode)).toEqual(Array.from({ length: 16 }, () => '413 DW_ERR_PAYLOAD_TOO_LARGE'));
  });

  it('a wrong key sending 4 MiB: 401 DW_ERR_UNAUTHORIZED every time', async () => {
    const got = await childClients('/api/v1/events/ingest', `dw_${'A'.repeat(32)}`, 4 * MiB, 4);
    expect(got.map(statusAndCode)).toEqual(Array.from({ length: 8 }, () => '401 DW_ERR_UNAUTHORIZED'));
  });

  it('a raw socket sending 4 MiB slowly (64 KiB every 20 ms) without reading: the whole 413 answer after it, Connection: close, then the close', async () => {
    for (let i = 0; i < 2; i++) {
      const r = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${free}`, 4 * MiB);
      try {
        await sendBody(r, 4 * MiB, 64 * KiB, 20);
        const res = await r.response(10_000);
        expect(res.status).toBe(413);
        expect(res.headers.connection?.toLowerCase()).toBe('close');
        expect((JSON.parse(res.body) as { error: { code: string } }).error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
        expect(await r.closedByServer(2_000)).toBe(true);
      } finally {
        r.destroy();
      }
    }
  });

  it('past the tenant\'s share of the body budget: 503 DW_ERR_UNAVAILABLE with Retry-After every time', async () => {
    // Three 16 MiB bodies of tenant A reserved (48 MiB: its share, and beyond it while a share stays free), kept above the minimum rate.
    const held = Array.from({ length: 3 }, () => RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${h.tenantA.key}`, 16 * MiB, '['));
    const trickle = setInterval(() => { for (const r of held) r.send(' '.repeat(16 * KiB)); }, 100);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300)); // authenticated and reserved
      const got = await childClients('/api/v1/events/ingest', h.tenantA.key, 4 * MiB, 3);
      expect(got).toEqual(Array.from({ length: 6 }, () => '503 DW_ERR_UNAVAILABLE 1'));
      expect(held.filter((r) => r.answered || r.ended)).toEqual([]);
    } finally {
      clearInterval(trickle);
      for (const r of held) r.destroy();
    }
  });

  it('a body being discarded holds none of the budget: four 12 MiB bodies refused after their reservation, still arriving, and the tenant\'s next body is stored', async () => {
    // Reserved whole (12 MiB each, 48 MiB: what the tenant may hold), then refused by the head check (200 events, its limit 100).
    const refused = Array.from({ length: 4 }, () => RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${capped}`, 12 * MiB, msgpackHead(200, 64 * KiB), 'application/msgpack'));
    const trickle = setInterval(() => { for (const r of refused) r.send(Buffer.alloc(16 * KiB, 0x80)); }, 100);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Still being read (no answer before the body ended), and not holding 48 MiB: a 1 MiB body fits.
      expect(refused.map((r) => (r.answered ? r.data.split('\r\n')[0] : r.ended ? 'closed' : 'reading'))).toEqual(['reading', 'reading', 'reading', 'reading']);
      const ok = await request(`${h.url}/api/v1/events/ingest`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${capped}` }, body: JSON.stringify(Array.from({ length: 50 }, (_, i) => logEvent(`ok ${i}`))) });
      expect(ok.statusCode).toBe(200);
      await ok.body.text();
    } finally {
      clearInterval(trickle);
      for (const r of refused) r.destroy();
    }
  });

  it('bounds: a body declared over MAX_BODY_BYTES is answered and closed at once; a refused body slower than the minimum rate is cut after the grace', async () => {
    const over = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${free}`, 16 * MiB + 1, '[');
    const slow = RawRequest.post(h.engine.port, '/api/v1/events/ingest', `Bearer ${free}`, 4 * MiB, '[');
    const trickle = setInterval(() => slow.sendAfterRead(' '.repeat(KiB)), 100); // 10 KiB/s, under 32 KiB/s
    const start = Date.now();
    try {
      expect((await over.response(2_000)).status).toBe(413);
      expect(await over.closedByServer(1_000)).toBe(true);
      expect(Date.now() - start).toBeLessThan(1_000);
      // The grace (2 s) and the check's period (0.5 s), then answered and closed; never the 30 s discard limit.
      expect(await slow.closedByServer(6_000)).toBe(true);
      expect(Date.now() - start).toBeGreaterThan(2_000);
    } finally {
      clearInterval(trickle);
      over.destroy();
      slow.destroy();
    }
  });

  // uWS's parser reads a Content-Length after the route handler ran and closes the socket when it
  // is not 1-9 digits, with the handler's answer still in its 16 KiB cork buffer: on main the
  // client got no answer, only the close. The answer is now written past the cork buffer, at once
  // (engine/sources/common.ts uwsRefusesLength, pastCorkBuffer).
  it('a Content-Length uWS cannot read, straight to the engine: 400 DW_ERR_VALIDATION (413 over MAX_BODY_BYTES) with the error body, then the close', async () => {
    const cases: [string, string, string, number, string][] = [
      ['/api/v1/events/ingest', 'application/json', '-1', 400, 'DW_ERR_VALIDATION'],
      ['/api/v1/events/ingest', 'application/json', '1e3', 400, 'DW_ERR_VALIDATION'],
      ['/api/v1/events/ingest', 'application/json', '+5', 400, 'DW_ERR_VALIDATION'],
      ['/api/v1/events/ingest', 'application/json', '0000000002', 400, 'DW_ERR_VALIDATION'],
      ['/api/v1/events/ingest', 'application/json', '9999999999', 413, 'DW_ERR_PAYLOAD_TOO_LARGE'],
      ['/v1/logs', 'application/json', '-1', 400, 'DW_ERR_VALIDATION'],
      ['/v1/logs', 'application/x-protobuf', '-1', 400, 'DW_ERR_VALIDATION'],
      ['/loki/api/v1/push', 'application/json', '-1', 400, 'DW_ERR_VALIDATION'],
      ['/_bulk', 'application/x-ndjson', '-1', 400, 'DW_ERR_VALIDATION'],
    ];
    const got: string[] = [];
    for (const [path, type, length] of cases) {
      const r = RawRequest.post(h.engine.port, path, `Bearer ${free}`, length, '[]', type);
      try {
        const res = await r.response(3_000).catch((err: Error): RawResponse => ({ status: 0, headers: {}, body: err.message }));
        got.push(`${path} ${type} ${length}: ${res.status} ${codeOf(res.body, res.headers['content-type'])} ${res.headers.connection} ${await r.closedByServer(2_000)}`);
      } finally {
        r.destroy();
      }
    }
    expect(got).toEqual(cases.map(([path, type, length, status, code]) => `${path} ${type} ${length}: ${status} ${code} close true`));
  });
});

/** The DW_ERR_* code of an error body: JSON (`error.code`, or Elasticsearch's `error.type` aside), text (`CODE: ...`) or a protobuf google.rpc.Status (its message). */
function codeOf(body: string, contentType = ''): string {
  if (contentType.includes('protobuf')) {
    const buf = Buffer.from(body, 'latin1');
    const r = new Reader(buf, 0, buf.length, 'Status');
    let message = '';
    r.each((n, wire) => { if (n === 2) message = r.string(); else r.skip(wire); });
    return /^DW_ERR_\w+/.exec(message)?.[0] ?? message;
  }
  try {
    const j = JSON.parse(body) as { error?: { code?: string; dw_code?: string } };
    return j.error?.code ?? j.error?.dw_code ?? body.slice(0, 40);
  } catch {
    return /^DW_ERR_\w+/.exec(body)?.[0] ?? body.slice(0, 40);
  }
}
