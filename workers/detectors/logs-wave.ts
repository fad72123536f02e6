// A fleet wave of a log stream (logs.ts): a load balancer's drain makes 150-260 devices close
// their connection and reconnect within two minutes, on the broker's ordinary connect and
// disconnect lines, one device each. It is one event of the fleet, not hundreds of anomalies.
//
//   line of an established routine template (lines in minBusyWindows windows before; no
//   severity word, no warning level: logs-fold.ts foldable), each of its id-like values alone
//   among the template's recent lines (logs-repeat.ts lone); a burst line (its burst tests'
//   score ≥ level) puts its ids (whole tokens) in the stream's wave ring (LogsState.wr: [hash,
//   template, ts]), checked only while the ring is live (its last line within gapMs)
//        ▼
//   a return: one of its ids was on a wave line of ANOTHER template, not one of its kind
//   (sameKind: the same family, or a record with the same first keys), returnMs to gapMs before
//   (a device that closed its connection reconnects; not the same event's second line, which
//   comes within milliseconds) → the stream's wave (LogsState.wv: [last return's ts, returns])
//        ▼
//   while the stream's wave has minReturns returns within gapMs, a template's wave line after its
//   first one (LogsState.fw, per template: [last wave line's ts, lines, first line's ts]) is
//   folded: its burst findings × foldWeight (under the default threshold), saying so
//
// Not a burst that one entity carries (a value repeated: a source's refused logins, each from a
// new port, logs-repeat.ts keys the address), nor a new or rare template's, nor a warning's (a
// retry storm), nor a connection storm whose clients do not come back (db's: an app's 60-150 new
// sessions). Before it, iot 201-215 had 3,451 false alarms in their drains, 89% of all.
// The records are kept at the default level whatever the task's threshold; event time only.
import type { LogsState, Part } from './logs-state.js';
import type { LineSeverity } from './text-words.js';
import { FOLD_PARAMS, foldable } from './logs-fold.js';
import { fixed } from './round.js';
import type { Template } from './templates.js';
import { familyOf } from './logs-rate.js';

export const WAVE_PARAMS = Object.freeze({
  /** A wave's lines are at most this many ms of event time apart (per template, and between the stream's returns). */
  gapMs: 60_000,
  /** Windows of event time with lines of the template before its burst can be a wave (rate.ts BUSY). */
  minBusyWindows: 30,
  /** The burst score (at the default level, not the task's threshold) at which a line belongs to a wave. */
  level: 0.5,
  /** An id seen again on another template at least this many ms later is a return (a reconnect), not the same event's line. */
  returnMs: 1_000,
  /**
   * Returns within gapMs before the stream's wave folds its lines. One: a device back on the
   * connect line is evidence enough; three left a drain's first 14-36 lines reported on every iot
   * tuning seed (iot 201-215: 873 -> 770 false alarms, recall the same; branch fa25).
   */
  minReturns: 1,
  /** Wave lines' ids remembered (the oldest out). */
  ring: 256,
});

/** The key names of a template's key=value tokens, in order. */
function keysOf(tokens: readonly string[]): string[] {
  const out: string[] = [];
  for (const t of tokens) {
    const eq = t.indexOf('=');
    if (eq > 0) out.push(t.slice(0, eq));
  }
  return out;
}

/**
 * Two templates that are one kind of line: the same family (logs-rate.ts familyOf: the same first
 * constant words), or records whose first 3 keys are the same (one access log's requests, split
 * over templates by their constant values). An id back on such a line is the same work going on
 * (an S3 gateway's failed PUTs retried, their keys read back on its GET lines), not a device
 * coming back on its connect line: with any other template a return, one return folded batch
 * 205's retry storm.
 */
export function sameKind(x: Template, y: Template): boolean {
  const fx = familyOf(x);
  if (fx !== null && fx === familyOf(y)) return true;
  const kx = keysOf(x.tokens);
  const ky = keysOf(y.tokens);
  return kx.length >= 3 && ky.length >= 3 && kx[0] === ky[0] && kx[1] === ky[1] && kx[2] === ky[2];
}

