// One finding of a detector ─► the anomaly row the sinks write (sinks/postgres/copy.ts), the same
// for the single process (transforms/score.ts) and the cluster's detect role (cluster/detect.ts):
//
//   finding (workers/types.ts) + its event + the stream's profile and open incidents
//     ─► incident: folded into the stream's open one (transforms/incidents.ts), or a new one
//        (its id: newIncidentId(), by default a random UUID; the detect role passes the row's own
//        deterministic id, so a replay folds the same way)
//     ─► details: the detector's, plus the profile and threshold it was judged by (absent without settings)
import type { Finding, StreamType } from '../../workers/types.js';
import type { AnomalyRow } from '../sinks/postgres/copy.js';
import type { EventRecord } from '../types.js';
import { eventJson } from './decode.js';
import { foldIncident, INCIDENT_GAP_MS, incidentKey, type IncidentMap } from './incidents.js';
import type { StreamProfile } from './stream-settings.js';

export interface AnomalyRowInput {
  id: string;
  tenantId: string;
  stream: string;
  streamType: StreamType;
  finding: Finding;
  /** The event the finding points at. */
  event: EventRecord;
  profile: Readonly<StreamProfile> | undefined;
  /** The stream's open incidents (changed: the finding folds into one). */
  incidents: IncidentMap;
  /** The id of an incident this finding opens (default: a random UUID). */
  newIncidentId?: () => string;
  detectedAt: number;
}

export function anomalyRowOf(a: AnomalyRowInput): AnomalyRow {
  const f = a.finding;
  const r = a.event;
  // A finding dated by the detector (a stream's silence: the window boundary) keeps that time, not its event's (a line, an idle tick).
  const ts = typeof f.ts === 'number' && Number.isFinite(f.ts) ? f.ts : r.ts;
  return {
    id: a.id, incidentId: foldIncident(a.incidents, incidentKey(f.detector, f.details), ts, INCIDENT_GAP_MS, a.newIncidentId),
    tenantId: a.tenantId, stream: a.stream, streamType: a.streamType,
    score: f.score, detector: f.detector, explanation: f.explanation,
    eventJson: eventJson(r),
    detailsJson: JSON.stringify(a.profile === undefined ? f.details ?? {} : { ...f.details, threshold: a.profile.threshold, profile: a.profile.profile }),
    eventTs: ts, detectedAt: a.detectedAt,
  };
}
