// Every error leaves the control API as `{ error: { code, message, details? } }` with a code
// from src/core/errors.ts: DwErrors as they are, fastify's own errors (validation, body parsing)
// mapped to ours, anything else a 500 DW_ERR_INTERNAL that is logged with the request id
// and never shows its stack or message to the client.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DwError, errorBody, errorCodes, toDwError, type ErrorCode } from '../../core/errors.js';
import { countRefusal } from '../../core/telemetry/index.js';
import { definePlugin } from './define.js';

const byFastifyCode: Readonly<Record<string, ErrorCode>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: 'DW_ERR_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'DW_ERR_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'DW_ERR_MALFORMED_BODY',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'DW_ERR_MALFORMED_BODY',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'DW_ERR_MALFORMED_BODY',
  FST_ERR_BAD_URL: 'DW_ERR_VALIDATION',
});

/** Redis clients' (ioredis) failures when the server is down or slow: nothing could answer. */
const REDIS_DOWN = /Connection is closed|Stream isn't writeable|enableOfflineQueue|Command timed out|MaxRetriesPerRequest|Reached the max retries/i;

/** A framework error we have no entry for, by its HTTP status (never a 500 for a client's mistake). */
function byStatus(status: number): ErrorCode {
  if (status === 404) return 'DW_ERR_NOT_FOUND';
  if (status === 405) return 'DW_ERR_METHOD_NOT_ALLOWED';
  if (status === 413) return 'DW_ERR_PAYLOAD_TOO_LARGE';
  if (status === 415) return 'DW_ERR_UNSUPPORTED_MEDIA_TYPE';
  return 'DW_ERR_VALIDATION';
}

/**
 * Fastify's own errors (schema validation, body parsing) as ours; then the shared mapping
 * (src/core/errors.ts: DwErrors, PostgreSQL down ─► DW_ERR_DATABASE_UNAVAILABLE); undefined
 * means "a bug" (500).
 */
export function controlError(err: unknown): DwError | undefined {
  const fe = err as Partial<FastifyError> & { validationContext?: string };
  if (!(err instanceof DwError) && fe !== null && typeof fe === 'object') {
    if (Array.isArray(fe.validation)) {
      const first = fe.validation[0] as { instancePath?: string } | undefined;
      return new DwError('DW_ERR_VALIDATION', fe.message, {
        in: fe.validationContext ?? 'request',
        ...(first?.instancePath ? { path: first.instancePath } : {}),
      });
    }
    const mapped = typeof fe.code === 'string' ? byFastifyCode[fe.code] : undefined;
    if (mapped !== undefined) return new DwError(mapped);
    if (typeof fe.code === 'string') {
      // SQLSTATE class 22 (data exception: NUL in text 22021, a date out of range 22008, a
      // number out of range 22003, ...): the client's value, not our bug.
      if (/^22[0-9A-Z]{3}$/.test(fe.code) && (err as { severity?: unknown }).severity !== undefined) {
        return new DwError('DW_ERR_VALIDATION', 'a value is out of range or not valid text');
      }
      if (fe.code.startsWith('FST_ERR_') && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
        return new DwError(byStatus(fe.statusCode), fe.message);
      }
    }
    if (typeof fe.message === 'string' && REDIS_DOWN.test(fe.message)) return new DwError('DW_ERR_UNAVAILABLE', 'Redis does not answer');
  }
  return toDwError(err);
}

export const errorsPlugin = definePlugin(async function errors(app: FastifyInstance): Promise<void> {
  app.setErrorHandler(function errorHandler(err: unknown, req: FastifyRequest, reply: FastifyReply) {
    const dw = controlError(err);
    if (dw === undefined) {
      req.log.error({ err, req_id: req.id }, 'unhandled error in the control API');
      const internal = new DwError('DW_ERR_INTERNAL', `request id ${req.id}`);
      countRefusal('control', internal.code);
      return reply.code(internal.statusCode).send(errorBody(internal));
    }
    countRefusal('control', dw.code);
    if (dw.statusCode >= 500) req.log.warn({ err, code: dw.code, req_id: req.id }, dw.message);
    return reply.code(errorCodes[dw.code].status).send(errorBody(dw));
  });

  app.setNotFoundHandler(function notFound(req: FastifyRequest, reply: FastifyReply) {
    const dw = new DwError('DW_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`);
    countRefusal('control', dw.code);
    return reply.code(dw.statusCode).send(errorBody(dw));
  });

  // Every answer names its request, so that a user can quote it and we can find the log line.
  app.addHook('onRequest', async function requestIdHeader(req, reply) {
    reply.header('x-request-id', req.id);
  });
}, { name: 'driftwatch-errors', global: true });

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses before any route runs (a URL or
 * headers over 16 KiB, a negative or doubled Content-Length, a request that never finished)
 * answered in our format too (on main: `{"error":"Bad Request","message":"Client Error"}`).
 */
export function clientErrorHandler(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const dw = err.code === 'HPE_HEADER_OVERFLOW' ? new DwError('DW_ERR_HEADERS_TOO_LARGE')
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? new DwError('DW_ERR_BODY_TOO_SLOW', 'the request did not arrive in time')
    : new DwError('DW_ERR_VALIDATION', 'the HTTP request is malformed');
  countRefusal('control', dw.code);
  const body = JSON.stringify(errorBody(dw));
  socket.end(`HTTP/1.1 ${dw.statusCode} ${STATUS_CODES[dw.statusCode] ?? ''}\r\ncontent-type: application/json; charset=utf-8\r\n` +
    `content-length: ${Buffer.byteLength(body)}\r\nx-content-type-options: nosniff\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`);
}
