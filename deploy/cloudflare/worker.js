// driftwatch edge on Cloudflare Workers: the same job as the built-in edge proxy
// (src/edge/proxy.ts), at Cloudflare's edge. A request to <tenant>.<DRIFTWATCH_DOMAIN> is sent on
// to that tenant's engine, found through the control API's routing endpoint:
//
//   client ─▶ worker ─ Host ─▶ tenant ─▶ caches.default (key: <CONTROL_URL>/__dw_route/<tenant>)
//                                 miss ─▶ GET <CONTROL_URL>/api/v1/routing/<tenant>
//                                         Authorization: Bearer <ROUTING_SERVICE_TOKEN>
//                                         200 {address, version, ttl} ─▶ cached for ttl s
//                                         404 ─▶ cached for its Cache-Control max-age (negative)
//          ◀── engine's answer ◀─ fetch(<UPSTREAM_PROTOCOL>//<address><path>) (HTTP, or a WebSocket
//                                  upgrade: the Workers runtime pipes the socket when the
//                                  upstream answers 101 and the worker returns that response)
//
// Environment (wrangler.toml [vars] and secrets): CONTROL_URL, ROUTING_SERVICE_TOKEN (secret),
// DRIFTWATCH_DOMAIN, UPSTREAM_PROTOCOL ("http:" unless the engines serve TLS). Errors answer
// {"error": {"code", "message"}} with the control API's codes (docs/errors.md).

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const SUBDOMAIN_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DEFAULT_NEGATIVE_TTL = 5;

const MESSAGES = {
  DW_ERR_ROUTE_NOT_FOUND: [404, 'No route for this subdomain'],
  DW_ERR_UPSTREAM_UNREACHABLE: [502, "The tenant's engine is not reachable"],
  DW_ERR_UNAVAILABLE: [503, 'Temporarily unavailable; retry later'],
};

function errorResponse(code, detail) {
  const [status, message] = MESSAGES[code];
  return new Response(JSON.stringify({ error: { code, message: detail ? `${message}: ${detail}` : message } }), {
    status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

/** The tenant a host names under `domain`, or null: `alice.example.com` → `alice`. */
export function tenantOfHost(host, domain) {
  let name = String(host || '').toLowerCase();
  const colon = name.lastIndexOf(':');
  if (colon >= 0 && !name.startsWith('[')) name = name.slice(0, colon);
  if (name.endsWith('.')) name = name.slice(0, -1);
  const suffix = `.${domain}`;
  if (!name.endsWith(suffix)) return null;
  const label = name.slice(0, -suffix.length);
  return SUBDOMAIN_RE.test(label) ? label : null;
}

function maxAgeOf(res, fallback) {
  const m = /max-age=(\d+)/.exec(res.headers.get('cache-control') || '');
  return m ? Number(m[1]) : fallback;
}

/**
 * The route of `tenant`: {found: true, address, version} or {found: false}, from the Cache API
 * or from the control API. Throws (not cached) when the control API cannot answer.
 */
export async function lookupRoute(tenant, env, ctx, cache) {
  const controlUrl = String(env.CONTROL_URL).replace(/\/+$/, '');
  const key = new Request(`${controlUrl}/__dw_route/${tenant}`);
  const hit = cache ? await cache.match(key) : undefined;
  if (hit) return hit.json();
  const res = await fetch(`${controlUrl}/api/v1/routing/${tenant}`, {
    headers: { authorization: `Bearer ${env.ROUTING_SERVICE_TOKEN}`, accept: 'application/json' },
  });
  let entry;
  let ttl;
  if (res.status === 200) {
    const body = await res.json();
    entry = { found: true, address: body.address, version: body.version };
    ttl = Number.isInteger(body.ttl) ? body.ttl : maxAgeOf(res, 30);
  } else if (res.status === 404) {
    await res.body?.cancel();
    entry = { found: false };
    ttl = maxAgeOf(res, DEFAULT_NEGATIVE_TTL);
  } else {
    await res.body?.cancel();
    throw new Error(`routing lookup answered ${res.status}`);
  }
  if (cache && ttl > 0) {
    // Stored as our own small 200 answer: the Cache API keeps it for max-age seconds.
    const stored = new Response(JSON.stringify(entry), { headers: { 'content-type': 'application/json', 'cache-control': `max-age=${ttl}` } });
    ctx.waitUntil(cache.put(key, stored));
  }
  return entry;
}

function forwardHeaders(request, url, upgrade) {
  const headers = new Headers(request.headers);
  const listed = (headers.get('connection') || '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
  for (const h of [...HOP_BY_HOP, ...listed]) {
    if (upgrade && (h === 'upgrade' || h === 'connection')) continue;
    headers.delete(h);
  }
  const client = request.headers.get('cf-connecting-ip');
  const prior = request.headers.get('x-forwarded-for');
  if (client) headers.set('x-forwarded-for', prior ? `${prior}, ${client}` : client);
  headers.set('x-forwarded-host', url.host);
  headers.set('x-forwarded-proto', url.protocol.replace(':', ''));
  return headers;
}

export async function handle(request, env, ctx, cache) {
  const url = new URL(request.url);
  const domain = String(env.DRIFTWATCH_DOMAIN || 'localhost').toLowerCase();
  const tenant = tenantOfHost(url.host, domain);
  if (tenant === null) return errorResponse('DW_ERR_ROUTE_NOT_FOUND', `${url.host} is not <tenant>.${domain}`);
  let route;
  try {
    route = await lookupRoute(tenant, env, ctx, cache);
  } catch (err) {
    return errorResponse('DW_ERR_UNAVAILABLE', `the routing lookup failed (${err.message})`);
  }
  if (!route.found) return errorResponse('DW_ERR_ROUTE_NOT_FOUND', tenant);

  const protocol = env.UPSTREAM_PROTOCOL || 'http:';
  const upstream = new URL(`${url.pathname}${url.search}`, `${protocol}//${route.address}`);
  const upgrade = (request.headers.get('upgrade') || '').toLowerCase() === 'websocket';
  const headers = forwardHeaders(request, url, upgrade);
  try {
    if (upgrade) {
      // The runtime hands back a 101 with `webSocket` set; returning it joins the two sockets.
      return await fetch(upstream.toString(), { method: request.method, headers });
    }
    const hasBody = request.body !== null && request.method !== 'GET' && request.method !== 'HEAD';
    const init = { method: request.method, headers, redirect: 'manual' };
    if (hasBody) {
      init.body = request.body;
      init.duplex = 'half';
    }
    const res = await fetch(upstream.toString(), init);
    const out = new Headers(res.headers);
    const listed = (out.get('connection') || '').split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
    for (const h of [...HOP_BY_HOP, ...listed]) out.delete(h);
    return new Response(res.body, { status: res.status, statusText: res.statusText, headers: out });
  } catch (err) {
    return errorResponse('DW_ERR_UPSTREAM_UNREACHABLE', `${tenant}: ${err.message}`);
  }
}

export default {
  fetch(request, env, ctx) {
    return handle(request, env, ctx, globalThis.caches ? globalThis.caches.default : undefined);
  },
};
