// Alerts through the real engine and control API (in-process: the integration lane), to real local receivers: an HTTP server
// (the webhook's HMAC checked), a Slack-format receiver and an SMTP server (smtp-server) taking
// nodemailer's mail. An incident of many anomalous lines is notified once per channel; a
// receiver's 500 is retried with back-off; quiet hours hold a notification back; the quota's
// 80% and 100% alerts fire once each; a VM crash is told to the system channels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { System } from '../../src/system.js';
import { startTestSystem } from '../helpers/system.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';
import { waitFor } from '../helpers/net.js';
import { startHttpReceiver, startSmtpReceiver, type HttpReceiver, type SmtpReceiver } from '../helpers/receivers.js';
import { syntheticLog } from '../../src/tools/demo/synthetic.js';
import { verifySignature } from '../../src/control/alerts/format.js';
import { AlertDispatcher } from '../../src/control/alerts/dispatcher.js';
import { pruneHistory } from '../../src/control/alerts/system.js';
import { foldAnomalies, type FoldAnomaly } from '../../src/control/alerts/incidents.js';
import { Senders } from '../../src/control/alerts/senders.js';
import { LiveHub } from '../../src/control/live/hub.js';
import { TableUsageStore } from '../../src/core/usage.js';
import { silentLogger } from '../../src/core/log.js';

let db: TestDatabase;
let sys: System;
let http: HttpReceiver;
let smtp: SmtpReceiver;
/** A second control API instance's alert machinery on the same database (its own LISTEN). */
let second: { hub: LiveHub; dispatcher: AlertDispatcher };

async function api<T = any>(method: string, url: string, opts: { body?: unknown; token?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method,
    headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}) },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

async function signUp(name: string): Promise<{ token: string; key: string; tenantId: string }> {
  const email = `${name.toLowerCase()}-${Math.floor(Math.random() * 1e9)}@example.com`;
  const reg = await api('POST', `${sys.controlUrl}/api/v1/auth/register`, { body: { email, password: 'a long password', name } });
  expect(reg.status).toBe(201);
  const key = await api('POST', `${sys.controlUrl}/api/v1/api-keys`, { body: { name: 'agent' }, token: reg.body.token });
  return { token: reg.body.token, key: key.body.key, tenantId: reg.body.user.tenant_id };
}

/** A web log of `lines` normal lines with a burst of `burst` crash lines (one pattern) near its end, sent through the engine. */
async function ingestIncident(key: string, stream: string, burst: number): Promise<void> {
  const log = syntheticLog({ lines: 3_000, anomalies: 0, seed: 5 });
  const lines = log.lines.slice();
  for (let i = 0; i < burst; i++) lines[2_600 + i * 7] = `FATAL worker-3 panic: runtime error: invalid memory address or nil pointer dereference [signal SIGSEGV code=0x1 addr=0x${(0xc000 + i).toString(16)} pc=0x4a1f2${i % 10}]`;
  const t0 = Date.now() - lines.length * 100;
  for (let i = 0; i < lines.length; i += 500) {
    const events = lines.slice(i, i + 500).map((data, j) => ({ timestamp: t0 + (i + j) * 100, stream_type: 'logs', stream, data }));
    const r = await api('POST', `${sys.engineUrl}/api/v1/events/ingest`, { body: events, token: key });
    expect(r.status).toBe(200);
  }
}

beforeAll(async () => {
  [db, http, smtp] = await Promise.all([createTestDatabase(), startHttpReceiver(), startSmtpReceiver()]);
  sys = await startTestSystem(db.url, {
    smtpUrl: smtp.url, alertEmailFrom: 'driftwatch <alerts@example.com>', alertAllowPrivateTargets: true,
    alertRetryBaseMs: 50, alertPollMs: 50, alertSystemCheckMs: 3_600_000, dashboardUrl: 'https://dash.example.com', registerRateLimitPerIp: 100,
  });
  const hub = new LiveHub(db.pool, silentLogger, { maxPerTenant: 10 });
  const dispatcher = new AlertDispatcher(db.pool, silentLogger, new Senders({ smtpUrl: smtp.url, emailFrom: 'driftwatch <alerts@example.com>', allowPrivate: true }),
    new TableUsageStore(db.pool), { retryBaseMs: 50, maxAttempts: 5, pollMs: 50, systemCheckMs: 3_600_000, windowMs: 600_000, dashboardUrl: 'https://dash.example.com' });
  hub.onAnomalies((t, list) => dispatcher.onAnomalies(t, list));
  await hub.start();
  dispatcher.start();
  second = { hub, dispatcher };
});

