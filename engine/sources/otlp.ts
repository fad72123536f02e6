// OTLP source: POST /v1/logs, /v1/metrics and /v1/traces (OTLP/HTTP, protobuf or JSON encoding)
// on a uWebSockets.js app, so that the OpenTelemetry SDK and Collector exporters (otlphttp, either
// encoding) send all three signals to us unchanged, from one OTEL_EXPORTER_OTLP_ENDPOINT.
//
//   request ─► headers read synchronously ─► onAborted ─► content type (protobuf, JSON, else 415)
//     ─► body streamed while authenticating (Bearer, `ingest` scope; 401/403 decided at once,
//     answered once the body ended: discard.ts) ─► the tenant's body limit (413) and share of the body budget (503; body.ts)
//     ─► the in-flight cap of a tenant over its share (transforms/turns.ts enter; waits undecoded)
//     ─► Content-Encoding: gzip, deflate, br (encoding.ts) ─► decompressed, output capped at the
//     tenant's body limit (413: a zip bomb stops there)
//     ─► protobuf ─► the JSON object shape (transforms/otlp-proto.ts, otlp-signals-proto.ts)
//     ─► the signal's mapping (SIGNALS: transforms/otlp.ts, otlp-metrics.ts, otlp-traces.ts)
//     ─► ctx.ingest() (durable: the same group-commit sink and scorer as /api/v1/events/ingest)
//     ─► metrics: the cumulative state committed (transforms/otlp-cumulative.ts; one per engine)
//     ─► 200 {"partialSuccess": {"rejectedLogRecords" | "rejectedDataPoints" | "rejectedSpans", "errorMessage"}}
//
// Answers use the request's encoding: a protobuf request gets an Export*ServiceResponse, or a
// google.rpc.Status on error (its message starts with our DW_ERR_... code); a JSON one gets
// {"partialSuccess"} or OTLP's Status shape ({"code": <gRPC code>, "message"}) plus our own
// {"error": {"code": "DW_ERR_...", "message"}}. 429 and 503 carry Retry-After, which the
// exporters honour. uWS rules (STYLE.md §7) as in http.ts.
import { createHash } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { DwError, errorBody } from '../../src/core/errors.js';
import { otlpLogsToEvents, parseOtlpJson } from '../transforms/otlp.js';
import { encodeExportLogsResponse, encodeStatus, parseOtlpProtobuf } from '../transforms/otlp-proto.js';
import { CumulativeState } from '../transforms/otlp-cumulative.js';
import { otlpMetricsToEvents, type OtlpSignalResult } from '../transforms/otlp-metrics.js';
import { parseOtlpMetricsProtobuf, parseOtlpTracesProtobuf } from '../transforms/otlp-signals-proto.js';
import { otlpTracesToEvents } from '../transforms/otlp-traces.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { acceptBody, clientAddress } from './body.js';
import { asTenantLimit, beginRequest, retryAfterOf, send, ingestError, type ResState, type SourceContext, type TenantLimits } from './common.js';
import { rejectedByCode, requestRefused } from './refusals.js';
import { credentialOf } from './credentials.js';
import { contentEncoding, decompress, unsupportedEncoding } from './encoding.js';

export const OTLP_LOGS_PATH = '/v1/logs';
export const OTLP_METRICS_PATH = '/v1/metrics';
export const OTLP_TRACES_PATH = '/v1/traces';

// google.rpc.Code for each HTTP status we answer with.
const GRPC_CODE: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 5, 413: 3, 415: 3, 429: 8, 500: 13, 503: 14 };

const PROTOBUF = 'application/x-protobuf';

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  const body = { code: GRPC_CODE[err.statusCode] ?? 2, message: err.message, ...errorBody(err) };
  send(res, st, err.statusCode, JSON.stringify(body), closeConnection, retryAfterOf(err));
}

function sendProtoError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  const body = encodeStatus(GRPC_CODE[err.statusCode] ?? 2, `${err.code}: ${err.message}`);
  send(res, st, err.statusCode, body, closeConnection, retryAfterOf(err), PROTOBUF);
}

/** A signal's mapping of one request, and what to do once its records are durable. */
interface Mapped extends OtlpSignalResult {
  committed?: () => void;
}

/** One OTLP signal: its path, protobuf reader, mapping and partial-success field. */
interface Signal {
  readonly path: string;
  readonly parseProtobuf: (body: Uint8Array, maxRecords: number) => unknown;
  readonly map: (req: unknown, receivedAt: number, limits: TenantLimits, tenantId: string) => Mapped;
  /** partialSuccess's count field in OTLP/JSON (the protobuf field is number 1 for every signal). */
  readonly rejectedField: 'rejectedLogRecords' | 'rejectedDataPoints' | 'rejectedSpans';
}

