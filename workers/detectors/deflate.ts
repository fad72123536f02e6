// The compressed size of one small input in bits, as `deflateRawSync(input, opts).length * 8`.
//
// deflateRawSync's output buffer is its chunkSize (default 16 KiB), a fresh allocation on every
// call, then sliced; the detectors' inputs are lines and short texts, so most of that buffer is
// never written. Here the chunk is zlib's own worst-case bound for raw deflate of that input
// (deflateBound's conservative form), so one write always suffices and the output is the same
// bytes (test/workers/deflate.unit.test.ts compares with deflateRawSync, dictionary and
// Huffman-only included). Reusing one zlib handle with reset() was tried and rejected: the
// bundled zlib then gives a different size for about 1 line in 170 (state left from the previous
// input), which would change findings.
import { deflateRawSync, constants } from 'node:zlib';

/** zlib's conservative deflateBound for raw deflate (no header or trailer). */
export function rawBound(n: number): number {
  return n + ((n + 7) >> 3) + ((n + 63) >> 6) + 5;
}

/** deflateRawSync(input, { level, dictionary, strategy }).length * 8, with an output chunk fitted to the input. */
export function deflatedBits(input: Buffer, level: number, dictionary?: Buffer, strategy?: number): number {
  const chunkSize = Math.max(constants.Z_MIN_CHUNK, rawBound(input.length) + 16);
  const opts =
    dictionary !== undefined
      ? strategy !== undefined
        ? { level, dictionary, strategy, chunkSize }
        : { level, dictionary, chunkSize }
      : strategy !== undefined
        ? { level, strategy, chunkSize }
        : { level, chunkSize };
  return deflateRawSync(input, opts).length * 8;
}
