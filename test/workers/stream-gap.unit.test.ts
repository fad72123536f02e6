// A whole stream that stops (reported as its silence) and comes back at its usual pace (logs-rate.ts,
// LogsState.sg): its templates' and values' rates were not measured during the stop, so their means
// do not decay over it, and a template is not silent "while the stream went on" for the stream's
// own stop. Before, the means decayed for 20 minutes and the ordinary lines after the stop were
// bursts of their values (MongoDB's c = NETWORK, id = 51803: db 201-210, about 45 false alarms in
// the minutes after a stream's silence) and a template not yet seen again was reported silent.
// Fails before LogsState.sg: value bursts and template silences after the stop.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = 1_700_000_000_000;

function rec(t: number, c: string, id: number, msg: string, attr: Record<string, unknown>): string {
  return JSON.stringify({ t: { $date: new Date(t).toISOString() }, s: 'I', c, id, ctx: 'conn1', msg, attr });
}

/** 90 minutes of a Mongo-like log (a line every 0.3-1.5 s) that stops from 40 to 60 minutes. */
function stream(): { ev: ScoreInput[]; resumed: number } {
  const r = seeded(21);
  const ev: ScoreInput[] = [];
  const from = T0 + 2_400_000, to = T0 + 3_600_000;
  for (let t = T0; t < T0 + 5_400_000; t += 300 + r.int(0, 1200)) {
    if (t >= from && t < to) continue;
    const k = r.int(0, 9);
    if (k < 6) ev.push({ ts: t, text: rec(t, 'COMMAND', 51803, 'Slow query', { ns: r.pick(['shop.orders', 'shop.carts', 'events.clicks']), durationMillis: r.int(100, 900) }) });
    else if (k < 8) ev.push({ ts: t, text: rec(t, 'NETWORK', 22943, 'Connection accepted', { remote: `10.0.0.${r.int(1, 250)}:${r.int(30_000, 60_000)}` }) });
    else ev.push({ ts: t, text: rec(t, 'NETWORK', 22944, 'Connection ended', { remote: `10.0.0.${r.int(1, 250)}:${r.int(30_000, 60_000)}` }) });
  }
  return { ev, resumed: ev.findIndex((e) => e.ts >= to) };
}

describe('a stream that stops and comes back at its pace', () => {
  it('has its silence reported, and no burst or template silence in the lines after it', () => {
    const { ev, resumed } = stream();
    const { findings } = runStream('logs', ev, 100);
    expect(findings.some((f) => f.details.kind === 'stream_silence')).toBe(true);
    const after = findings.filter((f) => f.index > resumed && f.details.kind !== 'stream_silence');
    expect(after.filter((f) => f.detector === 'template_rate' || f.detector === 'silence')).toEqual([]);
  });
});
