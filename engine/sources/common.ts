// What the sources (HTTP, OTLP and WebSocket) are given by engine.ts: how to authenticate, how to
// hand a decoded batch to storage, and whether the engine is draining; and what they share:
// error mapping (PostgreSQL down ─► 503), the engine-wide body budget and the body reader.
import type { HttpResponse } from 'uWebSockets.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { DwError, toDwError } from '../../src/core/errors.js';
import { EngineDatabaseUnavailableError, EngineInternalError } from '../../src/core/telemetry/index.js';
import type { Logger } from '../../src/core/log.js';
import type { DecodeLimits } from '../transforms/decode.js';
import type { EventRecord } from '../types.js';

export interface IngestResult {
  accepted: number;
  duplicate: boolean;
}

export interface SourceContext {
  readonly log: Logger;
  readonly limits: DecodeLimits;
  readonly maxBodyBytes: number;
  /** Request bodies buffered at once, engine-wide (default BODY_BUDGET_FACTOR × maxBodyBytes). */
  readonly maxBodyBytesInFlight?: number;
  /** Resolves `Authorization: Bearer ...` and checks the `ingest` scope; throws a DwError. */
  authenticate(authorization: string | undefined): Promise<Principal>;
  /**
   * Stores a batch durably (resolves after COMMIT), then queues it for scoring. `fingerprint`
   * (a keyed write only) is what a resend under the same key is compared by, when the stored rows
   * would not be the same on a resend (OTLP records without a time take the receive time): the
   * sha256 of the request body; by default the stored content's.
   */
  ingest(tenantId: string, records: EventRecord[], bytes: number, batchKey: string | undefined, fingerprint?: string): Promise<IngestResult>;
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
 * Request bodies buffered at once across the whole engine (every source of one SourceContext):
 * each request reserves its declared Content-Length up front, or its bytes as they arrive when
 * the length is unknown, and gives them back when it is answered or aborted. A request that
 * does not fit is refused with 503 DW_ERR_UNAVAILABLE + Retry-After (whenFull: 'drop_newest').
 */
export class BodyBudget {
  readonly max: number;
  #used = 0;
  constructor(max: number) { this.max = max; }
  get used(): number { return this.#used; }
  tryReserve(n: number): boolean {
    if (this.#used + n > this.max) return false;
    this.#used += n;
    return true;
  }
  release(n: number): void { this.#used = Math.max(0, this.#used - n); }
}

/** Default budget: four maximal bodies. */
export const BODY_BUDGET_FACTOR = 4;
const budgets = new WeakMap<SourceContext, BodyBudget>();

/** The one body budget of an engine (its SourceContext), shared by the HTTP and OTLP sources. */
export function bodyBudget(ctx: SourceContext): BodyBudget {
  let b = budgets.get(ctx);
  if (b === undefined) {
    b = new BodyBudget(ctx.maxBodyBytesInFlight ?? BODY_BUDGET_FACTOR * ctx.maxBodyBytes);
    budgets.set(ctx, b);
  }
  return b;
}

/** Per-request state of an HTTP answer (uWS: nothing may be written after abort or twice). */
export interface ResState {
  aborted: boolean;
  done: boolean;
  /** Settles the request's entry in ctx.track() (answered or aborted) and frees its body budget. */
  finish: () => void;
}

/** How a source answers: `fail` writes an error (once; closeConnection ends the connection after it). */
export interface BodyHandlers {
  fail(err: DwError, closeConnection: boolean): void;
  /** The whole body, once it arrived and the credential was accepted. */
  body(body: Buffer, principal: Principal): void;
}

/**
 * Streams a request body in, authenticated as it arrives:
 *
 *   headers ─► reserve budget (declared length; 503 if it does not fit)
 *     ─► onData: copy each chunk (413 past maxBodyBytes) ┐
 *     ─► principal: rejected ─► 401/403 at once, connection closed, later chunks ignored
 *                   resolved ─► buffer of the declared length allocated now, chunks so far copied in
 *     ─► both complete ─► handlers.body(body, principal)
 *
 * Before the credential is accepted, at most what the client already sent is held (no
 * buffer of the declared length is allocated for an unauthenticated caller).
 * Call synchronously from the uWS handler (onData must be attached before it returns), after
 * `st.finish` was set.
 */
export function readBody(
  res: HttpResponse, st: ResState, ctx: SourceContext, declared: number,
  principal: Promise<Principal>, handlers: BodyHandlers,
): void {
  const { maxBodyBytes, log } = ctx;
  const budget = bodyBudget(ctx);
  let reserved = 0;
  const settle = st.finish;
  st.finish = () => {
    budget.release(reserved);
    reserved = 0;
    settle();
  };
  const known = declared >= 0;
  if (known) {
    if (!budget.tryReserve(declared)) {
      handlers.fail(new DwError('DW_ERR_UNAVAILABLE', `too many request bodies in flight (${budget.max} bytes); retry later`), true);
      return;
    }
    reserved = declared;
  }

  let who: Principal | undefined;
  // Until authenticated (or when the length is unknown): chunks, grown as they arrive.
  let chunks: Buffer[] | undefined = [];
  let whole: Buffer | undefined;
  let received = 0;
  let complete = false;

  const deliver = (): void => {
    if (!complete || who === undefined || st.done || st.aborted) return;
    const body = whole !== undefined ? whole.subarray(0, received) : Buffer.concat(chunks ?? [], received);
    chunks = undefined;
    whole = undefined;
    handlers.body(body, who);
  };

  principal.then(
    (p) => {
      if (st.done || st.aborted) return;
      who = p;
      if (known && !complete && chunks !== undefined) {
        // Authenticated: now the buffer of the declared length is worth allocating.
        whole = Buffer.allocUnsafe(declared);
        let at = 0;
        for (const c of chunks) { c.copy(whole, at); at += c.length; }
        chunks = undefined;
      }
      deliver();
    },
    (err: unknown) => {
      if (st.done || st.aborted) return;
      chunks = undefined;
      whole = undefined;
      // Refused: answer now and close, rather than read (and hold) the rest of the body.
      handlers.fail(ingestError(err, log), true);
    },
  );

  res.onData((chunk: ArrayBuffer, isLast: boolean) => {
    if (st.done || st.aborted || complete) return;
    const n = chunk.byteLength;
    if (received + n > maxBodyBytes || (known && received + n > declared)) {
      handlers.fail(new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the body exceeds ${known ? declared : maxBodyBytes} bytes`), true);
      return;
    }
    if (!known) {
      if (!budget.tryReserve(n)) {
        handlers.fail(new DwError('DW_ERR_UNAVAILABLE', `too many request bodies in flight (${budget.max} bytes); retry later`), true);
        return;
      }
      reserved += n;
    }
    // The ArrayBuffer is neutered when this callback returns: copy it now.
    if (whole !== undefined) whole.set(new Uint8Array(chunk), received);
    else chunks?.push(Buffer.from(new Uint8Array(chunk)));
    received += n;
    if (!isLast) return;
    complete = true;
    deliver();
  });
}

/** Answers a JSON body once (nothing after an abort or a first answer), with Retry-After on 429/503. */
export function send(
  res: HttpResponse, st: ResState, status: number, body: string | Uint8Array, closeConnection = false, retryAfter = RETRY_AFTER_SECONDS,
  contentType = 'application/json',
): void {
  if (st.aborted || st.done) return;
  st.done = true;
  res.cork(() => {
    res.writeStatus(statusLine(status)).writeHeader('content-type', contentType);
    if (retryable(status)) res.writeHeader('retry-after', retryAfter);
    res.end(body, closeConnection);
  });
  st.finish();
}

/** Writes an error in the source's own body format (closeConnection ends the connection after it). */
export type FailWriter = (res: HttpResponse, st: ResState, err: DwError, closeConnection: boolean) => void;

/**
 * The opening every body-carrying HTTP source shares: abort tracking, the refusal while
 * shutting down, and the request's entry in ctx.track() (close() waits for it from its headers
 * on). Returns the request's state, or undefined when it was already answered.
 */
export function beginRequest(res: HttpResponse, ctx: SourceContext, fail: FailWriter): ResState | undefined {
  const st: ResState = { aborted: false, done: false, finish: () => {} };
  res.onAborted(() => { st.aborted = true; st.finish(); });
  if (ctx.closing) {
    fail(res, st, new DwError('DW_ERR_SHUTTING_DOWN'), true);
    return undefined;
  }
  void ctx.track(new Promise<void>((resolve) => { st.finish = resolve; }));
  return st;
}

export const MAX_IDEMPOTENCY_KEY = 200;

/**
 * Checks the Idempotency-Key and the declared length, starts authentication, and streams the
 * body in with readBody(); `onBody` gets the whole body once the credential was accepted.
 * Call synchronously from the uWS handler, after beginRequest().
 */
export function acceptBody(
  res: HttpResponse, st: ResState, ctx: SourceContext, fail: FailWriter,
  headers: { authorization: string | undefined; idempotencyKey: string; contentLength: string },
  onBody: (body: Buffer, principal: Principal) => void,
): void {
  if (headers.idempotencyKey.length > MAX_IDEMPOTENCY_KEY) {
    fail(res, st, new DwError('DW_ERR_VALIDATION', `Idempotency-Key is longer than ${MAX_IDEMPOTENCY_KEY} characters`), true);
    return;
  }
  const declared = /^\d{1,15}$/.test(headers.contentLength) ? Number(headers.contentLength) : -1;
  if (declared > ctx.maxBodyBytes) {
    fail(res, st, new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the body is ${declared} bytes, at most ${ctx.maxBodyBytes}`), true);
    return;
  }
  // Authentication runs while the body streams in; a refusal is answered at once (readBody).
  const principal = ctx.authenticate(headers.authorization);
  principal.catch(() => {});
  readBody(res, st, ctx, declared, principal, {
    fail: (err, close) => fail(res, st, err, close),
    body: onBody,
  });
}

const REASONS: Record<number, string> = {
  200: 'OK', 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found',
  405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type',
  429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
};

export const statusLine = (status: number): string => `${status} ${REASONS[status] ?? 'Unknown'}`;
