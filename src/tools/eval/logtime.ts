// Event times of Loghub lines: each log's own timestamps, parsed from the fields its format has.
//
//   lines ─► try each format on the lines ─► the format that stamps the most lines (at least half)
//        │                                        │ none: no timestamp in this log
//        ▼                                        ▼
//   per line: its own time (ms, read as UTC)    base + i ms (the old spacing), said in `how`
//   a line the format does not match (a continuation) takes the previous line's time
//   formats without a year (syslog, Android, Proxifier) start in 2000; a stamp more than a day
//   before the previous one is the year turning (as syslog readers guess it)
//
// Lines are kept in file order: a log whose stamps go back and forth (HPC_2k's nodes) is fed
// as written, and `backwards` counts the steps back.

export const SPACED_BASE = 1_700_000_000_000;
const DAY = 86_400_000;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** One format: a name, and a parser from a line to [year or NaN (none), month 1-12, day, h, m, s, ms] or an epoch in ms. */
interface Format {
  name: string;
  /** True when the format carries no year. */
  yearless?: boolean;
  parse: (line: string) => number | null;
}

const utc = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number | null => {
  if (!(mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 60)) return null;
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
};
const frac = (f: string | undefined): number => (f === undefined || f === '' ? 0 : Math.round(Number(`0.${f}`) * 1000));
const century = (yy: number): number => (yy < 70 ? 2000 + yy : 1900 + yy);

/** Epoch seconds in one of the first six fields (BGL, Thunderbird: the first; HPC: the fifth). */
const EPOCH_MIN = 946_684_800; // 2000-01-01
const EPOCH_MAX = 1_900_000_000;
function epochField(line: string): number | null {
  let at = 0;
  for (let f = 0; f < 6; f++) {
    while (line.charCodeAt(at) === 32) at++;
    const sp = line.indexOf(' ', at);
    const end = sp < 0 ? line.length : sp;
    const tok = line.slice(at, end);
    if (tok.length === 10 && /^\d{10}$/.test(tok)) {
      const s = Number(tok);
      if (s >= EPOCH_MIN && s <= EPOCH_MAX) return s * 1000 + bglFraction(line, s);
    }
    if (sp < 0) break;
    at = sp + 1;
  }
  return null;
}

/** BGL writes the same second again with microseconds (`2005-06-03-15.42.50.675872`, local time): its fraction when its seconds agree. */
const BGL_STAMP = /\d{4}-\d\d-\d\d-\d\d\.\d\d\.(\d\d)\.(\d{6})/;
function bglFraction(line: string, epochS: number): number {
  const m = BGL_STAMP.exec(line.slice(0, 120));
  return m !== null && Number(m[1]) === epochS % 60 ? frac(m[2]) : 0;
}

const ISO = /(\d{4})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:[.,](\d{1,6}))?/;
const HDFS = /^(\d\d)(\d\d)(\d\d) (\d\d)(\d\d)(\d\d) /;
const SLASHED = /^(\d\d)\/(\d\d)\/(\d\d) (\d\d):(\d\d):(\d\d)/;
const APACHE = /^\[\w{3} (\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d) (\d{4})\]/;
const COMPACT = /^(\d{4})(\d\d)(\d\d)-(\d{1,2}):(\d{1,2}):(\d{1,2})(?::(\d{1,3}))?/;
const MONTH_DAY = /^(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,6}))?/;
const SYSLOG = /^(\w{3}) +(\d{1,2}) (\d\d):(\d\d):(\d\d)/;
const BRACKET_MD = /^\[(\d\d)\.(\d\d) (\d\d):(\d\d):(\d\d)\]/;

const month = (name: string): number => MONTHS.indexOf(name.toLowerCase()) + 1;

