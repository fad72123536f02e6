import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countEvents, ingest, logEvent, startHarness, type Harness } from './harness.js';
import { storedEvents } from '../helpers/events.js';
import { registry } from '../../src/core/telemetry/metrics.js';

const rejectedCount = async (code: string): Promise<number> => {
  const m = (await registry.getSingleMetric('driftwatch_ingest_rejected_events_total')?.get())?.values.find((v) => v.labels.error_code === code);
  return m?.value ?? 0;
};

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 1000, maxBodyBytes: 1024 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

describe('per-event acceptance on POST /api/v1/events/ingest', () => {
  it('stores 999 of 1,000 events, names the bad one, and a resend with the same Idempotency-Key stores nothing new', async () => {
    const events: unknown[] = Array.from({ length: 1000 }, (_, i) => logEvent(`pe ${i}`, { stream: 'per-event' }));
    events[613] = logEvent('bad date', { stream: 'per-event', timestamp: '2020-02-30T00:00:00Z' });
    const before = await countEvents(h, h.tenantA.id);
    const counted = await rejectedCount('DW_ERR_INVALID_TIMESTAMP');
    const headers = { 'idempotency-key': 'per-event-1' };
    const first = await ingest(h, events, { headers });
    expect(first.status).toBe(200);
    expect(first.body.accepted).toBe(999);
    expect(first.body.rejected).toEqual([{ index: 613, code: 'DW_ERR_INVALID_TIMESTAMP', message: expect.stringContaining('2020-02-30') }]);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 999);
    expect(await rejectedCount('DW_ERR_INVALID_TIMESTAMP')).toBe(counted + 1); // counted by code
    const stored = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).filter((r) => r.stream === 'per-event');
    expect(stored.map((r) => r.data)).not.toContain('bad date');
    expect(new Set(stored.map((r) => r.data)).size).toBe(999);

    const again = await ingest(h, events, { headers });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ accepted: 999, rejected: first.body.rejected, duplicate: true });
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 999);
  });

  it('answers 400 only when nothing in the body is valid, naming each event', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const r = await ingest(h, [{ timestamp: 'soon', data: 'x' }, { level: 'info' }]);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('DW_ERR_INVALID_TIMESTAMP');
    expect(r.body.error.details.rejected.map((x: { index: number; code: string }) => [x.index, x.code]))
      .toEqual([[0, 'DW_ERR_INVALID_TIMESTAMP'], [1, 'DW_ERR_INVALID_EVENT']]);
    expect(await countEvents(h, h.tenantA.id)).toBe(before);
  });

  it('?atomic=true keeps all or nothing', async () => {
    const before = await countEvents(h, h.tenantA.id);
    const res = await fetch(`${h.url}/api/v1/events/ingest?atomic=true`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` },
      body: JSON.stringify([logEvent('fine'), { message: 'm', time: 'Feb 30 10:00:00' }]),
    });
    expect(res.status).toBe(400);
    expect(await countEvents(h, h.tenantA.id)).toBe(before);
  });
});
