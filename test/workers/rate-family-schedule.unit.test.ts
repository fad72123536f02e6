// A family's burst on a schedule (review rev10): a storm of a message split over several templates
// (rate-family.unit) that recurs every 10 minutes is learned as a single template's scheduled burst
// is (rate-periodic.unit): reported the first times, not after (fails on main: ~32 lines every episode).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;
const H = 3_600_000;
const P = 600_000;
const REASONS = ['Adding new member', 'Removing member', 'Leader'];
const TAILS = ['on heartbeat expiration', 'on LeaveGroup; client reason: the consumer is being closed', 'with group instance id None; client reason: rebalance failed due to MemberIdRequiredException'];

describe('a family burst on a schedule', () => {
  it('is reported the first times, then learned', () => {
    const r = seeded(7);
    const ev: ScoreInput[] = [];
    const rebalance = (gen: number): string => `INFO [GroupCoordinator 2]: Preparing to rebalance group orders-sink in state PreparingRebalance with old generation ${gen} (reason: ${r.pick(REASONS)} consumer-orders-sink-${r.int(1, 9)}-${r.hex(8)} ${r.pick(TAILS)})`;
    let gen = 100;
    for (let t = T0; t < T0 + 3 * H; t += 400 + r.int(0, 800)) {
      ev.push({ ts: t, text: r.chance(0.5) ? `INFO [LocalLog partition=orders-${r.int(0, 5)}] Rolled new log segment at offset ${r.int(1e6, 9e6)} in ${r.int(0, 4)} ms.` : `INFO [ProducerStateManager partition=orders-${r.int(0, 5)}] Wrote producer snapshot at offset ${r.int(1e6, 9e6)} in ${r.int(0, 6)} ms.` });
      if (r.chance(1 / 240)) ev.push({ ts: t + 1, text: rebalance(gen++) });
    }
    const first = T0 + H + 777;
    for (let k = 0; k < 12; k++) for (let j = 0; j < 40; j++) ev.push({ ts: first + k * P + j * 250, text: rebalance(gen++) });
    ev.sort((a, b) => a.ts - b.ts);
    const { findings } = runStream('logs', ev, 100);
    const fam = findings.filter((f) => f.detector === 'template_rate' && f.details?.family !== undefined);
    const episode = (f: { index: number }): number => Math.floor((ev[f.index].ts - first) / P);
    expect(fam.filter((f) => episode(f) < 3).length).toBeGreaterThan(0);
    expect(fam.filter((f) => episode(f) >= 5)).toEqual([]);
  }, 120_000);
});
