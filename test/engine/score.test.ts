import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { workerFile } from '../../src/core/paths.js';
import type { AnomalyRow } from '../../engine/sinks/postgres/copy.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { InOrder, Scorer } from '../../engine/transforms/score.js';
import { waitFor } from '../helpers/net.js';
import { boomWorker, ingest, logEvent, startHarness, type Harness } from './harness.js';

const limits = { maxBatchEvents: 100_000, maxEventBytes: 65_536 };
const T = '11111111-1111-1111-1111-111111111111';

describe('InOrder (the reorder buffer between the events sink and the scorer)', () => {
  it('releases in slot order whatever the completion order; a null slot releases nothing', () => {
    const out: string[] = [];
    const q = new InOrder<string>((x) => out.push(x));
    const [a, b, c, d] = [q.take(), q.take(), q.take(), q.take()];
    q.complete(c, 'c');
    q.complete(b, null);
    expect(out).toEqual([]);
    expect(q.waiting).toBe(4);
    q.complete(a, 'a');
    expect(out).toEqual(['a', 'c']);
    q.complete(d, 'd');
    expect(out).toEqual(['a', 'c', 'd']);
    expect(q.waiting).toBe(0);
    expect(() => q.complete(a, 'again')).toThrow(RangeError);
  });
});

describe('Scorer (fixture worker)', () => {
  it('keeps per-stream order and state, one task per stream at a time, and merges what waits', async () => {
    const rows: AnomalyRow[] = [];
    const scorer = new Scorer(silentLogger, {
      threads: 2, workerFilename: boomWorker, maxTaskEvents: 7,
      onAnomalies: async (r) => { rows.push(...r); },
    });
    try {
      // Two streams, pushed in many small pieces; every 10th event of each stream says BOOM.
      const expected = new Map<string, number[]>();
      for (let piece = 0; piece < 40; piece++) {
        for (const s of ['s1', 's2']) {
          const raw = Array.from({ length: 5 }, (_, j) => {
            const n = piece * 5 + j;
            if (n % 10 === 3) expected.set(s, [...(expected.get(s) ?? []), n]);
            return logEvent(n % 10 === 3 ? `BOOM ${n}` : `fine ${n}`, { stream: s });
          });
          scorer.push(T, validateEvents(raw, limits));
        }
      }
      await scorer.drain();
      for (const s of ['s1', 's2']) {
        const seen = rows.filter((r) => r.stream === s).map((r) => Number(JSON.parse(r.detailsJson).seen));
        // `seen` is the event's position counted by the worker's state: right only if tasks ran in order, one at a time.
        expect(seen.sort((a, b) => a - b)).toEqual(expected.get(s));
        for (const r of rows.filter((x) => x.stream === s)) {
          expect(JSON.parse(r.eventJson).data).toBe(`BOOM ${JSON.parse(r.detailsJson).seen}`);
        }
      }
      expect(scorer.stats.eventsScored).toBe(400);
      expect(scorer.stats.tasksFailed).toBe(0);
      // Same detector, same stream, event times seconds apart: each stream's findings fold into one incident.
      const incidents = ['s1', 's2'].map((s) => new Set(rows.filter((r) => r.stream === s).map((r) => r.incidentId)));
      expect(incidents.map((i) => i.size)).toEqual([1, 1]);
      expect([...incidents[0]][0]).not.toBe([...incidents[1]][0]);
    } finally {
      await scorer.close();
    }
  });

  it("gathers a stream's small pushes into one task (minTaskEvents), queues it once its oldest event has waited maxTaskWaitMs, and drain() does not wait", async () => {
    const push = (stream: string, from: number, n: number, to: Scorer): void => {
      to.push(T, validateEvents(Array.from({ length: n }, (_, j) => logEvent(`fine ${from + j}`, { stream })), limits));
    };
    // A wait no test would sit through: only minTaskEvents or drain() can start these tasks.
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, minTaskEvents: 50, maxTaskWaitMs: 600_000, onAnomalies: async () => {} });
    try {
      for (let i = 0; i < 10; i++) push('g', i * 3, 3, scorer);
      await new Promise((r) => setTimeout(r, 200));
      expect(scorer.stats.tasksRun).toBe(0);
      expect(scorer.pendingEvents).toBe(30);
      push('g', 30, 30, scorer);
      await waitFor(async () => (scorer.stats.eventsScored === 60 ? true : undefined), 10_000, 'the gathered task');
      expect(scorer.stats.tasksRun).toBe(1);
      push('h', 0, 5, scorer);
      await scorer.drain();
      expect([scorer.stats.tasksRun, scorer.stats.eventsScored, scorer.pendingEvents]).toEqual([2, 65, 0]);
    } finally {
      await scorer.close();
    }
    // Short wait, large minimum: the timer queues the stream, no drain() needed.
    const timed = new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, minTaskEvents: 1_000, maxTaskWaitMs: 100, onAnomalies: async () => {} });
    try {
      push('k', 0, 5, timed);
      push('k', 5, 5, timed);
      await waitFor(async () => (timed.stats.eventsScored === 10 ? true : undefined), 10_000, 'the waited task');
      expect(timed.stats.tasksRun).toBe(1);
    } finally {
      await timed.close();
    }
    expect(() => new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, maxTaskWaitMs: -1, onAnomalies: async () => {} })).toThrow(TypeError);
  });

  it('counts a refused task ({ok: false}) and a missing worker file without crashing', async () => {
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: boomWorker, onAnomalies: async () => {} });
    scorer.push(T, validateEvents([logEvent('FAIL_TASK', { stream: 'f' })], limits));
    scorer.push(T, validateEvents([logEvent('BOOM after', { stream: 'g' })], limits));
    await scorer.drain();
    expect(scorer.stats.tasksFailed).toBe(1);
    expect(scorer.stats.anomalies).toBe(1);
    await scorer.close();

    const broken = new Scorer(silentLogger, { threads: 1, workerFilename: '/nonexistent/worker.js', onAnomalies: async () => {} });
    broken.push(T, validateEvents([logEvent('x', { stream: 'f' })], limits));
    await broken.drain();
    expect(broken.stats.tasksFailed).toBe(1);
    await broken.close();
  });
});

