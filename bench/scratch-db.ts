// A database of a bench's own on the server of DATABASE_URL: created empty, dropped at the end
// (WITH FORCE: whatever the bench left connected). The bench migrates it when it needs the schema.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface ScratchDatabase {
  name: string;
  /** DATABASE_URL with the scratch database as its path. */
  url: string;
  drop: () => Promise<void>;
}

export async function scratchDatabase(adminUrl: string, label: string): Promise<ScratchDatabase> {
  const name = `dw_bench_${label}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return {
    name, url: u.toString(),
    drop: async () => {
      try { await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } finally { await admin.end(); }
    },
  };
}