afterAll(async () => {
  await second?.hub.close();
  await second?.dispatcher.close();
  await sys?.close();
  await Promise.all([http?.close(), smtp?.close()]);
  await db?.drop();
});

const hooksTo = (path: string) => http.inbox.items.filter((r) => r.path === path);

async function channel(token: string, body: Record<string, unknown>): Promise<{ id: string; secret?: string; target: string }> {
  const r = await api('POST', `${sys.controlUrl}/api/v1/alerts/channels`, { body, token });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return r.body;
}

/**
 * Waits until the second instance has looked at every stored anomaly (of every tenant: it hears
 * them all) and none of the tenant's deliveries is still due; returns the deliveries. (Both
 * instances make the same inserts, so what the second queued is what either would.)
 */
async function settled(tenantId: string, minAnomalies: number): Promise<{ status: string; event: string; attempts: number; last_error: string | null; incident_id: string | null }[]> {
  return waitFor(async () => {
    const { rows } = await db.pool.query<{ n: number; all: number; open: number }>(
      `SELECT (SELECT count(*)::int FROM anomalies WHERE tenant_id = $1) AS n,
              (SELECT count(*)::int FROM anomalies) AS all,
              (SELECT count(*)::int FROM alert_deliveries WHERE tenant_id = $1 AND status IN ('pending', 'sending')) AS open`, [tenantId]);
    const r = rows[0];
    if (r.n < minAnomalies || second.dispatcher.stats.folded < r.all || r.open > 0) return undefined;
    return (await db.pool.query('SELECT status, event, attempts, last_error, incident_id FROM alert_deliveries WHERE tenant_id = $1', [tenantId])).rows;
  }, 60_000, 'anomalies folded and deliveries settled');
}

