import { describe, expect, it } from 'vitest';
import { fixed, round6 } from '../../workers/detectors/round.js';

const ref = (x: number): number => Number(x.toPrecision(6));
const same = (x: number): void => {
  const got = round6(x);
  if (!Object.is(got, ref(x))) expect(got, `round6(${x})`).toBe(ref(x));
};

describe('round6', () => {
  it('is Number(x.toPrecision(6)) on random values of every magnitude', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 300_000; i++) {
      const e = Math.floor(rnd() * 44) - 22;
      same(rnd() * 10 ** e);
      same(rnd());
    }
  });

  it('is Number(x.toPrecision(6)) at and next to ties and powers of ten', () => {
    let seed = 11;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const buf = new Float64Array(1);
    const bits = new BigInt64Array(buf.buffer);
    const around = (x: number): void => {
      buf[0] = x;
      const b = bits[0];
      for (let d = -3n; d <= 3n; d++) {
        bits[0] = b + d;
        same(buf[0]);
      }
    };
    for (let i = 0; i < 50_000; i++) {
      const k = Math.floor(rnd() * 20);
      const n = 100_000 + Math.floor(rnd() * 900_000);
      around((n + 0.5) / 10 ** k);
      around(n / 10 ** k);
    }
    for (let m = -22; m <= 22; m++) around(10 ** m);
  });

  it('takes toPrecision for zero, negatives, huge values and NaN', () => {
    for (const x of [0, -0, -1.2345678, 1e300, -1e-300, 5e-324, Number.NaN, Infinity, -Infinity, 1e22, 9.999995e21]) {
      expect(Object.is(round6(x), ref(x)), String(x)).toBe(true);
    }
  });
});

describe('fixed', () => {
  const same = (x: number, d: number): void => {
    const want = Number(x.toFixed(d));
    const got = fixed(x, d);
    if (!Object.is(got, want)) expect(got, `fixed(${x}, ${d})`).toBe(want);
  };

  it('is Number(x.toFixed(d)) on random values of every magnitude, both signs', () => {
    let seed = 5;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 200_000; i++) {
      const e = Math.floor(rnd() * 30) - 15;
      const x = (rnd() - 0.3) * 10 ** e;
      for (let d = 0; d <= 6; d++) same(x, d);
    }
  });

  it('is Number(x.toFixed(d)) at and next to ties', () => {
    let seed = 13;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const buf = new Float64Array(1);
    const bits = new BigInt64Array(buf.buffer);
    for (let i = 0; i < 30_000; i++) {
      const d = Math.floor(rnd() * 7);
      const n = Math.floor(rnd() * 10 ** (1 + Math.floor(rnd() * 8))) * (rnd() < 0.2 ? -1 : 1);
      for (const x of [(n + 0.5) / 10 ** d, n / 10 ** d]) {
        buf[0] = x;
        const b = bits[0];
        for (let k = -3n; k <= 3n; k++) {
          bits[0] = b + k;
          same(buf[0], d);
        }
      }
    }
  });

  it('is Number(x.toFixed(d)) for zeros, values that round to zero, huge values and NaN', () => {
    for (const x of [0, -0, 1e-9, -1e-9, 0.0004, -0.0004, 1e9, -1e9, 1e300, Number.NaN, Infinity, -Infinity]) {
      for (let d = 0; d <= 6; d++) expect(Object.is(fixed(x, d), Number(x.toFixed(d))), `${x} ${d}`).toBe(true);
    }
  });
});
