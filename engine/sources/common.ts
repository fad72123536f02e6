// What the sources (HTTP, OTLP and WebSocket) are given by engine.ts: how to authenticate, how to
// hand a decoded batch to storage, and whether the engine is draining; and what they share:
// error mapping (PostgreSQL down ─► 503) and answers. The body budget and reader: body.ts.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { DwError, toDwError } from '../../src/core/errors.js';
import { EngineDatabaseUnavailableError, EngineInternalError } from '../../src/core/telemetry/index.js';
import type { Logger } from '../../src/core/log.js';
import type { LimitSource } from '../../src/core/tenancy/limits.js';
import type { DecodeLimits } from '../transforms/decode.js';
import type { EventRecord } from '../types.js';
import type { TrustProxy } from './body.js';
import { lengthDelimited } from '../transforms/otlp-proto.js';
import { BodyStream } from './discard.js';
import type { RefusalSite } from './refusals.js';

export interface IngestResult {
  accepted: number;
  duplicate: boolean;
}

/** What a tenant may send in one request or frame (applied after authentication, before decoding). */
export interface TenantLimits extends DecodeLimits {
  readonly maxBodyBytes: number;
  /** Where each limit comes from (src/core/tenancy/limits.ts), named in refusals. */
  readonly sources: { readonly maxBodyBytes: LimitSource; readonly maxBatchEvents: LimitSource };
}

const sourceName = (s: LimitSource): string => (s === 'config' ? 'the engine\'s setting' : s === 'plan' ? 'its plan' : 'its own override');

/** 413 for a body or frame over the tenant's own size limit (the same answer as the engine's after decoding). */
export const overBodyLimit = (bytes: number, lim: TenantLimits): DwError =>
  new DwError('DW_ERR_PAYLOAD_TOO_LARGE',
    `the body or frame is ${bytes} bytes; this tenant's limit is ${lim.maxBodyBytes} (${sourceName(lim.sources.maxBodyBytes)})`,
    { limit: lim.maxBodyBytes, source: lim.sources.maxBodyBytes, bytes });

/** A decode refusal for too many events, restated as the tenant's limit (its value and where it comes from). */
export function asTenantLimit(err: unknown, lim: TenantLimits): unknown {
  const d = (err as DwError | null)?.details;
  if ((err as DwError | null)?.code !== 'DW_ERR_TOO_MANY_EVENTS' || typeof d?.count !== 'number') return err;
  const out = new DwError('DW_ERR_TOO_MANY_EVENTS',
    `the batch has ${d.count} events; this tenant's limit is ${lim.maxBatchEvents} (${sourceName(lim.sources.maxBatchEvents)})`,
    { limit: lim.maxBatchEvents, source: lim.sources.maxBatchEvents, events: d.count });
  const seq = (err as { seq?: unknown }).seq;
  if (typeof seq === 'number') (out as { seq?: number }).seq = seq;
  return out;
}

export interface SourceContext {
  readonly log: Logger;
  readonly limits: DecodeLimits;
  readonly maxBodyBytes: number;
  /** Request bodies buffered at once, engine-wide (default BODY_BUDGET_FACTOR × maxBodyBytes, body.ts). */
  readonly maxBodyBytesInFlight?: number;
  /** A request body slower than this (after BODY_GRACE_MS) is dropped with 408; 0 or absent: no minimum. */
  readonly minBodyBytesPerSecond?: number;
  /** Tests: bytes of WebSocket frames held in memory at once, engine-wide (default websocket.ts FRAME_BUDGET_FACTOR × maxBodyBytes, at least 64 MiB). */
  readonly maxFrameBytesInMemory?: number;
  /** WebSocket connections one tenant may hold to this engine (default websocket.ts WS_MAX_CONNECTIONS_PER_TENANT). */
  readonly wsMaxConnectionsPerTenant?: number;
  /** Whose X-Forwarded-For gives the client address (TRUST_PROXY); absent: the peer's address. */
  readonly trustProxy?: TrustProxy;
  /** Resolves `Authorization: Bearer ...` and checks the `ingest` scope; throws a DwError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /** The tenant's own limits (its plan's or override, read with its quota reading: no I/O per request once read). */
  tenantLimits(tenantId: string): Promise<TenantLimits>;
  /**
   * Stores a batch durably (resolves after COMMIT), then queues it for scoring. `fingerprint`
   * (a keyed write only) is what a resend under the same key is compared by, when the stored rows
   * would not be the same on a resend (OTLP records without a time take the receive time): the
   * sha256 of the request body; by default the stored content's.
   */
  ingest(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined, fingerprint?: string): Promise<IngestResult>;
  /**
   * Resolves at the tenant's turn of the event loop (transforms/turns.ts): awaited before the
   * synchronous decoding of a frame or body, so that one tenant's burst cannot hold the others'
   * (`bytes`: the size about to be decoded; a tenant well under its share of them does not wait).
   */
  turn(tenantId: string, bytes?: number): Promise<void>;
  /**
   * A frame or body enters the tenant's in-flight count (transforms/turns.ts enter): a tenant over
   * its share with its few batches in waits here, before decoding; call the result once answered.
   */
  enter(tenantId: string): Promise<() => void>;
  /** True once close() began: new requests, upgrades and frames are refused. */
  readonly closing: boolean;
  /** Registers work that close() waits for (an HTTP request from its headers on, a frame from its receipt). */
  track<T>(p: Promise<T>): Promise<T>;
}

