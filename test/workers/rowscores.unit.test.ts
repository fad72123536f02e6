// ScoreTask.rowScores: one likelihood per event, in [0, 1], the same whatever the batch split,
// at least 0.5 wherever there is a finding; absent unless asked for (the engine does not ask).
import { describe, expect, it } from 'vitest';
import score from '../../workers/score.js';
import type { Finding, ScoreInput, StreamType } from '../../workers/types.js';
import { prng, syntheticLog } from '../../src/tools/demo/synthetic.js';
import { task, textEvents, valueEvents } from './helpers.js';

/** Runs events through score() with rowScores in batches of `batch`; rows and findings stream-wide. */
function runRows(streamType: StreamType, events: ScoreInput[], batch: number): { rows: Float32Array; findings: Finding[] } {
  const rows = new Float32Array(events.length);
  const findings: Finding[] = [];
  let state: Uint8Array | null = null;
  for (let off = 0; off < events.length; off += batch) {
    const r = score({ ...task(streamType, events.slice(off, off + batch), state), rowScores: true });
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    expect(r.rowScores).toBeInstanceOf(Float32Array);
    expect(r.rowScores?.length).toBe(Math.min(batch, events.length - off));
    rows.set(r.rowScores as Float32Array, off);
    for (const f of r.findings) findings.push({ ...f, index: f.index + off });
    state = r.state;
  }
  return { rows, findings };
}

function metricPoints(): ScoreInput[] {
  const r = prng(13);
  const xs = Array.from({ length: 4000 }, (_, i) => 50 + 10 * Math.sin(i / 30) + 2 * r() + (i === 1500 ? 40 : 0) + (i >= 2600 ? 15 : 0) + (i >= 3300 && i < 3500 ? 8 * (r() - 0.5) : 0));
  const ev = valueEvents(xs);
  // Events the detector skips still get a row (0).
  ev[700] = { ts: ev[700].ts };
  return ev;
}

describe('score(): per-row scores (task.rowScores)', () => {
  it('are absent unless the task asks for them', () => {
    const r = score(task('metrics', valueEvents([1, 2, 3])));
    expect(r.ok && r.rowScores).toBe(undefined);
  });

  it.each([
    ['metrics', metricPoints()],
    ['logs', textEvents(syntheticLog({ lines: 3000, anomalies: 15, seed: 4 }).lines)],
  ] as const)('%s: one per event in [0, 1], batch-split invariant, ≥ 0.5 at every finding', (type, ev) => {
    const one = runRows(type, [...ev], ev.length);
    expect(one.rows).toHaveLength(ev.length);
    for (const x of one.rows) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
    }
    expect(one.findings.length).toBeGreaterThan(0);
    for (const f of one.findings) expect(one.rows[f.index]).toBeGreaterThanOrEqual(0.5);
    // Metrics: not just the findings, the likelihood moves on ordinary points too. (On the demo
    // log every line the baseline cannot explain is a finding, and known lines score 0.)
    if (type === 'metrics') expect(one.rows.some((x, i) => x > 0 && !one.findings.some((f) => f.index === i))).toBe(true);
    for (const batch of [100, 37, 1]) {
      const split = runRows(type, [...ev], batch);
      expect(Buffer.from(split.rows.buffer).equals(Buffer.from(one.rows.buffer))).toBe(true);
      expect(split.findings).toEqual(one.findings);
    }
  });

  it('metrics: a skipped event scores 0, and asking for rows does not change the findings', () => {
    const ev = metricPoints();
    const { rows } = runRows('metrics', ev, 250);
    expect(rows[700]).toBe(0);
    const a = score(task('metrics', ev));
    const b = score({ ...task('metrics', ev), rowScores: true });
    if (!a.ok || !b.ok) throw new Error('score failed');
    // Findings come from the row likelihood, which runs whether or not rows are asked for: the
    // state is the same too.
    expect(b.findings).toEqual(a.findings);
    expect(Buffer.from(b.state).equals(Buffer.from(a.state))).toBe(true);
  });

  it('metrics: the row likelihood state stays bounded on a long, daily/weekly stream', () => {
    const r = prng(17);
    const ev = Array.from({ length: 30_000 }, (_, i) => ({ ts: Date.UTC(2024, 0, 1) + i * 300_000, value: 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 3 * r() }));
    let state: Uint8Array | null = null;
    let max = 0;
    for (let off = 0; off < ev.length; off += 1000) {
      const out = score({ ...task('metrics', ev.slice(off, off + 1000), state), rowScores: true });
      if (!out.ok) throw new Error(out.message);
      state = out.state;
      max = Math.max(max, state.length);
    }
    // Calibration rings, the time-of-day (48) and time-of-week (168) profiles: a few KiB.
    expect(max).toBeLessThan(16 * 1024);
  });
});
