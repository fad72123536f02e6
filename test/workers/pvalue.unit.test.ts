// Significance that holds on streams with sequential fields (issue 3): the text detector's
// p-values come from the stream's own recent costs, in stream order, after numbers, ids and
// timestamps are normalised. On a clean stream full of counters and clocks they hold their level:
// P(p ≤ α) ≤ α (measured: 0.004 at α = 0.01, 0.010 at 0.05, 0.052 at 0.1; conservative, because
// deflate sizes are whole bytes and ties count against the line).
import { describe, expect, it } from 'vitest';
import { empiricalP, formatP } from '../../workers/detectors/pvalue.js';
import { scoreText } from '../../workers/detectors/text.js';
import { prng as rng } from '../../src/tools/demo/synthetic.js';
import { textEvents } from './helpers.js';


const WORDS = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima', 'mike', 'november', 'oscar', 'papa', 'quebec', 'romeo', 'sierra', 'tango', 'uniform', 'victor', 'whiskey', 'xray', 'yankee', 'zulu'];
const VERBS = ['GET', 'POST', 'PUT', 'DELETE'];

/** A clean stream (no anomaly) whose every line carries sequential fields: a clock, a request counter, a hex id, a byte count. */
function sequentialStream(n: number, seed: number): string[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const lines: string[] = [];
  let t = Date.UTC(2026, 10, 22, 5, 0, 0);
  for (let i = 0; i < n; i++) {
    t += 1 + Math.floor(r() * 900);
    const ts = new Date(t).toISOString();
    const id = Math.floor(r() * 2 ** 32).toString(16).padStart(8, '0');
    const k = r();
    if (k < 0.5) lines.push(`${ts} INFO http req=${100000 + i} id=${id} ${pick(VERBS)} /api/${pick(WORDS)}/${pick(WORDS)} 200 ${Math.floor(r() * 5000)}B`);
    else if (k < 0.8) lines.push(`${ts} INFO cache seq=${i} key=${pick(WORDS)}:${pick(WORDS)} hit ratio=0.${Math.floor(r() * 100)}`);
    else lines.push(`${ts} DEBUG worker-${Math.floor(r() * 8)} job ${id} for ${pick(WORDS)} ${pick(WORDS)} done in ${Math.floor(r() * 300)}ms`);
  }
  return lines;
}

describe('p-values stay valid with sequential fields', () => {
  it('empiricalP is (1 + #{v ≥ x}) / (1 + n) and formatP says what it was computed against', () => {
    expect(empiricalP([1, 2, 3, 4], 3)).toBe(3 / 5);
    expect(empiricalP([1, 2, 3, 4], 9)).toBe(1 / 5);
    expect(empiricalP([], 9)).toBe(1);
    expect(formatP(1 / 5, 4, 'windows')).toBe('p ≤ 0.20: none of the last 4 windows as high');
    expect(formatP(3 / 5, 4, 'windows')).toBe('p = 0.60 against the last 4 windows');
  });

  it('the text detector\'s p-values are calibrated on a clean stream of counters, clocks and ids', () => {
    const lines = sequentialStream(6000, 7);
    const pv = new Float64Array(lines.length);
    const r = scoreText(null, textEvents(lines), undefined, undefined, 0.5, pv);
    const ps = [...pv].filter((p) => !Number.isNaN(p));
    // Most lines are compared (the random words make most normalised lines new).
    expect(ps.length).toBeGreaterThan(3000);
    const rate = (alpha: number): number => ps.filter((p) => p <= alpha).length / ps.length;
    // Binomial sd of a rate at α = 0.01 over ~5700 lines is about 0.0013: α + 0.004 is three of them.
    for (const alpha of [0.01, 0.05, 0.1, 0.25]) expect(rate(alpha), `P(p ≤ ${alpha})`).toBeLessThanOrEqual(alpha + 0.004);
    // Not degenerate (a p-value stuck at 1 would pass the line above): half the lines are at most the median cost.
    expect(rate(0.5)).toBeGreaterThan(0.2);
    expect(rate(0.1)).toBeGreaterThan(0.02);
    // …and the detector flags (almost) nothing on it.
    expect(r.findings.filter((f) => f.detector === 'compression_surprise').length).toBeLessThanOrEqual(6);
  });

  it('a finding quotes its p-value, and an injected line gets the smallest one the null can give', () => {
    const lines = sequentialStream(1500, 11);
    lines.push('2026-11-22T09:00:00.000Z FATAL kernel: Oops: general protection fault in module nvme_core, tainted, stack smashed');
    const pv = new Float64Array(lines.length);
    const r = scoreText(null, textEvents(lines), undefined, undefined, 0.5, pv);
    const f = r.findings.find((x) => x.index === lines.length - 1);
    expect(f).toBeDefined();
    const d = f?.details as { p_value: number; null_size: number };
    expect(d.null_size).toBe(256);
    expect(d.p_value).toBeCloseTo(1 / 257, 5);
    expect(pv[lines.length - 1]).toBe(1 / 257);
    expect(f?.explanation).toContain('p ≤ 0.0039: none of the last 256 line costs as high');
  });
});
