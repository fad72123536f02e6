// The control API: one Fastify instance, one plugin per concern, each stating what it needs.
//
//   errors (global: error + not-found handlers, x-request-id)
//   openapi (global: collects the routes below)  GET /docs, /docs/json
//     └─ context (global: pool, tokens, resolver, config, sessions, req.principal)
//          ├─ audit (global: app.audit, the audit-log writer)
//          ├─ rate-limit (global: app.rateLimits, the counter store: Redis or memory)
//          ├─ billing-context (global: app.billing, the Stripe client; usage reporter and grace ticker)
//          ├─ usage-store (global: app.usage, usage counters: Redis or the usage_counters table)
//          ├─ routing-table (global: app.routes, the routing table: memory + Redis + PostgreSQL)
//          ├─ live (global: app.live, LISTEN dw_anomalies; the live feed's fan-out)
//          ├─ alerts-context (global: app.alerts, the alert dispatcher: incidents, deliveries, system alerts)
//          ├─ health      GET /health, GET /ready;  metrics  GET /metrics (Prometheus, METRICS_TOKEN)
//          ├─ web         GET / (the dashboard: dist/web, built from web/), /assets/*, /app-config.json
//          ├─ jwks        GET /.well-known/jwks.json
//          └─ /api/v1 ─┬─ session-cookie  (hooks) cookie mode of the auth routes: refresh token in an HttpOnly cookie
//                      ├─ auth        register, login, refresh, logout (rate-limited, audited)
//                      ├─ users       GET/PUT /user
//                      ├─ api-keys    POST/GET /api-keys, DELETE /api-keys/:id
//                      ├─ anomalies   list, get, delete, resolve
//                      ├─ streams     POST /anomalies/:id/feedback, GET/PUT /streams/:stream/settings
//                      ├─ stream-pages GET /streams, /streams/:stream/series, DELETE /streams/:stream, mutes
//                      ├─ events      list
//                      ├─ dashboard   stats, recent
//                      ├─ live-routes GET /live (Server-Sent Events: anomalies as they are stored)
//                      ├─ alerts      /alerts/channels, /alerts/rules, /alerts/deliveries (owner/admin)
//                      ├─ audit       GET /audit (owner/admin)
//                      ├─ vm          POST /vm/start, GET /vm/status, DELETE /vm/stop, GET /machines[/:id]
//                      ├─ billing     plans, checkout, portal, subscription, usage
//                      ├─ webhooks    POST /webhooks/stripe (raw body, signature)
//                      ├─ usage       GET /usage (this month's usage and the plan's limit)
//                      ├─ limits      GET /limits (the tenant's ingest limits and their sources)
//                      └─ routing     GET /routing/:subdomain (edge workers), GET /routing (owner/admin)
//
// buildControlApp() returns the app booted (plugins loaded, routes fixed) but not listening.
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import type { TokenService } from '../core/auth/jwt.js';
import { parseTrustProxy, type Config } from '../core/config.js';
import { DwError, errorBody } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { anomaliesPlugin } from './plugins/anomalies.js';
import { incidentsPlugin } from './plugins/incidents.js';
import { apiKeysPlugin } from './plugins/api-keys.js';
import { auditPlugin, auditRoutesPlugin } from './plugins/audit.js';
import { authPlugin } from './plugins/auth.js';
import { billingContextPlugin, billingPlugin } from './plugins/billing.js';
import { contextPlugin } from './plugins/context.js';
import { dashboardPlugin } from './plugins/dashboard.js';
import { clientErrorHandler, controlError, errorsPlugin } from './plugins/errors.js';
import { livePlugin, liveRoutesPlugin } from './plugins/live.js';
import { alertsContextPlugin, alertsPlugin } from './plugins/alerts.js';
import { webPlugin } from './plugins/web.js';
import { eventsPlugin } from './plugins/events.js';
import { healthPlugin } from './plugins/health.js';
import { metricsPlugin } from './plugins/metrics.js';
import { jwksPlugin } from './plugins/jwks.js';
import { limitsPlugin } from './plugins/limits.js';
import { openapiPlugin } from './plugins/openapi.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { routingRoutesPlugin, routingTablePlugin } from './plugins/routing.js';
import { RoutingTable } from '../core/routing/table.js';
import { streamsPlugin } from './plugins/streams.js';
import { streamPagesPlugin } from './plugins/stream-pages.js';
import { sessionCookiePlugin } from './plugins/session-cookie.js';
import { usageRoutesPlugin, usageStorePlugin } from './plugins/usage.js';
import { usersPlugin } from './plugins/users.js';
import { vmPlugin } from './plugins/vm.js';
import { AuditLog } from '../core/audit.js';
import { createMachineRegistry } from './machines/create.js';
import type { MachineRegistry } from './machines/registry.js';
import { webhooksPlugin } from './plugins/webhooks.js';

/** Control-API bodies are small JSON documents; the engine has its own, larger limit. */
export const CONTROL_BODY_LIMIT = 64 * 1024;

/** A hop count as the function Fastify builds from one (its typings take no number). */
const fastifyTrustProxy = (t: boolean | number | string[]): boolean | string[] | ((addr: string, hop: number) => boolean) =>
  typeof t === 'number' ? (_addr: string, hop: number) => hop < t : t;

