// The numeric detector's per-stream state: what it is, a fresh one, and its wire form (version
// 3: binary, the magic bytes "DWN" and the version, then float64 fields in a fixed order and
// length-prefixed arrays), with the migration of every older form.
//
//   bytes ─► "DWN" 3 ─► v 3: fields in order (decodeBinary); the calibration rings, whose
//                        values are hundredths by construction, as int32 hundredths after the
//                        float64 part when every value is one exactly (header byte 4 = 1)
//         ─► JSON ─► v 2 (`{v: 2, kind: 'numeric', ...}`, readable keys): the same fields
//                    v 1 (short keys: lk[14], ef, wv, …; possibly from before the calibration
//                        rings, the time-of-day profile, the row statistics or the forgetting
//                        range) ─► fill what is missing as that version's code did ─► rename
//                    anything else ─► TypeError (wrong stream type, or a newer version)
// A migrated state scores exactly as the version-1 code did from it (test/workers/numeric.test.ts
// replays a stored version-1 state). Version 3 holds the same numbers as version 2 (float64 is
// what JSON round-trips exactly), so it scores the same; it is written and read ~10× faster than
// JSON, which was an eighth of the numeric path's time (docs/nab-experiments.md, Round 9).

export const NUMERIC_STATE_VERSION = 3;

/** A long-run mean and variance (EWMA) of one row-likelihood feature. */
export interface Moments {
  mean: number;
  var: number;
}

/** Row likelihood: the raw features' short and long averages, and each feature's long-run moments. */
export interface RowStats {
  /** A: short EWMA of |z| (over lkShort points). */
  pointDev: number;
  /** B: short EWMA of the median of the last three values, long EWMA of the value, long mean absolute deviation. */
  shortLevel: number;
  longLevel: number;
  longMad: number;
  /** C: short EWMA of z². */
  shortZsq: number;
  /** E: short EWMA of the time-of-week residual (in its own scales). */
  weekDev: number;
  /** Per feature (A, B, C, E): the long-run moments it is judged against. */
  moments: [Moments, Moments, Moments, Moments];
}

export interface NumericState {
  v: 3;
  kind: 'numeric';
  /** Points seen. */
  points: number;
  /** The forecast: Holt level and trend, robust residual scale. */
  level: number;
  trend: number;
  scale: number;
  /** The regime detector: CUSUM sums, EWMA of z². */
  cusumPos: number;
  cusumNeg: number;
  zsq: number;
  /** Point index of the last re-anchoring, or -1. */
  anchoredAt: number;
  /** Warm-up sums for the initial level and scale. */
  warmSum: number;
  warmAbsDiff: number;
  warmLast: number;
  /** The last three values (re-anchoring and feature B use their median, robust to one spike). */
  last3: [number, number, number];
  /** Time-of-day profile: per bucket, EWMA of values and the day of the first visit (sparse); scale of its residuals. */
  dayValues: number[];
  dayFirst: number[];
  dayScale: number;
  /** Calibration rings of recent |z| and CUSUM values (2 decimals), write position, and the quantiles at the last refresh. */
  calZ: number[];
  calCusum: number[];
  calPos: number;
  calZq: number;
  calCusumQ: number;
  /** The regime detector's last re-anchoring: point index, score and kind (refractory period). */
  regimeAt: number;
  regimeScore: number;
  regimeKind: string;
  rows: RowStats;
  /** Points the row likelihood has seen; last point of the current suppression period. */
  rowPoints: number;
  suppressUntil: number;
  /**
   * Range of the recent values (the new-extreme check): completed blocks as [min, max] pairs (a
   * ring of rangeBlocks, next write at rangePos), their overall min and max, and the current
   * block's min, max and count.
   */
  rangeRing: number[];
  rangePos: number;
  ringLo: number;
  ringHi: number;
  blockLo: number;
  blockHi: number;
  blockCount: number;
  /**
   * Published scores above 0 of the last supRows points, as [point, score] pairs with decreasing
   * scores (a monotonic queue: its head is their maximum). Read by findings below the
   * suppression level; the same whatever the task's threshold.
   */
  peaks: number[];
  /**
   * Empirical tails: per feature, decayed counts per bin, and their decayed total of rows, all
   * stored × tailUnit (decay by growing the unit, not by touching every bin; rescaled past 1e9).
   */
  tailBins: number[][];
  tailTotal: number;
  tailUnit: number;
  /** Points the time-of-week feature has judged. */
  weekJudged: number;
  /** Time-of-week profile: per bucket, EWMA of values and the week of the first visit (sparse); scale of its residuals. */
  weekValues: number[];
  weekFirst: number[];
  weekScale: number;
}

