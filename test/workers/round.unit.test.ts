import { describe, expect, it } from 'vitest';
import { round6 } from '../../workers/detectors/round.js';

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
