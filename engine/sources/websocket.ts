// WebSocket source: GET /api/v1/stream on a uWebSockets.js app.
//
//   upgrade ─► authenticate (Authorization or X-API-Key: credentials.ts; or ?token=) ─► open
//   frame {"seq": n, "events": [...]} (JSON text | msgpack binary)
//        │ copied at once ─► [waiting frames, while backpressured] ─► decode
//        │ ─► credential re-checked (≤ 1 per REAUTH_MS; refused: nack + close 1008) ─► ctx.ingest() (durable)
//        ▼
//   {"ack": n, "rejected"?: [...]}  |  {"nack": n|null, "error": {code, message}}   in the frame type the client used
//
// Before decoding, a frame is checked against its tenant's own limits (size: 413 nack; events
// and values, counted from its bytes: transforms/prescan.ts). Memory: every frame from its
// receipt to its answer holds its bytes in the engine's frame budget, a share per tenant
// (sources/body.ts BodyBudget; FRAME_BUDGET_FACTOR × MAX_BODY_BYTES in all, at least 64 MiB): a frame that does
// not fit is nacked 503 DW_ERR_UNAVAILABLE at once (resend after a pause). A tenant may hold
// WS_MAX_CONNECTIONS_PER_TENANT connections to one engine (past it the upgrade gets 429
// DW_ERR_TOO_MANY_CONNECTIONS).
//
// Backpressure (STYLE.md §8): a connection processes at most MAX_IN_FLIGHT frames at once and
// none while its send buffer holds more than HIGH_WATER bytes; further frames wait (copied)
// and resume on `drain` (uWS cannot pause reading a WebSocket). When more than MAX_WAITING
// frames or MAX_WAITING_BYTES wait, the connection is closed with
// 1013 (try again later): the client resends what was not acknowledged; nothing is acked unstored.
// Bad frames are answered with a nack and the connection stays open. With ?client_id=, a
// batch is stored once per (tenant, client_id, seq), so resending after a reconnect is safe.
import { pack } from 'msgpackr';
import type { HttpRequest, HttpResponse, TemplatedApp, WebSocket, us_socket_context_t } from 'uWebSockets.js';
import { DwError, errorBody } from '../../src/core/errors.js';
import { decodeFrame, seqOf, sniffSeq, validateEach } from '../transforms/decode.js';
import type { Principal } from '../../src/core/auth/principal.js';
import { BodyBudget } from './body.js';
import { afterParse, asTenantLimit, ingestError, overBodyLimit, retryable, RETRY_AFTER_SECONDS, statusLine, type SourceContext } from './common.js';
import { eventsRejected, requestRefused, type RefusalSite } from './refusals.js';
import { credentialOf } from './credentials.js';

const STREAM_PATH = '/api/v1/stream';
const HIGH_WATER = 1024 * 1024;
const MAX_IN_FLIGHT = 16;
const MAX_WAITING = 10_000;
const MAX_WAITING_BYTES = 64 * 1024 * 1024;
/** Frames held in memory at once, engine-wide: this many maximal frames, at least MIN_FRAME_BUDGET (one tenant's share: a quarter, at least one frame). */
export const FRAME_BUDGET_FACTOR = 8;
const MIN_FRAME_BUDGET = 64 * 1024 * 1024;
/** Default WebSocket connections one tenant may hold to one engine. */
export const WS_MAX_CONNECTIONS_PER_TENANT = 64;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// How long one credential check serves the frames of a connection. API keys and sessions are
// cached by the resolver anyway (apiKeyCacheMs, 2 s); this spares a JWT signature check
// (~170 µs) per frame, and adds at most this much to the revocation delay.
const REAUTH_MS = 1_000;

interface Conn {
  tenantId: string;
  /** Where a refusal on this connection is logged (its tenant, the stream path). */
  site: RefusalSite;
  /** The credential of the upgrade, re-checked while the connection lives (revocation, expiry). */
  authorization: string | undefined;
  /** The last re-check and when it started (shared by the frames of one REAUTH_MS window). */
  auth: { at: number; principal: Promise<Principal> } | undefined;
  clientId: string | undefined;
  waiting: { bytes: Uint8Array; isBinary: boolean }[];
  waitingBytes: number;
  inFlight: number;
  closed: boolean;
}

