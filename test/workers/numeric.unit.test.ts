// Numeric detector internals: per-stream calibration of the thresholds, the refractory period,
// and explanations.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { calibrated, decodeNumericState, NUMERIC_PARAMS, NUMERIC_STATE_VERSION, quantileOf, scoreNumeric, scoreNumericColumns } from '../../workers/detectors/numeric.js';
import { packageRoot } from '../../src/core/paths.js';
import score from '../../workers/score.js';
import type { ScoreInput } from '../../workers/types.js';
import { prng } from '../../src/tools/demo/synthetic.js';
import { runStream, task, valueEvents } from './helpers.js';

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

// Findings come from the row likelihood; calibration against the stream itself is now each
// feature's empirical tail (before: spike and CUSUM thresholds raised to 1.5 × the stream's p99).
describe('numeric detector: calibration against the stream itself', () => {
  it('a heavy-tailed stream raises fewer findings than with the Gaussian tail alone', () => {
    const xs = heavyTailed(5000, 4);
    const cal = scoreNumeric(null, valueEvents(xs));
    const gaussian = scoreNumeric(null, valueEvents(xs), { ...NUMERIC_PARAMS, empK: Number.MAX_VALUE });
    console.log(`heavy-tailed 5000 points: ${gaussian.findings.length} findings with the Gaussian tail alone, ${cal.findings.length} with empirical tails`);
    expect(cal.findings.length).toBeLessThan(gaussian.findings.length * 0.7);
    expect(cal.findings.length).toBeLessThanOrEqual(10);
  });

  it('a spike far beyond the stream’s own tail is still found, even 40 points after another finding, and the explanation gives the range', () => {
    const xs = heavyTailed(3000, 5);
    xs[2500] += 400;
    const { findings } = scoreNumeric(null, valueEvents(xs));
    // A 20σ excursion of the heavy tail at 2460 starts a suppression period; a new extreme is not suppressed.
    expect(findings.some((x) => x.index === 2460)).toBe(true);
    const f = findings.find((x) => x.index === 2500);
    expect(f).toBeDefined();
    expect(f?.details.kind).toBe('new_extreme');
    expect(f?.explanation).toMatch(/^New extreme: value 450\.\d+ is above the range \[28\.\d+, 76\.\d+\] of the last \d+ points by more than 10 % of its width/);
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
    // Before findings came from the row likelihood, the comparison was with seasonBuckets 0 (the
    // forecast without the profile). The likelihood's short-vs-long-mean feature is what the
    // profile must silence now (bGate): without the gate the job alarms every night.
    const without = scoreNumeric(null, ev, { ...NUMERIC_PARAMS, bGate: 0 }).findings.filter((f) => f.index >= 5 * 288 && nightly(f.index));
    console.log(`nightly job, days 6-10: ${late.length} findings with the time-of-day profile gating feature B, ${without.length} without`);
    expect(late).toEqual([]);
    expect(without.length).toBeGreaterThan(0);
    expect(findings.some((f) => f.index === odd)).toBe(true);
  });
});

// The row likelihood (ScoreResult.rowScores, what `driftwatch eval nab` sweeps, and what findings
// come from): "alarms" here are rows above 0.5 (the balanced threshold).
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

