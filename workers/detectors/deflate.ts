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
//
// deflateRawSync also builds a DeflateRaw stream object (Transform, EventEmitter, option checks)
// around the native zlib handle for each call, about 2 µs of the ~25 µs of a line with its 16 KiB
// dictionary (bench/detect-split.ts). The native handle's class is taken from one DeflateRaw and
// driven as zlib.js drives it (init with the same window bits, level, memLevel, strategy and
// dictionary; one Z_FINISH write into a buffer of the bound; close): the same zlib calls, so the
// same bytes. At load the path is checked against deflateRawSync and left unused if any size
// differs or the handle's shape is not the expected one (another Node version): `nativeDeflate`.
import zlib, { deflateRawSync, constants } from 'node:zlib';

/** zlib's conservative deflateBound for raw deflate (no header or trailer). */
export function rawBound(n: number): number {
  return n + ((n + 7) >> 3) + ((n + 63) >> 6) + 5;
}

interface Handle {
  init(windowBits: number, level: number, memLevel: number, strategy: number, writeState: Uint32Array, processCallback: () => void, dictionary?: Buffer): void;
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  close(): void;
  onerror?: (message: string, errno: number) => void;
}
type HandleClass = new (mode: number) => Handle;

const writeState = new Uint32Array(2);
let out = Buffer.allocUnsafe(1 << 16);
let failed: string | null = null;
const noop = (): void => undefined;
/** Dictionary bytes copied into native handles since the last pressure hint (nativeBits). */
let dictionaryBytes = 0;
const PRESSURE_BYTES = 1 << 20;
const onerror = (message: string): void => {
  failed = message;
};

/** The native zlib handle class under DeflateRaw, or null when its shape is not the one driven here. */
function handleClass(): HandleClass | null {
  try {
    const d = new zlib.DeflateRaw() as unknown as { _handle?: { constructor?: unknown } | null; close(): void };
    const C = d._handle?.constructor as (HandleClass & { prototype: Partial<Handle> }) | undefined;
    d.close();
    if (typeof C !== 'function') return null;
    const p = C.prototype;
    return typeof p.init === 'function' && typeof p.writeSync === 'function' && typeof p.close === 'function' ? C : null;
  } catch {
    return null;
  }
}

/** The size through the native handle, or -1 when it did not finish in one write (or failed). */
function nativeBits(C: HandleClass, input: Buffer, level: number, dictionary: Buffer | undefined, strategy: number): number {
  const need = rawBound(input.length) + 16;
  if (out.length < need) out = Buffer.allocUnsafe(2 * need);
  failed = null;
  const h = new C(constants.DEFLATERAW);
  h.onerror = onerror;
  try {
    h.init(15, level, 8, strategy, writeState, noop, dictionary);
    h.writeSync(constants.Z_FINISH, input, 0, input.length, out, 0, need);
  } finally {
    h.close();
  }
  if (dictionary !== undefined && (dictionaryBytes += dictionary.length) >= PRESSURE_BYTES) {
    // The closed handle keeps its copy of the dictionary until the garbage collector takes its
    // small wrapper, and V8 counts only the wrapper: 200k calls against a 16 KiB dictionary grew
    // RSS by 250-300 MiB (deflateRawSync's stream objects made it collect sooner: about 80).
    // An unfilled buffer of the copies' size is counted as external memory and makes V8 collect
    // them (and itself) as it would their own bytes (test/workers/deflate-memory.unit.test.ts).
    Buffer.allocUnsafeSlow(dictionaryBytes);
    dictionaryBytes = 0;
  }
  const availOut = writeState[0];
  return failed === null && writeState[1] === 0 && availOut > 0 ? (need - availOut) * 8 : -1;
}

function viaStream(input: Buffer, level: number, dictionary?: Buffer, strategy?: number): number {
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

/** The native class when it gives deflateRawSync's sizes on a few probes (text, binary, dictionary, Huffman-only). */
function checkedClass(): HandleClass | null {
  const C = handleClass();
  if (C === null) return null;
  try {
    const text = Buffer.from('GET /api/v1/orders/1234 200 12ms user=alice region=eu-west-1\n');
    const dict = Buffer.from('GET /api/v1/orders/<N> 200 <N>ms user=bob region=us-east-1\n'.repeat(40));
    const bin = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 7919) & 255));
    for (const input of [Buffer.alloc(0), text, bin]) {
      for (const [dictionary, strategy] of [[undefined, undefined], [dict, undefined], [undefined, constants.Z_HUFFMAN_ONLY]] as const) {
        if (nativeBits(C, input, 6, dictionary, strategy ?? constants.Z_DEFAULT_STRATEGY) !== viaStream(input, 6, dictionary, strategy)) return null;
      }
    }
    return C;
  } catch {
    return null;
  }
}

const native = checkedClass();
/** Whether deflatedBits drives the native handle directly (else deflateRawSync). */
export const nativeDeflate = native !== null;
/** Sizes taken through the native handle so far (bench/detect-split.ts counts deflateRawSync's apart). */
export let deflateCalls = 0;

/** deflateRawSync(input, { level, dictionary, strategy }).length * 8, with an output chunk fitted to the input. */
export function deflatedBits(input: Buffer, level: number, dictionary?: Buffer, strategy?: number): number {
  if (native !== null) {
    const bits = nativeBits(native, input, level, dictionary, strategy ?? constants.Z_DEFAULT_STRATEGY);
    if (bits >= 0) {
      deflateCalls++;
      return bits;
    }
  }
  return viaStream(input, level, dictionary, strategy);
}
