// Issue 15: a JetStream node SIGKILLed mid-stream (the events stream's leader), with 4 ingest
// connections sending: every acknowledged event is stored exactly once and scored exactly once,
// in order per stream. One engine with every role (in this process) on a three-node cluster
// (replicas 3); the detector is test/fixtures/score-order.mjs.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { startHarness, type Harness } from '../engine/harness.js';
import { behindDetail, range, scoredNumbers, sendNumbered, storedNumbers, uncheckpointed, type Sender } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

const orderWorker = fileURLToPath(new URL('../fixtures/score-order.mjs', import.meta.url));
const CONNECTIONS = 4;
const BATCHES = 30;
const PER_BATCH = 30;
const STREAMS_PER_CONNECTION = 3;

describe.skipIf(natsServerBinary() === undefined)(`JetStream node killed mid-stream (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let h: Harness;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    h = await startHarness({ natsUrl: cluster.url, natsReplicas: 3 }, orderWorker);
  }, 90_000);
  afterAll(async () => {
    await h?.close();
    await cluster?.stop();
  });

  it('stores and scores every acknowledged event exactly once, in order per stream', async () => {
    const s: Sender = { acked: 0, resends: 0 };
    const streamsOf = (c: number): string[] => range(STREAMS_PER_CONNECTION).map((k) => `c${c}-s${k}`);
    const sending = Promise.all(range(CONNECTIONS).map((c) => sendNumbered(h.url, h.tenantA.key, `c${c}`, streamsOf(c), BATCHES, PER_BATCH, s)));
    // A quarter in: SIGKILL the node that leads the events stream.
    await waitFor(async () => (s.acked >= (CONNECTIONS * BATCHES * PER_BATCH) / 4 ? true : undefined), 120_000, 'a quarter of the events acknowledged');
    const nc = await connect({ servers: cluster.url.split(',') });
    const leader = (await (await jetstreamManager(nc)).streams.info('DW_EVENTS')).cluster?.leader;
    await nc.close();
    const victim = cluster.nodes.findIndex((n) => n.name === leader);
    expect(victim).toBeGreaterThanOrEqual(0);
    await cluster.kill(victim);
    await sending;
    const total = CONNECTIONS * BATCHES * PER_BATCH;
    expect(s.acked).toBe(total);
    const perStream = (BATCHES * PER_BATCH) / STREAMS_PER_CONNECTION;
    await waitFor(async () => {
      const { seen } = await scoredNumbers(h.db.pool, h.tenantA.id);
      const n = [...seen.values()].reduce((a, l) => a + l.length, 0);
      return n >= total ? true : undefined;
    }, 180_000, 'every event scored').catch(async (err: unknown) => {
      const c = h.engine.cluster!;
      const stored = [...(await storedNumbers(h.db.pool, h.tenantA.id)).values()].reduce((a, l) => a + l.length, 0);
      throw new Error(`${String(err)}; stored ${stored}; detect ${JSON.stringify(c.detect!.stats)} partitions ${JSON.stringify(c.detect!.partitions)}; store ${JSON.stringify(c.store!.stats)}`);
    });
    // The store and detect roles consume independently: the events may be stored after they are
    // scored (a store consumer on the killed node waits for its watchdog). Counted, then checked.
    await waitFor(async () => ([...(await storedNumbers(h.db.pool, h.tenantA.id)).values()].reduce((a, l) => a + l.length, 0) >= total ? true : undefined),
      120_000, 'every event stored');
    const stored = await storedNumbers(h.db.pool, h.tenantA.id);
    const { seen, outOfOrder } = await scoredNumbers(h.db.pool, h.tenantA.id);
    expect(stored.size).toBe(CONNECTIONS * STREAMS_PER_CONNECTION);
    for (const c of range(CONNECTIONS)) {
      for (const stream of streamsOf(c)) {
        // Stored once each. (Not necessarily in commit order: a message the store role had to
        // retry commits after later ones; the order that holds is the scoring order below.)
        expect([...(stored.get(stream) ?? [])].sort((a, b) => a - b), stream).toEqual(range(perStream));
        // Scored once each (one fixture_seen row per event), and in order: the fixture flags an
        // event whose number is not the one after the last it scored (fixture_order, counted below).
        expect(seen.get(stream), stream).toEqual(range(perStream));
      }
    }
    expect(outOfOrder).toBe(0);
    // Every partition checkpointed at its last message (a runner that restarted after a failed
    // publish replays from its checkpoint; what it scores again is stored no second time), then
    // the detector states: each stream's fixture state is the next number expected.
    const nc2 = await connect({ servers: cluster.url.split(',') });
    const jsm = await jetstreamManager(nc2);
    await waitFor(async () => ((await uncheckpointed(jsm, h.db.pool)).length === 0 ? true : undefined), 120_000, 'every partition checkpointed at its last message')
      .catch(async (err: unknown) => {
        // What the partitions behind are at, and what their runners await (the detect role's state).
        const d = h.engine.cluster!.detect!;
        const behind = await uncheckpointed(jsm, h.db.pool);
        throw new Error(`${String(err)}; behind: ${await behindDetail(jsm, h.db.pool, behind)}; detect ${JSON.stringify(d.stats)}; held ${JSON.stringify(d.partitions)}`
          + ` (leases ${JSON.stringify([...d.leases.held.keys()])}); runners ${JSON.stringify(d.runners.filter((r) => behind.includes(r.partition)))}`);
      });
    await nc2.close();
    const stats = h.engine.cluster!.detect!.stats;
    await h.engine.close();
    const states = await h.db.pool.query<{ stream: string; state: Buffer }>('SELECT stream, state FROM detector_states WHERE tenant_id = $1', [h.tenantA.id]);
    expect(states.rows.map((r) => [r.stream, r.state.readUInt32BE(0)]).sort()).toEqual(
      range(CONNECTIONS).flatMap((c) => streamsOf(c).map((x) => [x, perStream])).sort());
    console.log(`node-kill: ${total} events acked over ${CONNECTIONS} connections, ${s.resends} resends after killing ${leader}; detect ${JSON.stringify(stats)}`);
  }, 300_000);
});
