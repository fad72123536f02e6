// The records that flow between the engine's stages (sources → transforms → sinks).
import type { StreamType } from '../workers/types.js';

/** One valid event, ready for the events table and the scorer. */
export interface EventRecord {
  /** Stream key: `stream`, else `stream_type:metadata.source` (source defaults to 'default'). */
  readonly stream: string;
  readonly streamType: StreamType;
  /** Event time, ms since the epoch. */
  readonly ts: number;
  /** JSON text of `data` (jsonb column). */
  readonly dataJson: string;
  /** JSON text of `metadata`, or null when absent. */
  readonly metadataJson: string | null;
  /** Whether the caller named the stream explicitly (kept to rebuild the event for anomalies). */
  readonly explicitStream: boolean;
  /** Detector input: text for logs/traces/llm, value for metrics. */
  readonly text: string | undefined;
  readonly value: number | undefined;
  /** UTF-8 bytes of the stored parts (usage and the per-event limit). */
  readonly bytes: number;
  /**
   * Not an event: an idle tick the scorer queues for a quiet stream (transforms/idle-ticks.ts),
   * never stored nor counted; the detector judges silences at its ts.
   */
  readonly idle?: true;
}
