// OpenAPI at /docs: the document lists every route of the app (read from fastify's own route
// tree, so that a new route without documentation fails here), each with a summary, tags,
// responses and the right security; /docs serves the HTML page.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/core/paths.js';
import { call, startHarness, type Harness } from './harness.js';

let h: Harness;
let doc: any;
beforeAll(async () => {
  h = await startHarness();
  doc = (await call(h.app, 'GET', '/docs/json')).body;
});
afterAll(async () => { await h?.close(); });

/** Every (method, path) of the app from printRoutes()'s tree, HEAD left out. */
function appRoutes(tree: string): { method: string; path: string }[] {
  const out: { method: string; path: string }[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?) \(([A-Z, ]+)\)$/.exec(line) ?? /^([│ ]*)[├└]── (.*)$/.exec(line);
    if (m === null) continue;
    const depth = m[1].length / 4;
    while (stack.length > 0 && stack[stack.length - 1].depth >= depth) stack.pop();
    const parent = stack.length > 0 ? stack[stack.length - 1].path : '';
    const path = (parent + m[2]).replace(/\/\/+/g, '/');
    stack.push({ depth, path });
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '' && s !== 'HEAD')) {
      out.push({ method, path });
    }
  }
  return out;
}

const toOpenApiPath = (p: string): string => p.replace(/:(\w+)/g, '{$1}');

describe('GET /docs/json', () => {
  it('is an OpenAPI 3 document with the package info and a bearer security scheme', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info).toMatchObject({ title: pkg.name, version: pkg.version, description: pkg.description });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    // Every $ref points at something the document has.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    for (const r of refs) {
      const name = r.slice('"$ref":"#/components/schemas/'.length, -1);
      expect(doc.components.schemas?.[name], r).toBeDefined();
    }
  });

  it("lists every route of the app, and only the app's routes", () => {
    // The dashboard's files (@fastify/static: /, /index.html[.br|.gz], /assets/<bundle>) are a page, not API routes.
    const routes = appRoutes(h.app.printRoutes({ commonPrefix: false }))
      .filter((r) => !r.path.startsWith('/docs') && !r.path.startsWith('/assets/') && r.path !== '/' && !r.path.startsWith('/index.html'));
    expect(routes.length).toBeGreaterThanOrEqual(20);
    for (const r of routes) {
      expect(doc.paths[toOpenApiPath(r.path)]?.[r.method.toLowerCase()], `${r.method} ${r.path}`).toBeDefined();
    }
    // The engine's paths name the engine as their server (checked below); the rest are this app's.
    const documented = Object.entries<any>(doc.paths).filter(([, item]) => item.servers === undefined)
      .flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented.sort()).toEqual(routes.map((r) => `${r.method} ${toOpenApiPath(r.path)}`).sort());
    for (const p of ['/docs', '/docs/json', '/docs/']) expect(doc.paths[p]).toBeUndefined();
    // Spot checks of routes the issue names.
    for (const [m, p] of [['post', '/api/v1/auth/login'], ['get', '/api/v1/anomalies/{id}'], ['put', '/api/v1/anomalies/{id}/resolve'], ['get', '/api/v1/audit'], ['get', '/.well-known/jwks.json']]) {
      expect(doc.paths[p]?.[m], `${m} ${p}`).toBeDefined();
    }
  });

  it('documents each operation: summary, a declared tag, a success response, the error shape, path parameters', () => {
    const tags = new Set(doc.tags.map((t: { name: string }) => t.name));
    for (const [path, ops] of Object.entries<any>(doc.paths)) {
      for (const [method, op] of Object.entries<any>(ops)) {
        if (method === 'servers') continue;
        const what = `${method.toUpperCase()} ${path}`;
        expect(op.summary, what).toEqual(expect.any(String));
        expect(op.tags?.length, what).toBeGreaterThan(0);
        for (const t of op.tags) expect(tags.has(t), `${what}: tag ${t}`).toBe(true);
        // A WebSocket upgrade succeeds with 101.
        expect(Object.keys(op.responses).some((c) => /^2\d\d$/.test(c) || (c === '101' && path === '/api/v1/stream')), what).toBe(true);
        for (const [code, r] of Object.entries<any>(op.responses)) expect(r.description, `${what} ${code}`).not.toBe('Default Response');
        expect(op.responses.default.content['application/json'].schema.properties.error.properties.code.enum, what).toContain('DW_ERR_RATE_LIMITED');
        for (const name of path.match(/\{(\w+)\}/g) ?? []) {
          expect(op.parameters?.some((p: any) => p.in === 'path' && `{${p.name}}` === name), `${what}: ${name}`).toBe(true);
        }
      }
    }
  });

  it('marks routes that need a credential with the bearer scheme, and public ones with none', () => {
    for (const [m, p] of [['get', '/api/v1/anomalies'], ['post', '/api/v1/api-keys'], ['get', '/api/v1/user'], ['post', '/api/v1/auth/logout'], ['get', '/api/v1/audit']]) {
      expect(doc.paths[p][m].security, `${m} ${p}`).toEqual([{ bearerAuth: [] }]);
    }
    for (const [m, p] of [['post', '/api/v1/auth/login'], ['post', '/api/v1/auth/register'], ['post', '/api/v1/auth/refresh'], ['get', '/health'], ['get', '/.well-known/jwks.json']]) {
      expect(doc.paths[p][m].security, `${m} ${p}`).toEqual([]);
    }
  });

  it('carries the request schemas: login body, list query parameters', () => {
    const login = doc.paths['/api/v1/auth/login'].post;
    expect(login.requestBody.content['application/json'].schema).toMatchObject({ required: ['email', 'password'] });
    const q = doc.paths['/api/v1/audit'].get.parameters.filter((p: any) => p.in === 'query').map((p: any) => p.name);
    expect(q).toEqual(expect.arrayContaining(['limit', 'offset', 'action']));
  });
});

