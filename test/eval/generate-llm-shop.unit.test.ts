// The llm-shop generator: pure (same seed, same set), labels consistent with the events, every
// kind in every stream, a style of its own (short chat turns, ids, a normal second language).
import { describe, expect, it } from 'vitest';
import { GENERATORS } from '../../src/tools/eval/generators/index.js';
import { distinct, fillShop, generateLlmShop, hrPrompt, shopPrompt, slip } from '../../src/tools/eval/generators/llm-shop.js';
import { LLM_KINDS } from '../../src/tools/eval/generators/llm.js';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { expectLabelledPromptSet } from './helpers.js';

const STREAMS = ['northwind-shop-chat', 'northwind-shop-replies', 'people-hr-assistant'];

describe('eval generate --kind llm-shop', () => {
  it('is registered and deterministic per seed', () => {
    expect(GENERATORS['llm-shop'].generate).toBe(generateLlmShop);
    expect(JSON.stringify(generateLlmShop(201))).toBe(JSON.stringify(generateLlmShop(201)));
    expect(JSON.stringify(generateLlmShop(201))).not.toBe(JSON.stringify(generateLlmShop(202)));
  });

  it('has 3,000-4,000 texts; labels every kind in every stream, consistently, in time order, none in the warm-up', () => {
    const { events, labels } = generateLlmShop(205);
    expect(events.length).toBeGreaterThanOrEqual(3000);
    expect(events.length).toBeLessThanOrEqual(4000);
    expectLabelledPromptSet({ events, labels }, STREAMS, LLM_KINDS);
  });

  it('normal turns: many short, some long, fresh ids, Spanish only in the store, French only in HR', () => {
    const { events, labels } = generateLlmShop(207);
    const normal = (s: string): string[] => events.filter((e, i) => !(i in labels.kinds) && e.stream === s).map((e) => String(e.data));
    const chat = normal('northwind-shop-chat');
    const hr = normal('people-hr-assistant');
    const words = chat.map((p) => p.split(/\s+/).length);
    expect(words.filter((w) => w <= 6).length / chat.length).toBeGreaterThan(0.3);
    expect(Math.max(...words)).toBeGreaterThan(40);
    const orders = chat.flatMap((p) => p.match(/\bNW\d{7}\b/g) ?? []);
    expect(new Set(orders).size).toBeGreaterThan(20);
    const spanish = (p: string): boolean => /¿|\b(gracias|pedido|talla|tienen)\b/.test(p);
    const french = (p: string): boolean => /\b(Combien|Est-ce|Comment je|Où trouver|gestionnaire)\b/.test(p);
    expect(chat.filter(spanish).length / chat.length).toBeGreaterThan(0.03);
    expect(hr.filter(french).length / hr.length).toBeGreaterThan(0.015);
    expect(hr.some(spanish)).toBe(false);
    expect(chat.some(french)).toBe(false);
    // The planted foreign language is never the stream's normal second language.
    const foreign = events.filter((_e, i) => labels.kinds[String(i)] === 'foreign_language');
    expect(foreign.some((e) => e.stream !== 'people-hr-assistant' && spanish(String(e.data)))).toBe(false);
    expect(foreign.some((e) => e.stream === 'people-hr-assistant' && french(String(e.data)))).toBe(false);
  });

  it('a topic_drift run stays on one topic; helpers are pure and do what they say', () => {
    const { events, labels } = generateLlmShop(203);
    const drift = events.filter((_e, i) => labels.kinds[String(i)] === 'topic_drift');
    expect(drift.length).toBeGreaterThanOrEqual(4 * 8);
    const mem = { product: 'Alpine beanie', color: 'red', order: 'NW1234567' };
    expect(fillShop(seeded(1), '{a|a} {% raw %}', mem)).toBe('a {% raw %}');
    expect(distinct(seeded(2), [1, 2, 3], 5).sort()).toEqual([1, 2, 3]);
    const t = slip(seeded(3), 'where is my package');
    expect(t).not.toBe('where is my package');
    expect(Math.abs(t.length - 19)).toBeLessThanOrEqual(1);
    expect(shopPrompt(seeded(9), { ...mem })).toBe(shopPrompt(seeded(9), { ...mem }));
    expect(hrPrompt(seeded(9), { ...mem })).toBe(hrPrompt(seeded(9), { ...mem }));
  });
});
