// Issue 11: the findings do not depend on how many detector threads score them, nor on how a
// stream's events are cut into tasks. A stream's detector state travels with each of its tasks
// (at most one in flight per stream), so any worker may run any task; this checks it end to end
// with the real detector (dist/workers/score.js) on the same events.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/log.js';
import { workerFile } from '../../src/core/paths.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import type { AnomalyRow } from '../../engine/sinks/postgres/copy.js';
import { validateEvents } from '../../engine/transforms/decode.js';
import { Scorer } from '../../engine/transforms/score.js';

const limits = { maxBatchEvents: 100_000, maxEventBytes: 65_536 };
const T = '11111111-1111-1111-1111-111111111111';
const real = workerFile('score');

/** Six streams of 1,500 synthetic log lines each (30 injected anomalies per stream), interleaved line by line, in frames of 100. */
function frames(): object[][] {
  const streams = Array.from({ length: 6 }, (_, s) => syntheticLog({ lines: 1_500, anomalies: 30, seed: 11 + s }).lines);
  const all: object[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < 1_500; i++) {
    for (let s = 0; s < streams.length; s++) {
      all.push({ timestamp: new Date(t0 + all.length * 10).toISOString(), stream_type: 'logs', stream: `svc-${s}`, data: streams[s][i], metadata: { host: `web-${i % 3}` } });
    }
  }
  const out: object[][] = [];
  for (let i = 0; i < all.length; i += 100) out.push(all.slice(i, i + 100));
  return out;
}

/** What a finding says, without what is drawn at random or read from the clock (ids, detection time, incident ids). */
const finding = (r: AnomalyRow): string => JSON.stringify([r.stream, r.eventTs, r.detector, r.score, r.explanation, r.eventJson, r.detailsJson]);

async function findings(threads: number, maxTaskEvents: number, minTaskEvents: number): Promise<{ rows: string[]; tasks: number }> {
  const rows: AnomalyRow[] = [];
  const scorer = new Scorer(silentLogger, { threads, maxTaskEvents, minTaskEvents, maxTaskWaitMs: 0, onAnomalies: async (r) => { rows.push(...r); } });
  try {
    // Pushed while earlier tasks run: how the events split into tasks depends on timing too.
    for (const f of frames()) {
      scorer.push(T, validateEvents(f, limits));
      await new Promise((r) => setImmediate(r));
    }
    await scorer.drain();
    expect(scorer.stats.eventsScored).toBe(9_000);
    expect(scorer.stats.tasksFailed).toBe(0);
    return { rows: rows.map(finding).sort(), tasks: scorer.stats.tasksRun };
  } finally {
    await scorer.close();
  }
}

describe('detector threads (real detector)', () => {
  it.runIf(existsSync(real))('finds the same anomalies with one thread and two, whatever the task sizes', async () => {
    const one = await findings(1, 5_000, 1_000);
    const two = await findings(2, 5_000, 1_000);
    const small = await findings(2, 97, 1);
    expect(one.rows.length).toBeGreaterThan(30);
    expect(two.rows).toEqual(one.rows);
    // A different cut into tasks (many more of them): the same findings.
    expect(small.tasks).toBeGreaterThan(one.tasks * 2);
    expect(small.rows).toEqual(one.rows);
  }, 120_000);
});
