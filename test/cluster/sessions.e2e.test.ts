// The cluster's detect role (engine/cluster/detect.ts) keys sessions as the single-process scorer
// does: its tasks carry the events' metadata and the stream's session field
// (stream_settings.session_field), so the order that takes a step no normal order takes is a
// session_sequence anomaly; a tenant without the setting (a fresh trace id per line) has none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, startHarness, type Harness } from '../engine/harness.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsServer } from '../helpers/nats-cluster.js';
import { orderEvents } from '../helpers/session-orders.js';

describe.skipIf(natsServerBinary() === undefined)(`cluster detect: sessions by a named metadata field (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let h: Harness;
  beforeAll(async () => {
    nats = await startNatsServer();
    h = await startHarness({ natsUrl: nats.url }, 'real');
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await nats?.stop();
  });

  it('stream_settings.session_field reaches the detect role: the odd order is found; not without the setting', async () => {
    await h.db.pool.query("INSERT INTO stream_settings (tenant_id, stream, session_field) VALUES ($1, 'orders', 'order')", [h.tenantA.id]);
    const { events, odd } = orderEvents();
    expect((await ingest(h, events, { key: h.tenantA.key })).status).toBe(200);
    expect((await ingest(h, events, { key: h.tenantB.key })).status).toBe(200);
    const detect = h.engine.cluster!.detect!;
    await waitFor(async () => (detect.stats.scored >= 2 * events.length ? true : undefined), 60_000, 'every event scored');
    const of = async (tenantId: string): Promise<unknown[]> => (await h.db.pool.query(
      "SELECT details->>'session' AS session FROM anomalies WHERE tenant_id = $1 AND detector = 'session_sequence'", [tenantId])).rows.map((r) => r.session);
    expect(await waitFor(async () => { const a = await of(h.tenantA.id); return a.length > 0 ? a : undefined; }, 20_000, "tenant A's session anomaly")).toEqual([odd]);
    expect(await of(h.tenantB.id)).toEqual([]);
  }, 120_000);
});
