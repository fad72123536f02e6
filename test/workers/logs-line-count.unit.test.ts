// The line number the template miner stamps on the templates it matches (templates.ts `last`, its
// least-recently-used order for evictions) is the logs detector's count of template-path lines
// (logs.ts). It was set again from the text detector's count on every load, which is smaller once
// prose-like lines took the template path while the prose detector learnt (logs-prose.ts: their
// text novelty left out, so the text detector never counted them): a split stream then stamped
// smaller numbers than the whole one, its state differed and its evictions could follow another order.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { Finding, ScoreInput } from '../../workers/types.js';
import { logsInTasks } from './helpers.js';

const T0 = 1_700_000_000_000;
const SAYINGS = [
  'the customer wrote that the parcel arrived late and the box was damaged on one side',
  'please call me back about the refund because the last payment was taken twice from my card',
  'we would like to change the delivery address to the office before the order ships tomorrow',
  'thanks for the quick answer, the replacement works fine and the kids love it already',
];

/** An API's lines with a customer's free-text note now and then (prose-like: the prose detector learns them first). */
function stream(n: number, seed: number): ScoreInput[] {
  const r = seeded(seed);
  const ev: ScoreInput[] = [];
  for (let i = 0; i < n; i++) {
    const t = T0 + i * 700 + r.int(0, 300);
    const k = r.int(0, 19);
    const text = k === 0 ? r.pick(SAYINGS) : k < 14 ? `INFO api GET /api/orders/${r.int(1, 9999)} status=200 latency_ms=${r.int(5, 90)} req=${r.hex(12)}` : `INFO auth login ok user=u${r.int(0, 999)} region=${r.pick(['eu', 'us'])}`;
    ev.push({ ts: t, text });
  }
  return ev;
}

/** The stream in tasks of `batch` lines (helpers.ts logsInTasks: each parses the state it is given), its state parsed (its members' order aside: the prose state is added where a task first saves one). */
function inTasks(ev: ScoreInput[], batch: number): { findings: Finding[]; state: unknown } {
  const { findings, state } = logsInTasks(ev, batch);
  return { findings, state: JSON.parse(Buffer.from(state).toString('utf8')) };
}

describe('the template path\'s line count (logs.ts)', () => {
  it('is the same whatever the batch split, with prose-like lines learnt on the template path', () => {
    const ev = stream(1500, 3);
    const one = inTasks(ev, ev.length);
    const odd = inTasks(ev, 37);
    expect(odd.findings).toEqual(one.findings);
    expect(odd.state).toEqual(one.state);
  });
});