type RowPart = Pick<NumericState, 'rows' | 'rowPoints' | 'suppressUntil' | 'weekValues' | 'weekFirst' | 'weekScale' | 'rangeRing' | 'rangePos' | 'ringLo' | 'ringHi' | 'blockLo' | 'blockHi' | 'blockCount' | 'peaks' | 'tailBins' | 'tailTotal' | 'tailUnit' | 'weekJudged'>;

function freshRows(): RowPart {
  const m = (): Moments => ({ mean: 0, var: 0 });
  return {
    rows: { pointDev: 0, shortLevel: 0, longLevel: 0, longMad: 0, shortZsq: 1, weekDev: 0, moments: [m(), m(), m(), m()] },
    rowPoints: 0, suppressUntil: -1, weekValues: [], weekFirst: [], weekScale: 0,
    rangeRing: [], rangePos: 0, ringLo: 0, ringHi: 0, blockLo: 0, blockHi: 0, blockCount: 0,
    peaks: [], tailBins: [], tailTotal: 0, tailUnit: 1, weekJudged: 0,
  };
}

export function freshState(): NumericState {
  return {
    v: 3, kind: 'numeric', points: 0, level: 0, trend: 0, scale: 0, cusumPos: 0, cusumNeg: 0, zsq: 1, anchoredAt: -1,
    warmSum: 0, warmAbsDiff: 0, warmLast: 0, last3: [0, 0, 0], dayValues: [], dayFirst: [], dayScale: 0,
    calZ: [], calCusum: [], calPos: 0, calZq: 0, calCusumQ: 0, regimeAt: -1e9, regimeScore: 0, regimeKind: '',
    ...freshRows(),
  };
}

/** The version-1 form (short keys), as far as the migration reads it. */
type StateV1 = Record<string, unknown> & { n: number; lk?: number[]; ln?: number };

/** Fills what a version-1 state written before some feature lacks, as the version-1 code did. */
function completeV1(s: StateV1): void {
  if (!Array.isArray(s.zr)) Object.assign(s, { zr: [], cr: [], cpos_: 0, zq: 0, cq: 0 });
  if (!Array.isArray(s.sv) || !Array.isArray(s.sday)) Object.assign(s, { sv: [], sday: [], scale2: 0 });
  if (typeof s.lastN !== 'number') Object.assign(s, { lastN: -1e9, lastScore: 0, lastKind: '' });
  if (!Array.isArray(s.lk) || s.lk.length !== 14 || typeof s.eg !== 'number') {
    Object.assign(s, { lk: [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0], ln: 0, lsup: -1, wv: [], wk: [], ws: 0, rb: [], rbp: 0, blo: 0, bhi: 0, clo: 0, chi: 0, cn: 0, pk: [], ef: [], et: 0, eg: 1, ne: 0 });
  }
  // Before the range forgot (a whole-history min and max).
  if (!Array.isArray(s.rb)) Object.assign(s, { rb: [], rbp: 0, blo: 0, bhi: 0, clo: s.smin ?? 0, chi: s.smax ?? 0, cn: (s.ln ?? 0) > 0 ? 1 : 0 });
  if (!Array.isArray(s.pk)) s.pk = [];
}

export function migrateV1(s: StateV1): NumericState {
  completeV1(s);
  const lk = s.lk as number[];
  const num = (k: string): number => s[k] as number;
  const arr = (k: string): number[] => s[k] as number[];
  return {
    v: 3, kind: 'numeric', points: s.n, level: num('level'), trend: num('trend'), scale: num('scale'),
    cusumPos: num('cpos'), cusumNeg: num('cneg'), zsq: num('zsq'), anchoredAt: num('anchor'),
    warmSum: num('sum'), warmAbsDiff: num('sumAbs'), warmLast: num('last'), last3: s.r3 as [number, number, number],
    dayValues: arr('sv'), dayFirst: arr('sday'), dayScale: num('scale2'),
    calZ: arr('zr'), calCusum: arr('cr'), calPos: num('cpos_'), calZq: num('zq'), calCusumQ: num('cq'),
    regimeAt: num('lastN'), regimeScore: num('lastScore'), regimeKind: s.lastKind as string,
    rows: {
      pointDev: lk[0], shortLevel: lk[1], longLevel: lk[2], longMad: lk[3], shortZsq: lk[4], weekDev: lk[11],
      moments: [{ mean: lk[5], var: lk[6] }, { mean: lk[7], var: lk[8] }, { mean: lk[9], var: lk[10] }, { mean: lk[12], var: lk[13] }],
    },
    rowPoints: num('ln'), suppressUntil: num('lsup'), weekValues: arr('wv'), weekFirst: arr('wk'), weekScale: num('ws'),
    rangeRing: arr('rb'), rangePos: num('rbp'), ringLo: num('blo'), ringHi: num('bhi'), blockLo: num('clo'), blockHi: num('chi'), blockCount: num('cn'),
    peaks: arr('pk'), tailBins: s.ef as number[][], tailTotal: num('et'), tailUnit: num('eg'), weekJudged: num('ne'),
  };
}

