// `node dist/bin/driftwatch.js <args>` in a child process with the environment given (whole: the
// caller decides what of process.env it passes), its stdout and stderr gathered in one string.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../../src/core/paths.js';

export const cliPath = join(packageRoot, 'dist', 'bin', 'driftwatch.js');

export interface CliRun {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they came. */
  output: () => string;
  /**
   * The exit code, or the name of the signal that ended the process ('SIGKILL', 'SIGSEGV'...):
   * `expect(await r.exited).toBe(0)` then says which signal it was.
   */
  exited: Promise<number | NodeJS.Signals>;
  /** Sends `signal` to the process, noting when (for report()). */
  kill: (signal: NodeJS.Signals) => void;
  /** How and when it ended, the signals sent to it, and everything it printed: an assertion's message. */
  report: () => string;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): CliRun {
  const started = Date.now();
  const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let ended = 'still running';
  const sent: string[] = [];
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  // Resolved once the output is complete too ('close'; a crash's last words come just before
  // the exit), or a second after the exit should something else hold the pipes open.
  const exited = new Promise<number | NodeJS.Signals>((resolve) => child.once('exit', (code, signal) => {
    ended = `${code !== null ? `exit code ${code}` : `ended by ${signal}`} at ${Date.now() - started} ms`;
    const done = (): void => resolve(code ?? signal!);
    child.once('close', done);
    setTimeout(done, 1_000).unref();
  }));
  return {
    child, output: () => out, exited,
    kill: (signal) => { sent.push(`${signal} at ${Date.now() - started} ms`); child.kill(signal); },
    report: () => `driftwatch ${args.join(' ')} (pid ${child.pid}): ${ended}${sent.length > 0 ? `; sent ${sent.join(', ')}` : ''}; output:\n${out}`,
  };
}