export interface WebSocketSource {
  /** Ends every open connection (1001) once close() has stored and answered their frames. */
  closeAll(): void;
}

/** What the handlers of one engine's WebSocket route share. */
interface Shared {
  readonly ctx: SourceContext;
  readonly open: Set<WebSocket<Conn>>;
  /** Open (or upgrading) connections per tenant. */
  readonly perTenant: Map<string, number>;
  readonly maxPerTenant: number;
  /** Bytes of frames from receipt to answer, per tenant. */
  readonly frames: BodyBudget;
}

function reply(ws: WebSocket<Conn>, c: Conn, msg: object, isBinary: boolean): void {
  if (c.closed) return;
  send(ws, c, isBinary ? pack(msg) : JSON.stringify(msg), isBinary);
}

function send(ws: WebSocket<Conn>, c: Conn, payload: string | Uint8Array, isBinary: boolean): void {
  if (c.closed) return;
  let status = 1;
  ws.cork(() => { status = ws.send(payload, isBinary); });
  if (status === 2) {
    // Dropped by uWS: the client would wait for an answer that never comes.
    c.closed = true;
    ws.end(1013, 'send buffer full; reconnect and resend unacknowledged batches');
  }
}

function nack(ws: WebSocket<Conn>, c: Conn, seq: number | null, err: DwError, isBinary: boolean): void {
  requestRefused(c.site, err);
  reply(ws, c, { nack: seq, error: errorBody(err).error }, isBinary);
}

/** The connection's credential, checked again through the resolver at most once per REAUTH_MS. */
function recheck(ctx: SourceContext, c: Conn): Promise<Principal> {
  const now = Date.now();
  if (c.auth === undefined || now - c.auth.at >= REAUTH_MS) {
    const principal = ctx.authenticate(c.authorization);
    principal.catch(() => {});
    c.auth = { at: now, principal };
  }
  return c.auth.principal;
}

/** Re-checks the credential; false (frame nacked, connection ended 1008) when it is no longer valid. */
async function stillAllowed(sh: Shared, ws: WebSocket<Conn>, c: Conn, seq: number, isBinary: boolean): Promise<boolean> {
  try {
    await recheck(sh.ctx, c);
    return true;
  } catch (err) {
    const dw = ingestError(err, sh.ctx.log);
    if (dw.statusCode !== 401 && dw.statusCode !== 403) throw dw;
    // Revoked, expired or no longer allowed to ingest: this frame is refused, the connection ended.
    nack(ws, c, seq, dw, isBinary);
    if (!c.closed) {
      c.closed = true;
      c.waiting.length = 0;
      ws.end(1008, 'credentials no longer valid; reconnect with a valid credential');
    }
    return false;
  }
}

async function handle(sh: Shared, ws: WebSocket<Conn>, c: Conn, bytes: Uint8Array, isBinary: boolean): Promise<void> {
  const { ctx } = sh;
  let seq: number | null = null;
  let lim;
  let leave: (() => void) | undefined;
  try {
    if (ctx.closing) throw new DwError('DW_ERR_SHUTTING_DOWN');
    // The tenant's own limits, before anything is decoded.
    lim = await ctx.tenantLimits(c.tenantId);
    if (bytes.byteLength > lim.maxBodyBytes) {
      seq = sniffSeq(bytes, isBinary);
      throw overBodyLimit(bytes.byteLength, lim);
    }
    // A tenant over its share, with its few frames in flight, waits here (undecoded).
    leave = await ctx.enter(c.tenantId);
    await ctx.turn(c.tenantId, bytes.byteLength);
    const frame = decodeFrame(bytes, isBinary, lim);
    seq = frame.seq;
    const { records, rejected, firstError } = validateEach(frame.events, lim, Date.now());
    eventsRejected(c.site, rejected);
    // Nothing valid: a nack (nothing stored); else the ack names each event refused.
    if (firstError !== undefined && records.length === 0) throw Object.assign(firstError, { details: { ...firstError.details, rejected } });
    if (!await stillAllowed(sh, ws, c, seq, isBinary) || c.closed) return;
    const batchKey = c.clientId === undefined ? undefined : `ws:${c.clientId}:${seq}`;
    const result = await ctx.ingest(c.tenantId, records, bytes.byteLength, batchKey);
    // The common answer as text, written directly (what JSON.stringify gives for it).
    if (!isBinary && rejected.length === 0 && !result.duplicate) send(ws, c, `{"ack":${seq}}`, false);
    else reply(ws, c, { ack: seq, ...(rejected.length > 0 ? { rejected } : {}), ...(result.duplicate ? { duplicate: true } : {}) }, isBinary);
  } catch (err) {
    nack(ws, c, seq ?? seqOf(err), ingestError(lim === undefined ? err : asTenantLimit(err, lim), ctx.log), isBinary);
  } finally {
    leave?.();
  }
}

