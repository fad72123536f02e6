import { describe, expect, it } from 'vitest';
import { parseTimestamp } from '../../engine/transforms/timestamps.js';

// Received at 2026-12-04T12:00:00Z unless a row says otherwise.
const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
const iso = (v: unknown, at = NOW): string => new Date(parseTimestamp(v, at)).toISOString();
const code = (v: unknown, at = NOW): string | undefined => {
  try { parseTimestamp(v, at); } catch (err) { return (err as { code: string }).code; }
  return undefined;
};

describe('parseTimestamp: forms read exactly', () => {
  const cases: Array<[unknown, string, number?]> = [
    ['2026-12-04T14:00:00Z', '2026-12-04T14:00:00.000Z'],
    ['2026-12-04T14:00:00z', '2026-12-04T14:00:00.000Z'],
    ['2026-12-04t14:00:00Z', '2026-12-04T14:00:00.000Z'],
    ['2026-12-04T14:00:00.123Z', '2026-12-04T14:00:00.123Z'],
    ['2026-12-04T14:00:00.123456789Z', '2026-12-04T14:00:00.123Z'],
    ['2026-12-04T14:00:00,5Z', '2026-12-04T14:00:00.500Z'],
    ['2026-12-04T14:00:00+02:00', '2026-12-04T12:00:00.000Z'],
    ['2026-12-04T14:00:00-05:30', '2026-12-04T19:30:00.000Z'],
    ['2026-12-04T14:00:00+0200', '2026-12-04T12:00:00.000Z'],
    ['2026-12-04T14:00:00+02', '2026-12-04T12:00:00.000Z'],
    ['2026-12-04 14:00:00', '2026-12-04T14:00:00.000Z'], // naive: UTC
    ['2026-12-04T14:00:00', '2026-12-04T14:00:00.000Z'],
    ['2026-12-04 14:00:00,123', '2026-12-04T14:00:00.123Z'], // Python logging
    ['2026-12-04T14:00', '2026-12-04T14:00:00.000Z'],
    ['2026-12-04', '2026-12-04T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'], // a leap second
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0099-06-01T00:00:00Z', '0099-06-01T00:00:00.000Z'], // not 1999
    ['  2026-12-04T14:00:00Z  ', '2026-12-04T14:00:00.000Z'],
    ['Fri, 04 Dec 2026 12:00:00 GMT', '2026-12-04T12:00:00.000Z'],
    ['Fri, 04 Dec 2026 12:00:00 +0100', '2026-12-04T11:00:00.000Z'],
    ['Dec  4 12:00:00', '2026-12-04T12:00:00.000Z'],
    ['Dec  5 11:59:59', '2026-12-05T11:59:59.000Z'], // within a day ahead: this year
    ['Dec 31 23:00:00', '2025-12-31T23:00:00.000Z', Date.UTC(2026, 0, 1, 0, 30)], // read in January
    ['Jan  1 00:10:00', '2026-01-01T00:10:00.000Z', Date.UTC(2026, 0, 1, 0, 30)],
    ['Dec  4 12:00:00.250', '2026-12-04T12:00:00.250Z'],
    [1796385600, '2026-12-04T12:00:00.000Z'], // seconds
    [1796385600.5, '2026-12-04T12:00:00.500Z'],
    [1796385600000, '2026-12-04T12:00:00.000Z'], // milliseconds
    [1796385600000000, '2026-12-04T12:00:00.000Z'], // microseconds
    [1796385600000000000, '2026-12-04T12:00:00.000Z'], // nanoseconds (as a double)
    ['1796385600', '2026-12-04T12:00:00.000Z'],
    ['1796385600123', '2026-12-04T12:00:00.123Z'],
    [0, '1970-01-01T00:00:00.000Z'],
    [-86400, '1969-12-31T00:00:00.000Z'],
    [new Date(Date.UTC(2026, 11, 4)), '2026-12-04T00:00:00.000Z'],
  ];
  it.each(cases)('%j → %s', (v, want, at) => { expect(iso(v, at)).toBe(want); });
});

describe('parseTimestamp: refused, never moved', () => {
  const bad: unknown[] = [
    '2020-02-30T00:00:00Z', '2021-02-29', '2026-04-31T00:00:00Z', '2026-13-01', '2026-00-10', '2026-12-00',
    '2026-12-04T24:00:00Z', '2026-12-04T23:60:00Z', '2026-12-04T23:00:61Z', '2026-12-04T14:00:00+24:00',
    '2026-12-04T14:00:00+02:60', 'Thu, 04 Dec 2026 12:00:00 GMT', 'Fri, 31 Nov 2026 12:00:00 GMT',
    'Feb 29 12:00:00', 'Foo  4 12:00:00', 'Dec 32 12:00:00', 'soon', '', '12/04/2026', '2026-12-4',
    '+010000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', true, null, undefined, {}, Number.NaN, Infinity,
    1e22, -62135596800001,
  ];
  it.each(bad.map((v) => [v]))('%j', (v) => { expect(code(v)).toBe('DW_ERR_INVALID_TIMESTAMP'); });

  it('a BSD date with Feb 29 is read in a leap year', () => {
    expect(iso('Feb 29 12:00:00', Date.UTC(2028, 5, 1))).toBe('2028-02-29T12:00:00.000Z');
  });
});

describe('parseTimestamp: the YYYY-MM-DDThh:mm:ss[.fff]Z shape read without the regexp', () => {
  it('agrees with Date for 20,000 instants over years 1000-9999, with and without milliseconds', () => {
    let x = 12345;
    const next = (): number => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648; };
    const lo = Date.UTC(1000, 0, 1);
    const hi = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
    for (let i = 0; i < 20_000; i++) {
      const t = Math.floor(lo + next() * (hi - lo));
      const s = new Date(t).toISOString();
      expect(parseTimestamp(s, NOW)).toBe(t);
      expect(parseTimestamp(s.slice(0, 19) + 'Z', NOW)).toBe(t - (t % 1000 + 1000) % 1000);
    }
  });

  it('leaves every other string of that length to the general rules', () => {
    expect(iso('2016-12-31T23:59:60Z')).toBe('2016-12-31T23:59:59.999Z');
    expect(iso('2016-12-31T23:59:60.500Z')).toBe('2016-12-31T23:59:59.999Z');
    expect(iso('0999-12-31T23:59:59.000Z')).toBe('0999-12-31T23:59:59.000Z');
    expect(iso('2026-12-04T14:00:00,123Z')).toBe('2026-12-04T14:00:00.123Z');
    expect(iso('2026-12-04 14:00:00.123Z')).toBe('2026-12-04T14:00:00.123Z');
    for (const v of ['2000-02-29T00:00:00Z', '2400-02-29T00:00:00.000Z']) expect(iso(v)).toBe(new Date(v).toISOString());
    for (const v of ['1900-02-29T00:00:00Z', '2100-02-29T00:00:00.000Z', '2026-06-31T00:00:00Z', '2026-1a-01T00:00:00Z', '2026-12-04T14:00:00.1a3Z']) {
      expect(code(v)).toBe('DW_ERR_INVALID_TIMESTAMP');
    }
  });
});
