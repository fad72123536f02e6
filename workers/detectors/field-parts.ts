// A slot whose value is several numbers in one token, joined by '/' (HAProxy's timers
// "0/0/1/45/46", its connection counts "23/23/18/1/0", a "3/5" attempt): as a whole the token is
// an id-like text (nearly every line a new one), so no number in it was judged. Each part is
// also a field of its own (logs-values.ts), named after the slot and its position (`#6/3`), and
// judged as a number in the same context as the template's other numbers (fields.ts): a
// backend's response time 30× its usual, whatever the other timers beside it.
//
//   value ─► 2..maxParts plain numbers (digits, one optional '.', an optional leading '-'),
//            joined by '/' ─► each part's number, its finding kept only when numeric
//            (a part's categorical news, such as a day in a date "2026/07/25", is not judged)

export const PARTS_PARAMS = Object.freeze({ maxParts: 8 });

/**
 * Splits `value` at '/' into `out` (reused from line to line) when it is 2..maxParts plain
 * numbers; their count, or 0 (out then holds nothing of use).
 */
export function numberParts(value: string, out: string[]): number {
  const n = value.length;
  // Cheap refusals first: most values are not number tuples.
  if (n < 3 || value.indexOf('/') < 0) return 0;
  let parts = 0;
  let from = 0;
  for (let i = 0; i <= n; i++) {
    if (i < n && value.charCodeAt(i) !== 47) continue;
    if (!plainNumber(value, from, i) || parts === PARTS_PARAMS.maxParts) return 0;
    out[parts++] = value.slice(from, i);
    from = i + 1;
  }
  return parts;
}

/** Whether value[from, to) is a plain decimal: digits, at most one '.', an optional leading '-'. */
function plainNumber(value: string, from: number, to: number): boolean {
  if (from < to && value.charCodeAt(from) === 45) from++;
  if (from >= to) return false;
  let digits = 0;
  let dots = 0;
  for (let i = from; i < to; i++) {
    const c = value.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 46 && dots === 0) dots++;
    else return false;
  }
  return digits > 0 && to - from <= 15;
}

/** The names of a slot's parts (`name/0`, `name/1`, …), made once per slot name. */
export class PartNames {
  readonly #names = new Map<string, string[]>();

  get(name: string, j: number): string {
    let a = this.#names.get(name);
    if (a === undefined) {
      // (Bounded: slot names are a stream's key names and word positions.)
      if (this.#names.size >= 4096) this.#names.clear();
      this.#names.set(name, (a = []));
    }
    return (a[j] ??= `${name}/${j}`);
  }
}
