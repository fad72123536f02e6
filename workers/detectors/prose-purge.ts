// The run memory of the free-text detector (prose.ts): the texts it accepted in the last `window`
// events whose own `unexplained` was already high (tail distance ≥ runPurge). The first texts of an
// off-topic run arrive before the window mean is up and join the dictionary; when the run is then
// reported (a drift finding), they leave it again, so that the run does not explain its later texts.
//
// State: [event, hash of the normalised text] pairs, oldest first, at most `window` of them.

export type RunMemory = [number, number][];

/** FNV-1a of a string's UTF-16 units (a dictionary entry's key). */
export function textHash(x: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Remembers an accepted text x at event `at` (oldest out beyond `window` entries). */
export function noteRun(pw: RunMemory, x: string, at: number, window: number): void {
  pw.push([at, textHash(x)]);
  while (pw.length > window) pw.shift();
}

/** A drift is reported at event `at`: the hashes of the texts accepted within `window` events before it; the memory is emptied. */
export function takeRun(pw: RunMemory, at: number, window: number): Set<number> {
  const out = new Set(pw.filter(([n]) => at - n <= window).map(([, h]) => h));
  pw.length = 0;
  return out;
}

export function isRunState(o: unknown): o is RunMemory {
  return Array.isArray(o) && o.every((e) => Array.isArray(e) && e.length === 2 && Number.isInteger(e[0]) && Number.isInteger(e[1]));
}