describe('an incident of many lines, through the engine', () => {
  it('is notified once to a signed webhook, a Slack webhook and an email, though two instances hear it', async () => {
    const ann = await signUp('Ann');
    const hook = await channel(ann.token, { kind: 'webhook', name: 'ops hook', url: `${http.url}/hook/ann` });
    expect(hook.secret).toMatch(/^whsec_/);
    const slack = await channel(ann.token, { kind: 'slack', name: 'slack', url: `${http.url}/slack/ann/T000/B000/XXXXsecret` });
    expect(slack.target).not.toContain('XXXXsecret');
    const mail = await channel(ann.token, { kind: 'email', name: 'mail', email: 'ann@example.com' });
    const listed = await api('GET', `${sys.controlUrl}/api/v1/alerts/channels`, { token: ann.token });
    expect(listed.body.channels).toHaveLength(3);
    expect(JSON.stringify(listed.body)).not.toContain(hook.secret);
    expect(JSON.stringify(listed.body)).not.toContain('XXXXsecret');
    const rule = await api('POST', `${sys.controlUrl}/api/v1/alerts/rules`, { token: ann.token, body: { name: 'everything', channel_ids: [hook.id, slack.id, mail.id] } });
    expect(rule.status).toBe(201);

    await ingestIncident(ann.key, 'web', 20);
    const deliveries = await settled(ann.tenantId, 20);
    const { rows: [anomalies] } = await db.pool.query('SELECT count(*)::int AS n FROM anomalies WHERE tenant_id = $1', [ann.tenantId]);
    const { rows: incidents } = await db.pool.query('SELECT incident_id, count(*)::int AS count, min(stream) AS stream FROM anomalies WHERE tenant_id = $1 GROUP BY incident_id', [ann.tenantId]);
    console.log(`alerts: ${anomalies.n} anomalous lines folded into ${incidents.length} incident(s), ${deliveries.length} deliveries`);
    expect(incidents).toEqual([{ incident_id: expect.any(String), count: anomalies.n, stream: 'web' }]);
    expect(deliveries.map((d) => `${d.event}:${d.status}`)).toEqual(['incident.opened:sent', 'incident.opened:sent', 'incident.opened:sent']);
    // The deliveries are keyed on detection's incident: no other incident table.
    expect(deliveries.map((d) => d.incident_id)).toEqual([incidents[0].incident_id, incidents[0].incident_id, incidents[0].incident_id]);
    expect(second.dispatcher.stats.folded).toBeGreaterThanOrEqual(anomalies.n);

    const hooks = hooksTo('/hook/ann');
    expect(hooks).toHaveLength(1);
    const h = hooks[0];
    const ts = Number(h.headers['x-driftwatch-timestamp']);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(300);
    expect(verifySignature(hook.secret!, ts, h.body, String(h.headers['x-driftwatch-signature']))).toBe(true);
    expect(verifySignature('whsec_wrong', ts, h.body, String(h.headers['x-driftwatch-signature']))).toBe(false);
    const body = JSON.parse(h.body);
    expect(body).toMatchObject({ event: 'incident.opened', incident: { stream: 'web', detector: expect.any(String) }, anomaly: { stream: 'web' } });
    expect(body.url).toMatch(/^https:\/\/dash\.example\.com\/#\/anomaly\//);

    const slacks = hooksTo('/slack/ann/T000/B000/XXXXsecret');
    expect(slacks).toHaveLength(1);
    const sm = JSON.parse(slacks[0].body);
    expect(sm.text).toContain('Anomaly in web');
    expect(sm.blocks[1]).toMatchObject({ type: 'section', text: { type: 'mrkdwn' } });

    const mails = smtp.inbox.items.filter((m) => m.to.includes('ann@example.com'));
    expect(mails).toHaveLength(1);
    expect(mails[0].from).toBe('alerts@example.com');
    expect(mails[0].raw).toMatch(/Subject: \[driftwatch\] Anomaly in web/);

    // Detection gave the lines one incident_id, and the notification tells that incident.
    const ids = (await db.pool.query('SELECT DISTINCT incident_id FROM anomalies WHERE tenant_id = $1', [ann.tenantId])).rows.map((r) => r.incident_id);
    expect(ids).toHaveLength(1);
    expect(JSON.parse(h.body).incident.id).toBe(ids[0]);
    const inc = await api('GET', `${sys.controlUrl}/api/v1/incidents/${ids[0]}?limit=5`, { token: ann.token });
    expect(inc.body.incident.count).toBe(anomalies.n);

    const log = await api('GET', `${sys.controlUrl}/api/v1/alerts/deliveries`, { token: ann.token });
    expect(log.body.deliveries.map((d: { status: string; response_code: number }) => `${d.status}:${d.response_code}`).sort()).toEqual(['sent:200', 'sent:200', 'sent:250']);
  }, 120_000);

  it('is held back in the rule\'s quiet hours (logged as suppressed), in the rule\'s time zone', async () => {
    const cat = await signUp('Cat');
    const hook = await channel(cat.token, { kind: 'webhook', name: 'h', url: `${http.url}/hook/cat` });
    const tz = 'Asia/Tokyo';
    const hm = (d: Date) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
    const quiet = { start: hm(new Date(Date.now() - 3_600_000)), end: hm(new Date(Date.now() + 3_600_000)), time_zone: tz };
    const rule = await api('POST', `${sys.controlUrl}/api/v1/alerts/rules`, { token: cat.token, body: { name: 'night', channel_ids: [hook.id], quiet_hours: quiet } });
    expect(rule.status).toBe(201);
    expect(rule.body.quiet_hours).toEqual(quiet);
    await ingestIncident(cat.key, 'batch', 5);
    const deliveries = await settled(cat.tenantId, 1);
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ status: 'suppressed', attempts: 0 });
    expect(deliveries[0].last_error).toMatch(/^quiet hours/);
    expect(hooksTo('/hook/cat')).toHaveLength(0);
  }, 120_000);
});

