// Idle ticks in the cluster (issue 11 with NATS_URL; engine/cluster/ticks.ts): a logs stream with a
// steady rhythm that stops entirely gets its silence stored by the detect role without any new
// line: the partition's holder publishes a tick message on dw.events.<p>, scored in order. Ticks
// are not events (the store role stores and counts none). Then a replay from the start of the log
// (checkpoint and state removed, the engine restarted) scores the same tick messages: the same
// finding with the same id (no second row), the same detector state, and no new tick published.
// One engine with every role and the real detectors, one JetStream node.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAnomalies, partitionOf } from '../../engine/cluster/partition.js';
import { isTickMessage } from '../../engine/cluster/ticks.js';
import type { AnomalyRow } from '../../engine/sinks/postgres/copy.js';
import { countEvents, ingest, startHarness, type Harness } from '../engine/harness.js';
import { lastEventsMessage, partitionLog, uncheckpointed } from '../helpers/cluster-load.js';
import { waitFor } from '../helpers/net.js';
import { natsServerBinary, natsSkipReason, startNatsServer } from '../helpers/nats-cluster.js';

const TICK_MS = 250;
/** Ticks stop once a stream is quiet this long (STREAM_IDLE_TTL_MS): the replay below then publishes none. */
const HORIZON_MS = 14_000;
const t0 = Date.UTC(2026, 0, 1);
/** 400 s of history, one line every 100 ms of event time, the last at t0 + 399,999 ms: the silence is significant at t0 + 410,000 (10,001 ms later). */
const HISTORY = 4_000;
const lineAt = (i: number, ts: number, stream: string): Record<string, unknown> => ({
  timestamp: new Date(ts).toISOString(), stream_type: 'logs', stream,
  data: `INFO api GET /api/orders status=200 latency_ms=${10 + ((i * 37) % 80)} req=${(i * 2_654_435_761 % 2 ** 32).toString(16)}`,
});

interface Row { id: string; detector: string; score: number; details: Record<string, unknown>; event_ts: Date; detected_at: Date; event: { metadata?: unknown } }

