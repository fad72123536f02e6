// A field that becomes high-cardinality (fields.ts forgetValues) keeps V8's fast properties: it is
// the field a template's every line reads (its numbers), and a deleted member in the middle of the
// object made it a dictionary-mode object. Its JSON is the same as with the members deleted.
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { forgetValues, freshField, observeValue } from '../../workers/detectors/fields.js';
import { flushFields } from '../../workers/detectors/field-counts.js';

setFlagsFromString('--allow-natives-syntax');
// eslint-disable-next-line @typescript-eslint/no-implied-eval
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;

describe('a field that becomes high-cardinality', () => {
  it('keeps fast properties after 40 distinct words (t, l and the counts before it)', () => {
    const f = freshField();
    for (let i = 0; i < 40; i++) observeValue(f, `user${String.fromCharCode(97 + (i % 26))}x${i}`, '');
    expect(f.v).toBeNull();
    expect(hasFastProperties(f)).toBe(true);
  });

  it('keeps fast properties after 100 distinct numbers (with its range h)', () => {
    const f = freshField();
    for (let i = 0; i < 100; i++) observeValue(f, String(1000 + 7 * i), '');
    expect(f.v).toBeNull();
    expect(f.h).toBeDefined();
    expect(hasFastProperties(f)).toBe(true);
  });

  it('serialises without l, x and t, as when they were deleted', () => {
    const f = freshField();
    for (let i = 0; i < 60; i++) observeValue(f, ['a', 'b', 'c'][i % 3], '');
    // A rare value records its last sighting (l) and its contexts (x), as a line with a context would.
    observeValue(f, 'd', '', true, false, undefined, { pieces: ['k=v'], fields: [freshField()], values: ['v'], owner: [1] }, 0);
    flushFields();
    const g = JSON.parse(JSON.stringify(f)) as Record<string, unknown>;
    forgetValues(f);
    delete g.l;
    delete g.x;
    delete g.t;
    g.v = null;
    g.n = 0;
    expect(JSON.stringify(f)).toBe(JSON.stringify(g));
    expect(Object.keys(JSON.parse(JSON.stringify(f)) as object)).not.toContain('t');
  });
});