describe('one notification per detection incident, whatever the batches', () => {
  it("an incident's lines in several batches, each heard by two instances at once, queue one delivery per channel; a row without incident_id folds by stream, detector and window", async () => {
    const gus = await signUp('Gus');
    const hook = await channel(gus.token, { kind: 'webhook', name: 'h', url: `${http.url}/hook/gus` });
    // A high bar: the incident's first batch does not reach it, its second does.
    expect((await api('POST', `${sys.controlUrl}/api/v1/alerts/rules`, { token: gus.token, body: { name: 'high', channel_ids: [hook.id], min_score: 0.9 } })).status).toBe(201);
    const incident = '6f1c1f0e-0000-4000-8000-00000000000a';
    const at = (s: number) => new Date(Date.UTC(2026, 11, 5, 10, 0, s)).toISOString();
    let n = 0;
    const line = (score: number, s: number, incidentId: string | null): FoldAnomaly => ({
      id: `6f1c1f0e-0000-4000-8000-${String(++n).padStart(12, '0')}`, stream: 'api', detector: 'text', score, explanation: 'new pattern', event: `line ${n}`, details: {}, detected_at: at(s), incident_id: incidentId,
    });
    const o = { windowMs: 600_000, dashboardUrl: 'https://dash.example.com', now: () => new Date() };
    const both = (list: FoldAnomaly[]) => Promise.all([foldAnomalies(db.pool, gus.tenantId, list, o), foldAnomalies(db.pool, gus.tenantId, list, o)]);
    const deliveries = async () => (await db.pool.query<{ incident_id: string; payload: { data: { anomaly: { score: number } } } }>(
      'SELECT incident_id, payload FROM alert_deliveries WHERE tenant_id = $1 ORDER BY created_at', [gus.tenantId])).rows;

    await both([line(0.6, 1, incident), line(0.7, 2, incident)]);
    expect(await deliveries()).toEqual([]);
    const [x, y] = await both([line(0.8, 3, incident), line(0.95, 4, incident), line(0.99, 5, incident)]);
    expect(x.queued + y.queued).toBe(1);
    await both([line(0.97, 6, incident)]);
    const d = await deliveries();
    expect(d.map((r) => [r.incident_id, r.payload.data.anomaly.score])).toEqual([[incident, 0.95]]);

    // Rows without an incident_id (an engine older than incidents): one per stream, detector and 10-minute window.
    await both([line(0.95, 10, null), line(0.95, 20, null)]);
    await both([line(0.95, 30, null)]);
    await both([line(0.95, 700, null)]);
    const legacy = (await deliveries()).slice(1);
    expect(legacy).toHaveLength(2);
    expect(legacy[0].incident_id).not.toBe(legacy[1].incident_id);
    await settled(gus.tenantId, 0);
    expect(hooksTo('/hook/gus')).toHaveLength(3);
  }, 60_000);
});

describe('mutes', () => {
  it("a muted stream's incident is logged suppressed, not sent", async () => {
    const fay = await signUp('Fay');
    const hook = await channel(fay.token, { kind: 'webhook', name: 'h', url: `${http.url}/hook/fay` });
    expect((await api('POST', `${sys.controlUrl}/api/v1/alerts/rules`, { token: fay.token, body: { name: 'all', channel_ids: [hook.id] } })).status).toBe(201);
    const m = await api('POST', `${sys.controlUrl}/api/v1/streams/noisy/mute`, { token: fay.token, body: { minutes: 60 } });
    expect(m.status, JSON.stringify(m.body)).toBeLessThan(300);
    await ingestIncident(fay.key, 'noisy', 5);
    const deliveries = await settled(fay.tenantId, 1);
    expect(deliveries).toEqual([expect.objectContaining({ status: 'suppressed', last_error: 'stream muted', attempts: 0 })]);
    expect(hooksTo('/hook/fay')).toHaveLength(0);
  }, 120_000);
});

