// WebSocket source: GET /api/v1/stream on a uWebSockets.js app.
//
//   upgrade ─► authenticate (Authorization header or ?token=) ─► open
//   frame {"seq": n, "events": [...]} (JSON text | msgpack binary)
//        │ copied at once ─► [waiting frames, while backpressured] ─► decode
//        │ ─► credential re-checked (≤ 1 per REAUTH_MS; refused: nack + close 1008) ─► ctx.ingest() (durable)
//        ▼
//   {"ack": n}  |  {"nack": n|null, "error": {code, message}}   in the frame type the client used
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
import { retryable, RETRY_AFTER_SECONDS, statusLine, ingestError, type SourceContext } from './common.js';
import { countRefusal, countRejectedEvent } from '../../src/core/telemetry/index.js';
import { credentialOf } from './credentials.js';

const STREAM_PATH = '/api/v1/stream';
const HIGH_WATER = 1024 * 1024;
const MAX_IN_FLIGHT = 16;
const MAX_WAITING = 10_000;
const MAX_WAITING_BYTES = 64 * 1024 * 1024;
const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;
// How long one credential check serves the frames of a connection. API keys and sessions are
// cached by the resolver anyway (apiKeyCacheMs, 2 s); this spares a JWT signature check
// (~170 µs) per frame, and adds at most this much to the revocation delay.
const REAUTH_MS = 1_000;