/** Whether an id of the line (`ids`, the first n) was on another template's wave line, not of its kind (`kin`), returnMs to gapMs before ts (the stream's wave ring, LogsState.wr). */
function returned(ring: readonly number[], id: number, ts: number, ids: readonly number[], n: number, kin?: (a: number, b: number) => boolean): boolean {
  const P = WAVE_PARAMS;
  for (let j = 0; j + 2 < ring.length; j += 3) {
    const dt = ts - ring[j + 2];
    if (ring[j + 1] === id || dt < P.returnMs || dt > P.gapMs) continue;
    if (kin !== undefined && kin(ring[j + 1], id)) continue;
    for (let q = 0; q < n; q++) if (ring[j] === ids[q]) return true;
  }
  return false;
}

/** Counts a return in the stream's wave (LogsState.wv), a new one after gapMs without. */
function countReturn(s: LogsState, ts: number): void {
  const wv = s.wv;
  if (wv === undefined || ts < wv[0] || ts - wv[0] > WAVE_PARAMS.gapMs) s.wv = [ts, 1];
  else {
    wv[0] = ts;
    wv[1]++;
  }
}

/**
 * The line's part in a fleet wave of its template `id` at `ts`: `wave` when the line may be one
 * (established, every id-like value alone; `ids`, its id-like values, the first n), `top` its
 * burst tests' highest score, `other` whether it has other findings. Folded: its burst findings
 * (`burst`, at least `threshold`) × foldWeight, to out only if still at least `threshold`, burst
 * emptied, the highest folded score returned; else `top`, burst untouched.
 */
export function foldWave(s: LogsState, id: number, ts: number, sev: LineSeverity, wave: boolean, ids: readonly number[], n: number, other: boolean, burst: Part[], top: number, threshold: number, out: Part[], kin?: (a: number, b: number) => boolean): number {
  const P = WAVE_PARAMS;
  if (!wave || n === 0 || !foldable(sev)) return top;
  // Any such line may be a return while the stream's wave ring is live (a reconnect's lines burst less than the disconnects).
  const ring = s.wr;
  if (ring !== undefined && ring.length !== 0 && ts - ring[ring.length - 1] <= P.gapMs && returned(ring, id, ts, ids, n, kin)) countReturn(s, ts);
  if (top < P.level) return top;
  const wr = (s.wr ??= []);
  for (let q = 0; q < n; q++) wr.push(ids[q], id, ts);
  if (wr.length > 3 * P.ring) wr.splice(0, wr.length - 3 * P.ring);
  const fw = (s.fw ??= {});
  const w = fw[id];
  if (w === undefined || ts < w[0] || ts - w[0] > P.gapMs) {
    // A new wave of the template: reported; the waves that ended leave the record.
    for (const k of Object.keys(fw)) if (ts < fw[k][0] || ts - fw[k][0] > P.gapMs) delete fw[k];
    fw[id] = [ts, 1, ts];
    return top;
  }
  w[0] = ts;
  w[1]++;
  const wv = s.wv;
  if (other || burst.length === 0 || wv === undefined || wv[1] < P.minReturns || ts - wv[0] > P.gapMs) return top;
  let kept = 0;
  for (const p of burst) {
    const score = fixed(p.score * FOLD_PARAMS.foldWeight, 4);
    kept = Math.max(kept, score);
    if (score >= threshold) out.push({ ...p, score, explanation: `${p.explanation} Folded into a fleet wave: ${w[1]} lines of this template from as many different ids since ${new Date(w[2]).toISOString()}, ${wv[1]} of the wave's ids back on another line of the stream (score ${p.score} × ${FOLD_PARAMS.foldWeight}).` });
  }
  burst.length = 0;
  return kept;
}
