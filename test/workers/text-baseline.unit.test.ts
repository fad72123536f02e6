// The text baseline's deflate dictionary (text-baseline.ts) is kept in place in an arena and
// rebuilt after touches by moving runs of lines with one copy: whatever the adds, touches and
// removals, it must be the baseline's lines, least recent first, each ended by \n.
import { describe, expect, it } from 'vitest';
import { TextBaseline } from '../../workers/detectors/text-baseline.js';
import { TEXT_PARAMS } from '../../workers/detectors/text-params.js';
import { prng } from '../../src/tools/demo/synthetic.js';

function expected(b: TextBaseline): Buffer {
  return Buffer.from(b.lines().map((l) => `${l}\n`).join(''));
}

describe('text baseline dictionary', () => {
  for (const [name, P] of [
    ['default bounds', TEXT_PARAMS],
    ['small bounds (evictions, arena wraps)', { ...TEXT_PARAMS, baselineBytes: 600, baselineJsonBytes: 900 }],
  ] as const) {
    it(`is the lines in recency order after random adds, touches and removals (${name})`, () => {
      const b = new TextBaseline(P);
      const r = prng(11);
      const seen: string[] = [];
      let checks = 0;
      for (let i = 0; i < 30_000; i++) {
        const x = r();
        if (x < 0.35 || seen.length === 0) {
          const line = `line ${Math.floor(r() * 3000)} ${'x'.repeat(Math.floor(r() * 120))}`;
          if (!b.has(line)) {
            b.add(line);
            seen.push(line);
          }
        } else if (x < 0.8) {
          const line = seen[Math.floor(r() * seen.length)];
          const e = b.get(line);
          if (e !== undefined) b.touch(line, e);
        } else if (x < 0.83) {
          b.remove(seen[Math.floor(r() * seen.length)]);
        } else {
          checks++;
          expect(b.dictionary().equals(expected(b))).toBe(true);
        }
      }
      expect(checks).toBeGreaterThan(1000);
    });
  }
});
