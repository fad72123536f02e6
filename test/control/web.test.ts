// The dashboard's files: index.html (no-cache), hashed bundles (immutable, precompressed), a
// strict CSP on each, and the engine URL for the onboarding snippets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../src/control/plugins/web.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ enginePort: 8090 }); });
afterAll(async () => { await h?.close(); });

describe('GET / (the dashboard)', () => {
  it('serves index.html with no-cache and a CSP without unsafe-inline; its bundles are immutable and come brotli-compressed', async () => {
    const index = await h.app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toMatch(/text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).not.toMatch(/unsafe/);
    const js = /src="(\/assets\/app\.[0-9a-f]{10}\.js)"/.exec(index.body)?.[1];
    const css = /href="(\/assets\/app\.[0-9a-f]{10}\.css)"/.exec(index.body)?.[1];
    expect(js).toBeDefined();
    expect(css).toBeDefined();
    const bundle = await h.app.inject({ method: 'GET', url: js!, headers: { 'accept-encoding': 'br, gzip' } });
    expect(bundle.statusCode).toBe(200);
    expect(bundle.headers['content-encoding']).toBe('br');
    expect(bundle.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(bundle.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    // First load under 200 KB compressed.
    let total = index.rawPayload.length + bundle.rawPayload.length;
    total += (await h.app.inject({ method: 'GET', url: css!, headers: { 'accept-encoding': 'br' } })).rawPayload.length;
    expect(total).toBeLessThan(200 * 1024);
  });

  it('answers the engine URL for the snippets; the API routes are unaffected', async () => {
    const c = await h.app.inject({ method: 'GET', url: '/app-config.json', headers: { host: 'dash.example:8080' } });
    expect(c.json()).toEqual({ engine_url: 'http://dash.example:8090' });
    expect((await h.app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);
    expect((await h.app.inject({ method: 'GET', url: '/nope' })).json().error.code).toBe('DW_ERR_NOT_FOUND');
  });
});
