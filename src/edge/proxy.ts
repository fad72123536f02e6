// The built-in edge proxy: one port (EDGE_PORT) for every tenant, chosen by the Host header, so
// that a single machine serves `alice.localhost:8000` and `bob.localhost:8000` from their own
// engines:
//
//   client ─ Host: alice.<domain> ─▶ tenantOfHost ─▶ routes.get('alice') (memory ─▶ Redis ─▶ PostgreSQL)
//     │                                                 │ null: 404 DW_ERR_ROUTE_NOT_FOUND
//     │ HTTP                                            ▼ "host:port" of alice's engine
//     ├─ request  ─ body streamed (pipeline) ─▶ http.request (keep-alive agent) ─▶ engine
//     │  response ◀─ status, headers less hop-by-hop, body streamed ◀─────────────┘
//     │           refused / timed out before an answer: 502 DW_ERR_UPSTREAM_UNREACHABLE
//     └─ Upgrade (WebSocket) ─▶ net.connect(engine) ─▶ the handshake re-sent ─▶ both raw sockets
//                               piped into each other until either side closes
//
// A client that goes away mid-request or mid-response only ends its own exchange: every socket
// and stream has an error listener, and each side is destroyed with the other.
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type Socket } from 'node:net';
import { pipeline } from 'node:stream';
import type { Duplex } from 'node:stream';
import { DwError, errorBody, type ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { splitAddress, type Route } from '../core/routing/cache.js';
import { requestHead, requestHeaders, responseHeaders, tenantOfHost } from './headers.js';

export interface RouteLookup {
  get(subdomain: string): Promise<Route | null>;
}

export interface EdgeOptions {
  routes: RouteLookup;
  /** Base domain: `<tenant>.<domain>` (DRIFTWATCH_DOMAIN). */
  domain: string;
  host: string;
  port: number;
  log: Logger;
  /** How long connecting to an engine may take before 502 (default 5 s). */
  connectTimeoutMs?: number;
  /** close(): how long requests in flight and WebSocket tunnels may take to end (default 10 s). */
  shutdownGraceMs?: number;
}

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
}

export interface EdgeHandle {
  readonly port: number;
  readonly stats: Readonly<EdgeStats>;
  /** Stops taking connections; exchanges in flight go on (close() ends them). */
  stopAccepting(): void;
  close(): Promise<void>;
}

/** How long the second side of a closed tunnel may take to flush and close. */
const TUNNEL_END_GRACE_MS = 5_000;

const STATUS_TEXT: Readonly<Record<number, string>> = Object.freeze({ 404: 'Not Found', 502: 'Bad Gateway', 503: 'Service Unavailable' });

function errorJson(code: ErrorCode, detail: string): { status: number; body: string } {
  const e = new DwError(code, detail);
  return { status: e.statusCode, body: JSON.stringify(errorBody(e)) };
}

function sendError(res: ServerResponse, code: ErrorCode, detail: string): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const { status, body } = errorJson(code, detail);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/** An error answer written straight onto a socket that asked for an upgrade. */
function rejectUpgrade(socket: Duplex, code: ErrorCode, detail: string): void {
  if (socket.destroyed) return;
  const { status, body } = errorJson(code, detail);
  socket.end(`HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\ncontent-type: application/json; charset=utf-8\r\n`
    + `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n${body}`);
}

