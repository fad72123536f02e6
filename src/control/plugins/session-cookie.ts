// Cookie mode of the auth routes, for the dashboard: the refresh token lives in an HttpOnly
// cookie that no script can read, and the page keeps only the short-lived access token in memory.
//
//   POST /auth/register | /auth/login   X-DW-Session: cookie ─▶ (route) ─▶ onSend: refresh_token moved
//                                                                        from the body into Set-Cookie
//   POST /auth/refresh                  X-DW-Session: cookie, body {} ─▶ preValidation: the body's
//                                       refresh_token taken from the cookie ─▶ (route: rotates) ─▶ onSend: new cookie
//   POST /auth/logout                   X-DW-Session: cookie ─▶ (route) ─▶ the cookie cleared
//
// The cookie: dw_refresh, HttpOnly, SameSite=Strict, Path=/api/v1/auth, Max-Age = the refresh
// token's lifetime, Secure when the request came over TLS (req.protocol, which honours
// X-Forwarded-Proto from the proxies TRUST_PROXY names). CSRF: the refresh route in cookie mode
// needs the X-DW-Session header, which a cross-site form cannot send and a cross-site script
// cannot send without a CORS preflight this server never grants; SameSite=Strict keeps the
// cookie off cross-site requests anyway, and a request whose Origin is another site is refused.
// A refresh token is single use: open tabs must share one refresh (the page does, web/src/api.ts).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DwError } from '../../core/errors.js';
import { definePlugin } from './define.js';

export const SESSION_HEADER = 'x-dw-session';
export const REFRESH_COOKIE = 'dw_refresh';
const COOKIE_PATH = '/api/v1/auth';
const AUTH_ROUTES = new Set(['/api/v1/auth/register', '/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/logout']);

/** The value of one cookie of a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

const cookieMode = (req: FastifyRequest): boolean => req.headers[SESSION_HEADER] === 'cookie' && AUTH_ROUTES.has(req.routeOptions.url ?? '');

/** Set-Cookie for the refresh token (or its removal when value is undefined). */
function refreshCookie(req: FastifyRequest, value: string | undefined, maxAgeSeconds: number): string {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  return value === undefined
    ? `${REFRESH_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Strict${secure}`
    : `${REFRESH_COOKIE}=${encodeURIComponent(value)}; Path=${COOKIE_PATH}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Strict${secure}`;
}

/** A browser request from another site (its Origin is not this server's). Same-origin fetches send this server's origin or none. */
function crossSite(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === 'null';
  try {
    return new URL(origin).host !== req.host;
  } catch {
    return true;
  }
}

export const sessionCookiePlugin = definePlugin(async function sessionCookie(app: FastifyInstance): Promise<void> {
  const ttl = app.config.refreshTokenTtlSeconds;

  app.addHook('preValidation', async function cookieRefresh(req: FastifyRequest) {
    if (!cookieMode(req)) return;
    if (crossSite(req)) throw new DwError('DW_ERR_FORBIDDEN', 'cookie-mode auth requests must come from this site');
    if (req.routeOptions.url !== '/api/v1/auth/refresh') return;
    const token = cookieValue(req.headers.cookie, REFRESH_COOKIE);
    if (token === undefined || token === '') throw new DwError('DW_ERR_REFRESH_TOKEN_INVALID', `no ${REFRESH_COOKIE} cookie`);
    req.body = { refresh_token: token };
  });

  app.addHook('onSend', async function cookieOut(req: FastifyRequest, reply: FastifyReply, payload: unknown) {
    if (!cookieMode(req)) return payload;
    const url = req.routeOptions.url;
    if (url === '/api/v1/auth/logout') {
      if (reply.statusCode < 300) reply.header('set-cookie', refreshCookie(req, undefined, 0));
      return payload;
    }
    if (reply.statusCode >= 300) {
      // A refused refresh (used, expired or revoked token): the cookie is of no further use.
      if (url === '/api/v1/auth/refresh' && reply.statusCode === 401) reply.header('set-cookie', refreshCookie(req, undefined, 0));
      return payload;
    }
    if (typeof payload !== 'string') return payload;
    const body = JSON.parse(payload) as { refresh_token?: string };
    if (typeof body.refresh_token !== 'string') return payload;
    reply.header('set-cookie', refreshCookie(req, body.refresh_token, ttl));
    reply.header('cache-control', 'no-store');
    delete body.refresh_token;
    return JSON.stringify(body);
  });
}, { name: 'driftwatch-session-cookie', global: true, dependencies: ['driftwatch-context'], decorators: { fastify: ['config'] } });
