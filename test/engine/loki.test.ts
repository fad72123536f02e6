// Loki push (issue 13): the npm clients winston-loki and pino-loki send to POST /loki/api/v1/push unchanged,
// in JSON and in protobuf + snappy, authenticated with Basic auth (the key as the password);
// labels become the stream key (minus LOKI_IGNORED_LABELS) and metadata; nanosecond timestamps
// are read exactly; a bad entry is answered with Loki's 400 while the good ones are stored; gzip.
import { once } from 'node:events';
import { hostname } from 'node:os';
import { gzipSync } from 'node:zlib';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedEvents } from '../helpers/events.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

const rowsOf = async (stream: string): Promise<{ ts: string; data: unknown; metadata: any }[]> =>
  (await storedEvents(h.db.pool, { tenantId: h.tenantA.id, stream })).map((e) => ({ ts: e.ts.toISOString(), data: e.data, metadata: e.metadata }));

// winston-loki writes each line as `message JSON(the rest of the info object)`, level included,
// and in JSON mode sends that rest as structured metadata (values as strings).
/** Logs through a real winston logger with the winston-loki transport, then closes it (its last batch sent and answered). */
async function viaWinston(json: boolean, env: string): Promise<unknown[]> {
  const errors: unknown[] = [];
  const transport = new LokiTransport({
    host: h.url, basicAuth: `driftwatch:${h.tenantA.key}`, json, labels: { app: 'checkout', env },
    replaceTimestamp: false, gracefulShutdown: false, interval: 3600, onConnectionError: (err: unknown) => errors.push(err),
  });
  const logger = winston.createLogger({ transports: [transport] });
  let logged = 0;
  const allLogged = new Promise<void>((resolve) => transport.on('logged', () => { if (++logged === 3) resolve(); }));
  logger.info('order placed', { timestamp: '2026-12-04T10:00:00.123Z', order_id: 42 });
  logger.error('payment failed', { timestamp: '2026-12-04T10:00:01.000Z' });
  logger.warn('ünïcode ✓', { timestamp: '2026-12-04T10:00:02.500Z' });
  await allLogged;
  await transport.close();
  return errors;
}

