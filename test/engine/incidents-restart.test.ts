// Incidents and detector states across an engine restart (real detectors, real PostgreSQL): the
// same log is scored once without a stop (tenant A) and once with the engine stopped and started
// again in the middle of an incident (tenant B). B's findings equal A's line for line (no new
// warm-up after the restart), and its lines fold into the same incidents: the burst that spans
// the restart is one incident, not two.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { waitFor } from '../helpers/net.js';
import { ingest, startHarness, type Harness } from './harness.js';

const t0 = Date.UTC(2026, 0, 1);
const BURST_AT = 2_600;
const BURST = 20;
/** Where B's engine is stopped: after the 10th of the 20 burst lines. */
const STOP_AT = BURST_AT + 10 * 7;

/** 3,000 lines of a web log, one every 100 ms of event time, with a burst of one crash pattern near the end (every 7th line from 2,600). */
function events(): Record<string, unknown>[] {
  const lines = syntheticLog({ lines: 3_000, anomalies: 0, seed: 5 }).lines.slice();
  for (let i = 0; i < BURST; i++) lines[BURST_AT + i * 7] = `FATAL worker-3 panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV code=0x1 addr=0x${(0xc000 + i).toString(16)} pc=0x4a1f2${i % 10}]`;
  return lines.map((data, i) => ({ timestamp: new Date(t0 + i * 100).toISOString(), stream_type: 'logs', stream: 'web', data }));
}

async function send(h: Harness, key: string, list: Record<string, unknown>[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500) expect((await ingest(h, list.slice(i, i + 500), { key })).status).toBe(200);
}

async function scored(h: Harness, n: number): Promise<void> {
  await waitFor(async () => (h.engine.stats().score.eventsScored >= n ? true : undefined), 60_000, `${n} events scored`);
}

interface Found { line: number; detector: string; score: number; incident: string }

async function findings(h: Harness, tenantId: string): Promise<Found[]> {
  const { rows } = await h.db.pool.query<{ ts: Date; detector: string; score: number; incident_id: string }>(
    'SELECT event_ts AS ts, detector, score, incident_id FROM anomalies WHERE tenant_id = $1 ORDER BY event_ts, detector', [tenantId]);
  return rows.map((r) => ({ line: Math.round((r.ts.getTime() - t0) / 100), detector: r.detector, score: Number(r.score.toFixed(6)), incident: r.incident_id }));
}

/** Each finding's incident as the index of the incident's first finding: comparable between runs whose ids differ. */
const grouping = (list: Found[]): number[] => {
  const first = new Map<string, number>();
  return list.map((f, i) => { if (!first.has(f.incident)) first.set(f.incident, i); return first.get(f.incident)!; });
};

describe('an engine restart in the middle of an incident', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({}, 'real'); });
  afterAll(async () => { await h?.close(); });

  it('gives the findings and incidents of a run without a restart: the burst spanning the restart is one incident', async () => {
    const all = events();
    // A: the whole log, no stop. B: up to the middle of the burst, stop, start, the rest.
    await send(h, h.tenantA.key, all);
    await send(h, h.tenantB.key, all.slice(0, STOP_AT));
    await scored(h, all.length + STOP_AT);
    await h.engine.close();
    const saved = await h.db.pool.query<{ incidents: string | null }>("SELECT incidents FROM detector_states WHERE tenant_id = $1 AND stream = 'web'", [h.tenantB.id]);
    expect(saved.rows).toHaveLength(1);
    expect(saved.rows[0].incidents).toContain('"v":1');
    const before = await findings(h, h.tenantB.id);

    await h.restart();
    await send(h, h.tenantB.key, all.slice(STOP_AT));
    await scored(h, all.length - STOP_AT);
    await h.engine.close();
    await h.restart();

    const a = await findings(h, h.tenantA.id);
    const b = await findings(h, h.tenantB.id);
    // The burst is flagged, on both sides of the stop.
    const burst = (list: Found[]) => list.filter((f) => f.line >= BURST_AT && (f.line - BURST_AT) % 7 === 0 && (f.line - BURST_AT) / 7 < BURST);
    expect(burst(a).length).toBeGreaterThanOrEqual(BURST);
    expect(burst(b).some((f) => f.line < STOP_AT) && burst(b).some((f) => f.line >= STOP_AT)).toBe(true);
    expect(before.every((f) => f.line < STOP_AT)).toBe(true);
    // No new warm-up: the same lines, detectors and scores.
    expect(b.map(({ line, detector, score }) => ({ line, detector, score }))).toEqual(a.map(({ line, detector, score }) => ({ line, detector, score })));
    // The same incidents, and the burst's lines of B in one incident whatever side of the stop.
    expect(grouping(b)).toEqual(grouping(a));
    const ids = new Set(burst(b).filter((f) => f.detector === burst(b)[0].detector).map((f) => f.incident));
    expect(ids.size).toBe(1);
    const inc = await h.db.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM anomalies WHERE tenant_id = $1 AND incident_id = $2', [h.tenantB.id, [...ids][0]]);
    expect(inc.rows[0].n).toBeGreaterThanOrEqual(BURST);
    console.log(`incidents-restart: ${a.length} findings, ${new Set(a.map((f) => f.incident)).size} incidents without a stop; ${b.length} findings, ${new Set(b.map((f) => f.incident)).size} incidents with a stop at line ${STOP_AT}`);
  }, 180_000);
});
