// The engine's endpoints in the control API's OpenAPI document (plugins/openapi.ts): the engine
// is another server (ENGINE_PORT, uWebSockets.js, no route schemas to collect), so its operations
// are written here as data, each path with `servers` set to the engine. Data only: the control
// API never imports the engine (test/internals/layers); test/engine/openapi-engine.test.ts checks
// that each path documented here is answered by a running engine (not 404).
//
//   ENGINE_OPERATIONS: native ingest (HTTP, WebSocket), OTLP/HTTP logs, metrics, traces
//   PUSH_API_OPERATIONS: Loki, Elasticsearch bulk (and its handshake), Splunk HEC

export const ENGINE_TAG = { name: 'ingest', description: 'The engine (ingest server, ENGINE_PORT): native events over HTTP and WebSocket, OTLP/HTTP logs, metrics and traces' };
export const PUSH_API_TAG = { name: 'push-apis', description: 'The engine\'s standard push APIs: Loki, Elasticsearch bulk, Splunk HEC' };

type Schema = Record<string, unknown>;
export interface EngineOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly Schema[];
  readonly requestBody?: Schema;
  readonly responses: Record<string, Schema>;
}
export type EnginePaths = Readonly<Record<string, Readonly<Record<string, EngineOperation>>>>;

const event = {
  type: 'object',
  description: 'An event; shippers\' own fields are mapped (message/msg/log/body → data, @timestamp/time/ts/date → timestamp, the rest → metadata)',
  properties: {
    timestamp: { description: 'RFC 3339 / ISO 8601, or epoch s / ms / µs / ns; absent: the receive time' },
    stream_type: { type: 'string', enum: ['logs', 'metrics', 'traces', 'llm'] },
    stream: { type: 'string', maxLength: 256 },
    data: { description: 'text, a number (metrics) or any JSON value' },
    metadata: { type: 'object', additionalProperties: true },
  },
  additionalProperties: true,
};
const rejection = { type: 'object', properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } }, required: ['index', 'code', 'message'] };
const ingestAnswer = {
  type: 'object',
  properties: { accepted: { type: 'integer' }, rejected: { type: 'array', items: rejection }, duplicate: { type: 'boolean' } },
  required: ['accepted'],
};
const idempotencyKey = { name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 200 }, description: 'A resend with the same key gets the same answer and stores nothing twice' };
const contentEncoding = { name: 'Content-Encoding', in: 'header', required: false, schema: { type: 'string', enum: ['gzip', 'deflate', 'br', 'identity'] }, description: 'The tenant\'s body limit applies to the decompressed size' };

/** An OTLP/HTTP export operation: protobuf or JSON, answered with partial success. */
function otlp(signal: 'Logs' | 'Metrics' | 'Trace', rejectedField: string, what: string): EngineOperation {
  return {
    operationId: `otlpExport${signal}`,
    summary: `OTLP/HTTP ${signal.toLowerCase()} (an Export${signal}ServiceRequest)`,
    description: what,
    tags: [ENGINE_TAG.name],
    parameters: [contentEncoding, idempotencyKey],
    requestBody: {
      required: true,
      content: {
        'application/x-protobuf': { schema: { type: 'string', format: 'binary' } },
        'application/json': { schema: { type: 'object', description: 'OTLP/JSON encoding', additionalProperties: true } },
      },
    },
    responses: {
      200: {
        description: 'Stored; some items may be refused one by one (partialSuccess). A protobuf request gets the protobuf Export*ServiceResponse',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: { partialSuccess: { type: 'object', properties: { [rejectedField]: { type: 'string', description: 'int64 as a string' }, errorMessage: { type: 'string' } } } },
            },
          },
        },
      },
    },
  };
}

export const ENGINE_OPERATIONS: EnginePaths = {
  '/api/v1/events/ingest': {
    post: {
      operationId: 'ingestEvents',
      summary: 'Send a batch of events',
      description: 'Each event is judged on its own: the valid ones are stored, each invalid one is named in `rejected`. 400 only when nothing is valid; `?atomic=true` stores all or nothing. A quota or rate refusal (429) is whole.',
      tags: [ENGINE_TAG.name],
      parameters: [
        { name: 'atomic', in: 'query', required: false, schema: { type: 'boolean' }, description: 'All or nothing' },
        contentEncoding, idempotencyKey,
      ],
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'array', items: event } },
          'application/x-ndjson': { schema: { type: 'string', description: 'one event per line' } },
          'application/msgpack': { schema: { type: 'string', format: 'binary', description: 'a msgpack array of events' } },
        },
      },
      responses: { 200: { description: 'Stored (durable)', content: { 'application/json': { schema: ingestAnswer } } } },
    },
  },
  '/api/v1/stream': {
    get: {
      operationId: 'streamEvents',
      summary: 'WebSocket: send frames of events, each acknowledged once stored',
      description: 'Upgrade to a WebSocket. Frames `{"seq": n, "events": [...]}` (msgpack binary or JSON text) are answered `{"ack": n}` (with `rejected` when some events were refused) or `{"nack": n, "error"}` (nothing stored: resend). `?token=` for clients that cannot set headers; `?client_id=` makes resends idempotent.',
      tags: [ENGINE_TAG.name],
      parameters: [
        { name: 'token', in: 'query', required: false, schema: { type: 'string' }, description: 'The credential, for clients that cannot set headers' },
        { name: 'client_id', in: 'query', required: false, schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' } },
      ],
      responses: { 101: { description: 'Switching Protocols: the WebSocket is open' } },
    },
  },
  '/v1/logs': {
    post: otlp('Logs', 'rejectedLogRecords', 'Log records: `service.name` (or `driftwatch.stream`) is the stream; body is data; attributes, severity and trace ids are metadata.'),
  },
  '/v1/metrics': {
    post: otlp('Metrics', 'rejectedDataPoints', 'One metrics stream per metric name and attribute set; gauges and delta sums as values, cumulative sums as deltas, histograms as count and mean; one event per stored point.'),
  },
  '/v1/traces': {
    post: otlp('Trace', 'rejectedSpans', 'Per service and span name a stream of durations (ms); error statuses and span events as text in the service\'s logs stream.'),
  },
};

