// The incremental compression cost (workers/detectors/lz.ts): close to what Node's deflate spends
// with the same dictionary, the same whether the window was grown line by line or rebuilt from its
// saved text, and unchanged by pricing a line.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { LzWindow, WINDOW } from '../../workers/detectors/lz.js';
import { normalise } from '../../workers/detectors/normalise.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { packageRoot } from '../../src/core/paths.js';

const logsDir = join(packageRoot, '..', 'shared', 'datasets', 'logs', 'unlabeled');

/** Normalised lines: the Loghub samples when present, else the demo log. */
function sampleLines(): string[] {
  if (existsSync(logsDir)) {
    return readdirSync(logsDir).filter((f) => f.endsWith('.log')).sort().flatMap((f) => readFileSync(join(logsDir, f), 'utf8').split(/\r?\n/).filter((l) => l.length > 0).slice(0, 400).map(normalise));
  }
  return syntheticLog({ lines: 4000, anomalies: 20 }).lines.map(normalise);
}

describe('LzWindow', () => {
  it('prices a line within a few bits of deflate level 6 with the same text as its dictionary', () => {
    const lines = sampleLines();
    let n = 0;
    let absDiff = 0;
    let dict = '';
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (i % 5 === 0 && dict.length > 0) {
        // deflate never hashes a dictionary's first position; a window's first position is a line cut anyway.
        const w = new LzWindow(`\u0000${dict}`);
        const z = deflateRawSync(Buffer.from(`${l}\n`), { dictionary: Buffer.from(`\u0000${dict}`), level: 6 }).length * 8;
        absDiff += Math.abs(w.cost(l) - z);
        n++;
      }
      dict = `${dict}${l}\n`.slice(-8000);
    }
    expect(n).toBeGreaterThan(200);
    // Measured 0.5 bits on the Loghub samples (deflate picks a dynamic Huffman block for a few long lines).
    expect(absDiff / n).toBeLessThan(4);
  });

  it('a window rebuilt from its text prices every line as the one grown line by line', () => {
    const lines = sampleLines();
    const grown = new LzWindow();
    for (let i = 0; i < lines.length; i++) {
      if (i % 97 === 0) {
        const rebuilt = new LzWindow(grown.text());
        for (const probe of lines.slice(i, i + 5)) expect(rebuilt.cost(probe)).toBe(grown.cost(probe));
      }
      grown.append(`${lines[i]}\n`);
    }
    expect(grown.end).toBeGreaterThan(WINDOW);
    expect(grown.text().length).toBe(WINDOW);
  });

  it('pricing a line leaves the window as it was', () => {
    const lines = sampleLines().slice(0, 300);
    const w = new LzWindow(lines.slice(0, 200).map((l) => `${l}\n`).join(''));
    const before = lines.slice(200).map((l) => w.cost(l));
    for (const l of lines.slice(200)) w.cost(l, true);
    expect(lines.slice(200).map((l) => w.cost(l))).toEqual(before);
    // A repeat of window text is cheap, a line against itself alone is not.
    expect(w.cost(lines[10])).toBeLessThan(w.cost(lines[10], true));
  });
});
