// An engine child process for the cluster tests (`node dist/bin/driftwatch.js engine`), with the
// roles and environment given; resolves once it logs ClusterRolesStarted (its detect role's id
// with it). kill() is SIGKILL (no clean shutdown), stop() SIGTERM and wait.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../dist/bin/driftwatch.js', import.meta.url));

export interface EngineProc {
  proc: ChildProcess;
  detectId: string | undefined;
  /** Its log lines (JSON), for a failing test's message. */
  lines: string[];
  kill(): Promise<void>;
  stop(): Promise<void>;
}

export async function spawnEngine(env: Record<string, string>, roles: string): Promise<EngineProc> {
  const proc = spawn(process.execPath, [bin, 'engine'], {
    env: {
      PATH: process.env.PATH ?? '', HOST: '127.0.0.1', ENGINE_PORT: '0', WORKER_THREADS: '1', LOG_LEVEL: 'info',
      SPOOL_DIR: mkdtempSync(join(tmpdir(), 'dw-proc-spool-')), DRIFTWATCH_ROLES: roles, ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const p: EngineProc = {
    proc, detectId: undefined, lines,
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGKILL');
      await gone;
    },
    async stop() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      proc.kill('SIGTERM');
      await gone;
    },
  };
  await new Promise<void>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        if (lines.length > 2_000) lines.shift();
        if (line.includes('ClusterRolesStarted')) {
          try { p.detectId = (JSON.parse(line) as { detectId?: string }).detectId; } catch { /* not JSON */ }
          resolve();
        }
      }
    };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`engine (${roles}) exited with ${code} before starting: ${lines.slice(-20).join('\n')}`)));
  });
  return p;
}
