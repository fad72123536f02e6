// Self-hosting (issue 13, item 7): ALLOW_SIGNUP=false closes open sign-up (403
// DW_ERR_SIGNUP_CLOSED, the message the dashboard's form shows), and a signed-in user changes
// their password with the current one; the user's other sessions end, this one goes on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/core/config.js';
import { buildControlApp } from '../../src/control/app.js';
import { silentLogger } from '../../src/core/log.js';
import { call, codeOf, signUp, startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h?.close(); });

const login = (email: string, password: string) => call(h.app, 'POST', '/api/v1/auth/login', { body: { email, password } });

describe('ALLOW_SIGNUP=false', () => {
  it('sign-up answers 403 DW_ERR_SIGNUP_CLOSED with a message; sign-in still works', async () => {
    const existing = await signUp(h.app, 'Early');
    const config = loadConfig({ env: { ALLOW_SIGNUP: 'false' }, overrides: { logLevel: 'silent' } });
    expect(config.allowSignup).toBe(false);
    const closed = await buildControlApp({ config, pool: h.db.pool, tokens: h.tokens, log: silentLogger });
    try {
      const r = await call(closed, 'POST', '/api/v1/auth/register', { body: { email: 'late@example.com', password: 'correct horse battery', name: 'Late' } });
      expect([r.status, codeOf(r)]).toEqual([403, 'DW_ERR_SIGNUP_CLOSED']);
      expect(r.body.error.message).toMatch(/Sign-up is closed on this server/);
      expect((await h.db.pool.query("SELECT 1 FROM users WHERE email = 'late@example.com'")).rowCount).toBe(0);
      expect((await call(closed, 'POST', '/api/v1/auth/login', { body: { email: existing.email, password: existing.password } })).status).toBe(200);
    } finally {
      await closed.close();
    }
    // The default stays open.
    expect(h.config.allowSignup).toBe(true);
  });
});

describe('POST /api/v1/auth/password', () => {
  it('needs the current password, refuses a weak new one, then ends the other sessions and keeps this one', async () => {
    const a = await signUp(h.app, 'Pat');
    const other = await login(a.email, a.password);
    expect(other.status).toBe(200);

    const wrong = await call(h.app, 'POST', '/api/v1/auth/password', { token: a.token, body: { current_password: 'not it at all', new_password: 'a brand new passphrase 9' } });
    expect([wrong.status, codeOf(wrong)]).toEqual([401, 'DW_ERR_INVALID_CREDENTIALS']);
    const weak = await call(h.app, 'POST', '/api/v1/auth/password', { token: a.token, body: { current_password: a.password, new_password: 'password' } });
    expect(weak.status).toBe(400);
    expect((await call(h.app, 'POST', '/api/v1/auth/password', { body: { current_password: a.password, new_password: 'a brand new passphrase 9' } })).status).toBe(401);

    const ok = await call(h.app, 'POST', '/api/v1/auth/password', { token: a.token, body: { current_password: a.password, new_password: 'a brand new passphrase 9' } });
    expect(ok.status).toBe(204);
    expect((await login(a.email, a.password)).status).toBe(401);
    expect((await login(a.email, 'a brand new passphrase 9')).status).toBe(200);
    // The other session's refresh token no longer works; this session's does.
    expect(codeOf(await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: other.body.refresh_token } }))).toBe('DW_ERR_REFRESH_TOKEN_INVALID');
    expect((await call(h.app, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: a.refresh } })).status).toBe(200);
    const audit = await h.db.pool.query<{ details: Record<string, unknown> }>("SELECT details FROM audit_log WHERE action = 'user.password_change' AND actor_user_id = $1 ORDER BY id", [a.user.id]);
    expect(audit.rows.map((r) => r.details)).toEqual([{ ok: false }, { ok: true, sessions_revoked: 1 }]);
  });
});