describe('delivery', () => {
  it('retries after a receiver\'s 500 with back-off, then logs it sent; "send test" answers the first attempt', async () => {
    const bob = await signUp('Bob');
    const hook = await channel(bob.token, { kind: 'webhook', name: 'flaky', url: `${http.url}/hook/bob` });
    http.failNext('/hook/bob', 500, 503);
    const t = await api('POST', `${sys.controlUrl}/api/v1/alerts/channels/${hook.id}/test`, { token: bob.token });
    expect(t.status).toBe(200);
    expect(t.body).toMatchObject({ event: 'test', attempts: 1, response_code: 500, last_error: expect.stringContaining('HTTP 500') });
    await http.inbox.count(http.inbox.items.filter((r) => r.path !== '/hook/bob').length + 3, 20_000, 'three attempts');
    const [d] = await settled(bob.tenantId, 0);
    expect(d).toMatchObject({ status: 'sent', attempts: 3 });
    const got = hooksTo('/hook/bob');
    expect(got).toHaveLength(3);
    expect(new Set(got.map((r) => r.headers['x-driftwatch-delivery'])).size).toBe(1);
    expect(JSON.parse(got[2].body).event).toBe('test');
  }, 60_000);

  it('refuses bad channels and rules with clear errors; another tenant\'s channel is not found', async () => {
    const eve = await signUp('Eve');
    const bad = async (path: string, body: unknown, code: string) => {
      const r = await api('POST', `${sys.controlUrl}/api/v1/alerts/${path}`, { token: eve.token, body });
      expect(r.body.error?.code, JSON.stringify(r.body)).toBe(code);
    };
    await bad('channels', { kind: 'webhook', name: 'x', url: 'ftp://example.com/x' }, 'DW_ERR_ALERT_TARGET');
    await bad('channels', { kind: 'webhook', name: 'x' }, 'DW_ERR_VALIDATION');
    await bad('channels', { kind: 'email', name: 'x', email: 'not an address' }, 'DW_ERR_VALIDATION');
    await bad('channels', { kind: 'pager', name: 'x' }, 'DW_ERR_VALIDATION');
    const own = await channel(eve.token, { kind: 'webhook', name: 'h', url: `${http.url}/hook/eve` });
    await bad('rules', { name: 'r', channel_ids: [own.id], quiet_hours: { start: '25:00', end: '07:00' } }, 'DW_ERR_VALIDATION');
    await bad('rules', { name: 'r', channel_ids: [own.id], quiet_hours: { start: '22:00', end: '07:00', time_zone: 'Mars/Olympus' } }, 'DW_ERR_VALIDATION');
    await bad('rules', { name: 'r', channel_ids: [own.id], min_score: 2 }, 'DW_ERR_VALIDATION');
    const other = await signUp('Mallory');
    await bad('rules', { name: 'r', channel_ids: [(await channel(other.token, { kind: 'webhook', name: 'm', url: `${http.url}/m` })).id] }, 'DW_ERR_VALIDATION');
    expect((await api('DELETE', `${sys.controlUrl}/api/v1/alerts/channels/${own.id}`, { token: other.token })).status).toBe(404);
    expect((await api('POST', `${sys.controlUrl}/api/v1/alerts/channels/${own.id}/test`, { token: other.token })).status).toBe(404);
    // Edit and delete a rule; deleting a channel drops it from rules.
    const r = await api('POST', `${sys.controlUrl}/api/v1/alerts/rules`, { token: eve.token, body: { name: 'r', channel_ids: [own.id], streams: ['api-*'] } });
    const put = await api('PUT', `${sys.controlUrl}/api/v1/alerts/rules/${r.body.id}`, { token: eve.token, body: { name: 'r2', channel_ids: [own.id], streams: ['db'], min_score: 0.9, enabled: false } });
    expect(put.body).toMatchObject({ name: 'r2', streams: ['db'], min_score: 0.9, enabled: false, quiet_hours: null });
    expect((await api('DELETE', `${sys.controlUrl}/api/v1/alerts/channels/${own.id}`, { token: eve.token })).status).toBe(204);
    expect((await api('GET', `${sys.controlUrl}/api/v1/alerts/rules`, { token: eve.token })).body.rules[0].channel_ids).toEqual([]);
    expect((await api('DELETE', `${sys.controlUrl}/api/v1/alerts/rules/${r.body.id}`, { token: eve.token })).status).toBe(204);
    const audit = await db.pool.query(`SELECT action FROM audit_log WHERE tenant_id = $1 AND action LIKE 'alert_%' ORDER BY id`, [eve.tenantId]);
    expect(audit.rows.map((x) => x.action)).toEqual(['alert_channel.create', 'alert_rule.create', 'alert_rule.update', 'alert_channel.delete', 'alert_rule.delete']);
  }, 60_000);
});

