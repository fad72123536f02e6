// Content-Encoding for HTTP ingest (/api/v1/events/ingest, /v1/logs): gzip, deflate, br.
//
//   Content-Encoding header ─► contentEncoding() (415 for any other) ─► body read compressed
//     (413 past the body limit) ─► decompress(), output capped at the same limit (413: a zip
//     bomb stops there, never inflated past it)
//
// `deflate` is the zlib format (RFC 9110); a raw deflate stream, as some clients send, is also read.
import { brotliDecompress, gunzip, inflate, inflateRaw } from 'node:zlib';
import { DwError } from '../../src/core/errors.js';

export type Encoding = 'identity' | 'gzip' | 'deflate' | 'br';

/** The one encoding named by a Content-Encoding header, or null for one we do not read (DW_ERR_UNSUPPORTED_MEDIA_TYPE). */
export function contentEncoding(header: string): Encoding | null {
  const e = header.trim().toLowerCase();
  if (e === '' || e === 'identity') return 'identity';
  if (e === 'gzip' || e === 'x-gzip') return 'gzip';
  if (e === 'deflate' || e === 'br') return e;
  return null;
}

export const unsupportedEncoding = (header: string): DwError =>
  new DwError('DW_ERR_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${JSON.stringify(header.trim())} is not supported (use gzip, deflate, br or none)`);

type Inflate = (buf: Buffer, opts: { maxOutputLength: number }, cb: (err: Error | null, out: Buffer) => void) => void;
const INFLATE: Record<Exclude<Encoding, 'identity'>, Inflate> = { gzip: gunzip, deflate: inflate, br: brotliDecompress };

function run(fn: Inflate, body: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => { fn(body, { maxOutputLength: max }, (err, out) => (err === null ? resolve(out) : reject(err))); });
}

/** Decompresses a body, its output capped at `max` bytes (DW_ERR_PAYLOAD_TOO_LARGE past it; DW_ERR_MALFORMED_BODY when not valid). */
export async function decompress(body: Buffer, encoding: Encoding, max: number): Promise<Buffer> {
  if (encoding === 'identity') return body;
  try {
    return await run(INFLATE[encoding], body, max);
  } catch (err) {
    let e = err as NodeJS.ErrnoException;
    if (encoding === 'deflate' && e.code !== 'ERR_BUFFER_TOO_LARGE') {
      try { return await run(inflateRaw, body, max); } catch (raw) { e = raw as NodeJS.ErrnoException; }
    }
    if (e.code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
      throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the decompressed body exceeds ${max} bytes`);
    }
    throw new DwError('DW_ERR_MALFORMED_BODY', `the body is not valid ${encoding} (${e.message})`);
  }
}
