// The errors plugin (every failure in one shape with a stable code; 500s logged, never leaked)
// and the plugin metadata (a route plugin registered without its dependencies fails at boot).
import { Writable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { DwError } from '../../src/core/errors.js';
import { anomaliesPlugin } from '../../src/control/plugins/anomalies.js';
import { contextPlugin } from '../../src/control/plugins/context.js';
import { controlError as toDwError, errorsPlugin } from '../../src/control/plugins/errors.js';
import { classifyPgError } from '../../src/core/db.js';
import { toDwError as sharedToDwError } from '../../src/core/errors.js';
import { healthPlugin } from '../../src/control/plugins/health.js';

function capturingLogger(): { log: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk))); cb(); } });
  return { log: pino({ level: 'info' }, sink), lines };
}

async function appWithErrors(log?: pino.Logger): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: log ?? pino({ level: 'silent' }) }) as unknown as FastifyInstance;
  await app.register(errorsPlugin, {});
  app.get('/boom', async () => { throw new Error('secret detail at /srv/app.js:42'); });
  app.get('/dw', async () => { throw new DwError('DW_ERR_CONFLICT', 'already there', { id: 'x' }); });
  app.get('/pg', async () => { throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }); });
  app.post('/typed', { schema: { body: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'], additionalProperties: false } } }, async () => ({ ok: true }));
  await app.ready();
  return app;
}

describe('errors plugin', () => {
  it('an unexpected error is 500 DW_ERR_INTERNAL with the request id, logged, with no stack or message leaked', async () => {
    const { log, lines } = capturingLogger();
    const app = await appWithErrors(log);
    const res = await app.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    const body = res.json();
    expect(body.error.code).toBe('DW_ERR_INTERNAL');
    expect(res.body).not.toContain('secret detail');
    expect(res.body).not.toContain('app.js');
    const reqId = res.headers['x-request-id'];
    expect(body.error.message).toContain(String(reqId));
    const logged = lines.find((l) => l.msg === 'unhandled error in the control API');
    expect(logged).toBeDefined();
    expect(logged!.req_id).toBe(reqId);
    expect(JSON.stringify(logged!.err)).toContain('secret detail');
    await app.close();
  });

  it('a DwError keeps its code, status, message and details', async () => {
    const app = await appWithErrors();
    const res = await app.inject({ method: 'GET', url: '/dw' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({ error: { code: 'DW_ERR_CONFLICT', message: 'The request conflicts with the current state: already there', details: { id: 'x' } } });
    await app.close();
  });

  it('a database connection failure is 503 DW_ERR_DATABASE_UNAVAILABLE', async () => {
    const app = await appWithErrors();
    const res = await app.inject({ method: 'GET', url: '/pg' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('DW_ERR_DATABASE_UNAVAILABLE');
    await app.close();
  });

  it('validation errors are 400 DW_ERR_VALIDATION naming the field', async () => {
    const app = await appWithErrors();
    const res = await app.inject({ method: 'POST', url: '/typed', payload: { n: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'DW_ERR_VALIDATION', message: expect.stringContaining('/n'), details: { in: 'body' } });
    await app.close();
  });

  it('maps fastify body errors to our codes', () => {
    expect(toDwError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }))?.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    expect(toDwError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }))?.code).toBe('DW_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(toDwError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }))?.code).toBe('DW_ERR_MALFORMED_BODY');
    expect(toDwError(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_EMPTY_JSON_BODY' }))?.code).toBe('DW_ERR_MALFORMED_BODY');
    expect(toDwError(new TypeError('x'))).toBeUndefined();
  });

  it('one classifier of PostgreSQL errors (src/core/db.ts) decides "down" for the control API and the engine', () => {
    const down = [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      Object.assign(new Error('connection failure'), { code: '08006' }),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), Object.assign(new Error('y'), { code: 'EHOSTUNREACH' })]),
    ];
    for (const err of down) {
      expect(classifyPgError(err)).toBe('down');
      expect(toDwError(err)?.code).toBe('DW_ERR_DATABASE_UNAVAILABLE');
      expect(sharedToDwError(err, new DwError('DW_ERR_UNAVAILABLE'))?.code).toBe('DW_ERR_UNAVAILABLE');
    }
    expect(classifyPgError(Object.assign(new Error('deadlock'), { code: '40P01' }))).toBe('transient');
    expect(classifyPgError(Object.assign(new Error('bad input'), { code: '22P02' }))).toBe('data');
    expect(classifyPgError(Object.assign(new Error('syntax'), { code: '42601' }))).toBe('other');
    expect(toDwError(Object.assign(new Error('syntax'), { code: '42601' }))).toBeUndefined();
  });
});

describe('plugin metadata', () => {
  it('a route plugin registered without the context plugin fails at boot, naming what is missing', async () => {
    const app = Fastify({ loggerInstance: pino({ level: 'silent' }) }) as unknown as FastifyInstance;
    await app.register(errorsPlugin, {});
    await expect(app.register(anomaliesPlugin, {}).ready()).rejects.toThrow(/driftwatch-context|decorator/);
    await app.close().catch(() => {});
  });

  it('health needs the context plugin, and the context plugin needs the errors plugin', async () => {
    const a = Fastify({ loggerInstance: pino({ level: 'silent' }) }) as unknown as FastifyInstance;
    await expect(a.register(healthPlugin, {}).ready()).rejects.toThrow(/driftwatch-context|pool/);
    await a.close().catch(() => {});
    const b = Fastify({ loggerInstance: pino({ level: 'silent' }) }) as unknown as FastifyInstance;
    await expect(b.register(contextPlugin, {} as never).ready()).rejects.toThrow(/driftwatch-errors/);
    await b.close().catch(() => {});
  });
});
