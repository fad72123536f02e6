// Splunk HTTP Event Collector source, so that Splunk logging libraries, the OpenTelemetry
// Collector's splunk_hec exporter, and Vector's and Fluent Bit's Splunk outputs send to us unchanged.
//
//   POST /services/collector[/event[/1.0]]  JSON events ─┐ push.ts (credential: `Splunk <key>`,
//   POST /services/collector/raw[/1.0]      lines      ─┤ Bearer, Basic password, X-API-Key; the
//                                                        │ tenant's limits; Content-Encoding gzip ...)
//        ─► transforms/hec.ts (?host=&source=&sourcetype=&index=: defaults) ─► ctx.ingest()
//        ─► 200 {"text":"Success","code":0}
//   GET /services/collector/health[/1.0]  ─► {"text":"HEC is healthy","code":17}
//
// Refused events: HEC's 400 {"text", "code", "invalid-event-number": N} for the first (N counts
// from 0, as HEC's does), after storing the valid events (all of them: unlike Splunk, which stops
// at the bad one, the events after it are stored too; HEC clients do not resend a 400), with
// `accepted` and `rejected` ([{index, code, message}]) added. Other errors carry HEC's text and
// code (6 invalid data format, 5 no data, 4 invalid token, 9 server busy: 429/503 with
// Retry-After, 8 internal error) plus our {"error": {"code": "DW_ERR_...", "message"}}.
import type { HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { errorBody, type DwError } from '../../src/core/errors.js';
import { countRefusal } from '../../src/core/telemetry/index.js';
import { requestRefused } from './refusals.js';
import { hecDefaults, parseHecEvents, parseHecRaw, type HecDecoded } from '../transforms/hec.js';
import { retryAfterOf, send, type ResState, type SourceContext } from './common.js';
import { pushHandler } from './push.js';

const HEC_TEXT: Record<number, string> = {
  4: 'Invalid token', 5: 'No data', 6: 'Invalid data format', 8: 'Internal server error',
  9: 'Server is busy', 12: 'Event field is required', 13: 'Event field cannot be blank',
};

function hecCode(err: DwError): number {
  const own = err.details?.hecCode;
  if (typeof own === 'number') return own;
  const s = err.statusCode;
  return s === 401 || s === 403 ? 4 : s === 429 || s === 503 ? 9 : s >= 500 ? 8 : 6;
}

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  const code = hecCode(err);
  send(res, st, err.statusCode, JSON.stringify({ text: HEC_TEXT[code], code, ...errorBody(err) }), closeConnection, retryAfterOf(err));
}

function answer(res: HttpResponse, st: ResState, d: HecDecoded, accepted: number, close: boolean): void {
  if (d.rejected.length === 0) {
    send(res, st, 200, '{"text":"Success","code":0}', close);
    return;
  }
  const first = d.rejected[0].index;
  const code = d.hecCodes.get(first) ?? 6;
  countRefusal('engine', d.firstError!.code);
  send(res, st, 400, JSON.stringify({ text: HEC_TEXT[code], code, 'invalid-event-number': first, accepted, rejected: d.rejected }), close);
}

const HEALTHY = '{"text":"HEC is healthy","code":17}';

export function splunkHecSource(app: TemplatedApp, ctx: SourceContext): void {
  const handler = (raw: boolean): ReturnType<typeof pushHandler> => pushHandler(ctx, {
    keyPrefix: 'hec',
    fail: sendError,
    read: (req) => hecDefaults(req.getQuery() ?? ''),
    decode: (body, limits, receivedAt, defaults) => (raw ? parseHecRaw : parseHecEvents)(body, defaults, limits, receivedAt),
    answer: (res, st, decoded, stored, _req, close) => answer(res, st, decoded, stored.accepted, close),
  });
  const events = handler(false);
  const lines = handler(true);
  for (const path of ['/services/collector', '/services/collector/event', '/services/collector/event/1.0']) app.post(path, events);
  for (const path of ['/services/collector/raw', '/services/collector/raw/1.0']) app.post(path, lines);
  for (const path of ['/services/collector/health', '/services/collector/health/1.0']) {
    app.get(path, (res) => { res.writeStatus('200 OK').writeHeader('content-type', 'application/json').end(HEALTHY); });
  }
}
