// A log line that is one CSV record ("2026-08-22 21:31:21","","1285","+37181201449",1812,1800,
// "ANSWERED",61.3,"USD","trunk-intl","1787434281.4972": a rated CDR, a billing or audit export) as
// the template miner's input: its columns as key=value words named by position (colA, colB, ...,
// as a spreadsheet names them), as json-line.ts does for a JSON record's fields, so that each
// column is a slot (a disposition, a currency, a cost) judged on its own. Without it the record
// was split only at the spaces inside its quoted values: one template of 3 tokens, whose first
// slot was `"2026-08-22` (a date read as a category: news at midnight), the rest one long token.
//
//   line ─► CSV? at least MIN_COLUMNS fields separated by ',', each either quoted ("..." with ""
//        │  for a quote) or bare; no whitespace outside the quotes (a line of prose with commas,
//        │  `Auto fallthrough, channel 'SIP/1285' status is 'BUSY'`, has some), at least one
//        │  quoted field or every bare field a plain number (`1,0,3,17,2`)
//        ▼
//   words colA=<value> colB=<value> ...: an empty value is `-` (as an access log writes an empty
//   field), a value's own whitespace is kept (a quoted message stays words, as a JSON value's), a
//   quoted number keeps its quotes (`colD="441217758925"`: a number the writer quoted is text, a
//   callee's number or an account, not a quantity; its magnitude is never judged, 7.9× its typical)
// Anything else: null, and the line is scanned as it is.

/** The fewest fields a CSV record has here: fewer is more often a line with a comma or two in it. */
export const MIN_COLUMNS = 5;

/** A column's name from its index: A, B, ..., Z, AA, AB, ... (no digit: a key with one is no key to the miner). */
function columnName(i: number): string {
  let s = '';
  for (let k = i + 1; k > 0; k = Math.floor((k - 1) / 26)) s = String.fromCharCode(65 + ((k - 1) % 26)) + s;
  return `col${s}`;
}

const NAMES: string[] = [];
function nameOf(i: number): string {
  while (NAMES.length <= i) NAMES.push(columnName(NAMES.length));
  return NAMES[i];
}

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

/** The fields of a one-line CSV record as `colX=value` words, or null when the line is not one. */
export function csvWords(text: string): string[] | null {
  const n = text.length;
  // Cheap refusals first: no comma, or a JSON object (json-line.ts reads those).
  if (n < 2 * MIN_COLUMNS - 1 || text.charCodeAt(0) === 123 || text.indexOf(',') < 0) return null;
  const words: string[] = [];
  let quoted = false;
  let bareOnlyNumbers = true;
  let i = 0;
  for (;;) {
    let value: string;
    if (text.charCodeAt(i) === 34 /* " */) {
      quoted = true;
      let v = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        v += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          v += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // A quoted number is text to the writer (a phone number, an account, an extension: CSV writers
      // quote strings, not quantities): it keeps its quotes, so it is never judged as a number.
      value = PLAIN_NUMBER.test(v) ? `"${v}"` : v;
    } else {
      let j = i;
      while (j < n) {
        const c = text.charCodeAt(j);
        if (c === 44) break;
        if (c === 34 || c === 32 || c === 9) return null;
        j++;
      }
      value = text.slice(i, j);
      if (value !== '' && !PLAIN_NUMBER.test(value)) bareOnlyNumbers = false;
      i = j;
    }
    words.push(`${nameOf(words.length)}=${value === '' ? '-' : value}`);
    if (i === n) break;
    if (text.charCodeAt(i) !== 44) return null;
    i++;
  }
  return words.length >= MIN_COLUMNS && (quoted || bareOnlyNumbers) ? words : null;
}
