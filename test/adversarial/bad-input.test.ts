// Issue 12, lows: inputs that answered 500 (or a framework error outside our format) answer a
// 4xx with a DW_ERR_* code: NUL in filters, names, key names and sign-up names (SQLSTATE 22021),
// a year-0 `since` (22008), far cursors; stream names of 101-256 characters have settings
// (was 414 FST_ERR_MAX_PARAM_LENGTH); a malformed URL keeps the error format.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from '../control/harness.js';

let h: Harness;
let alice: SignedUp;
beforeAll(async () => {
  h = await startHarness();
  alice = await signUp(h.app, 'Alice');
});
afterAll(async () => { await h?.close(); });

const NUL = '%00';

describe('bad input answers 400 DW_ERR_VALIDATION, never 500', () => {
  it.each([
    `/api/v1/events?stream=a${NUL}b`,
    `/api/v1/anomalies?stream=a${NUL}b`,
    '/api/v1/events?since=0000-01-01T00:00:00Z',
    '/api/v1/anomalies?since=0000-01-01T00:00:00Z',
    `/api/v1/streams/a${NUL}b/settings`,
  ])('GET %s', async (url) => {
    const r = await call(h.app, 'GET', url, { token: alice.token });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('NUL in an API key name and a sign-up name', async () => {
    const k = await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'a\u0000b' } });
    expect([k.status, codeOf(k)]).toEqual([400, 'DW_ERR_VALIDATION']);
    const s = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email: `nul-${Date.now()}@example.com`, password: 'a long enough passphrase', name: 'a\u0000b' } });
    expect([s.status, codeOf(s)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('a stream name of 256 characters has settings', async () => {
    const name = 's'.repeat(256);
    const put = await call(h.app, 'PUT', `/api/v1/streams/${name}/settings`, { token: alice.token, body: { profile: 'strict' } });
    expect(put.status).toBe(200);
    const get = await call(h.app, 'GET', `/api/v1/streams/${name}/settings`, { token: alice.token });
    expect([get.status, get.body.profile]).toEqual([200, 'strict']);
  });

  it('a malformed URL keeps the error format', async () => {
    const r = await h.app.inject({ method: 'GET', url: '/api/v1/streams/%E0%A4%A/settings', headers: { authorization: `Bearer ${alice.token}` } });
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body).error.code).toBe('DW_ERR_VALIDATION');
  });
});

describe('weak passwords', () => {
  it.each(['        ', 'password', 'Password1', '12345678', 'aaaaaaaa', 'qwertyuiop', 'abababab'])('sign-up with %j answers 400 DW_ERR_WEAK_PASSWORD', async (password) => {
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email: `weak-${Math.random()}@example.com`, password, name: 'Weak' } });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_WEAK_PASSWORD']);
  });

  it('a passphrase is fine', async () => {
    const r = await call(h.app, 'POST', '/api/v1/auth/register', { body: { email: `ok-${Math.random()}@example.com`, password: 'violet staple ferry', name: 'Fine' } });
    expect(r.status).toBe(201);
  });
});
