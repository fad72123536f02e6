// `driftwatch eval events`: a user's own events (our ingest shape, NDJSON) with labels.
//
//   FILE.ndjson ──► validateEvent() per line (the engine's own validation) ──► group by stream key
//        │                                                                      │ in file order
//        ▼                                                                      ▼
//   labels {"anomalous": [line indices],              runStream(stream, type, batches of 100)
//           "kinds"?: {"<index>": kind}}                                          │
//        └────────────────────► detectionFigures(flagged lines, labelled lines) ◄┘
//                               incidentFigures(runs of consecutive labelled lines of one kind: found when any line is flagged)
import { existsSync, readFileSync } from 'node:fs';
import { validateEvent } from '../../../engine/transforms/decode.js';
import type { ScoreInput, StreamType } from '../../../workers/types.js';
import { detectionFigures, type DetectionFigures } from './metrics.js';
import { DEFAULT_BATCH, runStream } from './run.js';

export interface ParsedEvents {
  /** Per stream key, in order of first appearance: its type and its events' line indices and inputs. */
  streams: Map<string, { streamType: StreamType; lines: number[]; inputs: ScoreInput[] }>;
  /** Non-blank lines (the events). */
  events: number;
  /** Line indices that hold an event. */
  eventLines: Set<number>;
}

const NO_LIMIT = { maxBatchEvents: Number.MAX_SAFE_INTEGER, maxEventBytes: Number.MAX_SAFE_INTEGER };

