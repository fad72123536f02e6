// The one builder of anomaly rows (engine/transforms/anomaly-row.ts) that the single-process
// scorer and the cluster's detect role share: the event and details as stored, the profile
// added when there is one, and the incident folding (a new incident's id from newIncidentId).
import { describe, expect, it } from 'vitest';
import { anomalyRowOf } from '../../engine/transforms/anomaly-row.js';
import { eventJson } from '../../engine/transforms/decode.js';
import type { IncidentMap } from '../../engine/transforms/incidents.js';
import type { EventRecord } from '../../engine/types.js';

const event = (ts: number): EventRecord => ({ stream: 'api', streamType: 'metrics', ts, dataJson: '42', metadataJson: null, explicitStream: true, text: undefined, value: 42, bytes: 2 });
const finding = { index: 0, score: 0.9, detector: 'numeric_tail', explanation: 'far out', details: { z: 5 } };
const base = { tenantId: '00000000-0000-4000-8000-000000000001', stream: 'api', streamType: 'metrics' as const, finding, detectedAt: 1_000 };

describe('anomalyRowOf', () => {
  it('builds the row with the profile in its details, and folds findings of one key into one incident', () => {
    const incidents: IncidentMap = new Map();
    const a = anomalyRowOf({ ...base, id: 'id-1', event: event(10_000), profile: { profile: 'balanced', threshold: 0.8 }, incidents, newIncidentId: () => 'id-1' });
    expect(a).toEqual({
      id: 'id-1', incidentId: 'id-1', tenantId: base.tenantId, stream: 'api', streamType: 'metrics', score: 0.9, detector: 'numeric_tail',
      explanation: 'far out', eventJson: eventJson(event(10_000)), detailsJson: JSON.stringify({ z: 5, threshold: 0.8, profile: 'balanced' }),
      eventTs: 10_000, detectedAt: 1_000,
    });
    // Close in time: the same incident, whatever newIncidentId would say.
    const b = anomalyRowOf({ ...base, id: 'id-2', event: event(20_000), profile: undefined, incidents, newIncidentId: () => 'id-2' });
    expect(b.incidentId).toBe('id-1');
    // Without a profile, the detector's details alone; without newIncidentId, a random UUID for a new incident.
    expect(b.detailsJson).toBe(JSON.stringify({ z: 5 }));
    const c = anomalyRowOf({ ...base, id: 'id-3', event: event(10_000), profile: undefined, incidents: new Map() });
    expect(c.incidentId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
