// Starts the parts of driftwatch in one process, in order, and stops them in reverse:
//
//   database (DATABASE_URL, or embedded PostgreSQL under DRIFTWATCH_DATA_DIR) ─ migrate
//        │
//        ├── TokenService (ES256 keys in signing_keys, shared by both servers)
//        ├── routing table (memory + Redis + PostgreSQL; shared by the control API, the machine
//        │     registry that writes it, and the edge that reads it)
//        ├── control API (Fastify, CONTROL_PORT)      accounts, keys, anomalies, routing, ...
//        │     └── machine registry: per-tenant engines (VM_PROVIDER), health loop every VM_HEALTH_INTERVAL_MS;
//        │           a running machine's address goes into the routing table (its tenant's slug)
//        ├── engine (uWebSockets.js, ENGINE_PORT)     ingest ─▶ COPY ─▶ workers ─▶ anomalies
//        └── edge proxy (EDGE_PORT)                   <tenant>.<DRIFTWATCH_DOMAIN> ─▶ its engine
//                                                     (`up` routes the demo tenant to the engine above)
//
// close() stops the edge from taking connections, then stops the engine (it flushes every
// acknowledged event and the detector queue into PostgreSQL, and ends WebSockets with 1001,
// through the edge's tunnels too), then ends what the edge still holds, then the control API,
// the machine registry (its health loop, and the local driver's tenant engines, each flushed by
// its own SIGTERM; their routes removed), the routing table and the database.
import type { FastifyInstance } from 'fastify';
import { startEngine, type EngineHandle } from '../engine/engine.js';
import { buildControlApp } from './control/app.js';
import { AuditLog } from './core/audit.js';
import { createMachineRegistry } from './control/machines/create.js';
import type { MachineRegistry, RouteSink } from './control/machines/registry.js';
import { createApiKey } from './core/auth/api-keys.js';
import { TokenService } from './core/auth/jwt.js';
import { keyEncryptionOf } from './core/auth/key-encryption.js';
import type { Config } from './core/config.js';
import { openDatabase, withTransaction, type Database } from './core/db.js';
import type { Logger } from './core/log.js';
import { startEdgeProxy, type EdgeHandle } from './edge/proxy.js';
import { RoutingTable } from './core/routing/table.js';
import { createTenant } from './core/tenancy/tenants.js';

export interface SystemParts { engine: boolean; control: boolean; edge?: boolean }

/** The demo tenant's slug: its subdomain on the edge proxy (demo.localhost:8000). */
export const DEMO_SLUG = 'demo';

export interface SystemOptions {
  ownSignals?: boolean;
  /** Where the machine registry publishes tenant routes (the routing table). */
  routes?: RouteSink;
}

export interface System {
  readonly db: Database;
  readonly controlUrl: string | undefined;
  readonly engineUrl: string | undefined;
  /** The edge proxy's URL for the demo tenant (http://demo.<domain>:<port>), when the edge runs. */
  readonly edgeUrl: string | undefined;
  readonly edge: EdgeHandle | undefined;
  readonly routes: RoutingTable | undefined;
  /** Set on the run that created the demo tenant: its API key, shown this once. */
  readonly demoApiKey: string | undefined;
  /** The control API's machine registry (undefined without the control API). */
  readonly machines: MachineRegistry | undefined;
  close(): Promise<void>;
}

const hostOf = (host: string): string => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);
const urlOf = (host: string, port: number): string => `http://${hostOf(host)}:${port}`;

/** Creates the `demo` tenant (on the business plan) and an API key for it, once; returns the key when it did. */
export async function ensureDemoTenant(db: Database): Promise<string | undefined> {
  return withTransaction(db.pool, async (client) => {
    // 'dw' + 2, as a decimal: hexadecimal integer literals need PostgreSQL 16.
    await client.query('SELECT pg_advisory_xact_lock(1685520386)');
    const found = await client.query('SELECT id FROM tenants WHERE slug = $1', [DEMO_SLUG]);
    if (found.rowCount !== 0) return undefined;
    // Business (unlimited events): a local demo tenant is for trying things out, not metered.
    const tenant = await createTenant(client, 'Demo', 'business');
    return (await createApiKey(client, tenant.id, { name: 'demo agent' })).key;
  });
}