/** The three signals; metrics keep one cumulative state per engine (its bound: otlp-cumulative.ts). */
export function otlpSignals(cumulative: CumulativeState): readonly Signal[] {
  return [
    { path: OTLP_LOGS_PATH, parseProtobuf: parseOtlpProtobuf, map: otlpLogsToEvents, rejectedField: 'rejectedLogRecords' },
    {
      path: OTLP_METRICS_PATH, parseProtobuf: parseOtlpMetricsProtobuf, rejectedField: 'rejectedDataPoints',
      map(req, receivedAt, limits, tenantId) {
        const view = { startedAtMs: cumulative.startedAtMs, previous: (key: string) => cumulative.get(tenantId, key) };
        const m = otlpMetricsToEvents(req, receivedAt, limits, view);
        return { ...m, committed: () => cumulative.commit(tenantId, m.updates) };
      },
    },
    { path: OTLP_TRACES_PATH, parseProtobuf: parseOtlpTracesProtobuf, map: (req, _at, limits) => otlpTracesToEvents(req, limits), rejectedField: 'rejectedSpans' },
  ];
}

export function otlpSource(app: TemplatedApp, ctx: SourceContext, cumulative = new CumulativeState(Date.now())): void {
  for (const signal of otlpSignals(cumulative)) otlpRoute(app, ctx, signal);
}

function otlpRoute(app: TemplatedApp, ctx: SourceContext, signal: Signal): void {
  const { log } = ctx;

  app.post(signal.path, (res: HttpResponse, req: HttpRequest) => {
    const contentType = req.getHeader('content-type').split(';', 1)[0].trim().toLowerCase();
    const proto = contentType === PROTOBUF || contentType === 'application/protobuf';
    const fail = proto ? sendProtoError : sendError;
    const begun = beginRequest(res, req, ctx, fail, signal.path);
    if (begun === undefined) return;
    const st = begun;
    const authorization = credentialOf(req);
    const encodingHeader = req.getHeader('content-encoding');
    const encoding = contentEncoding(encodingHeader);
    const idempotencyKey = req.getHeader('idempotency-key');
    const lengthHeader = req.getHeader('content-length');
    const client = clientAddress(res, req, ctx.trustProxy ?? false);

    if (!proto && contentType !== 'application/json' && contentType !== '') {
      sendError(res, st, new DwError('DW_ERR_UNSUPPORTED_MEDIA_TYPE', `use application/x-protobuf or application/json (OTLP/HTTP), not ${JSON.stringify(contentType)}`), true);
      return;
    }
    if (encoding === null) {
      fail(res, st, unsupportedEncoding(encodingHeader), true);
      return;
    }
    // The body is decompressed only after the credential was accepted (acceptBody).
    acceptBody(res, st, ctx, fail, { authorization, idempotencyKey, contentLength: lengthHeader, client }, (body, p, limits) => { void handle(body, p, limits, Date.now()); });

    async function handle(raw: Buffer, p: Principal, limits: TenantLimits, receivedAt: number): Promise<void> {
      let leave: (() => void) | undefined;
      try {
        // A tenant over its share, with its few batches in flight, waits here (authenticated, within its limits, undecoded).
        leave = await ctx.enter(p.tenantId);
        if (st.aborted) return;
        const body = await decompress(raw, encoding!, limits.maxBodyBytes);
        await ctx.turn(p.tenantId, body.length);
        if (st.aborted) return;
        const mapped = signal.map(proto ? signal.parseProtobuf(body, limits.maxBatchEvents) : parseOtlpJson(body), receivedAt, limits, p.tenantId);
        // OTLP answers with the first reason only; the log names it for each code.
        for (const [code, n] of mapped.rejectedCodes) rejectedByCode(st, code, n, mapped.errorMessage);
        // Logs keep the key space they had before metrics and traces came (`otlp:<key>`).
        const key = idempotencyKey === '' ? undefined : `${signal.path === OTLP_LOGS_PATH ? 'otlp' : `otlp${signal.path}`}:${idempotencyKey}`;
        // A resend is compared by its body: records without a time take the receive time, so
        // their stored rows differ from one send to the next.
        const fingerprint = key === undefined ? undefined : createHash('sha256').update(body).digest('hex');
        const result = await ctx.ingest(p.tenantId, mapped.records, body.length, key, fingerprint);
        if (!result.duplicate) mapped.committed?.();
        if (proto) {
          send(res, st, 200, encodeExportLogsResponse(mapped.rejected, mapped.errorMessage), ctx.closing, undefined, PROTOBUF);
          return;
        }
        const partial = mapped.rejected === 0 ? '{}'
          : JSON.stringify({ [signal.rejectedField]: String(mapped.rejected), errorMessage: mapped.errorMessage });
        send(res, st, 200, `{"partialSuccess":${partial}}`, ctx.closing);
      } catch (err) {
        fail(res, st, ingestError(asTenantLimit(err, limits), log), ctx.closing);
      } finally {
        leave?.();
      }
    }
  });
}
