// The free-text detector on the first texts of an off-topic run, and on a long token that recurs
// in a stream's answers (issue 11, branch llm4; llm-dev generator seeds 311-340, neither its
// tuning seeds 201-205 and 216-225 nor its report seeds 206-215 and 231-240).
import { describe, expect, it } from 'vitest';
import { freshProse, ProseScorer } from '../../workers/detectors/prose.js';
import { longestTokenCore, recurringToken } from '../../workers/detectors/prose-features.js';
import { devAnswer, devPrompt, offTopic } from '../../src/tools/eval/generators/llm-dev.js';
import { seeded } from '../../src/tools/eval/generators/random.js';

const seeds = Array.from({ length: 30 }, (_, i) => 311 + i);

/** Texts flagged among the first `first` of a 14-text off-topic run after 300 normal prompts. */
function earlyRun(first: number): { flagged: number; texts: number } {
  let flagged = 0;
  for (const seed of seeds) {
    const r = seeded(seed);
    const p = new ProseScorer(freshProse());
    for (let i = 0; i < 300; i++) p.feed(devPrompt(r));
    for (let i = 0; i < 14; i++) if (p.feed(offTopic(r, false)) !== null && i < first) flagged++;
  }
  return { flagged, texts: seeds.length * first };
}

describe('prose: the first texts of an off-topic run', () => {
  it('flags more of the first 6 texts of the run (new vocabulary weighs more while the window rises)', () => {
    const { flagged, texts } = earlyRun(6);
    // 180 texts: 59 flagged before branch llm4 (the window gain and the quarantine), 109 with them;
    // over the whole run of 14 × 30: 171 → 321.
    expect(flagged).toBeGreaterThanOrEqual(Math.round(0.5 * texts));
  });
});

describe('prose: a long token that recurs in a stream', () => {
  it('strips the punctuation around a token', () => {
    expect(longestTokenCore('Try `=IFERROR(VLOOKUP(A2,Sheet2!A:C,3,FALSE),"")`. ok')).toBe('IFERROR(VLOOKUP(A2,Sheet2!A:C,3,FALSE');
    expect(longestTokenCore('')).toBe('');
  });

  it('remembers tokens in a bounded ring', () => {
    const ring: string[] = [];
    expect(recurringToken(ring, 'a aaaaaaaaaaaaaaaaaaaa', 2)).toBe(false);
    expect(recurringToken(ring, 'bbbbbbbbbbbbbbbbbbbbbb.', 2)).toBe(false);
    expect(recurringToken(ring, 'x "aaaaaaaaaaaaaaaaaaaa"', 2)).toBe(true);
    expect(recurringToken(ring, 'cccccccccccccccccccccc', 2)).toBe(false);
    expect(ring).toEqual(['bbbbbbbbbbbbbbbbbbbbbb', 'cccccccccccccccccccccc']);
  });

  it('two different tokens are never the same memory entry (punctuation-only runs, blobs with a common start)', () => {
    // Before, a run with no letter or digit had the empty core '', so after one such token every
    // other (=====, ~~~~~, a run of NULs) counted as recurring; and a blob was kept by its first 96
    // characters, so two base64 images with the same header were one token.
    const ring: string[] = [];
    expect(recurringToken(ring, 'see ======================', 8)).toBe(false);
    expect(recurringToken(ring, 'see ~~~~~~~~~~~~~~~~~~~~~~', 8)).toBe(false);
    expect(recurringToken(ring, 'x \u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000', 8)).toBe(false);
    expect(recurringToken(ring, 'again ======================', 8)).toBe(true);
    const head = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAAGXRFWHRTb2Z0d2FyZQBBZG9iZSBJbWFnZVJlYWR5ccllPAAAA';
    expect(recurringToken(ring, `${head}K1iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHe`, 8)).toBe(false);
    expect(recurringToken(ring, `${head}Z9zz0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAA`, 8)).toBe(false);
    expect(recurringToken(ring, `img ${head}Z9zz0KGgoAAAANSUhEUgAAAEAAAABACAYAAACqaXHeAAAA.`, 8)).toBe(true);
    // Entries stay bounded however long the token.
    for (const t of ring) expect(t.length).toBeLessThanOrEqual(96);
  });

  it('does not flag every answer that quotes the same spreadsheet formula, but still a new blob', () => {
    const formula = '`=IFERROR(INDEX(Sheet3!B:B,MATCH(D7,Sheet3!A:A,0)),"n/a")`';
    let formulaFlags = 0;
    let blobs = 0;
    for (const seed of seeds.slice(0, 10)) {
      const r = seeded(seed);
      const p = new ProseScorer(freshProse());
      for (let i = 0; i < 300; i++) p.feed(devAnswer(r));
      for (let i = 0; i < 20; i++) if (p.feed(`${devAnswer(r)} ${formula}`)?.details?.kind === 'token') formulaFlags++;
      const blob = Array.from({ length: 120 }, () => 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'[r.int(0, 63)]).join('');
      if (p.feed(`${devAnswer(r)} ${blob}`) !== null) blobs++;
    }
    // 10 streams × 20 answers with the formula: 37 token findings before branch llm4 (a flagged
    // text never joins the token's null, so the formula stays rare), 0 with the token memory.
    expect(formulaFlags).toBeLessThanOrEqual(10);
    expect(blobs).toBe(10);
  });
});
