// Timestamps: an event's `timestamp` value ──► epoch milliseconds (UTC), or DW_ERR_INVALID_TIMESTAMP.
//
// Pure: the receive time is passed in (it decides a BSD syslog date's year). A value is read
// only by a rule below; anything else is refused, never stored at a wrong time:
//   - RFC 3339 / ISO 8601 `YYYY-MM-DD[(T| )hh:mm[:ss[(.|,)fraction]][Z|±hh[:mm]]]`, with real
//     calendar checks (2020-02-30, 2021-02-29, 25:00 are refused, never moved to another day).
//     A time without an offset ("naive") is UTC, whatever the server's time zone. Second 60 (a
//     leap second) is read as 59.999.
//   - RFC 1123 / 2822 `Fri, 04 Dec 2026 12:00:00 GMT` (GMT, UTC, Z or ±hhmm; the weekday must fit).
//   - BSD syslog `Dec  4 12:00:00[.ffffff]` (no year, no zone): UTC, in the receive time's year, or
//     the previous year when that would put it more than one day after the receive time (a
//     December line read in January).
//   - Epoch numbers (or strings of digits), told apart by magnitude |n|:
//       |n| < 1e11 seconds (until year 5138), < 1e14 milliseconds, < 1e17 microseconds, else
//       nanoseconds. So epoch milliseconds before 1973-03-03 read as seconds: send those as text.
//   - A Date (msgpack's timestamp extension) as it is.
// The result lies in years 1-9999 (the range toISOString() writes with four digits).
import { DwError } from '../../src/core/errors.js';

// 0001-01-01T00:00:00Z as a literal: Date.UTC(1, 0, 1) is 1901 (years 0-99 mean 1900-1999).
export const MIN_TS = -62_135_596_800_000;
export const MAX_TS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const DAY_MS = 86_400_000;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const RFC1123 = /^([A-Za-z]{3}),\s+(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s+(GMT|UTC|UT|Z|[+-]\d{4})$/;
const BSD = /^([A-Za-z]{3})\s+(\d{1,2})\s+(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const DIGITS = /^-?\d+(?:\.\d+)?$/;

/** The reason alone is in `details.reason`, for callers that name the event first. */
const refuse = (v: unknown, why: string): DwError => {
  const reason = `timestamp ${JSON.stringify(String(v)).slice(0, 80)} ${why}`;
  return new DwError('DW_ERR_INVALID_TIMESTAMP', reason, { reason });
};

/** Milliseconds since the epoch of a UTC calendar date and time, or NaN when the date or time does not exist. */
export function utcMillis(year: number, month: number, day: number, h = 0, mi = 0, s = 0, ms = 0): number {
  if (month < 1 || month > 12 || day < 1 || h > 23 || mi > 59 || s > 60) return NaN;
  const d = new Date(0);
  d.setUTCFullYear(year, month, 0); // day 0 of the next month: the last day of this one
  if (day > d.getUTCDate()) return NaN;
  // A leap second (:60) is read as the last millisecond of second 59.
  const [sec, milli] = s === 60 ? [59, 999] : [s, ms];
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(h, mi, sec, milli);
  return d.getTime();
}

function fromEpoch(n: number, v: unknown): number {
  if (!Number.isFinite(n)) throw refuse(v, 'is not a finite number');
  const a = Math.abs(n);
  if (a < 1e11) return n * 1000;
  if (a < 1e14) return n;
  if (a < 1e17) return n / 1000;
  return n / 1e6;
}

function fromIso(m: RegExpExecArray, v: string): number {
  const frac = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const local = utcMillis(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), frac);
  if (Number.isNaN(local)) throw refuse(v, 'names a date or time that does not exist');
  if (m[9] === undefined) return local; // Z, or naive: UTC
  const oh = Number(m[10]);
  const om = Number(m[11] ?? 0);
  if (oh > 23 || om > 59) throw refuse(v, 'has an offset out of range');
  const offset = (oh * 60 + om) * 60_000;
  return m[9] === '+' ? local - offset : local + offset;
}

function fromRfc1123(m: RegExpExecArray, v: string): number {
  const month = MONTHS.indexOf(m[3].toLowerCase()) + 1;
  if (month === 0) throw refuse(v, 'has an unknown month name');
  const t = utcMillis(Number(m[4]), month, Number(m[2]), Number(m[5]), Number(m[6]), Number(m[7]));
  if (Number.isNaN(t)) throw refuse(v, 'names a date or time that does not exist');
  if (WEEKDAYS[new Date(t).getUTCDay()] !== m[1].toLowerCase()) throw refuse(v, 'has a weekday that does not fit its date');
  const z = m[8];
  if (z[0] !== '+' && z[0] !== '-') return t;
  const offset = (Number(z.slice(1, 3)) * 60 + Number(z.slice(3, 5))) * 60_000;
  return z[0] === '+' ? t - offset : t + offset;
}

/** A BSD syslog date (no year): the receive time's year, or the one before if that is more than a day ahead. */
function fromBsd(m: RegExpExecArray, v: string, receivedAt: number): number {
  const month = MONTHS.indexOf(m[1].toLowerCase()) + 1;
  if (month === 0) throw refuse(v, 'has an unknown month name');
  const frac = m[6] === undefined ? 0 : Number(m[6].padEnd(3, '0').slice(0, 3));
  const at = (year: number): number => utcMillis(year, month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), frac);
  const year = new Date(receivedAt).getUTCFullYear();
  let t = at(year);
  // A date missing from the year the rule picks (Feb 29) is refused, not moved.
  if (t > receivedAt + DAY_MS) t = at(year - 1);
  if (Number.isNaN(t)) throw refuse(v, 'names a date or time that does not exist');
  return t;
}

