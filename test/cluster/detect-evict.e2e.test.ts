// Issue 15: the detect role's memory bound. One engine with every role and the real detectors
// (dist/workers/score.js) on a three-node JetStream cluster, MAX_STREAMS 4 (a tenant may hold
// half: 2 streams): tenant A sends 6 metric streams and tenant B 2, batch by
// batch in turn, so A's streams are evicted (checkpointed, dropped) and reloaded from their
// checkpoint all the time. The findings stored are identical (stream, time, detector, score) to
// the same batches scored in order by the worker function with every state kept in memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../engine/harness.js';
import { metricBatch, metricSeries, range, referenceFindings } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

const POINTS = 400;
const PER_BATCH = 50;
const t0 = Date.UTC(2026, 0, 1);
const SPIKES = new Set([120, 260, 330]);

describe.skipIf(natsServerBinary() === undefined)(`detect eviction (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let h: Harness;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    h = await startHarness({ natsUrl: cluster.url, natsReplicas: 3, maxStreams: 4 }, 'real');
  }, 120_000);
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('evicts beyond the bound and reloads from the checkpoint with identical findings', async () => {
    const tenants = [
      { t: h.tenantA, streams: range(6).map((s) => ({ stream: `a${s}`, values: metricSeries(s, POINTS, SPIKES) })) },
      { t: h.tenantB, streams: range(2).map((s) => ({ stream: `b${s}`, values: metricSeries(10 + s, POINTS, SPIKES) })) },
    ];
    const detect = h.engine.cluster!.detect!;
    const nStreams = tenants.reduce((a, x) => a + x.streams.length, 0);
    for (let b = 0; b < POINTS / PER_BATCH; b++) {
      // Each round is scored before the next is sent: the detect role then takes the streams one
      // round at a time and holds at most 4 of the 8, so A's go through eviction and reload every
      // round whatever the machine's load (sent at once, a loaded machine's runner took several
      // rounds of a stream in one turn and evicted it less often: 20 reloads instead of 42).
      for (const { t, streams } of tenants) {
        for (const { stream, values } of streams) {
          const res = await fetch(`${h.url}/api/v1/events/ingest`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${t.key}`, 'idempotency-key': `${stream}-${b}` },
            body: JSON.stringify(metricBatch(stream, b, PER_BATCH, values, t0)),
          });
          expect(res.status).toBe(200);
        }
      }
      await waitFor(async () => (detect.stats.scored >= (b + 1) * nStreams * PER_BATCH ? true : undefined), 60_000, `round ${b} scored`);
    }
    const total = nStreams * POINTS;
    await waitFor(async () => (detect.stats.scored >= total ? true : undefined), 120_000, 'every event scored');
    const want = new Map<string, Set<string>>();
    for (const { t, streams } of tenants) want.set(t.id, await referenceFindings(streams, PER_BATCH, t0, true));
    const wanted = [...want.values()].reduce((a, x) => a + x.size, 0);
    const got = async (tenantId: string): Promise<string[]> => (await h.db.pool.query<{ stream: string; ts: Date; detector: string; score: number }>(
      'SELECT stream, event_ts AS ts, detector, score FROM anomalies WHERE tenant_id = $1', [tenantId])).rows.map((r) => `${r.stream}|${r.ts.getTime()}|${r.detector}|${r.score}`);
    await waitFor(async () => ((await got(h.tenantA.id)).length + (await got(h.tenantB.id)).length >= wanted ? true : undefined), 60_000, 'every finding stored');
    for (const { t } of tenants) {
      const rows = await got(t.id);
      expect(rows.length).toBe(new Set(rows).size);
      expect([...rows].sort()).toEqual([...want.get(t.id)!].sort());
    }
    expect(wanted).toBeGreaterThan(0);
    // The bound held, and A's streams went through eviction and reload many times.
    expect(detect.cache.size).toBeLessThanOrEqual(4);
    expect(detect.stats.evicted).toBeGreaterThan(20);
    expect(detect.stats.loaded).toBeGreaterThan(20);
    console.log(`detect-evict: ${detect.stats.evicted} evictions, ${detect.stats.loaded} states reloaded, ${detect.stats.checkpoints} checkpoints; ${wanted} findings identical to in-memory scoring`);
  }, 240_000);
});
