// `driftwatch eval events`: a user's own events (our ingest shape, NDJSON) with labels.
//
//   FILE.ndjson ──► validateEvent() per line (the engine's own validation) ──► group by stream key
//        │                                                                      │ in file order
//        ▼                                                                      ▼
//   labels {"anomalous": [line indices]}              runStream(stream, type, batches of 100)
//        └────────────────────► detectionFigures(flagged lines, labelled lines) ◄┘
import { existsSync, readFileSync } from 'node:fs';
import { validateEvent } from '../../../engine/transforms/decode.js';
import type { ScoreInput, StreamType } from '../../../workers/types.js';
import { detectionFigures, incidentFigures, type DetectionFigures, type IncidentFigures } from './metrics.js';
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
    s.inputs.push(rec.streamType === 'metrics' ? { ts: rec.ts, value: rec.value } : rec.metadataJson === null ? { ts: rec.ts, text: rec.text } : { ts: rec.ts, text: rec.text, metadata: JSON.parse(rec.metadataJson) as Record<string, unknown> });
    eventLines.add(i);
  });
  return { streams, events: eventLines.size, eventLines };
}

/** `{"anomalous": [0-based line indices]}`; each index must be a line that holds an event. */
export function parseEventLabels(text: string, eventLines: ReadonlySet<number>, what = 'labels'): number[] {
  return parseLabelsWithKinds(text, eventLines, what).anomalous;
}

/**
 * `{"anomalous": [...], "kinds": {"<index>": "<kind>"}}`: the labelled indices, and their kinds when
 * given (any strings; an index under `kinds` must also be under `anomalous`).
 */
export function parseLabelsWithKinds(text: string, eventLines: ReadonlySet<number>, what = 'labels'): { anomalous: number[]; kinds: Map<number, string> } {
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
  const kinds = new Map<number, string>();
  const rawKinds = (json as { kinds?: unknown }).kinds;
  if (rawKinds !== undefined) {
    if (rawKinds === null || typeof rawKinds !== 'object' || Array.isArray(rawKinds)) throw new TypeError(`${what}: kinds must be an object {"<line index>": "<kind>"}`);
    for (const [key, kind] of Object.entries(rawKinds as Record<string, unknown>)) {
      const i = Number(key);
      if (!Number.isInteger(i) || !out.has(i)) throw new TypeError(`${what}: kinds[${JSON.stringify(key)}] is not an index listed under anomalous`);
      if (typeof kind !== 'string') throw new TypeError(`${what}: kinds[${JSON.stringify(key)}] must be a string`);
      kinds.set(i, kind);
    }
  }
  return { anomalous: [...out].sort((a, b) => a - b), kinds };
}

export interface EventsReport extends DetectionFigures {
  streams: number;
  seconds: number;
  /** Flagged line indices (0-based), ascending. */
  flagged: number[];
  /** Incidents (maximal runs of consecutive labelled events of one kind) found, overall and per kind. */
  incidents: IncidentFigures;
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
  const { anomalous: truth, kinds } = parseLabelsWithKinds(readFileSync(opts.labels, 'utf8'), parsed.eventLines, opts.labels);
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
  const flaggedRanks = flaggedLines.map((l) => rank.get(l) as number);
  const truthRanks = truth.map((l) => rank.get(l) as number);
  const m = detectionFigures(flaggedRanks, truthRanks, parsed.events);
  const kindsByRank = new Map([...kinds].map(([line, kind]) => [rank.get(line) as number, kind]));
  const incidents = incidentFigures(new Set(flaggedRanks), truthRanks, kinds.size > 0 ? kindsByRank : undefined);
  return { ...m, streams: parsed.streams.size, seconds: (performance.now() - t0) / 1000, flagged: flaggedLines, incidents };
}