/**
 * Reads an event's timestamp (rules at the top of this file). `receivedAt` is the receive time
 * in epoch ms. Throws DW_ERR_INVALID_TIMESTAMP for anything it cannot read exactly.
 */
export function parseTimestamp(v: unknown, receivedAt: number): number {
  let ms: number;
  if (typeof v === 'number') ms = fromEpoch(v, v);
  else if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'string') ms = parseString(v.trim(), receivedAt);
  else throw refuse(v, 'must be an RFC 3339 string or an epoch number');
  if (!Number.isFinite(ms)) throw refuse(v, 'is not a valid time');
  if (ms < MIN_TS || ms > MAX_TS) throw refuse(v, 'is outside years 1-9999');
  return ms;
}

const D0 = 48;
/** The digit at s[i], or -1. */
const digit = (s: string, i: number): number => { const c = s.charCodeAt(i) - D0; return c >= 0 && c <= 9 ? c : -1; };
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * The common shape, read without the ISO regexp: `YYYY-MM-DDThh:mm:ss[.fff]Z` (what
 * toISOString() and most shippers write), year 1000-9999, second 0-59. NaN: not that shape (or
 * not an existing date), left to the general rules, which then decide (and word any refusal).
 */
function fastIso(s: string): number {
  const n = s.length;
  if ((n !== 20 && n !== 24) || s.charCodeAt(n - 1) !== 90 /* Z */ || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 ||
      s.charCodeAt(10) !== 84 /* T */ || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const y0 = digit(s, 0), y1 = digit(s, 1), y2 = digit(s, 2), y3 = digit(s, 3);
  const mo0 = digit(s, 5), mo1 = digit(s, 6), d0 = digit(s, 8), d1 = digit(s, 9);
  const h0 = digit(s, 11), h1 = digit(s, 12), mi0 = digit(s, 14), mi1 = digit(s, 15), s0 = digit(s, 17), s1 = digit(s, 18);
  if ((y0 | y1 | y2 | y3 | mo0 | mo1 | d0 | d1 | h0 | h1 | mi0 | mi1 | s0 | s1) < 0 || y0 === 0) return NaN;
  let ms = 0;
  if (n === 24) {
    const f0 = digit(s, 20), f1 = digit(s, 21), f2 = digit(s, 22);
    if (s.charCodeAt(19) !== 46 /* . */ || (f0 | f1 | f2) < 0) return NaN;
    ms = f0 * 100 + f1 * 10 + f2;
  }
  const year = y0 * 1000 + y1 * 100 + y2 * 10 + y3;
  const month = mo0 * 10 + mo1;
  const day = d0 * 10 + d1;
  const h = h0 * 10 + h1, mi = mi0 * 10 + mi1, sec = s0 * 10 + s1;
  if (month < 1 || month > 12 || day < 1 || h > 23 || mi > 59 || sec > 59) return NaN;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (leap ? 1 : 0)) return NaN;
  return Date.UTC(year, month - 1, day, h, mi, sec, ms);
}

function parseString(s: string, receivedAt: number): number {
  const fast = fastIso(s);
  if (!Number.isNaN(fast)) return fast;
  let m = ISO.exec(s);
  if (m !== null) return fromIso(m, s);
  if (DIGITS.test(s)) return fromEpoch(Number(s), s);
  m = BSD.exec(s);
  if (m !== null) return fromBsd(m, s, receivedAt);
  m = RFC1123.exec(s);
  if (m !== null) return fromRfc1123(m, s);
  throw refuse(s, 'is not RFC 3339, RFC 1123, a BSD syslog date or an epoch number');
}
