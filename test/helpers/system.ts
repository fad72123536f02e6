// The whole system in-process on a test database: control API and engine on free ports.
import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/core/config.js';
import { silentLogger } from '../../src/core/log.js';
import { startSystem, type System } from '../../src/system.js';

export async function startTestSystem(databaseUrl: string, overrides: Partial<Config> = {}): Promise<System> {
  // The engine's spool: a directory of its own (one engine process per SPOOL_DIR), removed on close.
  const spoolDir = mkdtempSync(join(tmpdir(), 'dw-spool-'));
  const config = loadConfig({
    env: {},
    overrides: { databaseUrl, host: '127.0.0.1', enginePort: 0, controlPort: 0, workerThreads: 1, logLevel: 'silent', demoTenant: false, spoolDir, ...overrides },
  });
  const system = await startSystem(config, silentLogger, { engine: true, control: true }).catch(async (err: unknown) => {
    await rm(spoolDir, { recursive: true, force: true });
    throw err;
  });
  return {
    ...system,
    async close() {
      try { await system.close(); } finally { await rm(spoolDir, { recursive: true, force: true }); }
    },
  };
}
