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
