// Piscina task file: one task scores one batch of one stream.
//
//   ScoreTask{stream, streamType, state, events, threshold?}
//        │ decode events (UTF-8 JSON of ScoreInput[], or columns: ts, texts cut from one string) and state (null → new stream)
//        ▼
//   logs / traces       ──► detectors/logs.ts    (templates; novelty and rarity by compression
//                            surprise, slot values, metadata fields, per-template rate)
//   llm                 ──► detectors/prose.ts   (free text: compression surprise in both tails,
//                            shape of the text, window drift)
//   logs / traces       ──► detectors/sessions.ts (sequences per entity; only once an event carries
//                            a session key, task.sessionField's or automatic: its own state, task.sessionState)
//   metrics             ──► detectors/numeric.ts (robust online statistics: findings = rows whose likelihood reaches the threshold)
//        │
//        ▼
//   ScoreResult{ok: true, state, findings, scored, rowScores?} | {ok: false, code: 'DW_ERR_DETECTOR', message}
//   (rowScores, one likelihood per event, only when the task sets rowScores: evaluation does)
//
// Pure and deterministic: no I/O, no clock, no randomness. Never throws across the worker
// boundary (STYLE.md §5).
import { isAscii } from 'node:buffer';
import type { Finding, ScoreInput, ScoreResult, ScoreTask } from './types.js';
import { SESSION_FIELD_PATTERN, STREAM_TYPES } from './types.js';
import { scoreText } from './detectors/text.js';
import { scoreLogs } from './detectors/logs.js';
import { scoreProse } from './detectors/prose.js';
import { scoreNumeric, scoreNumericColumns } from './detectors/numeric.js';
import { normalise } from './detectors/normalise.js';
import { SESSION_DETECTOR, SESSION_PARAMS } from './detectors/sessions.js';
import { scoreSessions } from './detectors/sessions-stream.js';

const decoder = new TextDecoder('utf-8', { fatal: true });
const SESSION_FIELD = new RegExp(SESSION_FIELD_PATTERN);

function fail(message: string): ScoreResult {
  return { ok: false, code: 'DW_ERR_DETECTOR', message };
}

function decodeEvents(bytes: unknown, columns: ScoreTask['columns']): ScoreInput[] {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('task.events must be a Uint8Array');
  if (columns !== undefined) return decodeColumns(bytes, columns);
  const parsed: unknown = JSON.parse(decoder.decode(bytes));
  if (!Array.isArray(parsed)) throw new TypeError('task.events must be a JSON array of ScoreInput');
  return parsed as ScoreInput[];
}

/** ScoreTask.columns: ts, and the texts cut from one decoded string (or the values). */
function decodeColumns(bytes: Uint8Array, columns: NonNullable<ScoreTask['columns']>): ScoreInput[] {
  const { ts, ends, values, meta } = columns;
  if (!(ts instanceof Float64Array)) throw new TypeError('task.columns.ts must be a Float64Array');
  const n = ts.length;
  const out = new Array<ScoreInput>(n);
  if (values !== undefined) {
    if (!(values instanceof Float64Array) || values.length !== n) throw new TypeError('task.columns.values must be a Float64Array as long as ts');
    for (let i = 0; i < n; i++) out[i] = { ts: ts[i], value: values[i] };
    return out;
  }
  if (!(ends instanceof Uint32Array) || ends.length !== n) throw new TypeError('task.columns.ends must be a Uint32Array as long as ts');
  // All ASCII (most batches): each text read straight from the bytes, a flat string of its own
  // (a slice of one decoded string makes every later pass over its characters slower); the
  // offsets are the same, one byte per character. Otherwise: decoded once, then sliced.
  const ascii = isAscii(bytes);
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = ascii ? '' : decoder.decode(bytes);
  const length = ascii ? bytes.byteLength : all.length;
  let metadata: unknown[] | undefined;
  if (meta !== undefined) {
    if (!(meta instanceof Uint8Array)) throw new TypeError('task.columns.meta must be a Uint8Array');
    const parsed: unknown = JSON.parse(decoder.decode(meta));
    if (!Array.isArray(parsed) || parsed.length !== n) throw new TypeError('task.columns.meta must be a JSON array as long as ts');
    metadata = parsed;
  }
  let from = 0;
  for (let i = 0; i < n; i++) {
    const to = ends[i];
    if (to < from || to > length) throw new TypeError('task.columns.ends must rise within the decoded text');
    const m = metadata?.[i];
    const text = ascii ? buf.toString('latin1', from, to) : all.slice(from, to);
    out[i] = m !== null && typeof m === 'object' && !Array.isArray(m) ? { ts: ts[i], text, metadata: m as Record<string, unknown> } : { ts: ts[i], text };
    from = to;
  }
  return out;
}