// Findings are the row likelihood (what `driftwatch eval nab` scores), through the engine's own
// task (no rowScores asked for), at the task's threshold.
describe('numeric findings = rows whose likelihood reaches the threshold', () => {
  const t0 = Date.UTC(2024, 0, 1);
  const xs = heavyTailed(6000, 4);
  for (let i = 4000; i < 4300; i++) xs[i] += 6; // a moderate shift, inside the heavy tail's range
  const ev = xs.map((value, i) => ({ ts: t0 + i * 60_000, value }));
  const rowsRun = (): Float32Array => {
    const rows = new Float32Array(ev.length);
    let state: Uint8Array | null = null;
    for (let off = 0; off < ev.length; off += 250) {
      const r = score({ ...task('metrics', ev.slice(off, off + 250), state), rowScores: true });
      if (!r.ok) throw new Error(r.message);
      rows.set(r.rowScores as Float32Array, off);
      state = r.state;
    }
    return rows;
  };
  const rows = rowsRun();
  // Published score of a raw likelihood at the suppression level: rows at or above it start a
  // suppression period themselves, so they are reported whenever they reach the threshold.
  const supScore = calibrated(NUMERIC_PARAMS.supLevel);

  it.each([0.2, 0.3, 0.35, 0.4, 0.5, 0.65, 0.8])('threshold %s: the engine path reports exactly those rows, each with its row score', (th) => {
    const engine = runStream('metrics', ev, 100, th);
    const expected: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (!(rows[i] >= th)) continue;
      let quiet = true;
      for (let k = Math.max(0, i - NUMERIC_PARAMS.supRows); k < i; k++) if (rows[k] >= th) quiet = false;
      if (rows[i] >= supScore || quiet) expected.push(i);
    }
    expect(engine.findings.map((f) => f.index)).toEqual(expected);
    for (const f of engine.findings) expect(f.score).toBeCloseTo(rows[f.index], 6);
    if (th >= 0.4) expect(expected).toEqual([...rows.keys()].filter((i) => rows[i] >= th));
    expect(expected.length).toBeGreaterThan(0);
  });

  it('a finding is followed by supRows rows scoring 0 unless a new extreme far beyond the range breaks in', () => {
    const engine = runStream('metrics', ev, 100, 0.5);
    for (const f of engine.findings) {
      for (let k = f.index + 1; k <= Math.min(rows.length - 1, f.index + NUMERIC_PARAMS.supRows); k++) {
        if (rows[k] === 0) continue;
        const g = engine.findings.find((x) => x.index === k);
        expect(g?.details.kind).toBe('new_extreme');
        break;
      }
    }
    // The rule below the suppression level is exercised (at 0.2; the engine's floor is 0.3).
    expect(runStream('metrics', ev, 100, 0.2).findings.some((f) => f.score < supScore)).toBe(true);
  });
});

describe('numeric explanations name the feature that drove the finding, its numbers and what they were compared with', () => {
  const N = String.raw`-?\d+(?:\.\d+)?(?:e[+-]?\d+)?`;
  const patterns: Record<string, RegExp> = {
    spike: new RegExp(`^Point deviation: value ${N} vs\\. expected ${N}.* ± ${N}, robust z ${N}; the recent mean \\|z\\| ${N} is ${N} spreads above this stream's usual ${N} ± ${N} \\(tail probability (≤ )?1e-${N}`),
    level_shift: new RegExp(`^Level change (up|down): the recent level ${N} is ${N} mean absolute deviations \\(${N}\\) from the long-run mean ${N}, against this stream's usual ${N} ± ${N} \\(tail probability (≤ )?1e-${N}.*accepted as the new normal`),
    variance_change: new RegExp(`^Variance change: the recent mean squared z ${N} \\(a spread about ${N}× the forecast's ${N}\\) vs\\. this stream's usual ${N} .*accepted as the new normal`),
    time_of_week: new RegExp(`^Unusual for this time of week: value ${N} vs\\. ${N} at this hour on earlier weeks \\(typical deviation ${N}\\); the recent mean deviation ${N} against this stream's usual ${N} ± ${N}`),
    new_extreme: new RegExp(`^New extreme: value ${N} is (above|below) the range \\[${N}, ${N}\\] of the last \\d+ points by more than 10 % of its width \\(${N}\\)`),
  };
  const features: Record<string, string> = { spike: 'point_deviation', level_shift: 'short_vs_long_mean', variance_change: 'variance', time_of_week: 'time_of_week', new_extreme: 'new_extreme' };

  it('every kind appears on these streams, and each explanation matches its kind', () => {
    const all = [];
    all.push(...scoreNumeric(null, valueEvents(heavyTailed(5000, 4))).findings);
    // The synthetic of detect.e2e.test.ts: a spike at 500, a dip at 900.
    const r = prng(7);
    const ys = Array.from({ length: 1200 }, (_, i) => 10 + 5 * Math.sin((2 * Math.PI * i) / 200) + 0.5 * (r() - 0.5) + (i === 500 ? 12 : 0) + (i === 900 ? -12 : 0));
    all.push(...scoreNumeric(null, valueEvents(ys)).findings);
    // A flat week-on-week pattern with one odd hour (time of week).
    const STEP = 300_000;
    const t0 = Date.UTC(2024, 0, 1);
    const ev = Array.from({ length: 10 * 288 }, (_, i) => ({ ts: t0 + i * STEP, value: 50 + (new Date(t0 + i * STEP).getUTCHours() === 2 ? 30 : 0) + 2 * (r() - 0.5) }));
    ev[8 * 288 + 14 * 12].value += 30;
    all.push(...scoreNumeric(null, ev).findings);
    const kinds = new Set(all.map((f) => String(f.details.kind)));
    console.log(`kinds: ${[...kinds].join(', ')}; ${all.length} findings`);
    expect([...kinds].sort()).toEqual(Object.keys(patterns).sort());
    for (const f of all) {
      const kind = String(f.details.kind);
      expect(f.explanation).toMatch(patterns[kind]);
      expect(f.details.feature).toBe(features[kind]);
      expect(f.explanation.length).toBeLessThan(420);
      expect(typeof f.details.likelihood).toBe('number');
    }
  });
});

