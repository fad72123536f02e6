// Issue 12, lows ("map framework errors"), found by the final audit: what Node's HTTP parser
// refuses before any Fastify route runs left the control API in Fastify's own format
// (`{"error":"Bad Request","message":"Client Error","statusCode":400}`, and 431 for a URL over
// 16 KiB, such as a long stream filter). Now the same `{error: {code, message}}` as every other answer.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../control/harness.js';
import { RawRequest } from '../helpers/raw-request.js';

let h: Harness;
let port: number;
beforeAll(async () => {
  h = await startHarness();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  port = (h.app.server.address() as AddressInfo).port;
});
afterAll(async () => { await h?.close(); });

async function answer(head: string, body = ''): Promise<{ status: number; code: unknown; nosniff: string | undefined }> {
  const r = new RawRequest(port, head, body);
  try {
    const res = await r.response(5_000);
    return { status: res.status, code: (JSON.parse(res.body) as { error?: { code?: unknown } }).error?.code, nosniff: res.headers['x-content-type-options'] };
  } finally {
    r.destroy();
  }
}

describe('the control API\'s HTTP parser refusals keep the error format', () => {
  it('a URL over 16 KiB: 431 DW_ERR_HEADERS_TOO_LARGE', async () => {
    expect(await answer(`GET /api/v1/events?stream=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x`))
      .toEqual({ status: 431, code: 'DW_ERR_HEADERS_TOO_LARGE', nosniff: 'nosniff' });
  });

  it.each([
    ['Content-Length: -1', 'Content-Length: -1'],
    ['two Content-Length headers', 'Content-Length: 2\r\nContent-Length: 3'],
    ['a space in the request target', ''],
  ])('%s: 400 DW_ERR_VALIDATION', async (name, headers) => {
    const line = name.startsWith('a space') ? 'POST /api/v1/auth/login x HTTP/1.1' : 'POST /api/v1/auth/login HTTP/1.1';
    const a = await answer(`${line}\r\nHost: x\r\nContent-Type: application/json${headers === '' ? '' : `\r\n${headers}`}`, '{}');
    expect(a).toEqual({ status: 400, code: 'DW_ERR_VALIDATION', nosniff: 'nosniff' });
  });
});
