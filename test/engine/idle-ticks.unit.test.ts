// The idle ticks' choice (engine/transforms/idle-ticks.ts): which quiet streams get a tick, at
// what event time, and how many per sweep.
import { describe, expect, it } from 'vitest';
import { idleTickOptions, pickTicks, tickRecord, tickTime, type TickEntry } from '../../engine/transforms/idle-ticks.js';

const o = idleTickOptions({ everyMs: 1_000, horizonMs: 60_000, maxPerSweep: 3 });
const entry = (over: Partial<TickEntry> = {}): TickEntry => ({ stream: 's', streamType: 'logs', lastTs: 5_000_000, seenAt: 100_000, tickedAt: 0, ...over });

describe('idle ticks', () => {
  it("a quiet logs or traces stream's tick carries its event time advanced by the wall time since its last events", () => {
    expect(tickTime(entry(), 100_999, o)).toBeUndefined();
    expect(tickTime(entry(), 101_000, o)).toBe(5_001_000);
    expect(tickTime(entry({ streamType: 'traces' }), 130_000, o)).toBe(5_030_000);
    // Metrics and llm streams get none; nor a stream never seen, nor one past the horizon.
    expect(tickTime(entry({ streamType: 'metrics' }), 130_000, o)).toBeUndefined();
    expect(tickTime(entry({ streamType: 'llm' }), 130_000, o)).toBeUndefined();
    expect(tickTime(entry({ lastTs: -Infinity }), 130_000, o)).toBeUndefined();
    expect(tickTime(entry(), 160_001, o)).toBeUndefined();
    // One tick per interval (half an interval of timer jitter allowed).
    expect(tickTime(entry({ tickedAt: 129_700 }), 130_000, o)).toBeUndefined();
    expect(tickTime(entry({ tickedAt: 129_400 }), 130_000, o)).toBe(5_030_000);
  });

  it('sends at most maxPerSweep per sweep, in the order given, and marks the record as a tick', () => {
    const list = Array.from({ length: 10 }, (_, i) => entry({ stream: `s${i}`, seenAt: i % 2 === 0 ? 100_000 : 129_500 }));
    const due = pickTicks(list, 130_000, o);
    expect(due.map((d) => d.entry.stream)).toEqual(['s0', 's2', 's4']);
    const r = tickRecord(due[0].entry, due[0].ts);
    expect(r).toMatchObject({ idle: true, ts: 5_030_000, bytes: 0, text: undefined, value: undefined, metadataJson: '{"idle_tick":true}' });
  });

  it('refuses bad options', () => {
    expect(() => idleTickOptions({ everyMs: -1 })).toThrow(/everyMs/);
    expect(() => idleTickOptions({ everyMs: 1_000, horizonMs: 10 })).toThrow(/horizonMs/);
    expect(() => idleTickOptions({ maxPerSweep: 0 })).toThrow(/maxPerSweep/);
  });
});