/** Errors raised before routing (FST_ERR_BAD_URL, an invalid media type), in our format. */
function frameworkErrors(err: Error, _req: unknown, reply: unknown): void {
  const dw = controlError(err) ?? new DwError('DW_ERR_VALIDATION', err.message);
  void (reply as { code(n: number): { send(b: unknown): unknown } }).code(dw.statusCode).send(errorBody(dw));
}

/** What buildControlApp needs. */
interface ControlAppOptions {
  config: Readonly<Config>; pool: pg.Pool; tokens: TokenService; log: Logger;
  /** The machine registry (system.ts builds it and runs its health loop); default: one for this app, closed with it. */
  machines?: MachineRegistry;
  /** A routing table shared with the edge proxy (src/system.ts); unset: the app opens its own. */
  routes?: RoutingTable;
}

export async function buildControlApp(opts: ControlAppOptions): Promise<FastifyInstance> {
  const app = createFastify(opts);
  // The routing table before the registry: the registry writes each running engine's route.
  const routes = opts.routes ?? await ownRoutingTable(app, opts);
  const machines = opts.machines ?? ownMachines(app, opts, routes);
  await registerPlugins(app, opts, machines, routes);
  await app.ready();
  return app;
}

/** The Fastify instance with the control API's server options (nothing registered yet). */
function createFastify(opts: ControlAppOptions): FastifyInstance {
  return Fastify({
    loggerInstance: opts.log,
    bodyLimit: CONTROL_BODY_LIMIT,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
    // A stream name may be 256 characters, percent-encoded up to three times as long in a path (500 is our schema limit).
    routerOptions: { maxParamLength: 2_048 },
    frameworkErrors,
    clientErrorHandler,
    // Behind the edge proxy the client is in X-Forwarded-For: req.ip (rate limits, audit rows)
    // takes it from there only for the proxies TRUST_PROXY names.
    trustProxy: fastifyTrustProxy(parseTrustProxy(opts.config.trustProxy)),
    // Bodies declare additionalProperties: false: refuse unknown fields rather than drop them.
    // No type coercion: a JSON `5` is not a name. List routes turn their numeric query
    // parameters into numbers themselves (coerceQueryNumbers in plugins/schemas.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  }) as unknown as FastifyInstance;
}

/** The app's own routing table (none was given), closed with it. */
async function ownRoutingTable(app: FastifyInstance, opts: ControlAppOptions): Promise<RoutingTable> {
  const c = opts.config;
  const own = await RoutingTable.fromConfig(c, opts.pool, opts.log.child({ component: 'routing' }));
  // Added before the registry's hook; fastify runs onClose hooks last-added first, so the
  // registry (which removes its engines' routes) closes before the table.
  app.addHook('onClose', async () => { await own.close(); });
  return own;
}

/** The app's own machine registry (none was given), closed with it. */
function ownMachines(app: FastifyInstance, opts: ControlAppOptions, routes: RoutingTable): MachineRegistry {
  const databaseUrl = (opts.pool as unknown as { options: { connectionString?: string } }).options.connectionString ?? '';
  const own = createMachineRegistry({
    config: opts.config, pool: opts.pool, databaseUrl, log: opts.log, audit: new AuditLog(opts.pool, opts.log.child({ component: 'audit' })), routes,
  });
  app.addHook('onClose', async () => { await own.close(); });
  return own;
}

/** Every plugin, in the order of the tree above. */
async function registerPlugins(app: FastifyInstance, opts: ControlAppOptions, machines: MachineRegistry, routes: RoutingTable): Promise<void> {
  await app.register(errorsPlugin, {});
  await app.register(securityHeadersPlugin, {});
  // Before any route: it documents the routes registered after it.
  await app.register(openapiPlugin, { engineUrl: opts.config.engineUrl ?? `http://localhost:${opts.config.enginePort}` });
  await app.register(contextPlugin, { config: opts.config, pool: opts.pool, tokens: opts.tokens });
  await app.register(auditPlugin, {});
  await app.register(rateLimitPlugin, {});
  await app.register(billingContextPlugin, {});
  await app.register(usageStorePlugin, {});
  await app.register(routingTablePlugin, { table: routes });
  await app.register(livePlugin, {});
  await app.register(alertsContextPlugin, {});
  await app.register(healthPlugin, {});
  await app.register(metricsPlugin, {});
  await app.register(webPlugin, {});
  await app.register(jwksPlugin, {});
  await app.register(async function apiV1(api: FastifyInstance) {
    await api.register(sessionCookiePlugin, {});
    await api.register(authPlugin, {});
    await api.register(usersPlugin, {});
    await api.register(apiKeysPlugin, {});
    await api.register(anomaliesPlugin, {});
    await api.register(incidentsPlugin, {});
    await api.register(streamsPlugin, {});
    await api.register(streamPagesPlugin, {});
    await api.register(eventsPlugin, {});
    await api.register(dashboardPlugin, {});
    await api.register(liveRoutesPlugin, {});
    await api.register(alertsPlugin, {});
    await api.register(auditRoutesPlugin, {});
    await api.register(vmPlugin, { registry: machines });
    await api.register(billingPlugin, {});
    await api.register(webhooksPlugin, {});
    await api.register(usageRoutesPlugin, {});
    await api.register(limitsPlugin, {});
    await api.register(routingRoutesPlugin, {});
  }, { prefix: '/api/v1' });
}
