// Value bursts in event time (logs-repeat.ts): a record's windows (closeWindow), and the pace of a
// burst, which sees a port scan from its first lines, not once 10 s of them have piled up.
//
//   value burst of c lines (one value of an id-like slot within windowMs) ─► eligible when
//        │  the value is a stranger to the stream (logs-known.ts: first seen among the stream's
//        │  last recent values), and another slot whose values usually recur holds a different
//        │  value on each of the c lines (one source, c ports) or is broad (logs-repeat.ts)
//        ▼
//   its c - 1 earlier lines within their span d of event time, against the value's usual count
//   per window prorated to d (rate.ts's scan arithmetic: quasi-Poisson tail, one span tested
//   of SCAN_PRIOR, on the scan's scale scanHalf)
//
// Why: sources of a firewall's background knock 1-4 ports seconds apart, so a value's count in a
// window is judged against its peak (4-5): a scan of 40-160 ports in 3-15 s reached it at its
// 14th-17th line (edge 201-210: 41 of 275 scan incidents, runs of its lines between others,
// missed before it). A scanner's first 6-8 knocks come within a second; no ordinary source
// sends that many that fast, each to another port. The stranger and the distinct values keep a
// busy host of a real log out: it is known to the stream before it bursts, and its runs repeat
// its few messages (a retransmitting client knocks one port again and again).
import { poissonTailLog10Real, RATE_PARAMS, SCAN_BONFERRONI } from './rate.js';
import { round6 } from './round.js';
import { known, valueHash } from './logs-known.js';

/**
 * S of the pace test on the window's scale (RATE_PARAMS.half): a value burst of `c` lines, the
 * oldest `span` ms of event time before this one, where the template's values usually recur
 * `mean` times a window (count dispersion D), `tests` id-like slots tested on the line.
 */
export function paceS(c: number, span: number, mean: number, D: number, tests: number): number {
  const P = RATE_PARAMS;
  // The timestamps' millisecond: lines at one time still span a moment.
  const lam = (P.factor * mean * (Math.max(span, 0) + 1)) / P.windowMs;
  const raw = -poissonTailLog10Real((c - 1) / D, lam / D);
  return (raw - SCAN_BONFERRONI - Math.log10(tests)) * (P.half / P.scanHalf);
}

/** Whether a slot's value (its token from `cut`) is a stranger to the stream's known values `ek` (logs-known.ts); without a record, none is. */
export function stranger(ek: number[] | undefined, tok: string, cut: number): boolean {
  return ek !== undefined && !known(ek, valueHash(tok, cut));
}

/**
 * Closes the record's window of event time when ts is past it: its largest c becomes the peak
 * unless the window had a finding (a burst being reported does not teach its own size); the peak
 * decays by `peakDecay` per window.
 */
export function closeWindow(r: number[], ts: number, peakDecay: number): void {
  const W = RATE_PARAMS.windowMs;
  if (ts < r[5] + W) return;
  const k = Math.floor((ts - r[5]) / W);
  const peak = r[6] === 1 ? r[2] : Math.max(r[2], r[4]);
  r[2] = round6(peak * peakDecay ** Math.min(k, 10_000));
  // A window that saw a line of the template (c ≥ 1) counts towards its history in time.
  if (r[4] > 0) r[7]++;
  r[4] = 0;
  r[5] += k * W;
  r[6] = 0;
}