const dec = new TextDecoder('utf-8', { fatal: true });

/** "DWN" + version: no JSON state starts with "D". */
const MAGIC = [0x44, 0x57, 0x4e, NUMERIC_STATE_VERSION] as const;
const HEADER = 8;
const REGIME_KINDS = ['', 'spike', 'level_shift', 'variance_change'];

/** The scalar fields in wire order (version 3). */
const SCALARS = [
  'points', 'level', 'trend', 'scale', 'cusumPos', 'cusumNeg', 'zsq', 'anchoredAt', 'warmSum', 'warmAbsDiff', 'warmLast',
  'dayScale', 'calPos', 'calZq', 'calCusumQ', 'regimeAt', 'regimeScore', 'rowPoints', 'suppressUntil',
  'rangePos', 'ringLo', 'ringHi', 'blockLo', 'blockHi', 'blockCount', 'tailTotal', 'tailUnit', 'weekJudged', 'weekScale',
] as const satisfies readonly (keyof NumericState)[];
/** Arrays in wire order; sparse ones (a bucket not yet visited: a hole, or null from JSON) travel as NaN and come back as holes. */
const ARRAYS = ['dayValues', 'dayFirst', 'rangeRing', 'peaks', 'weekValues', 'weekFirst'] as const satisfies readonly (keyof NumericState)[];
/** The calibration rings: values rounded to hundredths (numeric.ts calibrate()). */
const RINGS = ['calZ', 'calCusum'] as const satisfies readonly (keyof NumericState)[];

/** Whether every ring value is an int32 number of hundredths that decodes to the same double. */
function ringsAsHundredths(s: NumericState): boolean {
  for (const k of RINGS) {
    for (const v of s[k]) {
      const h = Math.round(v * 100);
      if (!(Math.abs(h) <= 0x7fffffff && h / 100 === v)) return false;
    }
  }
  return true;
}
const SPARSE = new Set<string>(['dayValues', 'dayFirst', 'weekValues', 'weekFirst']);
const ROW_SCALARS = ['pointDev', 'shortLevel', 'longLevel', 'longMad', 'shortZsq', 'weekDev'] as const;
const FIXED = SCALARS.length + 3 + 1 + ROW_SCALARS.length + 8;

export function encodeNumericState(s: NumericState): Uint8Array {
  const hundredths = ringsAsHundredths(s);
  let n = FIXED + ARRAYS.length + RINGS.length + 1;
  for (const k of ARRAYS) n += s[k].length;
  for (const h of s.tailBins) n += 1 + h.length;
  let ints = 0;
  for (const k of RINGS) {
    if (hundredths) ints += s[k].length;
    else n += s[k].length;
  }
  ints += ints & 1; // the whole stays a multiple of 8 bytes
  const buf = new ArrayBuffer(HEADER + 8 * n + 4 * ints);
  const head = new Uint8Array(buf, 0, HEADER);
  head.set(MAGIC);
  head[4] = hundredths ? 1 : 0;
  const f = new Float64Array(buf, HEADER, n);
  let o = 0;
  for (const k of SCALARS) f[o++] = s[k];
  f[o++] = s.last3[0];
  f[o++] = s.last3[1];
  f[o++] = s.last3[2];
  const kind = REGIME_KINDS.indexOf(s.regimeKind);
  if (kind < 0) throw new TypeError(`numeric state: unknown regime kind ${JSON.stringify(s.regimeKind)}`);
  f[o++] = kind;
  const r = s.rows;
  for (const k of ROW_SCALARS) f[o++] = r[k];
  for (const m of r.moments) {
    f[o++] = m.mean;
    f[o++] = m.var;
  }
  for (const k of ARRAYS) {
    const a = s[k];
    f[o++] = a.length;
    if (SPARSE.has(k)) {
      for (let i = 0; i < a.length; i++) {
        const v = a[i] as number | null | undefined;
        f[o++] = v === undefined || v === null ? Number.NaN : v;
      }
    } else {
      for (let i = 0; i < a.length; i++) f[o++] = a[i];
    }
  }
  f[o++] = s.tailBins.length;
  for (const h of s.tailBins) {
    f[o++] = h.length;
    for (let i = 0; i < h.length; i++) f[o++] = h[i];
  }
  const iv = new Int32Array(buf, HEADER + 8 * n);
  let j = 0;
  for (const k of RINGS) {
    const a = s[k];
    f[o++] = a.length;
    if (hundredths) for (let i = 0; i < a.length; i++) iv[j++] = Math.round(a[i] * 100);
    else for (let i = 0; i < a.length; i++) f[o++] = a[i];
  }
  return new Uint8Array(buf);
}