describe('numeric baseline hygiene: a level that persists becomes the new normal, and it is said', () => {
  const t0 = Date.UTC(2024, 0, 1);

  it('a level shift: one finding at the shift saying it will be accepted, then none while the level stays', () => {
    const r = prng(31);
    const ev = Array.from({ length: 7000 }, (_, i) => ({ ts: t0 + i * 60_000, value: 50 + 2 * (r() - 0.5) + (i >= 3000 ? 10 : 0) }));
    const { findings } = runStream('metrics', ev, 100);
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0].index).toBe(3000);
    expect(findings[0].explanation).toMatch(/accepted as the new normal/);
    expect(findings.filter((f) => f.index > 3000 + NUMERIC_PARAMS.supRows)).toEqual([]);
  });

  it('a slow drift (+20 over 3,000 points on ±1 noise): at most a couple of findings at its start, none later', () => {
    for (const seed of [1, 2, 3]) {
      const r = prng(seed);
      const ev = Array.from({ length: 8000 }, (_, i) => ({ ts: t0 + i * 60_000, value: 50 + 2 * (r() - 0.5) + (i >= 3000 ? Math.min(20, ((i - 3000) * 20) / 3000) : 0) }));
      const { findings } = runStream('metrics', ev, 100);
      expect(findings.length).toBeLessThanOrEqual(2);
      expect(findings.filter((f) => f.index >= 4000)).toEqual([]);
      for (const f of findings) expect(f.explanation).toMatch(/accepted as the new normal/);
    }
  });
});

describe('numeric range check forgets', () => {
  it('a stream whose range was set long ago by an outlier alarms again on a new extreme', () => {
    // Uniform noise on [0, 1); an outlier 5 at point 600 widens the range to [0, 5]; 11,400
    // points later, 1.15 is 15 % beyond the recent range (robust z about 2).
    const r = prng(8);
    const ev = Array.from({ length: 13_000 }, (_, i) => ({ ts: Date.UTC(2024, 0, 1) + i * 60_000, value: r() }));
    ev[600].value = 5;
    ev[12_000].value = 1.15;
    const forgets = runStream('metrics', ev, 500);
    const f = forgets.findings.find((x) => x.index === 12_000);
    expect(f?.details.kind).toBe('new_extreme');
    expect(f?.explanation).toMatch(/above the range \[(0|0\.\d+|\d\.\d+e-\d), (0\.99\d*|1)\] of the last \d+ points/);
    const rows = new Float32Array(ev.length);
    scoreNumeric(null, ev, { ...NUMERIC_PARAMS, rangeBlocks: 0 }, rows);
    expect(rows[12_000]).toBeLessThan(0.5);
    // The outlier itself was a finding too.
    expect(forgets.findings.some((x) => x.index === 600)).toBe(true);
  });
});

describe('numeric calibration quantile', () => {
  it('equals the sorted ring’s element at floor(q·n), ties and all (one pass for high quantiles)', () => {
    const r = prng(44);
    for (let t = 0; t < 300; t++) {
      const n = 1 + Math.floor(r() * 300);
      const xs = Array.from({ length: n }, () => Math.round(r() * (t % 2 === 0 ? 10 : 1000)) / 100);
      for (const q of [0, 0.5, 0.9, 0.97, 0.99, 0.999, 1]) {
        const sorted = [...xs].sort((a, b) => a - b);
        expect(quantileOf(xs, q)).toBe(sorted[Math.min(n - 1, Math.floor(q * n))]);
      }
    }
  });
});

