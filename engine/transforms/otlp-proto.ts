// OTLP/HTTP protobuf ──► the same object shape as OTLP/HTTP JSON, so transforms/otlp.ts maps
// both encodings with one code path.
//
//   bytes ─► ExportLogsServiceRequest (opentelemetry/proto/collector/logs/v1)
//              resourceLogs[] ─► resource.attributes[], scopeLogs[] ─► scope{name, version},
//                                logRecords[] ─► timeUnixNano, observedTimeUnixNano (fixed64 ─► decimal string),
//                                severityNumber, severityText, body (AnyValue), attributes[],
//                                traceId / spanId (bytes ─► lower-case hex, as OTLP/JSON writes them),
//                                eventName
//
// A hand-written reader of the protobuf wire format for exactly these messages: no generated code
// and no dependency. Unknown fields are skipped, as protobuf requires; a truncated or malformed
// message is DW_ERR_MALFORMED_BODY; strings must be valid UTF-8 (DW_ERR_INVALID_UTF8). Nesting is
// bounded (AnyValue arrays and maps: MAX_DEPTH) so a hostile body cannot exhaust the stack.
// Work is bounded as it is read (issue 12, High 2): every length-delimited field (message, string,
// bytes) takes one of the request's MAX_DECODE_VALUES (DW_ERR_PAYLOAD_TOO_COMPLEX), and log
// records past the tenant's events per batch are refused as they come (DW_ERR_TOO_MANY_EVENTS),
// not after millions of empty records were built (9.5 MiB of them took 22 s on the event loop).
// Also the encoders of the two answers OTLP/HTTP protobuf clients read: ExportLogsServiceResponse
// (partial success) and google.rpc.Status (errors).
import { DwError } from '../../src/core/errors.js';
import { MAX_DECODE_VALUES } from './prescan.js';

export const MAX_DEPTH = 32;
const utf8 = new TextDecoder('utf-8', { fatal: true });

// The message named is the logs request's; otlp-signals-proto.ts names its own.
export const malformed = (why: string, what = 'ExportLogsServiceRequest'): DwError => new DwError('DW_ERR_MALFORMED_BODY', `the body is not a valid OTLP protobuf ${what} (${why})`);

/** What one request may still decode to, shared by every Reader of it. */
export interface ReadBudget {
  /** Length-delimited fields still allowed (of MAX_DECODE_VALUES). */
  values: number;
  /** Records (log records) still allowed: the tenant's events per batch. */
  records: number;
  readonly maxRecords: number;
}

export const readBudget = (maxRecords = Number.MAX_SAFE_INTEGER): ReadBudget => ({ values: MAX_DECODE_VALUES, records: maxRecords, maxRecords });

/** A cursor over one message's bytes [pos, end). */
export class Reader {
  pos: number;
  /** The request message being read, named in DW_ERR_MALFORMED_BODY. */
  constructor(readonly buf: Uint8Array, pos: number, readonly end: number, readonly what = 'ExportLogsServiceRequest', readonly budget: ReadBudget = readBudget()) {
    this.pos = pos;
  }

  /** Counts one record against the tenant's events per batch. */
  record(kind: string): void {
    if (--this.budget.records < 0) {
      const max = this.budget.maxRecords;
      throw new DwError('DW_ERR_TOO_MANY_EVENTS', `more than ${max} ${kind}, at most ${max}`, { count: max + 1, max });
    }
  }

