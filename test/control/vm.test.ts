// The VM routes against PostgreSQL, with the default (local) driver really starting engines:
// POST /vm/start, GET /vm/status, DELETE /vm/stop, GET /machines, GET /machines/:id. Each
// route's success and refusals: no token (401), an API key or a member where owners are needed
// (403), a bad body or id (400), another tenant's machine (404); concurrent starts; audit rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, codeOf, signUp, startHarness, type Harness, type SignedUp } from './harness.js';

let h: Harness;
let alice: SignedUp;
let bob: SignedUp;
let memberToken: string;
let aliceKey: string;

beforeAll(async () => {
  h = await startHarness({ vmStopGraceMs: 5_000 });
  alice = await signUp(h.app, 'Alice');
  bob = await signUp(h.app, 'Bob');
  // A member of alice's tenant.
  const m = await signUp(h.app, 'Mia');
  await h.db.pool.query("UPDATE users SET tenant_id = $2, role = 'member' WHERE id = $1", [m.user.id, alice.user.tenant_id]);
  memberToken = (await call(h.app, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } })).body.token;
  aliceKey = (await call(h.app, 'POST', '/api/v1/api-keys', { token: alice.token, body: { name: 'agent' } })).body.key;
});
afterAll(async () => { await h?.close(); });

const ROUTES: [string, string][] = [
  ['POST', '/api/v1/vm/start'], ['GET', '/api/v1/vm/status'], ['DELETE', '/api/v1/vm/stop'],
  ['GET', '/api/v1/machines'], ['GET', '/api/v1/machines/00000000-0000-4000-8000-000000000000'],
];

