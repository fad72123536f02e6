// A numeric slot that has only ever held numbers, and then a word in their place: a training
// loop whose loss and grad norm go `nan` for a run of steps (field-numbers.ts nonNumber). Every
// line of the run is reported, not only its first few (each NaN counted as one more sighting of
// a non-number would have made the run's tenth line ordinary), and the lines after it are not.
// A slot where such a word is a habit (`ttl=none` on a share of its lines) stays unreported.
// Fails without the rule: a word in a high-cardinality slot was counted and never judged.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 1, 0, 0);

/** 600 steps 12 s apart; steps [from, from + len) have loss and grad_norm `word`. */
function steps(from: number, len: number, word = 'nan'): ScoreInput[] {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  for (let i = 0; i < 600; i++) {
    const t = T0 + i * 12_000 + r.int(0, 400);
    const bad = i >= from && i < from + len;
    const loss = bad ? word : (1.8 - i / 2000 + 0.05 * r.next()).toFixed(4);
    const grad = bad ? word : (0.6 + 0.6 * r.next()).toFixed(3);
    const stamp = new Date(t).toISOString().slice(0, 23).replace('T', ' ').replace('.', ',');
    ev.push({ ts: t, text: `${stamp} - train - INFO - step ${56_140 + 10 * i}/150000 | loss ${loss} | grad_norm ${grad} | step_time 1.2${r.int(0, 9)}s` });
  }
  return ev;
}

const slotHits = (findings: { index: number; detector: string; explanation: string }[], from: number, to: number): number =>
  new Set(findings.filter((f) => f.index >= from && f.index < to && f.detector === 'template_slot' && /where \d+ of its \d+ sightings were numbers/.test(f.explanation)).map((f) => f.index)).size;

describe('a word in place of a numeric slot\'s number', () => {
  it('reports every line of a run of NaN losses, and none after it', () => {
    const { findings } = runStream('logs', steps(400, 25), 100);
    expect(slotHits(findings, 400, 425)).toBe(25);
    expect(slotHits(findings, 0, 400) + slotHits(findings, 425, 600)).toBe(0);
  }, 60_000);

  it('leaves a slot alone where the word is a habit (one line in 10)', () => {
    const ev = steps(0, 0).map((e, i) => (i % 10 === 5 ? { ...e, text: String(e.text).replace(/grad_norm [\d.]+/, 'grad_norm none') } : e));
    const { findings } = runStream('logs', ev, 100);
    expect(slotHits(findings, 0, 600)).toBe(0);
  }, 60_000);
});
