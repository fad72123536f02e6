// Runs one stream through the detector the way the engine does: in order, in batches, with the
// state carried from task to task, in-process (workers/score.ts is pure).
//
//   ScoreInput[] ──► batches of `batch` ──► score({stream, streamType, state, events, rowScores, threshold?}) ──► findings, rowScores
//                                              ▲ state, sessionState ◄────────┘
//   ──► per-event anomaly score in [0, 1]: the detector's row score (at least the score of a
//       finding on that event), what NAB's threshold sweep needs; and the events with findings
//   With {rowScores: false, threshold}: exactly the engine's task (no row scores asked for), so
//   `flagged` is what the engine would report at that threshold.
import score from '../../../workers/score.js';
import type { ScoreInput, StreamType } from '../../../workers/types.js';

export const DEFAULT_BATCH = 100;

export interface StreamRun {
  /** Per event: the detector's row likelihood (≥ 0.5 on events with a finding). */
  scores: Float64Array;
  /** Events with at least one finding. */
  flagged: Set<number>;
  findings: number;
}

const enc = new TextEncoder();

export interface RunOptions {
  /** Ask for row scores (default true); false: the engine's task, scores hold only the findings' scores. */
  rowScores?: boolean;
  /** The task's threshold (absent: the detectors' default, 0.5). */
  threshold?: number;
}

export function runStream(stream: string, streamType: StreamType, events: readonly ScoreInput[], batch = DEFAULT_BATCH, opts: RunOptions = {}): StreamRun {
  const rowScores = opts.rowScores ?? true;
  const scores = new Float64Array(events.length);
  const flagged = new Set<number>();
  let findings = 0;
  let state: Uint8Array | null = null;
  let sessionState: Uint8Array | null = null;
  for (let off = 0; off < events.length; off += batch) {
    const slice = events.slice(off, off + batch);
    const r = score({ stream, streamType, state, sessionState, events: enc.encode(JSON.stringify(slice)), ...(rowScores ? { rowScores } : {}), ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }) });
    if (!r.ok) throw new Error(`detector failed on ${stream} at event ${off}: ${r.code}: ${r.message}`);
    // The row scores already hold every finding (≥ 0.5 there); a finding's own score is its
    // severity for the engine, not the likelihood NAB's threshold sweep should rank by.
    const rows = r.rowScores;
    if (rows !== undefined) for (let k = 0; k < rows.length; k++) scores[off + k] = Math.min(1, Math.max(0, rows[k]));
    for (const f of r.findings) {
      const i = off + f.index;
      findings++;
      flagged.add(i);
      if (rows === undefined) scores[i] = Math.max(scores[i], Math.min(1, Math.max(0, f.score)));
    }
    state = r.state;
    sessionState = r.sessionState ?? null;
  }
  return { scores, flagged, findings };
}
