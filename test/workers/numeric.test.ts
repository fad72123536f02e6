// Numeric detector internals: per-stream calibration of the thresholds, the refractory period,
// and explanations.
import { describe, expect, it } from 'vitest';
import { NUMERIC_PARAMS, scoreNumeric } from '../../workers/detectors/numeric.js';
import { prng } from '../../src/demo/synthetic.js';
import { valueEvents } from './helpers.js';

/** Heavy-tailed noise: a Gaussian-ish core with occasional 10× excursions (like AWS CPU series). */
function heavyTailed(n: number, seed: number): number[] {
  const r = prng(seed);
  const g = (): number => {
    let s = 0;
    for (let i = 0; i < 6; i++) s += r();
    return (s - 3) * Math.SQRT2;
  };
  return Array.from({ length: n }, () => 50 + (r() < 0.03 ? 10 : 1) * g());
}

describe('numeric detector: calibration against the stream itself', () => {
  it('a heavy-tailed stream raises far fewer findings than with fixed thresholds', () => {
    const xs = heavyTailed(5000, 4);
    const cal = scoreNumeric(null, valueEvents(xs));
    const fixed = scoreNumeric(null, valueEvents(xs), { ...NUMERIC_PARAMS, calMult: 0, refractory: 0 });
    console.log(`heavy-tailed 5000 points: ${fixed.findings.length} findings with fixed thresholds, ${cal.findings.length} calibrated`);
    expect(cal.findings.length).toBeLessThan(fixed.findings.length / 2);
  });

  it('a spike far beyond the stream’s own tail is still found, and the explanation gives the raised threshold', () => {
    const xs = heavyTailed(3000, 5);
    xs[2500] += 400;
    const { findings } = scoreNumeric(null, valueEvents(xs));
    const f = findings.find((x) => x.index === 2500);
    expect(f).toBeDefined();
    expect(f?.details.kind).toBe('spike');
    expect(Number(f?.details.z_threshold)).toBeGreaterThan(NUMERIC_PARAMS.zHalf);
    expect(f?.explanation).toMatch(/raised from 6 because this stream's recent p99 \|z\| is [\d.]+/);
  });
});

describe('numeric detector: refractory period', () => {
  it('a cluster of similar spikes gives one finding, a bigger one in the cluster is still reported', () => {
    const r = prng(9);
    const xs = Array.from({ length: 1000 }, () => 10 + r());
    for (const i of [600, 610, 620, 630]) xs[i] += 20;
    xs[640] += 200;
    const { findings } = scoreNumeric(null, valueEvents(xs));
    const idx = findings.map((f) => f.index);
    expect(idx).toContain(600);
    expect(idx).not.toContain(610);
    expect(idx).toContain(640);
  });
});

describe('numeric detector: time-of-day profile', () => {
  // Ten days at 5-minute steps; a nightly job lifts the value by 30 from 02:00 to 03:00 UTC.
  const STEP = 300_000;
  const t0 = Date.UTC(2024, 0, 1);
  const r = prng(21);
  const ev = Array.from({ length: 10 * 288 }, (_, i) => {
    const ts = t0 + i * STEP;
    const hour = new Date(ts).getUTCHours();
    return { ts, value: 50 + (hour === 2 ? 30 : 0) + 2 * (r() - 0.5) };
  });
  // An anomaly at 14:00 on day 9 (a time with no job).
  const odd = 8 * 288 + 14 * 12;
  ev[odd] = { ...ev[odd], value: ev[odd].value + 30 };

  it('learns the nightly job (no findings at 02:00 after the first days) and still flags the odd hour', () => {
    const { findings } = scoreNumeric(null, ev);
    const nightly = (i: number): boolean => new Date(ev[i].ts).getUTCHours() === 2 || new Date(ev[i].ts).getUTCHours() === 3;
    const late = findings.filter((f) => f.index >= 5 * 288 && nightly(f.index));
    const without = scoreNumeric(null, ev, { ...NUMERIC_PARAMS, seasonBuckets: 0 }).findings.filter((f) => f.index >= 5 * 288 && nightly(f.index));
    console.log(`nightly job, days 6-10: ${late.length} findings with the time-of-day profile, ${without.length} without`);
    expect(late).toEqual([]);
    expect(without.length).toBeGreaterThan(0);
    expect(findings.some((f) => f.index === odd)).toBe(true);
  });
});

// The row likelihood (ScoreResult.rowScores, what `driftwatch eval nab` sweeps). A finding's row
// is at least 0.5 (rowFloor), so "alarms" here are rows above 0.5.
describe('numeric row likelihood: empirical tails, range check, time-of-week warm-up', () => {
  const STEP = 300_000;
  const t0 = Date.UTC(2024, 0, 1);
  const rowsOf = (ev: { ts: number; value: number }[], P = NUMERIC_PARAMS): Float32Array => {
    const rows = new Float32Array(ev.length);
    scoreNumeric(null, ev, P, rows);
    return rows;
  };

  it('a spike that recurs every day stops alarming (its level is in the stream’s own tail); a new level shift still alarms', () => {
    // Like ec2_cpu_utilization_c6585a in NAB: a flat 0.07 with one 20× spike a day at a
    // slightly varying time; on day 13 the level rises by 0.5 for 40 points.
    const r = prng(5);
    const ev = Array.from({ length: 14 * 288 }, (_, i) => ({ ts: t0 + i * STEP, value: 0.07 + 0.01 * r() }));
    const spikes: number[] = [];
    for (let d = 0; d < 14; d++) {
      const i = d * 288 + 40 + Math.floor(r() * 6);
      ev[i].value = 1.3 + 0.2 * r();
      spikes.push(i);
    }
    const shift = 12 * 288 + 150;
    for (let i = shift; i < shift + 40; i++) ev[i].value += 0.5;
    const late = spikes.filter((i) => i >= 4 * 288);
    const capped = rowsOf(ev);
    const uncapped = rowsOf(ev, { ...NUMERIC_PARAMS, empK: Number.MAX_VALUE });
    const alarms = (rows: Float32Array): number => late.filter((i) => rows[i] > 0.5).length;
    console.log(`daily spike, days 5-14: ${alarms(capped)} of ${late.length} alarm with empirical tails, ${alarms(uncapped)} with the Gaussian tail alone`);
    expect(alarms(capped)).toBeLessThanOrEqual(2);
    expect(alarms(uncapped)).toBeGreaterThanOrEqual(5);
    expect(capped.slice(shift, shift + 40).some((v) => v > 0.5)).toBe(true);
  });

  it('a value beyond the whole range seen by more than spatialTol of its width scores 1, however ordinary its z', () => {
    const r = prng(8);
    const ev = Array.from({ length: 1500 }, (_, i) => ({ ts: t0 + i * 60_000, value: r() }));
    ev[1200].value = 1.15; // uniform noise on [0, 1): 15 % above its range, z about 2
    expect(rowsOf(ev)[1200]).toBe(1);
    expect(rowsOf(ev, { ...NUMERIC_PARAMS, spatialTol: 0 })[1200]).toBeLessThan(0.5);
  });

  it('no alarm when the time-of-week feature starts (a week in) on a clean daily stream', () => {
    // Before this feature warmed up on its own count, rows 2040 and 2141 (a week and a bit in)
    // alarmed on almost every 5-minute NAB file.
    const r = prng(3);
    const ev = Array.from({ length: 21 * 288 }, (_, i) => ({ ts: t0 + i * STEP, value: 50 + 20 * Math.sin((2 * Math.PI * i) / 288) + 2 * r() }));
    const rows = rowsOf(ev);
    expect([...rows.keys()].filter((i) => i >= 288 && rows[i] > 0.5)).toEqual([]);
  });
});
