// Memory of deflatedBits' native path (workers/detectors/deflate.ts). Each call makes a zlib handle
// and closes it; close() frees zlib's own state but the handle keeps its copy of the dictionary
// (16 KiB here) until the garbage collector takes the small closed wrapper, which V8 does not
// hurry: on the old code 200k calls of a line against a 16 KiB dictionary left RSS 250-290 MiB
// above where it started (deflateRawSync's: about 80). The native path now tells V8 of those bytes.
// Run in a child process: a fresh heap, so the figure is the loop's alone.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

const LOOP = `
import { deflatedBits, nativeDeflate } from './deflate.mjs';
const dict = Buffer.from('GET /api/v1/orders/<N> 200 <N>ms user=bob region=us-east-1 '.repeat(280)).subarray(0, 16384);
const before = process.memoryUsage().rss;
let peak = before;
for (let i = 0; i < 200000; i++) {
  deflatedBits(Buffer.from('GET /api/v1/orders/' + i + ' 200 ' + (i % 97) + 'ms user=u' + (i % 13)), 6, dict);
  if (i % 5000 === 0) peak = Math.max(peak, process.memoryUsage().rss);
}
console.log(JSON.stringify({ nativeDeflate, riseMiB: (peak - before) / 2 ** 20 }));
`;

describe('deflatedBits memory', () => {
  it('200k calls against a 16 KiB dictionary: RSS rises less than 160 MiB (old code: 250-290)', async () => {
    // deflate.ts imports node:zlib only: its JavaScript, next to the loop, in a directory of its own.
    const dir = mkdtempSync(join(tmpdir(), 'dw-deflate-'));
    writeFileSync(join(dir, 'deflate.mjs'), transformSync(readFileSync(new URL('../../workers/detectors/deflate.ts', import.meta.url), 'utf8'), { loader: 'ts', format: 'esm' }).code);
    writeFileSync(join(dir, 'loop.mjs'), LOOP);
    const { stdout } = await run(process.execPath, [join(dir, 'loop.mjs')], { timeout: 240_000 });
    const { nativeDeflate, riseMiB } = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as { nativeDeflate: boolean; riseMiB: number };
    expect(nativeDeflate).toBe(true);
    expect(riseMiB).toBeLessThan(160);
  }, 250_000);
});
