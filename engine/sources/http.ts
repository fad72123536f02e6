// HTTP source: GET /health and POST /api/v1/events/ingest on a uWebSockets.js app.
//
//   request ─► headers read synchronously ─► onAborted ─► body streamed while authenticating
//     (401/403 decided at once) ─► the tenant's own body limit (413) and its
//     share of the engine's body budget (503; body.ts) ─► a tenant over its share of the CPU waits
//     while it has its few batches in flight (transforms/turns.ts enter) ─► Content-Encoding (encoding.ts; gzip,
//     deflate, br: the decompressed size capped at the tenant's body limit) ─► decode within the
//     tenant's batch limit (counted before decoding: 413) ─► ctx.ingest() (durable)
//     ─► {"accepted": n, "rejected": [...]}
//   a refusal before the body ended is written once it ended (the rest dropped: discard.ts)
//
// uWS rules (STYLE.md §7): HttpRequest is only valid during the handler, so every header is
// read first; onAborted is attached before anything async; each onData chunk is copied before
// the callback returns; writes after an await are corked and skipped once aborted.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { DwError, errorBody } from '../../src/core/errors.js';
import { bodyFormat, decodeBody, validateEach, type Rejection } from '../transforms/decode.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { acceptBody, clientAddress } from './body.js';
import { asTenantLimit, beginRequest, retryAfterOf, send, statusLine, ingestError, type ResState, type SourceContext, type TenantLimits } from './common.js';
import { eventsRejected, requestRefused } from './refusals.js';
import { credentialOf } from './credentials.js';
import { contentEncoding, decompress, unsupportedEncoding } from './encoding.js';
import { scanMsgpackBodyHead } from '../transforms/prescan.js';

const INGEST_PATH = '/api/v1/events/ingest';
// Answers to a wrong method or path: the registry's templates (src/core/errors.ts), built once.
const METHOD_NOT_ALLOWED = JSON.stringify(errorBody(new DwError('DW_ERR_METHOD_NOT_ALLOWED', 'use POST')));
const NOT_FOUND = JSON.stringify(errorBody(new DwError('DW_ERR_NOT_FOUND')));

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  send(res, st, err.statusCode, JSON.stringify(errorBody(err)), closeConnection, retryAfterOf(err));
}

/** The 200 answer: `rejected` only when some event was refused, `duplicate` on an Idempotency-Key resend. */
function answer(accepted: number, rejected: readonly Rejection[], duplicate: boolean): string {
  return `{"accepted":${accepted}` + (rejected.length > 0 ? `,"rejected":${JSON.stringify(rejected)}` : '') + (duplicate ? ',"duplicate":true}' : '}');
}

/** The first refusal, its details carrying every rejected event. */
function withRejected(first: DwError, rejected: readonly Rejection[]): DwError {
  return Object.assign(first, { details: { ...first.details, rejected } });
}

export function httpSource(app: TemplatedApp, ctx: SourceContext): void {
  const { log } = ctx;

  app.get('/health', (res) => {
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end('{"status":"ok"}');
  });

  app.post(INGEST_PATH, (res: HttpResponse, req: HttpRequest) => {
    const begun = beginRequest(res, req, ctx, sendError, INGEST_PATH);
    if (begun === undefined) return;
    const st = begun;
    const authorization = credentialOf(req);
    const contentType = req.getHeader('content-type');
    const idempotencyKey = req.getHeader('idempotency-key');
    const lengthHeader = req.getHeader('content-length');
    const encodingHeader = req.getHeader('content-encoding');
    const encoding = contentEncoding(encodingHeader);
    const atomic = /(?:^|&)atomic=(?:true|1)(?:&|$)/.test(req.getQuery() ?? '');
    const client = clientAddress(res, req, ctx.trustProxy ?? false);

    const format = bodyFormat(contentType);
    if (format === null) {
      sendError(res, st, new DwError('DW_ERR_UNSUPPORTED_MEDIA_TYPE', `use application/json, application/x-ndjson or application/msgpack, not ${JSON.stringify(contentType)}`), true);
      return;
    }
    if (encoding === null) {
      sendError(res, st, unsupportedEncoding(encodingHeader), true);
      return;
    }
    // Decompressed only after the credential was accepted, capped at the tenant's own body limit.
    acceptBody(res, st, ctx, sendError, { authorization, idempotencyKey, contentLength: lengthHeader, client }, (body, p, limits) => { void handle(body, p, limits); },
      // A msgpack array's length is in its first bytes: a body of too many events is refused before the rest arrives.
      format === 'msgpack' && encoding === 'identity' ? (head, limits) => {
        try { scanMsgpackBodyHead(head, limits); } catch (err) { throw asTenantLimit(err, limits); }
      } : undefined);

    async function handle(received: Buffer, p: Principal, limits: TenantLimits): Promise<void> {
      let leave: (() => void) | undefined;
      try {
        // A tenant over its share, with its few batches in flight, waits here (authenticated, within its limits, undecoded).
        leave = await ctx.enter(p.tenantId);
        if (st.aborted) return;
        const body = await decompress(received, encoding!, limits.maxBodyBytes);
        await ctx.turn(p.tenantId, body.length);
        if (st.aborted) return;
        const raw = decodeBody(body, format!, limits);
        const { records, rejected, firstError } = validateEach(raw, limits, Date.now());
        eventsRejected(st, rejected);
        // All or nothing with ?atomic=true, and a 400 when nothing in the body is valid.
        if (firstError !== undefined && (atomic || records.length === 0)) throw withRejected(firstError, rejected);
        const result = await ctx.ingest(p.tenantId, records, body.length, idempotencyKey === '' ? undefined : `http:${idempotencyKey}`);
        send(res, st, 200, answer(result.accepted, rejected, result.duplicate), ctx.closing);
      } catch (err) {
        sendError(res, st, ingestError(asTenantLimit(err, limits), log), ctx.closing);
      } finally {
        leave?.();
      }
    }
  });

  app.get(INGEST_PATH, (res) => {
    res.writeStatus(statusLine(405)).writeHeader('allow', 'POST').writeHeader('content-type', 'application/json').end(METHOD_NOT_ALLOWED);
  });

  app.any('/*', (res) => {
    res.writeStatus(statusLine(404)).writeHeader('content-type', 'application/json').end(NOT_FOUND);
  });
}
