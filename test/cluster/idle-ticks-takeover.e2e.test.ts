// Idle ticks after a takeover (engine/cluster/ticks.ts recallQuiet): a logs stream with a steady
// rhythm stops; its partition is checkpointed past its last lines and its holder SIGKILLed before
// the silence is significant. The survivor resumes from that checkpoint, so no message it replays
// carries the stream's lines: it reads the partition's last RECALL_MS of log for its quiet streams,
// ticks the stream, and the silence is stored once, dated as without the kill. Two detect processes
// (children, real detectors, ticks every 500 ms), ingest and store in this process, three JetStream nodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionOf } from '../../engine/cluster/partition.js';
import { ingest } from '../engine/harness.js';
import { balancedOwners, lastEventsMessage, leaseOwners, uncheckpointed } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason } from '../helpers/nats-cluster.js';
import { detectPair } from './detect-pair.js';

const t0 = Date.UTC(2026, 0, 1);
/** 400 s of history, a line every 100 ms of event time: the silence is significant at t0 + 410,000 (10,001 ms after the last line). */
const HISTORY = 4_000;
const lineAt = (i: number): Record<string, unknown> => ({
  timestamp: new Date(t0 + 99 + i * 100).toISOString(), stream_type: 'logs', stream: 'quiet',
  data: `INFO api GET /api/orders status=200 latency_ms=${10 + ((i * 37) % 80)} req=${(i * 2_654_435_761 % 2 ** 32).toString(16)}`,
});

describe.skipIf(natsServerBinary() === undefined)(`idle ticks after a takeover (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  const d = detectPair({ STREAM_IDLE_TICK_MS: '500' });
  beforeAll(() => d.start(), 120_000);
  afterAll(() => d.close());

  it('the new holder ticks a stream whose last lines precede its checkpoint', async () => {
    const { h, kv, jsm, procs } = d;
    const owners = await balancedOwners(kv, procs[0].detectId);
    const p = partitionOf(h.tenantA.id, 'quiet');
    const victim = procs.find((x) => x.detectId === owners[p])!;
    const survivor = procs.find((x) => x !== victim)!;
    const history = Array.from({ length: HISTORY }, (_, i) => lineAt(i));
    for (let i = 0; i < HISTORY; i += 1_000) expect((await ingest(h, history.slice(i, i + 1_000))).status).toBe(200);
    const last = (await lastEventsMessage(jsm, p))!;
    await waitFor(async () => ((await uncheckpointed(jsm, h.db.pool, [p])).length === 0 ? true : undefined), 8_000, 'the partition checkpointed past the last lines');
    const silences = async (): Promise<{ id: string; event_ts: Date; detected_at: Date; event: { metadata?: unknown } }[]> => (await h.db.pool.query(
      'SELECT id, event_ts, detected_at, event FROM anomalies WHERE tenant_id = $1 AND stream = $2 AND detector = $3', [h.tenantA.id, 'quiet', 'silence'])).rows;
    await victim.kill();
    const killedAt = Date.now();
    // Killed before the silence was significant (else the test would show nothing).
    expect(killedAt - last.time.getTime()).toBeLessThan(8_000);
    expect(await silences()).toEqual([]);
    await waitFor(async () => ((await leaseOwners(kv)).every((x) => x === survivor.detectId) ? true : undefined), 30_000, 'every partition held by the survivor');
    const found = await waitFor(async () => { const s = await silences(); return s.length > 0 ? s : undefined; }, 30_000, 'the silence stored after the takeover');
    expect(found).toHaveLength(1);
    expect(found[0].event_ts.getTime()).toBe(t0 + 410_000);
    expect(found[0].event.metadata).toEqual({ idle_tick: true });
    // Ticked by the survivor (the victim was dead before 10,001 ms of quiet).
    expect(found[0].detected_at.getTime()).toBeGreaterThan(killedAt);
    // Once only, a few ticks later.
    await new Promise((r) => setTimeout(r, 2_000));
    expect(await silences()).toHaveLength(1);
    console.log(`idle-ticks-takeover: killed ${killedAt - last.time.getTime()} ms after the last lines; silence stored ${found[0].detected_at.getTime() - last.time.getTime() - 10_001} ms after it became significant`);
  }, 180_000);
});
