// A minimal reader for (gzipped) ustar archives: regular files only, enough for NAB's
// results/*_scores.tar.gz. 512-byte header blocks: name (0..100), size in octal (124..136),
// type flag (156), ustar prefix (345..500); file data padded to 512; two zero blocks end it.
import { gunzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  data: Buffer;
}

const cstr = (b: Buffer, from: number, len: number): string => {
  const s = b.subarray(from, from + len);
  const z = s.indexOf(0);
  return s.subarray(0, z < 0 ? s.length : z).toString('utf8');
};

/** Regular files of a tar archive (a gzip stream is unpacked first), in archive order. */
export function readTar(archive: Buffer): TarEntry[] {
  const buf = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  const out: TarEntry[] = [];
  let longName: string | null = null;
  for (let off = 0; off + 512 <= buf.length; ) {
    const h = buf.subarray(off, off + 512);
    if (h.every((x) => x === 0)) break;
    const sizeField = cstr(h, 124, 12).trim();
    const size = sizeField === '' ? 0 : parseInt(sizeField, 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`tar: bad size field at offset ${off}`);
    const type = String.fromCharCode(h[156] || 0x30);
    const prefix = cstr(h, 500 - 155, 155);
    let name = cstr(h, 0, 100);
    if (prefix !== '' && cstr(h, 257, 6) === 'ustar') name = `${prefix}/${name}`;
    const data = buf.subarray(off + 512, off + 512 + size);
    if (data.length < size) throw new RangeError(`tar: ${name} is truncated`);
    if (type === 'L') longName = cstr(data, 0, size); // GNU long name for the next entry
    else {
      if (longName !== null) name = longName;
      longName = null;
      if (type === '0' || type === '7') out.push({ name, data });
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}
