// Stored anomalies announced over PostgreSQL LISTEN/NOTIFY, so that any control-API instance can
// push them to open pages (src/control/live/hub.ts) and to alert channels. Pure: the channel
// name and the payload codec.
//
//   engine anomalies sink ── same transaction as the COPY ──► pg_notify('dw_anomalies', payload)
//                                          (delivered at COMMIT; never for a rolled-back write)
//   control API: one LISTEN connection ──► decodeAnomalyNote ──► the tenant's open pages, alerts
//
// A payload names one tenant and some anomaly ids ("<tenant>:<id>,<id>,..."): at most
// NOTE_MAX_IDS ids, so it stays far under PostgreSQL's 8,000-byte limit. The listeners read the
// rows themselves (filtered on the tenant), so a payload carries no data a page would show.
import { pack, unpack } from 'msgpackr';

export const ANOMALY_CHANNEL = 'dw_anomalies';
export const NOTE_MAX_IDS = 100;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The payloads announcing `ids` of one tenant, NOTE_MAX_IDS per payload. */
export function anomalyNotes(tenantId: string, ids: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < ids.length; i += NOTE_MAX_IDS) out.push(`${tenantId}:${ids.slice(i, i + NOTE_MAX_IDS).join(',')}`);
  return out;
}

/** A payload's tenant and ids, or undefined for one this codec did not make. */
export function decodeAnomalyNote(payload: string): { tenantId: string; ids: string[] } | undefined {
  const colon = payload.indexOf(':');
  if (colon < 0) return undefined;
  const tenantId = payload.slice(0, colon);
  const ids = payload.slice(colon + 1).split(',');
  if (!UUID.test(tenantId) || ids.length === 0 || ids.length > NOTE_MAX_IDS || !ids.every((id) => UUID.test(id))) return undefined;
  return { tenantId, ids };
}

// The same feed through NATS JetStream (issue 15, docs/scaling.md): the detect role publishes each
// message's findings on dw.anomalies.<partition> of the stream DW_ANOMALIES as msgpack rows; any
// control API instance with NATS_URL reads that stream from its tail (src/control/live/nats.ts),
// so its pages get findings without waiting for the store role's NOTIFY.
export const ANOMALIES_STREAM = 'DW_ANOMALIES';
export const ANOMALIES_SUBJECTS = 'dw.anomalies.*';
export const anomaliesSubject = (p: number): string => `dw.anomalies.${p}`;

/** A finding as the detect role builds it (engine/sinks/postgres/copy.ts AnomalyRow has this shape). */
export interface AnomalyWire {
  id: string; tenantId: string; stream: string; streamType: string; score: number; detector: string; explanation: string;
  /** JSON text of the offending event and of the detector's details. */
  eventJson: string; detailsJson: string;
  /** ms since the epoch. */
  eventTs: number; detectedAt: number;
  incidentId: string | null;
}

export function encodeAnomalyMessage(rows: readonly AnomalyWire[]): Uint8Array {
  return pack(rows);
}

const isWire = (a: unknown): a is AnomalyWire => {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return typeof r.id === 'string' && UUID.test(r.id) && typeof r.tenantId === 'string' && UUID.test(r.tenantId) &&
    typeof r.stream === 'string' && typeof r.streamType === 'string' && typeof r.score === 'number' && typeof r.detector === 'string' &&
    typeof r.explanation === 'string' && typeof r.eventJson === 'string' && typeof r.detailsJson === 'string' &&
    typeof r.eventTs === 'number' && typeof r.detectedAt === 'number' && (r.incidentId === null || typeof r.incidentId === 'string');
};

/** A message's rows, or undefined for a payload this codec did not make (the whole message is ignored). */
export function decodeAnomalyMessage(payload: Uint8Array): AnomalyWire[] | undefined {
  let rows: unknown;
  try {
    rows = unpack(payload);
  } catch {
    return undefined;
  }
  return Array.isArray(rows) && rows.every(isWire) ? rows : undefined;
}
