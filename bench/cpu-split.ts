// bench only: where the CPU goes, per thread, from Linux's /proc (utime + stime, in clock ticks of
// 10 ms): the engine's threads one by one (Node names them all "node"; the main thread's id is the
// process id), and the PostgreSQL backends serving one database (their title names it). Elsewhere
// than Linux every figure is empty and the bench says so.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: 100 on every Linux ABI Node runs on. */
export const TICK_MS = 10;

function ticksOf(statPath: string): number | undefined {
  try {
    const s = readFileSync(statPath, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return undefined;
  }
}

/** CPU ticks of each thread of a process (empty if /proc cannot be read). */
export function threadTicks(pid = process.pid): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const t of tids) {
    const n = ticksOf(`/proc/${pid}/task/${t}/stat`);
    if (n !== undefined) out.set(Number(t), n);
  }
  return out;
}

/** Per thread, the ticks between two snapshots (threads that ended in between are left out). */
export function tickDelta(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [tid, n] of after) out.set(tid, n - (before.get(tid) ?? 0));
  return out;
}

/** CPU ticks of each PostgreSQL backend serving `database` (process title "postgres: … <database> …"). */
export function pgBackendTicks(database: string): Map<number, number> {
  const out = new Map<number, number>();
  let pids: string[];
  try { pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p)); } catch { return out; }
  for (const p of pids) {
    let cmd: string;
    try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8'); } catch { continue; }
    if (!cmd.startsWith('postgres:') || !cmd.split(' ').includes(database)) continue;
    const n = ticksOf(`/proc/${p}/stat`);
    if (n !== undefined) out.set(Number(p), n);
  }
  return out;
}

export const sumTicks = (m: Map<number, number>): number => { let s = 0; for (const v of m.values()) s += v; return s; };

/**
 * The engine's threads over a window: the main thread, the `detectors` busiest other threads
 * (the detector workers do nearly all the work besides the main thread's; Node does not tell
 * them apart by name), and the rest (GC helpers, libuv's pool, idle workers), in ms of CPU.
 */
export function splitEngine(delta: Map<number, number>, mainTid: number, detectors: number): { main: number; detector: number[]; rest: number } {
  const main = (delta.get(mainTid) ?? 0) * TICK_MS;
  const others = [...delta].filter(([t]) => t !== mainTid).map(([, n]) => n * TICK_MS).sort((a, b) => b - a);
  const detector = others.slice(0, detectors);
  return { main, detector, rest: others.slice(detectors).reduce((a, b) => a + b, 0) };
}
