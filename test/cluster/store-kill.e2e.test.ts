// Issue 15: a store process SIGKILLed exactly during a COPY (events acknowledged by JetStream, some
// stored, one transaction inside its COPY, the rest waiting): once another store process runs,
// every acknowledged event is stored once, none lost, none doubled, and usage counts each once.
// The moment is made, not guessed: once some events are stored, the test holds a SHARE lock on
// event_blocks, so the store's next COPY waits inside its transaction (ingest_batches rows
// inserted, pg_stat_activity shows `COPY event_blocks` waiting on a Lock); the process is killed
// then, and the lock released: that transaction must commit nothing. Ingest in this process,
// store processes as children, a three-node JetStream cluster.
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
    // Some stored, then the next COPY held inside its transaction.
    const at = await waitFor(async () => {
      const n = await storedCount();
      return n > 0 ? n : undefined;
    }, 120_000, 'the store process writing');
    const locker = await h.db.pool.connect();
    let copyPid: number;
    let atKill: number;
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE event_blocks IN SHARE MODE');
      copyPid = await waitFor(async () => {
        const r = await h.db.pool.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE query LIKE 'COPY event_blocks%' AND wait_event_type = 'Lock' AND state = 'active'");
        return r.rows[0]?.pid;
      }, 60_000, 'a COPY of the store process inside its transaction');
      atKill = await storedCount();
      await procs[0].kill();
    } finally {
      await locker.query('COMMIT');
      locker.release();
    }
    // The killed process's backend reads no COPY data (its client is gone): the transaction is
    // rolled back and the backend exits; it stored nothing.
    await waitFor(async () => ((await h.db.pool.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [copyPid])).rowCount === 0 ? true : undefined),
      30_000, 'the killed COPY\'s backend gone');
    expect(await storedCount()).toBe(atKill);
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
    console.log(`store-kill: killed inside a COPY (backend ${copyPid}) at ${atKill} of ${total} stored (first seen ${at}); all ${total} stored once after a new store process`);
  }, 300_000);
});
