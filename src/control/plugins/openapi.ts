// OpenAPI 3.1 for the control API, built from the route schemas: @fastify/swagger collects every
// route registered after it, @fastify/swagger-ui serves the document at /docs/json (and
// /docs/yaml) and a browsable page at /docs. Routes guarded by authenticate() (a hook of that
// name) are marked as needing the bearer credential; every route documents the error shape.
// The engine's endpoints (openapi-engine.ts) are added with `servers` naming the engine, and
// every operation gets an operationId (its own, else one made from its method and path).
//
//   routes (onRoute) ─▶ @fastify/swagger ─▶ documentRoute (security, error responses)
//     ─▶ withEngine (servers, the engine's paths, operationIds) ─▶ /docs/json ─▶ /docs (UI)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema, RouteOptions } from 'fastify';
import { errorCodes } from '../../core/errors.js';
import { packageRoot } from '../../core/paths.js';
import { definePlugin } from './define.js';
import { ENGINE_OPERATIONS, ENGINE_TAG, PUSH_API_OPERATIONS, PUSH_API_TAG, type EnginePaths } from './openapi-engine.js';

export const DOCS_PREFIX = '/docs';
export const BEARER = 'bearerAuth';

const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string; description?: string; license?: string };

const errorResponse = {
  description: 'An error with a stable code (docs/errors.md)',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string', enum: Object.keys(errorCodes) },
        message: { type: 'string' },
        details: { type: 'object', additionalProperties: true },
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

const TAGS = Object.freeze([
  { name: 'auth', description: 'Accounts, sessions and token keys' },
  { name: 'user', description: 'The signed-in user' },
  { name: 'api-keys', description: 'API keys for agents' },
  { name: 'anomalies', description: "The tenant's anomalies" },
  { name: 'streams', description: 'Per-stream detection profiles and thresholds' },
  { name: 'events', description: "The tenant's stored events" },
  { name: 'dashboard', description: 'Totals and latest anomalies' },
  { name: 'alerts', description: 'Alert channels (webhook, Slack, email), rules, test sends and the delivery log' },
  { name: 'audit', description: 'Who did what in the tenant' },
  { name: 'vm', description: "The tenant's engine VM and the machine registry" },
  { name: 'billing', description: 'Plans, Stripe Checkout and portal, subscription, usage; the Stripe webhook' },
  { name: 'usage', description: "The tenant's usage this month and its plan's limit" },
  { name: 'routing', description: 'Where each tenant\'s engine is (edge workers, owners)' },
  { name: 'health', description: 'Liveness and readiness' },
]);

const SUCCESS: Readonly<Record<string, string>> = Object.freeze({ 200: 'OK', 201: 'Created', 204: 'No content' });

/** A response description where the schema has none (the document would say "Default Response"). */
const described = (response: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(
  Object.entries(response).map(([code, s]) => {
    const schema = s as { description?: string };
    return [code, schema.description === undefined && SUCCESS[code] !== undefined ? { ...schema, description: SUCCESS[code] } : s];
  }));

const hooksOf = (route: RouteOptions): readonly { name: string }[] => {
  const h = route.onRequest;
  return h === undefined ? [] : Array.isArray(h) ? h : [h];
};

/** Adds what the document needs and the route schema does not say: the credential and the error shape. */
function documentRoute({ schema, url, route }: { schema: FastifySchema | undefined; url: string; route: RouteOptions }): { schema: FastifySchema; url: string } {
  if (schema === undefined || schema.hide === true) return { schema: schema ?? { hide: true }, url };
  const guarded = hooksOf(route).some((h) => h.name === 'authenticate');
  const response = (schema.response ?? {}) as Record<string, unknown>;
  return {
    url,
    schema: {
      ...schema,
      ...(schema.security === undefined ? { security: guarded ? [{ [BEARER]: [] }] : [] } : {}),
      response: { ...described(response), default: errorResponse },
    },
  };
}

export interface OpenApiOptions {
  /** The engine's base URL as clients reach it (DRIFTWATCH_ENGINE_URL, else http://localhost:<ENGINE_PORT>). */
  readonly engineUrl: string;
}

/** An operationId from the method and path: `GET /api/v1/anomalies/{id}` ─▶ `getApiV1AnomaliesById`. */
export function operationIdOf(method: string, path: string): string {
  const words = path.split('/').filter((p) => p !== '').map((p) => {
    const param = /^\{(\w+)\}$/.exec(p);
    const w = param === null ? p : `by-${param[1]}`;
    return w.split(/[^A-Za-z0-9]+/).filter((x) => x !== '').map((x) => x[0].toUpperCase() + x.slice(1)).join('');
  });
  return method.toLowerCase() + (words.length === 0 ? 'Root' : words.join(''));
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

type PathItem = Record<string, unknown>;
interface Doc { paths?: Record<string, PathItem>; tags?: unknown[]; [k: string]: unknown }

/** Adds the servers, the engine's paths (each naming the engine as its server) and missing operationIds. */
function withEngine(doc: Doc, engineUrl: string): Doc {
  const engine = { url: engineUrl, description: 'engine: ingest (ENGINE_PORT)' };
  const paths: Record<string, PathItem> = { ...doc.paths };
  const add = (ops: EnginePaths): void => {
    for (const [path, byMethod] of Object.entries(ops)) {
      const item: PathItem = { servers: [engine] };
      for (const [m, op] of Object.entries(byMethod)) {
        // The error shape as @fastify/swagger writes a route's `default` response.
        const errors = { description: errorResponse.description, content: { 'application/json': { schema: errorResponse } } };
        item[m] = { ...op, security: [{ [BEARER]: [] }], responses: { ...op.responses, default: errors } };
      }
      paths[path] = item;
    }
  };
  add(ENGINE_OPERATIONS);
  add(PUSH_API_OPERATIONS);
  for (const [path, item] of Object.entries(paths)) {
    for (const [m, op] of Object.entries(item)) {
      const o = op as { operationId?: string };
      if (METHODS.has(m) && o.operationId === undefined) o.operationId = operationIdOf(m, path);
    }
  }
  return {
    ...doc,
    servers: [{ url: '/', description: 'control API: accounts, keys, anomalies, streams, billing (PORT; this server)' }, engine],
    tags: [...(doc.tags ?? []), ENGINE_TAG, ...(Object.keys(PUSH_API_OPERATIONS).length > 0 ? [PUSH_API_TAG] : [])],
    paths,
  };
}

export const openapiPlugin = definePlugin(async function openapi(app: FastifyInstance, opts: OpenApiOptions): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: pkg.name,
        version: pkg.version,
        ...(pkg.description === undefined ? {} : { description: pkg.description }),
        ...(pkg.license === undefined ? {} : { license: { name: pkg.license, identifier: pkg.license } }),
      },
      tags: [...TAGS],
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description: 'An access token (JWT from /api/v1/auth/login) or an API key (`dw_...`) where the route takes one',
          },
        },
      },
    },
    transform: documentRoute,
    transformObject: (d) => withEngine(('openapiObject' in d ? d.openapiObject : {}) as Doc, opts.engineUrl) as never,
  });
  await app.register(fastifySwaggerUi, { routePrefix: DOCS_PREFIX });
}, { name: 'driftwatch-openapi', global: true, dependencies: ['driftwatch-errors'] });
