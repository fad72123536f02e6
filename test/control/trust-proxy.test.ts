// TRUST_PROXY: behind the edge proxy the client is in X-Forwarded-For; Fastify's trustProxy
// (from config) decides whom to believe, and req.ip feeds the rate limits and the audit rows.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { LOGIN_RATE_WINDOW_MS } from '../../src/control/plugins/auth.js';
import { startHarness, type Harness } from './harness.js';

// The login limit counts in fixed windows (rate-limit.ts): a sequence that crosses a window's end
// starts counting again (CI once saw 401 where the third attempt should get 429). Start each
// counted sequence with at least 20 s of its window left.
async function windowAhead(): Promise<void> {
  const left = LOGIN_RATE_WINDOW_MS - (Date.now() % LOGIN_RATE_WINDOW_MS);
  if (left < 20_000) await new Promise((r) => setTimeout(r, left + 50));
}

describe('TRUST_PROXY', () => {
  const loginFrom = (h: Harness, remoteAddress: string, forwarded: string | undefined) => h.app.inject({
    method: 'POST', url: '/api/v1/auth/login', remoteAddress,
    headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded },
    payload: { email: 'nobody@example.com', password: 'wrong password' },
  });
  const lastAuditIp = async (h: Harness): Promise<string | null> =>
    (await h.db.pool.query<{ ip: string | null }>("SELECT ip FROM audit_log WHERE action = 'auth.login_failed' ORDER BY id DESC LIMIT 1")).rows[0].ip;

  it('false (default): X-Forwarded-For is ignored; the socket address is the client (audit, rate limit)', async () => {
    const h = await startHarness({ loginRateLimitPerIp: 2 });
    try {
      await windowAhead();
      for (const fwd of ['203.0.113.1', '203.0.113.2']) expect((await loginFrom(h, '10.0.0.5', fwd)).statusCode).toBe(401);
      expect(await lastAuditIp(h)).toBe('10.0.0.5');
      // Both counted against the proxy's address: a third one is refused whatever it forwards.
      expect((await loginFrom(h, '10.0.0.5', '203.0.113.3')).statusCode).toBe(429);
    } finally {
      await h.close();
    }
  });

  it('a trusted proxy address: the forwarded client is the address; clients are limited apart; an untrusted peer cannot spoof it', async () => {
    const h = await startHarness({ loginRateLimitPerIp: 2, trustProxy: '10.0.0.0/8' });
    try {
      await windowAhead();
      expect((await loginFrom(h, '10.0.0.5', '203.0.113.1')).statusCode).toBe(401);
      expect(await lastAuditIp(h)).toBe('203.0.113.1');
      expect((await loginFrom(h, '10.0.0.5', '203.0.113.1')).statusCode).toBe(401);
      expect((await loginFrom(h, '10.0.0.5', '203.0.113.1')).statusCode).toBe(429);
      // Another client behind the same proxy has its own count.
      expect((await loginFrom(h, '10.0.0.5', '203.0.113.2')).statusCode).toBe(401);
      // A peer outside 10/8 is the client itself, whatever it claims.
      expect((await loginFrom(h, '198.51.100.9', '203.0.113.50')).statusCode).toBe(401);
      expect(await lastAuditIp(h)).toBe('198.51.100.9');
    } finally {
      await h.close();
    }
  });

  it('a hop count takes the address that many proxies back; bad values are refused at start', async () => {
    const h = await startHarness({ trustProxy: '1' });
    try {
      await loginFrom(h, '10.0.0.5', '198.51.100.1, 203.0.113.9');
      expect(await lastAuditIp(h)).toBe('203.0.113.9');
    } finally {
      await h.close();
    }
    expect(() => loadConfig({ env: { TRUST_PROXY: 'sometimes' } })).toThrow(/TRUST_PROXY .* must be false, true, a hop count/);
    expect(loadConfig({ env: { TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' } }).trustProxy).toBe('127.0.0.1, 10.0.0.0/8');
  });
});
