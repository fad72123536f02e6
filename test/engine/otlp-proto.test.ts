// OTLP/HTTP protobuf (issue 4): the official OpenTelemetry JS exporters, protobuf and JSON, send
// to POST /v1/logs unchanged; both encodings of the same records map to the same events; bad
// protobuf gets a protobuf google.rpc.Status with our code, never a crash.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { JsonLogsSerializer, ProtobufLogsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeExportLogsResponse, encodeStatus, parseOtlpProtobuf } from '../../engine/transforms/otlp-proto.js';
import { otlpLogsToEvents } from '../../engine/transforms/otlp.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness({ maxBatchEvents: 100, maxBodyBytes: 64 * 1024, maxEventBytes: 4096 }); });
afterAll(async () => { await h?.close(); });

const limits = { maxBatchEvents: 100, maxEventBytes: 4096 };

/**
 * Emits the same records through the real SDK into `exporter` (every AnyValue kind, severities,
 * a stream attribute); a network exporter gets them in one request (batch processor). Returns
 * what an in-memory exporter holds, read before shutdown clears it.
 */
async function emit(exporter: LogRecordExporter, service: string): Promise<ReadableLogRecord[]> {
  const mem = exporter instanceof InMemoryLogRecordExporter;
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.name': 'web-1' }),
    processors: [mem ? new SimpleLogRecordProcessor({ exporter }) : new BatchLogRecordProcessor({ exporter, scheduledDelayMillis: 60_000 })],
  });
  const log = provider.getLogger('@acme/checkout', '1.2.3');
  log.emit({ body: 'order placed', severityNumber: SeverityNumber.INFO, severityText: 'INFO', timestamp: 1731945600123, attributes: { 'order.id': 42, ok: true, ratio: 0.5, tags: ['a', 'b'] } });
  log.emit({
    body: { msg: 'payment failed', code: -7, nested: { deep: [1, 'x'] } }, severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', timestamp: 1731945601000,
    context: undefined,
  });
  log.emit({ body: 'ünïcode ✓ 日本', severityNumber: SeverityNumber.WARN, timestamp: 1731945602000, attributes: { 'driftwatch.stream': `${service}-audit` } });
  await provider.forceFlush();
  const records = mem ? [...exporter.getFinishedLogRecords()] : [];
  await provider.shutdown();
  return records;
}

/** A length-delimited protobuf field. */
function ld(field: number, payload: Uint8Array): Uint8Array {
  const v: number[] = [];
  let n = payload.length;
  while (n > 0x7f) { v.push((n & 0x7f) | 0x80); n >>>= 7; }
  v.push(n);
  return Uint8Array.from([(field << 3) | 2, ...v, ...payload]);
}

/** An ExportLogsServiceRequest with one record whose body is a string inside `depth` nested arrays. */
function nestedRequest(depth: number): Uint8Array {
  let v = ld(1, Buffer.from('x')); // AnyValue{stringValue}
  for (let d = 0; d < depth; d++) v = ld(5, ld(1, v)); // AnyValue{arrayValue: ArrayValue{values: [v]}}
  return ld(1, ld(2, ld(2, ld(5, v)))); // resourceLogs{scopeLogs{logRecords{body}}}
}

