// Detector state on the wire: UTF-8 JSON with a kind tag, checked on the way back in.
const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

export function encodeState(s: object): Uint8Array {
  return enc.encode(JSON.stringify(s));
}

export function decodeState<T extends { v: number; kind: string }>(bytes: Uint8Array, kind: T['kind']): T {
  const s = JSON.parse(dec.decode(bytes)) as T;
  if (s === null || typeof s !== 'object' || s.v !== 1 || s.kind !== kind) {
    throw new TypeError(`task.state is not a ${kind} detector state (wrong stream type, or a newer version)`);
  }
  return s;
}
