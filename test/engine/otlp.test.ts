import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyValueToJson, nanosToMs, otlpLogsToEvents } from '../../engine/transforms/otlp.js';
import { countEvents, startHarness, type Harness } from './harness.js';
import { maxBlockId, storedEvents, type StoredEvent } from '../helpers/events.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

const str = (key: string, v: string) => ({ key, value: { stringValue: v } });
const T0 = '1731945600123456789'; // 2024-11-18T16:00:00.123Z

/**
 * An ExportLogsServiceRequest as the exporters send it in JSON: the OpenTelemetry JS SDK writes
 * int64 times as decimal strings and intValue as a number; the Collector (protojson) writes
 * intValue as a string. Two resources, three scopes, every AnyValue kind.
 */
function exportRequest(tag: string): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: {
          attributes: [
            str('service.name', `checkout-${tag}`), str('service.version', '2.4.1'),
            str('telemetry.sdk.language', 'nodejs'), str('telemetry.sdk.name', 'opentelemetry'), str('telemetry.sdk.version', '1.28.0'),
            { key: 'host.cpu.count', value: { intValue: 8 } },
            { key: 'process.runtime.args', value: { arrayValue: { values: [{ stringValue: '--enable-source-maps' }] } } },
          ],
          droppedAttributesCount: 0,
        },
        scopeLogs: [
          {
            scope: { name: '@opentelemetry/instrumentation-pino', version: '0.45.0' },
            logRecords: [
              {
                timeUnixNano: T0, observedTimeUnixNano: '1731945600200000000', severityNumber: 9, severityText: 'INFO',
                body: { stringValue: `order placed ${tag}` },
                attributes: [
                  { key: 'order.id', value: { intValue: '9007199254740993' } }, // beyond 2^53: kept as a string
                  { key: 'order.total', value: { doubleValue: 42.5 } },
                  { key: 'order.express', value: { boolValue: true } },
                  { key: 'order.items', value: { kvlistValue: { values: [str('sku', 'A-1'), { key: 'qty', value: { intValue: '2' } }] } } },
                  { key: 'payload.digest', value: { bytesValue: 'q83vEg==' } },
                ],
                droppedAttributesCount: 0, flags: 1,
                traceId: '5b8efff798038103d269b633813fc60c', spanId: 'eee19b7ec3c1b174',
              },
              {
                observedTimeUnixNano: 1731945601000000000, severityNumber: 17, severityText: 'ERROR',
                body: { kvlistValue: { values: [str('msg', `payment BOOM ${tag}`), { key: 'code', value: { intValue: 502 } }] } },
              },
            ],
          },
          {
            scope: { name: 'audit' },
            logRecords: [
              { timeUnixNano: '1731945602000000000', body: { stringValue: `audit ${tag}` }, attributes: [str('driftwatch.stream', `audit-${tag}`)] },
            ],
          },
        ],
        schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
      },
      {
        resource: { attributes: [str('host.name', 'collector-1')] },
        scopeLogs: [{ scope: {}, logRecords: [{ timeUnixNano: '0', severityNumber: 5 }, { timeUnixNano: '1731945603000000000', body: { intValue: '7' } }] }],
      },
    ],
  };
}

