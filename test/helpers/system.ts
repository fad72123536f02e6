// The whole system in-process on a test database: control API and engine on free ports.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { silentLogger } from '../../src/log.js';
import { startSystem, type System } from '../../src/system.js';

export function startTestSystem(databaseUrl: string): Promise<System> {
  const config = loadConfig({
    env: {},
    overrides: { databaseUrl, host: '127.0.0.1', enginePort: 0, controlPort: 0, workerThreads: 1, logLevel: 'silent', demoTenant: false,
      // The engine's spool: a directory of its own (one engine process per SPOOL_DIR).
      spoolDir: mkdtempSync(join(tmpdir(), 'dw-spool-')) },
  });
  return startSystem(config, silentLogger, { engine: true, control: true });
}
