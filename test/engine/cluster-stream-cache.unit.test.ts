// The detect role's LRU bound (engine/cluster/stream-cache.ts): the least recently used stream of
// the process goes beyond `max`, a tenant's own least recently used beyond its share, never the
// stream just used; a victim used again is back in the cache; a partition's streams can be dropped.
import { describe, expect, it } from 'vitest';
import { StreamCache } from '../../engine/cluster/stream-cache.js';

const cache = (max: number, perTenant: number): { c: StreamCache; evicted: string[] } => {
  const evicted: string[] = [];
  const c = new StreamCache({ max, perTenant, onEvict: (p, keys) => evicted.push(...keys.map((k) => `${p}:${k}`)) });
  return { c, evicted };
};

describe('StreamCache', () => {
  it('evicts the least recently used beyond max', () => {
    const { c, evicted } = cache(3, 3);
    c.touch(0, 'A', 'a1');
    c.touch(1, 'B', 'b1');
    c.touch(0, 'C', 'c1');
    c.touch(0, 'A', 'a1'); // a1 is now the most recently used
    c.touch(2, 'D', 'd1');
    expect(evicted).toEqual(['1:b1']);
    expect(c.size).toBe(3);
    expect(c.has(1, 'B', 'b1')).toBe(false);
    expect(c.has(0, 'A', 'a1')).toBe(true);
    expect(c.stats.evicted).toBe(1);
  });

  it('a tenant beyond its share loses its own streams, not the others', () => {
    const { c, evicted } = cache(4, 2);
    c.touch(0, 'B', 'b1');
    c.touch(0, 'B', 'b2');
    for (let i = 0; i < 5; i++) c.touch(i % 3, 'A', `a${i}`);
    expect(evicted).toEqual(['0:a0', '1:a1', '2:a2']);
    expect(c.has(0, 'B', 'b1') && c.has(0, 'B', 'b2')).toBe(true);
    expect(c.size).toBe(4);
  });

  it('groups victims by partition, and forgets a partition', () => {
    const calls: [number, string[]][] = [];
    const c = new StreamCache({ max: 2, perTenant: 2, onEvict: (p, keys) => calls.push([p, keys]) });
    c.touch(5, 'A', 'x');
    c.touch(6, 'A', 'y');
    c.touch(6, 'B', 'z');
    expect(calls).toEqual([[5, ['x']]]);
    c.dropPartition(6);
    expect(c.size).toBe(0);
    expect(() => new StreamCache({ max: 0, perTenant: 1, onEvict: () => {} })).toThrow('options.max must be a positive integer');
    expect(() => new StreamCache({ max: 2, perTenant: 3, onEvict: () => {} })).toThrow('options.perTenant');
  });
});
