// Medium 7 (issue 12): a heavy tenant's backlog keeps the detector thread busy; scoring is off
// the ack path, so the engine runs its detector threads at a lower OS priority (DETECTOR_NICE)
// and the event loop and PostgreSQL, which every tenant's acks wait on, go first on a small
// machine. On main the detector thread ran at the engine's own priority (nice 0).
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DETECTOR_NICE } from '../../engine/transforms/score.js';
import { waitFor } from '../helpers/net.js';
import { ingest, logEvent, startHarness, type Harness } from '../engine/harness.js';

/** Each thread of this process: its id and niceness (/proc/self/task/<tid>/stat, field 19). */
function threadNice(): { tid: number; nice: number }[] {
  const out: { tid: number; nice: number }[] = [];
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      out.push({ tid: Number(tid), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) });
    } catch { /* the thread ended */ }
  }
  return out;
}

describe.runIf(process.platform === 'linux')('the detector threads yield the CPU to the ack path (issue 12, Medium 7)', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness({}, 'real'); });
  afterAll(async () => { await h?.close(); });

  it('the engine\'s detector thread runs at DETECTOR_NICE, the event loop at the engine\'s own priority', async () => {
    expect(DETECTOR_NICE).toBeGreaterThan(0);
    const before = threadNice().find((t) => t.tid === process.pid)!.nice;
    // A batch scored: the detector thread exists and has run a task.
    expect((await ingest(h, [logEvent('detector priority')])).status).toBe(200);
    await h.engine.drained();
    await waitFor(async () => (h.engine.stats().score.tasksRun > 0 ? true : undefined), 20_000, 'a scoring task');
    const threads = threadNice();
    expect(threads.find((t) => t.tid === process.pid)!.nice).toBe(before);
    expect(threads.filter((t) => t.nice === before + DETECTOR_NICE).length).toBeGreaterThanOrEqual(1);
  });
});
