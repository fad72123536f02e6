// The hold of the free-text detector (prose.ts, issue 11): a near miss, a text accepted at ≥
// quarantineShare of a threshold, joins the deflate dictionary and the long-run vocabulary only
// after holdEvents more texts. An off-topic run opens with texts that each fall just under the
// threshold; accepted at once, the first explained the next ones (their repeats scored 0) and the
// window mean fell back before a drift was reported. Held, the run's texts are judged against the
// stream's reference until the run is noticed; when a drift is reported the held texts are dropped
// (prose-purge.ts drops the run's texts already in the dictionary).
//
//   hold(ph, at, x):        x (normalised) accepted at event `at` waits (state `ph`: [event, text] pairs, oldest first)
//   release(ph, at, wait):  the texts that waited `wait` events, oldest first, leave ph (they join the dictionary)
// Bounded: at most holdEvents texts wait (one per event), each cut to maxBytes like the dictionary's.

export type Held = [number, string][];

export function isHeld(o: unknown): o is Held {
  return Array.isArray(o) && o.every((e) => Array.isArray(e) && e.length === 2 && Number.isInteger(e[0]) && typeof e[1] === 'string');
}

export function hold(ph: Held, at: number, x: string): void {
  ph.push([at, x]);
}

export function release(ph: Held, at: number, wait: number): string[] {
  const out: string[] = [];
  while (ph.length > 0 && at - ph[0][0] >= wait) out.push((ph.shift() as [number, string])[1]);
  return out;
}
