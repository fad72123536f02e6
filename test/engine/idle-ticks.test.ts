// Idle ticks end to end (real detectors, real PostgreSQL; issue 11): a logs stream that sends a
// steady template and then stops gets a silence anomaly stored without any new event, within a
// tick interval of the moment its silence became significant; a stream that keeps sending gets
// none; the same events sent again (another tenant, ticks at other moments) give the same
// findings at the same event times; ticks are not events (nothing stored, counted or scored).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/net.js';
import { countEvents, ingest, startHarness, type Harness } from './harness.js';

const TICK_MS = 250;
/** A multiple of the detector's 10 s window. */
const t0 = Date.UTC(2026, 0, 1);
/** 400 s of history, one line every 100 ms of event time, the last at t0 + 399,999 ms: the silence is significant at t0 + 410,000 (10,001 ms later). */
const HISTORY = 4_000;
const lineAt = (i: number, ts: number, stream: string): Record<string, unknown> => ({
  timestamp: new Date(ts).toISOString(), stream_type: 'logs', stream,
  data: `INFO api GET /api/orders status=200 latency_ms=${10 + ((i * 37) % 80)} req=${(i * 2_654_435_761 % 2 ** 32).toString(16)}`,
});
const history = (stream: string): Record<string, unknown>[] => Array.from({ length: HISTORY }, (_, i) => lineAt(i, t0 + 99 + i * 100, stream));

async function send(h: Harness, key: string, list: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < list.length; i += 1_000) expect((await ingest(h, list.slice(i, i + 1_000), { key })).status).toBe(200);
}

interface Row { stream: string; detector: string; score: number; explanation: string; details: Record<string, unknown>; event_ts: Date; detected_at: Date; event: { metadata?: unknown } }

const rows = async (h: Harness, tenantId: string, stream: string): Promise<Row[]> => (await h.db.pool.query<Row>(
  'SELECT stream, detector, score, explanation, details, event_ts, detected_at, event FROM anomalies WHERE tenant_id = $1 AND stream = $2 ORDER BY event_ts, detector, explanation', [tenantId, stream])).rows;

const silences = async (h: Harness, tenantId: string, stream: string): Promise<Row[]> => (await rows(h, tenantId, stream)).filter((r) => r.detector === 'silence');

describe('idle ticks (STREAM_IDLE_TICK_MS)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({ streamIdleTickMs: TICK_MS, streamIdleTtlMs: 60_000 }, 'real'); });
  afterAll(async () => { await h?.close(); });

  it('stores a silence anomaly for a stream that stopped, none for one that goes on, and the same findings on a replay', async () => {
    const quiet = history('quiet');
    const busy = history('busy');
    await send(h, h.tenantA.key, busy);
    await send(h, h.tenantA.key, quiet);
    const stoppedAt = Date.now();
    // The same events from another tenant a little later: its ticks come at other moments.
    await new Promise((r) => setTimeout(r, 1_300));
    await send(h, h.tenantB.key, quiet);
    const replayedAt = Date.now();

    // 'busy' goes on at the wall clock's pace (a live sender: 2 lines every 200 ms) until both silences are stored.
    let sent = HISTORY;
    let lastBusy = t0 + 99 + (HISTORY - 1) * 100;
    const found = async (): Promise<boolean> => (await silences(h, h.tenantA.id, 'quiet')).length > 0 && (await silences(h, h.tenantB.id, 'quiet')).length > 0;
    const deadline = Date.now() + 40_000;
    while (!(await found())) {
      expect(Date.now()).toBeLessThan(deadline);
      const next = [lineAt(sent, lastBusy + 100, 'busy'), lineAt(sent + 1, lastBusy + 200, 'busy')];
      lastBusy += 200;
      sent += 2;
      await send(h, h.tenantA.key, next);
      await new Promise((r) => setTimeout(r, 200));
    }
    const a = await silences(h, h.tenantA.id, 'quiet');
    const b = await silences(h, h.tenantB.id, 'quiet');
    // One finding, the whole stream, dated at the first window boundary where the silence was significant.
    expect(a).toHaveLength(1);
    expect(a[0].details.kind).toBe('stream_silence');
    expect(a[0].event_ts.getTime()).toBe(t0 + 410_000);
    expect(a[0].details.silent_ms).toBe(10_001);
    expect(a[0].explanation).toMatch(/^The stream has been silent for 10\.0 s of event time; it usually sends 10 lines per second/);
    expect(a[0].event.metadata).toEqual({ idle_tick: true });
    // Found without a new event, within a tick interval (plus the task and the anomaly write) of
    // the wall time at which 10,001 ms had passed since the last events were acknowledged.
    const late = a[0].detected_at.getTime() - (stoppedAt + 10_001);
    expect(late).toBeLessThan(TICK_MS + 2_000);
    expect(b[0].detected_at.getTime() - (replayedAt + 10_001)).toBeLessThan(TICK_MS + 2_000);
    // The stream that went on: no silence.
    expect(await silences(h, h.tenantA.id, 'busy')).toEqual([]);
    // The replay: the same findings (lines and silence) at the same event times.
    const same = (list: Row[]) => list.map(({ detector, score, explanation, details, event_ts }) => ({ detector, score, explanation, details, ts: event_ts.getTime() }));
    const total = sent + 2 * HISTORY;
    await waitFor(async () => (h.engine.stats().score.eventsScored >= total ? true : undefined), 30_000, 'every event scored');
    expect(same(await rows(h, h.tenantB.id, 'quiet'))).toEqual(same(await rows(h, h.tenantA.id, 'quiet')));
    // Ticks are not events: stored, counted in usage and scored are the events sent, no more.
    expect(await countEvents(h, h.tenantA.id)).toBe(HISTORY + sent);
    expect(await countEvents(h, h.tenantB.id)).toBe(HISTORY);
    const usage = await h.db.pool.query<{ n: number }>('SELECT coalesce(sum(events), 0)::int AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantB.id]);
    expect(usage.rows[0].n).toBe(HISTORY);
    const st = h.engine.stats().score;
    expect(st.eventsScored).toBe(total);
    expect(st.idleTicks).toBeGreaterThan(0);
    console.log(`idle-ticks: silence stored ${late} ms after it became significant (tick ${TICK_MS} ms)`);
  }, 90_000);
});
