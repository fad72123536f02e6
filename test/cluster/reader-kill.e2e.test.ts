// The detect role's partition readers (engine/cluster/reader.ts). After a JetStream node is
// SIGKILLed, nats-server 2.9 may leave consumer CREATE unanswered for minutes: every reader must
// still deliver within one request timeout (the get reader, STREAM.MSG.GET). Without the fallback
// a runner that restarted then failed again and again (test/cluster/node-kill: a partition's
// checkpoint short of its last message for 116 s). The get reader gives the same messages, in
// order, with the same JetStream time as the consumer. The lease round's member list needs no
// consumer either (nats.ts leaseKeys).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { silentLogger } from '../../src/core/log.js';
import { leaseKeys, openNats, type Nats } from '../../engine/cluster/nats.js';
import { EVENTS_STREAM, eventsSubject, PARTITIONS } from '../../engine/cluster/partition.js';
import { getReader, openReader, type PartitionMsg, type Reader } from '../../engine/cluster/reader.js';
import { range } from '../helpers/cluster-load.js';
import { natsServerBinary, natsSkipReason, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.js';

const OPENS = 24;
const PER_PARTITION = 3;

/** The first `n` messages of a reader (then stopped). */
async function take(r: Reader, n: number): Promise<PartitionMsg[]> {
  const out: PartitionMsg[] = [];
  for await (const m of r.messages()) {
    out.push(m);
    if (out.length === n) break;
  }
  r.stop();
  return out;
}

const shape = (list: readonly PartitionMsg[]): unknown[] => list.map((m) => [m.seq, [...m.data], m.at]);

describe.skipIf(natsServerBinary() === undefined)(`partition readers after a node is killed (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let cluster: NatsCluster;
  let nats: Nats;
  beforeAll(async () => {
    cluster = await startNatsCluster();
    nats = await openNats(cluster.url, 3, silentLogger);
    for (const k of range(PER_PARTITION)) for (const p of range(PARTITIONS)) await nats.js.publish(eventsSubject(p), new Uint8Array([p, k]));
    // Lease keys (lease.ts): two members (one deleted since) and a partition key.
    for (const k of ['m.a', 'm.b', 'p.0']) await nats.leases.put(k, '1');
    await nats.leases.delete('m.b');
  }, 90_000);
  afterAll(async () => {
    await nats?.close();
    await cluster?.stop();
  });

  it('the get reader gives the consumer\'s messages, in order, with the same JetStream time, and ends after its time', async () => {
    for (const p of [0, 7]) {
      const byConsumer = await take(await openReader(nats, p, 1, (err) => { throw err; }), PER_PARTITION);
      expect(byConsumer.map((m) => [...m.data])).toEqual(range(PER_PARTITION).map((k) => [p, k]));
      const byGet = await take(getReader(nats, p, 1, 60_000), PER_PARTITION);
      expect(shape(byGet)).toEqual(shape(byConsumer));
    }
    // At the end of its subject it polls, then ends once its time is up.
    const t0 = Date.now();
    const all = [];
    for await (const m of getReader(nats, 3, 1, 1_500).messages()) all.push(m.seq);
    expect(all.length).toBe(PER_PARTITION);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_500);
  }, 60_000);

  it('every reader delivers within a request timeout while consumer CREATE goes unanswered after a SIGKILL', async () => {
    // SIGKILL the node that leads the events stream (as test/cluster/node-kill does).
    const nc = await connect({ servers: cluster.url.split(',') });
    const leader = (await (await jetstreamManager(nc)).streams.info(EVENTS_STREAM)).cluster?.leader;
    await nc.close();
    await cluster.kill(cluster.nodes.findIndex((n) => n.name === leader));
    const took: string[] = [];
    let fallbacks = 0;
    const failed: string[] = [];
    for (let i = 0; i < OPENS; i++) {
      const p = i % PARTITIONS;
      const t0 = Date.now();
      // The first waits for the stream's new leader; a runner would start again after an error.
      for (let attempt = 0; ; attempt++) {
        try {
          const got = await take(await openReader(nats, p, 1, () => { fallbacks++; }), 1);
          expect([...got[0].data]).toEqual([p, 0]);
          break;
        } catch (err) {
          failed.push(`${p}: ${String(err)}`);
          if (i > 0 || attempt >= 3) throw new Error(`partition ${p}: no reader (${failed.join('; ')}); opened ${took.join(' ')}`);
        }
      }
      took.push(`${p}:${Date.now() - t0}`);
      expect(Date.now() - t0, `partition ${p}`).toBeLessThan(i === 0 ? 60_000 : 15_000);
    }
    // The lease round lists its members from the bucket's stream subjects (kv.keys needs a consumer);
    // a deleted key's subject stays (lease.ts reads it and passes it over).
    const t0 = Date.now();
    expect(await leaseKeys(nats.jsm, 'm.')).toEqual(['m.a', 'm.b']);
    expect(Date.now() - t0).toBeLessThan(10_000);
    console.log(`reader-kill: ${OPENS} readers after killing ${leader} (p:ms ${took.join(' ')}); ${fallbacks} get readers; ${failed.length} failed opens`);
  }, 300_000);
});