async function postProto(body: Uint8Array, key: string | null = h.tenantA.key): Promise<Response> {
  return fetch(`${h.url}/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(key === null ? {} : { authorization: `Bearer ${key}` }) },
    body,
  });
}

/** Decodes a google.rpc.Status { code (1), message (2) } the way a client would. */
function decodeStatus(b: Uint8Array): { code: number; message: string } {
  let i = 0;
  const out = { code: -1, message: '' };
  const varint = (): number => { let v = 0; let m = 1; for (;;) { const x = b[i++]; v += (x & 0x7f) * m; if ((x & 0x80) === 0) return v; m *= 128; } };
  while (i < b.length) {
    const tag = varint();
    if (tag === 8) out.code = varint();
    else if (tag === 18) { const n = varint(); out.message = Buffer.from(b.subarray(i, i + n)).toString(); i += n; }
    else throw new Error(`unexpected tag ${tag}`);
  }
  return out;
}

async function rows(service: string): Promise<any[]> {
  const { rows: r } = await h.db.pool.query(
    "SELECT stream, ts, data, metadata FROM events WHERE tenant_id = $1 AND (stream = $2 OR stream = $2 || '-audit') ORDER BY id", [h.tenantA.id, service]);
  return r;
}

describe('OTLP protobuf decoding', () => {
  it('maps the SDK\'s protobuf serialisation to exactly the events its JSON serialisation maps to', async () => {
    const records = await emit(new InMemoryLogRecordExporter(), 'same');
    expect(records.length).toBe(3);
    const proto = ProtobufLogsSerializer.serializeRequest(records) as Uint8Array;
    const json = JsonLogsSerializer.serializeRequest(records) as Uint8Array;
    const fromProto = otlpLogsToEvents(parseOtlpProtobuf(proto), 0, limits);
    const fromJson = otlpLogsToEvents(JSON.parse(Buffer.from(json).toString()), 0, limits);
    expect(fromProto.rejected).toBe(0);
    expect(fromProto).toEqual(fromJson);
    expect(fromProto.records.map((r) => r.stream)).toEqual(['same', 'same', 'same-audit']);
  });

  it('refuses truncated and malformed bodies with DW_ERR_MALFORMED_BODY, and bounds nesting', () => {
    return emit(new InMemoryLogRecordExporter(), 'bad').then((records) => {
      const proto = ProtobufLogsSerializer.serializeRequest(records) as Uint8Array;
      for (const cut of [1, 5, 17, proto.length - 1]) {
        expect(() => parseOtlpProtobuf(proto.subarray(0, cut)), `cut at ${cut}`).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY' }));
      }
      // Field 1 (resourceLogs) declared with a varint wire type.
      expect(() => parseOtlpProtobuf(Uint8Array.from([0x08, 0x01]))).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY' }));
      // An unknown field is skipped; an empty body is an empty request.
      expect(parseOtlpProtobuf(Uint8Array.from([0x10, 0x05]))).toEqual({ resourceLogs: [] });
      expect(parseOtlpProtobuf(new Uint8Array(0))).toEqual({ resourceLogs: [] });
      // A body string of invalid UTF-8: resourceLogs{scopeLogs{logRecords{body{stringValue: ff fe}}}}.
      const badUtf8 = Uint8Array.from([0x0a, 0x0a, 0x12, 0x08, 0x12, 0x06, 0x2a, 0x04, 0x0a, 0x02, 0xff, 0xfe]);
      expect(() => parseOtlpProtobuf(badUtf8)).toThrow(expect.objectContaining({ code: 'DW_ERR_INVALID_UTF8' }));
      // AnyValue arrays nested past MAX_DEPTH (32): refused, not a stack overflow; 10 deep is fine.
      expect(() => parseOtlpProtobuf(nestedRequest(40))).toThrow(expect.objectContaining({ code: 'DW_ERR_MALFORMED_BODY', message: expect.stringMatching(/nested deeper than 32/) }));
      const ok = otlpLogsToEvents(parseOtlpProtobuf(nestedRequest(10)), 0, limits);
      expect(ok.records[0].dataJson).toBe(`${'['.repeat(10)}"x"${']'.repeat(10)}`);
    });
  });

  it('encodes the answers: empty on full success, partial success and Status otherwise', () => {
    expect(encodeExportLogsResponse(0, '').length).toBe(0);
    expect([...encodeExportLogsResponse(2, 'no')]).toEqual([0x0a, 0x06, 0x08, 0x02, 0x12, 0x02, 0x6e, 0x6f]);
    expect(decodeStatus(encodeStatus(16, 'DW_ERR_UNAUTHORIZED: who?'))).toEqual({ code: 16, message: 'DW_ERR_UNAUTHORIZED: who?' });
  });
});

describe('engine POST /v1/logs with the official exporters', () => {
  it('the protobuf exporter\'s records are stored, mapped as from JSON', async () => {
    const exporter = new ProtoExporter({ url: `${h.url}/v1/logs`, headers: { authorization: `Bearer ${h.tenantA.key}` } });
    await emit(exporter, 'proto-svc');
    const r = await rows('proto-svc');
    expect(r.map((x) => x.stream)).toEqual(['proto-svc', 'proto-svc', 'proto-svc-audit']);
    expect(r[0].ts.toISOString()).toBe('2024-11-18T16:00:00.123Z');
    expect(r[0].data).toBe('order placed');
    expect(r[0].metadata).toMatchObject({ 'service.name': 'proto-svc', 'host.name': 'web-1', 'order.id': 42, ok: true, ratio: 0.5, tags: ['a', 'b'], severity_text: 'INFO', 'otel.scope.name': '@acme/checkout', 'otel.scope.version': '1.2.3' });
    expect(r[1].data).toEqual({ msg: 'payment failed', code: -7, nested: { deep: [1, 'x'] } });
    expect(r[2].data).toBe('ünïcode ✓ 日本');
    expect(r.map((x) => x.ts.toISOString())).toEqual(['2024-11-18T16:00:00.123Z', '2024-11-18T16:00:01.000Z', '2024-11-18T16:00:02.000Z']);
  });

  it('the JSON exporter\'s records are stored the same way', async () => {
    const exporter = new JsonExporter({ url: `${h.url}/v1/logs`, headers: { authorization: `Bearer ${h.tenantA.key}` } });
    await emit(exporter, 'json-svc');
    const p = await rows('proto-svc');
    const j = await rows('json-svc');
    const norm = (xs: any[]) => xs.map((x) => ({ ...x, stream: x.stream.replace('json-svc', 'S').replace('proto-svc', 'S'), metadata: { ...x.metadata, 'service.name': 'S', ...(x.metadata['driftwatch.stream'] ? { 'driftwatch.stream': 'S-audit' } : {}) } }));
    expect(norm(j)).toEqual(norm(p));
  });

  it('answers protobuf requests in protobuf: 200 with an empty response, 401 and 400 as google.rpc.Status carrying our code', async () => {
    const body = ProtobufLogsSerializer.serializeRequest(await emit(new InMemoryLogRecordExporter(), 'answers')) as Uint8Array;
    const ok = await postProto(body);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await ok.arrayBuffer()).byteLength).toBe(0);

    const unauth = await postProto(body, null);
    expect(unauth.status).toBe(401);
    expect(unauth.headers.get('content-type')).toBe('application/x-protobuf');
    const s401 = decodeStatus(new Uint8Array(await unauth.arrayBuffer()));
    expect(s401.code).toBe(16);
    expect(s401.message).toMatch(/^DW_ERR_UNAUTHORIZED: /);

    const bad = await postProto(body.subarray(0, body.length - 3));
    expect(bad.status).toBe(400);
    const s400 = decodeStatus(new Uint8Array(await bad.arrayBuffer()));
    expect(s400.code).toBe(3);
    expect(s400.message).toMatch(/^DW_ERR_MALFORMED_BODY: /);

    // The engine is still up and takes the next request.
    expect((await postProto(body)).status).toBe(200);
  });
});
