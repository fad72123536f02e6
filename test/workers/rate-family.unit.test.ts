// A burst of one kind of message whose free-text tail varies in length (a consumer group's
// rebalances, each with its reason: "Adding new member … on heartbeat expiration", "Leader …
// with group instance id None; client reason: …"): the template miner splits it over several
// templates (a template has one token count), each seen a few times, too young or too thin for a
// rate test of its own. Its family, the templates that begin with the same words, has one rate
// record (workers/detectors/logs-rate.ts): the storm is a burst of the family.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const REASONS = ['Adding new member', 'Removing member', 'Leader'];
const TAILS = ['on heartbeat expiration', 'on LeaveGroup; client reason: the consumer is being closed', 'with group instance id None; client reason: rebalance failed due to MemberIdRequiredException'];

function stream(storm: boolean): { ev: ScoreInput[]; at: number[] } {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  const rebalance = (t: number, gen: number): string => `INFO [GroupCoordinator 2]: Preparing to rebalance group orders-sink in state PreparingRebalance with old generation ${gen} (reason: ${r.pick(REASONS)} consumer-orders-sink-${r.int(1, 9)}-${r.hex(8)} ${r.pick(TAILS)})`;
  let gen = 100;
  for (let t = T0; t < T0 + 3_600_000; t += 400 + r.int(0, 800)) {
    ev.push({ ts: t, text: r.chance(0.5) ? `INFO [LocalLog partition=orders-${r.int(0, 5)}] Rolled new log segment at offset ${r.int(1e6, 9e6)} in ${r.int(0, 4)} ms.` : `INFO [ProducerStateManager partition=orders-${r.int(0, 5)}] Wrote producer snapshot at offset ${r.int(1e6, 9e6)} in ${r.int(0, 6)} ms.` });
    // A rebalance every 4 minutes or so.
    if (r.chance(1 / 240)) ev.push({ ts: t + 1, text: rebalance(t + 1, gen++) });
  }
  const at: number[] = [];
  if (storm) {
    const from = T0 + 2_400_000;
    for (let j = 0; j < 40; j++) ev.push({ ts: from + j * 250, text: rebalance(from + j * 250, gen++) });
    ev.sort((a, b) => a.ts - b.ts);
    ev.forEach((e, i) => { if (e.ts >= from && e.ts < from + 40 * 250 && (e.text ?? '').includes('Preparing to rebalance')) at.push(i); });
  }
  return { ev, at };
}

describe('a storm of a message split over several templates', () => {
  it('is a burst of its family: most of its lines are reported', () => {
    const { ev, at } = stream(true);
    expect(at.length).toBe(40);
    const { findings } = runStream('logs', ev, 100);
    const rate = findings.filter((f) => f.detector === 'template_rate' && at.includes(f.index));
    expect(rate.length).toBeGreaterThanOrEqual(30);
    expect(rate.some((f) => /^Templates beginning "INFO \[GroupCoordinator Preparing to rebalance/.test(f.explanation))).toBe(true);
  });

  it('while the same message at its usual rate is no burst', () => {
    const { ev } = stream(false);
    const { findings } = runStream('logs', ev, 100);
    expect(findings.filter((f) => f.detector === 'template_rate')).toEqual([]);
  });
});

describe('families in the state', () => {
  it('are bounded (MAX_FAMILIES, the least recently seen out), whatever the split into tasks', async () => {
    const { MAX_FAMILIES } = await import('../../workers/detectors/logs-rate.js');
    const { loadState } = await import('../../workers/detectors/logs-state.js');
    const r = seeded(11);
    const word = (): string => Array.from({ length: 6 }, () => String.fromCharCode(97 + r.int(0, 25))).join('');
    const ev: ScoreInput[] = Array.from({ length: 600 }, (_, i) => ({ ts: T0 + i * 1000, text: `INFO ${word()} ${word()} ${word()} ${word()} done in ${i} ms` }));
    const one = runStream('logs', ev, 600).state;
    const many = runStream('logs', ev, 70).state;
    const f = loadState(one).f ?? {};
    expect(Object.keys(f).length).toBe(MAX_FAMILIES);
    expect(loadState(many).f).toEqual(f);
  });
});

describe('a template widened by a line', () => {
  it('takes the family of its new tokens (the family key kept on the template is dropped when its tokens change)', async () => {
    const { loadState } = await import('../../workers/detectors/logs-state.js');
    const ev: ScoreInput[] = Array.from({ length: 40 }, (_, i) => ({ ts: T0 + i * 1000, text: `INFO alpha ${i < 20 ? 'beta' : `beta${'x'.repeat(i % 3)}z`} gamma delta epsilon done` }));
    const f = loadState(runStream('logs', ev, 100).state).f ?? {};
    // Lines 0-19 were the family "INFO alpha beta gamma delta"; line 20 made the third word a slot.
    expect(Object.keys(f).sort()).toEqual(['INFO alpha beta gamma delta', 'INFO alpha gamma delta epsilon']);
  });
});