  bad(why: string): DwError {
    return malformed(why, this.what);
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.bad('truncated varint');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & 0xffffffffffffffffn;
      shift += 7n;
    }
    throw this.bad('varint longer than 10 bytes');
  }

  /** A varint that must fit a small non-negative number (tags, lengths, enums). */
  small(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw this.bad('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    // Longer: a large or negative (sign-extended) value; read the rest, keep the low 32 bits.
    for (let i = 5; i < 10; i++) {
      if (this.pos >= this.end) throw this.bad('truncated varint');
      if ((this.buf[this.pos++] & 0x80) === 0) return result >>> 0;
    }
    throw this.bad('varint longer than 10 bytes');
  }

  fixed64(): bigint {
    if (this.pos + 8 > this.end) throw this.bad('truncated fixed64');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw this.bad('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** A length-delimited field: its sub-reader. */
  sub(): Reader {
    const len = this.small();
    if (len > this.end - this.pos) throw this.bad('length past the end of its message');
    if (--this.budget.values < 0) {
      throw new DwError('DW_ERR_PAYLOAD_TOO_COMPLEX', `more than ${MAX_DECODE_VALUES} values in one request or frame`, { max: MAX_DECODE_VALUES });
    }
    const r = new Reader(this.buf, this.pos, this.pos + len, this.what, this.budget);
    this.pos += len;
    return r;
  }

  bytes(): Uint8Array {
    const r = this.sub();
    return this.buf.subarray(r.pos, r.end);
  }

  string(): string {
    try {
      return utf8.decode(this.bytes());
    } catch (err) {
      if (err instanceof DwError) throw err;
      throw new DwError('DW_ERR_INVALID_UTF8', 'a string field of the OTLP protobuf body is not valid UTF-8');
    }
  }

  skip(wire: number): void {
    switch (wire) {
      case 0: this.varint(); return;
      case 1: if (this.pos + 8 > this.end) throw this.bad('truncated fixed64'); this.pos += 8; return;
      case 2: this.sub(); return;
      case 5: if (this.pos + 4 > this.end) throw this.bad('truncated fixed32'); this.pos += 4; return;
      default: throw this.bad(`unsupported wire type ${wire}`);
    }
  }

  /** Calls `field(number, wireType)` for each field; the callback reads or skips it. */
  each(field: (n: number, wire: number) => void): void {
    while (this.pos < this.end) {
      const tag = this.small();
      const n = tag >>> 3;
      const wire = tag & 7;
      if (n === 0) throw this.bad('field number 0');
      field(n, wire);
    }
  }
}

export type Obj = Record<string, unknown>;

export function expectWire(wire: number, want: number, what: string, r?: Reader): void {
  if (wire !== want) throw malformed(`${what} has wire type ${wire}, expected ${want}`, r?.what);
}

export const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

export function anyValue(r: Reader, depth: number): Obj {
  if (depth > MAX_DEPTH) throw r.bad(`AnyValue nested deeper than ${MAX_DEPTH}`);
  const out: Obj = {};
  r.each((n, wire) => {
    switch (n) {
      case 1: expectWire(wire, 2, 'stringValue'); out.stringValue = r.string(); break;
      case 2: expectWire(wire, 0, 'boolValue'); out.boolValue = r.varint() !== 0n; break;
      // int64 as a decimal string, as OTLP/JSON writes it.
      case 3: expectWire(wire, 0, 'intValue'); out.intValue = BigInt.asIntN(64, r.varint()).toString(); break;
      case 4: expectWire(wire, 1, 'doubleValue'); out.doubleValue = r.double(); break;
      case 5: {
        expectWire(wire, 2, 'arrayValue');
        const a = r.sub();
        const values: Obj[] = [];
        a.each((m, w) => {
          if (m === 1) { expectWire(w, 2, 'arrayValue.values'); values.push(anyValue(a.sub(), depth + 1)); } else a.skip(w);
        });
        out.arrayValue = { values };
        break;
      }
      case 6: {
        expectWire(wire, 2, 'kvlistValue');
        const a = r.sub();
        const values: Obj[] = [];
        a.each((m, w) => {
          if (m === 1) { expectWire(w, 2, 'kvlistValue.values'); values.push(keyValue(a.sub(), depth + 1)); } else a.skip(w);
        });
        out.kvlistValue = { values };
        break;
      }
      // bytes as base64, as OTLP/JSON writes them.
      case 7: expectWire(wire, 2, 'bytesValue'); { const b = r.bytes(); out.bytesValue = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64'); } break;
      default: r.skip(wire);
    }
  });
  return out;
}

function keyValue(r: Reader, depth: number): Obj {
  const out: Obj = { key: '' };
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, 'KeyValue.key'); out.key = r.string(); }
    else if (n === 2) { expectWire(wire, 2, 'KeyValue.value'); out.value = anyValue(r.sub(), depth); }
    else r.skip(wire);
  });
  return out;
}

export function attributesInto(list: Obj[], r: Reader, wire: number): void {
  expectWire(wire, 2, 'attributes');
  list.push(keyValue(r.sub(), 0));
}

