// The llm generator: pure (same seed, same set), labelled kinds, interleaved streams.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { fill, generateLlm, LLM_KINDS } from '../../src/tools/eval/generators/llm.js';
import { seeded } from '../../src/tools/eval/generators/random.js';

describe('eval generate --kind llm', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS.llm.generate).toBe(generateLlm);
    expect(JSON.stringify(generateLlm(3))).toBe(JSON.stringify(generateLlm(3)));
    expect(JSON.stringify(generateLlm(3))).not.toBe(JSON.stringify(generateLlm(4)));
  });

  it('labels every kind, in three interleaved llm streams ordered by time', () => {
    const { events, labels } = generateLlm(7);
    expect(new Set(events.map((e) => e.stream)).size).toBe(3);
    expect(events.every((e) => e.stream_type === 'llm' && typeof e.data === 'string')).toBe(true);
    const ts = events.map((e) => Date.parse(e.timestamp));
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1])).toBe(true);
    expect(new Set(Object.values(labels.kinds))).toEqual(new Set(LLM_KINDS));
    expect(labels.anomalous.length).toBe(Object.keys(labels.kinds).length);
    // The first stream changes stream within its first 20 events (interleaved).
    expect(new Set(events.slice(0, 20).map((e) => e.stream)).size).toBeGreaterThan(1);
  });

  it('varies normal wording: most normal prompts are distinct', () => {
    const { events, labels } = generateLlm(2);
    const bad = new Set(labels.anomalous);
    const normal = events.filter((_, i) => !bad.has(i)).map((e) => e.data);
    expect(new Set(normal).size / normal.length).toBeGreaterThan(0.95);
  });

  it('fill() expands alternatives and slots, innermost first', () => {
    const r = seeded(1);
    expect(fill(r, '{a|a}')).toBe('a');
    expect(fill(r, 'order {order}')).toMatch(/^order (#\d{7}|A-\d{5}[XKQM]|\d{4}-\d{4}|\d{6})$/);
    expect(fill(r, '{x {city}|x {city}}')).toMatch(/^x [A-Z][a-z]+$/);
  });
});