export default function score(task: ScoreTask): ScoreResult {
  try {
    if (task === null || typeof task !== 'object') return fail('task must be an object');
    if (!STREAM_TYPES.includes(task.streamType)) return fail(`unknown streamType ${JSON.stringify(task.streamType)}`);
    if (task.state !== null && task.state !== undefined && !(task.state instanceof Uint8Array)) {
      return fail('task.state must be a Uint8Array or null');
    }
    const threshold = task.threshold ?? 0.5;
    if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) return fail('task.threshold must be a number in (0, 1]');
    const state = task.state ?? null;
    const cols = task.columns;
    if (task.streamType === 'metrics' && cols !== undefined && cols.values !== undefined) {
      // The engine's metric batches: straight from the columns, no ScoreInput per point.
      if (!(task.events instanceof Uint8Array)) throw new TypeError('task.events must be a Uint8Array');
      const { ts, values } = cols;
      if (!(ts instanceof Float64Array)) throw new TypeError('task.columns.ts must be a Float64Array');
      if (!(values instanceof Float64Array) || values.length !== ts.length) throw new TypeError('task.columns.values must be a Float64Array as long as ts');
      const rows = task.rowScores === true ? new Float32Array(ts.length) : undefined;
      const out = scoreNumericColumns(state, ts, values, undefined, rows, threshold);
      return { ok: true, state: out.state, findings: out.findings, scored: out.scored, ...(rows === undefined ? {} : { rowScores: rows }) };
    }
    const events = decodeEvents(task.events, task.columns);
    const rows = task.rowScores === true ? new Float32Array(events.length) : undefined;
    let out: { state: Uint8Array; findings: Finding[]; scored: number };
    if (task.streamType === 'metrics') out = scoreNumeric(state, events, undefined, rows, threshold);
    else if (task.streamType === 'logs' || task.streamType === 'traces') out = scoreLogs(state, events, rows, threshold, typeof task.stream === 'string' ? task.stream : undefined);
    else if (task.streamType === 'llm') out = scoreProse(state, events, undefined, rows, threshold);
    else out = scoreText(state, events, undefined, rows, threshold);
    const extra: { rowScores?: Float32Array; sessionState?: Uint8Array | null } = rows === undefined ? {} : { rowScores: rows };
    if (task.streamType === 'logs' || task.streamType === 'traces') {
      if (task.sessionState !== null && task.sessionState !== undefined && !(task.sessionState instanceof Uint8Array)) return fail('task.sessionState must be a Uint8Array or null');
      const field = task.sessionField ?? undefined;
      if (field !== undefined && (typeof field !== 'string' || !SESSION_FIELD.test(field))) return fail(`task.sessionField must match ${SESSION_FIELD_PATTERN}`);
      const ses = scoreSessions(task.sessionState ?? null, events, normalise, threshold, SESSION_PARAMS, field);
      if (ses.state !== null) extra.sessionState = ses.state;
      if (ses.findings.length > 0) {
        for (const f of ses.findings) {
          out.findings.push({ index: f.index, score: f.score, detector: SESSION_DETECTOR, explanation: f.explanation, details: f.details });
          if (rows !== undefined) rows[f.index] = Math.max(rows[f.index], f.score);
        }
        out.findings.sort((a, b) => a.index - b.index);
      }
    }
    return { ok: true, state: out.state, findings: out.findings, scored: out.scored, ...extra };
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err));
  }
}