const corrupt = (): TypeError => new TypeError('task.state is a truncated or corrupt numeric detector state');

function decodeBinary(bytes: Uint8Array): NumericState {
  if ((bytes.length - HEADER) % 8 !== 0 || bytes.length < HEADER + 8 * FIXED || bytes[4] > 1) throw corrupt();
  const hundredths = bytes[4] === 1;
  // Float64Array needs an 8-aligned offset: a copy when the bytes sit elsewhere in their buffer.
  const al = (bytes.byteOffset + HEADER) % 8 === 0 ? bytes : bytes.slice();
  // Until the rings' lengths are read, the whole tail is taken as float64s (bounds checked below).
  let f = new Float64Array(al.buffer, al.byteOffset + HEADER, (al.length - HEADER) / 8);
  let o = 0;
  const s = freshState();
  for (const k of SCALARS) s[k] = f[o++];
  s.last3 = [f[o++], f[o++], f[o++]];
  const kind = REGIME_KINDS[f[o++]];
  if (kind === undefined) throw corrupt();
  s.regimeKind = kind;
  const r = s.rows;
  for (const k of ROW_SCALARS) r[k] = f[o++];
  for (const m of r.moments) {
    m.mean = f[o++];
    m.var = f[o++];
  }
  const len = (): number => {
    const n = f[o++];
    if (!(Number.isInteger(n) && n >= 0 && o + n <= f.length)) throw corrupt();
    return n;
  };
  for (const k of ARRAYS) {
    const n = len();
    const a = new Array<number>(n);
    if (SPARSE.has(k)) {
      for (let i = 0; i < n; i++) {
        const v = f[o++];
        if (v === v) a[i] = v;
      }
    } else {
      for (let i = 0; i < n; i++) a[i] = f[o++];
    }
    s[k] = a;
  }
  const nb = len();
  s.tailBins = new Array<number[]>(nb);
  for (let b = 0; b < nb; b++) {
    const n = len();
    s.tailBins[b] = Array.from(f.subarray(o, o + n));
    o += n;
  }
  if (!hundredths) {
    for (const k of RINGS) {
      const n = len();
      s[k] = Array.from(f.subarray(o, o + n));
      o += n;
    }
    if (o !== f.length) throw corrupt();
    return s;
  }
  // The rings' lengths, then their int32 hundredths after the float64 part.
  if (o + RINGS.length > f.length) throw corrupt();
  const lens = RINGS.map((_, i) => f[o + i]);
  o += RINGS.length;
  const ints = lens.reduce((a, b) => a + b, 0);
  if (!lens.every((n) => Number.isInteger(n) && n >= 0) || 8 * o + 4 * (ints + (ints & 1)) !== al.length - HEADER) throw corrupt();
  f = f.subarray(0, o);
  const iv = new Int32Array(al.buffer, al.byteOffset + HEADER + 8 * o, ints);
  let j = 0;
  RINGS.forEach((k, r) => {
    const a = new Array<number>(lens[r]);
    for (let i = 0; i < a.length; i++) a[i] = iv[j++] / 100;
    s[k] = a;
  });
  return s;
}

/** Bytes from a task (any version this code knows) → the current state. */
export function decodeNumericState(bytes: Uint8Array | null): NumericState {
  if (bytes === null || bytes.length === 0) return freshState();
  if (bytes[0] === MAGIC[0] && bytes[1] === MAGIC[1] && bytes[2] === MAGIC[2]) {
    if (bytes[3] !== NUMERIC_STATE_VERSION) throw new TypeError('task.state is not a numeric detector state (wrong stream type, or a newer version)');
    return decodeBinary(bytes);
  }
  const s = JSON.parse(dec.decode(bytes)) as { v?: unknown; kind?: unknown } | null;
  if (s === null || typeof s !== 'object' || s.kind !== 'numeric' || (s.v !== 1 && s.v !== 2)) {
    throw new TypeError('task.state is not a numeric detector state (wrong stream type, or a newer version)');
  }
  // Version 2 is version 3's fields as JSON (sparse buckets as null, which the code reads as absent).
  return s.v === 1 ? migrateV1(s as StateV1) : { ...(s as unknown as NumericState), v: 3 };
}
