// The edge's two ways of passing an exchange on to a tenant's engine, once its route is known:
//
//   forwardRequest (HTTP)
//     request  ─ body piped ─▶ http.request (keep-alive agent) ─▶ engine
//     response ◀─ status, headers less hop-by-hop, body streamed (pipeline) ◀─┘
//     refused / timed out before an answer: 502 DW_ERR_UPSTREAM_UNREACHABLE
//   openTunnel (Upgrade, WebSocket)
//     net.connect(engine) ─▶ the handshake re-sent ─▶ joinTunnel (tunnel.ts): both sockets piped
//     into each other, the client's frames checked on the way (text not UTF-8: close 1007;
//     unmasked or malformed framing: 1002), until either side closes (the other is ended
//     gently, destroyed if it lingers)
//
// A client that goes away mid-request or mid-response only ends its own exchange: every socket
// and stream has an error listener, and each side is destroyed with the other.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { pipeline, type Duplex } from 'node:stream';
import { DwError, errorBody, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { countRefusal, EdgeUpstreamError } from '../core/telemetry/index.js';
import { splitAddress, type Route } from '../core/routing/cache.js';
import { requestHead, requestHeaders, responseHeaders } from './headers.js';
import { joinTunnel } from './tunnel.js';

export interface EdgeStats {
  requests: number;
  upgrades: number;
  /** Answered 404: no tenant in the Host header, or no route for it. */
  notFound: number;
  /** Answered 502 (or a tunnel refused): the engine could not be reached. */
  upstreamErrors: number;
  /** Clients that went away before their exchange ended. */
  clientAborts: number;
  /** WebSocket tunnels open now. */
  tunnels: number;
  /** WebSocket tunnels the edge closed for a client frame breaking RFC 6455 (1007, 1002). */
  wsViolations: number;
}

/** What forwarding needs of the proxy: its agent, counters, log, connect timeout and open tunnels. */
export interface Upstream {
  readonly agent: http.Agent;
  readonly stats: EdgeStats;
  readonly log: Logger;
  readonly connectTimeoutMs: number;
  readonly tunnels: Set<Socket | Duplex>;
}

/** How long the second side of a closed tunnel may take to flush and close. */
const TUNNEL_END_GRACE_MS = 5_000;

const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({ 400: 'Bad Request', 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable' });

function errorJson(code: ErrorCode, detail: string): { status: number; body: string } {
  countRefusal('edge', code);
  const e = new DwError(code, detail);
  return { status: e.statusCode, body: JSON.stringify(errorBody(e)) };
}

export function sendError(res: ServerResponse, code: ErrorCode, detail: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const { status, body } = errorJson(code, detail);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** An error answer written straight onto a socket: one that asked for an upgrade, or whose request Node's parser refused. */
export function rejectUpgrade(socket: Duplex, code: ErrorCode, detail: string): void {
  if (socket.destroyed) return;
  const { status, body } = errorJson(code, detail);
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`);
}

/**
 * One side of a tunnel has closed: end the other (pipe() has usually done so already), so
 * that what is still buffered for it (a close frame) is flushed; destroy it if it lingers.
 */
function endGently(s: Duplex): void {
  if (s.destroyed) return;
  s.end();
  setTimeout(() => s.destroy(), TUNNEL_END_GRACE_MS).unref();
}

/** Fails a connect that takes longer than timeoutMs (a reused keep-alive socket is already connected). */
function connectDeadline(socket: Socket, timeoutMs: number, fail: () => void): void {
  if (!socket.connecting) return;
  const t = setTimeout(fail, timeoutMs);
  t.unref();
  socket.once('connect', () => clearTimeout(t));
  socket.once('close', () => clearTimeout(t));
}

const timedOut = (u: Upstream, route: Route): Error => new Error(`connect to ${route.address} timed out after ${u.connectTimeoutMs} ms`);

/** Passes an HTTP request on to the route's engine and its answer back. */
export function forwardRequest(u: Upstream, route: Route, req: IncomingMessage, res: ServerResponse): void {
  const { host, port } = splitAddress(route.address);
  const up = http.request({
    host, port, agent: u.agent, method: req.method, path: req.url,
    headers: requestHeaders(req.headers, { clientIp: req.socket.remoteAddress, proto: 'http' }),
  });
  let answered = false;
  let aborted = false;
  let failed = false;
  const clientGone = (): void => {
    if (aborted || failed) return;
    aborted = true;
    u.stats.clientAborts++;
    up.destroy();
  };
  up.on('socket', (s: Socket) => connectDeadline(s, u.connectTimeoutMs, () => up.destroy(timedOut(u, route))));
  up.on('response', (ur: IncomingMessage) => {
    answered = true;
    if (res.destroyed) {
      ur.destroy();
      return;
    }
    res.writeHead(ur.statusCode ?? 502, ur.statusMessage, responseHeaders(ur.headers));
    pipeline(ur, res, (err) => {
      if (err !== undefined && err !== null) clientGone();
    });
  });
  up.on('error', (err: Error) => {
    if (answered || aborted) return;
    failed = true;
    u.stats.upstreamErrors++;
    EdgeUpstreamError.emit(u.log, { err, subdomain: route.subdomain, address: route.address });
    sendError(res, 'DW_ERR_UPSTREAM_UNREACHABLE', `${route.subdomain}: ${err.message}`);
  });
  // The client went away mid-body or before its answer was complete: end the engine's side
  // too. (Not pipeline(req, up): an engine error would destroy req, and with it the socket
  // the 502 goes out on.)
  req.once('close', () => { if (!req.complete) clientGone(); });
  res.once('close', () => { if (!res.writableFinished) clientGone(); });
  req.pipe(up);
}

/** Connects to the route's engine, re-sends the upgrade request and pipes both sockets into each other. */
export function openTunnel(u: Upstream, route: Route, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const { host, port } = splitAddress(route.address);
  const up = net.connect({ host, port });
  let connected = false;
  up.on('error', (err: Error) => {
    if (connected) {
      socket.destroy();
      return;
    }
    u.stats.upstreamErrors++;
    EdgeUpstreamError.emit(u.log, { err, subdomain: route.subdomain, address: route.address, upgrade: true });
    rejectUpgrade(socket, 'DW_ERR_UPSTREAM_UNREACHABLE', `${route.subdomain}: ${err.message}`);
  });
  connectDeadline(up, u.connectTimeoutMs, () => up.destroy(timedOut(u, route)));
  socket.once('close', () => {
    if (!connected) {
      u.stats.clientAborts++;
      up.destroy();
    } else {
      endGently(up);
    }
  });
  up.once('connect', () => {
    connected = true;
    if (socket.destroyed) {
      up.destroy();
      return;
    }
    up.setNoDelay(true);
    up.write(requestHead(req.method ?? 'GET', req.url ?? '/', requestHeaders(req.headers, { clientIp: req.socket.remoteAddress, proto: 'http' }, true)));
    if (head.length > 0) up.write(head);
    // From here on the bytes are the engine's and the client's: the engine answers the
    // handshake (101, or its own refusal) and the frames follow, both ways.
    u.tunnels.add(up);
    u.tunnels.add(socket);
    u.stats.tunnels++;
    up.once('close', () => {
      u.tunnels.delete(up);
      u.tunnels.delete(socket);
      u.stats.tunnels--;
      endGently(socket);
    });
    joinTunnel(socket, up, (v) => {
      u.stats.wsViolations++;
      countRefusal('edge', v.code === 1007 ? 'DW_ERR_INVALID_UTF8' : 'DW_ERR_VALIDATION');
    }, TUNNEL_END_GRACE_MS);
  });
}
