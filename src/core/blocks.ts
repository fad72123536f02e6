// The event-block codec: how a block's payload is compressed and read back. Shared by the
// engine's block writer (engine/sinks/postgres/blocks.ts) and every reader (event-blocks.ts).
//
// Codec (measured with bench/blocks.bench.ts, see the README): brotli quality 1 by default; the
// codec is stored per block, so a reader decodes blocks written with any of them.
import { brotliCompressSync, brotliDecompressSync, constants as zc, deflateRawSync, inflateRawSync } from 'node:zlib';

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
  const rows = JSON.parse(decompress(codec, payload)) as [number, unknown, unknown][];
  const out = new Array<BlockEvent>(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = { ts: rows[i][0], data: rows[i][1], metadata: rows[i][2] };
  return out;
}
