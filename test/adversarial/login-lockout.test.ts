// Issue 12, item 6: nobody can lock a user out. Five wrong passwords from five addresses used to
// make the right password answer 429 (every attempt counted per email). Now only failures
// count: a low limit per (email, address), a higher one per email past which the addresses
// that failed wait a growing back-off; an address with no recent failure still signs in.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaults } from '../../src/core/config.js';
import { signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

let h: Harness;
let alice: SignedUp;
let n = 0;
const addr = (): string => `198.51.${Math.floor(++n / 250)}.${(n % 250) + 1}`;

beforeAll(async () => {
  // The shipped defaults for the login limits.
  h = await startHarness({ loginRateLimitPerIp: defaults.loginRateLimitPerIp, loginRateLimitPerEmail: defaults.loginRateLimitPerEmail, loginFailuresPerEmail: defaults.loginFailuresPerEmail });
  alice = await signUp(h.app, 'Alice');
});
afterAll(async () => { await h?.close(); });

const login = (email: string, password: string, ip: string) =>
  h.app.inject({ method: 'POST', url: '/api/v1/auth/login', remoteAddress: ip, payload: { email, password } });

describe('login lockout', () => {
  it('five wrong passwords from five addresses: the right password still signs in', async () => {
    for (let i = 0; i < 5; i++) expect((await login(alice.email, `wrong-${i}`, addr())).statusCode).toBe(401);
    expect((await login(alice.email, alice.password, addr())).statusCode).toBe(200);
  });

  it('one address guessing: refused after the per-(email, address) limit, even with the right password', async () => {
    const ip = addr();
    for (let i = 0; i < defaults.loginRateLimitPerEmail; i++) expect((await login(alice.email, `guess-${i}`, ip)).statusCode).toBe(401);
    const r = await login(alice.email, alice.password, ip);
    expect(r.statusCode).toBe(429);
    expect(JSON.parse(r.body).error.code).toBe('DW_ERR_RATE_LIMITED');
  });

  it('many addresses guessing: past the per-email limit each failed address backs off, doubling; a fresh address signs in', async () => {
    const bob = await signUp(h.app, `Bob${randomUUID().slice(0, 4)}`);
    const ips: string[] = [];
    for (let i = 0; i < defaults.loginFailuresPerEmail; i++) {
      const ip = addr();
      ips.push(ip);
      expect((await login(bob.email, `spray-${i}`, ip)).statusCode).toBe(401);
    }
    // Over the per-email limit: an address that failed is refused with a back-off...
    const r1 = await login(bob.email, 'spray-again', ips[0]);
    expect(r1.statusCode).toBe(429);
    // ...a fresh address still gets its one check (and a wrong guess grows the back-off)...
    expect((await login(bob.email, 'fresh-wrong', addr())).statusCode).toBe(401);
    const r2 = await login(bob.email, 'spray-again', ips[1]);
    expect(r2.statusCode).toBe(429);
    expect(Number(r2.headers['retry-after'])).toBeGreaterThan(Number(r1.headers['retry-after']));
    // ...and the owner, from an address with no recent failure, signs in.
    expect((await login(bob.email, bob.password, addr())).statusCode).toBe(200);
  });
});
