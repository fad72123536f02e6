// Empirical p-values against a detector's own null sample: the stream's recent values of the
// same statistic, in stream order (a calibrated null), not a permutation of lines: no
// recompression per test, and the statistic is computed on normalised lines, so counters and
// clocks do not shift it (test/workers/pvalue.unit.test.ts measures the level on such a stream).
/**
 * Empirical p-value of x against a null sample: (1 + #{v ≥ x}) / (1 + n), valid (conservative)
 * when x and the sample are exchangeable under the null; the smallest it can say is 1 / (n + 1).
 */
export function empiricalP(sample: ArrayLike<number>, x: number): number {
  let ge = 0;
  for (let i = 0; i < sample.length; i++) if (sample[i] >= x) ge++;
  return (1 + ge) / (1 + sample.length);
}

/** A p-value for an explanation, with what it was computed against ("p = 0.031 against the last 64 windows"). */
export function formatP(p: number, n: number, what: string): string {
  return p <= 1 / (n + 1)
    ? `p ≤ ${(1 / (n + 1)).toPrecision(2)}: none of the last ${n} ${what} as high`
    : `p = ${p.toPrecision(2)} against the last ${n} ${what}`;
}