interface Conn {
  tenantId: string;
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

export function websocketSource(app: TemplatedApp, ctx: SourceContext): WebSocketSource {
  const { log, limits, maxBodyBytes } = ctx;
  const open = new Set<WebSocket<Conn>>();

  function reply(ws: WebSocket<Conn>, c: Conn, msg: object, isBinary: boolean): void {
    if (c.closed) return;
    const payload = isBinary ? pack(msg) : JSON.stringify(msg);
    let status = 1;
    ws.cork(() => { status = ws.send(payload, isBinary); });
    if (status === 2) {
      // Dropped by uWS: the client would wait for an answer that never comes.
      c.closed = true;
      ws.end(1013, 'send buffer full; reconnect and resend unacknowledged batches');
    }
  }

  function nack(ws: WebSocket<Conn>, c: Conn, seq: number | null, err: DwError, isBinary: boolean): void {
    countRefusal('engine', err.code);
    reply(ws, c, { nack: seq, error: errorBody(err).error }, isBinary);
  }

  /** The connection's credential, checked again through the resolver at most once per REAUTH_MS. */
  function recheck(c: Conn): Promise<Principal> {
    const now = Date.now();
    if (c.auth === undefined || now - c.auth.at >= REAUTH_MS) {
      const principal = ctx.authenticate(c.authorization);
      principal.catch(() => {});
      c.auth = { at: now, principal };
    }
    return c.auth.principal;
  }

  async function handle(ws: WebSocket<Conn>, c: Conn, bytes: Uint8Array, isBinary: boolean): Promise<void> {
    let seq: number | null = null;
    try {
      if (ctx.closing) throw new DwError('DW_ERR_SHUTTING_DOWN');
      if (bytes.byteLength > maxBodyBytes) {
        seq = sniffSeq(bytes, isBinary);
        throw new DwError('DW_ERR_PAYLOAD_TOO_LARGE', `the frame is ${bytes.byteLength} bytes, at most ${maxBodyBytes}`);
      }
      const frame = decodeFrame(bytes, isBinary, limits);
      seq = frame.seq;
      const { records, rejected, firstError } = validateEach(frame.events, limits, Date.now());
      for (const r of rejected) countRejectedEvent(r.code);
      // Nothing valid: a nack (nothing stored); else the ack names each event refused.
      if (firstError !== undefined && records.length === 0) throw Object.assign(firstError, { details: { ...firstError.details, rejected } });
      try {
        await recheck(c);
      } catch (err) {
        const dw = ingestError(err, log);
        if (dw.statusCode !== 401 && dw.statusCode !== 403) throw dw;
        // Revoked, expired or no longer allowed to ingest: this frame is refused, the connection ended.
        nack(ws, c, seq, dw, isBinary);
        if (!c.closed) {
          c.closed = true;
          c.waiting.length = 0;
          ws.end(1008, 'credentials no longer valid; reconnect with a valid credential');
        }
        return;
      }
      if (c.closed) return;
      const batchKey = c.clientId === undefined ? undefined : `ws:${c.clientId}:${seq}`;
      const result = await ctx.ingest(c.tenantId, records, bytes.byteLength, batchKey);
      reply(ws, c, { ack: seq, ...(rejected.length > 0 ? { rejected } : {}), ...(result.duplicate ? { duplicate: true } : {}) }, isBinary);
    } catch (err) {
      nack(ws, c, seq ?? seqOf(err), ingestError(err, log), isBinary);
    }
  }

  function start(ws: WebSocket<Conn>, c: Conn, bytes: Uint8Array, isBinary: boolean): void {
    c.inFlight++;
    void ctx.track(handle(ws, c, bytes, isBinary)).finally(() => {
      c.inFlight--;
      pump(ws, c);
    });
  }

  function canStart(ws: WebSocket<Conn>, c: Conn): boolean {
    return !c.closed && c.inFlight < MAX_IN_FLIGHT && ws.getBufferedAmount() < HIGH_WATER;
  }

  function pump(ws: WebSocket<Conn>, c: Conn): void {
    while (c.waiting.length > 0 && canStart(ws, c)) {
      const f = c.waiting.shift()!;
      c.waitingBytes -= f.bytes.byteLength;
      start(ws, c, f.bytes, f.isBinary);
    }
  }

  app.ws<Conn>(STREAM_PATH, {
    // Frames up to twice the limit are read and refused with a nack; larger ones make uWS close (1009).
    maxPayloadLength: Math.min(2 * maxBodyBytes, maxBodyBytes + 64 * 1024 * 1024),
    maxBackpressure: 64 * 1024 * 1024,
    closeOnBackpressureLimit: 0,
    idleTimeout: 120,
    sendPingsAutomatically: true,

    upgrade(res: HttpResponse, req: HttpRequest, context: us_socket_context_t) {
      let aborted = false;
      res.onAborted(() => { aborted = true; });
      const key = req.getHeader('sec-websocket-key');
      const protocol = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const header = credentialOf(req) ?? '';
      const token = req.getQuery('token') as string | undefined;
      const clientId = (req.getQuery('client_id') as string | undefined) || undefined;
      const refuse = (err: DwError): void => {
        if (aborted) return;
        countRefusal('engine', err.code);
        res.cork(() => {
          res.writeStatus(statusLine(err.statusCode)).writeHeader('content-type', 'application/json');
          if (retryable(err.statusCode)) res.writeHeader('retry-after', RETRY_AFTER_SECONDS);
          res.end(JSON.stringify(errorBody(err)), true);
        });
      };
      if (ctx.closing) return refuse(new DwError('DW_ERR_SHUTTING_DOWN'));
      if (clientId !== undefined && !CLIENT_ID.test(clientId)) {
        return refuse(new DwError('DW_ERR_VALIDATION', 'client_id must be 1-128 characters of A-Z a-z 0-9 . _ : -'));
      }
      const authorization = header !== '' ? header : token ? `Bearer ${token}` : undefined;
      ctx.authenticate(authorization).then(
        (p) => {
          if (aborted) return;
          const conn: Conn = { tenantId: p.tenantId, authorization, auth: { at: Date.now(), principal: Promise.resolve(p) }, clientId, waiting: [], waitingBytes: 0, inFlight: 0, closed: false };
          res.cork(() => res.upgrade(conn, key, protocol, extensions, context));
        },
        (err: unknown) => refuse(ingestError(err, log)),
      );
    },

    open(ws) {
      open.add(ws);
    },

    message(ws, message, isBinary) {
      const c = ws.getUserData();
      // The ArrayBuffer is neutered when this callback returns: copy it first.
      const bytes = new Uint8Array(message.slice(0));
      if (c.waiting.length === 0 && canStart(ws, c)) {
        start(ws, c, bytes, isBinary);
        return;
      }
      if (c.waiting.length >= MAX_WAITING || c.waitingBytes + bytes.byteLength > MAX_WAITING_BYTES) {
        c.closed = true;
        c.waiting.length = 0;
        ws.end(1013, 'too many unacknowledged batches; reconnect and resend');
        return;
      }
      c.waiting.push({ bytes, isBinary });
      c.waitingBytes += bytes.byteLength;
    },

    drain(ws) {
      pump(ws, ws.getUserData());
    },

    close(ws) {
      const c = ws.getUserData();
      c.closed = true;
      c.waiting.length = 0;
      open.delete(ws);
    },
  });

  return {
    closeAll() {
      for (const ws of [...open]) {
        const c = ws.getUserData();
        if (!c.closed) {
          c.closed = true;
          ws.end(1001, 'server shutting down');
        }
      }
    },
  };
}
