// The detectors' one 32-bit string hash: FNV-1a over a string's UTF-16 units. Keys kept in a
// stream's state (a text's key in the run memory, a template-mix line, an actor's pairs, a long
// context, token or session key shortened) are this hash, so a state saved by one version reads
// the same in the next.

export const FNV_BASIS = 0x811c9dc5;
export const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, of the UTF-16 units of s (unsigned). */
export function fnv1a(s: string): number {
  return fnv1aFrom(s, 0, FNV_BASIS);
}

/** FNV-1a, 32 bits, of s's UTF-16 units from `from`, carried on from hash `h` (FNV_BASIS: a fresh hash); unsigned. */
export function fnv1aFrom(s: string, from: number, h: number): number {
  for (let i = from; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h >>> 0;
}
