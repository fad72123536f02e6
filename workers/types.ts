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
  /**
   * The event's metadata, when it has any (logs, traces): its string, number and boolean fields
   * are judged per stream and field name (workers/detectors/fields.ts).
   */
  metadata?: Record<string, unknown> | null;
  /**
   * logs, traces: an idle tick with the stream's event time and no text: no line is scored, but
   * silences are judged at `ts` (a template or the whole stream that stopped; logs.ts). A
   * finding on a tick has the tick's index.
   */
  idle?: boolean;
}

/** What a session field (ScoreTask.sessionField, stream_settings.session_field) may be: a metadata field name. */
export const SESSION_FIELD_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

export interface ScoreTask {
  stream: string;
  streamType: StreamType;
  /** The stream's detector state from the previous task (opaque), or null for a new stream. */
  state: Uint8Array | null;
  /**
   * UTF-8 JSON of ScoreInput[], transferred (Piscina.move) rather than cloned; or, with `columns`,
   * the UTF-8 of every event's text concatenated (empty for values).
   */
  events: Uint8Array;
  /**
   * The events as columns instead of JSON (the engine's encoding: no escaping, no parse, three
   * transferred buffers): ts[i]; text i = the decoded `events` string from ends[i-1] (0 for the
   * first) to ends[i], in UTF-16 code units; or, for metrics, values[i] (then `ends` is absent);
   * `meta`, when any event has metadata: the UTF-8 of one JSON array, metadata object or null per event.
   */
  columns?: { ts: Float64Array; ends?: Uint32Array; values?: Float64Array; meta?: Uint8Array };
  /**
   * logs, traces: the stream's session tracker state (detectors/sessions.ts) from the previous
   * task, or null/absent while the stream has shown no session key (trace/request id in the
   * metadata or the text, blk_ id, or the sessionField).
   */
  sessionState?: Uint8Array | null;
  /**
   * logs, traces: the metadata field that names an event's session (stream_settings.session_field;
   * 1-64 characters of [A-Za-z0-9_.-]): then only that field keys sessions. Absent: automatic (a
   * trace/request/session id in the metadata, else a blk_ id or trace/request id in the text).
   */
  sessionField?: string;
  /**
   * Also return one anomaly score per event (ScoreResult.rowScores). The engine leaves it unset
   * (findings are what it stores); evaluation sets it (NAB sweeps a threshold over every row).
   * Asking for them changes neither the findings nor the state.
   */
  rowScores?: boolean;
  /**
   * Findings need a score ≥ this, in (0, 1]; absent = 0.5 (the balanced profile, and the
   * behaviour before profiles). It decides only what is reported: the detector state, and so
   * every later score, is the same whatever the threshold.
   */
  threshold?: number;
}

export interface Finding {
  /** Index of the offending event in the task's events. */
  index: number;
  /** Anomaly score in [0, 1]. */
  score: number;
  /**
   * The event time the finding is judged at, when it is not its event's own: a silence of the
   * whole stream is dated at the window boundary where it became significant (logs.ts), whichever
   * line or idle tick found it.
   */
  ts?: number;
  detector: string;
  /** One or two sentences: which detector, the numbers, what it was compared with. */
  explanation: string;
  details: Record<string, number | string | boolean>;
}

export type ScoreResult =
  | {
      ok: true;
      state: Uint8Array;
      findings: Finding[];
      scored: number;
      /**
       * Only when the task asked for it: per event, in order, the detector's anomaly likelihood
       * in [0, 1] whether or not it is a finding (0 for events it skips). Every finding's event
       * has a row score ≥ 0.5 at the default threshold (metrics: findings are the rows whose
       * score reaches the threshold, and carry that score). Independent of how the stream is
       * split into batches.
       */
      rowScores?: Float32Array;
      /** logs, traces: the session tracker's state to pass with the next task (null: none yet). */
      sessionState?: Uint8Array | null;
    }
  | { ok: false; code: string; message: string };
