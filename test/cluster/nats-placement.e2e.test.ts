// A start while the JetStream cluster is still forming: with the third of three nodes not started
// yet, streams of three replicas cannot be placed ("no suitable peers for placement", as a CI run
// under load met in test/cluster/detect-kill). The engine waits for the peers (engine/cluster/nats.ts
// untilPlaced) instead of failing its start; the node starts 1.5 s later and the start completes
// with the streams and the lease bucket at three replicas.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';
import { openNats, untilPlaced } from '../../engine/cluster/nats.js';
import { EVENTS_STREAM } from '../../engine/cluster/partition.js';
import { silentLogger } from '../../src/core/log.js';

describe.skipIf(natsServerBinary() === undefined)(`JetStream placement at start (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  beforeAll(async () => { cluster = await startNatsCluster({ held: [2] }); }, 60_000);
  afterAll(async () => { await cluster?.stop(); });

  it('waits for a third peer instead of failing, then places every stream at three replicas', async () => {
    // Only the two running nodes' URLs: the client must not wait on the third.
    const url = cluster.nodes.slice(0, 2).map((n) => `nats://127.0.0.1:${n.clientPort}`).join(',');
    const started = openNats(url, 3, silentLogger);
    let settled = false;
    void started.then(() => { settled = true; }, () => { settled = true; });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(settled).toBe(false);
    await cluster.restart(2);
    const nats = await started;
    try {
      const info = await nats.jsm.streams.info(EVENTS_STREAM);
      expect(info.config.num_replicas).toBe(3);
    } finally {
      await nats.close();
    }
  }, 90_000);

  it('throws other errors at once and placement errors after its wait', async () => {
    let calls = 0;
    await expect(untilPlaced(async () => { calls++; throw new Error('stream name already in use'); }, silentLogger, 5_000)).rejects.toThrow('already in use');
    expect(calls).toBe(1);
    calls = 0;
    const t0 = Date.now();
    await expect(untilPlaced(async () => { calls++; throw new Error('no suitable peers for placement'); }, silentLogger, 1_000)).rejects.toThrow('no suitable peers');
    expect(calls).toBeGreaterThan(1);
    expect(Date.now() - t0).toBeLessThan(5_000);
  });
});
