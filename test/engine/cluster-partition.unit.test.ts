// engine/cluster/partition.ts: the partition of a stream, a batch's split into chunks, the wire
// codec and the deterministic anomaly ids.
import { describe, expect, it } from 'vitest';
import {
  anomalyId, decodeEvents, encodeEvents, eventMessageId, MAX_PAYLOAD_BYTES, PARTITIONS, parseRoles, partitionOf, splitBatch,
} from '../../engine/cluster/partition.js';
import type { EventRecord } from '../../engine/types.js';

const rec = (stream: string, i: number, size = 10): EventRecord => ({
  stream, streamType: 'logs', ts: 1_700_000_000_000 + i, dataJson: JSON.stringify('x'.repeat(size)), metadataJson: i % 2 === 0 ? null : '{"a":1}',
  explicitStream: true, text: 'x'.repeat(size), value: undefined, bytes: size,
});

describe('cluster partitions', () => {
  it('puts a stream in the same partition every time, spread over all 16', () => {
    const t = '6f1c2a8e-0000-4000-8000-000000000001';
    expect(partitionOf(t, 'api')).toBe(partitionOf(t, 'api'));
    const seen = new Set(Array.from({ length: 500 }, (_, i) => partitionOf(t, `s${i}`)));
    expect(seen.size).toBe(PARTITIONS);
    expect(partitionOf(t, 'api')).not.toBe(partitionOf('6f1c2a8e-0000-4000-8000-000000000002', 'api') + PARTITIONS);
  });

  it('splits a batch by partition, keeping batch order inside each, in chunks under the bound', () => {
    const t = 'tenant';
    const records = Array.from({ length: 300 }, (_, i) => rec(`s${i % 7}`, i, 2_000));
    const chunks = splitBatch(t, records, 100_000);
    expect(chunks.reduce((n, c) => n + c.records.length, 0)).toBe(300);
    for (const c of chunks) {
      expect(c.records.every((r) => partitionOf(t, r.stream) === c.partition)).toBe(true);
      expect(encodeEvents(c.records).byteLength).toBeLessThan(100_000);
    }
    // Within a partition, chunks n = 0, 1, … hold the records in batch order.
    const p = chunks[0].partition;
    const ofP = chunks.filter((c) => c.partition === p);
    expect(ofP.map((c) => c.n)).toEqual(ofP.map((_, i) => i));
    const ts = ofP.flatMap((c) => c.records.map((r) => r.ts));
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    // The same batch splits the same way (a resend keeps its message ids).
    expect(splitBatch(t, records, 100_000).map((c) => eventMessageId('k', c))).toEqual(chunks.map((c) => eventMessageId('k', c)));
    expect(MAX_PAYLOAD_BYTES).toBeLessThan(1024 * 1024);
  });

  it('round-trips events through the wire format', () => {
    const records = [rec('a', 1), { ...rec('b', 2), streamType: 'metrics' as const, text: undefined, value: 3.5 }];
    expect(decodeEvents(encodeEvents(records))).toEqual(records);
  });

  it('gives a finding the same uuid for the same (tenant, stream, sequence, index, detector) only', () => {
    const id = anomalyId('t', 's', 42, 3, 'numeric');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(anomalyId('t', 's', 42, 3, 'numeric')).toBe(id);
    expect(anomalyId('t', 's', 43, 3, 'numeric')).not.toBe(id);
    expect(anomalyId('t', 's', 42, 3, 'text')).not.toBe(id);
  });

  it('reads the roles list', () => {
    expect(parseRoles('ingest,store')).toEqual({ ingest: true, detect: false, store: true });
  });
});
