// Shared helpers for the detector tests: build tasks, run a stream through score() in batches.
import score from '../../workers/score.js';
import { scoreLogs } from '../../workers/detectors/logs.js';
import type { Finding, ScoreInput, ScoreTask, StreamType } from '../../workers/types.js';
import type { seeded } from '../../src/tools/eval/generators/random.js';

const enc = new TextEncoder();

export function task(streamType: StreamType, events: ScoreInput[], state: Uint8Array | null = null): ScoreTask {
  return { stream: 'test', streamType, state, events: enc.encode(JSON.stringify(events)) };
}

/**
 * Runs events through score() in batches of `batch`, carrying state, as the engine does (no row
 * scores asked, so none may come back), at `threshold` when given; findings get stream-wide indices.
 */
export function runStream(streamType: StreamType, events: ScoreInput[], batch = events.length, threshold?: number): { findings: Finding[]; maxState: number; state: Uint8Array | null } {
  let state: Uint8Array | null = null;
  const findings: Finding[] = [];
  let maxState = 0;
  for (let off = 0; off < events.length; off += batch) {
    const t = task(streamType, events.slice(off, off + batch), state);
    if (threshold !== undefined) t.threshold = threshold;
    const r = score(t);
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
    if (r.rowScores !== undefined) throw new Error('row scores came back for a task that did not ask for them');
    for (const f of r.findings) findings.push({ ...f, index: f.index + off });
    state = r.state;
    maxState = Math.max(maxState, state.length);
  }
  return { findings, maxState, state };
}

/**
 * A logs stream through scoreLogs in tasks of `batch` events, each parsing the state it is given
 * (no stream key, so no live scorer: as after a restart or on another thread); findings get
 * stream-wide indices.
 */
export function logsInTasks(ev: ScoreInput[], batch: number): { findings: Finding[]; state: Uint8Array } {
  let state: Uint8Array | null = null;
  const findings: Finding[] = [];
  for (let from = 0; from < ev.length; from += batch) {
    const r = scoreLogs(state, ev.slice(from, from + batch), undefined);
    state = r.state;
    for (const f of r.findings) findings.push({ ...f, index: f.index + from });
  }
  return { findings, state: state ?? new Uint8Array(0) };
}

export const textEvents = (lines: string[]): ScoreInput[] => lines.map((text, i) => ({ ts: 1_700_000_000_000 + i, text }));
export const valueEvents = (xs: number[]): ScoreInput[] => xs.map((value, i) => ({ ts: 1_700_000_000_000 + i * 1000, value }));

export interface Prf { tp: number; fp: number; fn: number; precision: number; recall: number; f1: number }

export function prf(flagged: Set<number>, truth: Set<number>, total: number): Prf {
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < total; i++) {
    if (!flagged.has(i)) continue;
    if (truth.has(i)) tp++;
    else fp++;
  }
  const fn = truth.size - tp;
  const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
  const recall = truth.size === 0 ? 0 : tp / truth.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { tp, fp, fn, precision, recall, f1 };
}

/** An object store's JSON audit record (MinIO-like): API `api` on `bucket` by access key `key` at `ts`, a fresh object, request id and client (rate-habit, rate-jitter). */
export const auditEvent = (r: ReturnType<typeof seeded>, ts: number, api: string, bucket: string, key: string): ScoreInput => ({
  ts,
  text: JSON.stringify({ version: '1', time: new Date(ts).toISOString(), api: { name: api, bucket, object: `${bucket}/${r.hex(8)}`, statusCode: 200, timeToResponse: `${r.int(2, 900)}ms` }, remotehost: `10.42.3.${r.int(10, 250)}`, requestID: r.hex(16), accessKey: key }),
});