function logRecord(r: Reader): Obj {
  const out: Obj = {};
  const attributes: Obj[] = [];
  r.each((n, wire) => {
    switch (n) {
      case 1: expectWire(wire, 1, 'timeUnixNano'); out.timeUnixNano = r.fixed64().toString(); break;
      case 11: expectWire(wire, 1, 'observedTimeUnixNano'); out.observedTimeUnixNano = r.fixed64().toString(); break;
      case 2: expectWire(wire, 0, 'severityNumber'); out.severityNumber = r.small(); break;
      case 3: expectWire(wire, 2, 'severityText'); out.severityText = r.string(); break;
      case 5: expectWire(wire, 2, 'body'); out.body = anyValue(r.sub(), 0); break;
      case 6: attributesInto(attributes, r, wire); break;
      case 9: expectWire(wire, 2, 'traceId'); out.traceId = hex(r.bytes()); break;
      case 10: expectWire(wire, 2, 'spanId'); out.spanId = hex(r.bytes()); break;
      case 12: expectWire(wire, 2, 'eventName'); out.eventName = r.string(); break;
      default: r.skip(wire);
    }
  });
  out.attributes = attributes;
  return out;
}

function scopeLogs(r: Reader): Obj {
  const out: Obj = {};
  const records: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) {
      expectWire(wire, 2, 'scope');
      const s = r.sub();
      const scope: Obj = {};
      s.each((m, w) => {
        if (m === 1) { expectWire(w, 2, 'scope.name'); scope.name = s.string(); }
        else if (m === 2) { expectWire(w, 2, 'scope.version'); scope.version = s.string(); }
        else s.skip(w);
      });
      out.scope = scope;
    } else if (n === 2) {
      expectWire(wire, 2, 'logRecords');
      r.record('log records');
      records.push(logRecord(r.sub()));
    } else r.skip(wire);
  });
  out.logRecords = records;
  return out;
}

function resourceLogs(r: Reader): Obj {
  const out: Obj = {};
  const scopes: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) {
      expectWire(wire, 2, 'resource');
      const s = r.sub();
      const attributes: Obj[] = [];
      s.each((m, w) => { if (m === 1) attributesInto(attributes, s, w); else s.skip(w); });
      out.resource = { attributes };
    } else if (n === 2) {
      expectWire(wire, 2, 'scopeLogs');
      scopes.push(scopeLogs(r.sub()));
    } else r.skip(wire);
  });
  out.scopeLogs = scopes;
  return out;
}

/**
 * An ExportLogsServiceRequest in protobuf ──► its OTLP/JSON object shape (for otlpLogsToEvents);
 * more than `maxRecords` log records: DW_ERR_TOO_MANY_EVENTS as soon as the next one is met.
 */
export function parseOtlpProtobuf(bytes: Uint8Array, maxRecords?: number): unknown {
  const r = new Reader(bytes, 0, bytes.length, undefined, readBudget(maxRecords));
  const list: Obj[] = [];
  r.each((n, wire) => {
    if (n === 1) { expectWire(wire, 2, 'resourceLogs'); list.push(resourceLogs(r.sub())); } else r.skip(wire);
  });
  return { resourceLogs: list };
}

// ── Encoders for the answers ────────────────────────────────────────────────────────────────

export function varintBytes(v: number): number[] {
  const out: number[] = [];
  let x = v;
  while (x > 0x7f) {
    out.push((x % 128) | 0x80);
    x = Math.floor(x / 128);
  }
  out.push(x);
  return out;
}

export function lengthDelimited(field: number, payload: Uint8Array): number[] {
  return [...varintBytes((field << 3) | 2), ...varintBytes(payload.length), ...payload];
}

/** ExportLogsServiceResponse { partial_success (1): { rejected_log_records (1), error_message (2) } }; empty when nothing was rejected. */
export function encodeExportLogsResponse(rejected: number, errorMessage: string): Buffer {
  if (rejected === 0) return Buffer.alloc(0);
  const inner = [...varintBytes(1 << 3), ...varintBytes(rejected), ...lengthDelimited(2, Buffer.from(errorMessage))];
  return Buffer.from(lengthDelimited(1, Uint8Array.from(inner)));
}

/** google.rpc.Status { code (1), message (2) }: the body of an OTLP/HTTP protobuf error answer. */
export function encodeStatus(code: number, message: string): Buffer {
  return Buffer.from([...varintBytes(1 << 3), ...varintBytes(code), ...lengthDelimited(2, Buffer.from(message))]);
}
