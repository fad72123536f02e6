// The run memory of the free-text detector (prose.ts): the texts it accepted in the last `window`
// events whose own `unexplained` was already high (tail distance ≥ runPurge). The first texts of an
// off-topic run arrive before the window mean is up and join the dictionary; when the run is then
// reported (a drift finding), they leave it again, so that the run does not explain its later texts.
//
// State: [event, hash of the normalised text] pairs, oldest first, at most `window` of them.

import { fnv1a } from './fnv.js';

export type RunMemory = [number, number][];

/** Remembers an accepted text x at event `at` (oldest out beyond `window` entries). */
export function noteRun(pw: RunMemory, x: string, at: number, window: number): void {
  pw.push([at, fnv1a(x)]);
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
