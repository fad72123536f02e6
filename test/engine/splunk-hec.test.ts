// Splunk HEC (issue 13): the npm client splunk-logging sends to /services/collector/event/1.0
// with `Authorization: Splunk <key>` and gets HEC's {"text":"Success","code":0}; `time` (seconds
// with fractions), host, source, sourcetype and fields are stored; a bad event gets HEC's 400
// with invalid-event-number while the others are stored; /raw takes lines; gzip.
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

interface SplunkLogger {
  send(context: { message: unknown; severity?: string; metadata?: Record<string, unknown> }): void;
  flush(cb: (err: Error | null, resp: { statusCode: number } | undefined, body: unknown) => void): void;
  error: (err: Error) => void;
}
const { Logger } = createRequire(import.meta.url)('splunk-logging') as { Logger: new (config: Record<string, unknown>) => SplunkLogger };

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

const rowsOf = async (stream: string): Promise<{ ts: string; data: unknown; metadata: any }[]> =>
  (await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream })).map((e) => ({ ts: e.ts.toISOString(), data: e.data, metadata: e.metadata }));

/** Queues the contexts in a real splunk-logging logger and flushes them as one request. */
function viaSplunkLogging(contexts: Parameters<SplunkLogger['send']>[0][]): Promise<{ status: number | undefined; body: unknown; errors: Error[] }> {
  const logger = new Logger({ token: h.tenantA.key, url: h.url, maxBatchCount: 0, maxRetries: 0 });
  const errors: Error[] = [];
  logger.error = (err) => { errors.push(err); };
  for (const c of contexts) logger.send(c);
  return new Promise((resolve, reject) => {
    logger.flush((err, resp, body) => (err ? reject(err) : resolve({ status: resp?.statusCode, body, errors })));
  });
}

async function post(path: string, body: string | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${h.url}${path}`, { method: 'POST', headers: { authorization: `Splunk ${h.tenantA.key}`, ...headers }, body });
  return { status: res.status, body: await res.json() };
}

describe('Splunk HEC', () => {
  it('stores what splunk-logging sends: event, time with fractions, host, source, sourcetype; answers Success', async () => {
    const r = await viaSplunkLogging([
      { message: 'user logged in', severity: 'info', metadata: { time: 1764842400123, host: 'web-1', source: 'auth-svc', sourcetype: '_json' } },
      { message: { action: 'checkout', cents: 1299 }, severity: 'warn', metadata: { time: 1764842401500, host: 'web-2', source: 'auth-svc' } },
      { message: 'no source', metadata: { time: 1764842402000, sourcetype: 'syslog' } },
    ]);
    expect(r).toEqual({ status: 200, body: { text: 'Success', code: 0 }, errors: [] });
    expect(await rowsOf('auth-svc')).toEqual([
      { ts: '2025-12-04T10:00:00.123Z', data: { message: 'user logged in', severity: 'info' }, metadata: { host: 'web-1', source: 'auth-svc', sourcetype: '_json' } },
      { ts: '2025-12-04T10:00:01.500Z', data: { message: { action: 'checkout', cents: 1299 }, severity: 'warn' }, metadata: { host: 'web-2', source: 'auth-svc' } },
    ]);
    expect(await rowsOf('syslog')).toEqual([{ ts: '2025-12-04T10:00:02.000Z', data: { message: 'no source', severity: 'info' }, metadata: { sourcetype: 'syslog' } }]);
  });

  it('answers a bad event with HEC\'s code and invalid-event-number, storing the others; splunk-logging reports it', async () => {
    const r = await post('/services/collector/event', '{"event":"one","source":"bad-batch","fields":{"region":"eu"}}\n{"source":"bad-batch"}\n{"event":"three","source":"bad-batch","time":"1764842403.25"}');
    expect(r).toEqual({
      status: 400,
      body: { text: 'Event field is required', code: 12, 'invalid-event-number': 1, accepted: 2, rejected: [{ index: 1, code: 'DW_ERR_INVALID_EVENT', message: expect.stringContaining('event 1') }] },
    });
    const rows = await rowsOf('bad-batch');
    expect(rows.map((e) => [e.data, e.metadata])).toEqual([['one', { source: 'bad-batch', region: 'eu' }], ['three', { source: 'bad-batch' }]]);
    expect(rows[1].ts).toBe('2025-12-04T10:00:03.250Z');
    // A body that stops parsing: the events before it stored, it and what follows refused.
    const broken = await post('/services/collector', '{"event":"before","source":"broken"} {"event": nope}');
    expect(broken.body).toMatchObject({ code: 6, text: 'Invalid data format', 'invalid-event-number': 1, accepted: 1 });
    expect((await rowsOf('broken')).map((e) => e.data)).toEqual(['before']);

    const viaClient = await viaSplunkLogging([{ message: 'ok', metadata: { source: 'client-bad' } }, { message: 'x', metadata: { source: 'client-bad', time: 'yesterday' } }]);
    expect(viaClient.status).toBe(400);
    expect(viaClient.errors.map((e) => (e as Error & { code: number }).code)).toEqual([6]);
  });

  it('takes /raw lines with the query string\'s source, and gzip bodies on both paths', async () => {
    const raw = await post('/services/collector/raw?source=nginx&host=edge-1', gzipSync('GET / 200\n\nGET /x 404\n'), { 'content-encoding': 'gzip' });
    expect(raw).toEqual({ status: 200, body: { text: 'Success', code: 0 } });
    expect((await rowsOf('nginx')).map((e) => [e.data, e.metadata])).toEqual([['GET / 200', { host: 'edge-1', source: 'nginx' }], ['GET /x 404', { host: 'edge-1', source: 'nginx' }]]);
    const ev = await post('/services/collector/event/1.0', gzipSync('{"event":"zipped","sourcetype":"gz-type"}'), { 'content-encoding': 'gzip' });
    expect(ev.body).toEqual({ text: 'Success', code: 0 });
    expect((await rowsOf('gz-type')).map((e) => e.data)).toEqual(['zipped']);
  });

  it('answers HEC\'s codes for a bad token, no data and the health check', async () => {
    expect(await post('/services/collector/event', '{"event":"x"}', { authorization: 'Splunk dw_wrong' })).toMatchObject({ status: 401, body: { code: 4, text: 'Invalid token', error: { code: 'DW_ERR_UNAUTHORIZED' } } });
    expect(await post('/services/collector/event', '  ')).toMatchObject({ status: 400, body: { code: 5, text: 'No data' } });
    const health = await fetch(`${h.url}/services/collector/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ text: 'HEC is healthy', code: 17 });
  });

  it('stores a resend with the same Idempotency-Key once, answering the same', async () => {
    const body = '{"event":"once","source":"idem"}{"event":"twice?","source":"idem"}';
    const first = await post('/services/collector/event', body, { 'idempotency-key': 'hec-idem-1' });
    const again = await post('/services/collector/event', body, { 'idempotency-key': 'hec-idem-1' });
    expect([first, again]).toEqual([{ status: 200, body: { text: 'Success', code: 0 } }, { status: 200, body: { text: 'Success', code: 0 } }]);
    expect((await rowsOf('idem')).map((e) => e.data)).toEqual(['once', 'twice?']);
  });
});
