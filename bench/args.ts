// Small shared pieces of the benches: a numeric command-line option and a quantile.

/** The number after `name` on the command line (`--rounds 5`), or `dflt` when the option is absent. */
export function numberArg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i === -1 ? dflt : Number(process.argv[i + 1]);
}

/** The q-quantile of xs (nearest rank, xs not changed); NaN when empty. */
export const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};
