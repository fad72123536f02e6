// deflatedBits (workers/detectors/deflate.ts) against deflateRawSync with its default output chunk:
// the same size for empty, one-byte, incompressible and long inputs (larger than the old 16 KiB
// chunk, so the bound is exercised where zlib expands data), with and without a dictionary, and
// with the Huffman-only strategy the prose detector uses; on this Node through zlib's native handle
// (nativeDeflate), so that path is the one compared.
import { randomBytes } from 'node:crypto';
import { constants, deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { deflateCalls, deflatedBits, nativeDeflate, rawBound } from '../../workers/detectors/deflate.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';

const reference = (input: Buffer, level: number, dictionary?: Buffer, strategy?: number): number =>
  deflateRawSync(input, { level, ...(dictionary !== undefined ? { dictionary } : {}), ...(strategy !== undefined ? { strategy } : {}) }).length * 8;

describe('deflatedBits', () => {
  const lines = syntheticLog({ lines: 400, seed: 7 }).lines;
  const dict = Buffer.from(lines.slice(0, 200).join('\n') + '\n');
  const inputs: Buffer[] = [
    Buffer.alloc(0),
    Buffer.from('\n'),
    Buffer.from('x'),
    randomBytes(10),
    randomBytes(5000),
    randomBytes(70_000),
    Buffer.from('refund '.repeat(20_000)),
    Buffer.from('héllo wörld ✓ 日本語\n'),
    ...lines.slice(200).map((l) => Buffer.from(l + '\n')),
  ];

  it('drives the native handle on this Node (its load-time check against deflateRawSync passed)', () => {
    expect(nativeDeflate).toBe(true);
    const before = deflateCalls;
    deflatedBits(Buffer.from('x'), 6);
    expect(deflateCalls).toBe(before + 1);
  });

  it('gives the size of deflateRawSync for every level, dictionary and strategy used', () => {
    for (const level of [1, 6, 9]) {
      for (const input of inputs) {
        expect(deflatedBits(input, level)).toBe(reference(input, level));
        expect(deflatedBits(input, level, dict)).toBe(reference(input, level, dict));
        expect(deflatedBits(input, level, undefined, constants.Z_HUFFMAN_ONLY)).toBe(reference(input, level, undefined, constants.Z_HUFFMAN_ONLY));
      }
    }
  });

  it('bounds the output of incompressible input (one write suffices)', () => {
    for (const n of [0, 1, 7, 8, 63, 64, 1000, 70_000]) {
      const input = randomBytes(n);
      expect(deflateRawSync(input, { level: 1 }).length).toBeLessThanOrEqual(rawBound(n));
    }
  });
});