/**
 * Any thrown value as the DwError a source answers with: the shared mapping (src/core/errors.ts;
 * PostgreSQL unreachable, as src/core/db.ts decides, becomes DW_ERR_UNAVAILABLE: 503, the client
 * retries), anything else unknown DW_ERR_INTERNAL; both logged and counted (emit).
 */
export function ingestError(err: unknown, log: Logger): DwError {
  const dw = toDwError(err, DATABASE_DOWN);
  if (dw === undefined) {
    EngineInternalError.emit(log, { err });
    return new DwError('DW_ERR_INTERNAL');
  }
  if (dw === DATABASE_DOWN) {
    EngineDatabaseUnavailableError.emit(log, { err });
    return new DwError('DW_ERR_UNAVAILABLE', 'the database is not reachable');
  }
  return dw;
}
const DATABASE_DOWN = new DwError('DW_ERR_UNAVAILABLE', 'the database is not reachable');

/** Whether an answer with this status carries `Retry-After` (the exporters and our clients honour it). */
export const RETRY_AFTER_SECONDS = '1';
export const retryable = (status: number): boolean => status === 429 || status === 503;

/** The Retry-After of an error answer: its own `details.retryAfterSeconds` (rate limit), else RETRY_AFTER_SECONDS. */
export function retryAfterOf(err: DwError | undefined): string {
  const s = err?.details?.retryAfterSeconds;
  return typeof s === 'number' && Number.isSafeInteger(s) && s > 0 ? String(s) : RETRY_AFTER_SECONDS;
}

/**
 * Per-request state of an HTTP answer (uWS: nothing may be written after abort or twice), and
 * where a refusal of it is logged (its path; its tenant once the credential was accepted).
 */
export interface ResState extends RefusalSite {
  aborted: boolean;
  done: boolean;
  /** Settles the request's entry in ctx.track() (answered or aborted) and frees its body budget. */
  finish: () => void;
  /** The request body (discard.ts): where a refusal waits for its end. */
  body?: BodyStream;
  /** uWS's parser closes the connection once the handler returns (its Content-Length: uwsRefusesLength). */
  parserCloses?: boolean;
}

// How an answer that closes the connection is written (issue 12). uWS (uWebSockets v20.43 in
// the uws-js-unofficial 20.30 build; HttpContext.h, HttpParser.h) hands every request of one read
// to its handler in one loop, and a handler's writes go to the loop's 16 KiB cork buffer, sent
// when the loop is over. So:
//   - an answer ended with closeConnection inside that loop (the route handler, onData) closed the
//     socket only after it, once every request the client pipelined behind the refused one was
//     routed, stored and answered (the next request also cleared the close): RFC 9112 §9.6 says
//     nothing after a close may be processed. The answer is written after the loop
//     (setImmediate): a request pipelined behind finds the refused one unanswered, and uWS closes
//     the connection without routing it (the refused request then gets no answer either);
//   - a Content-Length uWS cannot read (not 1-9 digits: -1, 1e3, 0000000002) is checked after the
//     handler returned: the parser closes the socket, and whatever the handler wrote is still in
//     the cork buffer, never sent. An answer longer than the cork buffer is written to the socket
//     at once, and its end closes the connection inside the handler (the parser then stops): such
//     a refusal is written at once, padded past CORK_BUFFER_BYTES.

