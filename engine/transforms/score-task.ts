// The scorer's tasks (transforms/score.ts): a stream's batch ─► a ScoreTask for a detector thread,
// and a result's findings ─► anomaly rows.
//
//   batch (EventRecord[]) ─► encodeTask: ts, texts as one UTF-8 string (or the values; JSON of
//        │                   ScoreInput[] for a mixed batch or one with an idle tick)
//   buildTask(entry, batch, profile) ─► ScoreTask{stream, streamType, state, events + columns,
//        │                               threshold, sessionField} + its transfer list (the entry's states go with it)
//   findingRows(entry, batch, findings, profile) ─► AnomalyRow[] (anomaly-row.ts; the entry's open
//                                                    incidents updated)
import { randomUUID } from 'node:crypto';
import type { Finding, ScoreInput, ScoreTask } from '../../workers/types.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { EventRecord } from '../types.js';
import { anomalyRowOf } from './anomaly-row.js';
import type { StreamQueue } from './score-queue.js';
import type { StreamProfile } from './stream-settings.js';

/**
 * The task of a stream's batch. The entry's detector and session states go in it (and are
 * transferred with its buffers): the entry holds none until the task's result brings them back.
 */
/** The stream's session field for its tasks: logs and traces only (the sequence detector's streams). */
export function sessionFieldOf(streamType: ScoreTask['streamType'], profile: Readonly<StreamProfile> | undefined): string | undefined {
  return streamType === 'metrics' || streamType === 'llm' ? undefined : profile?.sessionField;
}

export function buildTask(q: StreamQueue, batch: EventRecord[], profile: Readonly<StreamProfile> | undefined): { task: ScoreTask; transferList: ArrayBuffer[] } {
  const { events, columns, buffers } = encodeTask(batch);
  const state = q.state;
  const sessionState = q.sessionState;
  q.state = null;
  q.sessionState = null;
  const task: ScoreTask = { stream: q.stream, streamType: q.streamType, state, events };
  if (columns !== undefined) task.columns = columns;
  if (sessionState !== null) task.sessionState = sessionState;
  if (profile !== undefined) task.threshold = profile.threshold;
  const sessionField = sessionFieldOf(q.streamType, profile);
  if (sessionField !== undefined) task.sessionField = sessionField;
  const transferList: ArrayBuffer[] = buffers;
  if (state !== null && state.byteLength > 0) transferList.push(state.buffer as ArrayBuffer);
  if (sessionState !== null && sessionState.byteLength > 0) transferList.push(sessionState.buffer as ArrayBuffer);
  return { task, transferList };
}

/** A task's findings as anomaly rows (a finding points at its event by index in the batch); each folds into the stream's open incidents. */
export function findingRows(q: StreamQueue, batch: EventRecord[], findings: readonly Finding[], profile: Readonly<StreamProfile> | undefined): AnomalyRow[] {
  const now = Date.now();
  const rows: AnomalyRow[] = [];
  q.incidents ??= new Map();
  for (const f of findings) {
    const r = batch[f.index];
    if (r === undefined) continue;
    rows.push(anomalyRowOf({
      id: randomUUID(), tenantId: q.tenantId, stream: q.stream, streamType: q.streamType, finding: f, event: r, profile, incidents: q.incidents, detectedAt: now,
    }));
  }
  return rows;
}

const textEncoder = new TextEncoder();

/**
 * A task's events as columns (ScoreTask.columns): ts, and the texts as one UTF-8 string with
 * their end offsets, or the values; JSON of ScoreInput[] only for a batch mixing both (not one
 * the engine makes: a stream has one type). Measured on the varied Loghub case, JSON.stringify
 * + encode was 4% of the main thread (bench/README.md). Every buffer is its own (TextEncoder,
 * typed arrays), so all can be transferred.
 */
export function encodeTask(batch: readonly EventRecord[]): { events: Uint8Array; columns?: NonNullable<ScoreTask['columns']>; buffers: ArrayBuffer[] } {
  const n = batch.length;
  const ts = new Float64Array(n);
  let values = 0;
  let ticks = 0;
  for (let i = 0; i < n; i++) { ts[i] = batch[i].ts; if (batch[i].value !== undefined) values++; if (batch[i].idle === true) ticks++; }
  if (ticks > 0) return encodeJson(batch);
  if (values === n) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = batch[i].value as number;
    const events = new Uint8Array(0);
    return { events, columns: { ts, values: v }, buffers: [events.buffer, ts.buffer, v.buffer] };
  }
  if (values === 0) {
    const ends = new Uint32Array(n);
    const texts = new Array<string>(n);
    let at = 0;
    for (let i = 0; i < n; i++) { const t = batch[i].text ?? ''; texts[i] = t; at += t.length; ends[i] = at; }
    const events = textEncoder.encode(texts.join(''));
    // Metadata (logs, traces; llm detectors do not read it): the JSON text decode already made, as one array.
    let meta: Uint8Array | undefined;
    if (batch.some((r) => typeof r.metadataJson === 'string' && r.streamType !== 'llm')) {
      let json = '[';
      for (let i = 0; i < n; i++) json += (i > 0 ? ',' : '') + (batch[i].metadataJson ?? 'null');
      meta = textEncoder.encode(json + ']');
    }
    const buffers: ArrayBuffer[] = [events.buffer, ts.buffer, ends.buffer];
    if (meta !== undefined) buffers.push(meta.buffer as ArrayBuffer);
    return { events, columns: meta === undefined ? { ts, ends } : { ts, ends, meta }, buffers };
  }
  return encodeJson(batch);
}

/** JSON of ScoreInput[]: a batch mixing texts and values, or with an idle tick ({ts, idle: true}: a task of its own, mostly). */
function encodeJson(batch: readonly EventRecord[]): { events: Uint8Array; buffers: ArrayBuffer[] } {
  const inputs = batch.map((r): ScoreInput => (r.idle === true ? { ts: r.ts, idle: true } : r.value !== undefined ? { ts: r.ts, value: r.value }
    : typeof r.metadataJson !== 'string' || r.streamType === 'llm' ? { ts: r.ts, text: r.text } : { ts: r.ts, text: r.text, metadata: JSON.parse(r.metadataJson) as Record<string, unknown> }));
  const events = textEncoder.encode(JSON.stringify(inputs));
  return { events, buffers: [events.buffer] };
}
