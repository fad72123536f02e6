// The events sink's choice of a group commit (engine/sinks/postgres/group.ts): tenants over their
// share of the recent rows go in groups of their own, after the tenants under it, and hold at
// most the heavy lane's flushes; tenants of like size share groups as before (TenantShares:
// engine/transforms/shares.ts).
import { describe, expect, it } from 'vitest';
import { takeGroup } from '../../engine/sinks/postgres/group.js';
import { TenantShares } from '../../engine/transforms/shares.js';

const w = (tenantId: string, rows: number, batchKey?: string) => ({ w: { tenantId, rows, lines: 'x'.repeat(rows), batchKey } });
const tenants = (g: { w: { tenantId: string } }[]): string[] => g.map((p) => p.w.tenantId);

describe('TenantShares', () => {
  it('one tenant alone is never heavy, however much it writes', () => {
    const s = new TenantShares();
    s.add('A', 1_000_000, 0);
    expect(s.heavy('A', 0)).toBe(false);
  });

  it('a tenant writing 60 times another\'s rows is heavy, the other is not', () => {
    const s = new TenantShares();
    for (let t = 0; t < 1_000; t += 100) { s.add('A', 6_000, t); s.add('B', 100, t); }
    expect(s.heavy('A', 1_000)).toBe(true);
    expect(s.heavy('B', 1_000)).toBe(false);
  });

  it('tenants of like size are none of them heavy', () => {
    const s = new TenantShares();
    for (let t = 0; t < 1_000; t += 100) for (const x of ['A', 'B', 'C']) s.add(x, 1_000 + (x === 'A' ? 200 : 0), t);
    expect(['A', 'B', 'C'].map((x) => s.heavy(x, 1_000))).toEqual([false, false, false]);
  });

  it('light: well under the mean of the active tenants; never with one tenant active', () => {
    const s = new TenantShares();
    s.add('A', 100_000, 0);
    expect(s.light('A', 0)).toBe(false);
    s.add('B', 1_000, 0);
    expect(s.light('B', 0)).toBe(true);
    expect(s.light('A', 0)).toBe(false);
    s.add('B', 60_000, 0);
    expect(s.light('B', 0)).toBe(false);
  });

  it('a heavy tenant that stops writing is heavy no more once its rows have decayed', () => {
    const s = new TenantShares(1_000);
    s.add('A', 100_000, 0);
    s.add('B', 100, 0);
    expect(s.heavy('A', 0)).toBe(true);
    // 20 half-lives later A's weight is under a row: B alone is active.
    for (let t = 1_000; t <= 20_000; t += 1_000) s.add('B', 100, t);
    expect(s.heavy('A', 20_000)).toBe(false);
  });

  it('a light tenant that stops sending makes the heavy one heavy no more once its activity window (two half-lives) has passed', () => {
    // A: 600 kB every 100 ms (frames of 1,000 events), B: 10 kB every 100 ms, for 10 s; then B stops.
    const s = new TenantShares(1_000);
    for (let t = 0; t < 10_000; t += 100) { s.add('A', 600_000, t); s.add('B', 10_000, t); }
    expect(s.heavy('A', 9_900)).toBe(true);
    const heavyAt = (t: number): boolean => { s.add('A', 600_000, t); return s.heavy('A', t); };
    // Within B's window (last add at 9,900 ms): A is still over its share.
    expect(heavyAt(11_000)).toBe(true);
    expect(heavyAt(11_800)).toBe(true);
    // On main B counted until its decayed weight fell under one unit (~17 s for these bytes): A stayed capped that long.
    expect(heavyAt(12_000)).toBe(false);
    expect(heavyAt(13_000)).toBe(false);
    expect(s.light('B', 13_000)).toBe(false);
    // B comes back: A is over its share again at once.
    s.add('B', 10_000, 13_100);
    expect(s.heavy('A', 13_100)).toBe(true);
  });
});

describe('takeGroup', () => {
  const opts = (heavy: string[], heavyMayStart = true) => ({ maxRows: 10_000, maxFlushesPerTenant: 2, heavy: (t: string) => heavy.includes(t), heavyMayStart });

  it('a light tenant\'s write goes in a group of its own, ahead of a heavy tenant\'s backlog; the heavy one goes next', () => {
    const pending = [w('A', 1_000), w('A', 1_000), w('B', 100), w('A', 1_000), w('C', 50)];
    const first = takeGroup(pending, new Map(), opts(['A']));
    expect(tenants(first.group)).toEqual(['B', 'C']);
    expect(first.heavy).toBe(false);
    expect(first.rows).toBe(150);
    const second = takeGroup(first.rest, new Map(), opts(['A']));
    expect(tenants(second.group)).toEqual(['A', 'A', 'A']);
    expect(second.heavy).toBe(true);
    expect(second.rest).toEqual([]);
  });

  it('a write whose batch key is in the group or in a flush in flight waits; the writes after it go on', () => {
    const pending = [w('A', 10, 'k1'), w('A', 10, 'k1'), w('A', 10, 'k2'), w('A', 10, 'k3')];
    const first = takeGroup(pending, new Map(), { ...opts([]), keysInFlight: new Set(['A\u0000k2']) });
    expect(first.group.map((p) => p.w.batchKey)).toEqual(['k1', 'k3']);
    expect(first.rest.map((p) => p.w.batchKey)).toEqual(['k1', 'k2']);
    // While the flush holding k1 is in flight, its second copy stays out; k2's flush has ended.
    const second = takeGroup(first.rest, new Map(), { ...opts([]), keysInFlight: new Set(['A\u0000k1', 'A\u0000k3']) });
    expect(second.group.map((p) => p.w.batchKey)).toEqual(['k2']);
    expect(takeGroup(second.rest, new Map(), { ...opts([]), keysInFlight: new Set() }).group.map((p) => p.w.batchKey)).toEqual(['k1']);
  });

  it('the heavy lane waits when it holds its flushes, the light lane does not', () => {
    const pending = [w('A', 1_000), w('B', 100)];
    const first = takeGroup(pending, new Map(), opts(['A'], false));
    expect(tenants(first.group)).toEqual(['B']);
    const second = takeGroup(first.rest, new Map(), opts(['A'], false));
    expect(second.group).toEqual([]);
    expect(second.rest).toHaveLength(1);
  });

  it('without a heavy tenant, tenants share a group one write each in turn, up to maxRows', () => {
    const pending = [w('A', 4_000), w('A', 4_000), w('A', 4_000), w('B', 100), w('C', 100)];
    const g = takeGroup(pending, new Map(), opts([]));
    expect(tenants(g.group)).toEqual(['A', 'B', 'C', 'A']);
    expect(g.rows).toBe(8_200);
  });

  it('a tenant at maxFlushesPerTenant waits; a repeated batch key waits for the next group', () => {
    const pending = [w('A', 10), w('B', 10, 'k'), w('B', 10, 'k')];
    const g = takeGroup(pending, new Map([['A', 2]]), opts([]));
    expect(tenants(g.group)).toEqual(['B']);
    expect(g.rest).toEqual([pending[0], pending[2]]);
  });
});
