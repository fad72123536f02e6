// Detector state checkpoints in PostgreSQL: a restarted engine resumes every stream where it
// was (no new warm-up), an evicted stream comes back with its state, the interval saves without
// a shutdown, and a checkpoint of an unknown format is ignored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { DetectorStates, STATE_FORMAT } from '../../engine/sinks/postgres/state.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { Scorer } from '../../engine/transforms/score.js';
import { decodeNumericState, NUMERIC_STATE_VERSION } from '../../workers/detectors/numeric.js';
import { waitFor } from '../helpers/net.js';
import { boomWorker, ingest, logEvent, startHarness, type Harness } from './harness.js';

const limits = { maxBatchEvents: 100_000, maxEventBytes: 65_536 };
const t0 = Date.UTC(2026, 0, 1);
/** A quiet metric: 100 ± 1 (a fixed wiggle), one point a minute; `spike` adds to point i. */
const points = (from: number, n: number, spike?: { at: number; by: number }): Record<string, unknown>[] =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { timestamp: new Date(t0 + i * 60_000).toISOString(), stream_type: 'metrics', stream: 'cpu', data: 100 + ((i * 7) % 5) * 0.5 + (spike?.at === i ? spike.by : 0) };
  });

const anomaliesOf = async (h: Harness, stream: string): Promise<{ details: Record<string, unknown> }[]> =>
  (await h.db.pool.query<{ details: Record<string, unknown> }>('SELECT details FROM anomalies WHERE tenant_id = $1 AND stream = $2 ORDER BY event_ts', [h.tenantA.id, stream])).rows;

describe('detector state checkpoints (engine against PostgreSQL, the real detectors)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({}, 'real'); });
  afterAll(async () => { await h?.close(); });

  it('stop the engine, start a new one: the metric stream goes on from its state, and a spike right after the restart is found', async () => {
    expect((await ingest(h, points(0, 800))).status).toBe(200);
    await waitFor(async () => (h.engine.stats().score.eventsScored >= 800 ? true : undefined), 20_000, '800 points scored');
    await h.engine.close();
    const { rows } = await h.db.pool.query<{ format: number; state: Buffer }>(
      "SELECT format, state FROM detector_states WHERE tenant_id = $1 AND stream_type = 'metrics' AND stream = 'cpu'", [h.tenantA.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].format).toBe(STATE_FORMAT);
    expect(decodeNumericState(new Uint8Array(rows[0].state))).toMatchObject({ v: NUMERIC_STATE_VERSION, kind: 'numeric', points: 800 });

    await h.restart();
    // A fresh state could flag nothing here: the first 100 points are warm-up and the range check
    // waits 500. The restored one knows the stream: the +30 spike on its second point is a new extreme.
    expect((await ingest(h, points(800, 5, { at: 801, by: 30 }))).status).toBe(200);
    await waitFor(async () => (h.engine.stats().score.eventsScored >= 5 ? true : undefined), 20_000, '5 points scored');
    await h.engine.close();
    const found = await anomaliesOf(h, 'cpu');
    expect(found.map((a) => a.details.kind)).toEqual(['new_extreme']);
    expect(found[0].details.value).toBe(points(801, 1, { at: 801, by: 30 })[0].data);
    const after = (await h.db.pool.query<{ state: Buffer }>("SELECT state FROM detector_states WHERE stream = 'cpu'")).rows[0];
    expect(decodeNumericState(new Uint8Array(after.state))).toMatchObject({ points: 805 });
    await h.restart();
  });

  it('a log stream whose lines carry a blk_ id checkpoints its open sessions too', async () => {
    const blk = (b: number, msg: string): Record<string, unknown> => logEvent(`${msg} blk_${1000 + b}`, { stream: 'hdfs', timestamp: new Date(t0 + b * 1000).toISOString() });
    expect((await ingest(h, [blk(1, 'Receiving block'), blk(2, 'Receiving block'), blk(1, 'Received block')])).status).toBe(200);
    await waitFor(async () => (h.engine.stats().score.eventsScored >= 3 ? true : undefined), 20_000, '3 lines scored');
    await h.engine.close();
    const row = (await h.db.pool.query<{ session_state: Buffer | null }>("SELECT session_state FROM detector_states WHERE stream = 'hdfs'")).rows[0];
    const saved = JSON.parse(row.session_state!.toString('utf8')) as { kind: string; tracker: { open: [string, number, number, string[]][] } };
    expect(saved.kind).toBe('sessions');
    expect(saved.tracker.open.map((o) => [o[0], o[3].length])).toEqual([['blk_1002', 1], ['blk_1001', 2]]);
    await h.restart();
  });

  it('without the checkpoint the same spike after a restart is not found (the stream warms up again)', async () => {
    await h.db.pool.query('DELETE FROM detector_states');
    await h.db.pool.query('DELETE FROM anomalies');
    await h.engine.close();
    await h.restart();
    expect((await ingest(h, points(900, 5, { at: 901, by: 30 }))).status).toBe(200);
    await waitFor(async () => (h.engine.stats().score.eventsScored >= 5 ? true : undefined), 20_000, '5 points scored');
    await h.engine.close();
    expect(await anomaliesOf(h, 'cpu')).toEqual([]);
    await h.restart();
  });
});