describe('system alerts', () => {
  it('quota 80% and 100% fire once each (ingest refused at 100%), whichever instance checks, and a VM crash is told', async () => {
    const dan = await signUp('Dan');
    await db.pool.query(`INSERT INTO plans (id, name, events_per_month, retention_days) VALUES ('tiny', 'Tiny', 100, 7) ON CONFLICT (id) DO NOTHING`);
    await db.pool.query(`UPDATE tenants SET plan = 'tiny' WHERE id = $1`, [dan.tenantId]);
    await channel(dan.token, { kind: 'webhook', name: 'h', url: `${http.url}/hook/dan` });
    await channel(dan.token, { kind: 'webhook', name: 'anomalies only', url: `${http.url}/hook/dan-quiet`, system_alerts: false });
    const send = (n: number, from: number) => api('POST', `${sys.engineUrl}/api/v1/events/ingest`, {
      token: dan.key, body: Array.from({ length: n }, (_, i) => ({ timestamp: Date.now(), stream_type: 'metrics', stream: 'm', data: from + i })),
    });
    expect((await send(85, 0)).status).toBe(200);
    const check = () => Promise.all([second.dispatcher.checkSystem(), second.dispatcher.checkSystem()]);
    await check();
    await check();
    await settled(dan.tenantId, 0);
    expect(hooksTo('/hook/dan').map((r) => JSON.parse(r.body)).map((b) => [b.event, b.threshold])).toEqual([['usage.quota', 80]]);
    expect((await send(15, 85)).status).toBe(200);
    expect((await send(1, 100)).status).toBe(429);
    await check();
    await check();
    await settled(dan.tenantId, 0);
    const got = hooksTo('/hook/dan').map((r) => JSON.parse(r.body));
    expect(got.map((b) => [b.event, b.threshold])).toEqual([['usage.quota', 80], ['usage.quota', 100]]);
    expect(got[1]).toMatchObject({ ingest_refused: true, limit: 100, events: 100 });
    // The machine registry's crash record (as it writes it) becomes one alert.
    await db.pool.query(`INSERT INTO audit_log (tenant_id, actor_kind, action, target, details) VALUES ($1, 'system', 'vm.crash', 'machine:m-1', '{"problem":"health check failed"}')`, [dan.tenantId]);
    await check();
    await check();
    await settled(dan.tenantId, 0);
    const all = hooksTo('/hook/dan').map((r) => JSON.parse(r.body));
    expect(all.map((b) => b.event)).toEqual(['usage.quota', 'usage.quota', 'vm.crashed']);
    expect(all[2]).toMatchObject({ machine: 'machine:m-1', problem: 'health check failed' });
    expect(hooksTo('/hook/dan-quiet')).toHaveLength(0);

    // History older than 90 days goes; this month's quota incidents stay, so they do not fire again.
    await db.pool.query(`UPDATE alert_deliveries SET created_at = now() - interval '91 days' WHERE tenant_id = $1 AND event = 'vm.crashed'`, [dan.tenantId]);
    await db.pool.query(`UPDATE alert_incidents SET last_at = now() - interval '91 days' WHERE tenant_id = $1 AND kind = 'vm_crash'`, [dan.tenantId]);
    expect(await pruneHistory(db.pool)).toBeGreaterThanOrEqual(2);
    const left = await db.pool.query(`SELECT kind, count(*)::int AS n FROM alert_incidents WHERE tenant_id = $1 GROUP BY kind`, [dan.tenantId]);
    expect(left.rows).toEqual([{ kind: 'quota', n: 2 }]);
  }, 60_000);
});
