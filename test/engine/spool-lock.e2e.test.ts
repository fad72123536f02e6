// One engine process per spool directory (a LOCK file holding pid and process start time): a
// second spool on the same directory is refused while the holder lives; a LOCK left by a
// process that is gone, or whose pid now names another process, is taken over.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopySink, type SinkWrite } from '../../engine/sinks/postgres/service.js';
import { spoolOptions } from '../../engine/sinks/spool/config.js';
import { SpooledSink } from '../../engine/sinks/spool/service.js';
import { silentLogger } from '../../src/core/log.js';
import { freePort } from '../helpers/net.js';
import { blockSink } from '../helpers/sink.js';

let dir: string;
let pool: pg.Pool;
let sink: CopySink;
let sleeper: ChildProcess;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dw-spool-lock-'));
  // Nothing is written in these tests: the sink is never reached.
  pool = new pg.Pool({ connectionString: `postgres://postgres@127.0.0.1:${await freePort()}/none`, max: 1 });
  pool.on('error', () => {});
  sink = blockSink(pool, { countBytes: false, flushIntervalMs: 5, flushMaxRows: 10, maxPendingRows: 100, maxConcurrentFlushes: 1 });
  sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
});
afterAll(async () => {
  sleeper?.kill('SIGKILL');
  await sink?.close();
  await pool?.end();
  await rm(dir, { recursive: true, force: true });
});

const open = (): Promise<SpooledSink<SinkWrite, null>> =>
  SpooledSink.open<SinkWrite, null>(sink, silentLogger, spoolOptions({ dir, maxBytes: 1 << 20 }), { rowsOf: () => 0, onReplayed: () => {} });

async function startTime(pid: number): Promise<string> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

describe('spool directory lock', () => {
  it('refuses a second spool on the same directory in this process, and frees the lock on close', async () => {
    const first = await open();
    await expect(open()).rejects.toThrow(/in use by process/);
    await first.close();
    const again = await open();
    await again.close();
  });

  it('refuses while the holder lives (same pid and start time)', async () => {
    await writeFile(join(dir, 'LOCK'), `${sleeper.pid} ${await startTime(sleeper.pid!)}`);
    await expect(open()).rejects.toThrow(new RegExp(`in use by process ${sleeper.pid}`));
  });

  it('takes over a LOCK whose pid now names another process (start time differs), or no process', async () => {
    await writeFile(join(dir, 'LOCK'), `${sleeper.pid} 1`);
    const s1 = await open();
    expect((await readFile(join(dir, 'LOCK'), 'utf8')).split(' ')[0]).toBe(String(process.pid));
    await s1.close();
    await writeFile(join(dir, 'LOCK'), '4194303 123');
    const s2 = await open();
    await s2.close();
  });
});
