// Builds the configured provider (VM_PROVIDER) and the registry around it.
import type pg from 'pg';
import type { AuditLog } from '../../core/audit.js';
import type { Config } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import { FlyProvider } from './fly.js';
import { LocalProvider } from './local.js';
import type { MachineProvider } from './provider.js';
import { MachineRegistry, type RouteSink } from './registry.js';

export function createProvider(config: Readonly<Config>, databaseUrl: string, log: Logger): MachineProvider {
  if (config.vmProvider === 'fly') {
    return new FlyProvider({
      baseUrl: config.flyApiBase, token: config.flyApiToken!, app: config.flyAppName!, image: config.flyImage!,
      regions: config.flyRegions.split(',').map((r) => r.trim()),
      env: { DATABASE_URL: databaseUrl, JWT_ISSUER: config.jwtIssuer, JWT_AUDIENCE: config.jwtAudience, DEMO_TENANT: 'false' },
      log,
    });
  }
  return new LocalProvider({ config, databaseUrl, log });
}

export interface CreateRegistryOptions {
  config: Readonly<Config>;
  pool: pg.Pool;
  /** The database URL the tenant engines use (the control API's, embedded or not). */
  databaseUrl: string;
  log: Logger;
  audit?: AuditLog;
  routes?: RouteSink;
  provider?: MachineProvider;
}

export function createMachineRegistry(o: CreateRegistryOptions): MachineRegistry {
  const c = o.config;
  return new MachineRegistry({
    pool: o.pool, log: o.log, audit: o.audit, routes: o.routes,
    provider: o.provider ?? createProvider(c, o.databaseUrl, o.log),
    healthIntervalMs: c.vmHealthIntervalMs, startTimeoutMs: c.vmStartTimeoutMs,
    backoffMs: c.vmRecoveryBackoffMs, backoffMaxMs: c.vmRecoveryBackoffMaxMs,
  });
}