describe('operationIds, servers and the engine\'s endpoints', () => {
  const operations = (): { what: string; op: any }[] => Object.entries<any>(doc.paths).flatMap(([path, item]) =>
    Object.entries<any>(item).filter(([m]) => m !== 'servers').map(([m, op]) => ({ what: `${m.toUpperCase()} ${path}`, op })));

  it('every operation has an operationId, and no two share one', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(20);
    for (const { what, op } of ops) expect(op.operationId, what).toMatch(/^[a-z][A-Za-z0-9]*$/);
    const ids = ops.map((o) => o.op.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/api/v1/anomalies/{id}'].get.operationId).toBe('getApiV1AnomaliesById');
  });

  it('servers names the control API and the engine', () => {
    expect(doc.servers).toEqual([
      { url: '/', description: expect.stringMatching(/^control API/) },
      { url: expect.stringMatching(/^https?:\/\/[^/]+:\d+$/), description: expect.stringMatching(/^engine/) },
    ]);
  });

  it('describes the engine\'s endpoints, each served by the engine: native ingest, WebSocket, OTLP logs, metrics and traces', () => {
    const engine = doc.servers[1];
    const want = [['post', '/api/v1/events/ingest', 'ingestEvents'], ['get', '/api/v1/stream', 'streamEvents'],
      ['post', '/v1/logs', 'otlpExportLogs'], ['post', '/v1/metrics', 'otlpExportMetrics'], ['post', '/v1/traces', 'otlpExportTrace']];
    for (const [m, p, id] of want) {
      expect(doc.paths[p].servers, p).toEqual([engine]);
      expect(doc.paths[p][m], `${m} ${p}`).toMatchObject({ operationId: id, tags: ['ingest'], security: [{ bearerAuth: [] }] });
    }
    expect(doc.paths['/v1/metrics'].post.requestBody.content).toHaveProperty(['application/x-protobuf']);
    expect(doc.paths['/v1/metrics'].post.responses['200'].content['application/json'].schema.properties.partialSuccess.properties).toHaveProperty('rejectedDataPoints');
  });
});

describe('GET /docs', () => {
  it('serves the HTML page', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/docs' });
    const page = res.statusCode === 302 ? await h.app.inject({ method: 'GET', url: String(res.headers.location) }) : res;
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).toContain('swagger');
  });

  it('serves the document as YAML too', async () => {
    const res = await h.app.inject({ method: 'GET', url: '/docs/yaml' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('openapi: 3.');
  });
});
