// Records of two shapes with one field different at the same position fall into one template: a
// Kubernetes audit record of `kubectl logs` has `objectRef.subresource=log` where the template's
// other lines have `objectRef.apiGroup=apps` (cloud generator, k8s-audit). The keyed slot
// `objectRef.apiGroup=<*>` was read by cutting whatever token stood there at the key's length:
// "=log" (and "n=v1" from `objectRef.apiVersion=v1`), values never seen, reported as such (cloud
// 201-210: about 16 false alarms). A token of another key is read as its own key's value (fails
// on main: "=log" reported).
import { describe, expect, it } from 'vitest';
import { seeded } from '../../src/tools/eval/generators/random.js';
import { readSlot, slotLayout } from '../../workers/detectors/slots.js';
import type { ScoreInput } from '../../workers/types.js';
import { runStream } from './helpers.js';

const T0 = Date.UTC(2026, 8, 19, 4);

function stream(): { ev: ScoreInput[]; logs: number[] } {
  const r = seeded(7);
  const ev: ScoreInput[] = [];
  const logs: number[] = [];
  for (let j = 0; j < 20000; j++) {
    const ns = r.pick(['shop', 'billing']);
    const name = `${r.pick(['storefront', 'orders-api', 'billing-api'])}-${r.hex(5)}`;
    const sub = j > 15000 && r.chance(0.01);
    const user = { username: r.pick(['carol.meyer', 'dan.vries']) + '@northwind.example' };
    // The other shape has a field after objectRef where this one has the subresource inside it: the same number of fields.
    const rec = sub
      ? { kind: 'Event', level: 'Metadata', auditID: `${r.hex(8)}-${r.hex(4)}`, stage: 'ResponseComplete', verb: 'get', user, objectRef: { resource: 'pods', namespace: ns, name, subresource: 'log', apiVersion: 'v1' } }
      : { kind: 'Event', level: 'Metadata', auditID: `${r.hex(8)}-${r.hex(4)}`, stage: 'ResponseComplete', verb: 'get', user, objectRef: { resource: 'pods', namespace: ns, name, apiVersion: r.chance(0.9) ? 'v1' : 'v1beta1' }, decision: 'allow' };
    if (sub) logs.push(ev.length);
    ev.push({ ts: T0 + j * 1000, text: JSON.stringify(rec) });
  }
  return { ev, logs };
}

describe('a keyed slot whose token holds another key', () => {
  it('is read as that key\'s value, never as the slot key\'s cut ("=log")', () => {
    const L = slotLayout({ id: 1, tokens: ['verb=get', 'objectRef.apiGroup=<*>', 'code=<*>'], last: 0, count: 1 });
    expect({ ...readSlot(L, 0, 'objectRef.apiGroup=apps', 1) }).toEqual({ name: 'objectRef.apiGroup', value: 'apps', own: true });
    expect({ ...readSlot(L, 0, 'objectRef.subresource=log', 1) }).toEqual({ name: 'objectRef.subresource', value: 'log', own: false });
    expect({ ...readSlot(L, 0, 'objectRef.apiGroupX=y', 1) }).toEqual({ name: 'objectRef.apiGroupX', value: 'y', own: false });
    expect({ ...readSlot(L, 1, 'code=200', 2) }).toEqual({ name: 'code', value: '200', own: true });
  });

  it('in a stream, no finding names a value cut out of another key (fails on main)', () => {
    const { ev, logs } = stream();
    expect(logs.length).toBeGreaterThan(5);
    const { findings } = runStream('logs', ev, 100);
    const cut = findings.filter((f) => /value "[^"]*=/.test(f.explanation));
    expect(cut.map((f) => f.explanation)).toEqual([]);
  }, 60_000);
});
