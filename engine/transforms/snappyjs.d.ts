// Types of snappyjs (pure JavaScript Snappy, block format; the package ships none).
declare module 'snappyjs' {
  /** Throws when the declared uncompressed length is over `maxLength` (checked before allocating) or the stream is invalid. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
