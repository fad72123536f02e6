// One process per spool directory: a LOCK file holding the owner's pid and start time, taken
// over when its owner is gone (SIGKILL, crash, a restarted container whose pid now names another
// process), refused while it lives. A set of directories held by this process refuses a second
// engine in the same process too.
//
//   lockDir ─► LOCK created (wx) ─► held
//            └─ exists ─► owner alive (same pid, same start time) ─► refused
//                         └─ gone ─► LOCK removed ─► created (once)
import { readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/log.js';

const LOCK_FILE = 'LOCK';
/** Directories this process holds (a second engine in the same process must not share one). */
const lockedHere = new Set<string>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * When a process started (Linux: field 22 of /proc/<pid>/stat, in clock ticks since boot), to
 * tell the LOCK's holder from an unrelated process that got the same pid later (a restarted
 * container numbers its processes the same way). '' where /proc is not there.
 */
async function startTimeOf(pid: number): Promise<string> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** Takes the directory's lock, or throws naming the process that holds it. */
export async function lockDir(dir: string, log: Logger): Promise<void> {
  const path = join(dir, LOCK_FILE);
  const inUse = (pid: number): Error =>
    new Error(`the spool directory ${dir} is in use by process ${pid}; give each engine process its own SPOOL_DIR`);
  if (lockedHere.has(dir)) throw inUse(process.pid);
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(path, `${process.pid} ${await startTimeOf(process.pid)}`, { flag: 'wx', mode: 0o600 });
      lockedHere.add(dir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      const [pidText = '', started = ''] = (await readFile(path, 'utf8').catch(() => '')).trim().split(' ');
      const pid = Number(pidText);
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) && (started === '' || started === await startTimeOf(pid))) {
        throw inUse(pid);
      }
      // Left by a process that is gone (SIGKILL, crash, a container restarted: the pid now
      // names another process), or by this process after a failed start.
      log.info({ pid }, 'spool: taking over the lock of a process that is gone');
      await unlink(path).catch(() => {});
    }
  }
}

export async function unlockDir(dir: string): Promise<void> {
  lockedHere.delete(dir);
  await unlink(join(dir, LOCK_FILE)).catch(() => {});
}
