import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, logEvent, startHarness, WsClient, type Harness } from './harness.js';
import { storedEvents } from '../helpers/events.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 50, maxBodyBytes: 32 * 1024 }); });
afterAll(async () => { await h?.close(); });

const auth = (key: string): Record<string, string> => ({ authorization: `Bearer ${key}` });

describe('engine WebSocket source', () => {
  it('acks JSON text frames as text and msgpack binary frames as binary, after storing', async () => {
    const c = await WsClient.connect(h.wsUrl, auth(h.tenantA.key));
    const before = await countEvents(h, h.tenantA.id);
    c.sendJson({ seq: 1, events: [logEvent('ws json 1'), logEvent('ws json 2')] });
    const a1 = await c.answer(1);
    expect(a1).toEqual({ msg: { ack: 1 }, binary: false });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    c.sendMsgpack({ seq: 2, events: [logEvent('ws mp 1'), { timestamp: Date.now(), stream_type: 'metrics', data: 7, metadata: { source: 'm' } }] });
    const a2 = await c.answer(2);
    expect(a2).toEqual({ msg: { ack: 2 }, binary: true });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 4);
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).filter((x) => x.stream_type === 'metrics' && x.data === 7);
    expect(rows.map((r) => r.stream)).toEqual(['metrics:m']);
    await c.close();
  });

  it('acks a frame with some bad events, storing the good ones and naming the bad ones', async () => {
    const c = await WsClient.connect(h.wsUrl, auth(h.tenantA.key));
    const before = await countEvents(h, h.tenantA.id);
    c.sendJson({ seq: 3, events: [logEvent('ok'), { timestamp: '2021-02-29', stream_type: 'logs', data: 'x' }, logEvent('ok 2')] });
    const a = await c.answer(3);
    expect(a.msg).toEqual({ ack: 3, rejected: [{ index: 1, code: 'DW_ERR_INVALID_TIMESTAMP', message: expect.stringContaining('2021-02-29') }] });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    await c.close();
  });

  it('nacks bad frames with their codes and keeps the connection open', async () => {
    const c = await WsClient.connect(h.wsUrl, auth(h.tenantA.key));
    const before = await countEvents(h);
    c.ws.send('{"seq": 1, "events": [');
    const malformed = await c.answer(null);
    expect(malformed.msg.error.code).toBe('DW_ERR_MALFORMED_BODY');

    // No valid event at all: a nack (nothing stored), naming each refused event.
    c.sendJson({ seq: 10, events: [{ timestamp: 'never', stream_type: 'logs', data: 'x' }] });
    const invalid = await c.answer(10);
    expect(invalid.msg.nack).toBe(10);
    expect(invalid.msg.error.code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(invalid.msg.error.details).toMatchObject({ index: 0, rejected: [{ index: 0, code: 'DW_ERR_INVALID_TIMESTAMP' }] });

    c.sendMsgpack({ seq: 11, events: Array.from({ length: 51 }, (_, i) => logEvent(`m${i}`)) });
    const many = await c.answer(11);
    expect(many).toMatchObject({ binary: true, msg: { nack: 11, error: { code: 'DW_ERR_TOO_MANY_EVENTS' } } });

    c.sendJson({ seq: 12, events: [logEvent('z'.repeat(40 * 1024))] });
    const big = await c.answer(12);
    expect(big.msg.error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');

    c.sendJson({ seq: 13, events: [logEvent('still open')] });
    expect((await c.answer(13)).msg).toEqual({ ack: 13 });
    expect(c.closed).toBeUndefined();
    expect(await countEvents(h)).toBe(before + 1);
    await c.close();
  });

  it('refuses the upgrade without valid credentials or the ingest scope; accepts ?token=', async () => {
    await expect(WsClient.connect(h.wsUrl)).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(h.wsUrl, auth('dw_' + 'B'.repeat(32)))).rejects.toMatchObject({ status: 401 });
    await expect(WsClient.connect(h.wsUrl, auth(h.tenantA.readKey))).rejects.toMatchObject({ status: 403 });
    const c = await WsClient.connect(`${h.wsUrl}?token=${encodeURIComponent(h.tenantB.key)}`);
    c.sendJson({ seq: 1, events: [logEvent('by query token')] });
    expect((await c.answer(1)).msg).toEqual({ ack: 1 });
    const rows = (await storedEvents(h.db.pool)).filter((x) => x.data === 'by query token');
    expect(rows.map((r) => r.tenant_id)).toEqual([h.tenantB.id]);
    await c.close();
  });

  it('stores a batch resent after a reconnect once (client_id + seq)', async () => {
    const url = `${h.wsUrl}?client_id=agent-7`;
    const batch = { seq: 5, events: [logEvent('resend 1'), logEvent('resend 2')] };
    const before = await countEvents(h, h.tenantB.id);
    const c1 = await WsClient.connect(url, auth(h.tenantB.key));
    c1.sendJson(batch);
    expect((await c1.answer(5)).msg).toEqual({ ack: 5 });
    await c1.close();
    const c2 = await WsClient.connect(url, auth(h.tenantB.key));
    c2.sendMsgpack(batch);
    expect((await c2.answer(5)).msg).toEqual({ ack: 5, duplicate: true });
    c2.sendJson({ seq: 6, events: [logEvent('resend 3')] });
    expect((await c2.answer(6)).msg).toEqual({ ack: 6 });
    expect(await countEvents(h, h.tenantB.id)).toBe(before + 3);
    // Another client id with the same seq is another batch.
    const c3 = await WsClient.connect(`${h.wsUrl}?client_id=agent-8`, auth(h.tenantB.key));
    c3.sendJson(batch);
    expect((await c3.answer(5)).msg).toEqual({ ack: 5 });
    expect(await countEvents(h, h.tenantB.id)).toBe(before + 5);
    await Promise.all([c2.close(), c3.close()]);
  });

  it('one tenant\'s bad frames do not affect another tenant on its own connection', async () => {
    const good = await WsClient.connect(h.wsUrl, auth(h.tenantA.key));
    const bad = await WsClient.connect(h.wsUrl, auth(h.tenantB.key));
    const b0 = await countEvents(h, h.tenantA.id);
    for (let i = 0; i < 20; i++) {
      good.sendJson({ seq: i, events: Array.from({ length: 10 }, (_, j) => logEvent(`good ${i} ${j}`)) });
      bad.sendJson({ seq: i, events: [logEvent('x', { stream_type: 'nope' })] });
      bad.ws.send(Buffer.from([0xc1, 0xc1]));
    }
    for (let i = 0; i < 20; i++) {
      expect((await good.answer(i)).msg).toEqual({ ack: i });
      expect((await bad.answer(i)).msg.error.code).toBe('DW_ERR_INVALID_EVENT');
    }
    expect(await countEvents(h, h.tenantA.id)).toBe(b0 + 200);
    expect(bad.closed).toBeUndefined();
    await Promise.all([good.close(), bad.close()]);
  });

  it('pipelines many frames on one connection and acks every one', async () => {
    const c = await WsClient.connect(h.wsUrl, auth(h.tenantA.key));
    const before = await countEvents(h, h.tenantA.id);
    for (let i = 0; i < 300; i++) c.sendMsgpack({ seq: 1000 + i, events: Array.from({ length: 20 }, (_, j) => logEvent(`p ${i} ${j}`)) });
    for (let i = 0; i < 300; i++) expect((await c.answer(1000 + i, 30_000)).msg).toEqual({ ack: 1000 + i });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 6000);
    await c.close();
  });
});
