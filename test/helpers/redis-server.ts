// A redis-server of the test's own on a free port (never the shared one at 6379), which the test
// may kill and start again on the same port (empty: no persistence), to take Redis away for real.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort, waitFor } from './net.js';

export interface OwnRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL; resolves once the process exited. */
  kill(): Promise<void>;
  /** A new, empty server on the same port. */
  start(): Promise<void>;
}

export async function startOwnRedis(): Promise<OwnRedis> {
  const port = await freePort();
  let proc: ChildProcess | undefined;
  const r: OwnRedis = {
    port,
    url: `redis://127.0.0.1:${port}`,
    async start() {
      proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
      await waitFor(async () => new Promise<true | undefined>((resolve) => {
        const s = connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(undefined));
      }), 10_000, 'redis-server');
    },
    async kill() {
      const p = proc;
      proc = undefined;
      if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGKILL');
      await exited;
    },
  };
  await r.start();
  return r;
}
