// The logs detector's rate decisions (workers/detectors/rate.ts via logs.ts) with event times as
// real logs have them: a whole stream waking up, a template bursting no more than it did before,
// timestamps that go back, and records written before the peak.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { burstTest, closeWindows, freshRate, PEAK, pushRing, RATE_LEN, RATE_PARAMS, upgradeRate } from '../../workers/detectors/rate.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;

/** A steady stream: three templates, one line about every second, for `seconds`. */
function steady(seconds: number, seed: number, from = T0): ScoreInput[] {
  const r = seeded(seed);
  const out: ScoreInput[] = [];
  for (let t = from; t < from + seconds * 1000; t += 500 + r.int(0, 1000)) {
    const k = r.int(0, 9);
    out.push({ ts: t, text: k < 6 ? `INFO api GET /api/orders status=200 req=${r.hex(12)}` : k < 9 ? `INFO auth login ok user=u${r.int(0, 999)}` : `WARN worker retrying job ${r.hex(8)} after timeout` });
  }
  return out;
}

describe('logs rate with real event times', () => {
  it('a whole stream sending ten times its usual lines is not a burst of each template (the stream share test)', () => {
    const ev = steady(1200, 1);
    // 10 s in which the stream sends every template ten times as often, in its usual proportions.
    const at = ev[ev.length - 1].ts + 1000;
    const r = seeded(2);
    for (let j = 0; j < 100; j++) {
      const k = j % 10;
      ev.push({ ts: at + j * 100, text: k < 6 ? `INFO api GET /api/orders status=200 req=${r.hex(12)}` : k < 9 ? `INFO auth login ok user=u${r.int(0, 999)}` : `WARN worker retrying job ${r.hex(8)} after timeout` });
    }
    ev.push(...steady(300, 3, at + 20_000));
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'template_rate')).toEqual([]);
  });

  it('…but one template bursting within it is reported, and the explanation gives the stream share', () => {
    const ev = steady(1200, 1);
    const at = ev[ev.length - 1].ts + 1000;
    for (let j = 0; j < 40; j++) ev.push({ ts: at + j * 200, text: `WARN worker retrying job s${j} after timeout` }, { ts: at + j * 200 + 100, text: `INFO api GET /api/orders status=200 req=x${j}` });
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate');
    expect(rate.length).toBeGreaterThan(10);
    expect(rate.some((f) => /the stream sent (about )?[\d.]+ lines in it, of which this template is usually \d/.test(f.explanation))).toBe(true);
  });

  it('a template that comes in bursts is not reported for a burst no larger than its earlier ones, however long it was away (the peak)', () => {
    const ev = steady(1200, 4);
    const burst = (at: number, n: number, tag: string): ScoreInput[] => Array.from({ length: n }, (_, j) => ({ ts: at + j * 50, text: `INFO cbs session ${tag}${j} initialized by client` }));
    // The first burst comes while the template is young (no rate test yet); the later ones, a day apart, are no larger.
    const t1 = ev[10].ts + 50;
    ev.push(...burst(t1, 30, 'a'));
    const day = 86_400_000;
    const later = steady(600, 5, T0 + day);
    later.push(...burst(T0 + day + 300_000, 25, 'b'));
    const bigger = steady(600, 6, T0 + 2 * day);
    bigger.push(...burst(T0 + 2 * day + 300_000, 100, 'c'));
    const all = [...ev, ...later, ...bigger].sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', all, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate' && /cbs session/.test(f.explanation));
    const idx = (tag: string): Set<number> => new Set(all.flatMap((e, i) => (e.text?.includes(`session ${tag}`) ? [i] : [])));
    const b = idx('b');
    const c = idx('c');
    expect(rate.filter((f) => b.has(f.index))).toEqual([]);
    // A burst over three times any before it is reported (1.5 × its peak is expected: RATE_PARAMS.factor).
    expect(rate.filter((f) => c.has(f.index)).length).toBeGreaterThan(0);
    expect(rate.some((f) => /more than in its earlier bursts/.test(f.explanation))).toBe(true);
  });

  it('a template seen once, long before, has no burst to compare its storm with: a single line is no peak', () => {
    // One line, then 15 minutes without it (90 windows), then seven lines 300 ms apart: the same
    // record a template's rate keeps (logs-rate.ts). A peak of one line would expect 1.7 per
    // window of it, and the storm would not reach the finding's bar by its seventh line (S 2.7 of 4).
    const r = freshRate(T0);
    r[1]++;
    burstTest(r, undefined, T0, 1);
    pushRing(r, T0);
    let S = 0;
    const t1 = T0 + 900_000;
    for (let j = 0; j < 7; j++) {
      const ts = t1 + j * 300;
      if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
      r[1]++;
      S = burstTest(r, undefined, ts, 1).S;
      pushRing(r, ts);
    }
    expect(r[PEAK]).toBe(1);
    expect(S).toBeGreaterThanOrEqual(RATE_PARAMS.half);
  });

  it('lines whose timestamps go back (a log merged from several nodes) are not counted into the current window', () => {
    const ev = steady(1200, 7);
    const last = ev[ev.length - 1].ts;
    // 50 lines of the retry template stamped over the past 20 minutes arrive together at the end.
    for (let j = 0; j < 50; j++) ev.push({ ts: last - 1_200_000 + j * 24_000, text: `WARN worker retrying job late${j} after timeout` });
    ev.push(...steady(60, 8, last + 1000));
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'template_rate')).toEqual([]);
  });

  it('upgrades a 13-number record with a peak of 0 and keeps a peak of its busy windows', () => {
    const r = freshRate(T0);
    const old = r.slice(0, PEAK);
    upgradeRate(old);
    expect(old).toHaveLength(RATE_LEN);
    expect(old[PEAK]).toBe(0);
    r[1] = 12;
    closeWindows(r, T0 + 10_000);
    expect(r[PEAK]).toBe(12);
    r[1] = 3;
    closeWindows(r, T0 + 20_000);
    expect(r[PEAK]).toBeCloseTo(12 * 0.99, 6);
  });
});

