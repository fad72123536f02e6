// The free-text detector on the llm-dev generator's style (issue 11: a data and coding assistant,
// prompts from 3 words to several paragraphs): seeds 301-302 (neither the tuning seeds 201-205
// nor the report seeds 206-215). Before the long-run vocabulary, the length gain and the
// vocabulary threshold 2.4: 9 false alarms, injections 4 of 8, drift 35 of 70; with them: 4, 6, 54.
import { describe, expect, it } from 'vitest';
import { freshProse, ProseScorer } from '../../workers/detectors/prose.js';
import { generateLlmDev } from '../../src/tools/eval/generators/llm-dev.js';

/** False alarms, and per kind the incidents (runs of consecutive labelled lines of one kind) and how many have a flagged line. */
function evaluate(seed: number): { falseAlarms: number; kinds: Map<string, { found: number; total: number }> } {
  const { events, labels } = generateLlmDev(seed);
  const kinds = labels.kinds ?? {};
  const scorers = new Map<string, ProseScorer>();
  const flagged = events.map((e) => {
    let sc = scorers.get(e.stream);
    if (sc === undefined) scorers.set(e.stream, (sc = new ProseScorer(freshProse())));
    return sc.feed(String(e.data)) !== null;
  });
  const anomalous = new Set(labels.anomalous);
  const falseAlarms = flagged.filter((f, i) => f && !anomalous.has(i)).length;
  const out = new Map<string, { found: number; total: number }>();
  let prev: string | undefined;
  let runFound = false;
  for (let i = 0; i < events.length; i++) {
    const k = kinds[String(i)];
    if (k === undefined) {
      prev = undefined;
      continue;
    }
    const c = out.get(k) ?? { found: 0, total: 0 };
    if (k !== prev) {
      c.total++;
      runFound = false;
    }
    if (flagged[i] && !runFound) {
      c.found++;
      runFound = true;
    }
    out.set(k, c);
    prev = k;
  }
  return { falseAlarms, kinds: out };
}

describe('prose detector on llm-dev prompts and answers', () => {
  it('finds injections and drift without the false alarms of short texts (seeds 301-302)', () => {
    let falseAlarms = 0;
    const sum = new Map<string, { found: number; total: number }>();
    for (const seed of [301, 302]) {
      const r = evaluate(seed);
      falseAlarms += r.falseAlarms;
      for (const [k, v] of r.kinds) {
        const c = sum.get(k) ?? { found: 0, total: 0 };
        sum.set(k, { found: c.found + v.found, total: c.total + v.total });
      }
    }
    const found = (k: string): number => sum.get(k)?.found ?? 0;
    expect(falseAlarms).toBeLessThanOrEqual(6);
    expect(found('prompt_injection') + found('topic_drift')).toBeGreaterThanOrEqual(55);
    expect(found('pasted_code')).toBe(sum.get('pasted_code')?.total);
  });
});
