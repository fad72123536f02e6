// A seeded random source for the data generators: the same seed gives the same data on every
// machine (mulberry32; not for anything secret).

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  /** true with probability p. */
  chance(p: number): boolean;
  /** Exponential with the given mean (inter-arrival times). */
  exp(mean: number): number;
  /** Lower-case hex id of n characters. */
  hex(n: number): string;
}

/** A standard normal draw (Box-Muller). */
export function gauss(r: Random): number {
  return Math.sqrt(-2 * Math.log(1 - r.next())) * Math.cos(2 * Math.PI * r.next());
}

/** A run's clock and draws (the queue, iot, pay, ml and voip generators), all from one seeded source. */
export interface RunClock {
  /** Arrival times in [t0, end) of a Poisson process following `rate` (at most `peak`), `perSecond` on average at rate 1. */
  arrivals: (perSecond: number) => number[];
  /** A log-normal draw around `median`. */
  around: (median: number, spread?: number) => number;
  /** A random (v4) UUID. */
  uuid: () => string;
}

export function runClock(r: Random, t0: number, end: number, rate: (t: number) => number, peak: number): RunClock {
  return {
    arrivals: (perSecond) => {
      const out: number[] = [];
      const max = perSecond * peak;
      for (let t = t0 + r.exp(1000 / max); t < end; t += r.exp(1000 / max)) if (r.next() * peak < rate(t)) out.push(Math.round(t));
      return out;
    },
    around: (median, spread = 0.4) => median * Math.exp(spread * gauss(r)),
    uuid: () => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`,
  };
}

export function seeded(seed: number): Random {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (xs) => xs[Math.floor(next() * xs.length)],
    chance: (p) => next() < p,
    exp: (mean) => -Math.log(1 - next()) * mean,
    hex: (n) => { let s = ''; for (let i = 0; i < n; i++) s += Math.floor(next() * 16).toString(16); return s; },
  };
}

/**
 * A start for a run of `length` events, drawn in [lo, hi] (up to 1,000 draws) so that it keeps
 * `spacing` events from every run already `placed`; undefined when no draw fits.
 */
export function placeApart(r: Random, placed: readonly { at: number; length: number }[], length: number, lo: number, hi: number, spacing: number): number | undefined {
  for (let tries = 0; tries < 1000; tries++) {
    const at = r.int(lo, hi);
    if (placed.every((p) => at + length + spacing <= p.at || p.at + p.length + spacing <= at)) return at;
  }
  return undefined;
}

/**
 * Incident times in event time (the queue and iot generators): the function returned gives a time
 * in [from, to - span] (by default [lo, hi - span]) at least 5 s from every stretch in `busy` (up
 * to 500 draws; the last draw when none fits), and adds its own stretch [t, t + span] to `busy`.
 */
export function timeApart(r: Random, lo: number, hi: number, busy: [number, number][]): (span?: number, from?: number, to?: number) => number {
  return (span = 0, from = lo, to = hi) => {
    let t = from;
    for (let tries = 0; tries < 500; tries++) {
      t = from + Math.floor(r.next() * (to - from - span));
      if (busy.every(([a, b]) => t + span + 5000 <= a || t >= b + 5000)) break;
    }
    busy.push([t, t + span]);
    return t;
  };
}

/**
 * Positions of one stream's planted anomalies: `perKind` of each of `kinds`, in that order; the
 * `run` kind a run of min-max events (its length drawn first), every other kind one event; each
 * placed after `warmup` and `spacing` apart (placeApart), none past the stream's `events`; in order
 * of position. A kind that finds no place is left out.
 */
export function plantKinds<K extends string>(
  r: Random, kinds: readonly K[], perKind: number, events: number, run: { kind: K; min: number; max: number }, warmup: number, spacing: number,
): { at: number; kind: K; length: number }[] {
  const out: { at: number; kind: K; length: number }[] = [];
  for (const kind of kinds) {
    for (let n = 0; n < perKind; n++) {
      const length = kind === run.kind ? r.int(run.min, run.max) : 1;
      const at = placeApart(r, out, length, warmup, events - length - 1, spacing);
      if (at !== undefined) out.push({ at, kind, length });
    }
  }
  return out.sort((a, b) => a.at - b.at);
}

/** A weighted pick from objects with a `share` (the ml and voip generators). */
export function byShare<T extends { share: number }>(r: Random, xs: readonly T[]): T {
  let u = r.next() * xs.reduce((a, x) => a + x.share, 0);
  for (const x of xs) { u -= x.share; if (u < 0) return x; }
  return xs[xs.length - 1];
}
