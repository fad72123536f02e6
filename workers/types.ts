// The contract between the engine and the detector workers. Nothing but plain data and
// transferable buffers crosses it; a failure comes back as { ok: false, code }, never as a
// thrown Error (structured clone strips an Error's code and class).

export type StreamType = 'logs' | 'metrics' | 'traces' | 'llm';
export const STREAM_TYPES: readonly StreamType[] = ['logs', 'metrics', 'traces', 'llm'];

/** One event as the detectors see it: time (ms since epoch) and either text or a number. */
export interface ScoreInput {
  ts: number;
  /** logs, traces, llm: the event's text (data if a string, else its JSON). */
  text?: string;
  /** metrics: the value. */
  value?: number;
}

export interface ScoreTask {
  stream: string;
  streamType: StreamType;
  /** The stream's detector state from the previous task (opaque), or null for a new stream. */
  state: Uint8Array | null;
  /** UTF-8 JSON of ScoreInput[], transferred (Piscina.move) rather than cloned. */
  events: Uint8Array;
}

export interface Finding {
  /** Index of the offending event in the task's events. */
  index: number;
  /** Anomaly score in [0, 1]. */
  score: number;
  detector: string;
  /** One or two sentences: which detector, the numbers, what it was compared with. */
  explanation: string;
  details: Record<string, number | string | boolean>;
}

export type ScoreResult =
  | { ok: true; state: Uint8Array; findings: Finding[]; scored: number }
  | { ok: false; code: string; message: string };
