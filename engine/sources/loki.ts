// Loki push source: POST /loki/api/v1/push, so that Promtail, Grafana Alloy, the Loki sinks of
// Vector and Fluent Bit, and Loki client libraries send to us unchanged.
//
//   request ─► push.ts (credential: Basic password, Bearer, X-API-Key; the tenant's limits;
//     Content-Encoding gzip/deflate/br; `snappy` means the protobuf body's own compression)
//     ─► Content-Type application/json: transforms/loki.ts parseLokiJson
//        anything else (application/x-protobuf, or none, as Loki reads it): transforms/loki-proto.ts
//     ─► lokiToEvents (labels ─► stream key and metadata) ─► ctx.ingest() ─► 204, as Loki answers
//
// As Loki does, entries that cannot be stored are answered with a 400 whose text names them,
// after the good entries of the same request were stored (Loki's clients do not resend a 400,
// so nothing is stored twice). Errors are text/plain, `DW_ERR_...: message`, as Loki's are
// plain text; 429 and 503 carry Retry-After, which Promtail and Alloy honour.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import type { DwError } from '../../src/core/errors.js';
import { countRefusal } from '../../src/core/telemetry/index.js';
import { requestRefused } from './refusals.js';
import { lokiRejectionText, lokiToEvents, parseLokiJson } from '../transforms/loki.js';
import { parseLokiProtobuf } from '../transforms/loki-proto.js';
import { retryAfterOf, send, type ResState, type SourceContext } from './common.js';
import { pushHandler } from './push.js';

export const LOKI_PUSH_PATH = '/loki/api/v1/push';

export interface LokiOptions {
  /** Labels left out of the stream key (LOKI_IGNORED_LABELS, parsed by transforms/loki.ts ignoredLabels). */
  readonly ignoredLabels: ReadonlySet<string>;
}

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  send(res, st, err.statusCode, `${err.code}: ${err.message}\n`, closeConnection, retryAfterOf(err), 'text/plain; charset=utf-8');
}

export function lokiSource(app: TemplatedApp, ctx: SourceContext, opts: LokiOptions): void {
  app.post(LOKI_PUSH_PATH, pushHandler(ctx, {
    keyPrefix: 'loki',
    fail: sendError,
    passEncoding: 'snappy',
    read: (req) => ({ json: req.getHeader('content-type').split(';', 1)[0].trim().toLowerCase() === 'application/json' }),
    decode(body, limits, receivedAt, own) {
      const streams = own.json ? parseLokiJson(body, limits) : parseLokiProtobuf(body, limits);
      return lokiToEvents(streams, opts.ignoredLabels, limits, receivedAt);
    },
    answer(res, st, decoded, stored, _req, close) {
      if (decoded.rejected.length === 0) {
        send(res, st, 204, '', close);
        return;
      }
      const total = decoded.records.length + decoded.rejected.length;
      const first = decoded.firstError!;
      countRefusal('engine', first.code);
      send(res, st, 400, `${first.code}: ${lokiRejectionText(decoded.rejected, total)}${stored.duplicate ? ' (a resend: stored before)' : ''}\n`, close, undefined, 'text/plain; charset=utf-8');
    },
  }));
}
