// The detectors' one 32-bit string hash: FNV-1a over a string's UTF-16 units. Keys kept in a
// stream's state (a text's key in the run memory, a template-mix line, an actor's pairs, a long
// context, token or session key shortened) are this hash, so a state saved by one version reads
// the same in the next.

/** FNV-1a, 32 bits, of the UTF-16 units of s (unsigned). */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
