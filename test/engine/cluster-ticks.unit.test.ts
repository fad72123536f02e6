// The detect role's tick messages (engine/cluster/ticks.ts): the payload round trip, the records
// the scorer takes (idle, never stored), the header test, and the cut under the message size.
import { headers } from '@nats-io/transport-node';
import { describe, expect, it } from 'vitest';
import { MAX_PAYLOAD_BYTES } from '../../engine/cluster/partition.js';
import { decodeTicks, encodeTicks, isTickMessage, tickBatch, TICK_HEADER } from '../../engine/cluster/ticks.js';
import type { TickEntry } from '../../engine/transforms/idle-ticks.js';

describe('cluster tick messages', () => {
  it('round-trips ticks with their tenants as idle records', () => {
    const out = decodeTicks(encodeTicks([
      { tenantId: 't1', stream: 'api', streamType: 'logs', ts: 1_000 },
      { tenantId: 't2', stream: 'spans', streamType: 'traces', ts: 2_500 },
    ]));
    expect(out.map((t) => [t.tenantId, t.record.stream, t.record.streamType, t.record.ts])).toEqual([['t1', 'api', 'logs', 1_000], ['t2', 'spans', 'traces', 2_500]]);
    for (const { record } of out) expect(record).toMatchObject({ idle: true, bytes: 0, text: undefined, value: undefined, metadataJson: '{"idle_tick":true}' });
  });

  it('knows a tick message by its header', () => {
    const h = headers();
    expect(isTickMessage(undefined)).toBe(false);
    expect(isTickMessage(h)).toBe(false);
    h.set(TICK_HEADER, '1');
    expect(isTickMessage(h)).toBe(true);
  });

  it('cuts a sweep where the message would pass the payload bound', () => {
    const entry = (i: number): TickEntry & { tenantId: string } => ({ tenantId: 'tenant', stream: `s${i}-${'x'.repeat(10_000)}`, streamType: 'logs', lastTs: 0, seenAt: 0, tickedAt: 0 });
    const due = Array.from({ length: 100 }, (_, i) => ({ entry: entry(i), ts: 5 + i }));
    const batch = tickBatch(due);
    expect(batch.length).toBeGreaterThan(10);
    expect(batch.length).toBeLessThan(100);
    expect(batch.map((b) => b.tick.ts)).toEqual(due.slice(0, batch.length).map((d) => d.ts));
    expect(encodeTicks(batch.map((b) => b.tick)).length).toBeLessThan(MAX_PAYLOAD_BYTES);
    expect(tickBatch(due.slice(0, 3))).toHaveLength(3);
  });
});