/** In order of precedence (a tie in lines stamped goes to the earlier). */
export const LOG_TIME_FORMATS: readonly Format[] = [
  { name: 'epoch seconds field', parse: epochField },
  { name: 'yyyy-MM-dd HH:mm:ss[.fff]', parse: (l) => { const m = ISO.exec(l.slice(0, 120)); return m === null ? null : utc(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], frac(m[7])); } },
  { name: 'yyMMdd HHmmss', parse: (l) => { const m = HDFS.exec(l); return m === null ? null : utc(century(+m[1]), +m[2], +m[3], +m[4], +m[5], +m[6], 0); } },
  { name: 'yy/MM/dd HH:mm:ss', parse: (l) => { const m = SLASHED.exec(l); return m === null ? null : utc(century(+m[1]), +m[2], +m[3], +m[4], +m[5], +m[6], 0); } },
  { name: '[EEE MMM dd HH:mm:ss yyyy]', parse: (l) => { const m = APACHE.exec(l); return m === null ? null : utc(+m[6], month(m[1]), +m[2], +m[3], +m[4], +m[5], 0); } },
  { name: 'yyyyMMdd-H:m:s:SSS', parse: (l) => { const m = COMPACT.exec(l); return m === null ? null : utc(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7] === undefined ? 0 : +m[7]); } },
  { name: 'MM-dd HH:mm:ss.SSS (no year)', yearless: true, parse: (l) => { const m = MONTH_DAY.exec(l); return m === null ? null : utc(2000, +m[1], +m[2], +m[3], +m[4], +m[5], frac(m[6])); } },
  { name: 'syslog MMM dd HH:mm:ss (no year)', yearless: true, parse: (l) => { const m = SYSLOG.exec(l); return m === null || month(m[1]) === 0 ? null : utc(2000, month(m[1]), +m[2], +m[3], +m[4], +m[5], 0); } },
  { name: '[MM.dd HH:mm:ss] (no year)', yearless: true, parse: (l) => { const m = BRACKET_MD.exec(l); return m === null ? null : utc(2000, +m[1], +m[2], +m[3], +m[4], +m[5], 0); } },
];

export interface LogTimes {
  /** Per line, its event time in ms. */
  ts: number[];
  /** How: the format and the lines it stamped, or the fallback. */
  how: string;
  /** Lines whose own timestamp was read. */
  stamped: number;
  /** Steps back in time from one line to the next (after the year guess). */
  backwards: number;
}

/** Lines stamped i ms apart from SPACED_BASE: no timestamps (the old `eval logs` spacing). */
export function spacedTimes(n: number, why: string): LogTimes {
  return { ts: Array.from({ length: n }, (_, i) => SPACED_BASE + i), how: `line i at ${SPACED_BASE} + i ms (${why})`, stamped: 0, backwards: 0 };
}

/** Each line's own time, by the format that stamps the most lines; i ms spacing when none stamps half of them. */
export function logTimes(lines: readonly string[]): LogTimes {
  const sample = lines.length <= 400 ? lines : lines.filter((_, i) => i % Math.ceil(lines.length / 400) === 0);
  let best: Format | null = null;
  let bestHits = 0;
  for (const f of LOG_TIME_FORMATS) {
    let hits = 0;
    for (const l of sample) if (f.parse(l) !== null) hits++;
    if (hits > bestHits) {
      best = f;
      bestHits = hits;
    }
  }
  if (best === null || bestHits * 2 < sample.length) return spacedTimes(lines.length, 'no timestamp format stamps half of its lines');
  const ts: number[] = [];
  let stamped = 0;
  let backwards = 0;
  let years = 0;
  let prev = Number.NaN;
  for (const l of lines) {
    let t = best.parse(l);
    if (t !== null) {
      stamped++;
      if (best.yearless) {
        t = shiftYears(t, years);
        // A year-less stamp more than a day before the previous line's: the year turned.
        if (t < prev - DAY) {
          years++;
          t = shiftYears(t, 1);
        }
      }
    }
    // A continuation line (no stamp of its own) takes the previous line's time; leading ones the first stamp's.
    const v = t ?? (Number.isNaN(prev) ? firstStamp(lines, best) : prev);
    if (v < prev) backwards++;
    ts.push(v);
    prev = v;
  }
  return { ts, how: `${best.name}, ${stamped} of ${lines.length} lines stamped${stamped < lines.length ? ' (the others take the previous line\'s time)' : ''}${backwards > 0 ? `; ${backwards} steps back in time, fed in file order` : ''}`, stamped, backwards };
}

function shiftYears(t: number, k: number): number {
  if (k === 0) return t;
  const d = new Date(t);
  d.setUTCFullYear(d.getUTCFullYear() + k);
  return d.getTime();
}

function firstStamp(lines: readonly string[], f: Format): number {
  for (const l of lines) {
    const t = f.parse(l);
    if (t !== null) return t;
  }
  return SPACED_BASE;
}
