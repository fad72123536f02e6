// The engine with NATS_URL and every role in one process (one JetStream node on a free port):
// an ingested batch is acknowledged after JetStream has it, stored once by the store role
// (a resend is a duplicate), scored by the detect role, and its anomaly stored once; a process
// without the ingest role refuses ingest.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest, logEvent, startHarness, type Harness, countEvents } from '../engine/harness.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsServer } from '../helpers/nats-cluster.js';

describe.skipIf(natsServerBinary() === undefined)(`engine roles over JetStream (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let h: Harness;
  beforeAll(async () => {
    nats = await startNatsServer();
    h = await startHarness({ natsUrl: nats.url });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
    await nats?.stop();
  });

  it('publishes, stores once, scores and stores the anomaly once', async () => {
    const body = [logEvent('one'), logEvent('two BOOM'), logEvent('three', { stream: 'other' })];
    const r = await ingest(h, body, { headers: { 'idempotency-key': 'b-1' } });
    expect(r.status).toBe(200);
    const again = await ingest(h, body, { headers: { 'idempotency-key': 'b-1' } });
    expect(again.status).toBe(200);
    expect(again.body.duplicate).toBe(true);
    await waitFor(async () => ((await countEvents(h)) === 3 ? true : undefined), 20_000, '3 stored events');
    await waitFor(async () => {
      const a = await h.db.pool.query('SELECT id, detector FROM anomalies');
      return a.rowCount === 1 ? a.rows : undefined;
    }, 20_000, 'one anomaly');
    const engine = h.engine.cluster!;
    expect(engine.store!.stats.stored).toBe(3);
    expect(engine.detect!.stats.scored).toBe(3);
    expect(engine.detect!.partitions.length).toBe(16);
  }, 60_000);

  it('refuses ingest on an engine without the ingest role', async () => {
    await h.engine.close();
    await h.restart({ natsUrl: nats.url, roles: 'store' });
    const r = await ingest(h, [logEvent('x')]);
    expect(r.status).toBe(503);
    expect(r.body.error.code).toBe('DW_ERR_UNAVAILABLE');
    expect(r.body.error.message).toContain('not ingest');
  }, 60_000);
});