function start(sh: Shared, ws: WebSocket<Conn>, c: Conn, bytes: Uint8Array, isBinary: boolean): void {
  c.inFlight++;
  void sh.ctx.track(handle(sh, ws, c, bytes, isBinary)).finally(() => {
    c.inFlight--;
    sh.frames.release(c.tenantId, bytes.byteLength);
    pump(sh, ws, c);
  });
}

function canStart(ws: WebSocket<Conn>, c: Conn): boolean {
  return !c.closed && c.inFlight < MAX_IN_FLIGHT && ws.getBufferedAmount() < HIGH_WATER;
}

function pump(sh: Shared, ws: WebSocket<Conn>, c: Conn): void {
  while (c.waiting.length > 0 && canStart(ws, c)) {
    const f = c.waiting.shift()!;
    c.waitingBytes -= f.bytes.byteLength;
    start(sh, ws, c, f.bytes, f.isBinary);
  }
}

/** A frame arrived: started, queued while the connection is busy, or refused (memory, too many waiting). */
function onMessage(sh: Shared, ws: WebSocket<Conn>, message: ArrayBuffer, isBinary: boolean): void {
  const c = ws.getUserData();
  if (c.closed) return;
  const n = message.byteLength;
  if (!sh.frames.tryReserve(c.tenantId, n)) {
    // Held nowhere: answered from what can be read of its seq without copying it.
    const seq = sniffSeq(new Uint8Array(message), isBinary);
    nack(ws, c, seq, new DwError('DW_ERR_UNAVAILABLE', `too many frames held in memory (${sh.frames.share} bytes per tenant); resend after a pause`), isBinary);
    return;
  }
  // The ArrayBuffer is neutered when this callback returns: copy it first.
  const bytes = new Uint8Array(message.slice(0));
  if (c.waiting.length === 0 && canStart(ws, c)) {
    start(sh, ws, c, bytes, isBinary);
    return;
  }
  if (c.waiting.length >= MAX_WAITING || c.waitingBytes + n > MAX_WAITING_BYTES) {
    sh.frames.release(c.tenantId, n);
    dropWaiting(sh, c);
    ws.end(1013, 'too many unacknowledged batches; reconnect and resend');
    return;
  }
  c.waiting.push({ bytes, isBinary });
  c.waitingBytes += n;
}

/** Closes the connection's books: its waiting frames give their memory back. */
function dropWaiting(sh: Shared, c: Conn): void {
  c.closed = true;
  for (const f of c.waiting) sh.frames.release(c.tenantId, f.bytes.byteLength);
  c.waiting.length = 0;
  c.waitingBytes = 0;
}

