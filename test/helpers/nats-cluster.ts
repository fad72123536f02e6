// A three-node NATS JetStream cluster on free loopback ports, from the machine's nats-server
// (Debian's /usr/sbin/nats-server, 2.9), each node with a store directory of its own under a
// temp dir; started, waited on until JetStream has a meta leader, and stopped (or one node
// SIGKILLed and started again) by the tests. Where nats-server is absent, natsServerBinary() is
// undefined and the tests skip with natsSkipReason.
//
// The ports come from freePort(), which closes its probe socket before nats-server binds: another
// test's connection can take one meanwhile, a node then exits at start ("address already in use"),
// and the two others elect a meta leader but can place no three-replica stream. So ready() also
// waits for every started node to answer on its own port and for a three-replica probe stream to
// be placed, fails at once with the node's stderr when a node exits, and startNatsCluster() starts
// again on fresh ports (up to START_ATTEMPTS times) when that happens.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager, StorageType } from '@nats-io/jetstream';
import { freePort, waitFor } from './net.js';

const CANDIDATES = ['/usr/sbin/nats-server', '/usr/bin/nats-server', '/usr/local/bin/nats-server'];

export function natsServerBinary(): string | undefined {
  return CANDIDATES.find((p) => existsSync(p));
}

export const natsSkipReason = 'nats-server is not installed (apt-get install nats-server): the cluster tests need a real JetStream cluster';

export interface NatsNode {
  name: string;
  clientPort: number;
  clusterPort: number;
  storeDir: string;
  confFile: string;
  proc: ChildProcess | undefined;
  /** The last 4 KiB of its stderr (why it exited). */
  stderr: string;
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** nats://127.0.0.1:a,nats://127.0.0.1:b,nats://127.0.0.1:c */
  url: string;
  /** SIGKILL one node (no clean shutdown: its store is left as a crash leaves it). */
  kill(i: number): Promise<void>;
  /** Start a killed node again on its ports and store. */
  restart(i: number): Promise<void>;
  /**
   * Waits until JetStream answers with a meta leader (any node) and, when no node is held or
   * killed, every node answers on its own port and a three-replica stream can be placed. Throws at
   * once, with its stderr, when a started node has exited.
   */
  ready(ms?: number): Promise<void>;
  stop(): Promise<void>;
}

function writeConf(n: NatsNode, routes: string[]): void {
  writeFileSync(n.confFile, [
    `server_name: ${n.name}`,
    'listen: 127.0.0.1:' + String(n.clientPort),
    `jetstream { store_dir: "${n.storeDir}", max_memory_store: 256MB, max_file_store: 2GB }`,
    'cluster {',
    '  name: dwtest',
    `  listen: 127.0.0.1:${n.clusterPort}`,
    `  routes: [${routes.map((r) => `"${r}"`).join(', ')}]`,
    '}',
    '',
  ].join('\n'));
}

function startNode(bin: string, n: NatsNode): void {
  const p = spawn(bin, ['-c', n.confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  n.stderr = '';
  p.stderr?.setEncoding('utf8').on('data', (d: string) => { n.stderr = (n.stderr + d).slice(-4096); });
  n.proc = p;
}

/** A node started by the helper that has exited on its own (not by kill() or stop()). */
function exited(n: NatsNode): boolean {
  // After its stderr has ended too, so the reason is in n.stderr.
  return n.proc !== undefined && (n.proc.exitCode !== null || n.proc.signalCode !== null) && (n.proc.stderr === null || n.proc.stderr.readableEnded);
}

class NodeExited extends Error {}

/** JetStream answers through `servers` (one node's port, or all of them). */
async function jetstreamAnswers(servers: string[], probe: boolean): Promise<true | undefined> {
  const nc = await connect({ servers, timeout: 2_000, reconnect: false });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 2_000 });
    if ((await jsm.getAccountInfo()) === undefined) return undefined;
    if (probe) {
      // Three replicas placed: every node is a JetStream peer of the meta group.
      const name = `dw_probe_${process.pid}_${Date.now()}`;
      await jsm.streams.add({ name, subjects: [`dwprobe.${name}`], num_replicas: 3, storage: StorageType.Memory });
      await jsm.streams.delete(name);
    }
    return true;
  } finally {
    await nc.close();
  }
}

/** Attempts at starting a cluster on fresh ports when a node exits at start. */
const START_ATTEMPTS = 4;

