// Idle ticks are fenced on the last sequence scored (engine/cluster/ticks.ts publishTicks): a line
// stored on the partition's subject after the holder's last delivery, while the holder is still
// scoring, must not be followed in the log by a tick decided without it (its time the stream's
// older event time advanced by the quiet since, earlier than the line it follows). One engine with
// every role, one JetStream node, ticks every 250 ms, a fixture detector that pauses 3 s on a line
// saying `pause` (test/fixtures/score-pause.mjs): line 1 (pause) is delivered, line 2 (60 s of event
// time later) is stored during the pause, and the sweeps due meanwhile run before line 2 is scored.
// Without the fence the tick of the first sweep lands right after line 2, dated about 3 s after line 1.
import { fileURLToPath } from 'node:url';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEvents, partitionOf } from '../../engine/cluster/partition.js';
import { decodeTicks, isTickMessage } from '../../engine/cluster/ticks.js';
import { ingest, startHarness, type Harness } from '../engine/harness.js';
import { partitionLog } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsServer } from '../helpers/nats-cluster.js';

const pauseWorker = fileURLToPath(new URL('../fixtures/score-pause.mjs', import.meta.url));
const t0 = Date.UTC(2026, 0, 1);
const line = (n: number, ts: number, extra = ''): Record<string, unknown> => ({ timestamp: new Date(ts).toISOString(), stream_type: 'logs', stream: 'quiet', data: `n=${n}${extra}` });

describe.skipIf(natsServerBinary() === undefined)(`cluster idle ticks fenced on the last sequence scored (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let h: Harness;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  beforeAll(async () => {
    nats = await startNatsServer();
    h = await startHarness({ natsUrl: nats.url, streamIdleTickMs: 250, streamIdleTtlMs: 120_000 }, pauseWorker);
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await h?.close();
    await nats?.stop();
  });

  it('refuses a tick decided before a line stored since the last delivery, and ticks after it once scored', async () => {
    const p = partitionOf(h.tenantA.id, 'quiet');
    const detect = h.engine.cluster!.detect!;
    await waitFor(async () => (detect.partitions.includes(p) ? true : undefined), 20_000, `partition ${p} held`);
    expect((await ingest(h, [line(0, t0, ' pause')])).status).toBe(200);
    // Delivered to the holder (nothing pending after it): its task is pausing now.
    await waitFor(async () => {
      for await (const ci of jsm.consumers.list('DW_EVENTS')) {
        if ((ci.config.filter_subject === `dw.events.${p}` || ci.config.filter_subjects?.includes(`dw.events.${p}`)) && ci.delivered.stream_seq >= 1 && ci.num_pending === 0) return true;
      }
      return undefined;
    }, 2_000, 'line 1 delivered to the holder');
    expect((await ingest(h, [line(1, t0 + 60_000)])).status).toBe(200);
    // Both lines scored, then quiet: a tick decided after line 2.
    const messages = await waitFor(async () => {
      const list = await partitionLog(jsm, p);
      const i = list.findIndex((m) => !isTickMessage(m.header) && decodeEvents(m.data).some((r) => r.ts === t0 + 60_000));
      return i >= 0 && list.slice(i + 1).some((m) => isTickMessage(m.header) && decodeTicks(m.data)[0].record.ts >= t0 + 60_000) ? list : undefined;
    }, 20_000, 'a tick after line 2');
    // No tick in the log carries an event time earlier than a line before it.
    let latest = -Infinity;
    const ticks: number[] = [];
    for (const m of messages) {
      if (isTickMessage(m.header)) ticks.push(...decodeTicks(m.data).map((t) => t.record.ts - latest));
      else for (const r of decodeEvents(m.data)) latest = Math.max(latest, r.ts);
    }
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks.filter((d) => d < 0)).toEqual([]);
    // The sweep due during the pause was decided without line 2: refused.
    expect(detect.stats.ticksRefused).toBeGreaterThan(0);
    console.log(`idle-ticks-fence: ${detect.stats.ticksRefused} tick publish(es) refused; ${ticks.length} ticks in the log, each at or after the lines before it`);
  }, 60_000);
});
