// The local driver: a tenant's engine is a child process of the control API,
//
//   node dist/bin/driftwatch.js engine   ENGINE_PORT=0 (the child prints the port it got)
//                                        DATABASE_URL = the control API's (embedded or not)
//                                        DRIFTWATCH_TENANT_ID = the tenant (others get 403)
//
// states:  spawn ─▶ starting ─(prints "engine http://host:port")─▶ started
//          stop() ─▶ stopping ─ SIGTERM ─(grace)─ SIGKILL ─▶ stopped
//          exit without stop() ─▶ failed (the registry calls it crashed)
//
// The machine id is the deterministic name, so ensure() for a tenant whose child is alive
// adopts it. The child has an IPC channel to us and stops itself when it closes (bin/
// driftwatch.ts), so a control API that dies does not leave engines behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { keyFileOf } from '../../core/auth/key-encryption.js';
import { options, type Config } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { packageRoot } from '../../core/paths.js';
import { ProviderError, probeHealth, type MachineProvider, type MachineSpec, type ProviderMachine, type ProviderState } from './provider.js';

/** Engine options a tenant engine inherits from the control API's configuration. */
const INHERITED: readonly (keyof Config)[] = [
  'jwtIssuer', 'jwtAudience', 'maxBodyBytes', 'maxBatchEvents', 'maxEventBytes', 'flushIntervalMs', 'flushMaxRows',
  'maxStreams', 'tenantEventsPerSecond', 'streamIdleTtlMs', 'apiKeyCacheMs', 'spoolMaxBytes', 'spoolSyncMs', 'quotaRefreshMs',
  'redisKeyPrefix',
];

const OUTPUT_TAIL_LINES = 30;
const ENGINE_LINE = /^\s*engine\s+http:\/\/(\S+?):(\d+)\b/m;

interface Child {
  readonly name: string;
  readonly spec: MachineSpec;
  proc: ChildProcess;
  state: ProviderState;
  address: string | null;
  stopRequested: boolean;
  exited: Promise<void>;
  tail: string[];
  events: EventEmitter;
}

export interface LocalProviderOptions {
  config: Readonly<Config>;
  /** The control API's database URL (the embedded server's when DATABASE_URL is unset). */
  databaseUrl: string;
  log: Logger;
  /** Defaults to dist/bin/driftwatch.js of this package. */
  cliPath?: string;
  /** Worker threads per tenant engine (default 1). */
  workerThreads?: number;
}

export class LocalProvider implements MachineProvider {
  readonly kind = 'local' as const;
  readonly stats = { spawned: 0, exitedUnexpectedly: 0, killed: 0 };
  #opts: LocalProviderOptions;
  #cli: string;
  #children = new Map<string, Child>();
  #log: Logger;

  constructor(opts: LocalProviderOptions) {
    this.#opts = opts;
    this.#cli = opts.cliPath ?? join(packageRoot, 'dist', 'bin', 'driftwatch.js');
    this.#log = opts.log.child({ component: 'machines-local' });
  }

  #env(tenantId: string): Record<string, string> {
    const c = this.#opts.config;
    const env: Record<string, string> = {
      DATABASE_URL: this.#opts.databaseUrl,
      HOST: '127.0.0.1',
      ENGINE_PORT: '0',
      WORKER_THREADS: String(this.#opts.workerThreads ?? 1),
      LOG_LEVEL: c.logLevel === 'silent' ? 'silent' : 'warn',
      DEMO_TENANT: 'false',
      DRIFTWATCH_TENANT_ID: tenantId,
    };
    // Only what the engine reads: the child gets no other variable of ours (no secrets).
    for (const name of INHERITED) env[options[name].env] = String(c[name]);
    // Usage counters and the quota read Redis when the control API does.
    if (c.redisUrl !== undefined) env[options.redisUrl.env] = c.redisUrl;
    // Its /metrics asks for the same token as ours.
    if (c.metricsToken !== undefined) env[options.metricsToken.env] = c.metricsToken;
    // The signing keys are sealed at rest: the engine opens them with the same key as ours (with
    // neither setting, the key file under our data directory, with or without DATABASE_URL: it is
    // handed the file's path; the child gets no NODE_ENV, and a production start without a key was refused before).
    if (c.signingKeyEncryptionKey !== undefined) env[options.signingKeyEncryptionKey.env] = c.signingKeyEncryptionKey;
    else if (c.signingKeyEncryptionKeyFile !== undefined) env[options.signingKeyEncryptionKeyFile.env] = c.signingKeyEncryptionKeyFile;
    else env[options.signingKeyEncryptionKeyFile.env] = keyFileOf(c.dataDir);
    // One engine process per spool directory (its LOCK): each tenant engine has its own.
    env[options.spoolDir.env] = join(c.dataDir, 'spool', `tenant-${tenantId}`);
    return env;
  }

