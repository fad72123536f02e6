// A slot whose values are longer than a slot keeps (object keys, URLs, paths with dates and ids)
// is counted as one marker value (LONG_VALUE) instead of being skipped, so that a known
// template's line whose new text is a new long value of such a slot is benign novelty (slots.ts),
// while a blob in a slot of short values is still not vouched for.
import { describe, expect, it } from 'vitest';
import { scan, TemplateMiner } from '../../workers/detectors/templates.js';
import { freshField, observeValue, type FieldStats } from '../../workers/detectors/fields.js';
import { explainedBySlots, LONG_VALUE, MAX_SLOT_VALUE, slotLayout } from '../../workers/detectors/slots.js';
import { scoreLogs } from '../../workers/detectors/logs.js';
import { loadState } from '../../workers/detectors/logs-state.js';

const line = (key: string): string => `INFO store PUT key=${key} status=200`;
const path = (k: number): string => `logs/dag_id=etl_${['orders', 'clicks', 'users'][k % 3]}/run_id=scheduled__2026-07-27T01:${String(k % 60).padStart(2, '0')}:00/task_id=load/attempt=1.log`;

function template(values: string[]): { stats: Record<string, FieldStats>; t: ReturnType<TemplateMiner['match']>['template'] } {
  const m = new TemplateMiner();
  m.match(scan(line('a/b'), 64), 1);
  const t = m.match(scan(line('a/c'), 64), 2).template;
  expect(slotLayout(t).names).toContain('key');
  const f = freshField();
  for (const v of values) observeValue(f, v, '');
  return { stats: { key: f }, t };
}

describe('long slot values', () => {
  it('a new long value of a slot whose values have mostly been long is benign novelty', () => {
    expect(path(7).length).toBeGreaterThan(MAX_SLOT_VALUE);
    const long = template(Array.from({ length: 6 }, () => LONG_VALUE));
    expect(explainedBySlots(long.t, scan(line(path(7)), 64).tokens, long.stats)).toBe(true);
  });

  it('a long value in a slot of short values, or with too few sightings, is not vouched for', () => {
    const short = template(['a/b', 'a/c', 'a/d', 'a/e', 'a/f', 'a/g']);
    expect(explainedBySlots(short.t, scan(line(path(7)), 64).tokens, short.stats)).toBe(false);
    const young = template([LONG_VALUE, LONG_VALUE]);
    expect(explainedBySlots(young.t, scan(line(path(7)), 64).tokens, young.stats)).toBe(false);
  });

  it('the logs detector counts a long slot value as the marker', () => {
    const ev = Array.from({ length: 40 }, (_, i) => ({ ts: 1_700_000_000_000 + i * 1000, text: line(path(i)) }));
    const s = loadState(scoreLogs(null, ev, undefined, 0.5).state);
    // (A token longer than a template keeps is a bare slot, named by its position.)
    const long = Object.values(s.s).flatMap((x) => Object.values(x)).filter((f) => f.v !== null && f.v[LONG_VALUE] !== undefined);
    expect(long.length).toBe(1);
    expect(long[0].v?.[LONG_VALUE]).toBeGreaterThan(30);
  });
});
