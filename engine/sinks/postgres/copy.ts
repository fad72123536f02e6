// COPY text format: escaping, and the anomalies table's lines. Pure. (Events are stored as blocks:
// blocks.ts builds their lines with copyEscape.)
//
//   AnomalyRow[] ──► one string of tab-separated lines ──► service.ts (COPY FROM STDIN)
//
// Text format escapes: backslash, tab, newline and carriage return inside a value; NULL is \N.
// NUL cannot occur: decode.ts refuses it per event (jsonb and text both reject it).
import type { EventRecord } from '../../types.js';

const NEEDS_ESCAPE = /[\\\t\n\r]/;
const ESCAPES = /[\\\t\n\r]/g;
const REPLACEMENT: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** Escapes one value for COPY text format. */
export function copyEscape(s: string): string {
  return NEEDS_ESCAPE.test(s) ? s.replace(ESCAPES, (c) => REPLACEMENT[c]) : s;
}

/**
 * COPY lines of the row-per-event `events` table of earlier versions (one row per event). The
 * engine no longer writes them; bench/blocks.bench.ts prints their size and cost beside the blocks'.
 */
export function eventLines(tenantId: string, records: readonly EventRecord[]): string {
  const prefix = `${tenantId}\t`;
  let out = '';
  for (const r of records) {
    out += prefix + copyEscape(r.stream) + '\t' + r.streamType + '\t' + new Date(r.ts).toISOString() + '\t' +
      copyEscape(r.dataJson) + '\t' + (r.metadataJson === null ? '\\N' : copyEscape(r.metadataJson)) + '\n';
  }
  return out;
}

export const ANOMALY_COLUMNS = ['id', 'tenant_id', 'stream', 'stream_type', 'score', 'detector', 'explanation', 'event', 'details', 'event_ts', 'detected_at', 'incident_id'] as const;

export interface AnomalyRow {
  id: string;
  tenantId: string;
  stream: string;
  streamType: string;
  score: number;
  detector: string;
  explanation: string;
  /** JSON text of the offending event. */
  eventJson: string;
  /** JSON text of the detector's details. */
  detailsJson: string;
  eventTs: number;
  detectedAt: number;
  /** The incident the finding folds into (engine/transforms/incidents.ts); null: none. */
  incidentId: string | null;
}

export function anomalyLines(rows: readonly AnomalyRow[]): string {
  let out = '';
  for (const a of rows) {
    out += a.id + '\t' + a.tenantId + '\t' + copyEscape(a.stream) + '\t' + a.streamType + '\t' +
      (Number.isFinite(a.score) ? String(a.score) : '0') + '\t' + copyEscape(a.detector) + '\t' +
      copyEscape(a.explanation) + '\t' + copyEscape(a.eventJson) + '\t' + copyEscape(a.detailsJson) + '\t' +
      new Date(a.eventTs).toISOString() + '\t' + new Date(a.detectedAt).toISOString() + '\t' + (a.incidentId ?? '\\N') + '\n';
  }
  return out;
}
