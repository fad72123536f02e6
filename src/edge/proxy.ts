// The built-in edge proxy: one port (EDGE_PORT) for every tenant, chosen by the Host header, so
// that a single machine serves `alice.localhost:8000` and `bob.localhost:8000` from their own
// engines:
//
//   client ─ Host: alice.<domain> ─▶ tenantOfHost ─▶ routes.get('alice') (memory ─▶ Redis ─▶ PostgreSQL)
//     │                                                 │ null: 404 DW_ERR_ROUTE_NOT_FOUND
//     │ (a target that is not a path, or two Host headers: 400 DW_ERR_VALIDATION at once; so is a
//     │  request Node's parser refuses, such as Content-Length: -1, with the connection closed,
//     │  and a Content-Length of 10+ digits; one over MAX_BODY_BYTES: 413 DW_ERR_PAYLOAD_TOO_LARGE)
//     │ HTTP                                            ▼ "host:port" of alice's engine
//     ├─ request ─▶ forwardRequest (forward.ts) ─▶ engine, the answer streamed back
//     │           refused / timed out before an answer: 502 DW_ERR_UPSTREAM_UNREACHABLE
//     └─ Upgrade (WebSocket) ─▶ openTunnel (forward.ts): both raw sockets piped into each other
//                               until either side closes; the client's frames are checked
//                               (tunnel.ts, ws-frames.ts): text not UTF-8 → close 1007
//
// GET /metrics on the edge's own address (a Host that names no tenant: 127.0.0.1:8000,
// localhost:8000) answers this process's Prometheus registry (bearer METRICS_TOKEN when set);
// on a tenant's Host it is refused with 404, never proxied (an engine's metrics are the
// operator's, not the tenant's).
//
// close(): stop accepting, let requests in flight and tunnels end (up to shutdownGraceMs), then
// destroy what is left.
import { once } from 'node:events';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { Route } from '../core/routing/cache.js';
import { EdgeRouteLookupError, edgeMetrics, METRICS_CONTENT_TYPE, METRICS_PATH, metricsAccess, metricsText } from '../core/telemetry/index.js';
import { forwardRequest, openTunnel, rejectUpgrade, sendError, type EdgeStats, type Upstream } from './forward.js';
import { malformedRequest, tenantOfHost } from './headers.js';

export type { EdgeStats } from './forward.js';

/** The engine's default MAX_BODY_BYTES (src/core/config.ts). */
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

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
  /** Bearer token GET /metrics asks for (METRICS_TOKEN); unset: open. */
  metricsToken?: string;
  /** How long a kept-alive engine connection may sit idle before it is dropped (default 4 s). */
  engineIdleMs?: number;
  /** The engines' largest body (MAX_BODY_BYTES, default 16 MiB): a larger Content-Length is refused 413 here. */
  maxBodyBytes?: number;
}

export interface EdgeHandle {
  readonly port: number;
  readonly stats: Readonly<EdgeStats>;
  /** Stops taking connections; exchanges in flight go on (close() ends them). */
  stopAccepting(): void;
  close(): Promise<void>;
}

type Resolved = Route | { code: ErrorCode; detail: string };

/** The route for a Host header, or an error code and detail to answer with. */
function routeResolver(routes: RouteLookup, domain: string, log: Logger): (host: string | undefined) => Promise<Resolved> {
  return async function resolve(host) {
    const m = tenantOfHost(host, domain);
    if (m.kind === 'none') return { code: 'DW_ERR_ROUTE_NOT_FOUND', detail: m.reason };
    let route: Route | null;
    try {
      route = await routes.get(m.subdomain);
    } catch (err) {
      EdgeRouteLookupError.emit(log, { err, subdomain: m.subdomain });
      return { code: 'DW_ERR_UNAVAILABLE', detail: 'the routing table cannot be read' };
    }
    return route ?? { code: 'DW_ERR_ROUTE_NOT_FOUND', detail: m.subdomain };
  };
}

/** Exchanges in flight (handlers running, answers not complete), and a wake-up when none is left. */
class InFlight {
  count = 0;
  idle: (() => void) | undefined;

  add(): void { this.count++; }
  done(): void {
    this.count--;
    if (this.count === 0) this.idle?.();
  }

  /** A handler's promise: in flight until it settles; an unexpected error is logged. */
  track(p: Promise<void>, log: Logger): void {
    this.add();
    p.catch((err: unknown) => log.error({ err, event: 'EdgeProxyError' }, 'edge: unexpected error')).finally(() => this.done());
  }
}

/** 400 at once for a request that cannot be forwarded as it stands (headers.ts malformedRequest); true when refused. */
function refusedMalformed(req: IncomingMessage, res: ServerResponse): boolean {
  const malformed = malformedRequest(req.url, req.rawHeaders);
  if (malformed === undefined) return false;
  req.resume();
  res.shouldKeepAlive = false;
  sendError(res, 'DW_ERR_VALIDATION', malformed);
  return true;
}

/**
 * A Content-Length Node's parser accepts but the engine would not answer (README "Malformed
 * framing sent straight to the engine"): over the engines' largest body, 413 at once (the body is
 * not read); 10 digits or more (uWS reads at most 9, then closes the connection without an
 * answer), 400. True when refused.
 */
function refusedLength(req: IncomingMessage, res: ServerResponse, maxBodyBytes: number): boolean {
  const length = req.headers['content-length'];
  if (length === undefined || length.length < 8) return false;
  const n = Number(length);
  if (n <= maxBodyBytes && length.length <= 9) return false;
  res.shouldKeepAlive = false;
  if (n > maxBodyBytes) sendError(res, 'DW_ERR_PAYLOAD_TOO_LARGE', `Content-Length ${length} is over the largest body, ${maxBodyBytes} bytes`);
  else sendError(res, 'DW_ERR_VALIDATION', `Content-Length has ${length.length} digits, at most 9`);
  return true;
}

