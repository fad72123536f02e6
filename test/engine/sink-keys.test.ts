// Batch keys through the engine: a key reused for different data is refused (409 / nack
// DW_ERR_CONFLICT) and stores nothing; the same data under the same key is acked as a duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

describe('engine: batch keys carry a fingerprint', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('HTTP: an Idempotency-Key reused with a different payload is answered 409 and stores nothing', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const a = [logEvent('one'), logEvent('two')];
    const headers = { 'idempotency-key': 'reused-key' };
    expect(await ingest(h, a, { headers })).toEqual({ status: 200, body: { accepted: 2 } });
    expect(await ingest(h, a, { headers })).toEqual({ status: 200, body: { accepted: 2, duplicate: true } });
    const other = await ingest(h, [logEvent('three')], { headers });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('DW_ERR_CONFLICT');
    expect(other.body.error.message).toMatch(/already used for different data/);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
  });

  it('WebSocket: a client restarting with the same client_id at seq 0 with new events is nacked, not acked', async () => {
    const before = await countEvents(h, h.tenantB.id);
    const url = `${h.wsUrl}?client_id=restarting-agent`;
    const auth = { authorization: `Bearer ${h.tenantB.key}` };
    const c1 = await WsClient.connect(url, auth);
    c1.sendJson({ seq: 0, events: [logEvent('first life 0'), logEvent('first life 1')] });
    expect((await c1.answer(0)).msg).toEqual({ ack: 0 });
    await c1.close();
    const c2 = await WsClient.connect(url, auth);
    c2.sendJson({ seq: 0, events: [logEvent('second life 0')] });
    const ans = (await c2.answer(0)).msg;
    expect(ans.nack).toBe(0);
    expect(ans.error.code).toBe('DW_ERR_CONFLICT');
    await c2.close();
    expect(await countEvents(h, h.tenantB.id)).toBe(before + 2);
  });
});
