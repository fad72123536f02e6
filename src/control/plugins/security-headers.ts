// Security headers on every control-API answer (issue 12, lows):
//   every answer     X-Content-Type-Options: nosniff, X-Frame-Options: DENY, Referrer-Policy: no-referrer
//   JSON answers     Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
//   HTML pages       Content-Security-Policy: frame-ancestors 'none' (/docs loads its own scripts)
//   behind TLS       Strict-Transport-Security (the request came over https, as TRUST_PROXY lets us see)
//   tokens or keys   Cache-Control: no-store (/auth/*, POST /api-keys)
import type { FastifyInstance } from 'fastify';
import { definePlugin } from './define.js';

const HSTS = 'max-age=31536000; includeSubDomains';

export const securityHeadersPlugin = definePlugin(async function securityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async function setSecurityHeaders(req, reply, payload) {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    const type = String(reply.getHeader('content-type') ?? '');
    reply.header('content-security-policy', type.startsWith('text/html') ? "frame-ancestors 'none'" : "default-src 'none'; frame-ancestors 'none'");
    if (req.protocol === 'https') reply.header('strict-transport-security', HSTS);
    const path = req.url.split('?')[0];
    if (path.startsWith('/api/v1/auth/') || (req.method === 'POST' && path === '/api/v1/api-keys')) reply.header('cache-control', 'no-store');
    return payload;
  });
}, { name: 'driftwatch-security-headers', global: true });
