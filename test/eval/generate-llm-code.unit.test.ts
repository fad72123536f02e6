// The llm-code generator: pure (same seed, same set), labels consistent with the events, every
// kind in every stream, code normal in the coding stream, German normal there only, secrets and
// blobs never on a normal text.
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { devPrompt, docsPrompt, fillCode, generateLlmCode, LLM_CODE_KINDS } from '../../src/tools/eval/generators/llm-code.js';
import { fresh } from '../../src/tools/eval/generators/llm-code-anomalies.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { expectLabelledPromptSet } from './helpers.js';

const STREAMS = ['devpilot-prompts', 'docs-qa-bot'];
const german = (p: string): boolean => /\b(Wie kann|Wie teste|Wie beantrage|Warum|Kannst du|Ich bekomme|Gibt es|Schreib mir|Der Build|Kurze Frage|Das hier|Seit dem|Wo finde|Wer hat)\b/.test(p);
const secretLike = (p: string): boolean => /sk_live_|ghp_\w{30}|AKIA[A-Z2-7]{16}|PRIVATE KEY-----|xoxb-\d|hvs\.\w{20}|npm_\w{30}|token: eyJ|(password |:)[A-Za-z0-9]{10,}[!#%$]\d{2}\b/.test(p);
const blobLike = (p: string): boolean => /[A-Za-z0-9+/]{120,}|[0-9a-f]{200,}|<~/.test(p);

describe('eval generate --kind llm-code', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS['llm-code'].generate).toBe(generateLlmCode);
    expect(JSON.stringify(generateLlmCode(201))).toBe(JSON.stringify(generateLlmCode(201)));
    expect(JSON.stringify(generateLlmCode(201))).not.toBe(JSON.stringify(generateLlmCode(202)));
  });

  it('has 3,500 texts; labels every kind in every stream, consistently, in time order, none in the warm-up', () => {
    for (const seed of [205, 206]) {
      const { events, labels } = generateLlmCode(seed);
      expect(events.length).toBe(3500);
      expectLabelledPromptSet({ events, labels }, STREAMS, LLM_CODE_KINDS);
      // The same anomaly text never comes twice in a seed (the second would be no news).
      const once = labels.anomalous.filter((i) => labels.kinds[String(i)] !== 'topic_drift').map((i) => String(events[i].data));
      expect(new Set(once).size).toBe(once.length);
    }
  });

  it('normal texts: code and traces in the coding stream, German only there, no secrets or blobs, fresh values', () => {
    const { events, labels } = generateLlmCode(207);
    const normal = (s: string): string[] => events.filter((e, i) => !(i in labels.kinds) && e.stream === s).map((e) => String(e.data));
    const dev = normal('devpilot-prompts');
    const docs = normal('docs-qa-bot');
    const code = dev.filter((p) => /```|Traceback|\n\s+at |\$ \w+|def |func |SELECT /.test(p));
    expect(code.length / dev.length).toBeGreaterThan(0.35);
    expect(dev.filter((p) => p.length < 80).length / dev.length).toBeGreaterThan(0.25);
    expect(dev.filter(german).length / dev.length).toBeGreaterThan(0.05);
    expect(docs.some(german)).toBe(false);
    expect([...dev, ...docs].some(secretLike)).toBe(false);
    expect([...dev, ...docs].some(blobLike)).toBe(false);
    expect(dev.some((p) => p.includes('${{ secrets.NPM_TOKEN }}') || p.includes('<your test key>'))).toBe(true);
    expect(new Set(dev).size / dev.length).toBeGreaterThan(0.75);
    const lines = new Set(dev.flatMap((p) => p.match(/line \d+, in \w+/g) ?? []));
    expect(lines.size).toBeGreaterThan(100);
    const of = (kind: string): { stream: string; text: string }[] => labels.anomalous.filter((i) => labels.kinds[String(i)] === kind).map((i) => ({ stream: events[i].stream, text: String(events[i].data) }));
    expect(of('secret_paste').every((x) => secretLike(x.text))).toBe(true);
    expect(of('encoded_blob').every((x) => blobLike(x.text))).toBe(true);
    expect(of('foreign_language').some((x) => x.stream === 'devpilot-prompts' && german(x.text))).toBe(false);
  });

  it('a topic_drift run stays on one topic; helpers are pure and do what they say', () => {
    const { events, labels } = generateLlmCode(203);
    const drift = labels.anomalous.filter((i) => labels.kinds[String(i)] === 'topic_drift');
    expect(drift.length).toBeGreaterThanOrEqual(3 * 8);
    expect(drift.every((i) => !/```|Traceback|kubectl|runbook/.test(String(events[i].data)))).toBe(true);
    expect(fillCode(seeded(1), '{a|a} {lang} { x } {unknown} ${@:2}')).toMatch(/^a \w+ \{ x \} \{unknown\} \$\{@:2\}$/);
    const used = new Set<unknown>();
    const r = seeded(2);
    expect([fresh(r, [1, 2, 3], used), fresh(r, [1, 2, 3], used), fresh(r, [1, 2, 3], used)].sort()).toEqual([1, 2, 3]);
    expect(devPrompt(seeded(9))).toBe(devPrompt(seeded(9)));
    expect(docsPrompt(seeded(9))).toBe(docsPrompt(seeded(9)));
  });
});
