// The three-node JetStream cluster of test/helpers/nats-cluster.ts: it starts, takes replicated
// publishes (deduplicated by message id), survives a SIGKILLed node, and stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { createServer, type Server } from 'node:net';
import { freePort } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

describe.skipIf(natsServerBinary() === undefined)(`three-node JetStream cluster (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let nc: NatsConnection;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    nc = await connect({ servers: cluster.url.split(','), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await cluster?.stop();
  });

  it('stores replicated messages once per message id and keeps them when a node is SIGKILLed', async () => {
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'T', subjects: ['t.>'], num_replicas: 3 });
    const js = jetstream(nc);
    const a = await js.publish('t.1', 'one', { msgID: 'k1' });
    const again = await js.publish('t.1', 'one', { msgID: 'k1' });
    expect(a.duplicate).toBe(false);
    expect(again.duplicate).toBe(true);
    await cluster.kill(0);
    let ok = 0;
    for (let i = 0; i < 20; i++) {
      for (;;) {
        try {
          await js.publish('t.2', `m${i}`, { msgID: `m${i}` });
          ok++;
          break;
        } catch { await new Promise((r) => setTimeout(r, 200)); }
      }
    }
    expect(ok).toBe(20);
    const info = await jsm.streams.info('T');
    expect(info.state.messages).toBe(21);
    await cluster.restart(0);
  }, 90_000);

  it('starts again on fresh ports when a port is taken before a node binds it, and only then answers ready', async () => {
    // The first port handed out is held by another listener, as a connection of another test can
    // take a port between freePort() and the node's bind: that node exits at start.
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    const takenPort = (taken.address() as { port: number }).port;
    let first = true;
    const port = async (): Promise<number> => {
      if (first) { first = false; return takenPort; }
      return freePort();
    };
    const c = await startNatsCluster({ port }).finally(() => taken.close());
    try {
      expect(c.nodes.every((n) => n.proc !== undefined && n.proc.exitCode === null && n.proc.signalCode === null)).toBe(true);
      expect(c.nodes.map((n) => n.clientPort)).not.toContain(takenPort);
      // Every node is a JetStream peer: a three-replica stream is placed at once.
      const conn = await connect({ servers: c.url.split(',') });
      try {
        const jsm = await jetstreamManager(conn);
        const info = await jsm.streams.add({ name: 'R3', subjects: ['r3.>'], num_replicas: 3 });
        expect(info.config.num_replicas).toBe(3);
      } finally {
        await conn.close();
      }
    } finally {
      await c.stop();
    }
  }, 120_000);
});
