// The llm-dev generator: pure (same seed, same set), labels consistent with the events, another
// style than the llm generator (composed prompts of varied length, an answers stream).
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { devPrompt, expand, generateLlmDev, typo } from '../../src/tools/eval/generators/llm-dev.js';
import { LLM_KINDS } from '../../src/tools/eval/generators/llm.js';
import { seeded } from '../../src/tools/eval/generators/random.js';

describe('eval generate --kind llm-dev', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS['llm-dev'].generate).toBe(generateLlmDev);
    expect(JSON.stringify(generateLlmDev(201))).toBe(JSON.stringify(generateLlmDev(201)));
    expect(JSON.stringify(generateLlmDev(201))).not.toBe(JSON.stringify(generateLlmDev(202)));
  });

  it('labels every kind in every stream, consistently, in time order', () => {
    const { events, labels } = generateLlmDev(203);
    expect(events.every((e) => e.stream_type === 'llm' && typeof e.data === 'string' && e.data.length > 0)).toBe(true);
    const ts = events.map((e) => Date.parse(e.timestamp));
    expect(ts.every((t, i) => i === 0 || t >= ts[i - 1])).toBe(true);
    expect(labels.anomalous).toEqual(Object.keys(labels.kinds).map(Number).sort((a, b) => a - b));
    const streams = new Set(events.map((e) => e.stream));
    expect(streams).toEqual(new Set(['dataassist-prompts', 'devassist-prompts', 'dataassist-answers']));
    for (const s of streams) {
      const kinds = new Set(labels.anomalous.filter((i) => events[i].stream === s).map((i) => labels.kinds[String(i)]));
      expect(kinds).toEqual(new Set(LLM_KINDS));
    }
    // Nothing planted in a stream's first 200 events.
    for (const s of streams) {
      const idx = events.map((e, i) => [e, i] as const).filter(([e]) => e.stream === s).map(([, i]) => i);
      expect(idx.slice(0, 200).some((i) => i in labels.kinds)).toBe(false);
    }
  });

  it('varies normal prompts: distinct, 3 words to several paragraphs, some with typos or lists', () => {
    const { events, labels } = generateLlmDev(204);
    const normal = events.filter((e, i) => !(i in labels.kinds) && e.stream !== 'dataassist-answers').map((e) => String(e.data));
    expect(new Set(normal).size / normal.length).toBeGreaterThan(0.9);
    const words = normal.map((p) => p.split(/\s+/).length);
    expect(Math.min(...words)).toBeLessThanOrEqual(4);
    expect(Math.max(...words)).toBeGreaterThan(80);
    expect(normal.some((p) => /\n\d[.)] /.test(p))).toBe(true);
    expect(normal.some((p) => /[a-z]+_[a-z]+/.test(p))).toBe(true);
    const answers = events.filter((e, i) => !(i in labels.kinds) && e.stream === 'dataassist-answers').map((e) => String(e.data).length);
    expect(answers.reduce((a, b) => a + b, 0) / answers.length).toBeGreaterThan(normal.reduce((a, p) => a + p.length, 0) / normal.length);
  });

  it('expand() fills slots and alternatives and keeps other braces; typo() changes one spot', () => {
    const r = seeded(5);
    expect(expand(r, '{a|a}')).toBe('a');
    expect(expand(r, 'for (;;) { x.{column} }')).toMatch(/^for \(;;\) \{ x\.[a-z_]+ \}$/);
    expect(expand(r, '^\\d{3}$')).toBe('^\\d{3}$');
    const t = typo(r, 'please summarize the dashboard');
    expect(t).not.toBe('please summarize the dashboard');
    expect(Math.abs(t.length - 30)).toBeLessThanOrEqual(1);
    expect(devPrompt(seeded(9))).toBe(devPrompt(seeded(9)));
  });
});
