// Starts the parts of driftwatch in one process, in order, and stops them in reverse:
//
//   database (DATABASE_URL, or embedded PostgreSQL under DRIFTWATCH_DATA_DIR) ─ migrate
//        │
//        ├── TokenService (ES256 keys in signing_keys, shared by both servers)
//        ├── control API (Fastify, CONTROL_PORT)      accounts, keys, anomalies, ...
//        │     └── machine registry: per-tenant engines (VM_PROVIDER), health loop every VM_HEALTH_INTERVAL_MS
//        └── engine (uWebSockets.js, ENGINE_PORT)     ingest ─▶ COPY ─▶ workers ─▶ anomalies
//
// close() stops the engine first (it flushes every acknowledged event and the detector
// queue into PostgreSQL), then the control API, then the machine registry (its health loop,
// and the local driver's tenant engines, each flushed by its own SIGTERM), then the database.
import type { FastifyInstance } from 'fastify';
import { startEngine, type EngineHandle } from '../engine/engine.js';
import { buildControlApp } from './app.js';
import { AuditLog } from './audit.js';
import { createMachineRegistry } from './machines/create.js';
import type { MachineRegistry, RouteSink } from './machines/registry.js';
import { createApiKey } from './auth/api-keys.js';
import { TokenService } from './auth/jwt.js';
import type { Config } from './config.js';
import { openDatabase, type Database } from './db.js';
import type { Logger } from './log.js';
import { createTenant } from './tenants.js';

export interface SystemParts { engine: boolean; control: boolean }

export interface SystemOptions {
  ownSignals?: boolean;
  /** Where the machine registry publishes tenant routes (the routing table). */
  routes?: RouteSink;
}

export interface System {
  readonly db: Database;
  readonly controlUrl: string | undefined;
  readonly engineUrl: string | undefined;
  /** Set on the run that created the demo tenant: its API key, shown this once. */
  readonly demoApiKey: string | undefined;
  /** The control API's machine registry (undefined without the control API). */
  readonly machines: MachineRegistry | undefined;
  close(): Promise<void>;
}

const urlOf = (host: string, port: number): string =>
  `http://${host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host}:${port}`;

/** Creates the `demo` tenant (on the business plan) and an API key for it, once; returns the key when it did. */
export async function ensureDemoTenant(db: Database): Promise<string | undefined> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    // 'dw' + 2, as a decimal: hexadecimal integer literals need PostgreSQL 16.
    await client.query('SELECT pg_advisory_xact_lock(1685520386)');
    const found = await client.query("SELECT id FROM tenants WHERE slug = 'demo'");
    let key: string | undefined;
    if (found.rowCount === 0) {
      // Business (unlimited events): a local demo tenant is for trying things out, not metered.
      const tenant = await createTenant(client, 'Demo', 'business');
      key = (await createApiKey(client, tenant.id, { name: 'demo agent' })).key;
    }
    await client.query('COMMIT');
    return key;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

export async function startSystem(
  config: Readonly<Config>, log: Logger, parts: SystemParts, opts: SystemOptions = {},
): Promise<System> {
  const db = await openDatabase(config, log.child({ component: 'db' }), 20, opts);
  let engine: EngineHandle | undefined;
  let control: FastifyInstance | undefined;
  let machines: MachineRegistry | undefined;
  try {
    const tokens = await new TokenService(db.pool, {
      issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds,
    }).init();
    const demoApiKey = parts.control && parts.engine && config.demoTenant ? await ensureDemoTenant(db) : undefined;
    let controlUrl: string | undefined;
    let engineUrl: string | undefined;
    if (parts.control) {
      machines = createMachineRegistry({
        config, pool: db.pool, databaseUrl: db.url, log, routes: opts.routes,
        audit: new AuditLog(db.pool, log.child({ component: 'audit' })),
      });
      const app = await buildControlApp({ config, pool: db.pool, tokens, log: log.child({ component: 'control' }), machines });
      control = app;
      await app.listen({ host: config.host, port: config.controlPort });
      machines.startHealthLoop();
      const addr = app.server.address();
      controlUrl = urlOf(config.host, typeof addr === 'object' && addr !== null ? addr.port : config.controlPort);
    }
    if (parts.engine) {
      engine = await startEngine({ config, pool: db.pool, tokens, log });
      engineUrl = urlOf(config.host, engine.port);
    }
    let closing: Promise<void> | undefined;
    return {
      db, controlUrl, engineUrl, demoApiKey, machines,
      close() {
        closing ??= (async () => {
          // Each step runs even if an earlier one failed; the first error is reported.
          let first: unknown;
          for (const step of [() => engine?.close(), () => control?.close(), () => machines?.close(), () => db.close()]) {
            try { await step(); } catch (err) { first ??= err; }
          }
          if (first !== undefined) throw first;
        })();
        return closing;
      },
    };
  } catch (err) {
    await engine?.close().catch(() => {});
    await control?.close().catch(() => {});
    await machines?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}