describe.skipIf(natsServerBinary() === undefined)(`cluster idle ticks (${natsServerBinary() === undefined ? natsSkipReason : 'nats-server found'})`, () => {
  let nats: Awaited<ReturnType<typeof startNatsServer>>;
  let h: Harness;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const config = (url: string) => ({ natsUrl: url, streamIdleTickMs: TICK_MS, streamIdleTtlMs: HORIZON_MS });
  beforeAll(async () => {
    nats = await startNatsServer();
    h = await startHarness(config(nats.url), 'real');
    nc = await connect({ servers: nats.url });
    jsm = await jetstreamManager(nc);
  }, 60_000);
  afterAll(async () => {
    await nc?.close();
    await h?.close();
    await nats?.stop();
  });

  const rows = async (): Promise<Row[]> => (await h.db.pool.query<Row>(
    'SELECT id, detector, score, details, event_ts, detected_at, event FROM anomalies WHERE tenant_id = $1 AND stream = $2 ORDER BY event_ts, detector, id', [h.tenantA.id, 'quiet'])).rows;
  const state = async (): Promise<Buffer | undefined> => (await h.db.pool.query<{ state: Buffer }>(
    'SELECT state FROM detector_states WHERE tenant_id = $1 AND stream = $2', [h.tenantA.id, 'quiet'])).rows[0]?.state;
  const last = (p: number) => jsm.streams.getMessage('DW_EVENTS', { last_by_subj: `dw.events.${p}` });
  const lastSeq = async (p: number): Promise<number> => (await last(p))?.seq ?? 0;

  it('stores the silence of a stream that stopped without a new line, and a replay sees the same ticks', async () => {
    const p = partitionOf(h.tenantA.id, 'quiet');
    const history = Array.from({ length: HISTORY }, (_, i) => lineAt(i, t0 + 99 + i * 100, 'quiet'));
    for (let i = 0; i < HISTORY; i += 1_000) expect((await ingest(h, history.slice(i, i + 1_000))).status).toBe(200);
    // The quiet is counted from JetStream's time of the last message with the stream's events (the
    // subject's last message may be a tick already, when this read comes a tick interval late).
    const lastEvents = (await lastEventsMessage(jsm, p))!;
    const stoppedAt = lastEvents.time.getTime();
    const eventsSeq = lastEvents.seq;

    const silence = await waitFor(async () => {
      const s = (await rows()).filter((r) => r.detector === 'silence');
      return s.length > 0 ? s : undefined;
    }, 30_000, 'the silence stored without a new line');
    // One finding, the whole stream, dated at the first window boundary where the silence was significant, on a tick.
    expect(silence).toHaveLength(1);
    expect(silence[0].details.kind).toBe('stream_silence');
    expect(silence[0].event_ts.getTime()).toBe(t0 + 410_000);
    expect(silence[0].details.silent_ms).toBe(10_001);
    expect(silence[0].event.metadata).toEqual({ idle_tick: true });
    // Found without a new line, once 10,001 ms had passed by the wall clock (no earlier: the tick's
    // time follows it), within a tick interval plus the task and the anomaly's publish.
    const late = silence[0].detected_at.getTime() - (stoppedAt + 10_001);
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(TICK_MS + 3_000);
    const detect = h.engine.cluster!.detect!;
    const store = h.engine.cluster!.store!;
    expect(detect.stats.ticks).toBeGreaterThan(0);
    expect(await lastSeq(p)).toBeGreaterThan(eventsSeq);

    // Quiet past the horizon: no more ticks; everything checkpointed and stored.
    await new Promise((r) => setTimeout(r, Math.max(0, stoppedAt + HORIZON_MS + 2 * TICK_MS - Date.now())));
    const ticksSent = detect.stats.ticks;
    const lastBefore = await lastSeq(p);
    await waitFor(async () => ((await uncheckpointed(jsm, h.db.pool, [p])).length === 0 ? true : undefined), 20_000, 'the partition checkpointed');
    // Ticks are not events: stored, counted in usage and scored are the lines sent, no more.
    expect(await countEvents(h, h.tenantA.id)).toBe(HISTORY);
    const usage = await h.db.pool.query<{ n: number }>('SELECT coalesce(sum(events), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantA.id]);
    expect(usage.rows[0].n).toBe(HISTORY);
    expect(detect.stats.scored).toBe(HISTORY);
    // One stream: one tick per tick message (some may come between the history's batches when the
    // machine is slow: a batch's ingest over TICK_MS). Counted by the detect role as published
    // (not a sweep JetStream dropped as a duplicate), each passed over by the store role.
    const tickMessages = (await partitionLog(jsm, p)).filter((m) => isTickMessage(m.header)).length;
    expect(ticksSent).toBe(tickMessages);
    await waitFor(async () => (store.stats.ticks === tickMessages ? true : undefined), 10_000, () => `the store role past ${tickMessages} tick messages (${store.stats.ticks})`);
    const before = await rows();
    const stateBefore = await state();
    expect(stateBefore).toBeDefined();

    // Replay: the partition from the start of the log, no state: the findings the detect role publishes again.
    await h.engine.close();
    await h.db.pool.query('DELETE FROM cluster_offsets WHERE partition = $1', [p]);
    await h.db.pool.query('DELETE FROM detector_states WHERE tenant_id = $1', [h.tenantA.id]);
    const republished: AnomalyRow[] = [];
    const sub = nc.subscribe(`dw.anomalies.${p}`, { callback: (_e, m) => { republished.push(...decodeAnomalies(m.data)); } });
    await h.restart(config(nats.url));
    await waitFor(async () => ((await uncheckpointed(jsm, h.db.pool, [p])).length === 0 && (await state()) !== undefined ? true : undefined), 30_000, 'the partition replayed');
    sub.unsubscribe();
    // No new tick (quiet past the horizon), the same tick messages scored: the same silence, same id, same state.
    expect(await lastSeq(p)).toBe(lastBefore);
    expect(h.engine.cluster!.detect!.stats.ticks).toBe(0);
    const again = republished.filter((r) => r.detector === 'silence');
    expect(again.map((r) => [r.id, r.eventTs, r.score])).toEqual(silence.map((r) => [r.id, r.event_ts.getTime(), r.score]));
    expect(new Set(republished.map((r) => r.id))).toEqual(new Set(before.map((r) => r.id)));
    expect(await rows()).toEqual(before);
    expect(Buffer.compare((await state())!, stateBefore!)).toBe(0);
    console.log(`cluster idle ticks: silence stored ${late} ms after it became significant (tick ${TICK_MS} ms); ${ticksSent} ticks sent; replay: the same ${before.length} findings and state`);
  }, 120_000);
});
