// Issue 15: a store process SIGKILLed while it writes (events acknowledged by JetStream, some
// stored, the rest in its COPY or waiting): once another store process runs, every acknowledged
// event is stored once, none lost, none doubled, and usage counts each once. Ingest in this
// process, store processes as children, a three-node JetStream cluster.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../engine/harness.js';
import { range, sendNumbered, storedNumbers, type Sender } from '../helpers/cluster-load.js';
import { spawnEngine, type EngineProc } from '../helpers/engine-proc.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

const CONNECTIONS = 4;
const BATCHES = 25;
const PER_BATCH = 200;
const STREAMS = 4;

describe.skipIf(natsServerBinary() === undefined)(`store process killed (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let h: Harness;
  const procs: EngineProc[] = [];
  beforeAll(async () => {
    cluster = await startNatsCluster();
    h = await startHarness({ natsUrl: cluster.url, natsReplicas: 3, roles: 'ingest' });
  }, 90_000);
  afterAll(async () => {
    for (const p of procs) await p.stop();
    await h?.close();
    await cluster?.stop();
  });

  const storedCount = async (): Promise<number> =>
    Number((await h.db.pool.query<{ n: string }>('SELECT coalesce(sum(count), 0) AS n FROM event_blocks WHERE tenant_id = $1', [h.tenantA.id])).rows[0].n);

  it('stores every acknowledged event once after the store process dies mid-write', async () => {
    const env = { DATABASE_URL: h.db.url, NATS_URL: cluster.url, NATS_REPLICAS: '3' };
    procs.push(await spawnEngine(env, 'store'));
    const s: Sender = { acked: 0, resends: 0 };
    const total = CONNECTIONS * BATCHES * PER_BATCH;
    const streamsOf = (c: number): string[] => range(STREAMS).map((k) => `c${c}-s${k}`);
    const sending = Promise.all(range(CONNECTIONS).map((c) => sendNumbered(h.url, h.tenantA.key, `c${c}`, streamsOf(c), BATCHES, PER_BATCH, s)));
    // Kill it while it writes: some stored, not all.
    const at = await waitFor(async () => {
      const n = await storedCount();
      return n > 0 ? n : undefined;
    }, 120_000, 'the store process writing');
    await procs[0].kill();
    const atKill = await storedCount();
    await sending;
    expect(s.acked).toBe(total);
    expect(atKill).toBeLessThan(total);
    procs.push(await spawnEngine(env, 'store'));
    await waitFor(async () => ((await storedCount()) >= total ? true : undefined), 180_000, 'every event stored');
    const stored = await storedNumbers(h.db.pool, h.tenantA.id);
    const perStream = (BATCHES * PER_BATCH) / STREAMS;
    for (const c of range(CONNECTIONS)) {
      for (const stream of streamsOf(c)) expect([...(stored.get(stream) ?? [])].sort((x, y) => x - y), stream).toEqual(range(perStream));
    }
    const usage = await h.db.pool.query<{ n: string }>('SELECT coalesce(sum(events), 0) AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantA.id]);
    expect(Number(usage.rows[0].n)).toBe(total);
    console.log(`store-kill: killed at ${atKill} of ${total} stored (first seen ${at}); all ${total} stored once after a new store process`);
  }, 300_000);
});
