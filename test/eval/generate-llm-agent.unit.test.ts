// The llm-agent generator: pure (same seed, same set), labels consistent with the answers, every
// kind in every stream, varied normal answers (lengths, lists, tables, code, French in Atlas only,
// a rare reasoned refusal), and planted answers that hold what their kind says.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { atlasAnswer, fillAgent, generateLlmAgent, LLM_AGENT_KINDS, relayAnswer } from '../../src/tools/eval/generators/llm-agent.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { expectLabelledPromptSet } from './helpers.js';

const STREAMS = ['atlas-answers', 'relay-answers'];
const french = (t: string): boolean => /\b(Vous|Votre|Voici|Pour|Bonne question|Je ne peux|Le bureau|Le congé|Oui, les)\b/.test(t) && /[éèàç]|\bvous\b|\bdes\b/.test(t);
const blob = (t: string): boolean => /[A-Za-z0-9+/]{70,}|([0-9a-f]{2} ){15}[0-9a-f]{2}/.test(t);
const leak = (t: string): boolean => /You are (Atlas|Relay|a helpful)|<\|im_start\|>|system prompt|\[SYSTEM\]|Developer instructions|Never reveal these instructions/.test(t);
/** How many sentences or list items of a text repeat an earlier one, plus its doubled words ("the the"). */
const loops = (t: string): number => {
  const parts = t.split(/(?<=[.!?])\s+|\n\d+\. /).map((x) => x.trim()).filter((x) => x.length > 8);
  return parts.length - new Set(parts).size + (t.match(/\b(\w+) \1\b/g)?.length ?? 0);
};
const cleanEnd = (t: string): boolean => /[.!?:`|)*]$|\d$/.test(t.trimEnd());

describe('eval generate --kind llm-agent', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS['llm-agent'].generate).toBe(generateLlmAgent);
    expect(JSON.stringify(generateLlmAgent(201))).toBe(JSON.stringify(generateLlmAgent(201)));
    expect(JSON.stringify(generateLlmAgent(201))).not.toBe(JSON.stringify(generateLlmAgent(202)));
  });

  it('has 4,800 answers; labels every kind in every stream, consistently, in time order, none in the warm-up', () => {
    for (const seed of [205, 206]) {
      const { events, labels } = generateLlmAgent(seed);
      expect(events.length).toBe(4800);
      expectLabelledPromptSet({ events, labels }, STREAMS, LLM_AGENT_KINDS);
      const once = labels.anomalous.filter((i) => !['topic_drift', 'refusal_burst'].includes(labels.kinds[String(i)])).map((i) => String(events[i].data));
      expect(new Set(once).size).toBe(once.length);
    }
  });

  it('normal answers: varied lengths and shapes, French in Atlas only, no loops, blobs, leaks or cut-offs, fresh values', () => {
    const { events, labels } = generateLlmAgent(207);
    const normal = (s: string): string[] => events.filter((e, i) => !(i in labels.kinds) && e.stream === s).map((e) => String(e.data));
    const atlas = normal('atlas-answers');
    const relay = normal('relay-answers');
    const all = [...atlas, ...relay];
    expect(atlas.filter(french).length / atlas.length).toBeGreaterThan(0.06);
    expect(atlas.filter(french).length / atlas.length).toBeLessThan(0.15);
    expect(relay.some(french)).toBe(false);
    expect(all.filter((t) => t.length < 160).length / all.length).toBeGreaterThan(0.2);
    expect(all.filter((t) => t.length > 450).length / all.length).toBeGreaterThan(0.07);
    expect(all.filter((t) => t.includes('```')).length / all.length).toBeGreaterThan(0.05);
    expect(all.filter((t) => /^\|.*\|$/m.test(t)).length / all.length).toBeGreaterThan(0.05);
    expect(all.filter((t) => /^(- |\d+\. )/m.test(t)).length / all.length).toBeGreaterThan(0.15);
    expect(atlas.filter((t) => /^I can't see|^I don't have access|^I'm not able to approve|^Sorry, I can't share/.test(t)).length).toBeGreaterThan(10);
    expect(all.some(blob)).toBe(false);
    expect(all.some(leak)).toBe(false);
    expect(Math.max(...all.map(loops))).toBeLessThan(3);
    expect(all.every(cleanEnd)).toBe(true);
    expect(new Set(all).size / all.length).toBeGreaterThan(0.8);
    expect(new Set(relay.flatMap((t) => t.match(/INC-\d+/g) ?? [])).size).toBeGreaterThan(100);
  });

  it('planted answers hold what their kind says; runs stay in one stream, one subject, back to back', () => {
    for (const seed of [208, 209]) {
      const { events, labels } = generateLlmAgent(seed);
      const of = (kind: string): string[] => labels.anomalous.filter((i) => labels.kinds[String(i)] === kind).map((i) => String(events[i].data));
      expect(of('repetition_loop').every((t) => loops(t) >= 10)).toBe(true);
      expect(of('encoded_blob').every(blob)).toBe(true);
      expect(of('leaked_prompt').every(leak)).toBe(true);
      expect(of('truncated').every((t) => !cleanEnd(t) && t.length > 60)).toBe(true);
      expect(of('wrong_language').every((t) => !french(t) && !/\b(the|and|you)\b/.test(t))).toBe(true);
      expect(of('refusal_burst').every((t) => /can't|cannot|unable|not able/.test(t) && t.length < 90)).toBe(true);
      expect(of('topic_drift').every((t) => !/Workday|kubectl|VPN|expense|INC-/.test(t))).toBe(true);
      for (const s of STREAMS) {
        // The lengths of the runs of a kind among this stream's answers.
        const kinds = events.flatMap((e, i) => (e.stream === s ? [labels.kinds[String(i)] ?? ''] : []));
        const runs = (kind: string): number[] => {
          const out: number[] = [];
          kinds.forEach((k, i) => { if (k === kind) { if (i > 0 && kinds[i - 1] === kind) out[out.length - 1]++; else out.push(1); } });
          return out;
        };
        expect(runs('refusal_burst').length).toBe(s === 'atlas-answers' ? 2 : 1);
        expect(runs('topic_drift').length).toBe(s === 'atlas-answers' ? 2 : 1);
        expect(runs('refusal_burst').every((n) => n >= 5 && n <= 12)).toBe(true);
        expect(runs('topic_drift').every((n) => n >= 8 && n <= 20)).toBe(true);
      }
    }
    expect(atlasAnswer(seeded(9))).toBe(atlasAnswer(seeded(9)));
    expect(relayAnswer(seeded(9))).toBe(relayAnswer(seeded(9)));
    expect(fillAgent(seeded(1), '{a|a} {svc} {unknown} sum(rate(x{code=~"5.."}[5m]))')).toMatch(/^a [\w-]+ \{unknown\} sum\(rate\(x\{code=~"5\.\."\}\[5m\]\)\)$/);
  });
});
