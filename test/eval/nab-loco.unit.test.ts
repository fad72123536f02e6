// Leave-one-category-out NAB: the choice made on the other categories is what scores the held-out one.
import { describe, expect, it } from 'vitest';
import { categoryOf, locoScore } from '../../src/tools/eval/nab-loco.js';
import { scoreCorpus, type NabFile, type NabWindows } from '../../src/tools/eval/nab-scorer.js';

const N = 1000;
const ts = Array.from({ length: N }, (_, i) => Date.UTC(2020, 0, 1) + i * 60_000);
const file = (name: string, hitRow: number): NabFile => {
  const score = new Float64Array(N);
  score[hitRow] = 0.9;
  return { name, ts, score };
};
const names = ['a/1.csv', 'a/2.csv', 'b/1.csv', 'b/2.csv'];
const windows: NabWindows = Object.fromEntries(names.map((n) => [n, [[ts[600], ts[650]]]]));
// X detects the window in category a and raises a false alarm in b; Y the other way round.
const X = names.map((n) => file(n, categoryOf(n) === 'a' ? 610 : 300));
const Y = names.map((n) => file(n, categoryOf(n) === 'b' ? 610 : 300));
const perfect = names.map((n) => file(n, 610));

describe('leave one category out', () => {
  it('a detector right everywhere scores the same in and out of sample', () => {
    const r = locoScore({ perfect }, windows);
    const inSample = scoreCorpus(perfect, windows);
    for (const p of inSample) expect(r.scores[p.profile]).toBeCloseTo(p.normalised, 9);
    expect(r.folds.map((f) => [f.category, f.files])).toEqual([['a', 2], ['b', 2]]);
  });

  it('each fold chooses on the other category: X and Y, each right on one category, are chosen where they are wrong', () => {
    const r = locoScore({ X, Y }, windows);
    expect(r.folds[0].chosen.standard.candidate).toBe('Y'); // held out a: b prefers Y
    expect(r.folds[1].chosen.standard.candidate).toBe('X');
    const inX = scoreCorpus(X, windows).find((p) => p.profile === 'standard')?.normalised as number;
    expect(r.scores.standard).toBeLessThan(inX);
    expect(r.scores.standard).toBeLessThan(0);
  });

  it('nested selection: each fold picks by leave-one-category-out inside the other categories; the held-out raw scores sum to the figure', () => {
    const three = [...names, 'c/1.csv', 'c/2.csv'];
    const w3: NabWindows = Object.fromEntries(three.map((n) => [n, [[ts[600], ts[650]]]]));
    const good = three.map((n) => file(n, 610));
    const bad = three.map((n) => file(n, 300));
    const r = locoScore({ bad, good }, w3, undefined, 'nested');
    for (const f of r.folds) expect(f.chosen.standard.candidate).toBe('good');
    const inGood = scoreCorpus(good, w3).find((p) => p.profile === 'standard')?.normalised as number;
    expect(r.scores.standard).toBeCloseTo(inGood, 9);
    const raw = r.folds.reduce((s, f) => s + f.chosen.standard.held_out_raw, 0);
    const plain = locoScore({ good }, w3);
    expect(raw).toBeCloseTo(plain.folds.reduce((s, f) => s + f.chosen.standard.held_out_raw, 0), 9);
    expect(() => locoScore({ X, Y }, windows, undefined, 'nested')).toThrow(/at least three categories/);
  });

  it('rejects candidates over different files, and a corpus of one category', () => {
    expect(() => locoScore({ X, Z: X.slice(1) }, windows)).toThrow(/does not score the same files/);
    expect(() => locoScore({ a: X.slice(0, 2) }, windows)).toThrow(/at least two categories/);
  });
});