async function push(body: string | Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await fetch(`${h.url}/loki/api/v1/push`, {
    method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}`, ...headers }, body,
  });
  return { status: res.status, text: await res.text() };
}

describe('Loki push', () => {
  it('stores what winston-loki sends as JSON: timestamps, lines, the stream from its labels, labels and structured metadata', async () => {
    expect(await viaWinston(true, 'json')).toEqual([]);
    expect(await rowsOf('{app="checkout",env="json"}')).toEqual([
      { ts: '2026-12-04T10:00:00.123Z', data: 'order placed {"order_id":42,"level":"info"}', metadata: { level: 'info', app: 'checkout', env: 'json', order_id: '42' } },
      { ts: '2026-12-04T10:00:01.000Z', data: 'payment failed {"level":"error"}', metadata: { level: 'error', app: 'checkout', env: 'json' } },
      { ts: '2026-12-04T10:00:02.500Z', data: 'ünïcode ✓ {"level":"warn"}', metadata: { level: 'warn', app: 'checkout', env: 'json' } },
    ]);
  });

  it('stores what winston-loki sends as snappy-compressed protobuf', async () => {
    expect(await viaWinston(false, 'proto')).toEqual([]);
    expect(await rowsOf('{app="checkout",env="proto"}')).toEqual([
      { ts: '2026-12-04T10:00:00.123Z', data: 'order placed {"order_id":42,"level":"info"}', metadata: { level: 'info', app: 'checkout', env: 'proto' } },
      { ts: '2026-12-04T10:00:01.000Z', data: 'payment failed {"level":"error"}', metadata: { level: 'error', app: 'checkout', env: 'proto' } },
      { ts: '2026-12-04T10:00:02.500Z', data: 'ünïcode ✓ {"level":"warn"}', metadata: { level: 'warn', app: 'checkout', env: 'proto' } },
    ]);
  });

  it('stores what pino-loki sends: the record as the line, its time, structured metadata from `meta`', async () => {
    const stream = pinoLoki({ host: h.url, basicAuth: { username: 'driftwatch', password: h.tenantA.key }, labels: { app: 'pino-app' }, batching: { interval: 3600 } });
    const logger = pino({ base: { hostname: hostname() }, timestamp: () => ',"time":1764842400123' }, stream);
    logger.info({ meta: { request_id: 'r-1' }, user: 'ann' }, 'signed in');
    logger.error('failed');
    stream.end();
    await once(stream, 'close');
    const rows = await rowsOf(`{app="pino-app",hostname=${JSON.stringify(hostname())}}`);
    expect(rows.map((r) => [r.ts, JSON.parse(r.data as string), r.metadata])).toEqual([
      ['2025-12-04T10:00:00.123Z', { level: 30, time: 1764842400123, meta: { request_id: 'r-1' }, user: 'ann', msg: 'signed in' }, { level: 'info', hostname: hostname(), app: 'pino-app', request_id: 'r-1' }],
      ['2025-12-04T10:00:00.123Z', { level: 50, time: 1764842400123, msg: 'failed' }, { level: 'error', hostname: hostname(), app: 'pino-app' }],
    ]);
  });

  it('reads nanoseconds exactly, stores the good entries of a request with a bad one and answers 400 naming it, as Loki does', async () => {
    const body = JSON.stringify({
      streams: [
        { stream: { job: 'exact', pod: 'web-7d9f-x2' }, values: [['1764842400123999999', 'one'], ['not-a-time', 'two'], ['1764842400000000001', 'three', { trace_id: 'abc' }]] },
        { stream: { job: 'exact', pod: 'web-7d9f-y3' }, values: [['1764842401000000000', 'four']] },
      ],
    });
    const r = await push(body);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^DW_ERR_INVALID_TIMESTAMP: 1 of 4 entries refused \(the others were stored\): .*entry 1/);
    // `pod` is ignored by default: both pods are one stream.
    expect(await rowsOf('{job="exact"}')).toEqual([
      { ts: '2025-12-04T10:00:00.123Z', data: 'one', metadata: { job: 'exact', pod: 'web-7d9f-x2' } },
      { ts: '2025-12-04T10:00:00.000Z', data: 'three', metadata: { job: 'exact', pod: 'web-7d9f-x2', trace_id: 'abc' } },
      { ts: '2025-12-04T10:00:01.000Z', data: 'four', metadata: { job: 'exact', pod: 'web-7d9f-y3' } },
    ]);
  });

  it('reads a gzip body, answering 204', async () => {
    const body = gzipSync(JSON.stringify({ streams: [{ stream: { job: 'gz' }, values: [['1764842400000000000', 'zipped']] }] }));
    const r = await push(body, { 'content-encoding': 'gzip' });
    expect(r).toEqual({ status: 204, text: '' });
    expect(await rowsOf('{job="gz"}')).toEqual([{ ts: '2025-12-04T10:00:00.000Z', data: 'zipped', metadata: { job: 'gz' } }]);
  });

  it('refuses without a valid key, a malformed body, and a snappy bomb, with text errors carrying our code', async () => {
    const noKey = await fetch(`${h.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"streams":[]}' });
    expect(noKey.status).toBe(401);
    expect(await noKey.text()).toMatch(/^DW_ERR_UNAUTHORIZED: /);
    expect(await push('{"streams": 5}')).toMatchObject({ status: 400, text: expect.stringMatching(/^DW_ERR_MALFORMED_BODY: /) });
    // A snappy block declaring 1 GiB: refused from its header, before anything is allocated.
    const bomb = Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x04, 0x00]);
    expect(await push(bomb, { 'content-type': 'application/x-protobuf' })).toMatchObject({ status: 413, text: expect.stringMatching(/^DW_ERR_PAYLOAD_TOO_LARGE: /) });
    expect(await push(Uint8Array.from([0x05, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).toMatchObject({ status: 400, text: expect.stringMatching(/^DW_ERR_MALFORMED_BODY: /) });
  });

  it('with ?atomic=true stores nothing of a request with a bad entry; too many entries are refused whole (413)', async () => {
    const body = JSON.stringify({ streams: [{ stream: { job: 'atomic' }, values: [['1764842400000000000', 'good'], ['x', 'bad']] }] });
    const res = await fetch(`${h.url}/loki/api/v1/push?atomic=true`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${h.tenantA.key}` }, body });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/^DW_ERR_INVALID_TIMESTAMP: /);
    expect(await rowsOf('{job="atomic"}')).toEqual([]);
    const many = JSON.stringify({ streams: [{ stream: { job: 'many' }, values: Array.from({ length: 101 }, (_, i) => [`${1764842400000000000n + BigInt(i)}`, 'x']) }] });
    expect(await push(many)).toMatchObject({ status: 413, text: expect.stringMatching(/^DW_ERR_TOO_MANY_EVENTS: .*the batch has 101 events; this tenant's limit is 100/) });
  });
});