describe('a storm of minutes (issue 11: windows that slide, a storm held by hysteresis)', () => {
  /** A steady stream of 30 minutes, one line of a rare template at 2 minutes, then its storm at 20 minutes: `n` lines `mean` ms apart on average (exponential gaps). */
  function slowStorm(n: number, mean: number, seed: number): { ev: ScoreInput[]; storm: Set<number> } {
    const line = (p: number): string => `kernel: TCP: request_sock_TCP: Possible SYN flooding on port ${p}. Sending cookies.`;
    const ev = steady(1800, seed);
    ev.push({ ts: T0 + 120_500, text: line(443) });
    const r = seeded(seed + 100);
    const at = T0 + 1_200_250;
    let ts = at;
    for (let j = 0; j < n; j++) {
      ev.push({ ts, text: line([443, 25, 1194][j % 3]) });
      ts += Math.max(1, Math.round(-mean * Math.log(1 - r.next())));
    }
    ev.sort((a, b) => a.ts - b.ts);
    const storm = new Set(ev.flatMap((e, i) => (e.ts >= at && e.text?.includes('SYN flooding') ? [i] : [])));
    return { ev, storm };
  }

  it('keeps reporting a rare line storming for two and a half minutes at about one line a second', () => {
    let found = 0;
    let lines = 0;
    for (const seed of [11, 12, 13, 14, 15]) {
      const { ev, storm } = slowStorm(150, 1000, seed);
      const { findings } = runStream('logs', ev, 100);
      const flagged = new Set(findings.map((f) => f.index));
      found += [...storm].filter((i) => flagged.has(i)).length;
      lines += storm.size;
      // The steady lines around it stay quiet (one template_mix window at most).
      expect([...flagged].filter((i) => !storm.has(i)).length).toBeLessThanOrEqual(2);
    }
    // Before: a window of the storm short of a finding (5-7 lines: 1 s gaps are exponential)
    // entered the mean and the spread in full, and each window's count restarted from its first
    // line: 398 of the 750 lines were reported (4 of 150 in one storm); now 700.
    expect(found).toBeGreaterThan(0.85 * lines);
  });

  it('the window count slides over the previous window, prorated: a storm is not judged afresh at a window boundary', () => {
    const r = freshRate(T0);
    // 40 quiet windows of one line each (a mean of 1, the spread of a Poisson count).
    for (let w = 0; w < 40; w++) {
      const ts = T0 + w * 10_000 + 5_000;
      if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
      r[1]++;
      burstTest(r, undefined, ts, 1);
      pushRing(r, ts);
    }
    // 12 lines in the last second of a window, then the next window's first line.
    const w0 = r[0] + RATE_PARAMS.windowMs;
    for (let j = 0; j < 12; j++) {
      const ts = w0 + 9_000 + j * 80;
      if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
      r[1]++;
      burstTest(r, undefined, ts, 1);
      pushRing(r, ts);
    }
    const ts = w0 + 10_500;
    closeWindows(r, ts);
    r[1]++;
    const b = burstTest(r, undefined, ts, 1);
    // 12 × 0.95 of the previous window still within 10 s, and this line.
    expect(b.k).toBeCloseTo(12 * 0.95 + 1, 6);
    expect(b.scan).toBe(false);
    expect(b.S).toBeGreaterThanOrEqual(RATE_PARAMS.half);
  });

  it('upgrades a 14-number record (before the previous window) with no previous window', () => {
    const old = freshRate(T0).slice(0, RATE_LEN - 2);
    upgradeRate(old);
    expect(old).toEqual(freshRate(T0));
  });
});

describe('the sliding count needs the storm to go on', () => {
  it("a usual line after a storm that ended is not judged with the storm's prorated lines", () => {
    const r = freshRate(T0);
    const feed = (ts: number): ReturnType<typeof burstTest> => {
      if (ts >= r[0] + RATE_PARAMS.windowMs) closeWindows(r, ts);
      r[1]++;
      const b = burstTest(r, undefined, ts, 1);
      pushRing(r, ts);
      return b;
    };
    for (let w = 0; w < 40; w++) feed(T0 + w * 10_000 + 5_000);
    // A storm of 60 lines in the last 2 s of a window, then the usual line 6 s into the next one.
    const w0 = r[0] + RATE_PARAMS.windowMs;
    for (let j = 0; j < 60; j++) feed(w0 + 8_000 + j * 33);
    const b = feed(w0 + 16_000);
    // Its window holds it alone, at a far slower pace than half the storm's: no prorated lines
    // (before: 24 of them, the storm's lines still within 10 s, and S far above half).
    expect(b.S).toBeLessThan(RATE_PARAMS.half);
  });
});
