// The value-burst record's window of event time (logs-repeat.ts): its close, where the window's
// largest count of one value becomes the template's peak.
import { RATE_PARAMS } from './rate.js';
import { round6 } from './round.js';

/**
 * Closes the record's window of event time when ts is past it: its largest c becomes the peak
 * unless the window had a finding (a burst being reported does not teach its own size); the peak
 * decays by peakDecay per window.
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