/** NDJSON in our ingest shape. A bad line is a TypeError naming it (1-based line number and 0-based index). Blank lines carry no event. */
export function parseEventsNdjson(text: string, what = 'events'): ParsedEvents {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const streams: ParsedEvents['streams'] = new Map();
  const eventLines = new Set<number>();
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${what} line ${i + 1} (index ${i})`;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (err) {
      throw new TypeError(`${where}: not JSON (${(err as Error).message})`);
    }
    let rec;
    try {
      rec = validateEvent(raw, i, NO_LIMIT);
    } catch (err) {
      throw new TypeError(`${where}: ${(err as Error).message.replace(/^.*?event \d+: /, '')}`);
    }
    let s = streams.get(rec.stream);
    if (s === undefined) {
      s = { streamType: rec.streamType, lines: [], inputs: [] };
      streams.set(rec.stream, s);
    }
    if (s.streamType !== rec.streamType) throw new TypeError(`${where}: stream ${JSON.stringify(rec.stream)} is ${s.streamType} earlier and ${rec.streamType} here`);
    s.lines.push(i);
    s.inputs.push(rec.streamType === 'metrics' ? { ts: rec.ts, value: rec.value } : { ts: rec.ts, text: rec.text });
    eventLines.add(i);
  });
  return { streams, events: eventLines.size, eventLines };
}

/** `{"anomalous": [0-based line indices]}`; each index must be a line that holds an event. */
export function parseEventLabels(text: string, eventLines: ReadonlySet<number>, what = 'labels'): number[] {
  return parseEventLabelKinds(text, eventLines, what).anomalous;
}

/**
 * Labels with optional kinds: `{"anomalous": [...], "kinds": {"<index>": "<kind>"}}` (any strings;
 * an anomalous index without a kind is of kind "anomalous"; a kind for an index not listed is an error).
 */
export function parseEventLabelKinds(text: string, eventLines: ReadonlySet<number>, what = 'labels'): { anomalous: number[]; kinds: Map<number, string> | null } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`${what}: not JSON (${(err as Error).message})`);
  }
  const list = (json as { anomalous?: unknown } | null)?.anomalous;
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !Array.isArray(list)) throw new TypeError(`${what}: expected {"anomalous": [line indices]}`);
  const out = new Set<number>();
  list.forEach((x, k) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new TypeError(`${what}: anomalous[${k}] = ${JSON.stringify(x)} is not a 0-based line index`);
    if (!eventLines.has(x)) throw new TypeError(`${what}: anomalous[${k}] = ${x} is not a line holding an event`);
    out.add(x);
  });
  const anomalous = [...out].sort((a, b) => a - b);
  const raw = (json as { kinds?: unknown }).kinds;
  if (raw === undefined) return { anomalous, kinds: null };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError(`${what}: kinds must be an object {"<index>": "<kind>"}`);
  const kinds = new Map<number, string>();
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const i = Number(k);
    if (!Number.isInteger(i) || !out.has(i)) throw new TypeError(`${what}: kinds[${JSON.stringify(k)}] is not an index listed in anomalous`);
    if (typeof v !== 'string' || v === '') throw new TypeError(`${what}: kinds[${JSON.stringify(k)}] must be a non-empty string`);
    kinds.set(i, v);
  }
  return { anomalous, kinds };
}

export interface IncidentFigures {
  incidents: number;
  found: number;
  recall: number | null;
}

/**
 * Incidents: maximal runs of consecutive labelled line indices of the same kind; one is found
 * when any of its lines is flagged. Returns the figures over all incidents and per kind.
 */
export function incidentFigures(anomalous: readonly number[], kinds: ReadonlyMap<number, string> | null, flagged: ReadonlySet<number>): { all: IncidentFigures; byKind: Record<string, IncidentFigures> } {
  const kindOf = (i: number): string => kinds?.get(i) ?? 'anomalous';
  const tally = new Map<string, { incidents: number; found: number }>();
  let start = 0;
  while (start < anomalous.length) {
    const kind = kindOf(anomalous[start]);
    let end = start;
    while (end + 1 < anomalous.length && anomalous[end + 1] === anomalous[end] + 1 && kindOf(anomalous[end + 1]) === kind) end++;
    let found = false;
    for (let k = start; k <= end && !found; k++) found = flagged.has(anomalous[k]);
    const t = tally.get(kind) ?? { incidents: 0, found: 0 };
    t.incidents++;
    if (found) t.found++;
    tally.set(kind, t);
    start = end + 1;
  }
  const fig = (incidents: number, found: number): IncidentFigures => ({ incidents, found, recall: incidents === 0 ? null : found / incidents });
  let n = 0;
  let f = 0;
  const byKind: Record<string, IncidentFigures> = {};
  for (const [k, t] of [...tally].sort((a, b) => a[0].localeCompare(b[0]))) {
    n += t.incidents;
    f += t.found;
    byKind[k] = fig(t.incidents, t.found);
  }
  return { all: fig(n, f), byKind };
}

export interface EventsReport extends DetectionFigures {
  streams: number;
  seconds: number;
  /** Flagged line indices (0-based), ascending. */
  flagged: number[];
  /** Incidents (runs of consecutive labelled lines of one kind) and how many have a flagged line. */
  incidents: IncidentFigures;
  /** Per kind, when the labels carry kinds. */
  by_kind: Record<string, IncidentFigures> | null;
}

export interface EventsOptions {
  events: string;
  labels: string;
  batch?: number;
  progress?: (done: number, total: number, stream: string) => void;
}

export function evalEvents(opts: EventsOptions): EventsReport {
  for (const [flag, p] of [['--events', opts.events], ['--labels', opts.labels]] as const) {
    if (!existsSync(p)) throw new TypeError(`${flag} ${p}: no such file`);
  }
  const parsed = parseEventsNdjson(readFileSync(opts.events, 'utf8'), opts.events);
  if (parsed.events === 0) throw new TypeError(`--events ${opts.events}: no events`);
  const labels = parseEventLabelKinds(readFileSync(opts.labels, 'utf8'), parsed.eventLines, opts.labels);
  const truth = labels.anomalous;
  const t0 = performance.now();
  const flaggedLines: number[] = [];
  let k = 0;
  for (const [stream, s] of parsed.streams) {
    opts.progress?.(++k, parsed.streams.size, stream);
    const run = runStream(stream, s.streamType, s.inputs, opts.batch ?? DEFAULT_BATCH);
    for (const i of run.flagged) flaggedLines.push(s.lines[i]);
  }
  flaggedLines.sort((a, b) => a - b);
  // Figures over events: map line indices to event ranks so that blank lines do not count.
  const rank = new Map<number, number>();
  [...parsed.eventLines].sort((a, b) => a - b).forEach((line, r) => rank.set(line, r));
  const m = detectionFigures(flaggedLines.map((l) => rank.get(l) as number), truth.map((l) => rank.get(l) as number), parsed.events);
  const inc = incidentFigures(truth, labels.kinds, new Set(flaggedLines));
  return { ...m, streams: parsed.streams.size, seconds: (performance.now() - t0) / 1000, flagged: flaggedLines, incidents: inc.all, by_kind: labels.kinds === null ? null : inc.byKind };
}
