import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeCredential } from '../../engine/sources/credentials.js';
import { ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

describe('normalizeCredential', () => {
  it.each([
    ['Bearer k1', '', 'Bearer k1'],
    ['ApiKey k2', '', 'Bearer k2'],
    ['Splunk k3', '', 'Bearer k3'],
    ['apikey k2', '', 'Bearer k2'],
    [`Basic ${b64('user:k3')}`, '', 'Bearer k3'],
    [`Basic ${b64('k4:')}`, '', 'Bearer k4'],
    [`Basic ${b64('k5')}`, '', 'Bearer k5'],
    ['', 'k6', 'Bearer k6'],
    ['Bearer k7', 'other', 'Bearer k7'],
    ['Token x', '', 'Token x'],
  ])('%j + X-API-Key %j → %j', (a, x, want) => { expect(normalizeCredential(a, x)).toBe(want); });
  it('no credential at all', () => { expect(normalizeCredential('', '')).toBeUndefined(); });
});

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

describe('engine ingest takes the API key as the shippers send it', () => {
  it('X-API-Key, Authorization: ApiKey and Basic auth\'s password are accepted; a wrong key in any of them is not', async () => {
    const k = h.tenantA.key;
    for (const headers of [{ 'x-api-key': k } as Record<string, string>, { authorization: `ApiKey ${k}` }, { authorization: `Basic ${b64(`loki:${k}`)}` }]) {
      expect(await ingest(h, [logEvent('cred')], { key: '', headers })).toEqual({ status: 200, body: { accepted: 1 } });
    }
    const wrong = 'dw_' + 'A'.repeat(32);
    for (const headers of [{ 'x-api-key': wrong } as Record<string, string>, { authorization: `ApiKey ${wrong}` }, { authorization: `Basic ${b64(`u:${wrong}`)}` }]) {
      expect((await ingest(h, [logEvent('cred')], { key: '', headers })).status).toBe(401);
    }
  });

  it('the WebSocket upgrade takes X-API-Key too', async () => {
    const c = await WsClient.connect(h.wsUrl, { 'x-api-key': h.tenantA.key });
    c.sendJson({ seq: 1, events: [logEvent('ws cred')] });
    expect((await c.answer(1)).msg).toEqual({ ack: 1 });
    await c.close();
  });
});