const push = (operationId: string, summary: string, description: string, extra: Partial<EngineOperation> = {}): EngineOperation =>
  ({ operationId, summary, description, tags: [PUSH_API_TAG.name], responses: { 200: { description: 'Stored, answered as the protocol does' } }, ...extra });
const anyBody = (types: readonly string[]): Schema => ({ required: true, content: Object.fromEntries(types.map((t) => [t, { schema: { type: 'string' } }])) });
const indexParam = { name: 'index', in: 'path', required: true, schema: { type: 'string' }, description: 'The index; less a trailing date, the stream' };
const ES_BULK = 'Elasticsearch bulk (NDJSON action and source lines): `index` and `create` stored, `update`/`delete` refused per item; Elasticsearch\'s answer with a status per item and `errors`.';
const esBulk = (id: string, index: boolean): EngineOperation => push(id, 'Elasticsearch bulk', ES_BULK, {
  requestBody: anyBody(['application/x-ndjson', 'application/json']), ...(index ? { parameters: [indexParam] } : {}),
});
const HEC_EVENT = 'Splunk HEC events (`Authorization: Splunk <key>`): concatenated JSON events (`event`, `time` in seconds, `host`, `source`, `sourcetype`, `fields`); the stream is `source`, else `sourcetype`. `{"text":"Success","code":0}`, or HEC\'s 400 with `invalid-event-number` after storing the valid events.';
const HEC_RAW = 'Splunk HEC raw lines, one event each.';

/**
 * Loki push, Elasticsearch bulk (and the calls its clients make first), Splunk HEC: the push
 * APIs (engine/sources/loki.ts, elasticsearch.ts, splunk-hec.ts). Checked against a running
 * engine like the ones above.
 */
export const PUSH_API_OPERATIONS: EnginePaths = {
  '/loki/api/v1/push': {
    post: push('lokiPush', 'Loki push (JSON, or protobuf + snappy)',
      'The labels minus LOKI_IGNORED_LABELS, sorted, are the stream; labels and structured metadata are metadata. 204, or Loki\'s 400 (text/plain) after storing the good entries.',
      { requestBody: anyBody(['application/json', 'application/x-protobuf']), responses: { 204: { description: 'Stored' } } }),
  },
  '/_bulk': { post: esBulk('esBulk', false), put: esBulk('esBulkPut', false) },
  '/{index}/_bulk': { post: esBulk('esIndexBulk', true), put: esBulk('esIndexBulkPut', true) },
  '/': { get: push('esInfo', 'Elasticsearch product handshake', 'What the official Elasticsearch clients check first (`X-Elastic-Product: Elasticsearch`, version 8.17.0).') },
  '/_cluster/health': { get: push('esClusterHealth', 'Elasticsearch cluster health (for shippers that check it)', 'Always green.') },
  '/_license': { get: push('esLicense', 'Elasticsearch license (for shippers that check it)', 'A basic license.') },
  '/services/collector': { post: push('hecCollector', 'Splunk HEC events', HEC_EVENT, { requestBody: anyBody(['application/json']) }) },
  '/services/collector/event': { post: push('hecEvent', 'Splunk HEC events', HEC_EVENT, { requestBody: anyBody(['application/json']) }) },
  '/services/collector/event/1.0': { post: push('hecEventV1', 'Splunk HEC events', HEC_EVENT, { requestBody: anyBody(['application/json']) }) },
  '/services/collector/raw': { post: push('hecRaw', 'Splunk HEC raw lines', HEC_RAW, { requestBody: anyBody(['text/plain']) }) },
  '/services/collector/raw/1.0': { post: push('hecRawV1', 'Splunk HEC raw lines', HEC_RAW, { requestBody: anyBody(['text/plain']) }) },
  '/services/collector/health': { get: push('hecHealth', 'Splunk HEC health', 'HEC\'s health answer.') },
};
