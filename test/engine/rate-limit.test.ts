// Per-tenant ingest rate (TENANT_EVENTS_PER_SECOND): a token bucket per tenant, checked after
// authentication and before storing, in the HTTP, OTLP and WebSocket sources.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TenantRateLimiter } from '../../engine/transforms/limit.js';
import { countEvents, ingest, logEvent, startHarness, WsClient, type Harness } from './harness.js';

describe('TenantRateLimiter', () => {
  it('refills at the rate, admits a batch larger than a second only from a full bucket, and says how long to wait', () => {
    const l = new TenantRateLimiter(10);
    expect(l.take('a', 10, 0)).toBe(0);
    expect(l.take('a', 1, 0)).toBe(1);
    expect(l.take('a', 5, 500)).toBe(0); // 5 tokens back after 0.5 s
    expect(l.take('a', 1, 500)).toBe(1);
    // A batch of 35 from a full bucket: taken, and 2.5 s of debt follow.
    expect(l.take('a', 35, 2_000)).toBe(0);
    expect(l.take('a', 10, 2_000)).toBe(4); // needs 10 - (-25) = 35 tokens: 3.5 s
    expect(l.take('a', 10, 5_500)).toBe(0);
    expect(l.take('b', 10, 5_500)).toBe(0); // other tenants have their own bucket
    expect(l.stats).toEqual({ batchesRefused: 3, eventsRefused: 12 });
    // Refilled buckets are forgotten about once a minute.
    expect(l.tenants).toBe(2);
    expect(l.take('c', 1, 70_000)).toBe(0);
    expect(l.tenants).toBe(1);
  });

  it('0 is unlimited; a bad value is refused at construction', () => {
    const l = new TenantRateLimiter(0);
    for (let i = 0; i < 100; i++) expect(l.take('a', 1_000_000, 0)).toBe(0);
    expect(() => new TenantRateLimiter(-1)).toThrow(TypeError);
    expect(() => new TenantRateLimiter(1.5)).toThrow(TypeError);
  });
});

describe('engine per-tenant rate limit (against PostgreSQL)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ tenantEventsPerSecond: 1 }); });
  afterAll(async () => { await h?.close(); });

  const post = (path: string, key: string, body: unknown): Promise<Response> => fetch(`${h.url}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` }, body: JSON.stringify(body),
  });

  it('answers 429 DW_ERR_RATE_LIMITED with Retry-After (HTTP, OTLP) or a nack (WebSocket, connection kept); another tenant is unaffected', async () => {
    // From a full bucket a batch of 3 passes (limit 1/s): the tenant now owes about 2 s.
    expect((await ingest(h, [logEvent('a1'), logEvent('a2'), logEvent('a3')])).status).toBe(200);

    const second = await post('/api/v1/events/ingest', h.tenantA.key, [logEvent('a4')]);
    expect(second.status).toBe(429);
    const retry = Number(second.headers.get('retry-after'));
    expect(retry).toBeGreaterThanOrEqual(2);
    expect(retry).toBeLessThanOrEqual(3);
    const body = await second.json() as { error: { code: string; details: { retryAfterSeconds: number } } };
    expect(body.error.code).toBe('DW_ERR_RATE_LIMITED');
    expect(body.error.details.retryAfterSeconds).toBe(retry);

    // Tenant B has its own bucket.
    expect((await ingest(h, [logEvent('b1')], { key: h.tenantB.key })).status).toBe(200);

    const otlp = await post('/v1/logs', h.tenantA.key, { resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 'otlp a' } }] }] }] });
    expect(otlp.status).toBe(429);
    expect(Number(otlp.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await otlp.json()).toMatchObject({ code: 8, error: { code: 'DW_ERR_RATE_LIMITED' } });

    const wsA = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${h.tenantA.key}` });
    const wsB = await WsClient.connect(h.wsUrl, { authorization: `Bearer ${h.tenantB.key}` });
    try {
      wsA.sendJson({ seq: 1, events: [logEvent('ws a')] });
      expect((await wsA.answer(1)).msg).toMatchObject({ nack: 1, error: { code: 'DW_ERR_RATE_LIMITED' } });
      // The connection stays open: the next frame is answered too.
      wsA.sendJson({ seq: 2, events: [logEvent('ws a again')] });
      expect((await wsA.answer(2)).msg).toMatchObject({ nack: 2, error: { code: 'DW_ERR_RATE_LIMITED' } });
      expect(wsA.closed).toBeUndefined();
      // B spent its one token on b1 above: a second later its bucket is full again, whatever A does.
      await new Promise((r) => setTimeout(r, 1_100)); // kept: the bucket's wall-clock refill is the behaviour under test
      wsB.sendJson({ seq: 1, events: [logEvent('ws b')] });
      expect((await wsB.answer(1)).msg).toEqual({ ack: 1 });
    } finally {
      await wsA.close();
      await wsB.close();
    }

    expect(await countEvents(h, h.tenantA.id)).toBe(3);
    expect(await countEvents(h, h.tenantB.id)).toBe(2);
    expect(h.engine.stats().rateLimit.batchesRefused).toBe(4);
  });
});