describe('detector state checkpoints (fixture worker: its state counts the events a stream has seen)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ maxStreams: 2 }, boomWorker); });
  afterAll(async () => { await h?.close(); });

  it('an evicted stream comes back with its state from the checkpoint', async () => {
    expect((await ingest(h, [logEvent('fine', { stream: 'ev-0' }), logEvent('fine', { stream: 'ev-0' })])).status).toBe(200);
    for (let i = 1; i <= 5; i++) expect((await ingest(h, [logEvent('fine', { stream: `ev-${i}` })])).status).toBe(200);
    await waitFor(async () => (h.engine.stats().score.eventsScored === 7 ? true : undefined), 10_000, 'all 7 events scored');
    expect(h.engine.stats().score.streamsEvicted).toBeGreaterThanOrEqual(4);
    expect((await ingest(h, [logEvent('BOOM', { stream: 'ev-0' })])).status).toBe(200);
    const row = await waitFor(async () => (await h.db.pool.query<{ details: { seen: number } }>(
      "SELECT details FROM anomalies WHERE stream = 'ev-0'")).rows[0], 10_000, 'the anomaly of ev-0');
    // Its third event: the two before it were counted in the state that left memory.
    expect(row.details.seen).toBe(2);
  });

  it('states are saved on the interval, without a shutdown; a state of a tenant that no longer exists is skipped', async () => {
    const states = new DetectorStates(h.db.pool, silentLogger);
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, checkpoint: states, checkpointIntervalMs: 50, onAnomalies: async () => {} });
    try {
      const three = [logEvent('fine', { stream: 'tick' }), logEvent('fine', { stream: 'tick' }), logEvent('fine', { stream: 'tick' })];
      scorer.push(h.tenantA.id, validateEvents(three, limits));
      // A tenant deleted while its stream was in memory (here: never created): its state is not saved, and does not fail the others.
      scorer.push('22222222-2222-2222-2222-222222222222', validateEvents([logEvent('fine', { stream: 'ghost' })], limits));
      await scorer.drain();
      const saved = await waitFor(async () => (await h.db.pool.query<{ state: Buffer }>("SELECT state FROM detector_states WHERE stream = 'tick'")).rows[0], 5_000, 'the interval checkpoint');
      expect(saved.state.readUInt32BE(0)).toBe(3);
      expect(scorer.stats.checkpointErrors).toBe(0);
      expect((await h.db.pool.query("SELECT 1 FROM detector_states WHERE stream = 'ghost'")).rowCount).toBe(0);
    } finally {
      await scorer.close();
    }
  });

  it('a checkpoint of an unknown (newer) format is not used: the stream starts fresh', async () => {
    await h.db.pool.query(
      "INSERT INTO detector_states (tenant_id, stream_type, stream, format, state) VALUES ($1, 'logs', 'future', 99, '\\x00000063')", [h.tenantA.id]);
    const states = new DetectorStates(h.db.pool, silentLogger);
    expect(await states.load({ tenantId: h.tenantA.id, streamType: 'logs', stream: 'future' })).toBeNull();
    expect(states.stats.unknownFormat).toBe(1);
    await h.db.pool.query("UPDATE detector_states SET format = $1 WHERE stream = 'future'", [STATE_FORMAT]);
    expect(Buffer.from((await states.load({ tenantId: h.tenantA.id, streamType: 'logs', stream: 'future' }))!.state).readUInt32BE(0)).toBe(99);
  });
});