  #view(c: Child): ProviderMachine {
    return { id: c.name, name: c.name, state: c.state, region: 'local', address: c.address };
  }

  #set(c: Child, state: ProviderState): void {
    c.state = state;
    c.events.emit('state', state);
  }

  async ensure(spec: MachineSpec): Promise<ProviderMachine> {
    const cur = this.#children.get(spec.name);
    if (cur !== undefined && (cur.state === 'starting' || cur.state === 'started')) return this.#view(cur);
    if (cur !== undefined && cur.state === 'stopping') await cur.exited;
    return this.#view(this.#spawn(spec));
  }

  #spawn(spec: MachineSpec): Child {
    this.stats.spawned++;
    const proc = spawn(process.execPath, [this.#cli, 'engine'], {
      env: this.#env(spec.tenantId),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const c: Child = {
      name: spec.name, spec, proc, state: 'starting', address: null, stopRequested: false,
      exited: undefined as unknown as Promise<void>, tail: [], events: new EventEmitter(),
    };
    c.events.setMaxListeners(0);
    this.#children.set(spec.name, c);
    const keep = (chunk: Buffer): void => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        c.tail.push(line.length > 500 ? line.slice(0, 500) : line);
        if (c.tail.length > OUTPUT_TAIL_LINES) c.tail.shift();
      }
    };
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => {
      keep(d);
      if (c.address !== null) return;
      out += d.toString('utf8');
      const m = ENGINE_LINE.exec(out);
      if (m !== null && out.includes('driftwatch is running')) {
        c.address = `${m[1]}:${m[2]}`;
        out = '';
        if (c.state === 'starting') this.#set(c, 'started');
        this.#log.info({ tenantId: spec.tenantId, pid: proc.pid, address: c.address }, 'MachineLocalStarted');
      }
    });
    // The engine logs at warn and above (JSON lines on stderr): passed on, tagged with the tenant.
    proc.stderr!.on('data', (d: Buffer) => {
      keep(d);
      for (const line of d.toString('utf8').split('\n')) {
        if (line.trim() !== '') this.#log.warn({ tenantId: spec.tenantId, pid: proc.pid, line: line.slice(0, 2000) }, 'MachineLocalOutput');
      }
    });
    c.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        const expected = c.stopRequested;
        this.#set(c, expected ? 'stopped' : 'failed');
        if (!expected) {
          this.stats.exitedUnexpectedly++;
          this.#log.warn({ tenantId: spec.tenantId, pid: proc.pid, code, signal, output: c.tail.slice(-5) }, 'MachineLocalExited: a tenant engine exited on its own');
        }
        resolve();
      });
    });
    proc.once('error', (err) => {
      c.tail.push(`spawn error: ${err.message}`);
      if (c.state === 'starting') this.#set(c, 'failed');
    });
    // The IPC channel exists so that the child notices our death; we send nothing on it.
    proc.on('error', () => {});
    return c;
  }

  async start(id: string): Promise<void> {
    const c = this.#children.get(id);
    if (c === undefined) throw new ProviderError(`no local machine ${id}`, 404);
    await this.ensure(c.spec);
  }

  async stop(id: string): Promise<void> {
    const c = this.#children.get(id);
    if (c === undefined || c.state === 'stopped' || c.state === 'failed') return;
    c.stopRequested = true;
    this.#set(c, 'stopping');
    c.proc.kill('SIGTERM');
    const grace = this.#opts.config.vmStopGraceMs;
    let timer: NodeJS.Timeout | undefined;
    const killed = await Promise.race([
      c.exited.then(() => false),
      new Promise<boolean>((r) => { timer = setTimeout(() => r(true), grace); }),
    ]);
    clearTimeout(timer);
    if (killed) {
      this.#log.warn({ tenantId: c.spec.tenantId, pid: c.proc.pid, graceMs: grace }, 'MachineLocalKilled: no exit within the grace period, SIGKILL');
      this.stats.killed++;
      c.proc.kill('SIGKILL');
      await c.exited;
    }
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id);
    this.#children.delete(id);
  }

  async get(id: string): Promise<ProviderMachine | null> {
    const c = this.#children.get(id);
    return c === undefined ? null : this.#view(c);
  }

  async waitFor(id: string, state: 'started' | 'stopped' | 'destroyed', timeoutMs: number): Promise<ProviderMachine> {
    const c = this.#children.get(id);
    if (c === undefined) {
      if (state === 'destroyed') return { id, name: id, state: 'destroyed', region: 'local', address: null };
      throw new ProviderError(`no local machine ${id}`, 404);
    }
    const done = (): boolean | Error => {
      if (c.state === state || (state === 'destroyed' && !this.#children.has(id))) return true;
      if (state === 'started' && (c.state === 'failed' || c.state === 'stopped')) {
        return new ProviderError(`the engine process exited before it was ready: ${c.tail.slice(-3).join(' | ') || 'no output'}`);
      }
      return false;
    };
    return new Promise<ProviderMachine>((resolve, reject) => {
      const check = (): void => {
        const r = done();
        if (r === false) return;
        cleanup();
        if (r === true) resolve(this.#view(c));
        else reject(r);
      };
      const timer = setTimeout(() => { cleanup(); reject(new ProviderError(`the engine was not ${state} within ${timeoutMs} ms (state ${c.state})`)); }, timeoutMs);
      const cleanup = (): void => { clearTimeout(timer); c.events.off('state', check); };
      c.events.on('state', check);
      check();
    });
  }

  healthy(machine: ProviderMachine, timeoutMs: number): Promise<boolean> {
    return probeHealth(machine.address, timeoutMs);
  }

  /** The pid of a tenant's engine (tests kill it to simulate a crash). */
  pid(id: string): number | undefined {
    return this.#children.get(id)?.proc.pid;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#children.keys()].map((id) => this.stop(id).catch(() => undefined)));
  }
}