export async function startSystem(
  config: Readonly<Config>, log: Logger, parts: SystemParts, opts: SystemOptions = {},
): Promise<System> {
  const db = await openDatabase(config, log.child({ component: 'db' }), 20, opts);
  let engine: EngineHandle | undefined;
  let control: FastifyInstance | undefined;
  let machines: MachineRegistry | undefined;
  let routes: RoutingTable | undefined;
  let edge: EdgeHandle | undefined;
  try {
    if (parts.control || parts.edge === true) {
      routes = await RoutingTable.fromConfig(config, db.pool, log.child({ component: 'routing' }));
    }
    const encryption = keyEncryptionOf(config);
    if (config.databaseUrl !== undefined && config.signingKeyEncryptionKey === undefined && config.signingKeyEncryptionKeyFile === undefined) {
      log.warn({ event: 'SigningKeyFileLocal', source: encryption.source },
        `SigningKeyFileLocal: the signing keys are sealed with ${encryption.source} (created under the data directory): every process sharing this database needs it ` +
        '(SIGNING_KEY_ENCRYPTION_KEY_FILE); in production set SIGNING_KEY_ENCRYPTION_KEY or SIGNING_KEY_ENCRYPTION_KEY_FILE (NODE_ENV=production refuses to start without)');
    }
    const tokens = await new TokenService(db.pool, {
      issuer: config.jwtIssuer, audience: config.jwtAudience, ttlSeconds: config.accessTokenTtlSeconds,
      maxLifetimeSeconds: config.maxAccessTokenLifetimeSeconds, encryption,
    }).init();
    const demoApiKey = parts.control && parts.engine && config.demoTenant ? await ensureDemoTenant(db) : undefined;
    let controlUrl: string | undefined;
    let engineUrl: string | undefined;
    if (parts.control) {
      machines = createMachineRegistry({
        config, pool: db.pool, databaseUrl: db.url, log, routes: opts.routes ?? routes,
        audit: new AuditLog(db.pool, log.child({ component: 'audit' })),
      });
      const app = await buildControlApp({ config, pool: db.pool, tokens, log: log.child({ component: 'control' }), machines, routes });
      control = app;
      await app.listen({ host: config.host, port: config.controlPort });
      machines.startHealthLoop();
      const addr = app.server.address();
      controlUrl = urlOf(config.host, typeof addr === 'object' && addr !== null ? addr.port : config.controlPort);
    }
    if (parts.engine) {
      engine = await startEngine({ config, pool: db.pool, tokens, log });
      engineUrl = urlOf(config.host, engine.port);
      // The demo tenant is served by this engine: demo.<domain>:<edge port> reaches it.
      if (parts.control && config.demoTenant && routes !== undefined) {
        await routes.upsert(DEMO_SLUG, `${hostOf(config.host)}:${engine.port}`, null);
      }
    }
    let edgeUrl: string | undefined;
    if (parts.edge === true && routes !== undefined) {
      edge = await startEdgeProxy({ routes, domain: config.driftwatchDomain, host: config.host, port: config.edgePort, log, metricsToken: config.metricsToken, maxBodyBytes: config.maxBodyBytes });
      edgeUrl = `http://${DEMO_SLUG}.${config.driftwatchDomain}:${edge.port}`;
    }
    let closing: Promise<void> | undefined;
    return {
      db, controlUrl, engineUrl, edgeUrl, edge, routes, demoApiKey, machines,
      close() {
        closing ??= (async () => {
          // Each step runs even if an earlier one failed; the first error is reported.
          let first: unknown;
          edge?.stopAccepting();
          for (const step of [() => engine?.close(), () => edge?.close(), () => control?.close(), () => machines?.close(), () => routes?.close(), () => db.close()]) {
            try { await step(); } catch (err) { first ??= err; }
          }
          // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows the first step's error, unchanged
          if (first !== undefined) throw first;
        })();
        return closing;
      },
    };
  } catch (err) {
    await edge?.close().catch(() => {});
    await engine?.close().catch(() => {});
    await control?.close().catch(() => {});
    await machines?.close().catch(() => {});
    await routes?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}
