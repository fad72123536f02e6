// What a slot's value stands for when logs-repeat.ts counts a value's recurrences in a template's
// lines (a value burst, and a fleet wave's lines each of a different id: logs-fold.ts foldWave).
//
//   the line's time: a clock or a date (12:03:04, 2026-03-02…), or epoch seconds or milliseconds
//        within a day of the line's event time (Mosquitto's `1790481614:` prefix): every line of
//        the same second shares it, it is no id → not counted
//   an IPv4 address with its port (10.65.184.60:36472) → its address: a client's ports are
//        ephemeral, the address is who it is (one source's refused logins, each from a new port)
//   anything else → the token itself

/** A time of day (12:03:04, 12:03:04.123) or a date (2026-03-02…): not an id. */
const CLOCK = /^(\d{1,2}:\d{2}(:\d{2})?([.,]\d+)?|\d{4}-\d{2}-\d{2}.*)$/;

/** Epoch seconds (10 digits) or milliseconds (13), a fraction and a trailing colon allowed. */
const EPOCH = /^(\d{10}|\d{13})(?:\.\d+)?:?$/;
/** An epoch number within this many seconds of the line's event time is its time. */
const EPOCH_SLACK_S = 86_400;

/** An IPv4 address and a port, a trailing comma, period or semicolon allowed: the address. */
const ADDRESS_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}[,.;]?$/;

/** What to count: the token itself. */
export const TOKEN = '';

/**
 * Token `tok`'s value from `cut` on, of a line at event time `ts`: null when it is the line's time
 * (not counted), TOKEN when the token itself is counted, else the address it holds with a port.
 */
export function slotEntity(tok: string, cut: number, ts: number): string | null {
  // All three begin with a digit: most values are ruled out without a regular expression.
  const c0 = tok.charCodeAt(cut);
  if (!(c0 >= 48 && c0 <= 57)) return TOKEN;
  const v = cut === 0 ? tok : tok.slice(cut);
  if (CLOCK.test(v)) return null;
  const e = EPOCH.exec(v);
  if (e !== null) {
    const sec = e[1].length === 13 ? Number(e[1]) / 1000 : Number(e[1]);
    return Math.abs(sec - ts / 1000) <= EPOCH_SLACK_S ? null : TOKEN;
  }
  const a = ADDRESS_PORT.exec(v);
  return a === null ? TOKEN : a[1];
}
