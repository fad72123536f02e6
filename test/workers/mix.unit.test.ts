// Window-level template-mix drift: known lines in unusual proportions.
import { describe, expect, it } from 'vitest';
import { prng, syntheticLog } from '../../src/tools/demo/synthetic.js';
import { freshMix, HashTable, MIX_PARAMS, MixDrift } from '../../workers/detectors/mix.js';
import { fnv1a } from '../../workers/detectors/fnv.js';
import { runStream, textEvents } from './helpers.js';

/** A stream of five templates; between `from` and `to` the rare one (2%) becomes 50%. */
function surge(n: number, from: number, to: number, seed: number): string[] {
  const r = prng(seed);
  const common = ['INFO http GET /api/orders status=200 dur=12ms', 'INFO auth login ok user=alice', 'DEBUG cache hit key=product', 'INFO http POST /api/cart status=201 dur=40ms'];
  const rare = 'INFO http GET /api/orders status=503 dur=30001ms upstream timeout';
  return Array.from({ length: n }, (_, i) => {
    const p = i >= from && i < to ? 0.5 : 0.02;
    return r() < p ? `${rare} req=${Math.floor(r() * 1e6)}` : `${common[Math.floor(r() * common.length)]} req=${Math.floor(r() * 1e6)}`;
  });
}

describe('template mix drift', () => {
  it('flags a surge of a known line within the surge, with the numbers and the line', () => {
    const lines = surge(6000, 4000, 4600, 3);
    const { findings } = runStream('logs', textEvents(lines), 250);
    const mix = findings.filter((f) => f.detector === 'template_mix');
    console.log(mix.map((f) => `${f.index}: ${f.explanation}`).join('\n'));
    expect(mix.length).toBeGreaterThanOrEqual(1);
    expect(mix[0].index).toBeGreaterThanOrEqual(4000);
    expect(mix[0].index).toBeLessThan(4000 + 2 * MIX_PARAMS.hop);
    expect(mix[0].explanation).toMatch(/^The mix of the last 128 lines diverges from this stream's usual mix: KL [\d.]+ nats vs\. a typical [\d.]+ .*status=<N3> dur=<N5>ms upstream timeout.*, \d+ of 128 lines vs\. usually [\d.]+%/);
    // Nothing outside the surge (and the windows just after it, while the mix settles back).
    expect(mix.filter((f) => f.index < 4000 || f.index > 4600 + 3 * MIX_PARAMS.hop)).toEqual([]);
  });

  it('is silent on a stable stream and on the demo log', () => {
    const stable = runStream('logs', textEvents(surge(6000, 0, 0, 4)), 250).findings.filter((f) => f.detector === 'template_mix');
    expect(stable).toEqual([]);
    const { lines } = syntheticLog({ lines: 10_000, anomalies: 30 });
    expect(runStream('logs', textEvents(lines), 500).findings.filter((f) => f.detector === 'template_mix')).toEqual([]);
  });

  it('gives the same findings whatever the batch split', () => {
    const ev = textEvents(surge(3000, 2000, 2400, 5));
    const one = runStream('logs', ev);
    expect(runStream('logs', ev, 37).findings).toEqual(one.findings);
    expect(runStream('logs', ev, 1).findings).toEqual(one.findings);
  });

  it('fnv1a is a stable 32-bit FNV-1a', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });
});

describe('HashTable (the mix counts)', () => {
  it('answers as a Map<number, number> does, in insertion order, through growth and clears', () => {
    const r = prng(11);
    const t = new HashTable([[5, 1], [0xffffffff, 2], [5, 3]]);
    const m = new Map<number, number>([[5, 1], [0xffffffff, 2], [5, 3]]);
    for (let round = 0; round < 6; round++) {
      const distinct = 1 + Math.floor(r() * 600);
      for (let i = 0; i < 3000; i++) {
        const k = fnv1a(String(Math.floor(r() * distinct)));
        if (r() < 0.5) {
          t.add(k, 1);
          m.set(k, (m.get(k) ?? 0) + 1);
        } else {
          const v = r();
          t.set(k, v);
          m.set(k, v);
        }
        const probe = fnv1a(String(Math.floor(r() * 2 * distinct)));
        expect(t.get(probe)).toBe(m.get(probe));
      }
      expect(t.entries()).toEqual([...m]);
      expect(t.size).toBe(m.size);
      t.clear();
      m.clear();
      expect(t.entries()).toEqual([]);
    }
  });
});

describe('the long-run mix at a hop end (MixDrift #moveMix)', () => {
  it('keeps the shares of at least minShare, largest first, ties by hash, at most maxShares (as sorting [hash, share] pairs did)', () => {
    const P = MIX_PARAMS;
    const r = prng(21);
    // More shares than maxShares, many tied (three share levels), some decaying under minShare.
    const levels = [0.002, 0.001, 0.0004, 0.00011];
    const p: [number, number][] = [];
    const used = new Set<number>();
    while (p.length < P.maxShares + 150) {
      const k = p.length === 0 ? 0xffffffff : Math.floor(r() * 0x100000000);
      if (used.has(k)) continue;
      used.add(k);
      p.push([k, levels[Math.floor(r() * levels.length)]]);
    }
    const s = { ...freshMix(), p, hops: 3 };
    const window = Array.from({ length: P.hop }, () => p[Math.floor(r() * 20)][0]);
    // The reference: the pipeline of [hash, share] pairs that #moveMix replaced.
    const ref = new Map(p.map(([k, v]) => [k, v * (1 - P.lambda)]));
    for (const k of window) ref.set(k, (ref.get(k) ?? 0) + P.lambda / P.hop);
    const want = [...ref.entries()]
      .map(([k, v]): [number, number] => [k, Number(v.toPrecision(6))])
      .filter(([, v]) => v >= P.minShare)
      .sort((a, b) => b[1] - a[1] || a[0] - b[0])
      .slice(0, P.maxShares);
    const mix = new MixDrift(s);
    for (const k of window) mix.observe(k, () => undefined);
    const got = mix.save().p;
    expect(got.length).toBe(P.maxShares);
    expect(got).toEqual(want);
    // Ties were there to break, and shares under minShare to drop.
    expect(new Set(want.map(([, v]) => v)).size).toBeLessThan(want.length);
    expect(ref.size - want.length).toBeGreaterThan(0);
  });
});
