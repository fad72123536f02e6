// Rounding to 6 significant digits as the states store shares and means: Number(x.toPrecision(6)),
// without the string and its parse (mix.ts rounds every long-run share at each hop's end; it was
// the larger part of that step).
//
// For x > 0 the scaled value s = x · 10^k (1e5 ≤ s < 1e6) is within 2^-33 of the exact product;
// away from a tie (more than 1e-6 from .5) it rounds as toPrecision rounds the exact decimal, and
// the 6 digits d over 10^k (both exact doubles, one correctly rounded division) is the double
// nearest d · 10^-k, which is what parsing toPrecision's string gives. Anything else (a near-tie,
// zero, a negative, NaN, a scale beyond 10^±22) takes toPrecision itself.
// test/workers/round.unit.test.ts compares the two on random values, near-ties included.

/** 10^0 … 10^22, each exact as a double. */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

/** Number(x.toPrecision(6)), bit for bit. */
export function round6(x: number): number {
  if (x > 0 && x < 1e22) {
    let k = 5 - Math.floor(Math.log10(x));
    if (k >= 0 && k <= 22) {
      let s = x * POW10[k];
      // log10 may land one decade off next to a power of ten.
      if (s >= 1e6 && k > 0) s = x * POW10[--k];
      else if (s < 1e5 && k < 22) s = x * POW10[++k];
      if (s >= 1e5 && s < 1e6) {
        const r = Math.floor(s);
        const frac = s - r;
        if (Math.abs(frac - 0.5) > 1e-6) return (frac > 0.5 ? r + 1 : r) / POW10[k];
      }
    }
  }
  return Number(x.toPrecision(6));
}

/**
 * Number(x.toFixed(digits)), bit for bit, for digits 0 … 6 (text-quarantine.ts rounds the
 * stream's pace on every line; scores are rounded to 4 places). For |x · 10^digits| < 1e9 the
 * product is within 1.2e-7 of the exact one; away from a tie (more than 1e-6 from .5) its nearest
 * integer r is the one toFixed picks, and r / 10^digits (one correctly rounded division of exact
 * doubles) is the double nearest the decimal toFixed writes; a value that rounds to zero is 0, or -0
 * when negative (toFixed writes -0 as 0, and a small negative as -0.000…). A near-tie, NaN or a
 * larger value takes toFixed itself.
 */
export function fixed(x: number, digits: number): number {
  const p = POW10[digits];
  const y = x * p;
  if (y > -1e9 && y < 1e9) {
    const r = Math.round(y);
    if (Math.abs(y - r) < 0.5 - 1e-6) {
      if (r !== 0) return r / p;
      // toFixed writes 0 (0.0000, and -0 as 0) or, for a negative x, -0.0000, which reads back as -0.
      // (Most calls are of an exact 0: a stream's decayed count of error lines that never had one.)
      return x < 0 ? -0 : 0;
    }
  }
  return Number(x.toFixed(digits));
}
