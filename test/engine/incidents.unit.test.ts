// Folding findings into incidents: same key within the gap (event time) → same id; a gap, another
// key or another detector → a new one; the per-stream key map stays bounded.
import { describe, expect, it } from 'vitest';
import { foldIncident, incidentKey, INCIDENT_GAP_MS, loadIncidents, saveIncidents, type IncidentMap } from '../../engine/transforms/incidents.js';

let n = 0;
const ids = (): string => `i${++n}`;

describe('incidents', () => {
  it('folds a burst, splits at a gap longer than the fold gap, and keeps keys apart', () => {
    const open: IncidentMap = new Map();
    const k = incidentKey('text', { template: 7 });
    const a = foldIncident(open, k, 1_000, INCIDENT_GAP_MS, ids);
    expect(foldIncident(open, k, 2_000, INCIDENT_GAP_MS, ids)).toBe(a);
    expect(foldIncident(open, k, 2_000 + INCIDENT_GAP_MS, INCIDENT_GAP_MS, ids)).toBe(a); // within the gap of the last line
    const later = foldIncident(open, k, 3_000 + 2 * INCIDENT_GAP_MS, INCIDENT_GAP_MS, ids);
    expect(later).not.toBe(a);
    expect(foldIncident(open, incidentKey('text', { template: 8 }), 3_000 + 2 * INCIDENT_GAP_MS, INCIDENT_GAP_MS, ids)).not.toBe(later);
    expect(foldIncident(open, incidentKey('rate', { template: 7 }), 3_000 + 2 * INCIDENT_GAP_MS, INCIDENT_GAP_MS, ids)).not.toBe(later);
  });

  it('takes incident_key before template, and ignores keys that are not strings or numbers', () => {
    expect(incidentKey('d', { incident_key: 'x', template: 3 })).toBe('d\u0000x');
    expect(incidentKey('d', { template: 3 })).toBe('d\u00003');
    expect(incidentKey('d', { template: true })).toBe('d\u0000');
    expect(incidentKey('d', undefined)).toBe('d\u0000');
  });

  it('keeps at most 64 keys per stream, dropping the least recently seen', () => {
    const open: IncidentMap = new Map();
    const first = foldIncident(open, 'k0', 0, INCIDENT_GAP_MS, ids);
    for (let i = 1; i <= 64; i++) foldIncident(open, `k${i}`, 0, INCIDENT_GAP_MS, ids);
    expect(open.size).toBe(64);
    expect(open.has('k0')).toBe(false);
    expect(foldIncident(open, 'k0', 0, INCIDENT_GAP_MS, ids)).not.toBe(first);
  });

  it('round-trips through its checkpoint text (keys with U+0000, least-recently-seen order); a bad or newer text gives an empty map', () => {
    const open: IncidentMap = new Map();
    const a = foldIncident(open, incidentKey('text', { template: 'GET /x\u0000' }), 1_000, INCIDENT_GAP_MS, ids);
    const b = foldIncident(open, incidentKey('rate', { template: 2 }), 1_500, INCIDENT_GAP_MS, ids);
    foldIncident(open, incidentKey('text', { template: 'GET /x\u0000' }), 2_000, INCIDENT_GAP_MS, ids);
    const text = saveIncidents(open);
    expect(text).not.toContain(String.fromCharCode(0)); // escaped as \u0000: a PostgreSQL text column takes it
    const back = loadIncidents(text);
    expect([...back.keys()]).toEqual([...open.keys()]);
    expect(foldIncident(back, incidentKey('text', { template: 'GET /x\u0000' }), 2_000 + INCIDENT_GAP_MS, INCIDENT_GAP_MS, ids)).toBe(a);
    expect(foldIncident(back, incidentKey('rate', { template: 2 }), 1_600, INCIDENT_GAP_MS, ids)).toBe(b);
    for (const bad of [null, undefined, '', 'not json', 'null', '{"v":2,"open":[["k","i",1]]}', '{"v":1,"open":[["k",1,1],["k2","i",null]]}']) expect(loadIncidents(bad).size).toBe(0);
    expect(loadIncidents(JSON.stringify({ v: 1, open: Array.from({ length: 70 }, (_, i) => [`k${i}`, `i${i}`, i]) })).size).toBe(64);
  });
});
