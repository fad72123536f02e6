import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildControlApp } from '../../src/control/app.js';
import { createPool } from '../../src/core/db.js';
import { silentLogger } from '../../src/core/log.js';
import { call, codeOf, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.close(); });

describe('health and readiness', () => {
  it('GET /health answers ok with a request id header', async () => {
    const r = await call(h.app, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ok' });
    expect(r.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('GET /ready answers ready when PostgreSQL answers', async () => {
    const r = await call(h.app, 'GET', '/ready');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'ready' });
  });

  it('GET /ready answers 503 DW_ERR_DATABASE_UNAVAILABLE when PostgreSQL does not', async () => {
    // A pool on a port nothing listens on (port 1 needs root to bind: nobody does).
    const dead = createPool('postgres://nobody@127.0.0.1:1/none', 1);
    const app = await buildControlApp({ config: h.config, pool: dead, tokens: h.tokens, log: silentLogger });
    try {
      const r = await call(app, 'GET', '/ready');
      expect(r.status).toBe(503);
      expect(codeOf(r)).toBe('DW_ERR_DATABASE_UNAVAILABLE');
      expect((await call(app, 'GET', '/health')).status).toBe(200);
    } finally {
      await app.close();
      await dead.end();
    }
  });

  it('an unknown route is 404 DW_ERR_NOT_FOUND in the common error shape', async () => {
    const r = await call(h.app, 'GET', '/nope');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ error: { code: 'DW_ERR_NOT_FOUND', message: expect.stringContaining('/nope') } });
  });

  it('serves the JWKS with the public signing key only', async () => {
    const r = await call(h.app, 'GET', '/.well-known/jwks.json');
    expect(r.status).toBe(200);
    expect(r.body.keys.length).toBeGreaterThan(0);
    expect(r.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', kid: expect.any(String) });
    expect(r.body.keys[0]).not.toHaveProperty('d');
    expect(r.headers['cache-control']).toContain('max-age');
  });
});