/** The HTTP server with its request, upgrade and client-error handlers. */
function edgeServer(u: Upstream, resolve: (host: string | undefined) => Promise<Resolved>, flight: InFlight, domain: string, metricsToken: string | undefined, maxBodyBytes: number): http.Server {
  const metricsAllowed = metricsAccess(metricsToken);
  const httpRequests = edgeMetrics.requests.child('http');
  const upgradeRequests = edgeMetrics.requests.child('upgrade');

  /** GET /metrics: the edge's own address only; a tenant's Host is refused (404), not proxied. */
  async function onMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (tenantOfHost(req.headers.host, domain).kind === 'tenant') return sendError(res, 'DW_ERR_NOT_FOUND', `${METRICS_PATH} is served on the edge's own address only`);
    if (req.method !== 'GET') return sendError(res, 'DW_ERR_METHOD_NOT_ALLOWED', 'use GET');
    if (!metricsAllowed(req.headers.authorization)) return sendError(res, 'DW_ERR_UNAUTHORIZED', 'GET /metrics needs the metrics token (METRICS_TOKEN) as a bearer token');
    const text = await metricsText();
    if (res.destroyed) return;
    res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    u.stats.requests++;
    httpRequests.inc();
    if (req.url === METRICS_PATH || req.url?.startsWith(`${METRICS_PATH}?`)) return onMetrics(req, res);
    if (refusedMalformed(req, res) || refusedLength(req, res, maxBodyBytes)) return;
    const route = await resolve(req.headers.host);
    if (!('address' in route)) {
      if (route.code === 'DW_ERR_ROUTE_NOT_FOUND') u.stats.notFound++;
      req.resume();
      return sendError(res, route.code, route.detail);
    }
    if (req.destroyed || res.destroyed) {
      u.stats.clientAborts++;
      return;
    }
    forwardRequest(u, route, req, res);
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    u.stats.upgrades++;
    upgradeRequests.inc();
    const malformed = malformedRequest(req.url, req.rawHeaders);
    if (malformed !== undefined) return rejectUpgrade(socket, 'DW_ERR_VALIDATION', malformed);
    const route = await resolve(req.headers.host);
    if (!('address' in route)) {
      if (route.code === 'DW_ERR_ROUTE_NOT_FOUND') u.stats.notFound++;
      return rejectUpgrade(socket, route.code, route.detail);
    }
    if (socket.destroyed) {
      u.stats.clientAborts++;
      return;
    }
    openTunnel(u, route, req, socket, head);
  }

  const server = http.createServer({ keepAliveTimeout: 65_000 });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    req.on('error', () => {});
    res.on('error', () => {});
    flight.track(onRequest(req, res).catch((err: unknown) => {
      sendError(res, 'DW_ERR_INTERNAL', 'edge proxy');
      throw err;
    }), u.log);
    // In flight until the answer is complete or the client is gone, not only until it is sent on.
    flight.add();
    res.once('close', () => flight.done());
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    flight.track(onUpgrade(req, socket, head).catch((err: unknown) => {
      rejectUpgrade(socket, 'DW_ERR_INTERNAL', 'edge proxy');
      throw err;
    }), u.log);
  });
  server.on('clientError', onClientError);
  return server;
}

/**
 * Node's parser refused the request before any handler (a Content-Length that is not a
 * non-negative integer: -1, 1e3, +5; a header too large; a bad request line): 400 with the
 * error body, then the connection is closed.
 */
function onClientError(err: Error & { code?: string }, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  rejectUpgrade(socket, 'DW_ERR_VALIDATION', err.code === 'HPE_INVALID_CONTENT_LENGTH'
    ? 'Content-Length must be a non-negative integer' : `malformed HTTP request (${err.code ?? 'parse error'})`);
}

export async function startEdgeProxy(opts: EdgeOptions): Promise<EdgeHandle> {
  const { domain } = opts;
  const log = opts.log.child({ component: 'edge' });
  const graceMs = opts.shutdownGraceMs ?? 10_000;
  const u: Upstream = {
    // Idle engine connections are dropped after 4 s, before the engine's own idle timeout
    // (uWebSockets.js: 10 s) can close one just as a request is sent on it.
    agent: new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, timeout: opts.engineIdleMs ?? 4_000 }),
    stats: { requests: 0, upgrades: 0, notFound: 0, upstreamErrors: 0, clientAborts: 0, tunnels: 0, wsViolations: 0 },
    log,
    connectTimeoutMs: opts.connectTimeoutMs ?? 5_000,
    tunnels: new Set(),
  };
  const flight = new InFlight();
  const server = edgeServer(u, routeResolver(opts.routes, domain, log), flight, domain, opts.metricsToken, opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES);

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
    stats: u.stats,
    stopAccepting,
    close() {
      closing ??= (async () => {
        stopAccepting();
        await drain(server, u, flight, Date.now() + graceMs);
        for (const s of u.tunnels) s.destroy();
        server.closeAllConnections();
        u.agent.destroy();
      })();
      return closing;
    },
  };
}

/**
 * Requests in flight finish (their engine is still up); tunnels end when their engine closes
 * them (it sends 1001 on shutdown), or at the deadline.
 */
async function drain(server: http.Server, u: Upstream, flight: InFlight, deadline: number): Promise<void> {
  while ((flight.count > 0 || u.tunnels.size > 0) && Date.now() < deadline) {
    await new Promise<void>((r) => {
      const t = setTimeout(r, Math.min(100, Math.max(1, deadline - Date.now())));
      flight.idle = () => { clearTimeout(t); r(); };
    });
    flight.idle = undefined;
    server.closeIdleConnections();
  }
}