describe('numeric state versions', () => {
  // A version-1 state (short keys) written by the detector before its split, and what that
  // detector returned from it: the migrated state must score the rest of the stream identically.
  const fixture = JSON.parse(readFileSync(join(packageRoot, 'test', 'fixtures', 'numeric-state-v1.json'), 'utf8')) as {
    state_v1: Record<string, unknown>; findings: { index: number; score: number; kind: string; explanation: string }[]; row_scores_sha256: string;
  };
  const stream = (): ScoreInput[] => {
    const r = prng(11);
    const t0 = Date.UTC(2024, 0, 1);
    return Array.from({ length: 12096 }, (_, i) => {
      const day = Math.sin((2 * Math.PI * i) / 288);
      const week = Math.floor(i / 288) % 7 >= 5 ? -15 : 0;
      return { ts: t0 + i * 300_000, value: 100 + 20 * day + week + 3 * (r() - 0.5) + (i === 7000 ? 60 : 0) + (i === 9001 ? -45 : 0) + (i > 10500 ? 25 : 0) };
    });
  };
  const enc = new TextEncoder();

  it('a version-1 state is migrated to version 2 with readable keys and scores the rest exactly as before', () => {
    const ev = stream().slice(6000);
    const rows = new Float32Array(ev.length);
    const out = scoreNumeric(enc.encode(JSON.stringify(fixture.state_v1)), ev, undefined, rows, 0.4);
    expect(out.findings.map((f) => ({ index: f.index + 6000, score: f.score, kind: f.details.kind, explanation: f.explanation }))).toEqual(fixture.findings);
    expect(createHash('sha256').update(Buffer.from(rows.buffer)).digest('hex')).toBe(fixture.row_scores_sha256);
    const after = decodeNumericState(out.state) as unknown as Record<string, unknown>;
    expect(after).toMatchObject({ v: NUMERIC_STATE_VERSION, kind: 'numeric', points: 12096 });
    for (const k of ['lk', 'ef', 'wv', 'n', 'ln']) expect(k in after).toBe(false);
    expect(Object.keys(after.rows as object).sort()).toEqual(['longLevel', 'longMad', 'moments', 'pointDev', 'shortLevel', 'shortZsq', 'weekDev']);
  });

  it('the same stream from scratch gives the same findings whether its state is version 1 or 3 half-way', () => {
    const ev = stream();
    const v3 = scoreNumeric(null, ev.slice(0, 6000));
    const a = scoreNumeric(v3.state, ev.slice(6000), undefined, undefined, 0.4);
    expect(a.findings.map((f) => f.index + 6000)).toEqual(fixture.findings.map((f) => f.index));
  });

  it('version 3 (binary) holds exactly what version 2 (JSON) held: a stream split by either scores the same rows and findings', () => {
    const ev = stream();
    const half = scoreNumeric(null, ev.slice(0, 6000));
    const s = decodeNumericState(half.state);
    expect(s.v).toBe(3);
    expect(half.state[0]).toBe(0x44); // "DWN" 3, not JSON
    // The version-2 wire form of the same state: JSON, sparse buckets as null.
    const v2 = enc.encode(JSON.stringify({ ...s, v: 2 }));
    const rowsA = new Float32Array(ev.length - 6000);
    const rowsB = new Float32Array(ev.length - 6000);
    const a = scoreNumeric(half.state, ev.slice(6000), undefined, rowsA, 0.4);
    const b = scoreNumeric(v2, ev.slice(6000), undefined, rowsB, 0.4);
    expect(b.findings).toEqual(a.findings);
    expect(Buffer.from(rowsB.buffer).equals(Buffer.from(rowsA.buffer))).toBe(true);
    expect(Buffer.from(b.state).equals(Buffer.from(a.state))).toBe(true);
    // Re-encoding a decoded state gives the same bytes.
    expect(Buffer.from(scoreNumeric(half.state, []).state).equals(Buffer.from(half.state))).toBe(true);
    // Calibration rings travel as int32 hundredths (header byte 4 = 1); a value that is not
    // one (never written by this code) makes them travel as float64, still exact.
    expect(half.state[4]).toBe(1);
    const odd = { ...s, calZ: [...s.calZ] };
    odd.calZ[0] = 0.123456;
    const bytes = enc.encode(JSON.stringify({ ...odd, v: 2 }));
    const back = scoreNumeric(bytes, []).state;
    expect(back[4]).toBe(0);
    expect(decodeNumericState(back)).toEqual(decodeNumericState(bytes));
  });

  it('a truncated or corrupt version-3 state is refused with a clear message, not scored', () => {
    const { state } = scoreNumeric(null, stream().slice(0, 500));
    expect(() => scoreNumeric(state.slice(0, state.length - 8), [])).toThrow(/truncated or corrupt numeric detector state/);
    expect(() => scoreNumeric(state.slice(0, 20), [])).toThrow(/truncated or corrupt/);
    const newer = state.slice();
    newer[3] = 4;
    expect(() => scoreNumeric(newer, [])).toThrow(/newer version/);
    const r = score({ stream: 's', streamType: 'metrics', state: state.slice(0, state.length - 8), events: new Uint8Array(0), columns: { ts: new Float64Array(0), values: new Float64Array(0) } });
    expect(r).toMatchObject({ ok: false, code: 'DW_ERR_DETECTOR' });
  });

  it('the engine\'s column form scores exactly as ScoreInput[] (rows, findings, state), non-finite values skipped in both', () => {
    const ev = stream().slice(0, 4000);
    ev[1234] = { ts: ev[1234].ts, value: Number.NaN };
    const rowsA = new Float32Array(ev.length);
    const rowsB = new Float32Array(ev.length);
    const a = scoreNumeric(null, ev, undefined, rowsA, 0.4);
    const b = scoreNumericColumns(null, Float64Array.from(ev, (e) => e.ts), Float64Array.from(ev, (e) => e.value as number), undefined, rowsB, 0.4);
    expect(b.scored).toBe(a.scored);
    expect(b.scored).toBe(ev.length - 1);
    expect(b.findings).toEqual(a.findings);
    expect(a.findings.length).toBeGreaterThan(0);
    expect(Buffer.from(rowsB.buffer).equals(Buffer.from(rowsA.buffer))).toBe(true);
    expect(Buffer.from(b.state).equals(Buffer.from(a.state))).toBe(true);
    const viaTask = score({ stream: 's', streamType: 'metrics', state: null, events: new Uint8Array(0), columns: { ts: Float64Array.from(ev, (e) => e.ts), values: Float64Array.from(ev, (e) => e.value as number) }, rowScores: true, threshold: 0.4 });
    expect(viaTask.ok && viaTask.findings).toEqual(a.findings);
    const bad = score({ stream: 's', streamType: 'metrics', state: null, events: new Uint8Array(0), columns: { ts: new Float64Array(3), values: new Float64Array(2) } });
    expect(bad).toMatchObject({ ok: false, code: 'DW_ERR_DETECTOR', message: expect.stringMatching(/columns.values must be a Float64Array as long as ts/) });
  });

  it('a state of an unknown version or another detector is refused with a clear message', () => {
    expect(() => scoreNumeric(enc.encode(JSON.stringify({ ...fixture.state_v1, v: 3 })), [])).toThrow(/not a numeric detector state .*newer version/);
    expect(() => scoreNumeric(enc.encode(JSON.stringify({ v: 1, kind: 'text' })), [])).toThrow(/not a numeric detector state/);
  });

  it('a version-1 engine state without row statistics (whole-history range fields, lowN) is taken over: no alarm from their warm-up, the spike found', () => {
    const r = prng(3);
    const t0 = Date.UTC(2024, 0, 1);
    const ev = Array.from({ length: 5000 }, (_, i) => ({ ts: t0 + i * 60_000, value: 100 + 10 * Math.sin((2 * Math.PI * i) / 1440) + 2 * (r() - 0.5) + (i === 3500 ? 40 : 0) }));
    // What the engine stored before: the forecast's state after 2,000 points (the stored
    // version-1 state's forecast part stands in for it), the row statistics as fresh (it never
    // computed them), smin/smax instead of the range blocks, lowN.
    const s = { ...fixture.state_v1 };
    for (const k of ['rb', 'rbp', 'blo', 'bhi', 'clo', 'chi', 'cn', 'pk']) delete s[k];
    const warm = decodeNumericState(scoreNumeric(null, ev.slice(0, 2000)).state) as unknown as NumericStateJson;
    Object.assign(s, {
      n: warm.points, level: warm.level, trend: warm.trend, scale: warm.scale, cpos: warm.cusumPos, cneg: warm.cusumNeg, zsq: warm.zsq, anchor: warm.anchoredAt,
      r3: warm.last3, sv: warm.dayValues, sday: warm.dayFirst, scale2: warm.dayScale, zr: warm.calZ, cr: warm.calCusum, cpos_: warm.calPos, zq: warm.calZq, cq: warm.calCusumQ,
      lastN: warm.regimeAt, lastScore: warm.regimeScore, lastKind: warm.regimeKind,
      lk: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], ln: 0, lsup: -1, wv: [], wk: [], ws: 0, smin: 0, smax: 0, ef: [], et: 0, eg: 1, ne: 0, lowN: 10,
    });
    const out = scoreNumeric(enc.encode(JSON.stringify(s)), ev.slice(2000));
    expect(out.findings.map((f) => [f.index + 2000, f.details.kind])).toEqual([[3500, 'new_extreme']]);
    const after = decodeNumericState(out.state) as unknown as Record<string, unknown>;
    expect(Array.isArray(after.rangeRing)).toBe(true);
    expect('smin' in after || 'lowN' in after).toBe(false);
  });
});

type NumericStateJson = Record<string, number> & { last3: number[]; dayValues: number[]; dayFirst: number[]; calZ: number[]; calCusum: number[]; regimeKind: string };