export async function startEdgeProxy(opts: EdgeOptions): Promise<EdgeHandle> {
  const { routes, domain } = opts;
  const log = opts.log.child({ component: 'edge' });
  const connectTimeoutMs = opts.connectTimeoutMs ?? 5_000;
  const graceMs = opts.shutdownGraceMs ?? 10_000;
  const stats: EdgeStats = { requests: 0, upgrades: 0, notFound: 0, upstreamErrors: 0, clientAborts: 0, tunnels: 0 };
  // Idle engine connections are dropped after 4 s, before the engine's own idle timeout
  // (uWebSockets.js: 10 s) can close one just as a request is sent on it.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: 4_000 });
  const tunnels = new Set<Socket | Duplex>();
  let inFlight = 0;
  let idle: (() => void) | undefined;

  /** The route for a Host header, or an error code and detail to answer with. */
  async function resolve(host: string | undefined): Promise<Route | { code: ErrorCode; detail: string }> {
    const m = tenantOfHost(host, domain);
    if (m.kind === 'none') return { code: 'DW_ERR_ROUTE_NOT_FOUND', detail: m.reason };
    let route: Route | null;
    try {
      route = await routes.get(m.subdomain);
    } catch (err) {
      log.warn({ err, event: 'EdgeRouteLookupError', subdomain: m.subdomain }, 'edge: route lookup failed');
      return { code: 'DW_ERR_UNAVAILABLE', detail: 'the routing table cannot be read' };
    }
    return route ?? { code: 'DW_ERR_ROUTE_NOT_FOUND', detail: m.subdomain };
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

  /** Fails a connect that takes longer than connectTimeoutMs (a reused keep-alive socket is already connected). */
  function connectDeadline(socket: Socket, fail: () => void): void {
    if (!socket.connecting) return;
    const t = setTimeout(fail, connectTimeoutMs);
    t.unref();
    socket.once('connect', () => clearTimeout(t));
    socket.once('close', () => clearTimeout(t));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    stats.requests++;
    const route = await resolve(req.headers.host);
    if (!('address' in route)) {
      if (route.code === 'DW_ERR_ROUTE_NOT_FOUND') stats.notFound++;
      req.resume();
      return sendError(res, route.code, route.detail);
    }
    if (req.destroyed || res.destroyed) {
      stats.clientAborts++;
      return;
    }
    const { host, port } = splitAddress(route.address);
    const up = http.request({
      host, port, agent, method: req.method, path: req.url,
      headers: requestHeaders(req.headers, { clientIp: req.socket.remoteAddress, proto: 'http' }),
    });
    let answered = false;
    let aborted = false;
    let failed = false;
    const clientGone = (): void => {
      if (aborted || failed) return;
      aborted = true;
      stats.clientAborts++;
      up.destroy();
    };
    up.on('socket', (s: Socket) => connectDeadline(s, () => up.destroy(new Error(`connect to ${route.address} timed out after ${connectTimeoutMs} ms`))));
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
      stats.upstreamErrors++;
      log.warn({ err, event: 'EdgeUpstreamError', subdomain: route.subdomain, address: route.address }, 'edge: engine unreachable');
      sendError(res, 'DW_ERR_UPSTREAM_UNREACHABLE', `${route.subdomain}: ${err.message}`);
    });
    // The client went away mid-body or before its answer was complete: end the engine's side
    // too. (Not pipeline(req, up): an engine error would destroy req, and with it the socket
    // the 502 goes out on.)
    req.once('close', () => { if (!req.complete) clientGone(); });
    res.once('close', () => { if (!res.writableFinished) clientGone(); });
    req.pipe(up);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    stats.upgrades++;
    const route = await resolve(req.headers.host);
    if (!('address' in route)) {
      if (route.code === 'DW_ERR_ROUTE_NOT_FOUND') stats.notFound++;
      return rejectUpgrade(socket, route.code, route.detail);
    }
    if (socket.destroyed) {
      stats.clientAborts++;
      return;
    }
    const { host, port } = splitAddress(route.address);
    const up = net.connect({ host, port });
    let connected = false;
    up.on('error', (err: Error) => {
      if (connected) {
        socket.destroy();
        return;
      }
      stats.upstreamErrors++;
      log.warn({ err, event: 'EdgeUpstreamError', subdomain: route.subdomain, address: route.address }, 'edge: engine unreachable (upgrade)');
      rejectUpgrade(socket, 'DW_ERR_UPSTREAM_UNREACHABLE', `${route.subdomain}: ${err.message}`);
    });
    connectDeadline(up, () => up.destroy(new Error(`connect to ${route.address} timed out after ${connectTimeoutMs} ms`)));
    socket.once('close', () => {
      if (!connected) {
        stats.clientAborts++;
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
      tunnels.add(up);
      tunnels.add(socket);
      stats.tunnels++;
      up.once('close', () => {
        tunnels.delete(up);
        tunnels.delete(socket);
        stats.tunnels--;
        endGently(socket);
      });
      up.pipe(socket);
      socket.pipe(up);
    });
  }

  const server = http.createServer({ keepAliveTimeout: 65_000 });
  const track = (p: Promise<void>): void => {
    inFlight++;
    p.catch((err: unknown) => log.error({ err, event: 'EdgeProxyError' }, 'edge: unexpected error')).finally(() => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  };
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.on('error', () => {});
    res.on('error', () => {});
    track(onRequest(req, res).catch((err: unknown) => {
      sendError(res, 'DW_ERR_INTERNAL', 'edge proxy');
      throw err;
    }));
    // In flight until the answer is complete or the client is gone, not only until it is sent on.
    inFlight++;
    res.once('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    track(onUpgrade(req, socket, head).catch((err: unknown) => {
      rejectUpgrade(socket, 'DW_ERR_INTERNAL', 'edge proxy');
      throw err;
    }));
  });
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
  });

  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const addr = server.address();
  const boundPort = typeof addr === 'object' && addr !== null ? addr.port : opts.port;
  log.info({ event: 'EdgeProxyListening', port: boundPort, domain }, `edge proxy on ${opts.host}:${boundPort} for *.${domain}`);

  let accepting = true;
  const stopAccepting = (): void => {
    if (!accepting) return;
    accepting = false;
    server.close(() => {});
    server.closeIdleConnections();
  };
  let closing: Promise<void> | undefined;
  return {
    port: boundPort,
    stats,
    stopAccepting,
    close() {
      closing ??= (async () => {
        stopAccepting();
        const deadline = Date.now() + graceMs;
        // Requests in flight finish (their engine is still up); tunnels end when their engine
        // closes them (it sends 1001 on shutdown), or at the deadline.
        while ((inFlight > 0 || tunnels.size > 0) && Date.now() < deadline) {
          await new Promise<void>((r) => {
            const t = setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now())));
            idle = () => { clearTimeout(t); r(); };
          });
          idle = undefined;
          server.closeIdleConnections();
        }
        for (const s of tunnels) s.destroy();
        server.closeAllConnections();
        agent.destroy();
      })();
      return closing;
    },
  };
}
