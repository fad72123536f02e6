// The end of a generator: its rows merged by event time (a stable sort: ties keep their order) and
// the labels read off the merged order ({"anomalous": [indices], "kinds": {"<index>": kind}}).
import type { GeneratedEvent, GeneratedSet } from './index.js';

/** A generated line before the merge: its event time, its event and its label (none: normal). */
export interface LabelledRow { ts: number; ev: GeneratedEvent; kind?: string }

/** A log line of `stream` at `ts` (its metadata and label if any). */
export const logRow = (ts: number, stream: string, data: string, metadata?: Record<string, string | number>, kind?: string): LabelledRow =>
  ({ ts, ev: { timestamp: new Date(ts).toISOString(), stream, stream_type: 'logs', data, ...(metadata === undefined ? {} : { metadata }) }, ...(kind === undefined ? {} : { kind }) });

export function labelledSet(rows: LabelledRow[]): GeneratedSet {
  rows.sort((a, b) => a.ts - b.ts);
  const anomalous: number[] = [];
  const kinds: Record<string, string> = {};
  rows.forEach((row, i) => {
    if (row.kind === undefined) return;
    anomalous.push(i);
    kinds[String(i)] = row.kind;
  });
  return { events: rows.map((x) => x.ev), labels: { anomalous, kinds } };
}

/**
 * A silenced stretch of `stream` (the queue and iot generators): its rows in [start, start + gap)
 * dropped from `rows` in place, and its first row after the gap labelled `silence`.
 */
export function silenceStretch(rows: LabelledRow[], stream: string, start: number, gap: number): void {
  const keep = rows.filter((x) => x.ev.stream !== stream || x.ts < start || x.ts >= start + gap);
  rows.length = 0;
  rows.push(...keep);
  let first: LabelledRow | undefined;
  for (const x of rows) if (x.ev.stream === stream && x.ts >= start + gap && (first === undefined || x.ts < first.ts)) first = x;
  if (first !== undefined) first.kind = 'silence';
}
