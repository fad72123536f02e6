// The edge proxy's pure parts (no I/O): which tenant a Host header names, and which headers go
// on to the engine and back to the client.
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { isSubdomain } from '../core/routing/cache.js';

/** Hop-by-hop headers (RFC 9110 §7.6.1): meaningful for one connection only, never forwarded. */
export const HOP_BY_HOP: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);

export type HostMatch =
  | { kind: 'tenant'; subdomain: string }
  | { kind: 'none'; reason: string };

/**
 * The tenant a Host header names under `domain`: `alice.localhost:8000` → `alice` for the domain
 * `localhost`. Case and a trailing dot are ignored; a bare domain, another domain or a name
 * with more than one label in front of the domain names no tenant.
 */
export function tenantOfHost(host: string | undefined, domain: string): HostMatch {
  if (host === undefined || host === '') return { kind: 'none', reason: 'the request has no Host header' };
  let name = host.toLowerCase();
  if (name.startsWith('[')) return { kind: 'none', reason: `${host} is an address, not <tenant>.${domain}` };
  const colon = name.lastIndexOf(':');
  if (colon >= 0) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return { kind: 'none', reason: `Host ${host} is not <tenant>.${domain}` };
  const label = name.slice(0, -suffix.length);
  if (!isSubdomain(label)) return { kind: 'none', reason: `Host ${host} is not <tenant>.${domain}` };
  return { kind: 'tenant', subdomain: label };
}

/** Header names a Connection header lists: hop-by-hop for this message too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const c = headers.connection;
  return new Set(c === undefined ? [] : c.split(',').map((t) => t.trim().toLowerCase()).filter((t) => t !== ''));
}

export interface ForwardedFor {
  /** The client's address as the edge sees it. */
  clientIp: string | undefined;
  proto: 'http' | 'https';
}

/**
 * The request headers the engine gets: hop-by-hop ones removed, X-Forwarded-For (the client
 * appended), X-Forwarded-Host and X-Forwarded-Proto set. `upgrade` keeps the Upgrade and
 * Connection: Upgrade pair of a WebSocket handshake. Expect is dropped: the edge already
 * answered the client's 100-continue itself.
 */
export function requestHeaders(headers: IncomingHttpHeaders, fwd: ForwardedFor, upgrade = false): OutgoingHttpHeaders {
  const listed = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k) || k === 'expect' || k.startsWith('x-forwarded-')) continue;
    out[k] = v;
  }
  const prior = headers['x-forwarded-for'];
  const ip = fwd.clientIp?.startsWith('::ffff:') ? fwd.clientIp.slice(7) : fwd.clientIp;
  if (ip !== undefined) out['x-forwarded-for'] = prior ? `${String(prior)}, ${ip}` : ip;
  else if (prior) out['x-forwarded-for'] = prior;
  if (headers.host !== undefined) out['x-forwarded-host'] = headers.host;
  out['x-forwarded-proto'] = fwd.proto;
  if (upgrade && headers.upgrade !== undefined) {
    out.connection = 'Upgrade';
    out.upgrade = headers.upgrade;
  }
  return out;
}

/** The response headers the client gets: the engine's, less the hop-by-hop ones. */
export function responseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = connectionTokens(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || listed.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** An HTTP/1.1 request head for a raw socket (the WebSocket handshake sent to the engine). */
export function requestHead(method: string, path: string, headers: OutgoingHttpHeaders): string {
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) head += `${k}: ${String(one).replace(/[\r\n]/g, '')}\r\n`;
  }
  return head + '\r\n';
}

/**
 * Why a request cannot be proxied as it stands, or undefined: a request target that is not a
 * path (absolute form `http://host/...`, authority form, `*`: the engine takes origin-form only,
 * and forwarding would pick a host other than the one routed by) or more than one Host header
 * (which one names the tenant would be ambiguous: RFC 9112 §3.2 says answer 400).
 */
export function malformedRequest(url: string | undefined, rawHeaders: readonly string[]): string | undefined {
  if (url === undefined || !url.startsWith('/')) return `the request target must be a path (origin form), not ${JSON.stringify(String(url).slice(0, 100))}`;
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === 'host') hosts++;
  if (hosts > 1) return `the request has ${hosts} Host headers`;
  return undefined;
}
