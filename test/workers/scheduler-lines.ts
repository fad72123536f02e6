// A scheduler's log stream for the entity-burst tests (entity-burst.unit, entity-stranger.unit):
// 300 nodes' heartbeats, so every node is known to the stream, and tasks dispatched to nodes at
// random, with a node that takes most dispatches for 20 minutes.
import { seeded } from '../../src/tools/eval/generators/random.js';
import type { ScoreInput } from '../../workers/types.js';

export const T0 = 1_700_000_000_000;
export type Rng = ReturnType<typeof seeded>;

/** Syslog's time of day (RFC 3164): a slot of every line, and not an id. */
export const clock = (ts: number): string => `Nov 14 ${new Date(ts).toISOString().slice(11, 19)}`;

/** A dispatch's line: a task from a list of 120 to `node`. */
export const dispatched = (r: Rng, node: string, t: number): string => `${clock(t)} sched[77]: dispatched task job${r.int(1, 120)} to ${node} in queue batch`;

/**
 * 4 hours of the stream: 300 nodes' heartbeats and a task's line (`line`, a dispatch unless told)
 * every 2-8 s for a node at random; from 3 h for 20 minutes `busy` takes 3 of 5 of them, and
 * `joins` (absent from the heartbeats), when given, 1 in 4 from 1 h on. Sorted by time; `busyAt`:
 * the lines that name `busy`.
 */
export function scheduler(seed: number, busy: string, line = dispatched, joins?: string): { ev: ScoreInput[]; busyAt: number[] } {
  const r = seeded(seed);
  const node = (): string => `node-${String(r.int(1, 300)).padStart(3, '0')}`;
  const ev: ScoreInput[] = [];
  for (let t = T0; t < T0 + 4 * 3600_000; t += r.int(500, 3500)) ev.push({ ts: t, text: `${clock(t)} sched[77]: ${node()} heartbeat load ${(r.next() * 4).toFixed(2)}` });
  const from = T0 + 3 * 3600_000;
  for (let t = T0; t < T0 + 4 * 3600_000; t += r.int(2000, 8000)) {
    const n = t >= from && t < from + 1200_000 && r.int(0, 4) < 3 ? busy : joins !== undefined && t >= T0 + 3600_000 && r.int(0, 3) === 0 ? joins : node();
    ev.push({ ts: t, text: line(r, n, t) });
  }
  ev.sort((a, b) => a.ts - b.ts);
  return { ev, busyAt: ev.map((e, i) => (e.text?.includes(busy) === true ? i : -1)).filter((i) => i >= 0) };
}
