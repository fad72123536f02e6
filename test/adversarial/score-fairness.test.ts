// Medium 7 (issue 12): fairness between tenants inside one engine's scorer. On main, one
// backlog (room()) held every tenant's writers back behind a heavy one, one FIFO of ready
// streams let a tenant with many streams go first, one LRU let a tenant evict others' detector
// state, and one anomaly buffer let a tenant's rows crowd out others'.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import type { AnomalyRow } from '../../engine/sinks/postgres/copy.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { Scorer } from '../../engine/transforms/score.js';
import { boomWorker } from '../engine/harness.js';

const slowWorker = fileURLToPath(new URL('../fixtures/score-slow.mjs', import.meta.url));
const limits = { maxBatchEvents: 1_000_000, maxEventBytes: 65_536 };
const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const events = (n: number, stream: string, text = 'fine') =>
  validateEvents(Array.from({ length: n }, (_, i) => ({ timestamp: i, stream_type: 'logs', data: `${text} ${i}`, stream })), limits);

describe('scorer fairness between tenants (issue 12, Medium 7)', () => {
  it('a heavy tenant\'s backlog holds back its own writers, not another tenant\'s', async () => {
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: slowWorker, maxTaskEvents: 5, highWaterEvents: 40, onAnomalies: async () => {} });
    try {
      scorer.push(A, events(200, 'a'));
      expect(scorer.pendingEvents).toBeGreaterThanOrEqual(40);
      expect(scorer.room(A)).toBeInstanceOf(Promise);
      // B has nothing waiting: its writes go on at once, though the whole backlog is over the mark.
      expect(scorer.room(B)).toBeUndefined();
      scorer.push(B, events(3, 'b'));
      expect(scorer.room(B)).toBeUndefined();
    } finally {
      await scorer.close(0);
    }
  });

  it('streams with work are taken round-robin by tenant: B\'s one stream is not queued behind A\'s fifty', async () => {
    const order: string[] = [];
    const scorer = new Scorer(silentLogger, {
      threads: 1, maxInFlight: 1, workerFilename: slowWorker,
      settings: { peek: (t, stream) => { order.push(`${t === A ? 'A' : 'B'}:${stream}`); return { profile: 'balanced', threshold: 0.5 }; }, get: async () => ({ profile: 'balanced', threshold: 0.5 }) },
      onAnomalies: async () => {},
    });
    try {
      for (let i = 0; i < 50; i++) scorer.push(A, events(1, `a${i}`));
      scorer.push(B, events(1, 'b'));
      await scorer.drain();
      // One task runs at a time: B's stream is among the first three taken, not the 51st.
      expect(order.indexOf('B:b')).toBeGreaterThanOrEqual(0);
      expect(order.indexOf('B:b')).toBeLessThan(3);
    } finally {
      await scorer.close();
    }
  });

  it('over maxStreams, a tenant with many streams evicts its own idle state, not that of a tenant within its share', async () => {
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, maxStreams: 10, streamIdleTtlMs: 0, onAnomalies: async () => {} });
    try {
      scorer.push(B, events(1, 'b1'));
      scorer.push(B, events(1, 'b2'));
      await scorer.drain();
      for (let i = 0; i < 40; i++) {
        scorer.push(A, events(1, `a${i}`));
        await scorer.drain();
      }
      expect(scorer.streams).toBeLessThanOrEqual(10);
      // B's two streams (the least recently used of all) are still there: A's went instead.
      const evictedBefore = scorer.stats.streamsEvicted;
      expect(evictedBefore).toBeGreaterThanOrEqual(30);
      scorer.push(B, events(1, 'b1'));
      scorer.push(B, events(1, 'b2'));
      await scorer.drain();
      expect(scorer.stats.streamsEvicted).toBe(evictedBefore);
      expect(scorer.streams).toBeLessThanOrEqual(10);
    } finally {
      await scorer.close();
    }
  });

  it('a tenant\'s anomaly rows being written are capped; another tenant\'s still go to the sink', async () => {
    const written: AnomalyRow[] = [];
    let release!: () => void;
    const stuck = new Promise<void>((r) => { release = r; });
    const scorer = new Scorer(silentLogger, {
      threads: 1, workerFilename: boomWorker, maxAnomalyRowsPerTenant: 10,
      // A's writes hang (a slow sink); B's complete.
      onAnomalies: async (rows) => { if (rows[0].tenantId === A) await stuck; written.push(...rows); },
    });
    try {
      for (let i = 0; i < 5; i++) scorer.push(A, events(8, `a${i}`, 'BOOM'));
      scorer.push(B, events(5, 'b', 'BOOM'));
      await new Promise((r) => setTimeout(r, 1_500));
      expect(written.filter((r) => r.tenantId === B)).toHaveLength(5);
      expect(scorer.stats.anomaliesDropped).toBeGreaterThan(0);
      release();
      await scorer.drain();
      expect(written.filter((r) => r.tenantId === A).length).toBeLessThanOrEqual(10);
    } finally {
      release();
      await scorer.close();
    }
  });
});
