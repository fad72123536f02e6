// Incident figures of `eval events` (runs of consecutive labelled lines of one kind) and the
// labelled generators of `eval generate`.
import { describe, expect, it } from 'vitest';
import { incidentFigures, parseEventLabelKinds, parseEventsNdjson } from '../../src/tools/eval/events.js';
import { generateLlm, generateLogs } from '../../src/tools/eval/generate.js';

describe('incident figures', () => {
  it('an incident is a maximal run of consecutive labelled indices of one kind, found when any line is flagged', () => {
    const anomalous = [3, 4, 5, 9, 10, 11, 20];
    const kinds = new Map<number, string>([[3, 'a'], [4, 'a'], [5, 'b'], [9, 'a'], [10, 'a'], [11, 'a'], [20, 'b']]);
    const r = incidentFigures(anomalous, kinds, new Set([4, 20, 30]));
    // Incidents: a{3,4} found, b{5} not, a{9,10,11} not, b{20} found.
    expect(r.all).toEqual({ incidents: 4, found: 2, recall: 0.5 });
    expect(r.byKind).toEqual({ a: { incidents: 2, found: 1, recall: 0.5 }, b: { incidents: 2, found: 1, recall: 0.5 } });
    // Without kinds, runs of consecutive indices only.
    expect(incidentFigures(anomalous, null, new Set([11])).all).toEqual({ incidents: 3, found: 1, recall: 1 / 3 });
  });

  it('labels with kinds are checked: a kind for an index not listed is an error', () => {
    const lines = new Set([0, 1, 2]);
    expect(parseEventLabelKinds('{"anomalous": [1], "kinds": {"1": "new_error"}}', lines).kinds).toEqual(new Map([[1, 'new_error']]));
    expect(parseEventLabelKinds('{"anomalous": [1]}', lines).kinds).toBeNull();
    expect(() => parseEventLabelKinds('{"anomalous": [1], "kinds": {"2": "x"}}', lines)).toThrow(/not an index listed in anomalous/);
    expect(() => parseEventLabelKinds('{"anomalous": [1], "kinds": {"1": 3}}', lines)).toThrow(/non-empty string/);
  });
});

describe('generators', () => {
  it('logs: deterministic per seed, valid ingest events, every kind labelled', () => {
    const a = generateLogs(7, 20);
    expect(generateLogs(7, 20)).toEqual(a);
    expect(generateLogs(8, 20).lines).not.toEqual(a.lines);
    const parsed = parseEventsNdjson(a.lines.join('\n'));
    expect([...parsed.streams.keys()].sort()).toEqual(['api', 'auth', 'payments', 'worker']);
    expect(new Set(Object.values(a.kinds))).toEqual(new Set(['new_error', 'rare_error', 'unusual_value', 'unseen_category', 'retry_storm']));
    expect(a.anomalous.length).toBe(Object.keys(a.kinds).length);
  });

  it('llm: deterministic per seed, one llm stream, five kinds', () => {
    const a = generateLlm(3, 500);
    expect(generateLlm(3, 500)).toEqual(a);
    const parsed = parseEventsNdjson(a.lines.join('\n'));
    expect([...parsed.streams.values()].map((s) => s.streamType)).toEqual(['llm']);
    expect(new Set(Object.values(a.kinds))).toEqual(new Set(['injection', 'other_language', 'encoded_blob', 'pasted_code', 'token_flood']));
  });
});