describe('engine anomalies flow', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h?.close(); });

  it('writes anomaly rows for flagged events, after the ack, in the right tenant, and counts them', async () => {
    const events = Array.from({ length: 50 }, (_, i) => logEvent(i === 17 ? 'kernel BOOM panic' : `GET /x ${i}`, { metadata: { source: 'web', host: 'h1' } }));
    expect(await ingest(h, events, { key: h.tenantB.key })).toEqual({ status: 200, body: { accepted: 50 } });
    const rows = await waitFor(async () => {
      const r = await h.db.pool.query('SELECT * FROM anomalies WHERE tenant_id = $1', [h.tenantB.id]);
      return r.rows.length > 0 ? r.rows : undefined;
    }, 10_000, 'an anomaly row');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ stream: 'logs:web', stream_type: 'logs', score: 1, detector: 'fixture_boom', status: 'open' });
    expect(rows[0].event).toMatchObject({ stream_type: 'logs', data: 'kernel BOOM panic', metadata: { source: 'web', host: 'h1' } });
    expect(rows[0].event_ts.toISOString()).toBe(events[17].timestamp);
    const usage = await waitFor(async () => {
      const u = await h.db.pool.query('SELECT sum(anomalies)::int AS n FROM usage_counters WHERE tenant_id = $1', [h.tenantB.id]);
      return u.rows[0].n === 1 ? u.rows[0].n : undefined;
    }, 5_000, 'the anomaly counted');
    expect(usage).toBe(1);
    const other = await h.db.pool.query('SELECT count(*)::int AS n FROM anomalies WHERE tenant_id = $1', [h.tenantA.id]);
    expect(other.rows[0].n).toBe(0);
  });
});

