// Issue 12, lows: HSTS behind TLS. Strict-Transport-Security goes out when the request came over
// TLS, directly or as `X-Forwarded-Proto: https` from a proxy TRUST_PROXY names, and never over
// plain HTTP or on a forwarded header from anyone else (a client could otherwise pin a host that
// serves plain HTTP). The direct case is a real TLS connection (a throwaway self-signed
// certificate made with openssl) handed to the control API's own server.
// The edge proxy sets no security headers of its own (it passes the engine's answers on), so
// there is nothing of it to test here.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../control/harness.js';

const HSTS = 'max-age=31536000; includeSubDomains';
const PROXY = '10.0.0.5';
let trusting: Harness;
let plain: Harness;

beforeAll(async () => {
  [trusting, plain] = await Promise.all([startHarness({ trustProxy: `${PROXY},127.0.0.1` }), startHarness()]);
});
afterAll(async () => { await Promise.all([trusting?.close(), plain?.close()]); });

const hsts = async (h: Harness, remoteAddress: string, headers: Record<string, string> = {}): Promise<string | undefined> => {
  const r = await h.app.inject({ method: 'GET', url: '/health', remoteAddress, headers });
  expect(r.statusCode).toBe(200);
  const v = r.headers['strict-transport-security'];
  return v === undefined ? undefined : String(v);
};

describe('Strict-Transport-Security on the control API', () => {
  it('plain HTTP: none, with or without a forwarded header from a client nobody trusts', async () => {
    expect(await hsts(plain, '203.0.113.7')).toBeUndefined();
    expect(await hsts(plain, '203.0.113.7', { 'x-forwarded-proto': 'https' })).toBeUndefined();
    // TRUST_PROXY set, but the header comes from an address it does not name.
    expect(await hsts(trusting, '203.0.113.7', { 'x-forwarded-proto': 'https' })).toBeUndefined();
  });

  it('X-Forwarded-Proto: https from a trusted proxy: sent; http from it: none', async () => {
    expect(await hsts(trusting, PROXY, { 'x-forwarded-proto': 'https' })).toBe(HSTS);
    expect(await hsts(trusting, PROXY, { 'x-forwarded-proto': 'http' })).toBeUndefined();
    expect(await hsts(trusting, PROXY)).toBeUndefined();
  });

  describe('TLS straight to the control API', () => {
    let dir: string;
    let tls: Server;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dw-hsts-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', '/CN=localhost', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
      await plain.app.ready();
      // The app's own HTTP server parses the decrypted stream: req.socket is the TLS socket.
      tls = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (socket) => plain.app.server.emit('connection', socket));
      await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise((resolve) => { tls?.close(resolve); });
      rmSync(dir, { recursive: true, force: true });
    });

    const overTls = (headers: Record<string, string> = {}): Promise<{ status: number; hsts: string | undefined }> => new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: (tls.address() as AddressInfo).port, path: '/health', rejectUnauthorized: false, headers, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, hsts: res.headers['strict-transport-security'] }));
      });
      req.on('error', reject);
      req.end();
    });

    it('over TLS: sent, whatever a (distrusted) forwarded header says', async () => {
      expect(await overTls()).toEqual({ status: 200, hsts: HSTS });
      expect(await overTls({ 'x-forwarded-proto': 'http' })).toEqual({ status: 200, hsts: HSTS });
    });
  });
});