async function post(body: string | Uint8Array, headers: Record<string, string> = {}, key: string | null = h.tenantA.key): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(`${h.url}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}

/** The tenant's events stored in blocks written after block `id`, in write order. */
async function rowsSince(id: number, tenantId = h.tenantA.id): Promise<StoredEvent[]> {
  return storedEvents(h.db.pool, { tenantId, afterBlock: id });
}

async function maxId(): Promise<number> {
  return maxBlockId(h.db.pool);
}

describe('OTLP logs transform', () => {
  it('reads AnyValues and nanosecond times', () => {
    expect(anyValueToJson({ intValue: '12' })).toBe(12);
    expect(anyValueToJson({ intValue: '-9223372036854775808' })).toBe('-9223372036854775808');
    expect(anyValueToJson({ doubleValue: 'NaN' })).toBe('NaN');
    expect(anyValueToJson({ arrayValue: {} })).toEqual([]);
    expect(anyValueToJson({})).toBeNull();
    expect(nanosToMs('1731945600123456789')).toBe(1731945600123);
    // eslint-disable-next-line no-loss-of-precision -- a JSON number of nanoseconds arrives rounded; that is the case tested
    expect(nanosToMs(1731945600123456789)).toBe(1731945600123);
    expect(nanosToMs('0')).toBeUndefined();
    expect(nanosToMs('12x')).toBeUndefined();
    const kv = anyValueToJson({ kvlistValue: { values: [{ key: '__proto__', value: { stringValue: 'p' } }, { key: 'a', value: { intValue: 1 } }] } });
    expect(Object.getPrototypeOf(kv)).toBe(Object.prototype);
    expect(JSON.stringify(kv)).toBe('{"__proto__":"p","a":1}');
  });

  it('refuses what is not an OTLP logs request, and counts records against the batch limit', () => {
    const limits = { maxBatchEvents: 2, maxEventBytes: 4096 };
    expect(() => otlpLogsToEvents([], 0, limits)).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY' }));
    expect(() => otlpLogsToEvents({ resourceLogs: {} }, 0, limits)).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY' }));
    expect(() => otlpLogsToEvents(exportRequest('x'), 0, limits)).toThrow(expect.objectContaining({ code: 'DW_ERR_TOO_MANY_EVENTS' }));
    expect(otlpLogsToEvents({}, 0, limits)).toEqual({ records: [], rejected: 0, errorMessage: '', rejectedCodes: new Map() });
  });
});

describe('engine OTLP source (POST /v1/logs)', () => {
  it('stores an exporter payload with stream, metadata and timestamps mapped, and detects on it', async () => {
    const from = await maxId();
    const before = Date.now();
    const r = await post(JSON.stringify(exportRequest('plain')));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/json');
    expect(r.body).toEqual({ partialSuccess: {} });
    const rows = await rowsSince(from);
    expect(rows.map((x) => x.stream)).toEqual(['checkout-plain', 'checkout-plain', 'audit-plain', 'otlp:default', 'otlp:default']);
    expect(rows.every((x) => x.stream_type === 'logs')).toBe(true);

    const [placed, boom, audit, noBody, intBody] = rows;
    expect(placed.ts.toISOString()).toBe('2024-11-18T16:00:00.123Z');
    expect(placed.data).toBe('order placed plain');
    expect(placed.metadata).toEqual({
      'service.name': 'checkout-plain', 'service.version': '2.4.1',
      'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.name': 'opentelemetry', 'telemetry.sdk.version': '1.28.0',
      'host.cpu.count': 8, 'process.runtime.args': ['--enable-source-maps'],
      'order.id': '9007199254740993', 'order.total': 42.5, 'order.express': true,
      'order.items': { sku: 'A-1', qty: 2 }, 'payload.digest': 'q83vEg==',
      severity_text: 'INFO', severity_number: 9,
      trace_id: '5b8efff798038103d269b633813fc60c', span_id: 'eee19b7ec3c1b174',
      'otel.scope.name': '@opentelemetry/instrumentation-pino', 'otel.scope.version': '0.45.0',
    });
    // observedTimeUnixNano stands in; a non-string body is stored as its JSON value.
    expect(boom.ts.toISOString()).toBe('2024-11-18T16:00:01.000Z');
    expect(boom.data).toEqual({ msg: 'payment BOOM plain', code: 502 });
    expect(boom.metadata).toMatchObject({ severity_text: 'ERROR', severity_number: 17, 'otel.scope.name': '@opentelemetry/instrumentation-pino' });
    expect(audit.metadata).toMatchObject({ 'driftwatch.stream': 'audit-plain', 'otel.scope.name': 'audit', 'service.name': 'checkout-plain' });
    expect(audit.metadata['otel.scope.version']).toBeUndefined();
    // No time at all: the receive time.
    expect(noBody.ts.getTime()).toBeGreaterThanOrEqual(before - 1);
    expect(noBody.ts.getTime()).toBeLessThanOrEqual(Date.now() + 1);
    expect(noBody.data).toBe('');
    expect(noBody.metadata).toEqual({ 'host.name': 'collector-1', severity_number: 5 });
    expect(intBody.data).toBe(7);

    // The same detection as /events/ingest: the fixture detector flags the BOOM record.
    const deadline = Date.now() + 10_000;
    let found: any[] = [];
    while (Date.now() < deadline) {
      ({ rows: found } = await h.db.pool.query("SELECT stream, detector FROM anomalies WHERE tenant_id = $1 AND event->'data'->>'msg' = 'payment BOOM plain'", [h.tenantA.id]));
      if (found.length > 0) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    expect(found).toEqual([{ stream: 'checkout-plain', detector: 'fixture_boom' }]);
  });

  it('takes gzip bodies (as the exporters send them) and counts usage', async () => {
    const from = await maxId();
    const r = await post(gzipSync(JSON.stringify(exportRequest('gz'))), { 'content-encoding': 'gzip' }, h.tenantB.key);
    expect(r).toMatchObject({ status: 200, body: { partialSuccess: {} } });
    const rows = await rowsSince(from, h.tenantB.id);
    expect(rows).toHaveLength(5);
    expect(rows[0]).toMatchObject({ stream: 'checkout-gz', data: 'order placed gz' });
    expect(await countEvents(h, h.tenantB.id)).toBe(5);
  });

  it('answers partial success when some records are refused, storing the rest', async () => {
    const from = await maxId();
    const req = {
      resourceLogs: [{
        resource: { attributes: [str('service.name', 'partial')] },
        scopeLogs: [{ logRecords: [
          { timeUnixNano: T0, body: { stringValue: 'fine' } },
          { timeUnixNano: T0, body: { stringValue: 'x'.repeat(5000) } },
          { timeUnixNano: T0, body: { stringValue: 'bad stream' }, attributes: [str('driftwatch.stream', 'a\u0000b')] },
          { timeUnixNano: T0, body: { stringValue: 'also fine' } },
        ] }],
      }],
    };
    const r = await post(JSON.stringify(req));
    expect(r.status).toBe(200);
    expect(r.body.partialSuccess.rejectedLogRecords).toBe('2');
    expect(r.body.partialSuccess.errorMessage).toContain('log record 1');
    expect((await rowsSince(from)).map((x) => x.data)).toEqual(['fine', 'also fine']);
  });

  it('refuses bad input with OTLP status codes and DW codes, storing nothing', async () => {
    const before = await countEvents(h);
    const malformed = await post('{"resourceLogs": [');
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 3, error: { code: 'DW_ERR_MALFORMED_BODY' } });
    expect(malformed.body.message).toContain('not valid JSON');

    const notOtlp = await post('{"resourceLogs": {"x": 1}}');
    expect(notOtlp.status).toBe(400);
    expect(notOtlp.body.error.code).toBe('DW_ERR_MALFORMED_BODY');

    const badGzip = await post(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' });
    expect(badGzip.status).toBe(400);
    expect(badGzip.body.error.code).toBe('DW_ERR_MALFORMED_BODY');

    // Protobuf is taken since issue 4's OTLP work (test/engine/otlp-proto.test.ts); other types are not.
    const text = await post('hello', { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    expect(text.body.error.code).toBe('DW_ERR_UNSUPPORTED_MEDIA_TYPE');
    expect(text.body.message).toMatch(/application\/x-protobuf or application\/json/);

    const zstd = await post('{}', { 'content-encoding': 'zstd' });
    expect(zstd.status).toBe(415);

    const noKey = await post(JSON.stringify(exportRequest('nokey')), {}, null);
    expect(noKey.status).toBe(401);
    expect(noKey.body).toMatchObject({ code: 16, error: { code: 'DW_ERR_UNAUTHORIZED' } });
    const readOnly = await post(JSON.stringify(exportRequest('ro')), {}, h.tenantA.readKey);
    expect(readOnly.status).toBe(403);

    const many = { resourceLogs: [{ scopeLogs: [{ logRecords: Array.from({ length: 101 }, () => ({ body: { stringValue: 'x' } })) }] }] };
    const tooMany = await post(JSON.stringify(many));
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error.code).toBe('DW_ERR_TOO_MANY_EVENTS');

    expect(await countEvents(h)).toBe(before);
  });

  it('applies the body limit to the decompressed size too (zip bomb)', async () => {
    const before = await countEvents(h);
    // 8 MiB of JSON whitespace compresses to about 8 KiB: far under the 64 KiB wire limit.
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"resourceLogs":[]'), Buffer.alloc(8 * 1024 * 1024, 0x20), Buffer.from('}')]), { level: 9 });
    expect(bomb.length).toBeLessThan(64 * 1024);
    const r = await post(bomb, { 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('DW_ERR_PAYLOAD_TOO_LARGE');
    expect(r.body.message).toContain('decompressed');
    // Also over the limit on the wire.
    const big = await post('{"resourceLogs":[]' + ' '.repeat(70 * 1024) + '}');
    expect(big.status).toBe(413);
    expect(await countEvents(h)).toBe(before);
  });

  it('keeps attribute keys named __proto__ as ordinary keys (never dropped, never a prototype)', async () => {
    const body = JSON.stringify({ resourceLogs: [{
      resource: { attributes: [str('service.name', 'proto-svc'), str('__proto__', 'from resource')] },
      scopeLogs: [{ logRecords: [
        { body: { kvlistValue: { values: [{ key: '__proto__', value: { kvlistValue: { values: [str('polluted', 'yes')] } } }, str('msg', 'body')] } },
          attributes: [{ key: '__proto__', value: { kvlistValue: { values: [str('driftwatch.stream', 'hijacked'), str('x', '1')] } } }] },
        { body: { stringValue: 'second' }, attributes: [str('k', 'v')] },
      ] }],
    }] });
    const r = await post(body);
    expect(r).toMatchObject({ status: 200, body: { partialSuccess: {} } });
    const own = (o: unknown, k: string): unknown => (o !== null && typeof o === 'object' ? Object.getOwnPropertyDescriptor(o, k)?.value : undefined);
    const rows = (await storedEvents(h.db.pool, { tenantId: h.tenantA.id })).filter((x) => x.stream === 'proto-svc' || x.stream === 'hijacked')
      .map((x) => ({ stream: x.stream, data: x.data, proto: own(x.metadata, '__proto__'), k: own(x.metadata, 'k') }));
    expect(rows.map((x) => x.stream)).toEqual(['proto-svc', 'proto-svc']);
    expect(rows[0].proto).toEqual({ 'driftwatch.stream': 'hijacked', x: '1' });
    expect(Object.getOwnPropertyDescriptor(rows[0].data, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(rows[1].proto).toBe('from resource');
    expect(rows[1].k).toBe('v');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('stores a batch sent with an Idempotency-Key once', async () => {
    // With a time of its own, as the SDK exporters send every record (observedTimeUnixNano): a
    // record without any takes the receive time, which differs on a resend, and the sink refuses a
    // key reused for different rows (409 DW_ERR_CONFLICT).
    const body = JSON.stringify({ resourceLogs: [{ resource: { attributes: [str('service.name', 'idem')] }, scopeLogs: [{ logRecords: [{ observedTimeUnixNano: T0, body: { stringValue: 'once' } }] }] }] });
    const before = await countEvents(h, h.tenantA.id);
    expect((await post(body, { 'idempotency-key': 'otlp-1' })).status).toBe(200);
    expect((await post(body, { 'idempotency-key': 'otlp-1' })).status).toBe(200);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 1);
  });

  it('recognises a resend of records without any time by its body (they take the receive time), and refuses the key reused for another body', async () => {
    const body = (msg: string): string => JSON.stringify({ resourceLogs: [{ resource: { attributes: [str('service.name', 'idem-untimed')] }, scopeLogs: [{ logRecords: [{ body: { stringValue: msg } }, { body: { stringValue: `${msg} 2` } }] }] }] });
    const before = await countEvents(h, h.tenantA.id);
    expect((await post(body('untimed'), { 'idempotency-key': 'otlp-untimed' })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 5)); // a later receive time
    expect((await post(body('untimed'), { 'idempotency-key': 'otlp-untimed' })).status).toBe(200);
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
    const other = await post(body('something else'), { 'idempotency-key': 'otlp-untimed' });
    expect(other.status).toBe(409);
    expect(other.body.error.code).toBe('DW_ERR_CONFLICT');
    expect(await countEvents(h, h.tenantA.id)).toBe(before + 2);
  });
});
