// A three-node NATS JetStream cluster on free loopback ports, from the machine's nats-server
// (Debian's /usr/sbin/nats-server, 2.9), each node with a store directory of its own under a
// temp dir; started, waited on until JetStream has a meta leader, and stopped (or one node
// SIGKILLed and started again) by the tests. Where nats-server is absent, natsServerBinary() is
// undefined and the tests skip with natsSkipReason.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
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
}

export interface NatsCluster {
  nodes: NatsNode[];
  /** nats://127.0.0.1:a,nats://127.0.0.1:b,nats://127.0.0.1:c */
  url: string;
  /** SIGKILL one node (no clean shutdown: its store is left as a crash leaves it). */
  kill(i: number): Promise<void>;
  /** Start a killed node again on its ports and store. */
  restart(i: number): Promise<void>;
  /** Waits until JetStream answers with a meta leader (any node). */
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
  p.stderr?.resume();
  n.proc = p;
}

async function stopNode(n: NatsNode, signal: NodeJS.Signals): Promise<void> {
  const p = n.proc;
  n.proc = undefined;
  if (p === undefined || p.exitCode !== null || p.signalCode !== null) return;
  const gone = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill(signal);
  await gone;
}

/**
 * Starts three nodes on free loopback ports and waits for a JetStream meta leader. `held` nodes are
 * configured but not started (a cluster still forming: start them later with `restart(i)`).
 */
export async function startNatsCluster(opts: { held?: number[] } = {}): Promise<NatsCluster> {
  const bin = natsServerBinary();
  if (bin === undefined) throw new Error(natsSkipReason);
  const dir = mkdtempSync(join(tmpdir(), 'dw-nats-'));
  const nodes: NatsNode[] = [];
  for (let i = 0; i < 3; i++) {
    const storeDir = join(dir, `n${i}`);
    mkdirSync(storeDir);
    nodes.push({ name: `n${i}`, clientPort: await freePort(), clusterPort: await freePort(), storeDir, confFile: join(dir, `n${i}.conf`), proc: undefined });
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
      await waitFor(async () => {
        const nc = await connect({ servers: url.split(','), timeout: 2_000, reconnect: false });
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2_000 });
          const info = await jsm.getAccountInfo();
          return info === undefined ? undefined : true;
        } finally {
          await nc.close();
        }
      }, ms, 'a JetStream meta leader');
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
    await waitFor(async () => {
      const nc = await connect({ servers: url, timeout: 1_000, reconnect: false });
      try {
        return (await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo()) === undefined ? undefined : true;
      } finally {
        await nc.close();
      }
    }, 20_000, 'nats-server');
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, stop };
}
