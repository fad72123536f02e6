// Incidents: related findings of one stream fold into one incident instead of line spam.
//
//   finding (detector, details.incident_key | details.template | '') + event time
//        ──► the stream's open incident of that key, if its last finding is within gapMs
//            (event time) ──► same incident id; else a new id
//
// Each anomaly row keeps its line (so every flagged line is reported and stored) and carries
// `incident_id`; the control API lists incidents as the rows grouped by it (count, first and
// last event time, sample lines). Per stream, at most MAX_KEYS keys are kept (the least recently
// seen goes first). The map lives with the stream's scorer entry and is checkpointed with its
// detector state (saveIncidents/loadIncidents, column detector_states.incidents), so a finding
// after a restart, an upgrade or an eviction joins the incident it belongs to instead of opening
// a new one. Pure apart from randomUUID.
import { randomUUID } from 'node:crypto';

/** Default fold gap in event time: findings further apart than this start a new incident. */
export const INCIDENT_GAP_MS = 300_000;
const MAX_KEYS = 64;

export interface OpenIncident { id: string; lastTs: number }
export type IncidentMap = Map<string, OpenIncident>;

/** What makes findings related: the detector, and the key it gives (a template, a slot, a kind). */
export function incidentKey(detector: string, details: Readonly<Record<string, unknown>> | undefined): string {
  const k = details?.incident_key ?? details?.template ?? '';
  return `${detector}\u0000${typeof k === 'string' || typeof k === 'number' ? String(k) : ''}`;
}

/** The incident id for a finding at event time `ts`; updates the map. */
export function foldIncident(open: IncidentMap, key: string, ts: number, gapMs = INCIDENT_GAP_MS, newId: () => string = randomUUID): string {
  const cur = open.get(key);
  if (cur !== undefined) {
    open.delete(key); // re-inserted below: the map stays in least-recently-seen order
    if (Math.abs(ts - cur.lastTs) <= gapMs) {
      cur.lastTs = Math.max(cur.lastTs, ts);
      open.set(key, cur);
      return cur.id;
    }
  }
  const next = { id: newId(), lastTs: ts };
  open.set(key, next);
  if (open.size > MAX_KEYS) open.delete(open.keys().next().value as string);
  return next.id;
}

/**
 * The open incidents as checkpointed (detector_states.incidents): JSON text (not jsonb: a key may
 * hold any character of a line, U+0000 included, which JSON text escapes and jsonb refuses),
 * `{"v":1,"open":[[key, id, lastTs], …]}` in least-recently-seen order, so eviction order survives.
 */
export function saveIncidents(open: IncidentMap): string {
  const out: [string, string, number][] = [];
  for (const [k, o] of open) out.push([k, o.id, o.lastTs]);
  return JSON.stringify({ v: 1, open: out });
}

/** The map saveIncidents wrote; null, a newer version or a malformed text give an empty map (new incidents, as before checkpoints). */
export function loadIncidents(text: string | null | undefined): IncidentMap {
  const open: IncidentMap = new Map();
  if (text === null || text === undefined) return open;
  let saved: unknown;
  try {
    saved = JSON.parse(text);
  } catch {
    return open;
  }
  if (typeof saved !== 'object' || saved === null) return open;
  const { v, open: list } = saved as { v?: unknown; open?: unknown };
  if (v !== 1 || !Array.isArray(list)) return open;
  for (const e of list as unknown[]) {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'string' || typeof e[2] !== 'number' || !Number.isFinite(e[2])) continue;
    open.set(e[0], { id: e[1], lastTs: e[2] });
  }
  while (open.size > MAX_KEYS) open.delete(open.keys().next().value as string);
  return open;
}
