// bench/cluster: a three-node JetStream cluster on free loopback ports from the machine's
// nats-server (as test/helpers/nats-cluster.ts, which the build does not include).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

export const freePort = (): Promise<number> => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const port = (s.address() as { port: number }).port; s.close(() => resolve(port)); });
});

export async function startCluster(bin: string): Promise<{ url: string; pids: number[]; stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'dw-bench-nats-'));
  const nodes = [];
  for (let i = 0; i < 3; i++) nodes.push({ i, client: await freePort(), route: await freePort() });
  const procs: ChildProcess[] = [];
  for (const n of nodes) {
    mkdirSync(join(dir, `n${n.i}`));
    const conf = join(dir, `n${n.i}.conf`);
    writeFileSync(conf, `server_name: n${n.i}\nlisten: 127.0.0.1:${n.client}\njetstream { store_dir: "${join(dir, `n${n.i}`)}" }\n` +
      `cluster { name: bench, listen: 127.0.0.1:${n.route}, routes: [${nodes.map((m) => `"nats-route://127.0.0.1:${m.route}"`).join(', ')}] }\n`);
    procs.push(spawn(bin, ['-c', conf], { stdio: 'ignore' }));
  }
  const url = nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(',');
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const nc = await connect({ servers: url.split(','), reconnect: false, timeout: 2_000 });
      try { await (await jetstreamManager(nc, { timeout: 2_000 })).getAccountInfo(); break; } finally { await nc.close(); }
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    pids: procs.map((p) => p.pid!),
    async stop() {
      await Promise.all(procs.map((p) => new Promise<void>((r) => { if (p.exitCode !== null) { r(); return; } p.once('exit', () => r()); p.kill('SIGTERM'); })));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
