// The dashboard's files (web/, bundled by scripts/build-web.mjs into dist/web at `npm run build`):
//
//   GET /                 index.html   Cache-Control: no-cache (it names the hashed bundles)
//   GET /assets/app.<hash>.js|css      Cache-Control: public, max-age=31536000, immutable
//   GET /app-config.json  the engine's URL for the onboarding snippets
//
// Served by @fastify/static with the precompressed .br / .gz copies the build writes. Every
// answer of this plugin carries a strict Content-Security-Policy: scripts and styles only from
// this origin (no inline script or style element), fetches only to this origin, no framing.
// Without dist/web (the build was skipped) GET / answers 404 with a hint.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { distDir } from '../../core/paths.js';
import { definePlugin } from './define.js';

export const WEB_DIR = join(distDir, 'web');
export const DASHBOARD_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "manifest-src 'self'", "base-uri 'none'", "form-action 'self'", "frame-ancestors 'none'",
].join('; ');

const secure = (reply: { setHeader?: (k: string, v: string) => void; header?: (k: string, v: string) => unknown }): void => {
  const set = (k: string, v: string): void => { if (reply.setHeader) reply.setHeader(k, v); else reply.header?.(k, v); };
  set('content-security-policy', DASHBOARD_CSP);
  set('x-content-type-options', 'nosniff');
  set('referrer-policy', 'no-referrer');
  set('cross-origin-opener-policy', 'same-origin');
};

export const webPlugin = definePlugin(async function web(app: FastifyInstance, opts: { dir?: string }): Promise<void> {
  const dir = opts.dir ?? WEB_DIR;
  const config = app.config;

  app.get('/app-config.json', {
    schema: {
      summary: "The dashboard's settings: the engine's URL for the onboarding snippets",
      tags: ['dashboard'],
      response: { 200: { type: 'object', properties: { engine_url: { type: 'string' } }, required: ['engine_url'] } },
    },
  }, async function appConfig(req, reply: FastifyReply) {
    secure(reply);
    reply.header('cache-control', 'no-cache');
    const host = req.hostname.replace(/:\d+$/, '');
    return { engine_url: config.engineUrl ?? `${req.protocol}://${host}:${config.enginePort}` };
  });

  if (!existsSync(join(dir, 'index.html'))) {
    app.get('/', {
      schema: { summary: 'The dashboard page (here: not built)', tags: ['dashboard'], response: { 404: { type: 'object', additionalProperties: true }, 200: { type: 'string' } } },
    }, async function noDashboard(_req, reply) {
      return reply.code(404).send({ error: { code: 'DW_ERR_NOT_FOUND', message: 'Not found: the dashboard is not built (npm run build)' } });
    });
    return;
  }
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    preCompressed: true,
    index: ['index.html'],
    cacheControl: false,
    setHeaders(res, path) {
      secure(res);
      res.header('cache-control', path.includes(`${join('web', 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
}, { name: 'driftwatch-web', dependencies: ['driftwatch-context'], decorators: { fastify: ['config'] } });