function upgrade(sh: Shared, res: HttpResponse, req: HttpRequest, context: us_socket_context_t): void {
  const { ctx } = sh;
  let aborted = false;
  res.onAborted(() => { aborted = true; });
  const key = req.getHeader('sec-websocket-key');
  const protocol = req.getHeader('sec-websocket-protocol');
  const extensions = req.getHeader('sec-websocket-extensions');
  const header = credentialOf(req) ?? '';
  const token = req.getQuery('token');
  const clientId = req.getQuery('client_id') || undefined;
  const site: RefusalSite = { log: ctx.log, path: STREAM_PATH };
  // Written after uWS's parser loop: nothing the client pipelined behind is routed (common.ts afterParse).
  const refuse = (err: DwError): void => {
    if (aborted) return;
    requestRefused(site, err);
    afterParse(() => {
      if (aborted) return;
      res.cork(() => {
        res.writeStatus(statusLine(err.statusCode)).writeHeader('content-type', 'application/json');
        if (retryable(err.statusCode)) res.writeHeader('retry-after', RETRY_AFTER_SECONDS);
        res.end(JSON.stringify(errorBody(err)), true);
      });
    });
  };
  if (ctx.closing) return refuse(new DwError('DW_ERR_SHUTTING_DOWN'));
  if (clientId !== undefined && !CLIENT_ID.test(clientId)) {
    return refuse(new DwError('DW_ERR_VALIDATION', 'client_id must be 1-128 characters of A-Z a-z 0-9 . _ : -'));
  }
  const authorization = header !== '' ? header : token ? `Bearer ${token}` : undefined;
  ctx.authenticate(authorization).then(
    (p) => {
      site.tenantId = p.tenantId;
      if (aborted) return;
      const held = sh.perTenant.get(p.tenantId) ?? 0;
      if (held >= sh.maxPerTenant) {
        return refuse(new DwError('DW_ERR_TOO_MANY_CONNECTIONS', `this tenant holds ${held} WebSocket connections to this engine, at most ${sh.maxPerTenant}`, { limit: sh.maxPerTenant }));
      }
      // Counted from here; given back in close() (uWS calls open, then close, for every upgrade).
      sh.perTenant.set(p.tenantId, held + 1);
      const conn: Conn = { tenantId: p.tenantId, site, authorization, auth: { at: Date.now(), principal: Promise.resolve(p) }, clientId, waiting: [], waitingBytes: 0, inFlight: 0, closed: false };
      res.cork(() => res.upgrade(conn, key, protocol, extensions, context));
    },
    (err: unknown) => refuse(ingestError(err, ctx.log)),
  );
}

export function websocketSource(app: TemplatedApp, ctx: SourceContext): WebSocketSource {
  const { maxBodyBytes } = ctx;
  const frameBytes = ctx.maxFrameBytesInMemory ?? Math.max(FRAME_BUDGET_FACTOR * maxBodyBytes, MIN_FRAME_BUDGET);
  const sh: Shared = {
    ctx, open: new Set(), perTenant: new Map(), maxPerTenant: ctx.wsMaxConnectionsPerTenant ?? WS_MAX_CONNECTIONS_PER_TENANT,
    frames: new BodyBudget(frameBytes, Math.max(maxBodyBytes, Math.floor(frameBytes / 4))),
  };
  app.ws<Conn>(STREAM_PATH, {
    // Frames up to twice the limit are read and refused with a nack; larger ones make uWS close (1009).
    maxPayloadLength: Math.min(2 * maxBodyBytes, maxBodyBytes + 64 * 1024 * 1024),
    maxBackpressure: 64 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => upgrade(sh, res, req, context),
    open: (ws) => { sh.open.add(ws); },
    message: (ws, message, isBinary) => onMessage(sh, ws, message, isBinary),
    drain: (ws) => pump(sh, ws, ws.getUserData()),
    close(ws) {
      const c = ws.getUserData();
      dropWaiting(sh, c);
      sh.open.delete(ws);
      const left = (sh.perTenant.get(c.tenantId) ?? 1) - 1;
      if (left > 0) sh.perTenant.set(c.tenantId, left);
      else sh.perTenant.delete(c.tenantId);
    },
  });
  return {
    closeAll() {
      for (const ws of [...sh.open]) {
        const c = ws.getUserData();
        if (!c.closed) {
          c.closed = true;
          ws.end(1001, 'server shutting down');
        }
      }
    },
  };
}
