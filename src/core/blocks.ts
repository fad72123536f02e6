// The event-block codec: how a block's payload is compressed and read back. Shared by the
// engine's block writer (engine/sinks/postgres/blocks.ts) and every reader (event-blocks.ts).
//
// Codec (measured with bench/blocks.bench.ts, see the README): brotli quality 1 by default; the
// codec is stored per block, so a reader decodes blocks written with any of them.
import { promisify } from 'node:util';
import { brotliCompressSync, brotliDecompress, brotliDecompressSync, constants as zc, deflateRawSync, inflateRaw, inflateRawSync } from 'node:zlib';

export const CODECS = ['deflate', 'brotli', 'none'] as const;
export type Codec = (typeof CODECS)[number];
export const DEFAULT_CODEC: Codec = 'brotli';

/** One event as the reader returns it. `data` and `metadata` are parsed JSON. */
export interface BlockEvent {
  ts: number;
  data: unknown;
  metadata: unknown;
}

const BROTLI_PARAMS = { [zc.BROTLI_PARAM_QUALITY]: 1, [zc.BROTLI_PARAM_LGWIN]: 18, [zc.BROTLI_PARAM_MODE]: zc.BROTLI_MODE_TEXT };

export function compress(codec: Codec, text: string): Buffer {
  switch (codec) {
    case 'deflate': return deflateRawSync(text, { level: 1 });
    case 'brotli': return brotliCompressSync(text, { params: { ...BROTLI_PARAMS, [zc.BROTLI_PARAM_SIZE_HINT]: text.length } });
    case 'none': return Buffer.from(text, 'utf8');
  }
}

export function decompress(codec: string, bytes: Uint8Array): string {
  switch (codec) {
    case 'deflate': return inflateRawSync(bytes).toString('utf8');
    case 'brotli': return brotliDecompressSync(bytes).toString('utf8');
    case 'none': return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
    default: throw new TypeError(`unknown block codec ${JSON.stringify(codec)}`);
  }
}

/** Decodes a block's payload into its events, in the order they were written. */
export function decodeBlock(codec: string, payload: Uint8Array): BlockEvent[] {
  return parseBlock(decompress(codec, payload));
}

const brotliDecompressAsync = promisify(brotliDecompress);
/** Payloads at most this long (and their output at most 4 times it) are decompressed inline. */
const INLINE_DECOMPRESS_BYTES = 16 * 1024;
const inflateRawAsync = promisify(inflateRaw);

/**
 * A block's payload decompressed on libuv's thread pool (zlib's async API), not on the event
 * loop: what a reader serving requests uses. `maxBytes` bounds the output (a larger one rejects
 * with zlib's ERR_BUFFER_TOO_LARGE), so a crafted payload cannot inflate without limit.
 */
export async function decompressAsync(codec: string, bytes: Uint8Array, maxBytes: number): Promise<Buffer> {
  // Small blocks (most of them) decompress in well under a millisecond: a thread-pool round trip
  // would cost more than it saves. Tried inline with a small output cap; a larger one goes async.
  if ((codec === 'brotli' || codec === 'deflate') && bytes.byteLength <= INLINE_DECOMPRESS_BYTES) {
    try {
      const opts = { maxOutputLength: Math.min(maxBytes, INLINE_DECOMPRESS_BYTES * 4) };
      return codec === 'brotli' ? brotliDecompressSync(bytes, opts) : inflateRawSync(bytes, opts);
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_BUFFER_TOO_LARGE') throw err;
    }
  }
  switch (codec) {
    case 'deflate': return inflateRawAsync(bytes, { maxOutputLength: maxBytes });
    case 'brotli': return brotliDecompressAsync(bytes, { maxOutputLength: maxBytes });
    case 'none': {
      const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (b.length > maxBytes) throw new RangeError(`block payload of ${b.length} bytes is over ${maxBytes}`);
      return b;
    }
    default: throw new TypeError(`unknown block codec ${JSON.stringify(codec)}`);
  }
}

/** Parses a decompressed payload into its events (JSON.parse: on the caller's thread). */
export function parseBlock(text: string): BlockEvent[] {
  const rows = JSON.parse(text) as [number, unknown, unknown][];
  const out = new Array<BlockEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = { ts: rows[i][0], data: rows[i][1], metadata: rows[i][2] };
  return out;
}
