// Elasticsearch source: the bulk API and the calls around it that shippers and the official
// clients make, so that Filebeat, Logstash, Vector, Fluent Bit and @elastic/elasticsearch send to
// us with their Elasticsearch output unchanged (docs/sending-data.md lists what to switch off:
// templates, ILM, data streams).
//
//   POST|PUT /_bulk, /{index}/_bulk ─► push.ts (credential: ApiKey, Basic password, Bearer,
//     X-API-Key; the tenant's limits; Content-Encoding) ─► transforms/es-bulk.ts ─► ctx.ingest()
//     ─► 200 {"took", "errors", "items": [{"<action>": {"_index", "_id", "status": 201 | 400, "error"?}}]}
//   GET|HEAD /             the product handshake: a version body and `X-Elastic-Product: Elasticsearch`
//   GET /_cluster/health   green (Vector's health check)
//   GET /_license          an active basic licence (Logstash's licence check)
// The GET routes authenticate when a credential is sent (401/403 as for the bulk), and answer
// without one (they reveal no tenant data). Every answer carries the product header, which the
// official clients check on each 2xx answer. Errors of the whole request are Elasticsearch's
// shape, {"error": {"type", "reason", "code": "DW_ERR_..."}, "status"}; a refused item says why
// in its own `error`, with our code in `error.code`.
import { randomBytes } from 'node:crypto';
import type { HttpRequest, HttpResponse, TemplatedApp } from 'uWebSockets.js';
import { DwError } from '../../src/core/errors.js';
import { requestRefused } from './refusals.js';
import type { Rejection } from '../transforms/decode.js';
import { parseBulk, type BulkDecoded } from '../transforms/es-bulk.js';
import { beginRequest, ingestError, retryAfterOf, send, type ResState, type SourceContext } from './common.js';
import { credentialOf } from './credentials.js';
import { pushHandler } from './push.js';

/** The version the handshake reports: the 8.x line, which Beats, Logstash and Vector 8 speak. */
export const ES_VERSION = '8.17.0';
const PRODUCT = { 'x-elastic-product': 'Elasticsearch' } as const;

const ROOT = JSON.stringify({
  name: 'driftwatch', cluster_name: 'driftwatch', cluster_uuid: 'driftwatch',
  version: {
    number: ES_VERSION, build_flavor: 'default', build_type: 'driftwatch', lucene_version: '9.12.0',
    minimum_wire_compatibility_version: '7.17.0', minimum_index_compatibility_version: '7.0.0',
  },
  tagline: 'You Know, for Search',
});
const HEALTH = JSON.stringify({ cluster_name: 'driftwatch', status: 'green', timed_out: false, number_of_nodes: 1, number_of_data_nodes: 1 });
const LICENSE = JSON.stringify({ license: { status: 'active', uid: 'driftwatch', type: 'basic', mode: 'basic' } });

/** Elasticsearch's error type for a status or code. */
function errorType(code: string, status: number): string {
  if (code === 'DW_ERR_UNSUPPORTED_ACTION') return 'illegal_argument_exception';
  if (code === 'DW_ERR_INVALID_EVENT' || code === 'DW_ERR_INVALID_TIMESTAMP') return 'document_parsing_exception';
  if (status === 401 || status === 403) return 'security_exception';
  if (status === 413) return 'content_too_long_exception';
  if (status === 429) return 'es_rejected_execution_exception';
  if (status >= 500) return 'status_exception';
  return 'parse_exception';
}

function sendError(res: HttpResponse, st: ResState, err: DwError, closeConnection = false): void {
  requestRefused(st, err);
  const type = errorType(err.code, err.statusCode);
  const cause = { type, reason: `${err.code}: ${err.message}` };
  const body = { error: { root_cause: [cause], ...cause, code: err.code, ...(err.details ? { details: err.details } : {}) }, status: err.statusCode };
  send(res, st, err.statusCode, JSON.stringify(body), closeConnection, retryAfterOf(err), 'application/json', PRODUCT);
}

/** 20 characters like Elasticsearch's generated ids. */
const newId = (): string => randomBytes(15).toString('base64url');

function item(action: string, index: string | undefined, r: Rejection | undefined): string {
  const _index = JSON.stringify(index ?? null);
  if (r === undefined) {
    return `{"${action}":{"_index":${_index},"_id":"${newId()}","_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}`;
  }
  const error = { type: errorType(r.code, 400), reason: r.message, code: r.code };
  return `{"${action}":{"_index":${_index},"_id":null,"status":400,"error":${JSON.stringify(error)}}}`;
}

function bulkAnswer(d: BulkDecoded, took: number): string {
  const byIndex = new Map(d.rejected.map((r) => [r.index, r]));
  const items = d.items.map((it, i) => item(it.action, it.index, byIndex.get(i)));
  return `{"took":${took},"errors":${d.rejected.length > 0},"items":[${items.join(',')}]}`;
}

/** A GET answered with a fixed body; a credential, when sent, must be valid. */
function info(app: TemplatedApp, ctx: SourceContext, path: string, body: string): void {
  app.get(path, (res: HttpResponse, req: HttpRequest) => {
    const begun = beginRequest(res, req, ctx, sendError);
    if (begun === undefined) return;
    const authorization = credentialOf(req);
    if (authorization === undefined) {
      send(res, begun, 200, body, false, undefined, 'application/json', PRODUCT);
      return;
    }
    ctx.authenticate(authorization).then(
      () => send(res, begun, 200, body, false, undefined, 'application/json', PRODUCT),
      (err: unknown) => sendError(res, begun, ingestError(err, ctx.log)),
    );
  });
}

export function elasticsearchSource(app: TemplatedApp, ctx: SourceContext): void {
  const bulk = pushHandler(ctx, {
    keyPrefix: 'es',
    fail: sendError,
    read(req: HttpRequest) {
      const m = /^\/([^/]+)\/_bulk\/?$/.exec(req.getUrl());
      let index: string | undefined;
      try {
        index = m === null ? undefined : decodeURIComponent(m[1]);
      } catch {
        index = '_';
      }
      if (index !== undefined && index.startsWith('_')) return new DwError('DW_ERR_VALIDATION', `${JSON.stringify(m![1])} is not an index name`);
      return { index, start: Date.now() };
    },
    decode: (body, limits, receivedAt, own) => parseBulk(body, own.index, limits, receivedAt),
    answer(res, st, decoded, _stored, req, close) {
      send(res, st, 200, bulkAnswer(decoded, Date.now() - req.own.start), close, undefined, 'application/json', PRODUCT);
    },
  });
  for (const path of ['/_bulk', '/:index/_bulk']) {
    app.post(path, bulk);
    app.put(path, bulk);
  }
  info(app, ctx, '/', ROOT);
  info(app, ctx, '/_cluster/health', HEALTH);
  info(app, ctx, '/_license', LICENSE);
  app.head('/', (res) => {
    res.writeStatus('200 OK').writeHeader('x-elastic-product', 'Elasticsearch').writeHeader('content-type', 'application/json').endWithoutBody();
  });
}
