// What the engine thread and PostgreSQL went through during one phase of a bench, so that a slow
// run can be told apart: machine load (the engine thread waiting for a CPU), the engine's own
// pauses (GC, the event loop's longest delay), or PostgreSQL checkpoints.
//
//   const p = await phaseProbe(pool); ... phase ...; const s = await p.stop(); describe(s)
//
// The engine thread is the bench's main thread (the engine runs in the bench's process). Its CPU
// time and run-queue wait come from /proc/self/task/<pid>/schedstat (Linux; absent elsewhere).
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import type pg from 'pg';

export interface PhaseStats {
  ms: number;
  /** The engine thread's CPU time and its wait for a CPU (run queue), in ms; undefined off Linux. */
  run: number | undefined;
  runQueue: number | undefined;
  gcs: number;
  gcMs: number;
  gcMaxMs: number;
  /** The event loop's longest delay (ms). */
  loopMaxMs: number;
  /** PostgreSQL checkpoints begun (timed + requested; pg_stat_bgwriter), undefined when unreadable. */
  checkpoints: number | undefined;
}

/** [CPU ms, run-queue ms] of the main thread, or undefined. */
function schedstat(): [number, number] | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return Number.isFinite(run) && Number.isFinite(wait) ? [run / 1e6, wait / 1e6] : undefined;
  } catch {
    return undefined;
  }
}

async function checkpoints(pool: pg.Pool): Promise<number | undefined> {
  try {
    const r = await pool.query<{ n: string }>('SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter');
    return Number(r.rows[0].n);
  } catch {
    return undefined; // PostgreSQL 17 moved them to pg_stat_checkpointer
  }
}

export async function phaseProbe(pool: pg.Pool): Promise<{ stop(): Promise<PhaseStats> }> {
  const ck0 = await checkpoints(pool);
  const s0 = schedstat();
  const t0 = performance.now();
  const gc = { n: 0, ms: 0, max: 0 };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) { gc.n++; gc.ms += e.duration; gc.max = Math.max(gc.max, e.duration); }
  });
  obs.observe({ entryTypes: ['gc'] });
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  return {
    async stop() {
      const ms = performance.now() - t0;
      const s1 = schedstat();
      loop.disable();
      obs.disconnect();
      const ck1 = await checkpoints(pool);
      return {
        ms, run: s0 && s1 ? s1[0] - s0[0] : undefined, runQueue: s0 && s1 ? s1[1] - s0[1] : undefined,
        gcs: gc.n, gcMs: gc.ms, gcMaxMs: gc.max, loopMaxMs: loop.max / 1e6,
        checkpoints: ck0 === undefined || ck1 === undefined ? undefined : ck1 - ck0,
      };
    },
  };
}

/** `engine thread ran 41% / waited for a CPU 3%, GC 12 pauses 180 ms (max 31), loop delay max 45 ms, 0 checkpoints` */
export function describe(s: PhaseStats): string {
  const pct = (x: number | undefined): string => (x === undefined ? '?' : `${Math.round((100 * x) / s.ms)}%`);
  return `engine thread ran ${pct(s.run)} / waited for a CPU ${pct(s.runQueue)}, GC ${s.gcs} pauses ${s.gcMs.toFixed(0)} ms (max ${s.gcMaxMs.toFixed(0)}), ` +
    `loop delay max ${s.loopMaxMs.toFixed(0)} ms, ${s.checkpoints ?? '?'} checkpoints`;
}
