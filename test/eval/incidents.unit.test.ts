// Incident recall: an incident is a maximal run of consecutive labelled events of one kind,
// found when any of its events is flagged; labels may carry kinds.
import { describe, expect, it } from 'vitest';
import { parseLabelsWithKinds } from '../../src/tools/eval/events.js';
import { formatIncidents, incidentFigures } from '../../src/tools/eval/metrics.js';

describe('incidentFigures', () => {
  it('splits runs at gaps and at a change of kind; one flagged line finds its incident', () => {
    const truth = [3, 4, 5, 9, 10, 11, 12, 20];
    const kinds = new Map([[3, 'burst'], [4, 'burst'], [5, 'burst'], [9, 'value'], [10, 'value'], [11, 'novel'], [12, 'novel'], [20, 'value']]);
    const r = incidentFigures(new Set([5, 12, 40]), truth, kinds);
    expect(r).toEqual({
      incidents: 4, found: 2, recall: 0.5,
      by_kind: { burst: { incidents: 1, found: 1, recall: 1 }, novel: { incidents: 1, found: 1, recall: 1 }, value: { incidents: 2, found: 0, recall: 0 } },
    });
    expect(formatIncidents(r)).toBe('incidents: 2 of 4 found (recall 0.500); by kind: burst 1/1, novel 1/1, value 0/2');
  });

  it('without kinds, consecutive labels are one incident; nothing labelled gives null', () => {
    expect(incidentFigures(new Set([7]), [1, 2, 3, 7, 8])).toEqual({ incidents: 2, found: 1, recall: 0.5 });
    expect(incidentFigures(new Set([1]), [])).toEqual({ incidents: 0, found: 0, recall: null });
    expect(formatIncidents(incidentFigures(new Set(), []))).toBe('incidents: none labelled');
  });
});

describe('parseLabelsWithKinds', () => {
  const lines = new Set([0, 1, 2, 3]);
  it('reads kinds keyed by line index', () => {
    const r = parseLabelsWithKinds('{"anomalous":[2,1],"kinds":{"1":"burst","2":"novel"}}', lines);
    expect(r.anomalous).toEqual([1, 2]);
    expect([...r.kinds]).toEqual([[1, 'burst'], [2, 'novel']]);
  });
  it('refuses a kind for an unlabelled index, a non-string kind, and kinds that are not an object', () => {
    expect(() => parseLabelsWithKinds('{"anomalous":[1],"kinds":{"2":"x"}}', lines)).toThrow(/kinds\["2"\] is not an index listed under anomalous/);
    expect(() => parseLabelsWithKinds('{"anomalous":[1],"kinds":{"1":5}}', lines)).toThrow(/must be a string/);
    expect(() => parseLabelsWithKinds('{"anomalous":[1],"kinds":[1]}', lines)).toThrow(/kinds must be an object/);
  });
});