async function stopNode(n: NatsNode, signal: NodeJS.Signals): Promise<void> {
  const p = n.proc;
  n.proc = undefined;
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  await gone;
}

export interface ClusterOptions {
  /** Nodes configured but not started (start them with `restart(i)`). */
  held?: number[];
  /** Where the ports come from (freePort; a test gives a port that is taken). */
  port?: () => Promise<number>;
}

/**
 * Starts three nodes on free loopback ports and waits for a JetStream meta leader. `held` nodes are
 * configured but not started (a cluster still forming: start them later with `restart(i)`).
 */
export async function startNatsCluster(opts: ClusterOptions = {}): Promise<NatsCluster> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNatsClusterOnce(opts);
    } catch (err) {
      if (!(err instanceof NodeExited) || attempt >= START_ATTEMPTS) throw err;
      // A port was taken between freePort() and the node's bind: start again on fresh ports.
      const lines = err.message.split('\n');
      console.warn(`nats-cluster: ${lines[0]} ${lines.find((l) => l.includes('[FTL]')) ?? lines[lines.length - 1]}; starting again on fresh ports (attempt ${attempt + 1} of ${START_ATTEMPTS})`);
    }
  }
}

async function startNatsClusterOnce(opts: ClusterOptions): Promise<NatsCluster> {
  const port = opts.port ?? freePort;
  const bin = natsServerBinary();
  if (bin === undefined) throw new Error(natsSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'dw-nats-'));
  const nodes: NatsNode[] = [];
  for (let i = 0; i < 3; i++) {
    const storeDir = join(dir, `n${i}`);
    mkdirSync(storeDir);
    nodes.push({ name: `n${i}`, clientPort: await port(), clusterPort: await port(), storeDir, confFile: join(dir, `n${i}.conf`), proc: undefined, stderr: '' });
  }
  const routes = nodes.map((n) => `nats-route://127.0.0.1:${n.clusterPort}`);
  nodes.forEach((n, i) => {
    writeConf(n, routes);
    if (!(opts.held ?? []).includes(i)) startNode(bin, n);
  });
  const url = nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(',');
  const cluster: NatsCluster = {
    nodes,
    url,
    async kill(i) { await stopNode(nodes[i], 'SIGKILL'); },
    async restart(i) { startNode(bin, nodes[i]); await cluster.ready(); },
    async ready(ms = 30_000) {
      const deadline = Date.now() + ms;
      const check = async (): Promise<true | undefined> => {
        const dead = nodes.find(exited);
        if (dead !== undefined) {
          throw new NodeExited(`nats node ${dead.name} (client port ${dead.clientPort}, cluster port ${dead.clusterPort}) exited with ${dead.proc?.exitCode ?? dead.proc?.signalCode}:\n${dead.stderr.trim()}`);
        }
        return jetstreamAnswers(url.split(','), false);
      };
      await waitUnlessExited(check, deadline, 'a JetStream meta leader');
      if (nodes.every((n) => n.proc !== undefined)) {
        for (const n of nodes) {
          await waitUnlessExited(async () => (await check()) && jetstreamAnswers([`nats://127.0.0.1:${n.clientPort}`], false), deadline, `JetStream on node ${n.name}`);
        }
        await waitUnlessExited(async () => (await check()) && jetstreamAnswers(url.split(','), true), deadline, 'a three-replica stream placed');
      }
    },
    async stop() {
      await Promise.all(nodes.map((n) => stopNode(n, 'SIGTERM')));
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await cluster.ready();
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}

/** waitFor until `deadline`, except that a node's exit ends the wait at once. */
async function waitUnlessExited(check: () => Promise<true | undefined>, deadline: number, what: string): Promise<void> {
  let exit: NodeExited | undefined;
  await waitFor(async () => {
    try {
      return await check();
    } catch (err) {
      if (err instanceof NodeExited) { exit = err; return true; }
      throw err;
    }
  }, Math.max(1, deadline - Date.now()), what);
  if (exit !== undefined) throw exit;
}

/** One JetStream node on a free loopback port with a temp store (tests that need no cluster). */
export async function startNatsServer(): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = natsServerBinary();
  if (bin === undefined) throw new Error(natsSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'dw-nats1-'));
  const port = await freePort();
  const p = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  p.stderr?.resume();
  const url = `nats://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (p.exitCode === null && p.signalCode === null) {
      const gone = new Promise<void>((r) => p.once('exit', () => r()));
      p.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => jetstreamAnswers([url], false), 20_000, 'nats-server');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
