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
  /** The exit code (null: ended by a signal). */
  exited: Promise<number | null>;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv): CliRun {
  const child = spawn(process.execPath, [cliPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}
