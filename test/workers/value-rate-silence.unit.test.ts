// A stream's own silence teaches its values nothing (logs-rate.ts quietValues): a MongoDB log that
// stops for 25 minutes and resumes at its usual pace. Its values' records (value-rate.ts) counted
// the silent windows as empty and the value c = NETWORK fell to 5% of its usual rate, so the
// ordinary connections after the silence were reported as its burst (db 201-210: 35 false
// alarms). Fails before the rule: template_rate findings on the lines after the silence.
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 7, 22, 21, 0, 0);
const HOUR = 3_600_000;

function mongo(t: number, c: string, id: number, ctx: string, msg: string, attr: Record<string, unknown>): ScoreInput {
  return { ts: t, text: JSON.stringify({ t: { $date: new Date(t).toISOString().replace('Z', '+00:00') }, s: 'I', c, id, ctx, msg, attr }) };
}

/** Connections (3 lines each, about 0.07 a second), slow queries (0.2 a second) and a checkpoint a minute; nothing from `from` for `ms`. */
function stream(from: number, ms: number): ScoreInput[] {
  const r = seeded(23);
  const ev: ScoreInput[] = [];
  let conn = 1000;
  const quiet = (t: number): boolean => t >= from && t < from + ms;
  for (let t = T0; t < T0 + 3 * HOUR; t += Math.round(r.exp(14_000))) {
    if (quiet(t)) continue;
    const remote = `10.20.5.${r.int(10, 250)}:${r.int(32768, 60999)}`;
    conn += r.int(1, 5);
    ev.push(mongo(t, 'NETWORK', 22943, 'listener', 'Connection accepted', { remote, connectionId: conn, connectionCount: r.int(40, 70) }));
    ev.push(mongo(t + 2, 'NETWORK', 51800, `conn${conn}`, 'client metadata', { remote, client: `conn${conn}`, doc: { application: { name: 'orders-api' } } }));
    ev.push(mongo(t + 9, 'ACCESS', 5286306, `conn${conn}`, 'Successfully authenticated', { client: remote, mechanism: 'SCRAM-SHA-256', user: 'orders_api', db: 'admin' }));
  }
  for (let t = T0; t < T0 + 3 * HOUR; t += Math.round(r.exp(5_000))) {
    if (!quiet(t)) ev.push(mongo(t, 'COMMAND', 51803, `conn${r.int(1000, 9000)}`, 'Slow query', { type: 'command', ns: r.pick(['shop.orders', 'events.clicks']), durationMillis: r.int(100, 900) }));
  }
  for (let t = T0 + 30_000; t < T0 + 3 * HOUR; t += 60_000) {
    if (!quiet(t)) ev.push(mongo(t, 'WTCHKPT', 22430, 'Checkpointer', 'WiredTiger message', { message: { ts_sec: Math.floor(t / 1000), msg: `saving checkpoint snapshot min: ${r.int(1000, 90_000)}` } }));
  }
  return ev.sort((a, b) => a.ts - b.ts);
}

const rateAfter = (ev: ScoreInput[], from: number): number[] => runStream('logs', ev, 100).findings.filter((f) => f.detector === 'template_rate' && ev[f.index].ts >= from && ev[f.index].ts < from + 10 * 60_000).map((f) => f.index);

describe('a stream that resumes after its own silence', () => {
  it('has no value burst in its ordinary lines after it', () => {
    const from = T0 + 1.5 * HOUR;
    const ev = stream(from, 25 * 60_000);
    expect(rateAfter(ev, from + 25 * 60_000)).toEqual([]);
  });

  it('and still its silence', () => {
    const from = T0 + 1.5 * HOUR;
    const ev = stream(from, 25 * 60_000);
    expect(runStream('logs', ev, 100).findings.some((f) => f.detector === 'silence')).toBe(true);
  });
});
