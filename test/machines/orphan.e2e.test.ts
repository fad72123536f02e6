// The local driver's engines do not outlive a control API that dies without shutting down:
// the engine's IPC channel to its parent closes and it stops itself (bin/driftwatch.ts).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../../src/core/tenancy/tenants.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';

let db: TestDatabase;
let enginePid: number | undefined;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => {
  // Should it have survived (the test failed), do not leave it running.
  if (enginePid !== undefined && alive(enginePid)) process.kill(enginePid, 'SIGKILL');
  await db?.drop();
});

const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('local driver: a control API killed with SIGKILL', () => {
  it('its tenant engine notices and exits', async () => {
    const tenant = await createTenant(db.pool, 'Orphan');
    const parent = spawn(process.execPath, [fileURLToPath(new URL('../fixtures/vm-parent.mjs', import.meta.url)), db.url, tenant.id], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const [, pid, address] = await waitFor(async () => /^engine (\d+) (\S+)$/m.exec(out) ?? undefined, 30_000, 'engine started');
    enginePid = Number(pid);
    expect((await fetch(`http://${address}/health`)).status).toBe(200);
    parent.kill('SIGKILL');
    await waitFor(async () => (alive(enginePid!) ? undefined : true), 15_000, 'the orphaned engine to exit');
    expect(alive(enginePid)).toBe(false);
  });
});
