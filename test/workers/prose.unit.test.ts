// The free-text detector of llm streams (workers/detectors/prose.ts): both tails of compression,
// length and character classes, each able to fail.
import { describe, expect, it } from 'vitest';
import { features, scoreProse } from '../../workers/detectors/prose.js';
import { generateLlm } from '../../src/tools/eval/generate.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

/** The generator's ordinary prompts (labelled ones dropped), as events. */
function prompts(seed: number): ScoreInput[] {
  const g = generateLlm(seed, 1500);
  const bad = new Set(g.anomalous);
  return g.lines.filter((_, i) => !bad.has(i)).map((l, i) => ({ ts: i, text: (JSON.parse(l) as { data: string }).data }));
}

describe('prose detector (llm streams)', () => {
  it('ordinary support prompts raise (almost) nothing', () => {
    const ev = prompts(21);
    const { findings } = runStream('llm', ev, 100);
    expect(findings.length).toBeLessThanOrEqual(3);
  });

  it('a token flood is flagged as far too compressible (the lower tail)', () => {
    const ev = prompts(22);
    ev[1000] = { ts: 1000, text: Array.from({ length: 40 }, () => 'refund').join(' ') };
    const { findings } = runStream('llm', ev, 100);
    const f = findings.find((x) => x.index === 1000);
    expect(f?.details.feature).toBe('self');
    expect(f?.details.direction).toBe('low');
    expect(f?.explanation).toMatch(/too compressible/);
  });

  it('another language, an encoded blob and pasted code are flagged (upper tails)', () => {
    const ev = prompts(23);
    ev[900] = { ts: 900, text: 'Guten Tag, meine Bestellung ist beschädigt angekommen und ich möchte sie gerne umtauschen.' };
    ev[1000] = { ts: 1000, text: `Please decode: ${Buffer.from(Array.from({ length: 120 }, (_, i) => (i * 73 + 11) % 256)).toString('base64')}` };
    ev[1100] = { ts: 1100, text: 'for (let i = 0; i < orders.length; i++) { if (orders[i].status === "pending") { cancel(orders[i].id); } }' };
    const { findings } = runStream('llm', ev, 100);
    for (const i of [900, 1000, 1100]) expect(findings.some((f) => f.index === i), `index ${i}`).toBe(true);
  });

  it('features: a flood compresses to a fraction of a prose text; code and foreign shares count', () => {
    const prose = features('Hi, my package for order 123456 has not arrived yet, can you tell me where it is? Thanks!', null);
    const flood = features(Array.from({ length: 40 }, () => 'refund').join(' '), null);
    expect(flood[1]).toBeLessThan(prose[1] / 3);
    expect(features('{ a: [1, 2]; } <b>', null)[3]).toBeGreaterThan(0.3);
    expect(features('こんにちは', null)[4]).toBe(1);
  });

  it('does not depend on the batch split, and the threshold never changes the state', () => {
    const ev = prompts(24);
    ev[700] = { ts: 700, text: 'help help help help help help help help help help help help help help' };
    const one = runStream('llm', ev, ev.length);
    expect(runStream('llm', ev, 7).findings).toEqual(one.findings);
    const a = scoreProse(null, ev, undefined, 0.2);
    const b = scoreProse(null, ev, undefined, 0.5);
    expect(Buffer.from(a.state).equals(Buffer.from(b.state))).toBe(true);
    expect(a.findings.length).toBeGreaterThanOrEqual(b.findings.length);
  });
});