describe('engine anomalies flow (real detector, dist/workers/score.js)', () => {
  const real = workerFile('score');
  let h: Harness;
  beforeAll(async () => { h = await startHarness({}, existsSync(real) ? 'real' : boomWorker); });
  afterAll(async () => { await h?.close(); });

  it.runIf(existsSync(real))('finds injected lines among ~2000 normal log lines', async () => {
    const users = ['alice', 'bob', 'carol', 'dave', 'erin'];
    const paths = ['/api/orders', '/api/users', '/health', '/api/cart', '/static/app.js'];
    const normal = (i: number): string =>
      `${new Date(1_700_000_000_000 + i * 1000).toISOString()} INFO http request method=GET path=${paths[i % 5]} user=${users[(i * 7) % 5]} status=200 duration_ms=${10 + (i * 13) % 90} req_id=${(i * 2654435761 % 4294967296).toString(16)}`;
    const injected = [
      'FATAL: segfault in libssl.so.3 at 0x7f3a2c1b9e40, core dumped; stack: ssl3_read_bytes <- SSL_read <- conn_recv',
      '<?xml version="1.0"?><!DOCTYPE root [<!ENTITY x SYSTEM "file:///etc/passwd">]><root>&x;</root>',
      'панические ошибки базы данных: не удалось подключиться к кластеру после 5 попыток 雪崩 失败',
    ];
    const lines: string[] = [];
    const injectedAt = new Set([1500, 1750, 1950]);
    let k = 0;
    for (let i = 0; i < 2000; i++) lines.push(injectedAt.has(i) ? injected[k++] : normal(i));
    for (let i = 0; i < lines.length; i += 250) {
      const batch = lines.slice(i, i + 250).map((msg, j) => ({ timestamp: 1_700_000_000_000 + (i + j) * 1000, stream_type: 'logs', data: msg, metadata: { source: 'shop' } }));
      expect((await ingest(h, batch)).status).toBe(200);
    }
    const rows = await waitFor(async () => {
      const r = await h.db.pool.query('SELECT event, score, detector, explanation FROM anomalies WHERE tenant_id = $1', [h.tenantA.id]);
      const found = r.rows.filter((x) => injected.includes(x.event.data));
      return found.length === injected.length ? r.rows : undefined;
    }, 30_000, 'anomalies for the injected lines');
    const flagged = rows.filter((x) => injected.includes(x.event.data));
    expect(flagged).toHaveLength(3);
    for (const f of flagged) {
      expect(f.score).toBeGreaterThan(0);
      expect(f.explanation.length).toBeGreaterThan(10);
    }
    // Few false positives among the 1997 normal lines.
    expect(rows.length - flagged.length).toBeLessThan(20);
  });
});

describe('scorer shutdown deadline', () => {
  it('close(deadline) stops scoring what is still queued once the deadline passes; tasks in flight finish', async () => {
    const slowWorker = fileURLToPath(new URL('../fixtures/score-slow.mjs', import.meta.url));
    const scorer = new Scorer(silentLogger, { threads: 1, workerFilename: slowWorker, maxTaskEvents: 1, onAnomalies: async () => {} });
    // 40 events of one stream, one event per task, 100 ms a task: about 4 s to drain.
    scorer.push(T, validateEvents(Array.from({ length: 40 }, (_, i) => logEvent(`slow ${i}`, { stream: 's' })), limits));
    const t0 = Date.now();
    await scorer.close(500);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(3_000);
    expect(scorer.stats.eventsDropped).toBeGreaterThanOrEqual(30);
    expect(scorer.stats.tasksRun + scorer.stats.eventsDropped).toBe(40);
  });
});

describe('scorer worker faults', () => {
  it('a worker that fails outside a task (here: at load, while idle) is logged and counted, not an uncaught exception', async () => {
    const broken = new Scorer(silentLogger, { threads: 1, workerFilename: '/nonexistent/worker.js', onAnomalies: async () => {} });
    try {
      await waitFor(async () => (broken.stats.workerErrors >= 1 ? true : undefined), 10_000, 'the pool\'s error event');
    } finally {
      await broken.close().catch(() => {});
    }
  });
});
