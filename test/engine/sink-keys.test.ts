// Batch keys through the engine: a key reused for different data is refused (409 / nack
// DW_ERR_CONFLICT) and stores nothing; the same data under the same key is acked as a duplicate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../helpers/events.js';
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

  it('WebSocket: a reconnecting client resends frames of several streams; each is acked again and stored once, as blocks carrying its key', async () => {
    const url = `${h.wsUrl}?client_id=resending-agent`;
    const auth = { authorization: `Bearer ${h.tenantA.key}` };
    // Built once: a resend carries exactly the same frame (logEvent stamps the current time).
    const frames = [0, 1, 2].map((seq) => ({ seq, events: [
      logEvent(`r${seq} a0`, { stream: 'resend-a' }), logEvent(`r${seq} b0 ✓`, { stream: 'resend-b' }),
      logEvent(`r${seq} a1`, { stream: 'resend-a' }), { timestamp: 1_700_000_000_000 + seq, stream_type: 'metrics', data: seq, metadata: { source: 'resend' } },
    ] }));
    const frame = (seq: number) => frames[seq];
    const c1 = await WsClient.connect(url, auth);
    c1.sendJson(frame(0));
    c1.sendJson(frame(1));
    expect((await c1.answer(0)).msg).toEqual({ ack: 0 });
    expect((await c1.answer(1)).msg).toEqual({ ack: 1 });
    await c1.close();
    const blocksOf = async () => (await storedEvents(h.db.pool, { tenantId: h.tenantA.id }))
      .filter((e) => e.stream.startsWith('resend-') || e.stream === 'metrics:resend');
    const first = await blocksOf();
    expect(first).toHaveLength(8);
    // The client did not see the acks (say): it reconnects and resends both, then a new one.
    const c2 = await WsClient.connect(url, auth);
    c2.sendJson(frame(0));
    c2.sendJson(frame(1));
    c2.sendJson(frame(2));
    expect((await c2.answer(0)).msg).toEqual({ ack: 0, duplicate: true });
    expect((await c2.answer(1)).msg).toEqual({ ack: 1, duplicate: true });
    expect((await c2.answer(2)).msg).toEqual({ ack: 2 });
    await c2.close();
    const after = await blocksOf();
    expect(after).toHaveLength(12);
    expect(after.slice(0, 8)).toEqual(first);
    // Blocks carry the key of the frame their first event came from (frames of one group commit
    // share a block per stream: blocks.ts mergedBlockLines); events in send order within a stream.
    const keys = [...new Set(after.map((e) => e.batch_key))];
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys.length).toBeLessThanOrEqual(3);
    expect(keys).toContain('ws:resending-agent:0');
    expect(keys.every((k) => typeof k === 'string' && k.includes('resending-agent'))).toBe(true);
    expect(after.filter((e) => e.stream === 'resend-a').map((e) => e.data)).toEqual(['r0 a0', 'r0 a1', 'r1 a0', 'r1 a1', 'r2 a0', 'r2 a1']);
    expect(after.filter((e) => e.stream === 'resend-b').map((e) => e.data)).toEqual(['r0 b0 ✓', 'r1 b0 ✓', 'r2 b0 ✓']);
    expect(after.filter((e) => e.stream === 'metrics:resend').map((e) => e.data)).toEqual([0, 1, 2]);
    const usage = await h.db.pool.query<{ n: string }>('SELECT sum(events) AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantA.id]);
    expect(Number(usage.rows[0].n)).toBe(await countEvents(h, h.tenantA.id));
  });
});