/** uWS's cork buffer (LoopData::CORK_BUFFER_SIZE): a longer write goes to the socket at once. */
export const CORK_BUFFER_BYTES = 16 * 1024;

/** Whether uWS's parser refuses this Content-Length (after the handler): it reads 1-9 digits only. */
export const uwsRefusesLength = (value: string): boolean => value !== '' && !/^\d{1,9}$/.test(value);

/** An answer's body made longer than uWS's cork buffer: JSON and text with trailing spaces, protobuf with an unknown field (skipped by decoders). */
export function pastCorkBuffer(body: string | Uint8Array): string | Uint8Array {
  if (typeof body === 'string') return body.padEnd(CORK_BUFFER_BYTES + 1, ' ');
  return Buffer.concat([body, Buffer.from(lengthDelimited(PADDING_FIELD, new Uint8Array(CORK_BUFFER_BYTES)))]);
}
/** The protobuf field number of pastCorkBuffer's padding (google.rpc.Status uses 1-3). */
const PADDING_FIELD = 1000;

/** Runs `write` (an answer ended with closeConnection) once uWS's parser is done with the read it came from. */
export const afterParse = (write: () => void): void => { setImmediate(write); };

/**
 * Answers a JSON body once (nothing after an abort or a first answer), with Retry-After on 429/503
 * and any `headers` of the protocol. With closeConnection, while the request body is still
 * arriving, the answer waits for its end (its bytes dropped; the bounds: discard.ts), and is
 * written after uWS's parser loop (afterParse), or at once past the cork buffer when the parser
 * closes the connection (parserCloses; the comment above CORK_BUFFER_BYTES).
 */
export function send(
  res: HttpResponse, st: ResState, status: number, body: string | Uint8Array, closeConnection = false, retryAfter = RETRY_AFTER_SECONDS,
  contentType = 'application/json', headers?: Readonly<Record<string, string>>,
): void {
  if (st.aborted || st.done) return;
  st.done = true;
  const write = (): void => {
    if (st.aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(status)).writeHeader('content-type', contentType);
      if (retryable(status)) res.writeHeader('retry-after', retryAfter);
      if (headers !== undefined) for (const k in headers) res.writeHeader(k, headers[k]);
      res.end(closeConnection && st.parserCloses === true ? pastCorkBuffer(body) : body, closeConnection);
    });
    st.finish();
  };
  if (!closeConnection || st.parserCloses === true) return write();
  const later = (): void => afterParse(write);
  if (st.body?.defer(later) === true) return;
  later();
}

/** Writes an error in the source's own body format (closeConnection ends the connection after it). */
export type FailWriter = (res: HttpResponse, st: ResState, err: DwError, closeConnection: boolean) => void;

/**
 * The opening every body-carrying HTTP source shares: abort tracking, the refusal while
 * shutting down (at once), the request's entry in ctx.track() (close() waits for it from its
 * headers on), and its body's onData (discard.ts BodyStream). Returns the request's state, or
 * undefined when it was already answered. Call synchronously from the uWS handler.
 */
export function beginRequest(res: HttpResponse, req: HttpRequest, ctx: SourceContext, fail: FailWriter, path = ''): ResState | undefined {
  const st: ResState = { aborted: false, done: false, finish: () => {}, log: ctx.log, path, parserCloses: uwsRefusesLength(req.getHeader('content-length')) };
  res.onAborted(() => { st.aborted = true; st.body?.drop(); st.finish(); });
  if (ctx.closing) {
    fail(res, st, new DwError('DW_ERR_SHUTTING_DOWN'), true);
    return undefined;
  }
  void ctx.track(new Promise<void>((resolve) => { st.finish = resolve; }));
  st.body = BodyStream.of(res, req, ctx);
  return st;
}

const REASONS: Record<number, string> = {
  200: 'OK', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 408: 'Request Timeout', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export const statusLine = (status: number): string => `${status} ${REASONS[status] ?? 'Unknown'}`;
