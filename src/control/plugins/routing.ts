// Routing in the control API. `routingTablePlugin` puts the routing table on the instance
// (`app.routes`, the RouteSink the machine registry writes to; opened here from the config, or
// handed in by src/system.ts so that the edge proxy shares it). `routingRoutesPlugin` serves
// lookups:
//
//   edge worker ─ GET /api/v1/routing/:subdomain, Authorization: Bearer <ROUTING_SERVICE_TOKEN>
//        ─▶ serviceToken (constant-time) ─▶ app.routes.get() (memory ─▶ Redis ─▶ PostgreSQL)
//        ─┬─ 200 {subdomain, address, version, ttl}  Cache-Control: max-age=ttl, ETag "r<version>"
//         ├─ 304 when If-None-Match names the current version
//         └─ 404 DW_ERR_ROUTE_NOT_FOUND               Cache-Control: max-age=<negative ttl>
//   owner/admin ─ GET /api/v1/routing (JWT) ─▶ their own tenant's route
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerToken } from '../../core/auth/principal.js';
import { DwError } from '../../core/errors.js';
import { SUBDOMAIN_RE } from '../../core/routing/cache.js';
import { RoutingTable } from '../../core/routing/table.js';
import { authenticate, principalOf } from './context.js';
import { definePlugin } from './define.js';

declare module 'fastify' {
  interface FastifyInstance {
    routes: RoutingTable;
  }
}

export interface RoutingTableOptions {
  /** A table opened by the caller (shared with the edge proxy); the caller closes it. */
  table?: RoutingTable;
}

export const routingTablePlugin = definePlugin(async function routingTable(app: FastifyInstance, opts: RoutingTableOptions): Promise<void> {
  let table = opts.table;
  if (table === undefined) {
    const c = app.config;
    const own = await RoutingTable.fromConfig(c, app.pool, app.log.child({ component: 'routing' }));
    table = own;
    app.addHook('onClose', async function closeRoutingTable() {
      await own.close();
    });
  }
  app.decorate('routes', table);
}, { name: 'driftwatch-routing-table', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['config', 'pool'] } });

const sha256 = (s: string): Buffer => createHash('sha256').update(s).digest();

/**
 * An onRequest hook for edge workers: the bearer token must equal `token`, compared in
 * constant time (both sides hashed first, so that their lengths do not matter either).
 * With no token configured every call is refused with DW_ERR_ROUTING_DISABLED.
 */
export const serviceToken = (token: string | undefined) => {
  const expected = token === undefined ? undefined : sha256(token);
  return async function serviceToken(req: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.header('cache-control', 'no-store');
    if (expected === undefined) throw new DwError('DW_ERR_ROUTING_DISABLED');
    const given = bearerToken(req.headers.authorization);
    if (given === null || !timingSafeEqual(sha256(given), expected)) {
      throw new DwError('DW_ERR_UNAUTHORIZED', 'this endpoint needs the routing service token');
    }
  };
};

const routeLookupSchema = {
  type: 'object',
  properties: { subdomain: { type: 'string' }, address: { type: 'string' }, version: { type: 'integer' }, ttl: { type: 'integer' } },
  required: ['subdomain', 'address', 'version', 'ttl'],
} as const;

const tenantRouteSchema = {
  type: 'object',
  properties: {
    subdomain: { type: 'string' }, address: { type: 'string' }, version: { type: 'integer' },
    machine_id: { type: ['string', 'null'] }, updated_at: { type: 'string' },
  },
  required: ['subdomain', 'address', 'version', 'machine_id', 'updated_at'],
} as const;

/** A strong ETag of a route version. */
export const routeEtag = (version: number): string => `"r${version}"`;

export const routingRoutesPlugin = definePlugin(async function routing(app: FastifyInstance): Promise<void> {
  const { routes } = app;
  const ttl = app.config.routeTtlSeconds;
  const negativeTtl = app.config.routeNegativeTtlSeconds;

  app.get<{ Params: { subdomain: string } }>('/routing/:subdomain', {
    onRequest: serviceToken(app.config.routingServiceToken),
    schema: {
      summary: 'Where a subdomain is served (edge workers; service token)',
      description: 'Answers the address of the tenant engine for a subdomain, cacheable for `ttl` seconds '
        + '(Cache-Control, ETag); 404 DW_ERR_ROUTE_NOT_FOUND is cacheable for the negative TTL.',
      tags: ['routing'],
      // The service token is a bearer credential too (not a user's or an API key).
      security: [{ bearerAuth: [] }],
      params: {
        type: 'object',
        properties: { subdomain: { type: 'string', maxLength: 63, pattern: SUBDOMAIN_RE.source } },
        required: ['subdomain'],
        additionalProperties: false,
      },
      response: { 200: routeLookupSchema, 304: { description: 'Not modified: the If-None-Match version is current', type: 'null' } },
    },
  }, async function lookupRoute(req, reply) {
    const route = await routes.get(req.params.subdomain);
    if (route === null) {
      reply.header('cache-control', `max-age=${negativeTtl}`);
      throw new DwError('DW_ERR_ROUTE_NOT_FOUND', req.params.subdomain);
    }
    const etag = routeEtag(route.version);
    reply.header('cache-control', `max-age=${ttl}`).header('etag', etag).header('x-route-version', String(route.version));
    const ifNoneMatch = req.headers['if-none-match'];
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      return reply.code(304).send();
    }
    return { subdomain: route.subdomain, address: route.address, version: route.version, ttl };
  });

  app.get('/routing', {
    onRequest: authenticate({ roles: ['owner', 'admin'] }),
    schema: {
      summary: "The caller's tenant's route (owners and admins)",
      tags: ['routing'],
      response: { 200: tenantRouteSchema },
    },
  }, async function tenantRoute(req) {
    const route = await routes.forTenant(principalOf(req).tenantId);
    if (route === null) throw new DwError('DW_ERR_ROUTE_NOT_FOUND', 'your tenant has no route yet (no engine is running for it)');
    return { subdomain: route.subdomain, address: route.address, version: route.version, machine_id: route.machineId, updated_at: route.updatedAt };
  });
}, { name: 'driftwatch-routing', dependencies: ['driftwatch-context', 'driftwatch-routing-table'], decorators: { fastify: ['routes', 'config', 'resolver'], request: ['principal'] } });