describe('VM routes: refusals', () => {
  it.each(ROUTES)('%s %s without a token: 401', async (method, url) => {
    const r = await call(h.app, method, url, method === 'POST' ? { body: {} } : {});
    expect([r.status, codeOf(r)]).toEqual([401, 'DW_ERR_UNAUTHORIZED']);
  });

  it.each(ROUTES)('%s %s with an API key: 403 (VMs are managed by signed-in users)', async (method, url) => {
    const r = await call(h.app, method, url, { token: aliceKey, ...(method === 'POST' ? { body: {} } : {}) });
    expect([r.status, codeOf(r)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
  });

  it('a member may read but not start or stop', async () => {
    const start = await call(h.app, 'POST', '/api/v1/vm/start', { token: memberToken, body: {} });
    expect([start.status, codeOf(start)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    const stop = await call(h.app, 'DELETE', '/api/v1/vm/stop', { token: memberToken });
    expect([stop.status, codeOf(stop)]).toEqual([403, 'DW_ERR_FORBIDDEN']);
    expect((await call(h.app, 'GET', '/api/v1/vm/status', { token: memberToken })).status).toBe(200);
    expect((await call(h.app, 'GET', '/api/v1/machines', { token: memberToken })).status).toBe(200);
  });

  it.each([
    ['wait not a boolean', { wait: 'yes' }],
    ['an unknown field', { region: 'iad' }],
    ['not an object', [1, 2]],
  ])('POST /vm/start with a bad body (%s): 400 DW_ERR_VALIDATION', async (_w, body) => {
    const r = await call(h.app, 'POST', '/api/v1/vm/start', { token: alice.token, body });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM machines');
    expect(rows[0].n).toBe(0);
  });

  it('GET /machines/:id with a malformed id: 400', async () => {
    const r = await call(h.app, 'GET', '/api/v1/machines/not-a-uuid', { token: alice.token });
    expect([r.status, codeOf(r)]).toEqual([400, 'DW_ERR_VALIDATION']);
  });

  it('before any start: status is null, the list empty, stop 404', async () => {
    expect((await call(h.app, 'GET', '/api/v1/vm/status', { token: bob.token })).body).toEqual({ machine: null });
    expect((await call(h.app, 'GET', '/api/v1/machines', { token: bob.token })).body).toEqual({ machines: [] });
    const stop = await call(h.app, 'DELETE', '/api/v1/vm/stop', { token: bob.token });
    expect([stop.status, codeOf(stop)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
  });
});

describe('VM routes: start, status, machines, stop', () => {
  let machineId: string;
  let address: string;

  it('concurrent POST /vm/start: all answer 200 with the same running machine; one row, one claim', async () => {
    const rs = await Promise.all(Array.from({ length: 6 }, () => call(h.app, 'POST', '/api/v1/vm/start', { token: alice.token, body: {} })));
    for (const r of rs) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const ids = new Set(rs.map((r) => r.body.machine.id));
    expect(ids.size).toBe(1);
    const m = rs[0].body.machine;
    expect(m).toMatchObject({ tenant_id: alice.user.tenant_id, provider: 'local', state: 'running', desired_state: 'running', failures: 0 });
    expect(m.address).toMatch(/^127\.0\.0\.1:\d+$/);
    machineId = m.id;
    address = m.address;
    const { rows } = await h.db.pool.query('SELECT count(*)::int AS n FROM machines WHERE tenant_id = $1', [alice.user.tenant_id]);
    expect(rows[0].n).toBe(1);
    const audit = await h.db.pool.query<{ details: { claimed: boolean; state: string }; actor_user_id: string }>(
      "SELECT details, actor_user_id FROM audit_log WHERE tenant_id = $1 AND action = 'vm.start'", [alice.user.tenant_id]);
    expect(audit.rows).toHaveLength(6);
    expect(audit.rows.filter((a) => a.details.claimed)).toHaveLength(1);
    expect(audit.rows.every((a) => a.actor_user_id === alice.user.id && a.details.state === 'running')).toBe(true);
  });

  it("the tenant's engine ingests with the tenant's API key; the events land in PostgreSQL", async () => {
    const r = await fetch(`http://${address}/api/v1/events/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${aliceKey}`, 'content-type': 'application/x-ndjson' },
      body: ['one', 'two'].map((d) => JSON.stringify({ timestamp: Date.now(), stream_type: 'logs', data: d, metadata: { source: 'vm-api' } })).join('\n') + '\n',
    });
    expect([r.status, await r.json()]).toEqual([200, { accepted: 2 }]);
    const { rows } = await h.db.pool.query("SELECT count(*)::int AS n FROM events WHERE tenant_id = $1 AND metadata->>'source' = 'vm-api'", [alice.user.tenant_id]);
    expect(rows[0].n).toBe(2);
  });

  it('status, list and get show it to the tenant; another tenant gets 404 for its id', async () => {
    const s = await call(h.app, 'GET', '/api/v1/vm/status', { token: alice.token });
    expect(s.body.machine).toMatchObject({ id: machineId, state: 'running', address });
    const l = await call(h.app, 'GET', '/api/v1/machines', { token: alice.token });
    expect(l.body.machines.map((m: { id: string }) => m.id)).toEqual([machineId]);
    const g = await call(h.app, 'GET', `/api/v1/machines/${machineId}`, { token: memberToken });
    expect([g.status, g.body.id, g.body.name]).toEqual([200, machineId, `dw-engine-${alice.user.tenant_id}`]);
    const other = await call(h.app, 'GET', `/api/v1/machines/${machineId}`, { token: bob.token });
    expect([other.status, codeOf(other)]).toEqual([404, 'DW_ERR_NOT_FOUND']);
    expect((await call(h.app, 'GET', '/api/v1/machines', { token: bob.token })).body.machines).toEqual([]);
  });

  it('a start while running answers the running machine (nothing new)', async () => {
    const r = await call(h.app, 'POST', '/api/v1/vm/start', { token: alice.token, body: {} });
    expect([r.status, r.body.machine.id, r.body.machine.address]).toEqual([200, machineId, address]);
  });

  it('DELETE /vm/stop stops it (the engine is gone) and is idempotent; audited', async () => {
    const r = await call(h.app, 'DELETE', '/api/v1/vm/stop', { token: alice.token });
    expect(r.status).toBe(200);
    expect(r.body.machine).toMatchObject({ id: machineId, state: 'stopped', desired_state: 'stopped' });
    await expect(fetch(`http://${address}/health`)).rejects.toThrow();
    const again = await call(h.app, 'DELETE', '/api/v1/vm/stop', { token: alice.token });
    expect([again.status, again.body.machine.state]).toEqual([200, 'stopped']);
    const { rows } = await h.db.pool.query<{ target: string }>("SELECT target FROM audit_log WHERE tenant_id = $1 AND action = 'vm.stop'", [alice.user.tenant_id]);
    expect(rows.map((x) => x.target)).toEqual([`machine:${machineId}`, `machine:${machineId}`]);
  });

  it('wait: false answers 202 while it starts; status then shows it running', async () => {
    const r = await call(h.app, 'POST', '/api/v1/vm/start', { token: bob.token, body: { wait: false } });
    expect([r.status, r.body.machine.state]).toEqual([202, 'starting']);
    const deadline = Date.now() + 30_000;
    let state = 'starting';
    while (state === 'starting' && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      state = (await call(h.app, 'GET', '/api/v1/vm/status', { token: bob.token })).body.machine.state;
    }
    expect(state).toBe('running');
    // The audit reader sees the VM actions of its own tenant only.
    const a = await call(h.app, 'GET', '/api/v1/audit?action=vm.start', { token: bob.token });
    expect(a.body.entries.every((e: { tenant_id: string }) => e.tenant_id === bob.user.tenant_id)).toBe(true);
    expect(a.body.entries).toHaveLength(1);
  });

  it('POST /vm/start with no body at all is a start with the defaults', async () => {
    await call(h.app, 'DELETE', '/api/v1/vm/stop', { token: bob.token });
    const r = await h.app.inject({ method: 'POST', url: '/api/v1/vm/start', headers: { authorization: `Bearer ${bob.token}` } });
    expect(r.statusCode, r.body).toBe(200);
    expect(JSON.parse(r.body).machine.state).toBe('running');
  });
});
