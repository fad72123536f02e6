// HTTP source: GET /health and POST /api/v1/events/ingest on a uWebSockets.js app.
//
//   request ─► headers read synchronously ─► onAborted ─► body streamed (413 as soon as it
//   exceeds maxBodyBytes) ─► authenticate ─► decode ─► ctx.ingest() (durable) ─► {"accepted": n}
//
// uWS rules (STYLE.md §7): HttpRequest is only valid during the handler, so every header is
// read first; onAborted is attached before anything async; each onData chunk is copied before
// the callback returns; writes after an await are corked and skipped once aborted.
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { DwError, errorBody } from '../../src/errors.js';
import { bodyFormat, decodeBody, validateEvents } from '../transforms/decode.js';
import { statusLine, toDwError, type SourceContext } from './common.js';

const INGEST_PATH = '/api/v1/events/ingest';
const MAX_IDEMPOTENCY_KEY = 200;

interface ResState {
  aborted: boolean;
  done: boolean;
  /** Settles the request's entry in ctx.track() (answered or aborted). */
  finish: () => void;
}

function send(res: HttpResponse, st: ResState, status: number, body: string, closeConnection = false): void {
  if (st.aborted || st.done) return;
  st.done = true;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', 'application/json').end(body, closeConnection);
  });
  st.finish();
}

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  send(res, st, err.statusCode, JSON.stringify(errorBody(err)), closeConnection);
}

export function httpSource(app: TemplatedApp, ctx: SourceContext): void {
  const { log, limits, maxBodyBytes } = ctx;

  app.get('/health', (res) => {
    res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end('{"status":"ok"}');
  });

  app.post(INGEST_PATH, (res: HttpResponse, req: HttpRequest) => {
    const st: ResState = { aborted: false, done: false, finish: () => {} };
    res.onAborted(() => { st.aborted = true; st.finish(); });
    if (ctx.closing) {
      sendError(res, st, new DwError('DW_ERR_SHUTTING_DOWN'), true);
      return;
    }
    // In flight from its headers on: close() waits for it (within its grace period).
    void ctx.track(new Promise<void>((resolve) => { st.finish = resolve; }));
    const authorization = req.getHeader('authorization') || undefined;
    const contentType = req.getHeader('content-type');
    const idempotencyKey = req.getHeader('idempotency-key');
    const lengthHeader = req.getHeader('content-length');

    const format = bodyFormat(contentType);
    if (format === null) {
      sendError(res, st, new DwError('DW_ERR_UNSUPPORTED_MEDIA_TYPE', `use application/json, application/x-ndjson or application/msgpack, not ${JSON.stringify(contentType)}`), true);
      return;
    }
    if (idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
      sendError(res, st, new DwError('DW_ERR_VALIDATION', `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY} characters`), true);
      return;
    }
    const declared = lengthHeader === '' ? -1 : Number(lengthHeader);
    if (declared > maxBodyBytes) {
      sendError(res, st, new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the body is ${declared} bytes, at most ${maxBodyBytes}`), true);
      return;
    }
    // Authentication runs while the body streams in; its failure is answered once the body is read.
    const principal = ctx.authenticate(authorization);
    principal.catch(() => {});

    // One copy per chunk: into a buffer of the declared length, or into a list when it is unknown.
    const whole = declared >= 0 ? Buffer.allocUnsafe(declared) : undefined;
    const chunks: Buffer[] = [];
    let received = 0;
    res.onData((chunk: ArrayBuffer, isLast: boolean) => {
      if (st.done || st.aborted) return;
      const n = chunk.byteLength;
      if (received + n > maxBodyBytes || (whole !== undefined && received + n > whole.length)) {
        sendError(res, st, new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the body exceeds ${maxBodyBytes} bytes`), true);
        return;
      }
      if (whole !== undefined) whole.set(new Uint8Array(chunk), received);
      else chunks.push(Buffer.from(new Uint8Array(chunk)));
      received += n;
      if (!isLast) return;
      const body = whole !== undefined ? whole.subarray(0, received) : Buffer.concat(chunks, received);
      void handle(body);
    });

    async function handle(body: Buffer): Promise<void> {
      try {
        const p = await principal;
        const raw = decodeBody(body, format!, limits);
        const records = validateEvents(raw, limits);
        const result = await ctx.ingest(p.tenantId, records, body.length, idempotencyKey === '' ? undefined : `http:${idempotencyKey}`);
        send(res, st, 200, result.duplicate ? `{"accepted":${result.accepted},"duplicate":true}` : `{"accepted":${result.accepted}}`, ctx.closing);
      } catch (err) {
        sendError(res, st, toDwError(err, log), ctx.closing);
      }
    }
  });

  app.get(INGEST_PATH, (res) => {
    res.writeStatus(statusLine(405)).writeHeader('allow', 'POST').writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ error: { code: 'DW_ERR_METHOD_NOT_ALLOWED', message: 'Method not allowed: use POST' } }));
  });

  app.any('/*', (res) => {
    res.writeStatus(statusLine(404)).writeHeader('content-type', 'application/json')
      .end(JSON.stringify({ error: { code: 'DW_ERR_NOT_FOUND', message: 'Not found' } }));
  });
}
