// The events sink's COPY turns (engine/sinks/postgres/copy-order.ts): a flush's turn comes once
// every earlier-taken flush sharing one of its tenants has done its COPY; other tenants never wait.
import { describe, expect, it } from 'vitest';
import { CopyOrder } from '../../engine/sinks/postgres/copy-order.js';

const settled = async (p: Promise<void> | undefined): Promise<boolean> => {
  if (p === undefined) return true;
  let done = false;
  void p.then(() => { done = true; });
  await new Promise((r) => setImmediate(r));
  return done;
};

describe('CopyOrder', () => {
  it('a tenant\'s second and third flushes wait in take order; another tenant does not wait', async () => {
    const o = new CopyOrder();
    const f1 = o.enter(['A']);
    const f2 = o.enter(['A']);
    const g = o.enter(['B']);
    const f3 = o.enter(['A']);
    expect(f1.turn).toBeUndefined();
    expect(g.turn).toBeUndefined();
    expect(await settled(f2.turn)).toBe(false);
    expect(await settled(f3.turn)).toBe(false);
    f1.copied();
    expect(await settled(f2.turn)).toBe(true);
    expect(await settled(f3.turn)).toBe(false);
    f2.copied();
    expect(await settled(f3.turn)).toBe(true);
  });

  it('a group of two tenants waits for both; once every COPY is done, nothing waits', async () => {
    const o = new CopyOrder();
    const a = o.enter(['A']);
    const b = o.enter(['B']);
    const ab = o.enter(['A', 'B']);
    a.copied();
    expect(await settled(ab.turn)).toBe(false);
    b.copied();
    expect(await settled(ab.turn)).toBe(true);
    ab.copied();
    ab.copied(); // a retried attempt's COPY, then the flush's end: once is enough
    expect(o.enter(['A']).turn).toBeUndefined();
    expect(o.enter(['B']).turn).toBeUndefined();
  });
});
